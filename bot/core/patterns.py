"""Phrase and pattern rules: concepts from per-language lexicons, combined by rules.

Loading compiles every phrase of every language into one Aho-Corasick automaton over the
normalised skeleton, and the moderators' regular expressions into RE2 expressions behind a
prefilter (the literal strings each expression needs are matched together; only the
expressions they admit run); a message is scanned once, and only the rules whose first
concept occurs are evaluated. Scope is modelled, not listed: concepts must meet within a
sentence, a negation before a rule's first concept in the same clause cancels it, and advice
or discussion framing cancels guarded rules.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import ahocorasick
import numpy as np
import re2

from bot.core.indicators import doubled_amounts, falling_sums, has_address
from bot.core.model import ChatContext, Hit, Severity
from bot.core.normalize import fold, simplified, skeleton
from bot.core.prefilter import Prefilter
from bot.core.scope import any_unquoted, asks, intro_span, quote_spans, within
from bot.core.yamlfile import LDict, line_of, read_yaml
from bot.errors import RuleFileError, RuleSetError

if TYPE_CHECKING:
    from bot.core.model import Message

# The code of the lexicon of names written alike in every language (brands, products:
# "metamask", "trust wallet"), ISO 639's code for several languages. Its concepts count as
# present in every language's lexicon and match as English phrases do.
NAMES_LANG = "mul"
BUILTIN_CONCEPTS = frozenset({"@link", "@handle", "@contact", "@official_link", "@doubled",
                              "@crypto_address"})
NEGATION, ADVICE, DISCUSSION, CLAUSE_BREAK = "negation", "advice", "discussion", "clause_break"
REPORTED = "reported"
# an offer to the reader ("want the link?", "mau aku masukin", "要不要")
INVITE_OFFER = "invite_offer"
# A heading that names a scam or its script, ended by a colon near the start ("Fake support
# script: ...", "冒充公检法套路：...", "Scam 'Macau' / polis palsu: ..."): the writer describes
# the scam that follows, the way advice introduces it.
SCAM_SCRIPT = "scam_script"
# Words that introduce an example ("something like", "kiểu", "比如") and words that turn a
# verdict to somebody else ("the others", "其他"): read by the detector around links.
EXAMPLE_OF, CONTRAST, VOUCH = "example_of", "contrast", "vouch"
# Words that credit a contact for what the writer got ("thanks to", "via", "nhờ", "berkat",
# "多亏"): before a private contact, a testimonial's advert (see Detector._credited).
CREDIT = "credit"
# The writer asks the moderators to ban or remove an account ("pls ban", "ban giùm",
# "tolong ban", "ช่วยแบน", "pa-ban", "踢了", "banna"): the handle right before or after the
# words is reported, not offered (see Detector._reported_handles).
BAN_REQUEST = "ban_request"
# The readers who have not yet claimed or joined, called to do what the writer did ("who
# hasn't claimed yet", "还没领的", "di pa nakaclaim?"): a testimonial's call to act (see
# PatternRules.calls_others).
CALL_OTHERS = "call_others"
# A call to the readers who have not claimed yet counts after this many characters of story.
CALL_AFTER = 20
HEADING_MAX = 60
_HEADING_END = re.compile(r"[:：]")
_SENTENCE_END_IN = re.compile(r"[.!?。！？\n]")
# The writer as the recipient of a request ("send me", "cho em", "发给我"): after advice, a
# sentence holding it is the writer's own request again.
ME = "me"
# After safety advice, a polite imperative or a "however" opens the writer's own request again
# ("we never ask for your password. However, the OTP just sent must be read to our agent").
RESUME = "resume"
# ... and so does a later sentence that asks, unnegated, for a secret: advice used as cover
# ("we will NEVER DM you first. If your wallet has issues, reply here with your recovery
# phrase").
REQUESTS = ("ask", "pass_on", "hand_over")
SECRETS = ("seed_phrase", "private_key", "wallet_password", "otp_code")
# How the writer shows a text they were sent ("got this DM", "screenshot from my inbox",
# "我收到") and their own verdict on it ("fake, the domain is wrong", "ni palsu", "假的"):
# they frame the quotations of their message as somebody else's words, and cancel nothing
# else (a scammer calls the others fake too: "ignore the fake admins, DM me").
RETOLD, VERDICT = "retold", "verdict"
# Phrases built on a negation that push rather than forbid ("don't miss", "do not hesitate"):
# a negation inside one of them does not count.
NOT_NEGATION = "not_negation"
# The reader's doubt named so as to answer it ("you think it's a scam?", "your sister says it's
# too good to be true", "this is not a scam", "the warning is for strangers"): the words of a
# frame inside one of these phrases are the writer's rebuttal, not a warning or a discussion.
DOUBT_ANSWERED = "doubt_answered"
# ... and the same for an order to stay off the official route ("wag niyo na pong i-report
# sa app", "don't open a new ticket on the website"): its "report" is the writer's order
# against reporting, no advice.
AVOID_OFFICIAL = "avoid_official"
# ... and the same for the readers an offer is for ("if anyone here got scammed, DM me",
# "kalo ada yg kena scam", "被骗的朋友可以私信我"): the scam words name who the writer wants to
# hear from (the recovery and fake-support offer's opener), they discuss nothing.
AUDIENCE = "audience"
# ... and the same for a report that retells nothing: the reader's own case named by whoever
# handles it ("the case you reported", "đơn trình báo của anh", "din polisanmälan"), the
# writer's associate who is about to act ("my colleague will come by to collect"), a plea
# about reporting ("nak suruh you report polis"). The fake official's and the recovery
# agent's opener, and the courier's announcement, hold the words of a retelling.
NOT_REPORTED = "not_reported"
# ... and a threat to the reader's account ("your card will be blocked", "akaun anda akan
# disekat") holds the word of the writer's verdict on a scammer ("blocked", "disekat")
# without judging anybody: inside one, it is the threat.
ACCOUNT_PROBLEM = "account_problem"
# The frame concepts such a phrase holds without framing anything.
_ANSWERED_FRAMES = (NEGATION, ADVICE, DISCUSSION, REPORTED, RETOLD, VERDICT, SCAM_SCRIPT)
GUARD_CONCEPTS = (NEGATION, ADVICE, DISCUSSION, CLAUSE_BREAK, NOT_NEGATION, REPORTED, RETOLD,
                  VERDICT)
SCOPES = ("sentence", "message")
# Sums that grow ("1jt jadi 3jt", "5k into 50k"): a match of one of these concepts that names
# two sums, the last below the first, is a price cut ("250rb jadi 149rb") and is dropped.
GROWTH = ("multiplier_gain", "guaranteed_profit")
# How far (in characters of normalised text) a negation reaches forward to its verb.
NEGATION_REACH = 48
# A verdict is negated only right after its negation ("not a scam", "bukan palsu",
# "don't think it's fake"): in "didn't order anything lol" the negation is the story's.
VERDICT_NEGATION_REACH = 12
# Language evidence: a message reads as the languages with at least MIN_EVIDENCE and at
# least EVIDENCE_SHARE of the strongest one's evidence; a script of the language's own
# counts SCRIPT_EVIDENCE, the request's declared language LANG_EVIDENCE.
MIN_EVIDENCE = 2
EVIDENCE_SHARE = 0.5
SCRIPT_EVIDENCE = 3
SCRIPT_WINDOW = 2_000
LANG_EVIDENCE = 1
_MARKER = "~marker."

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,80}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,60}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_ABBREVIATIONS = ("mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "inc", "ltd", "co", "no",
                  "vs", "etc", "e.g", "i.e", "tel", "approx", "dept", "ref", "acc", "a/c")
_SENTENCE_END = re.compile(r"[!?\n。！？؟…]+|\.(?=\s|$)")
_WORD_BEFORE_DOT = re.compile(r"([\w./]+)\.$")
_ABBREVIATION_SET = frozenset(_ABBREVIATIONS)


def _questions(text: str, ends: list[int]) -> frozenset[int]:
    """The sentences (by index) that ask, as `asks` reads a question: a question mark that
    ends one (not the one that opens a link's query: the character after the sentence is
    read too), or a Thai question particle."""
    out = set()
    start = 0
    for i, end in enumerate(ends):
        if asks(text[start:end + 1]):
            out.add(i)
        start = end
    return frozenset(out)


def _sentence_ends(text: str) -> list[int]:
    """Where sentences end: . ! ? and their CJK forms, line breaks; not the dot of "Dr."."""
    ends = []
    for m in _SENTENCE_END.finditer(text):
        if m.group(0) == ".":
            word = _WORD_BEFORE_DOT.search(text, max(0, m.start() - 8), m.end())
            if word and word.group(1).rsplit(" ", 1)[-1] in _ABBREVIATION_SET:
                continue
        ends.append(m.end())
    return ends
_CLAUSE_END = re.compile(r"[,;:，；：、]")
# Word characters of the scripts that separate words with spaces (letters and digits below
# Thai, and "_"): a bounded phrase must not touch one.
_WORD_CHARS = frozenset(c for c in map(chr, range(0x0E00)) if c.isalnum() or c == "_")
# Each branch starts with a literal character and looks behind it for the boundary
# (`t(?<!\wt)` is `\bt`): the regex engine then skips to the candidates instead of trying
# every branch at every position of a long message.
_HANDLE_RE = re.compile(r"@(?<![\w.]@)[a-z][a-z0-9_]{3,31}\b|t(?<!\wt)(?:elegram)?\.me/")
_URLISH_RE = re.compile(r"h(?<!\wh)(?:ttps?|xxps?)://|w(?<!\ww)ww\.")

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.max_mem = 8 << 20
# Only the span of a whole match is read: without capturing groups, RE2 finds it with its
# DFAs alone, never running the slower engines that place the groups.
_SPAN_OPTIONS = re2.Options()
_SPAN_OPTIONS.log_errors = False
_SPAN_OPTIONS.max_mem = 8 << 20
_SPAN_OPTIONS.never_capture = True
# The moderators' regular expressions are found through a prefilter (bot.core.prefilter):
# the literal strings each one needs are matched together by one Aho-Corasick automaton, and
# only the expressions whose strings occur (or that need none) run, each with its own small
# automaton. One RE2 set of every expression built the states of one huge automaton lazily
# and flushed them when its memory filled (6-9 ms for a new 4,096-character text); RE2's
# FilteredRE2 does the same for its literal strings (1-15 ms).
# (w(?<!\ww) is \bw: every branch starts with a literal character, see _HANDLE_RE)
_URL_SPAN = re.compile(r"(?:https?|hxxps?)://\S+|w(?<!\ww)ww\.\S+")


def _paths(text: str, url_spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The paths (from the first "/" after the host) of the links at `url_spans`."""
    out = []
    for start, end in url_spans:
        scheme = text.find("://", start, end)
        slash = text.find("/", scheme + 3 if scheme >= 0 else start, end)
        if slash >= 0:
            out.append((slash, end))
    return out


