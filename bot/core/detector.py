"""The detector: prepares a message once, runs every check over it, combines the hits.

A check is any callable `check(message, context) -> Iterable[Hit]`; the detector holds a
tuple of them built from one immutable RuleSet, so a rule reload is a new Detector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from bot.core import impersonation, secrets
from bot.core.links import extract_links
from bot.core.links.context import BrandNamedLink, ShortenerContext
from bot.core.model import (
    DEFAULT_CONTEXT,
    VERDICTS,
    ChatContext,
    CheckRequest,
    Hit,
    Message,
    Severity,
    Verdict,
)
from bot.core.normalize import prepare, skeleton
from bot.core.patterns import BAN_REQUEST, CONTRAST, CREDIT, EXAMPLE_OF, RETOLD, VOUCH
from bot.core.ruleset import RuleSet
from bot.core.scope import asks, quoted_words, scope_of, sender_names, within
from bot.core.secrets import find_secrets
from bot.core.textmodel import ModelCheck

if TYPE_CHECKING:
    from bot.core.links.extract import Link

# Telegram caps a message at 4,096 characters and every check over one that long stays within
# a few milliseconds (see `scamguard bench`, worst case). Longer texts (captions joined with a
# quote, the CLI, the check API) are cut for matching to their head and tail, and the verdict
# records the cut.
MAX_TEXT = 4_096
_TAIL = 1_024


Check = Callable[[Message, ChatContext], Iterable[Hit]]

# Probability that a message is a scam given one hit of this severity; hits combine by
# noisy-OR. Thresholds per sensitivity: (suspicious, scam).
SEVERITY_WEIGHT = {
    Severity.LOW: 0.15,
    Severity.MEDIUM: 0.40,
    Severity.HIGH: 0.80,
    Severity.CRITICAL: 0.97,
}
THRESHOLDS = {
    "low": (0.75, 0.95),
    "normal": (0.40, 0.85),
    "high": (0.30, 0.78),
}


# Hits dropped when the message is framed as advice or as a question about a scam ("someone
# sent me this, is it a scam?"): a quoted template is discussed, not sent. Links, secrets and
# impersonation stay: they are dangerous whoever posts them.
FRAMED_OUT = ("similar.",)
# An unframed message's rule verdict is taken back below this learned score (see
# Detector._takes_back).
UNFRAMED_TAKE_BACK = 0.5
# A framed message's unguarded rule is taken back below this learned score.
UNGUARDED_TAKE_BACK = 0.3
# Without a frame, a critical phrase hit is taken back only below this learned score: the
# text model has to read the message as near-certainly not a scam despite the hit ("the
# tetangga asked me to pass on the code that came to my phone, turned out his WhatsApp was
# hijacked").
CRITICAL_TAKE_BACK = 0.05
# A message that gives advice but is no frame (a scam may append "stay safe") has its rule
# verdict taken back only below this learned score: advice sways the reading a little, never
# this far (a notice that "admins never ask for your recovery phrase" reads near zero).
ADVICE_TAKE_BACK = 0.05
# Without a frame, a rule verdict is taken back only in a text of chat length: the model
# learned from lines of at most ~500 characters, and its reading of a long text is the
# reading of whatever fills it ("lorem ipsum" x 2,000 and then a request for the recovery
# phrase reads as the filler). Padding a scam must not clear it.
TAKE_BACK_MAX_CHARS = 1_000
# Hits that stand in any frame (see Detector._stands).
STANDING = ("link.", "secret", "impersonation.", "handle.", "similar.", "domain.")
# Link hits read from a link's look alone, which a discussion of the link takes out of the
# standing ones (see Detector._stands); a listed bad domain stands in any frame.
DISCUSSABLE = ("link.brand-keyword", "link.brand-subdomain", "link.brand-word", "link.lookalike",
               "handle.lookalike")
# How far after a link the writer's verdict on it may stand ("x.com is totally fake").
VERDICT_REACH = 40
# How far after words that vouch for a contact ("the only official support is") the link or
# handle they vouch for may start.
VOUCH_REACH = 24
# How far after words that credit a contact ("thanks to", "via") its handle or link may start.
CREDIT_REACH = 8
# ... and from a request to ban to the handle it names, before or after the words
BAN_REACH = 24
# The categories whose scams are told as testimonials that credit a contact (a recovery
# agent, a "mentor", a giveaway's address): no frame takes such a testimonial back.
TESTIMONIAL_CATEGORIES = frozenset({"recovery", "investment", "giveaway", "job_task"})
# Link hits that the message's words make, not the link alone (a link carrying the name of the
# brand the message speaks for): the learned reading weighs them as it weighs phrases.
CONTEXTUAL = frozenset({"link.brand-named"})
# A shortened link is the story its message tells (a prize, an account threat) behind an address
# that hides where it leads; the story is words, which the learned reading weighs too. Posts
# copied from a social network carry its wrapped links (t.co) beside any news headline or
# thank-you ("Papa buat baik, anak dpt hadiah ... https://t.co/..."): the hit is taken back
# when the learned reading is near-certainly no scam, as a critical phrase is, and stands
# otherwise (a prize offer behind a shortener reads as a scam or near it).
SHORTENED = frozenset({"link.shortener-context", "link.shortener"})
SHORTENED_TAKE_BACK = CRITICAL_TAKE_BACK
# A follow-up (CheckRequest.follow_up: the same writer was flagged a short while ago in the
# same place) that the learned layer reads as more likely a scam than not is suspicious: the
# next step of a script often asks for nothing new ("did you decide? the pool closes
# tonight"), and what tells it from a friend's nudge is who sent the last message.
FOLLOW_UP_BAR = 0.5
FOLLOW_UP_RULE = "context.follow-up"


def combine(hits: Iterable[Hit]) -> float:
    """Noisy-OR of the hits' severity weights: independent pieces of evidence add up."""
    keep = 1.0
    for hit in hits:
        keep *= 1.0 - SEVERITY_WEIGHT[hit.severity]
    return 1.0 - keep


