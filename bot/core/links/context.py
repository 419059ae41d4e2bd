"""A shortened link offered with a brand, a prize, a refund or an account threat.

A shortener alone is a weak signal (many people shorten links). Together with the story a
scam tells to make the reader click (a brand's name, a prize or refund to collect, an account
about to be locked) it hides where that story leads. The stories are the lexicons' concepts
named in `rules/brands.yaml` (`shortener_context_high`, `shortener_context_medium`), so a new
language needs new lexicon lines, not code; brand names come from the registry.

The link must be offered to the reader: the message addresses its reader (`you`, click,
claim, log in, contact... : `shortener_context_address`). A pasted headline or check-in that
names a bank, the police or a refund beside a link ("MB Kedah disiasat polis https://t.co/...",
"I'm at CIMB in Melaka https://t.co/...") tells nobody to go anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

import ahocorasick

from bot.core.model import ChatContext, Hit, Severity

if TYPE_CHECKING:
    from bot.core.links import LinkData
    from bot.core.links.brands import Brand
    from bot.core.model import Message

RULE = "link.shortener-context"
NAMED_RULE = "link.brand-named"
_WORD = re.compile(r"\w")
_TOKENS = re.compile(r"[-_0-9]+")
_PARTS = re.compile(r"[-_]+")
# words with a dot or slash inside (links, domains, paths): a name written there is the
# link's, not the message's
# (a word that holds a link: the look-behind starts a match only where a word starts, so a
# long message is not searched again from every letter of every word)
_LINKISH = re.compile(r"(?<!\S)\S*?\w[./]\w\S*")


class ConceptIndex(Protocol):
    """The part of the phrase rules this check needs: a concept's id by name."""

    def concept_id(self, name: str) -> int | None: ...


class ShortenerContext:
    """Check: a shortener link in a message that names a brand or tells a lure story."""

    def __init__(self, links: LinkData, concepts: ConceptIndex) -> None:
        self.links = links
        extra = links.extra
        self.high = self._ids(concepts, extra.get("shortener_context_high", ()))
        self.medium = self._ids(concepts, extra.get("shortener_context_medium", ()))
        self.address = frozenset(
            cid for cid, _ in self._ids(concepts, extra.get("shortener_context_address", ())))
        self._names = ahocorasick.Automaton()
        for brand in links.brands:
            if brand.policy == "word":
                continue  # dictionary words (Gate, Dana) name no brand in running text
            if brand.kind in extra.get("everyday_kinds", ()):
                continue  # "follow us on TikTok https://t.co/..." is how everyone posts
            # the name, and acronyms among the aliases (a mixed-case alias may be a word)
            for name in (brand.name, *(a for a in brand.aliases if a.isupper())):
                key = name.casefold()
                if len(key) >= 3 and key not in self._names:
                    self._names.add_word(key, (key, brand))
        if len(self._names):
            self._names.make_automaton()
        # acronyms in capitals name brands only for BrandNamedLink (see there)
        self._acronyms = ahocorasick.Automaton()

    @staticmethod
    def _ids(concepts: ConceptIndex, names: Iterable[str]) -> tuple[tuple[int, str], ...]:
        out = []
        for name in names:
            cid = concepts.concept_id(name)
            if cid is not None:
                out.append((cid, name.replace("_", " ")))
        return tuple(out)

    def brands_named(self, text: str, raw: str | None = None) -> list[Brand]:
        """The brands whose names are written as whole words in the (folded) text, in order,
        then those named by their acronym in capitals in the `raw` text (see _acronyms)."""
        found: list[Brand] = []
        for automaton, source in ((self._names, text), (self._acronyms, raw)):
            if source is None or not len(automaton):
                continue
            for end, (key, brand) in automaton.iter(source):
                start = end - len(key) + 1
                before = source[start - 1] if start else " "
                after = source[end + 1] if end + 1 < len(source) else " "
                if not _WORD.match(before) and not _WORD.match(after) and brand not in found:
                    found.append(brand)
        return found

    def brand_named(self, text: str, raw: str | None = None) -> str | None:
        """The first brand name written as a whole word in the (folded) text (or as an
        acronym in capitals in the raw one)."""
        named = self.brands_named(text, raw)
        return named[0].name if named else None

    def __call__(self, message: Message, context: ChatContext) -> list[Hit]:
        short = next(
            (link for link in message.links if link.host and self.links.is_shortener(link)),
            None,
        )
        if short is None or message.framed:
            return []
        if any(h in context.allow_domains for h in (short.host, short.domain)):
            return []
        scan = message.scan
        if self.address and (scan is None or not any(scan.has(c) for c in self.address)):
            return []
        story: tuple[Severity, str] | None = None
        if scan is not None:
            for severity, ids in ((Severity.HIGH, self.high), (Severity.MEDIUM, self.medium)):
                found = next((what for cid, what in ids if scan.has(cid)), None)
                if found is not None:
                    story = (severity, found)
                    break
        # (an acronym counts only where the link carries it: see BrandNamedLink; a notice
        # that names its agency beside a shortened link is how agencies post too)
        brand = self.brand_named(message.text.folded)
        if brand is not None and (story is None or story[0] < Severity.HIGH):
            story = (Severity.HIGH if story else Severity.MEDIUM, brand)
        if story is None:
            return []
        severity, what = story
        return [
            Hit(
                RULE,
                "lookalike_link",
                severity,
                f"a shortened link ({short.host}) hides where this message about {what} leads",
            )
        ]


