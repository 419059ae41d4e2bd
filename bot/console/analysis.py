"""The Check page's reading of one message: the verdict, where each hit matched (in the
normalised text the rules read and in the original text), every link with its policy, and
the replies the bot would post in each language. Everything comes from the detection core
and `bot.replies`; nothing here decides anything."""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup, escape

from bot.core.detector import Detector
from bot.core.links.extract import Link
from bot.core.model import ChatContext, CheckRequest, Hit, Verdict
from bot.core.normalize import skeleton
from bot.core.patterns import Scan
from bot.replies import Texts, render_group_warning, render_private_verdict

# Originals longer than this are shown with their spans in the normalised text only: the
# alignment that finds them in the original is quadratic in the worst case.
MAX_ALIGNED = 6000
_TELEGRAM_TAG = re.compile(r"(</?(?:b|i|u|s|code|pre)>)")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Segment:
    text: str
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkRow:
    shown: str
    host: str
    domain: str
    source: str
    policy: str
    brand: str
    why: tuple[str, ...]


@dataclass(frozen=True)
class Reply:
    lang: str
    name: str
    group: Markup | None
    private: Markup


@dataclass(frozen=True)
class Analysis:
    verdict: Verdict
    normalised: tuple[Segment, ...]
    original: tuple[Segment, ...]
    aligned: bool
    links: tuple[LinkRow, ...]
    replies: tuple[Reply, ...]
    unplaced: tuple[str, ...] = field(default=())


def telegram_html(value: str) -> Markup:
    """Telegram HTML (a reply the bot renders) as browser HTML: only Telegram's own tags
    (without attributes) pass; every text between them is unescaped once and escaped again,
    so that no markup a user smuggled into a reply survives."""
    out: list[str] = []
    for part in _TELEGRAM_TAG.split(value):
        if _TELEGRAM_TAG.fullmatch(part):
            out.append(part)
        else:
            out.append(str(escape(html.unescape(part))))
    return Markup("".join(out))


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if span.end <= span.start:
            continue
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            rules = tuple(dict.fromkeys((*last.rules, *span.rules)))
            merged[-1] = Span(last.start, max(last.end, span.end), rules)
        else:
            merged.append(span)
    return merged


def segments(text: str, spans: Iterable[Span]) -> tuple[Segment, ...]:
    """The text cut into plain and highlighted pieces (overlapping spans merged)."""
    out: list[Segment] = []
    at = 0
    for span in _merge(spans):
        start, end = max(span.start, at), min(span.end, len(text))
        if start >= end:
            continue
        if start > at:
            out.append(Segment(text[at:start]))
        out.append(Segment(text[start:end], span.rules))
        at = end
    if at < len(text):
        out.append(Segment(text[at:]))
    return tuple(out)


@lru_cache(maxsize=4096)
def _char_skeleton(char: str) -> str:
    return skeleton(char)


def align(raw: str, normalised: str, spans: Sequence[Span]) -> list[Span] | None:
    """The spans of the normalised text placed in the original: each character is
    normalised alone and the two texts are aligned; a span covers the original characters
    its matched characters came from. None when the text is too long to align."""
    if len(raw) > MAX_ALIGNED:
        return None
    pieces: list[str] = []
    owner: list[int] = []
    for index, char in enumerate(raw):
        folded = _char_skeleton(char)
        pieces.append(folded)
        owner.extend([index] * len(folded))
    approx = "".join(pieces)
    matcher = difflib.SequenceMatcher(None, approx, normalised, autojunk=False)
    back: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            back[block.b + k] = owner[block.a + k]
    placed: list[Span] = []
    for span in spans:
        found = [back[j] for j in range(span.start, span.end) if j in back]
        if found:
            placed.append(Span(min(found), max(found) + 1, span.rules))
    return placed


