"""Scope signals of a message: what frames its words, in every script.

A scam asks the reader for something; a safety tip, a question about a message or a member
reporting what someone sent them uses the same words in another frame. The signals here are
structural, not phrase lists: quotation marks of every script mark text the writer did not
say themselves (“…”, "…", '…', «…», 「…」, 『…』, ‘…’, „…“, and a colon that introduces a forwarded
text: "quoting the DM I got: ..."), a question mark ends a question, and the lexicons' advice,
discussion (reported speech, "someone asked me") and negation concepts place the writer
beside the request rather than behind it.

The learned combination (`bot.core.combine`) weighs these signals against the rule hits and
the text model; the text outside quotations is scored by the model on its own, so a quoted
scam inside a question weighs as the question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.links.brands import Brand

# Opening and closing marks of every script (ASCII single quotes: see _SINGLE).
_QUOTE_PAIRS = (
    ("\u201c", "\u201d"),  # “ ”
    ("\u201e", "\u201c"),  # „ “
    ("\u201e", "\u201d"),  # „ ”
    ("\u00ab", "\u00bb"),  # « »
    ("\u00bb", "\u00ab"),  # » « (Swedish, Danish)
    ("\u300c", "\u300d"),  # 「 」
    ("\u300e", "\u300f"),  # 『 』
    ("\u2018", "\u2019"),  # ‘ ’
    ("\u201d", "\u201d"),  # ” ” (Swedish)
    ('"', '"'),
    ("\uff02", "\uff02"),  # fullwidth "
)
# ASCII single quotes as quotation marks ('hi, I sent my code to your number by mistake'),
# the way people quote on a phone keyboard: an opening quote after a space or punctuation,
# a closing one before a space, punctuation or the end, and apostrophes only between
# letters inside (it's, don't). A possessive (the users' funds) neither opens nor closes.
# The letters are those of the scripts that write apostrophes in words (_APOSTROPHE_LETTER):
# Chinese and Thai have none, and a quote opens or closes right beside their characters
# ("骗子私信我'您好我是腾讯客服...',我回了句").
# The quote is written first and the look-behind checks the character before it
# (`'(?<!X')` rather than `(?<!X)'`): an expression whose every branch starts with a
# literal character lets the regex engine skip to the candidates instead of trying each
# branch at every position (ten times faster on a long message).
_APOSTROPHE_LETTER = "[^\\W\u0e00-\u0e7f\u2e80-\u9fff\u3040-\u30ff\uac00-\ud7af\uf900-\ufaff]"
_SINGLE = (rf"'(?<!{_APOSTROPHE_LETTER}')(?<!'')"
           rf"((?=\S)(?:[^'\n]|(?<={_APOSTROPHE_LETTER})'(?={_APOSTROPHE_LETTER})){{3,}}?(?<=\S))"
           rf"'(?!{_APOSTROPHE_LETTER}|')")
_QUOTE_RE = re.compile("|".join(
    [f"{re.escape(o)}([^{re.escape(o + c)}]{{3,}}){re.escape(c)}" for o, c in _QUOTE_PAIRS]
    + [_SINGLE]
))
# A colon after a few words, followed by a longer text: "got this DM: ...", "他们说：...";
# never one between two digits, which writes a time or a ratio ("ikväll kl 20:00 ...")
_INTRO_COLON = re.compile(r"^(.{3,60}?)(?:(?<!\d)[:：]|[:：](?!\d))\s*(\S.{20,})$", re.S)
# a question mark, not the one that opens a link's query ("view?u=88")
_QUESTION = re.compile(r"[?？](?![A-Za-z0-9_=&%])")


@dataclass(frozen=True, slots=True)
class Scope:
    """The frames of one message. `quoted` is the share of characters inside quotation
    marks (or after an introducing colon); `outside` is the text around them."""

    advice: bool = False
    advice_first: bool = False
    discussion: bool = False
    negation: bool = False
    question: bool = False
    quoted: float = 0.0
    outside: str | None = None
    # a quotation the text around it asks about, warns about or reports
    framed_quote: bool = False
    # a substantial quotation in quotation marks (not a text after a colon)
    marked: bool = False
    # the writer's own verdict ("fake", "palsu", "假的"), not negated: no frame for phrases
    # (scammers call other sites fake), but a link so judged is discussed (see Detector)
    judged: bool = False
    # advice used as cover: a later sentence asks for a secret ("we never DM first. Reply
    # here with your recovery phrase"); the message then frames nothing
    cover: bool = False
    # after the discussion or report, a later sentence offers the reader something: hearsay
    # that ends in a pitch ("my uncle says it lists next week ... want a slot?"); a signal
    # the learned combination weighs, no frame by itself
    offer: bool = False

    @property
    def framed(self) -> bool:
        """The writer stands beside the words rather than behind them: the message opens
        with advice, discusses or reports a scam, or quotes someone in quotation marks.
        These are no frame: a negation ("I do not wish my manager to know..."), a question
        alone ("can you forward me the code?"), a text after a colon ("Admin here: ..."),
        advice appended at the end ("Send me your phrase. Stay safe!")."""
        if self.cover:
            return False
        return self.advice_first or self.discussion or self.framed_quote or self.marked

    def names(self) -> tuple[str, ...]:
        """The signals that are on, for explanations and reports."""
        out = [name for name in ("advice", "discussion", "negation", "question")
               if getattr(self, name)]
        if self.quoted:
            out.append("quotation")
        return tuple(out)


def _substantial(match: re.Match[str]) -> bool:
    """Three words, or six characters of a script written without spaces: a quoted button
    label or a "scare-quoted" word is not a quotation."""
    inner = match.group(0)[1:-1]
    return len(inner.split()) >= 3 or sum(1 for c in inner if ord(c) >= 0x0E00) >= 6


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Spans of substantial quotations (see `_substantial`)."""
    return [m.span() for m in _QUOTE_RE.finditer(text) if _substantial(m)]


