"""The detector: prepares a message once, runs every check over it, combines the hits.

A check is any callable `check(message, context) -> Iterable[Hit]`; the detector holds a
tuple of them built from one immutable RuleSet, so a rule reload is a new Detector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from bot.core import impersonation, secrets
from bot.core.links import Link, extract_links
from bot.core.model import DEFAULT_CONTEXT, ChatContext, CheckRequest, Hit, Severity, Verdict
from bot.core.normalize import PreparedText, prepare
from bot.core.ruleset import RuleSet

# Telegram caps a message at 4,096 characters and every check over one that long stays within
# a few milliseconds (see `scamguard bench`, worst case). Longer texts (captions joined with a
# quote, the CLI, the check API) are cut for matching to their head and tail, and the verdict
# records the cut.
MAX_TEXT = 4_096
_TAIL = 1_024


@dataclass(frozen=True, slots=True)
class Message:
    """A request prepared once for all checks: normalised text forms, extracted links and the
    concepts the phrase rules found (with whether the text is framed as advice or discussion).
    """

    request: CheckRequest
    text: PreparedText
    links: tuple[Link, ...]
    scan: Any = None
    framed: bool = False


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


def combine(hits: Iterable[Hit]) -> float:
    """Noisy-OR of the hits' severity weights: independent pieces of evidence add up."""
    keep = 1.0
    for hit in hits:
        keep *= 1.0 - SEVERITY_WEIGHT[hit.severity]
    return 1.0 - keep


def label(score: float, sensitivity: str = "normal") -> str:
    suspicious, scam = THRESHOLDS.get(sensitivity, THRESHOLDS["normal"])
    if score >= scam:
        return "scam"
    if score >= suspicious:
        return "suspicious"
    return "clean"


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
        self.checks: tuple[Check, ...] = (
            rules.patterns.check,
            rules.links.check,
            impersonation.ImpersonationCheck(rules.links.brands, rules.patterns.concept_id),
            secrets.check_secrets,
            rules.samples.check,
        )

    def prepare(self, request: CheckRequest) -> Message:
        text = clip(request.text)
        message = Message(
            request=request,
            text=prepare(text),
            links=extract_links(text, request.urls, request.anchors),
        )
        patterns = self.rules.patterns
        scan = patterns.scan(message)
        return replace(message, scan=scan, framed=patterns.framed(scan))

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
        length = len(request.text)
        cut = (MAX_TEXT, length) if length > MAX_TEXT else None
        return Verdict(label(score, context.sensitivity), score, hits, cut)