def label(score: float, sensitivity: str = "normal",
          thresholds: dict[str, tuple[float, float]] | None = None) -> str:
    table = thresholds or THRESHOLDS
    suspicious, scam = table.get(sensitivity, table["normal"])
    if score >= scam:
        return "scam"
    if score >= suspicious:
        return "suspicious"
    return "clean"


# The learned layer judges texts with at least this many letters and digits: a bare command
# ("/allow example.com") or a two-word reply gives its n-grams too little to go on.
MODEL_MIN_CHARS = 24


# Brands whose official domains open anybody's chat, channel or page (t.me/+..., line.me/ti/p/)
HOSTS_OF_CHATS = frozenset({"telegram", "telegram-app", "messenger", "social"})


def _opened(links: tuple[Link, ...]) -> list[Link]:
    """The links to open: not a bare handle and not an e-mail address."""
    return [link for link in links if link.host and link.source != "email" and not link.handle]


def _enough_text(skeleton: str, ideographs: int = 1) -> bool:
    """At least MODEL_MIN_CHARS letters and digits in the first 200 characters, a Chinese
    character counting `ideographs` times."""
    count = 0
    for c in skeleton[:200]:
        if c.isalnum():
            count += ideographs if "\u3400" <= c <= "\u9fff" else 1
            if count >= MODEL_MIN_CHARS:
                return True
    return False


def _placed_links(message: Message) -> list[tuple[str, int, int, Link]]:
    """Each link or handle of the message that its text shows, as its skeleton, where that
    first stands in the message's skeleton, and the link (a hidden link, a button or an
    address the text does not show is left out)."""
    text = message.text.skeleton
    out = []
    for link in message.links:
        name = link.handle or link.host_unicode or link.host
        key = skeleton(name) if name else ""
        at = text.find(key) if key else -1
        if at >= 0:
            out.append((key, at, at + len(key), link))
    return out