class BrandNamedLink(ShortenerContext):
    """Check: a message that speaks for a brand offers a link carrying that brand's name on a
    domain that is not the brand's ("BCA: tarif berubah, isi formulir di bca-tarifbaru.com",
    "Mandiri: update data di livin-mandiri.web.id").

    Without the message, a short or dictionary-word brand beside an unknown word proves
    little (bca-finance, etle-polri could be anyone's), which is why the registry's policies
    leave such labels alone. The message supplies what the label lacks: it names the brand
    itself, so the link claims to be the brand's, and the brand's own domains say it is not.
    The link must be offered to the reader, as for shortened links."""

    def __init__(self, links: LinkData, concepts: ConceptIndex) -> None:
        super().__init__(links, concepts)
        # A dictionary-word brand of a service kind whose name is an acronym (BRI, BDO, RHB,
        # DANA) is named by that acronym in capitals, as its notices and their imitations
        # sign them ("BDO: A new device was enrolled..."); in lower case it may be a word.
        service = set(links.extra.get("service_kinds", ()))
        for brand in links.brands:
            if brand.policy != "word" or brand.kind not in service:
                continue
            for name in (brand.name, *brand.aliases):
                if (len(name) >= 3 and name.isascii() and name.isalpha() and name.isupper()
                        and name not in self._acronyms):
                    self._acronyms.add_word(name, (name, brand))
        if len(self._acronyms):
            self._acronyms.make_automaton()

    def __call__(self, message: Message, context: ChatContext) -> list[Hit]:
        candidates = [
            link for link in message.links
            if link.host and link.label and not link.handle and not link.is_ip
        ]
        if not candidates or message.framed:
            return []
        scan = message.scan
        if self.address and (scan is None or not any(scan.has(c) for c in self.address)):
            return []
        raw = _LINKISH.sub(" ", message.text.raw) if len(self._acronyms) else None
        named = self.brands_named(_LINKISH.sub(" ", message.text.folded), raw)
        if not named:
            return []
        links = self.links
        for link in candidates:
            if any(h in context.allow_domains for h in (link.host, link.domain)):
                continue
            if links.official_brand(link) is not None or links.is_shortener(link):
                continue
            if links.is_blocked(link) or (links.matcher and links.matcher.lookalike(link)):
                continue  # the link check has its own, stronger hit
            # words between hyphens, with and without their digits (m2u-points: "m2u", "m")
            tokens = [t for t in (*_TOKENS.split(link.label), *_PARTS.split(link.label)) if t]
            for brand in named:
                if self._carries(brand, link.label, tokens):
                    official = brand.domains[0] if brand.domains else brand.name
                    return [
                        Hit(
                            NAMED_RULE,
                            "lookalike_link",
                            Severity.MEDIUM,
                            f"the message speaks for {brand.name}, but its link "
                            f"{link.display} is not a {brand.name} site (official: {official})",
                        )
                    ]
        return []

    @staticmethod
    def _carries(brand: Brand, label: str, tokens: list[str]) -> bool:
        """The label carries the brand's name: one of its words is a label or name of the
        brand, or (for names of five letters or more) the name is glued inside it."""
        keys = {k for k in brand.labels}
        keys.update(
            "".join(ch for ch in n.casefold() if ch.isascii() and ch.isalnum())
            for n in (brand.name, *brand.aliases)
        )
        keys.discard("")
        if any(t in keys for t in tokens):
            return True
        return any(len(k) >= 5 and k in label for k in keys)