def _spaceless(text: str) -> bool:
    """True when a phrase is written in a script without spaces between words."""
    return any(0x0E00 <= ord(c) <= 0x0E7F or 0x2E80 <= ord(c) <= 0xFFEF for c in text)


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    lang: str | None
    line: int


@dataclass(frozen=True)
class PatternRule:
    """One rule: concepts that together are a scam signal, with its own examples."""

    id: str
    category: str
    severity: Severity
    reason: str
    all: tuple[str, ...]
    any: tuple[str, ...] = ()
    not_: tuple[str, ...] = ()
    scope: str = "sentence"
    guarded: bool = True
    match: tuple[Example, ...] = ()
    no_match: tuple[Example, ...] = ()
    source: str = ""
    line: int = 0
    hit: Hit = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "hit", Hit(self.id, self.category, self.severity, self.reason)
        )

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}"


class Occurrence(NamedTuple):
    """One concept found in a message (a tuple: a long message makes hundreds of them)."""

    concept: int
    start: int
    end: int
    sentence: int
    clause: int


class _Term(NamedTuple):
    """One phrase of a concept as the automaton holds it (with the phrase's length): whether
    it must start at a word boundary, whether it must end at one too (not a prefix), and
    the written forms one of which the message must hold (see `_toned`), or None."""

    concept: int
    langs: frozenset[str]
    bounded: bool
    strict: bool
    toned: frozenset[str] | None = None


# The skeleton drops tone marks and diacritics, and so merges words:
# - A short Thai word becomes another word, or a piece of one: ค่า (fee) is ค้า (trade) and sits
#   inside ค้าง (stuck), เช่า (rent) is เช้า (morning), ท่าน (you) is ทาน (eat). Such a phrase,
#   written with its marks, counts only where the message holds it as written.
# - A Latin phrase written with diacritics (Vietnamese above all: cổng gate / công, chỉ show /
#   chị sister, thử try / thứ, bạn you / bận busy, mất lose / mật; nó đòi he demands / nó đổi
#   it changes) counts on words written the same way, or typed without any diacritics ("gui
#   ma otp" is still gửi mã OTP), word by word; a word written with other diacritics is
#   another word.
TONED_MAX = 4
_THAI = re.compile("[\u0e00-\u0e7f]")
_WORDS = re.compile(r"\w+")


def _toned(text: str, body: str) -> str | None:
    """The written form a phrase must be found in (see above), or None."""
    written = fold(text)
    if written == body:
        return None
    if _THAI.search(body):
        return written if len(body.replace(" ", "")) <= TONED_MAX else None
    if body.isascii() and all(_WORDS.fullmatch(w) for w in written.split(" ")):
        return written
    return None


def _each_word_as(words: str, form: str) -> bool:
    """Every word of the message's words is the phrase's word as written or has no diacritics
    at all ("no đòi" is "nó đòi" typed half bare; "nó đổi", it changes, is another phrase)."""
    mine, theirs = words.split(" "), form.split(" ")
    return len(mine) == len(theirs) and all(
        a == b or a.isascii() for a, b in zip(mine, theirs, strict=True))


def _bare(char: str) -> str:
    """A Latin letter without its diacritics (đ is d), or the letter itself."""
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return "d" if char == "đ" else base if len(base) == 1 else char


# Latin letters with diacritics (Latin-1 to Latin Extended Additional) to their bare letters
_BARE_LETTERS = {code: _bare(chr(code)) for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00))
                 if _bare(chr(code)) != chr(code)}


def _written_as(body: str, forms: frozenset[str], folded: str, cache: dict[str, Any]
                ) -> bool:
    """Whether a phrase that needs its written form (see `_toned`) counts in the message:
    a Thai phrase as written anywhere; Latin words where the message has each of them as
    written or without diacritics. `cache` holds, per message, the text with its letters
    bare (letter for letter, so it lines up with `folded`) and the answers found so far."""
    if not body.isascii():
        return any(form in folded for form in forms)
    known = cache.get(body)
    if known is not None:
        return bool(known)
    bare = cache.get("")
    if bare is None:
        bare = cache[""] = folded.translate(_BARE_LETTERS)
    size, n = len(body), len(bare)
    found: bool | None = None
    at = bare.find(body)
    while at >= 0:
        end = at + size
        if (at == 0 or not bare[at - 1].isalnum()) and (end == n or not bare[end].isalnum()):
            word = folded[at:end]
            if word.isascii() or word in forms or (
                    " " in word and any(_each_word_as(word, form) for form in forms)):
                found = True
                break
            found = False
        at = bare.find(body, at + 1)
    # no such word: the skeleton made the phrase out of something else (s33d, s e e d)
    result = found is not False
    cache[body] = result
    return result


@dataclass(frozen=True, slots=True)
class _Language:
    """What tells that a message is in this language, and the languages it counts with:
    its family, and the languages its speakers mix into it (`mixes`: Taglish writes English
    negations and advice inside Tagalog, "Never ibigay ang OTP")."""

    code: str
    family: frozenset[str]
    script: Any = None


class _CompiledRule:
    """A rule with its concepts resolved to integer ids for the hot path."""

    __slots__ = ("any", "guarded", "head", "index", "message_scope", "not_", "required", "rule")

    def __init__(self, rule: PatternRule, ids: dict[str, int], index: int) -> None:
        self.rule = rule
        self.index = index
        self.required = tuple(ids[c] for c in rule.all)
        self.head = self.required[0]
        self.any = tuple(ids[c] for c in rule.any)
        self.not_ = tuple(ids[c] for c in rule.not_)
        self.guarded = rule.guarded
        self.message_scope = rule.scope == "message"