def _link_spans(message: Message) -> list[tuple[str, int, int]]:
    """The links the text shows, as their skeleton and span (see `_placed_links`)."""
    return [(key, start, end) for key, start, end, _ in _placed_links(message)]


# What may stand between a word that introduces an example and the link (spaces, a colon,
# quotation marks), at most this many characters.
_EXAMPLE_GAP = 4
_EXAMPLE_SPACING = " :：'\"“”‘’「」"


def _links_mentioned(message: Message) -> bool:
    """Every link of the message is written alone in quotation marks: named, not offered
    ("a link to 'jup-bonus-claim.net', is that Jupiter's?", "link ni 'shopee-refund-my.com'
    dia kata refund"). Whoever wants a click writes the link bare; only a link judged by its
    look alone is thereby left to the learned reading (see Detector._stands)."""
    if not message.links:
        return False
    words = [w.lower() for w in quoted_words(message.text.folded)]
    return bool(words) and all(
        (link.host or link.handle) and any(link.url.lower() in w for w in words)
        for link in message.links)


def _links_questioned(message: Message, spans: list[tuple[str, int, int]]) -> bool:
    """Every link the text shows is the subject of a question that follows it in its own
    sentence ("is revoke-cash.app the real one?", "metaamask.io，是不是多了个a？")."""
    if not spans:
        return False
    text = message.text.skeleton
    for _, _, end in spans:
        # the rest of the link's sentence, within reach
        tail = text[end:end + VERDICT_REACH]
        stop = min((tail.find(c) for c in ".!\n" if c in tail), default=len(tail))
        if not asks(tail[:stop]):
            return False
    return True


def _links_dissected(message: Message) -> bool:
    """The writer takes a link apart: its registrable domain is written again on its own
    ("okx.com-login.help ... the real domain is com-login.help", "pancakeswap.finance.
    claim-rewards.io: thật ra domain là claim-rewards.io"). Whoever offers a link never
    points at the part that gives it away; a safety post does."""
    text = message.text.skeleton
    for link in message.links:
        if link.handle or not link.domain or link.domain == link.host:
            continue
        host, domain = skeleton(link.host_unicode or link.host), skeleton(link.domain)
        if host and domain and text.count(domain) > text.count(host):
            return True
    return False


def clip(text: str) -> str:
    """The text as the checks see it: head and tail of very long texts, and lone surrogates
    (which JSON escapes and undecodable command-line bytes can carry) replaced."""
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - _TAIL] + "\n" + text[-_TAIL:]
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    return text