def within(position: int, spans: Iterable[tuple[int, int]]) -> bool:
    """Whether the offset falls inside one of these (start, end) spans."""
    return any(a <= position < b for a, b in spans)


def any_unquoted(starts: Iterable[int], text: str) -> bool:
    """Whether any of these offsets of `text` stands outside its substantial quotations."""
    starts = list(starts)
    if not starts:
        return False
    spans = quote_spans(text)
    return any(not within(start, spans) for start in starts)


def quoted_words(text: str) -> list[str]:
    """What stands alone in quotation marks as one word: an address, a handle, a name
    ("got a link to 'jup-bonus-claim.net'", "link ni 'shopee-refund-my.com'")."""
    out = []
    for m in _QUOTE_RE.finditer(text):
        inner = next((g for g in m.groups() if g is not None), "").strip()
        if inner and not any(c.isspace() for c in inner):
            out.append(inner)
    return out


def quotation(text: str) -> tuple[float, str | None]:
    """Share of `text` inside quotation marks of any script, and the text outside them."""
    return _quotation(text, [m.span() for m in _QUOTE_RE.finditer(text)])


def _quotation(text: str, spans: list[tuple[int, int]],
               senders: frozenset[str] = frozenset(),
               original: str | None = None) -> tuple[float, str | None]:
    if not text:
        return 0.0, None
    if not spans:
        m = _intro(text)
        if m is None or sender_tag(m.group(1), senders) or _titled(original):
            return 0.0, None
        return len(m.group(2)) / len(text), m.group(1)
    inside = sum(b - a for a, b in spans)
    parts, last = [], 0
    for a, b in spans:
        parts.append(text[last:a])
        last = b
    parts.append(text[last:])
    return inside / len(text), " ".join(p.strip() for p in parts if p.strip())


_PARENS = re.compile(r"\(([^)]*)\)")
# marks around a sender's tag ("[Globe]:", "【顺丰】：", "*Telia*:")
_TAG_MARKS = "[]()【】<>#*-_.,!"


def _intro(text: str) -> re.Match[str] | None:
    """A colon after a few words that introduces a text at least twice as long ("got this
    DM: ..."): group 1 the words before it, group 2 the text after it."""
    m = _INTRO_COLON.match(text)
    if m and len(m.group(2)) > 2 * len(m.group(1)) and not _looks_like_url(m.group(1)):
        return m
    return None


def intro_span(text: str) -> tuple[int, int] | None:
    """The text after an introducing colon, as a span (for a text without quotation marks)."""
    m = _intro(text)
    return (m.start(2), len(text)) if m else None