def rule_spans(detector: Detector, scan: Scan | None, normalised: str,
               hits: Sequence[Hit]) -> tuple[list[Span], list[str]]:
    """Where in the normalised text each hit matched: a phrase rule's concepts, a learned
    hit's phrases; the rules with nothing to point at are returned apart."""
    patterns = detector.rules.patterns
    by_id = {rule.id: rule for rule in patterns.rules}
    spans: list[Span] = []
    unplaced: list[str] = []
    for hit in hits:
        found: list[Span] = []
        rule = by_id.get(hit.rule)
        if rule is not None and scan is not None:
            for name in (*rule.all, *rule.any):
                concept = patterns.concept_id(name)
                for occ in scan.by_concept.get(concept, ()) if concept is not None else ():
                    found.append(Span(occ.start, occ.end, (hit.rule,)))
        for phrase in hit.evidence:
            needle = skeleton(phrase).strip()
            at = normalised.find(needle) if needle else -1
            while at >= 0 and len(found) < 50:
                found.append(Span(at, at + len(needle), (hit.rule,)))
                at = normalised.find(needle, at + len(needle))
        if found:
            spans.extend(found)
        else:
            unplaced.append(hit.rule)
    return spans, unplaced


def names_of(link: Link) -> tuple[str, ...]:
    """How a hit's reason names this link: its @handle, host or domain."""
    names = [f"@{link.handle}" if link.handle else "", link.host_unicode, link.host,
             link.domain]
    return tuple(n.lower() for n in names if n)


def about(link: Link, hits: Iterable[Hit]) -> list[Hit]:
    """The verdict's hits whose reason names the link."""
    names = names_of(link)
    return [h for h in hits if any(n in h.reason.lower() for n in names)]


def link_rows(detector: Detector, context: ChatContext, links: Iterable[Link],
              verdict_hits: Sequence[Hit] = ()) -> tuple[LinkRow, ...]:
    """Each link with the policy the link rules apply to it and why."""
    data = detector.rules.links
    rows: list[LinkRow] = []
    for link in links:
        hits = list(data.check_link(link, context))
        hits += [h for h in about(link, verdict_hits) if h not in hits]
        brand = data.official_brand(link)
        if data.is_blocked(link):
            policy = "blocked (known phishing)"
        elif brand is not None:
            policy = "official"
        elif hits:
            policy = "flagged"
        elif data.is_shortener(link):
            policy = "shortener (target hidden)"
        else:
            policy = "unknown"
        rows.append(LinkRow(
            shown=link.url,
            host=link.display,
            domain=link.domain,
            source=link.source,
            policy=policy,
            brand=brand.name if brand is not None else "",
            why=tuple(f"{h.rule}: {h.reason}" for h in hits),
        ))
    return tuple(rows)


def replies(texts: Texts, verdict: Verdict, sender: str | None) -> tuple[Reply, ...]:
    """The group warning (when the verdict is not clean) and the private answer in every
    language the rules have texts for."""
    out: list[Reply] = []
    for lang in texts.languages:
        group = None
        if verdict.verdict != "clean":
            group = telegram_html(render_group_warning(
                verdict, texts=texts, lang=lang, sender=sender or "?"))
        private = telegram_html(render_private_verdict(verdict, texts=texts, lang=lang))
        out.append(Reply(lang, texts.names.get(lang, lang), group, private))
    return tuple(out)


def analyse(detector: Detector, texts: Texts, request: CheckRequest,
            context: ChatContext) -> Analysis:
    """Check `request` and explain the verdict (see the module docstring)."""
    verdict = detector.check(request, context)
    message = detector.prepare(request)
    normalised = message.text.skeleton
    scan = message.scan if isinstance(message.scan, Scan) else None
    spans, unplaced = rule_spans(detector, scan, normalised, verdict.hits)
    raw = message.text.raw
    placed = align(raw, normalised, spans)
    link_spans = []
    for link in message.links:
        rules = tuple(h.rule for h in about(link, verdict.hits)) or ("link",)
        unplaced = [r for r in unplaced if r not in rules]
        for needle in (link.url, link.host_unicode, link.host):
            at = raw.find(needle) if needle else -1
            if at >= 0:
                link_spans.append(Span(at, at + len(needle), rules))
                break
        for needle in names_of(link):
            at = normalised.find(needle)
            if at >= 0:
                spans.append(Span(at, at + len(needle), rules))
                break
    original = segments(raw, [*(placed or []), *link_spans])
    sender = request.sender.name or request.sender.username if request.sender else None
    return Analysis(
        verdict=verdict,
        normalised=segments(normalised, spans),
        original=original,
        aligned=placed is not None,
        links=link_rows(detector, context, message.links, verdict.hits),
        replies=replies(texts, verdict, sender),
        unplaced=tuple(unplaced),
    )