class Detector:
    """Checks messages against one RuleSet."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.model = rules.model
        self.combiner = rules.combiner if rules.model is not None else None
        checks: list[Check] = [
            rules.patterns.check,
            rules.links.check,
            ShortenerContext(rules.links, rules.patterns),
            BrandNamedLink(rules.links, rules.patterns),
            impersonation.ImpersonationCheck(rules.links.brands, rules.patterns.concept_id),
            secrets.check_secrets,
            rules.samples.check,
        ]
        # The learned layer's own hit (its reading, with the phrases that made it) is added
        # once the verdict is known and only to a flagged message: phrases cost more than
        # the score, and a reading of a clean message explains nothing.
        self.model_check = ModelCheck(self.model) if self.model is not None else None
        self.checks: tuple[Check, ...] = tuple(checks)
        self._unguarded = frozenset(r.id for r in rules.patterns.rules if not r.guarded)
        self._senders = sender_names(rules.links.brands)

    def _stands(self, hit: Hit, message: Message) -> bool:
        """A hit no frame takes back: links, secrets, impersonation and known samples are
        dangerous whoever posts them. A link judged by its look alone (a brand in another
        name, a look-alike spelling) stands unless the writer discusses it or it sits in a
        quotation the writer frames ("got this SMS “… poslaju-redelivery.co”, is it real?") or
        the writer gives a verdict ("fake links this week: binnance-ph.com...", "link kiểu
        vnpost-xxxx.top là giả"): then the learned reading decides, as for phrases."""
        if not hit.rule.startswith(STANDING) or hit.rule in CONTEXTUAL or hit.rule in SHORTENED:
            return False
        if not hit.rule.startswith(DISCUSSABLE):
            return True
        if self._vouched(message):
            return True
        scope = message.scope
        if scope.discussion or scope.judged or _links_mentioned(message):
            return False
        return not self._links_discussed(message)

    def _links_discussed(self, message: Message) -> bool:
        """The writer talks about the message's links rather than offering them: quoted,
        given as an example, judged, retold and asked about, questioned, taken apart, or
        set beside the official one."""
        spans = _link_spans(message)
        return (self._link_quoted(message, spans) or self._links_exemplified(message, spans)
                or self._links_judged(message, spans)
                or self._links_retold_then_discussed(message, spans)
                or _links_questioned(message, spans) or _links_dissected(message)
                or self._beside_official(message))

    def _contacts_beside(self, message: Message, concept: str, reach: int,
                         unquoted: bool = False, before: bool = False) -> Iterator[Link]:
        """The link or handle right after each occurrence of `concept` (with `before`, right
        before it): the first one the text shows after the words, starting within `reach`
        characters of them (the last one before, ending within `reach`), in the same sentence
        (emphasis right before a contact that follows ends no sentence: "唯一官方客服‼️ @x").
        `unquoted`: only occurrences outside the quotations the text around them frames."""
        if message.scan is None or not message.links:
            return
        found = self.rules.patterns.found(message.scan, concept)
        if unquoted and found and message.scan.framed_quotes:
            quotes = message.scan.framed_quotes
            found = [o for o in found if not within(o.start, quotes)]
        if not found:
            return
        text = message.text.skeleton
        # each shown link by the end of it that faces the words: its start when it follows
        # them, its end when it precedes them
        placed = sorted(((end if before else start, link)
                         for _, start, end, link in _placed_links(message)),
                        key=lambda p: p[0])
        for o in found:
            if before:
                near = [(at, link) for at, link in placed if at <= o.start]
                if not near:
                    continue
                at, link = near[-1]
                distance, gap = o.start - at, text[at:o.start]
            else:
                nearest = next(((at, link) for at, link in placed if at >= o.end), None)
                if nearest is None:
                    continue
                at, link = nearest
                distance, gap = at - o.end, text[o.end:at].rstrip(" @").rstrip("!")
            if distance <= reach and not any(c in ".!?\n" for c in gap):
                yield link

    def _vouched(self, message: Message) -> bool:
        """The writer vouches for a link or handle that is not a brand's own, as the one to
        trust ("ignore the fake admins, the only real support is @Luno_MY_Bantuan", "认准唯一
        官方售后 @x"): an impostor's warning, which no frame of the message takes back. Only
        the first link after the words counts, within VOUCH_REACH and in the same sentence
        ("the only official site is binance.com, not binance-login.com" vouches for the
        brand's own)."""
        links = self.rules.links
        return any(links.impostor_handle(link.handle) if link.handle
                   else links.official_brand(link) is None
                   for link in self._contacts_beside(message, VOUCH, VOUCH_REACH))

    def _credited(self, message: Message) -> bool:
        """The writer credits a private contact for what they got ("udah balik full via
        @Rekoveri_Kripto_ID", "thanks @Recovery_MY_Official", "多亏了 @x 老师"): a
        testimonial advertising a recovery agent, a "mentor" or a payout, whatever words of
        loss or doubt tell its story. The contact is the first link or handle after the words,
        within CREDIT_REACH and in the same sentence, and is a handle that is not a brand's own
        (a site after "via" is as often where the writer was scammed: "bị lừa qua link x").
        A credit inside a quotation that the text around it frames is the quoted comment's,
        not the writer's ("kom en massa kommentarer: “... kontakta @FundRecoverySE”. Det är
        bedrägeri nummer två")."""
        links = self.rules.links
        return any(link.handle and not links.official_handle(link.handle)
                   for link in self._contacts_beside(message, CREDIT, CREDIT_REACH,
                                                    unquoted=True))

    def _links_exemplified(self, message: Message, spans: list[tuple[str, int, int]]) -> bool:
        """Every link the text shows is introduced as an example ("they'll send something
        like walletconnect-fix.io and ask for the 12 words", "link kiểu vietcombank-xacthuc.top",
        the lexicons' `example_of`): named, not offered."""
        if not spans or message.scan is None:
            return False
        examples = self.rules.patterns.found(message.scan, EXAMPLE_OF)
        if not examples:
            return False
        text = message.text.skeleton
        return all(
            any(o.end <= start and start - o.end <= _EXAMPLE_GAP
                and not text[o.end:start].strip(_EXAMPLE_SPACING) for o in examples)
            for _, start, _ in spans)

    def _links_judged(self, message: Message, spans: list[tuple[str, int, int]]) -> bool:
        """Every link the text shows is followed, in its own sentence, by the writer's
        verdict on it ("phantom-app.io อันนั้นปลอม", "metamask-io.app is fake"): the link is
        what is judged, even beside advice ("careful, phantom-app.io is fake"). A verdict
        before a link is aimed elsewhere ("beware of fake sites, log in only at ..."), and so
        is one after words that turn it to somebody else (the lexicons' `contrast`: "the only
        official support is @x, the others are scammers")."""
        if message.scan is None or not spans:
            return False
        patterns = self.rules.patterns
        verdicts = patterns.verdicts(message.scan)
        if not verdicts:
            return False
        contrasts = patterns.found(message.scan, CONTRAST)
        text = message.text.skeleton
        return all(
            any(end <= v.start <= end + VERDICT_REACH
                and not any(c in ".!?\n" for c in text[end:v.start].rstrip("."))
                and not any(end <= c.start and c.end <= v.start for c in contrasts)
                for v in verdicts)
            for _, _, end in spans)

    def _links_retold_then_discussed(self, message: Message,
                                     spans: list[tuple[str, int, int]]) -> bool:
        """The writer retells a message they got, links and all, and after the last link
        asks about it or judges it ("then in DM a link to walletconnect-rectify.app. how
        common is this??", "fick ett sms med länk till transportstyrelsen-betala.info, kör
        inte ens bil. Anmälde det direkt")."""
        if message.scan is None or not spans:
            return False
        patterns = self.rules.patterns
        told = patterns.found(message.scan, RETOLD)
        if not told:
            return False
        first = min(start for _, start, _ in spans)
        if not any(o.end <= first for o in told):
            return False
        last = max(end for _, _, end in spans)
        return (asks(message.text.skeleton[last:])
                or any(v.start >= last for v in patterns.verdicts(message.scan)))

    @staticmethod
    def _link_quoted(message: Message, spans: list[tuple[str, int, int]]) -> bool:
        """A quotation the writer frames holds the message's link ("got “… bit.ly/x …”, is it
        real?"). A framed quotation elsewhere in the message says nothing about a link
        written outside it: a scammer's scare-quoted 'wallet health check' beside a question
        to the reader does not make the look-alike link after it a quoted one. A link that
        cannot be found in the text (hidden links, buttons) counts as quoted, as before."""
        quotes = message.scan.framed_quotes if message.scan is not None else ()
        if not quotes:
            return False
        text = message.text.skeleton
        inside = "\n".join(text[a:b] for a, b in quotes)
        return not spans or any(key in inside for key, _, _ in spans)

    def _beside_official(self, message: Message) -> bool:
        """The message also names a brand's official domain: a look-alike written beside
        the real one is being compared with it ("binance.com is correct,
        binance-secure-anything.com is not"). A scam that does the same ("binance.com is
        down, log in at binance-backup.com") is left to the learned reading, not cleared."""
        official = self.rules.links.official_brand
        return any(link.host and not link.handle and official(link) is not None
                   for link in message.links)

    def _links_framed(self, message: Message, hits: tuple[Hit, ...]) -> bool:
        """The only hits are links read from their look, and the writer talks about them ("got
        an SMS, link pea-refund.online, the real one pays by PromptPay, no?"): that talk
        frames the message as a framed one's would."""
        return (bool(hits) and all(h.rule.startswith(DISCUSSABLE) for h in hits)
                and self._links_discussed(message))

    def _takes_back(self, message: Message, hits: tuple[Hit, ...], learned: float,
                    other: str) -> str | None:
        """Whether the learned reading takes back the rules' verdict, and in what frame
        ("framed", "judged", "unframed"; None when it does not). Only phrase rules can be
        taken back, never a hit that stands in any frame, and:
        - in a framed message (opening advice, a report, a quotation), or one where the
          writer gives their own verdict without advice ("haha, the 'Elon giveaway' is
          back", "fejk"), when the learned layer reads it as clean: a discussion of the
          scam, not the scam (a verdict beside advice is no frame: "beware of fakes, send
          here" is a scam's opener); a rule whose
          author wrote `guarded: false` (its scams use the words of a frame themselves:
          "Scammed? We recover lost funds") only when the learned layer reads the message
          as clearly not a scam (below UNGUARDED_TAKE_BACK) and it is of chat length;
        - the same in a message whose only hits are links read from their look, which the
          writer talks about (`_links_framed`: retold and asked about, questioned, quoted);
        - without a frame, in a text of chat length (TAKE_BACK_MAX_CHARS), when no hit is
          unguarded and the learned layer reads the message as more likely not a scam than
          a scam (a rule that met a safety tip's words), or, for a critical hit or a
          message that gives advice, as near-certainly not one (ADVICE_TAKE_BACK);
        - never when a recovery, investment, giveaway or job hit comes with a private contact
          the writer credits (`_credited`: "got it all back, thanks @x") or a call to the
          readers who have not claimed yet (`PatternRules.calls_others`): a testimonial
          tells its story in the words of a loss or a doubt, and they frame nothing."""
        if other != "clean" or any(self._stands(h, message) for h in hits):
            return None
        if learned >= SHORTENED_TAKE_BACK and any(h.rule in SHORTENED for h in hits):
            return None
        scan = message.scan
        if any(h.category in TESTIMONIAL_CATEGORIES for h in hits) and (
                self._credited(message)
                or (scan is not None
                    and self.rules.patterns.calls_others(scan, message.text.skeleton))):
            return None
        unguarded = any(h.rule in self._unguarded for h in hits)
        # beyond chat length the learned reading is the filler's: only a frame takes back
        chat_length = len(message.text.skeleton) <= TAKE_BACK_MAX_CHARS
        frame = ("framed" if message.scope.framed or self._links_framed(message, hits)
                 else "judged" if message.scope.judged else None)
        if frame is not None:
            taken = not unguarded or (chat_length and learned < UNGUARDED_TAKE_BACK)
            return frame if taken else None
        # advice appended to a message ("... Stay safe from scammers.") is no frame, and a
        # reading it sways a little is no reason to take the rules' verdict back either:
        # scammers append it too; only a reading of near-certainly no scam is
        if unguarded or not chat_length:
            return None
        if message.scope.advice:
            bar = ADVICE_TAKE_BACK
        elif any(h.severity >= Severity.CRITICAL for h in hits):
            bar = CRITICAL_TAKE_BACK
        else:
            bar = UNFRAMED_TAKE_BACK
        return "unframed" if learned < bar else None

    def prepare(self, request: CheckRequest) -> Message:
        text = clip(request.text)
        prepared = prepare(text)
        links = extract_links(text, request.urls, request.anchors)
        message = Message(
            request=request,
            text=prepared,
            links=links,
            official_links=self._official_links(links),
        )
        patterns = self.rules.patterns
        scan = patterns.scan(message)
        cover = patterns.asks_again(scan)
        scope = scope_of(
            prepared.folded,
            advice_at=patterns.advice_at(scan),
            discussion=patterns.discussed(scan) or patterns.reported(scan),
            negation=bool(patterns.negations(scan)),
            framed_quote=bool(scan.framed_quotes),
            judged=patterns.judged(scan),
            cover=cover,
            offer=patterns.offered_after(scan, prepared.skeleton),
            senders=self._senders,
            original=text,
        )
        score = self.model.score(prepared.skeleton) if self.model is not None else None
        # a new Message rather than dataclasses.replace (which inspects the fields each time)
        prepared_message = Message(
            request=request, text=prepared, links=message.links, scan=scan,
            framed=patterns.framed(scan, cover), scope=scope, model_score=score,
            secrets=find_secrets(text), official_links=message.official_links)
        reported = self._reported_handles(prepared_message)
        if not reported:
            return prepared_message
        # a handle the writer asks the moderators to ban is the report's subject, not a
        # contact the message offers: the link checks do not judge it
        kept = tuple(link for link in links if link not in reported)
        return Message(request=request, text=prepared, links=kept, scan=scan,
                       framed=prepared_message.framed, scope=scope, model_score=score,
                       secrets=prepared_message.secrets,
                       official_links=self._official_links(kept))

    def _reported_handles(self, message: Message) -> list[Link]:
        """The handles the writer asks the moderators to ban ("Admin tolong ban
        @Maybank_CS_Helpdesk, dia PM saya ...", "@Bitkub_Support_TH ปลอม แบนด้วย"): the first
        handle after a `ban_request` or the last one before it, within BAN_REACH characters
        and in the same sentence, outside the quotations the text frames."""
        if message.scan is None or not any(link.handle for link in message.links):
            return []
        if not self.rules.patterns.found(message.scan, BAN_REQUEST):
            return []
        return [link for before in (False, True)
                for link in self._contacts_beside(message, BAN_REQUEST, BAN_REACH,
                                                  unquoted=True, before=before)
                if link.handle]

    def _official_links(self, links: tuple[Link, ...]) -> bool:
        """Every link to open (not a handle or an e-mail address) is on a brand's official
        domain, and there is one: a genuine notice sends you to the brand itself."""
        opened = _opened(links)
        return bool(opened) and all(self._official(link) for link in opened)

    def _own_site_read_as_fake(self, message: Message) -> bool:
        """The learned reading says "look-alike link" of a message whose every link the link
        check found on the brand's own site ("driftinfo på bankid.com", "buy SHIB on
        crypto.com"): the reading of the text is contradicted by the check of the link. Links
        on a platform where anyone opens a chat or a channel (t.me, line.me) prove nothing."""
        if not message.official_links or self.model is None or message.model_score is None:
            return False
        if self.model.category(message.model_score) != "lookalike_link":
            return False
        for link in _opened(message.links):
            brand = self.rules.links.official_brand(link)
            if brand is None or brand.kind in HOSTS_OF_CHATS:
                return False
        return True

    def _official(self, link: Link) -> bool:
        """On a brand's official domain, and not under a path where anyone publishes."""
        brand = self.rules.links.official_brand(link)
        if brand is None:
            return False
        path = link.path.lower()
        return not any(path.startswith(p) for p in brand.user_paths)

    def score(self, message: Message, hits: tuple[Hit, ...]) -> float:
        """The message's score: the learned combination when a model is loaded, else the
        noisy-OR of the rule hits' severities."""
        if self.combiner is None or self.model is None or message.model_score is None:
            return combine(hits)
        outside = None
        if message.scope.outside is not None:
            outside = self.model.logit(skeleton(message.scope.outside))
        return self.combiner.score(hits, message.model_score.logit, outside, message.scope)

    def _follow_up(self, message: Message, learned: float | None) -> float | None:
        """The score that makes a clean follow-up suspicious, or None: the learned reading
        `check` made (None when it made none: no learned layer, or too little text) when it
        reaches FOLLOW_UP_BAR. The rules alone read a push that asks for nothing as nothing:
        without a learned layer a follow-up is judged as any message."""
        if (learned is None or learned < FOLLOW_UP_BAR or self.model is None
                or message.model_score is None or self._own_site_read_as_fake(message)):
            return None
        return learned

    def _follow_up_hit(self, message: Message, hits: tuple[Hit, ...]) -> Hit:
        """The hit that says why a follow-up is flagged, in the category the message reads
        like (its strongest rule's, else the learned layer's)."""
        category = hits[0].category if hits else None
        if category is None and self.model is not None and message.model_score is not None:
            category = self.model.category(message.model_score)
        return Hit(FOLLOW_UP_RULE, category or "other", Severity.LOW,
                   "follows a message of the same sender that was flagged a short while ago")

    def check(self, request: CheckRequest, context: ChatContext = DEFAULT_CONTEXT) -> Verdict:
        message = self.prepare(request)
        found: dict[str, Hit] = {}
        for check in self.checks:
            for hit in check(message, context):
                if message.framed and hit.rule.startswith(FRAMED_OUT):
                    continue
                old = found.get(hit.rule)
                if old is None or hit.severity > old.severity:
                    found[hit.rule] = hit
        hits = tuple(sorted(found.values(), key=lambda h: (-h.severity, h.rule)))
        score = combine(hits)
        verdict = label(score, context.sensitivity)
        taken_back: str | None = None
        learned: float | None = None
        # A scam verdict that a standing hit carries can be neither raised nor taken back:
        # the learned reading (the text outside quotations scored again) would change nothing.
        settled = verdict == "scam" and any(self._stands(h, message) for h in hits)
        skeleton_text = message.text.skeleton
        # A Chinese character carries about a short word: a short Chinese sentence ("充值保证金
        # 才能提现的平台都是资金盘") is enough for the learned reading to take a verdict back,
        # though not to raise one (its reading of short Chinese chat is too eager: measured
        # on personal SMS).
        if self.combiner is not None and not settled and (
                _enough_text(skeleton_text)
                or (verdict != "clean" and _enough_text(skeleton_text, ideographs=2))):
            # The rules keep their meaning (a moderator's rule acts as its severity says);
            # the learned combination raises the verdict where the rules miss.
            learned = self.score(message, hits)
            other = label(learned, context.sensitivity, self.combiner.thresholds)
            if (VERDICTS.index(other) > VERDICTS.index(verdict) and _enough_text(skeleton_text)
                    and not self._own_site_read_as_fake(message)):
                verdict, score = other, max(score, learned)
            elif verdict != "clean":
                taken_back = self._takes_back(message, hits, learned, other)
                if taken_back is not None:
                    verdict, score = "clean", learned
        # (a clean verdict the learned layer read: `learned` is that reading)
        raised = (self._follow_up(message, learned)
                  if verdict == "clean" and taken_back is None and not message.scope.framed
                  else None)
        if raised is not None and request.follow_up:
            verdict, score = "suspicious", max(score, raised)
            hits = (*hits, self._follow_up_hit(message, hits))
        if verdict != "clean" and self.model_check is not None:
            hits = tuple(sorted((*hits, *self.model_check(message, context)),
                                key=lambda h: (-h.severity, h.rule)))
        length = len(request.text)
        cut = (MAX_TEXT, length) if length > MAX_TEXT else None
        return Verdict(verdict, score, hits, cut, taken_back,
                       open_to_follow_up=raised is not None and not request.follow_up)