class Scan:
    """The concepts found in one message, with sentence and clause positions, and the
    quotations that the text around them frames as discussed (a question, advice or
    reported speech outside the quotation marks)."""

    __slots__ = ("builtins", "by_concept", "framed_quotes", "heading", "occurrences",
                 "questions")

    def __init__(self, occurrences: list[Occurrence], builtins: frozenset[int],
                 framed_quotes: tuple[tuple[int, int], ...] = (),
                 heading: bool = False, questions: frozenset[int] = frozenset()) -> None:
        self.occurrences = occurrences
        # the sentences that ask (see `_questions`); found only when a discussion is
        self.questions = questions
        # the message opens with a heading that names a scam (see PatternRules._heading)
        self.heading = heading
        self.builtins = builtins
        self.framed_quotes = framed_quotes
        by_concept: dict[int, list[Occurrence]] = defaultdict(list)
        for occ in occurrences:
            by_concept[occ.concept].append(occ)
        self.by_concept = dict(by_concept)

    def has(self, concept: int) -> bool:
        return concept in self.builtins or concept in self.by_concept


@dataclass(frozen=True)
class PatternRules:
    """The compiled phrase rules of a rule set."""

    rules: tuple[PatternRule, ...] = ()
    concepts: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    concept_langs: dict[str, frozenset[str]] = field(default_factory=dict)
    phrase_count: int = 0
    _automaton: Any = field(default=None, repr=False, compare=False)
    _regex_set: Any = field(default=None, repr=False, compare=False)
    # (concept, expression, its languages, the same expression over UTF-8 bytes and without
    # capturing groups)
    _regexes: tuple[tuple[int, Any, frozenset[str], Any], ...] = field(
        default=(), repr=False, compare=False
    )
    _by_head: dict[int, tuple[_CompiledRule, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _ids: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _guards: frozenset[int] = field(default=frozenset(), repr=False, compare=False)
    # the guards and every concept a rule is excluded by (`not`): none counts in a link's path
    # ("... See more at: news.example/awas-modus-penipuan-sms" is a pasted source, not the
    # writer's warning), and the guards in no part of a link (see `_kept`)
    _unless: frozenset[int] = field(default=frozenset(), repr=False, compare=False)
    # the ids of _ANSWERED_FRAMES, which a doubt answered holds without framing anything
    _answered_frames: frozenset[int] = field(default=frozenset(), repr=False, compare=False)
    # the ids of GROWTH, whose matches must not name a falling sum
    _growth: frozenset[int] = field(default=frozenset(), repr=False, compare=False)
    _markers: dict[int, str] = field(default_factory=dict, repr=False, compare=False)
    _languages: tuple[_Language, ...] = field(default=(), repr=False, compare=False)

    # -- matching ---------------------------------------------------------------------------

    def concept_id(self, name: str) -> int | None:
        return self._ids.get(name)

    def scan(self, message: Message) -> Scan:
        """Find every concept occurrence in the message's skeleton."""
        text = message.text.skeleton
        sentence_ends = _sentence_ends(text)
        clause_ends = sorted(sentence_ends + [m.end() for m in _CLAUSE_END.finditer(text)])
        raw: list[tuple[int, int, int, frozenset[str]]] = []
        if self._automaton is not None and text:
            n = len(text)
            append = raw.append
            word = _WORD_CHARS
            folded = message.text.folded
            written: dict[str, Any] = {}
            for end, (length, terms) in self._automaton.iter(text):
                start = end - length + 1
                stop = end + 1
                for concept, langs, bounded, strict, toned in terms:
                    # A letter or digit of a script that separates words with spaces (CJK
                    # and Thai characters are not word characters here, so Latin phrases
                    # still match next to them); inlined, as a long message has thousands
                    # of terms.
                    if bounded and ((start > 0 and text[start - 1] in word)
                                    or (strict and stop < n and text[stop] in word)):
                        continue
                    if toned is not None and not _written_as(
                            text[start:stop], toned, folded, written):
                        continue
                    append((concept, start, stop, langs))
        # The languages are told by the phrases (markers) and the text, never by the
        # expressions: known before these run, they spare the expressions of languages whose
        # matches would be dropped.
        allowed = self.message_languages(raw, message) if self._languages else None
        if self._regex_set is not None and text:
            raw.extend(self._regex_occurrences(text, allowed))
        url_spans = ([m.span() for m in _URL_SPAN.finditer(text)]
                      if "://" in text or "www." in text else [])
        if self._languages or url_spans:
            raw = self._kept(raw, allowed, url_spans, _paths(text, url_spans))
        breaker = self._ids.get(CLAUSE_BREAK)
        if breaker is not None:
            clause_ends.extend(start for c, start, _, _ in raw if c == breaker)
            clause_ends.sort()
        if self._growth and any(c in self._growth for c, _, _, _ in raw):
            raw = [r for r in raw
                   if r[0] not in self._growth or not falling_sums(text, r[1], r[2])]
        occurrences = [
            Occurrence(c, s, e, bisect_right(sentence_ends, s), bisect_right(clause_ends, s))
            for c, s, e, _ in raw
        ]
        occurrences = self._without_reassurance(self._without_answered_frames(occurrences))
        heading = self._heading(text, occurrences)
        if heading is not None:
            occurrences.insert(0, heading)
        # which sentences ask is wanted only after a discussion (`_asked_after_discussion`)
        discussion = self._ids.get(DISCUSSION, -1)
        questions = (_questions(text, sentence_ends)
                     if any(o.concept == discussion for o in occurrences) else frozenset())
        return Scan(occurrences, self._builtins(message),
                    self._framed_quotes(text, occurrences), heading is not None, questions)

    def _heading(self, text: str, occurrences: list[Occurrence]) -> Occurrence | None:
        """Advice at the start of the message when a heading ended by a colon names a scam
        or its script (SCAM_SCRIPT, or the writer's verdict: "Scam 'Macau' / polis palsu:")."""
        end = _HEADING_END.search(text, 0, HEADING_MAX)
        if (end is None or end.start() == 0 or "//" in text[end.start():end.start() + 3]
                or _SENTENCE_END_IN.search(text, 0, end.start())):
            return None
        ids = self._ids
        naming = {ids.get(SCAM_SCRIPT, -1), ids.get(VERDICT, -1)}
        stop = end.start()
        if any(o.concept in naming and o.end <= stop for o in occurrences):
            return Occurrence(ids.get(ADVICE, -1), 0, stop, 0, 0)
        return None

    def _without_answered_frames(self, occurrences: list[Occurrence]) -> list[Occurrence]:
        """Drop the frame words that start inside a phrase naming the reader's doubt to answer
        it, inside an order to stay off the official route ("Abg rasa scam boleh check no
        tracking ... bagi saya 6 digit": the scam word is the reader's doubt, which the writer
        argues away, not the writer's discussion), or inside the readers an offer is for
        ("kalo ada yg kena scam dm aja": who the writer wants to hear from), or inside a report
        that retells nothing ("the case you reported"). The negation of an order to stay off
        stays: it makes that order a negative one (see `_negated`). A threat to the reader's
        account holds only the verdict word, and only inside a longer phrase ("or your card
        will be blocked"): the word alone ("Blocked and reported") is the writer's verdict."""
        ids = self._ids
        avoid, threat = ids.get(AVOID_OFFICIAL, -1), ids.get(ACCOUNT_PROBLEM, -1)
        holders = (ids.get(DOUBT_ANSWERED, -1), avoid, ids.get(AUDIENCE, -1),
                   ids.get(NOT_REPORTED, -1), threat)
        spans = [(o.start, o.end, o.concept) for o in occurrences if o.concept in holders]
        if not spans:
            return occurrences
        frames = self._answered_frames
        negation, verdict = ids.get(NEGATION, -1), ids.get(VERDICT, -1)

        def held(o: Occurrence) -> bool:
            for start, end, holder in spans:
                if holder == threat:
                    if (o.concept == verdict and start <= o.start and o.end <= end
                            and end - start > o.end - o.start):
                        return True
                elif start <= o.start < end and not (holder == avoid and o.concept == negation):
                    return True
            return False

        return [o for o in occurrences if o.concept not in frames or not held(o)]

    def _without_reassurance(self, occurrences: list[Occurrence]) -> list[Occurrence]:
        """Drop the advice that follows, in its own sentence, a clause asking for a recovery
        phrase, key, password or code ("请在私聊中向管理员提供助记词，管理员不会泄露，请放心":
        "the admins won't leak it" reassures the victim, it warns nobody). The ask must be
        unnegated and its clause must not report or discuss."""
        ids = self._ids
        advice = ids.get(ADVICE, -1)
        if not any(o.concept == advice for o in occurrences):
            return occurrences
        secrets = {ids[c] for c in SECRETS if c in ids}
        secret = {(o.sentence, o.clause) for o in occurrences if o.concept in secrets}
        if not secret:
            return occurrences
        requests = {ids[c] for c in REQUESTS if c in ids}
        framing = {ids[c] for c in (REPORTED, DISCUSSION) if c in ids}
        negation = ids.get(NEGATION, -1)
        denied = {(o.sentence, o.clause) for o in occurrences
                  if o.concept == negation or o.concept in framing}
        asked = [o for o in occurrences
                 if o.concept in requests and (o.sentence, o.clause) in secret
                 and (o.sentence, o.clause) not in denied]
        if not asked:
            return occurrences
        first_ask: dict[int, int] = {}
        for o in asked:
            first_ask[o.sentence] = min(first_ask.get(o.sentence, o.clause), o.clause)
        return [o for o in occurrences
                if not (o.concept == advice and o.sentence in first_ask
                        and o.clause > first_ask[o.sentence])]

    def _regex_occurrences(self, text: str, allowed: frozenset[str] | None
                           ) -> list[tuple[int, int, int, frozenset[str]]]:
        """Every match of the expressions that can count in a message of these languages
        (the test of `_kept`): of those whose literal strings occur, only the ones of these
        languages run at all."""
        indices = self._regex_set.candidates(text)
        if not indices:
            return []
        # the expressions run on the UTF-8 bytes, encoded once (see _regex_matches)
        encoded = text.encode("utf-8")
        if allowed is not None:
            guards, regexes = self._guards, self._regexes
            indices = [i for i in indices
                       if regexes[i][2] & allowed
                       or ("en" in regexes[i][2] and regexes[i][0] not in guards)]
        return self._regex_matches(text, encoded, indices)

    def _regex_matches(self, text: str, encoded: bytes, indices: Iterable[int]
                       ) -> list[tuple[int, int, int, frozenset[str]]]:
        """Every match of the given regular expressions in `text`, as character spans.

        The expressions run on the UTF-8 bytes, encoded once (RE2's str interface encodes
        the text again and converts every offset for each expression); byte offsets are
        mapped to characters through one table. After an empty match a search of bytes
        steps one byte where a search of the str steps one character, so an expression that
        matches empty is searched through the str interface instead."""
        chars: list[int] | None = None
        out: list[tuple[int, int, int, frozenset[str]]] = []
        for index in indices:
            concept, pattern, langs, by_bytes = self._regexes[index]
            spans = [m.span() for m in by_bytes.finditer(encoded)]
            if any(a == b for a, b in spans):
                spans = [m.span() for m in pattern.finditer(text)]
            elif len(encoded) != len(text):
                if chars is None:
                    chars = _char_offsets(encoded)
                spans = [(chars[a], chars[b]) for a, b in spans]
            out.extend((concept, a, b, langs) for a, b in spans)
        return out

    def _framed_quotes(self, text: str, occurrences: list[Occurrence]
                       ) -> tuple[tuple[int, int], ...]:
        """Quotations whose surrounding text asks about them, warns about them, reports
        them or judges them: what is inside is somebody else's words ("they wrote “send me
        the code”, legit?", "got a DM “send the 12 words”, blocked", "“akaun disekat, klik
        sini” palsu"). Reported speech, a retelling and the writer's verdict frame only the
        quotations; outside them they take nothing back."""
        spans = quote_spans(text)
        # a text after an introducing colon is somebody else's when the words before the
        # colon frame it ("Fick sms: ...", "Got this today: ...", "有人私信我：..."); the
        # colon's own text runs to the end, so no question mark can be outside it
        intro = None if spans else intro_span(text)
        if not spans and intro is None:
            return ()
        framing = {self._ids.get(c) for c in (DISCUSSION, ADVICE, REPORTED, RETOLD, VERDICT)}
        verdict = self._ids.get(VERDICT)
        negation = self._ids.get(NEGATION)
        negations = [o for o in occurrences if o.concept == negation]

        def frames(o: Occurrence) -> bool:
            # a verdict the writer negates is no verdict ("not fake", "bukan palsu")
            return o.concept in framing and not (
                o.concept == verdict and _negated(o, negations, VERDICT_NEGATION_REACH))

        if intro is not None:
            # (not advice: "SCAM ALERT: ... contact verified recovery support" is the
            # recovery scam's own heading)
            advice = self._ids.get(ADVICE)
            if any(frames(o) and o.concept != advice and o.start < intro[0]
                   for o in occurrences):
                return (intro,)
            return ()

        last = 0
        rest = []
        for a, b in spans:
            rest.append(text[last:a])
            last = b
        rest.append(text[last:])
        outer = "".join(rest)
        # a question ends a sentence; the "?" that opens a link's query string does not
        if asks(outer) or any(frames(o) and not within(o.start, spans) for o in occurrences):
            return tuple(spans)
        return ()

    def _kept(
        self, raw: list[tuple[int, int, int, frozenset[str]]], allowed: frozenset[str] | None,
        url_spans: list[tuple[int, int]], path_spans: list[tuple[int, int]],
    ) -> list[tuple[int, int, int, frozenset[str]]]:
        """The occurrences that count, in one pass: markers are dropped, and phrases of
        languages the message is clearly not written in (English phrases stay for every
        concept but the guards); guards written inside a link's address do not count either (a
        news link ending in '-scam-warning' does not make a transfer request advice), nor the
        concepts that exclude a rule written in its path (a pasted source "news.example/
        awas-modus-penipuan" retells nothing; the host may be the brand's own site, which
        some rules are excluded by: "cskh.evnspc.vn")."""
        languages = bool(self._languages)
        markers, guards, unless = self._markers, self._guards, self._unless
        kept = []
        for item in raw:
            concept, start, _e, langs = item
            # English phrases count in a message of any language, except guards
            if languages and (concept in markers or not (
                    allowed is None or langs & allowed
                    or ("en" in langs and concept not in guards))):
                continue
            if url_spans and concept in unless and (
                    within(start, path_spans)
                    or (concept in guards and within(start, url_spans))):
                continue
            kept.append(item)
        return kept

    def message_languages(
        self, raw: Sequence[tuple[int, int, int, frozenset[str]]], message: Message
    ) -> frozenset[str] | None:
        """The languages a message clearly reads as (families expanded), or None."""
        evidence: dict[str, int] = defaultdict(int)
        for concept, _s, _e, _l in raw:
            lang = self._markers.get(concept)
            if lang is not None:
                evidence[lang] += 1
        folded = message.text.folded[:SCRIPT_WINDOW]
        # every script is written in letters beyond ASCII: an ASCII text holds none
        for language in () if folded.isascii() else self._languages:
            if language.script is not None:
                # One stray letter (a garbled "Â") is not a language: evidence grows with
                # the number of the script's letters, up to SCRIPT_EVIDENCE.
                found = 0
                for _letter in language.script.finditer(folded, 0, SCRIPT_WINDOW):
                    found += 1
                    if found == SCRIPT_EVIDENCE:
                        break
                evidence[language.code] += found
        declared = message.request.lang
        if declared:
            evidence[declared.split("-")[0]] += LANG_EVIDENCE
        strongest = max(evidence.values(), default=0)
        if strongest < MIN_EVIDENCE:
            return None
        floor = max(MIN_EVIDENCE, EVIDENCE_SHARE * strongest)
        allowed: set[str] = set()
        for language in self._languages:
            # the declared language (the chat's) always counts: a Malay frame around an
            # English quotation ("ss DM yg aku dapat: “Hi I'm from support...” lawak") is
            # outweighed by the quotation's markers, not absent
            if evidence.get(language.code, 0) >= floor or (
                    declared and language.code == declared.split("-")[0]):
                allowed |= language.family
        return frozenset(allowed) or None

    def _builtins(self, message: Message) -> frozenset[int]:
        folded = message.text.folded
        has_handle = bool(_HANDLE_RE.search(folded)) or any(
            getattr(link, "is_telegram", False) for link in message.links
        )
        # A link is something to open: a bare @handle or an e-mail address is not one.
        has_link = bool(_URLISH_RE.search(folded)) or any(
            getattr(link, "host", "") and getattr(link, "source", "") != "email"
            and not getattr(link, "handle", "")
            for link in message.links
        )
        # ...but an e-mail address is a way to reach somebody, as a handle is
        has_email = any(getattr(link, "source", "") == "email" for link in message.links)
        found = set()
        if has_link:
            found.add(self._ids["@link"])
        if has_handle:
            found.add(self._ids["@handle"])
        if has_link or has_handle or has_email:
            found.add(self._ids["@contact"])
        if getattr(message, "official_links", False):
            found.add(self._ids["@official_link"])
        if doubled_amounts(folded):
            found.add(self._ids["@doubled"])
        if has_address(message.text.raw):
            found.add(self._ids["@crypto_address"])
        return frozenset(found)

    def discussed(self, scan: Scan) -> bool:
        """The message asks about or reports a scam ("is this a scam?", "someone asked me"),
        or shows a message the writer got and gives their own verdict on it ("just got a DM
        from @x_support asking for my phrase ... reported and blocked", "แม่ได้ไลน์จาก ...
        ปลอมแน่นอน")."""
        by = scan.by_concept
        if self._ids.get(DISCUSSION) in by:
            return True
        return self._ids.get(RETOLD, -1) in by and self.judged(scan)

    def reported(self, scan: Scan) -> bool:
        """The writer reports what someone else did or said, or names the sender as an
        impersonator ("my dad got a call from a fake officer", "我爸接到冒充警察的电话").
        A scope signal only: unlike `discussed`, it cancels no rule."""
        return self._ids.get(REPORTED, -1) in scan.by_concept

    def offered_after(self, scan: Scan, text: str) -> bool:
        """After every sentence that discusses or reports, a later one offers the reader
        something ("katanya ada jatah IPO ... mau aku mintain slot?", "he said it lists next
        week. want the contract address?"): hearsay that ends in a pitch. An offer the
        report itself holds ("问我要不要试": he asked me whether I'd try) is reported too, and
        one inside quotation marks (of the skeleton `text`) is the quoted sender's."""
        by = scan.by_concept
        offers = by.get(self._ids.get(INVITE_OFFER, -1), ())
        framing = [o for c in (DISCUSSION, REPORTED, RETOLD)
                   for o in by.get(self._ids.get(c, -1), ())]
        if not offers or not framing:
            return False
        last = max(o.sentence for o in framing)
        return any_unquoted((o.start for o in offers if o.sentence > last), text)

    def calls_others(self, scan: Scan, text: str) -> bool:
        """After a story (CALL_AFTER characters at least: a heading "for those who haven't
        claimed yet: ..." is an announcement's), and outside quotation marks of the skeleton
        `text`, the writer calls the readers who have not yet claimed or joined to do what
        they did ("真收到了 ... 还没领的扫一下群里那张二维码", "natanggap ko talaga ... Di pa
        nakaclaim? punta kayo sa page"): a testimonial that ends in a pitch, whatever words of
        a report tell its story (see Detector._takes_back)."""
        calls = scan.by_concept.get(self._ids.get(CALL_OTHERS, -1), ())
        return any_unquoted((o.start for o in calls if o.start >= CALL_AFTER), text)

    def judged(self, scan: Scan) -> bool:
        """The writer gives their own verdict ("fake", "palsu", "giả rồi", "假的"), not
        negated ("not fake", "bukan palsu"), and gives no advice: "beware of fake sites, the
        only official one is ..." is a scam's own opener, the verdict aimed elsewhere."""
        found = scan.by_concept.get(self._ids.get(VERDICT, -1), ())
        advice = scan.by_concept.get(self._ids.get(ADVICE, -1), ())
        # a heading that names the scam is the writer's own verdict, not advice
        if not found or len(advice) > scan.heading:
            return False
        return bool(self.verdicts(scan))

    def found(self, scan: Scan, concept: str) -> Sequence[Occurrence]:
        """The occurrences of one concept in a scanned message (none when no lexicon has it)."""
        return scan.by_concept.get(self._ids.get(concept, -1), ())

    def verdicts(self, scan: Scan) -> list[Occurrence]:
        """The writer's verdicts that are not negated, wherever they stand."""
        found = scan.by_concept.get(self._ids.get(VERDICT, -1), ())
        if not found:
            return []
        negations = self.negations(scan)
        return [o for o in found if not _negated(o, negations, VERDICT_NEGATION_REACH)]

    def advice_at(self, scan: Scan) -> int | None:
        """The first sentence with safety advice ("beware of...", "stay safe"), if any. A
        warning frames its own sentence and what follows; advice appended in a later sentence
        ("Send me your phrase. Stay safe!") does not take a request back."""
        advice = scan.by_concept.get(self._ids.get(ADVICE, -1), ())
        return min((o.sentence for o in advice), default=None)

    def framed(self, scan: Scan, cover: bool | None = None) -> bool:
        """The message as a whole discusses a scam, or opens with safety advice (a warning
        that introduces a quoted scam), unless a later sentence uses it as cover to ask for
        a secret (`cover`: `asks_again(scan)`, computed here when not given)."""
        advice = scan.by_concept.get(self._ids.get(ADVICE, -1), ())
        if not (self.discussed(scan) or any(o.sentence == 0 for o in advice)):
            return False
        return not (self.asks_again(scan) if cover is None else cover)

    def fired(self, message: Message) -> list[PatternRule]:
        """The rules that fire on a message, in rule-file order."""
        if not self.rules:
            return []
        scan = message.scan if isinstance(message.scan, Scan) else self.scan(message)
        if not scan.occurrences:
            return []
        discussed = self.discussed(scan)
        advice_at = self.advice_at(scan)
        negations = self.negations(scan)
        resumed = self._resumed(scan, advice_at) if advice_at is not None else frozenset()
        if discussed:
            # a discussion frames the message, but not a later sentence of the writer's own
            # that asks for a secret (`_asked_after_discussion`): there, as after advice
            discussed_at, asked = self._asked_after_discussion(scan)
            if asked:
                discussed = False
                advice_at = discussed_at if advice_at is None else min(advice_at, discussed_at)
                resumed = asked
        out: list[_CompiledRule] = []
        for head in (*scan.by_concept, *scan.builtins):
            for compiled in self._by_head.get(head, ()):
                if not compiled.guarded:
                    # the words of a frame do not stop it (its scams use them), but a head
                    # inside a quotation the text around it frames is somebody else's words
                    if self._rule_holds(compiled, scan, [], None):
                        out.append(compiled)
                elif not discussed and self._rule_holds(
                        compiled, scan, negations, advice_at, resumed=resumed):
                    out.append(compiled)
        out.sort(key=lambda c: c.index)
        return [c.rule for c in out]

    def negations(self, scan: Scan) -> list[Occurrence]:
        """Negations of the message, less those inside a not_negation phrase."""
        negation = self._ids.get(NEGATION)
        found = scan.by_concept.get(negation, []) if negation is not None else []
        exempt = scan.by_concept.get(self._ids.get(NOT_NEGATION, -1), [])
        if not found or not exempt:
            return list(found)
        return [n for n in found
                if not any(e.start <= n.start and n.end <= e.end for e in exempt)]

    def _secret_asked(self, scan: Scan, advice_at: int) -> set[int]:
        """Sentences after the advice that ask, unnegated and outside quotations, for a
        recovery phrase, key, password or code."""
        ids, by = self._ids, scan.by_concept
        secret = {o.sentence for c in SECRETS for o in by.get(ids.get(c, -1), ())
                  if o.sentence > advice_at}
        if not secret:
            return set()
        negations = self.negations(scan)
        quotes = scan.framed_quotes
        asked = {o.sentence for c in REQUESTS for o in by.get(ids.get(c, -1), ())
                 if o.sentence in secret and not _negated(o, negations)
                 and not within(o.start, quotes)}
        # a sentence that advises, reports or discusses is no request of the writer's
        framing = (ADVICE, REPORTED, DISCUSSION)
        return asked - {o.sentence for c in framing for o in by.get(ids.get(c, -1), ())}

    def asks_again(self, scan: Scan) -> bool:
        """Advice used as cover: after the message's first advice, a sentence asks for a
        secret again ("we will NEVER DM you first. ... reply here with your recovery
        phrase"); or a discussion used so (`_asked_after_discussion`). Such a frame frames
        nothing."""
        advice_at = self.advice_at(scan)
        if advice_at is not None and self._secret_asked(scan, advice_at):
            return True
        return bool(self._asked_after_discussion(scan)[1])

    def _asked_after_discussion(self, scan: Scan) -> tuple[int, frozenset[int]]:
        """Discussion used as cover: the first sentence that discusses a scam, and the later
        sentences that ask the reader, unnegated and outside quotations, for a recovery
        phrase, key, password or code ("I got a message that your Tradera account is used
        for another sale. can you send the code that comes by SMS to confirm it is yours?").
        A sentence that retells what someone said ("dia kata ... kena bagi kod OTP") is
        theirs, not a request of the writer's; and a discussion that asks about a message
        ("Is this a scam? send your seed phrase to verify") is followed by the message it
        asks about, pasted."""
        found = scan.by_concept.get(self._ids.get(DISCUSSION, -1), ())
        if not found:
            return -1, frozenset()
        at = min(o.sentence for o in found)
        if at in scan.questions:
            return at, frozenset()
        asked = self._secret_asked(scan, at)
        if asked:
            asked -= {o.sentence for o in scan.by_concept.get(self._ids.get(RETOLD, -1), ())}
        return at, frozenset(asked)

    def _resumed(self, scan: Scan, advice_at: int) -> frozenset[int]:
        """Sentences after the advice that address a request to the writer ("we never ask
        for your password. Just send me the code you got"), ask for a secret again ("...
        reply here with your recovery phrase"), or open a request again with a polite
        imperative or a "however" ("... Tuy nhiên mã OTP vừa gửi cần được đọc lại"): advice
        frames what follows until the writer asks for something themselves, outside
        quotation marks."""
        me = self._ids.get(ME, -1)
        advice = self._ids.get(ADVICE, -1)
        quotes = scan.framed_quotes
        out = {o.sentence
               for c in (me, self._ids.get(RESUME, -1)) for o in scan.by_concept.get(c, ())
               if o.sentence > advice_at and not within(o.start, quotes)}
        out |= self._secret_asked(scan, advice_at)
        if out:
            out -= {o.sentence for o in scan.by_concept.get(advice, ())}
        return frozenset(out)

    def _before_advice(self, scan: Scan, o: Occurrence, limit: int) -> bool:
        """The occurrence stands before the message's first advice: in an earlier sentence,
        or in the advice's own sentence (`limit`) no later than the advice's first words (a
        guard that is advice too, "TIDAK ADA biaya", opens it)."""
        if o.sentence != limit:
            return o.sentence < limit
        advice = scan.by_concept.get(self._ids.get(ADVICE, -1), ())
        return o.start <= min((a.start for a in advice if a.sentence == limit), default=-1)

    def _rule_holds(
        self,
        rule: _CompiledRule,
        scan: Scan,
        negations: Sequence[Occurrence],
        advice_at: int | None,
        quotes: tuple[tuple[int, int], ...] | None = None,
        resumed: frozenset[int] = frozenset(),
    ) -> bool:
        """The rule's concepts meet in one sentence (or the message), with a head that is
        neither negated, nor in or after the first sentence of safety advice (unless a
        `resumed` sentence: the writer's own request again), nor inside a quotation that the
        text around it discusses."""
        limit = len(scan.occurrences) + 10**9 if advice_at is None else advice_at

        if quotes is None:
            quotes = scan.framed_quotes

        def live(h: Occurrence) -> bool:
            if quotes and within(h.start, quotes):
                return False
            return (h.sentence < limit or h.sentence in resumed) and not _negated(h, negations)

        by = scan.by_concept
        for concept in rule.required:
            if not scan.has(concept):
                return False
        if rule.message_scope:
            if quotes:
                # a quotation the text around it frames is somebody else's words: a rule of
                # the whole message meets only in the writer's own ("Fick mejl: “Kronofogden:
                # ... utmätning”. Kronofogden mejlar inte så")
                def own(concept: int) -> bool:
                    return concept in scan.builtins or any(
                        not within(o.start, quotes) for o in by.get(concept, ()))
                if not all(own(c) for c in rule.required) or (
                        rule.any and not any(own(c) for c in rule.any)):
                    return False
            elif rule.any and not any(scan.has(c) for c in rule.any):
                return False
            # a guard counts before the first safety advice: advice appended to a scam
            # ("beware of job scams") must not clear the scam it follows; a guard that opens
            # the advice's own sentence is the writer's statement ("TIADA bayaran, admin
            # takkan PM dulu": no fee, and then the advice)
            if any(
                c in scan.builtins or any(self._before_advice(scan, o, limit)
                                          for o in by.get(c, ()))
                for c in rule.not_
            ):
                return False
            heads = by.get(rule.head, ())
            return any(live(h) for h in heads) if heads else advice_at is None
        # sentence scope: the sentences where every required concept occurs
        common: set[int] | None = None
        for concept in rule.required:
            if concept in scan.builtins and concept not in by:
                continue
            sentences = {occ.sentence for occ in by[concept]}
            common = sentences if common is None else common & sentences
            if not common:
                return False
        if common is None:
            return False
        for sentence in sorted(common):
            if rule.any and not any(
                c in scan.builtins or any(o.sentence == sentence for o in by.get(c, ()))
                for c in rule.any
            ):
                continue
            if any(
                c in scan.builtins or any(o.sentence == sentence for o in by.get(c, ()))
                for c in rule.not_
            ):
                continue
            heads = [o for o in by.get(rule.head, ()) if o.sentence == sentence]
            if any(live(h) for h in heads) if heads else advice_at is None:
                return True
        return False

    def check(self, message: Message, context: ChatContext) -> Iterable[Hit]:
        return [rule.hit for rule in self.fired(message)]


def _char_offsets(encoded: bytes) -> list[int]:
    """For every byte offset of a UTF-8 text (and its end), the character offset."""
    data = np.frombuffer(encoded, dtype=np.uint8)
    offsets = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum((data & 0xC0) != 0x80, out=offsets[1:])
    return offsets.tolist()


def _negated(head: Occurrence, negations: Sequence[Occurrence],
             reach: int = NEGATION_REACH) -> bool:
    """A negation in the head's clause shortly before it ("never share"). Verb-second
    phrasing ("dela aldrig") is written in the lexicons as advice. A head that holds its
    own negation is a negative order ("kontakta inte supporten": don't contact support);
    the negation of an earlier verb ("avsluta inte chatten och kontakta inte ...") does
    not undo it."""
    before = False
    for n in negations:
        if n.clause != head.clause:
            continue
        if head.start <= n.start < head.end:
            return False
        if n.start < head.start and head.start - n.end <= reach:
            before = True
    return before


# -- loading ------------------------------------------------------------------------------


def _as_list(value: Any, what: str, source: str, line: int) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise RuleFileError(source, line, f"{what} must be a list")
    return value


@dataclass
class _Builder:
    """Collects lexicons and rules, then compiles them into PatternRules."""

    errors: list[RuleFileError] = field(default_factory=list)
    phrases: dict[str, list[tuple[str, _Term]]] = field(default_factory=dict)
    regexes: list[tuple[str, str, str, int, str]] = field(default_factory=list)
    concept_langs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    languages: list[str] = field(default_factory=list)
    rules: list[PatternRule] = field(default_factory=list)
    terms: dict[str, list[tuple[str, bool, bool, str, str | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    languages_spec: list[_Language] = field(default_factory=list)
    markers: list[tuple[str, str]] = field(default_factory=list)

    def error(self, source: str, line: int, message: str) -> None:
        self.errors.append(RuleFileError(source, line, message))

    # lexicons ------------------------------------------------------------------------------

    def add_lexicon(self, data: Any, source: str) -> None:
        if not isinstance(data, dict):
            self.error(source, line_of(data, 1), "a lexicon must be a mapping with 'lang' and "
                       "'concepts'")
            return
        unknown = set(data) - {"lang", "concepts", "notes"}
        for key in sorted(unknown):
            self.error(source, line_of(data), f"unknown key {key!r}")
        lang = data.get("lang")
        if not isinstance(lang, str) or not _LANG_RE.match(lang):
            self.error(source, line_of(lang, line_of(data)), "'lang' must be a language code "
                       "such as en, vi, zh")
            return
        if lang in self.languages:
            self.error(source, line_of(lang), f"language {lang!r} already has a lexicon")
            return
        self.languages.append(lang)
        names = lang == NAMES_LANG
        concepts = data.get("concepts")
        if not isinstance(concepts, dict):
            self.error(source, line_of(data), "'concepts' must be a mapping of concept: "
                       "[phrases]")
            return
        for name, terms in concepts.items():
            line = line_of(name, line_of(concepts))
            if not _NAME_RE.match(name):
                self.error(source, line, f"concept name {name!r}: use lower_snake_case")
                continue
            if not isinstance(terms, list) or not terms:
                self.error(source, line_of(terms, line), f"concept {name!r}: give a list of "
                           "phrases")
                continue
            if names and name in GUARD_CONCEPTS:
                self.error(source, line, f"concept {name!r} is a guard: its phrases belong in "
                           "each language's lexicon, not in the names")
                continue
            self.concept_langs[name].add(lang)
            # (names match as English phrases do: in a message of every language)
            for term in terms:
                self._add_term(name, term, source, line_of(term, line), "en" if names else lang)

    def _add_term(self, concept: str, term: Any, source: str, line: int, lang: str) -> None:
        if isinstance(term, bool) or term is None:
            self.error(source, line, f"concept {concept!r}: YAML read this phrase as "
                       f"{term!r}; put it in quotes (YAML takes no, yes, on, off as true / "
                       "false)")
            return
        if not isinstance(term, str | int | float) or not str(term).strip():
            self.error(source, line, f"concept {concept!r}: a phrase must be non-empty text")
            return
        text = str(term).strip()
        if len(text) > 2 and text.startswith("/") and text.endswith("/"):
            # Chinese is matched in Simplified: fold a pattern's Traditional characters too
            # (regex syntax is ASCII, so it is left as it is).
            pattern = simplified(text[1:-1])
            try:
                re2.compile(pattern, _RE2_OPTIONS)
            except re2.error as exc:
                reason = exc.args[0].decode() if exc.args and isinstance(
                    exc.args[0], bytes) else str(exc)
                self.error(source, line, f"concept {concept!r}: invalid regular expression "
                           f"/{pattern}/: {reason} (RE2 syntax: no look-around or "
                           "back-references)")
                return
            unseen = _unnormalised_signs(pattern)
            if unseen:
                self.error(source, line, f"concept {concept!r}: regular expression "
                           f"/{pattern}/ has {unseen!r}, which never occurs in normalised text "
                           f"(write {skeleton(unseen)!r}: lower case, no diacritics or tone "
                           "marks)")
                return
            self.regexes.append((concept, pattern, source, line, lang))
            return
        prefix = text.endswith("*")
        body = skeleton(text.rstrip("*")).strip()
        if "*" in body:
            self.error(source, line, f"concept {concept!r}: '*' is only allowed at the end")
            return
        if len(body) < 2:
            self.error(source, line, f"concept {concept!r}: phrase {term!r} is too short to "
                       "match safely")
            return
        bounded = not _spaceless(body)
        self.terms[concept].append(
            (body, bounded, prefix, lang, _toned(text.rstrip("*").strip(), body)))

    # languages -----------------------------------------------------------------------------

    def add_languages(self, data: Any, source: str) -> None:
        """rules/languages.yaml: markers and scripts that tell a message's languages."""
        langs = data.get("languages") if isinstance(data, dict) else None
        if not isinstance(langs, dict):
            self.error(source, line_of(data, 1), "expected 'languages:' mapping code: {...}")
            return
        families: dict[str, set[str]] = defaultdict(set)
        specs: list[tuple[str, str | None, Any, frozenset[str]]] = []
        for code, spec in langs.items():
            line = line_of(code, line_of(langs))
            if not _LANG_RE.match(code) or not isinstance(spec, dict):
                self.error(source, line, f"language {code!r}: expected a code and a mapping")
                continue
            for key in spec:
                if key not in ("markers", "script", "script_ranges", "family", "mixes"):
                    self.error(source, line_of(key, line), f"language {code}: unknown key "
                               f"{key!r}")
            for marker in spec.get("markers") or []:
                if not isinstance(marker, str) or len(skeleton(marker).strip()) < 2:
                    self.error(source, line_of(marker, line), f"language {code}: marker "
                               f"{marker!r} must be a word of two letters or more")
                    continue
                self.markers.append((code, skeleton(marker).strip()))
            ranges = "".join(str(r) for r in spec.get("script_ranges") or [])
            letters = re.escape(str(spec.get("script") or ""))
            try:
                script = re.compile(f"[{ranges}{letters}]") if ranges or letters else None
            except re.error as exc:
                self.error(source, line, f"language {code}: bad script_ranges: {exc}")
                continue
            family = spec.get("family")
            families[str(family) if family else code].add(code)
            mixes = spec.get("mixes") or []
            if not isinstance(mixes, list) or not all(
                    isinstance(m, str) and m in langs for m in mixes):
                self.error(source, line, f"language {code}: mixes must list language codes of "
                           "this file")
                mixes = []
            specs.append((code, str(family) if family else None, script, frozenset(mixes)))
        self.languages_spec = [
            _Language(code, frozenset(families[family or code]) | mixes, script)
            for code, family, script, mixes in specs
        ]

    # rules ---------------------------------------------------------------------------------

    def add_rules(self, data: Any, source: str) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
            self.error(source, line_of(data, 1), "a pattern file must have a 'rules:' list")
            return
        for key in sorted(set(data) - {"rules", "notes"}):
            self.error(source, line_of(data), f"unknown key {key!r}")
        for item in data["rules"]:
            try:
                self.rules.append(self._parse_rule(item, source))
            except RuleFileError as exc:
                self.errors.append(exc)

    def _parse_rule(self, item: Any, source: str) -> PatternRule:
        if not isinstance(item, LDict):
            raise RuleFileError(source, line_of(item), "each rule must be a mapping")
        line = item.line
        allowed = {"id", "category", "severity", "reason", "all", "any", "not", "scope",
                   "guarded", "examples", "notes"}
        for key in item:
            if key not in allowed:
                raise RuleFileError(source, line_of(key, line), f"unknown key {key!r}")
        rid = item.get("id")
        if not isinstance(rid, str) or not _ID_RE.match(rid):
            raise RuleFileError(source, line, "'id' must be lower-case letters, digits, '.', "
                                "'-' or '_' (e.g. key-request.seed-phrase)")
        where = f"rule {rid}"
        category = item.get("category")
        if not isinstance(category, str) or not _NAME_RE.match(category):
            raise RuleFileError(source, line_of(category, line), f"{where}: 'category' must be "
                                "lower_snake_case")
        try:
            severity = Severity.parse(str(item.get("severity", "")))
        except ValueError as exc:
            raise RuleFileError(source, line_of(item.get("severity"), line),
                                f"{where}: {exc}") from None
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise RuleFileError(source, line, f"{where}: 'reason' must say why in plain words")
        concepts: dict[str, tuple[str, ...]] = {}
        for key in ("all", "any", "not"):
            values = _as_list(item.get(key), f"{where}: '{key}'", source, line)
            if not all(isinstance(v, str) and v for v in values):
                raise RuleFileError(source, line_of(item.get(key), line),
                                    f"{where}: '{key}' must list concept names")
            concepts[key] = tuple(str(v) for v in values)
        if not concepts["all"]:
            raise RuleFileError(source, line, f"{where}: 'all' must name at least one concept")
        scope = item.get("scope", "sentence")
        if scope not in SCOPES:
            raise RuleFileError(source, line_of(scope, line),
                                f"{where}: 'scope' must be one of {', '.join(SCOPES)}")
        guarded = item.get("guarded", True)
        if not isinstance(guarded, bool):
            raise RuleFileError(source, line, f"{where}: 'guarded' must be true or false")
        match, no_match = self._parse_examples(item.get("examples"), where, source, line)
        return PatternRule(
            id=rid, category=category, severity=severity, reason=reason.strip(),
            all=concepts["all"], any=concepts["any"], not_=concepts["not"], scope=str(scope),
            guarded=guarded, match=match, no_match=no_match, source=source, line=line,
        )

    def _parse_examples(
        self, data: Any, where: str, source: str, line: int
    ) -> tuple[tuple[Example, ...], tuple[Example, ...]]:
        if not isinstance(data, dict):
            raise RuleFileError(source, line, f"{where}: needs 'examples' with 'match' and "
                                "'no_match' lists")
        out: dict[str, list[Example]] = {"match": [], "no_match": []}
        for key in data:
            if key not in out:
                raise RuleFileError(source, line_of(key, line),
                                    f"{where}: examples: unknown key {key!r}")
        for key in out:
            items = data.get(key)
            if not isinstance(items, list) or not items:
                raise RuleFileError(source, line_of(items, line_of(data, line)),
                                    f"{where}: needs at least one '{key}' example")
            for ex in items:
                if isinstance(ex, str):
                    out[key].append(Example(str(ex), None, line_of(ex, line)))
                elif isinstance(ex, dict) and isinstance(ex.get("text"), str):
                    lang = ex.get("lang")
                    out[key].append(Example(str(ex["text"]), str(lang) if lang else None,
                                            line_of(ex, line)))
                else:
                    raise RuleFileError(source, line_of(ex, line), f"{where}: an example is "
                                        "a text or {text: ..., lang: ...}")
        return tuple(out["match"]), tuple(out["no_match"])

    # compile -------------------------------------------------------------------------------

    def build(self) -> PatternRules:
        # the names lexicon is no language: each language counts as having its concepts
        spoken = [lang for lang in self.languages if lang != NAMES_LANG]
        for langs in self.concept_langs.values():
            if NAMES_LANG in langs:
                langs.discard(NAMES_LANG)
                langs.update(spoken)
        seen: dict[str, PatternRule] = {}
        for rule in self.rules:
            if rule.id in seen:
                self.error(rule.source, rule.line, f"duplicate rule id {rule.id!r} (first at "
                           f"{seen[rule.id].location})")
            seen[rule.id] = rule
        defined = set(self.concept_langs) | BUILTIN_CONCEPTS
        for rule in self.rules:
            for name in (*rule.all, *rule.any, *rule.not_):
                if name not in defined:
                    self.error(rule.source, rule.line, f"rule {rule.id}: concept {name!r} is "
                               "not defined in any lexicon")
        if self.errors:
            raise RuleSetError(self.errors)

        names = sorted(defined | set(GUARD_CONCEPTS))
        ids = {name: i for i, name in enumerate(names)}
        automaton = None
        marker_ids: dict[int, str] = {}
        for code, _marker in self.markers:
            name = _MARKER + code
            if name not in ids:
                ids[name] = len(ids)
                marker_ids[ids[name]] = code
        grouped: dict[tuple[str, int, bool, bool], set[str]] = defaultdict(set)
        # the written forms of a phrase's entries; None once one entry needs none
        toned: dict[tuple[str, int, bool, bool], set[str] | None] = {}
        for concept, written in self.terms.items():
            for body, bounded, prefix, lang, form in written:
                key = (body, ids[concept], bounded, prefix)
                grouped[key].add(lang)
                forms = toned.get(key, set())
                toned[key] = None if form is None or forms is None else forms | {form}
        for code, marker in self.markers:
            grouped[(marker, ids[_MARKER + code], True, False)].add(code)
        entries: dict[str, list[_Term]] = defaultdict(list)
        for key, langs in grouped.items():
            body, concept_id, bounded, prefix = key
            forms = toned.get(key)
            entries[body].append(_Term(concept_id, frozenset(langs), bounded,
                                       bounded and not prefix,
                                       frozenset(forms) if forms else None))
        if entries:
            automaton = ahocorasick.Automaton()
            for body, terms in entries.items():
                automaton.add_word(body, (len(body), tuple(terms)))
            automaton.make_automaton()
        regex_set = None
        regexes: list[tuple[int, Any, frozenset[str], Any]] = []
        if self.regexes:
            regex_set = Prefilter([pattern for _c, pattern, _s, _l, _lang in self.regexes])
            for concept, pattern, _source, _line, lang in self.regexes:
                regexes.append((ids[concept], re2.compile(pattern, _RE2_OPTIONS),
                                frozenset({lang}),
                                re2.compile(pattern.encode("utf-8"), _SPAN_OPTIONS)))
        by_head: dict[int, list[_CompiledRule]] = defaultdict(list)
        for index, rule in enumerate(self.rules):
            compiled = _CompiledRule(rule, ids, index)
            by_head[compiled.head].append(compiled)
        return PatternRules(
            rules=tuple(self.rules),
            concepts=tuple(names),
            languages=tuple(sorted(spoken)),
            concept_langs={k: frozenset(v) for k, v in self.concept_langs.items()},
            phrase_count=sum(map(len, self.terms.values())) + len(self.regexes),
            _automaton=automaton,
            _regex_set=regex_set,
            _regexes=tuple(regexes),
            _by_head={k: tuple(v) for k, v in by_head.items()},
            _ids=ids,
            _guards=frozenset(ids[g] for g in GUARD_CONCEPTS),
            _unless=frozenset(ids[g] for g in GUARD_CONCEPTS).union(
                ids[c] for rule in self.rules for c in rule.not_ if c in ids),
            _answered_frames=frozenset(ids[c] for c in _ANSWERED_FRAMES if c in ids),
            _growth=frozenset(ids[c] for c in GROWTH if c in ids),
            _markers=marker_ids,
            _languages=tuple(self.languages_spec),
        )


def _unnormalised_signs(pattern: str) -> str:
    """Letters, marks and punctuation written in a regular expression that normalisation
    removes or changes (a full-width "？" is "?" in the skeleton), so the expression could
    never match them (escapes such as \\B or \\S are skipped)."""
    # Unicode classes (\\p{Han}), POSIX classes ([:alpha:]) and group names are not text.
    literal = re.sub(r"\\[pP]\{[^}]*\}|\\[pP]\w|\[:\^?\w+:\]|\(\?P?<\w+>", "", pattern)
    out = []
    escaped = False
    for c in literal:
        if escaped:
            escaped = False
            continue
        if c == "\\":
            escaped = True
            continue
        if (c.isalpha() or unicodedata.category(c)[0] in "MPS") and skeleton(c) != c:
            out.append(c)
    return "".join(dict.fromkeys(out))


def compile_pattern_rules(
    lexicons: Iterable[tuple[Any, str]],
    pattern_files: Iterable[tuple[Any, str]],
    languages: tuple[Any, str] | None = None,
) -> PatternRules:
    """Build PatternRules from parsed documents `(data, source)`; pure, for tests and tools."""
    builder = _Builder()
    if languages is not None:
        builder.add_languages(*languages)
    for data, source in lexicons:
        builder.add_lexicon(data, source)
    for data, source in pattern_files:
        builder.add_rules(data, source)
    return builder.build()


def load_pattern_rules(rules_dir: Path) -> PatternRules:
    """Read `lexicon/*.yaml` and `patterns/*.yaml` under the rules directory."""
    errors: list[RuleFileError] = []

    def read_all(folder: str) -> list[tuple[Any, str]]:
        docs = []
        for path in sorted((rules_dir / folder).glob("*.yaml")):
            try:
                docs.append((read_yaml(path), str(path)))
            except RuleFileError as exc:
                errors.append(exc)
        return docs

    lexicons = read_all("lexicon")
    patterns = read_all("patterns")
    languages = None
    languages_path = rules_dir / "languages.yaml"
    if languages_path.exists():
        try:
            languages = (read_yaml(languages_path), str(languages_path))
        except RuleFileError as exc:
            errors.append(exc)
    try:
        rules = compile_pattern_rules(lexicons, patterns, languages)
    except RuleSetError as exc:
        errors.extend(exc.errors)
        raise RuleSetError(errors) from None
    if errors:
        raise RuleSetError(errors)
    return rules