def sender_names(brands: Iterable[Brand]) -> frozenset[str]:
    """The folded names a notice from each brand or agency opens with: its name (with and
    without spaces, and the short form in its parentheses), aliases and domain labels."""
    out: set[str] = set()
    for brand in brands:
        for name in (brand.name, *brand.aliases, *brand.labels):
            name = name.casefold()
            for short in _PARENS.findall(name):
                out.add(short.strip().replace(" ", ""))
            out.add(_PARENS.sub("", name).strip().replace(" ", ""))
    out.discard("")
    return frozenset(out)


def sender_tag(head: str, senders: frozenset[str]) -> bool:
    """The words before a colon name who sends the text, the way a text message or a notice
    opens ("Telia:", "PhilHealth Advisory:", "Skatteverket informerar:"): a brand's or an
    agency's name (of `senders`) as the first of at most three words. What follows is the
    message itself, not a quotation of it (and so after a title, see `_titled`)."""
    words = head.split()
    if not words or len(words) > 3:
        return False
    return (words[0].strip(_TAG_MARKS) in senders
            or "".join(words).strip(_TAG_MARKS) in senders)


def _titled(original: str | None) -> bool:
    """The text as written opens with a title before its introducing colon: at most three
    words, each opening with a capital letter ("TNB:", "E-ZPass Notice:", "Chase Fraud
    Alert:"), a sender's name rather than a sentence that introduces somebody else's text
    ("Got this:", "Fick sms:"). The folded text has no capitals, so this reads the original;
    it is asked only when the folded text has such a colon and no registry name tags it."""
    m = _intro(original) if original is not None else None
    if m is None:
        return False
    words = [w for w in (w.strip(_TAG_MARKS) for w in m.group(1).split()) if w]
    return 0 < len(words) <= 3 and all(w[0].isupper() for w in words)


def _looks_like_url(head: str) -> bool:
    return head.rstrip().lower().endswith(("http", "https", "hxxp", "hxxps"))


# Thai asks with a particle at the end of a phrase, often without a question mark ("ของจริง
# ไม่ใช่เหรอ", "โอนไปแล้วได้คืนไหม"): tone marks optional (the skeleton drops them), and no Thai
# letter may follow ("ไหม้", burnt, is no question; "หรอก" is no particle of a question)
_THAI_QUESTION = re.compile(
    "(?:\u0e44\u0e2b\u0e21"                     # ไหม
    "|\u0e21\u0e31\u0e49?\u0e22"                # มั้ย, มัย
    "|\u0e40\u0e2b\u0e23\u0e2d|\u0e2b\u0e23\u0e2d"  # เหรอ, หรอ
    # หรือเปล่า, รึเปล่า
    "|(?:\u0e2b\u0e23\u0e37\u0e2d|\u0e23\u0e36)\u0e40\u0e1b\u0e48?\u0e25\u0e48?\u0e32"
    "|\u0e2b\u0e23\u0e37\u0e2d\u0e44\u0e21\u0e48?)"  # หรือไม่
    "(?![\u0e00-\u0e7f])")


def asks(text: str) -> bool:
    """The text has a question mark (of any script) that ends a question, or a Thai
    question particle that ends a phrase."""
    return (_QUESTION.search(text) is not None
            or _THAI_QUESTION.search(text) is not None)


def scope_of(folded: str, *, advice_at: int | None, discussion: bool,
             negation: bool, framed_quote: bool = False, judged: bool = False,
             cover: bool = False, offer: bool = False,
             senders: frozenset[str] = frozenset(), original: str | None = None) -> Scope:
    """Scope signals from the folded text and what the phrase scan found. `senders`: the
    folded names of brands and agencies; `original`: the text as written, whose capitals
    tell a sender's title (see `_titled`)."""
    matches = list(_QUOTE_RE.finditer(folded))
    share, outside = _quotation(folded, [m.span() for m in matches], senders, original)
    return Scope(
        advice=advice_at is not None,
        advice_first=advice_at == 0,
        discussion=discussion,
        negation=negation,
        question=asks(folded),
        quoted=share,
        outside=outside,
        framed_quote=framed_quote,
        marked=any(_substantial(m) for m in matches),
        judged=judged,
        cover=cover,
        offer=offer,
    )
