"""Link intelligence: every link of a message judged against the brand registry and the lists.

Decision order per link: the chat's own allowlist and the brands' official domains (with their
subdomains) -> the blocklist (host or any parent up to the registrable domain) -> look-alike
heuristics -> URL shorteners. Telegram handles (t.me/name, @name) are checked against the
brands' official accounts. A visible link text naming another domain than the real target is
flagged on its own.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.links.brands import Brand, BrandRegistry, parse_brands
from bot.core.links.extract import TELEGRAM_LINK_HOSTS, Link, extract_links
from bot.core.links.hosts import parents
from bot.core.links.lists import DomainList, parse_domain_lines, parse_polkadot
from bot.core.links.matcher import BrandMatcher, Lookalike
from bot.core.model import DEFAULT_CONTEXT, ChatContext, Hit, Severity
from bot.errors import RuleFileError, RuleSetError

if TYPE_CHECKING:
    from bot.core.model import Message

__all__ = [
    "Brand",
    "Link",
    "LinkData",
    "extract_links",
    "load_link_data",
    "parse_link_data",
]

BLOCKLIST_FILES = ("polkadot-phishing.json",)  # polkadot-js/phishing all.json format
LOCAL_BLOCKLIST = "blocklist.txt"  # moderators' own additions, one domain a line
SHORTENERS_FILE = "url-shorteners.txt"
NOT_SHORTENERS_FILE = "not-shorteners.txt"  # first-party short domains with a known target


# Look-alike rules below HIGH: accented Latin letters alone, or a brand among ordinary words,
# are weaker signals.
_SEVERITY = {"link.idn": Severity.MEDIUM, "link.brand-word": Severity.MEDIUM}


def _hit(found: Lookalike, category: str = "lookalike_link") -> Hit:
    return Hit(found.rule, category, _SEVERITY.get(found.rule, Severity.HIGH), found.why)


@dataclass(frozen=True)
class LinkData:
    """Brands, lists and the precomputed matcher of one rules directory."""

    brands: tuple[Brand, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    deny: frozenset[str] = frozenset()
    deny_urls: tuple[tuple[str, str], ...] = ()
    shorteners: frozenset[str] = frozenset()
    # first-party short hosts under a shortener's domain (maps.app.goo.gl under goo.gl)
    first_party: frozenset[str] = frozenset()
    shared_hosting: frozenset[str] = frozenset()
    matcher: BrandMatcher | None = field(default=None, compare=False, repr=False)

    @property
    def official_domains(self) -> frozenset[str]:
        """Every official host of the brand registry (their subdomains are official too)."""
        return frozenset(self.matcher.official) if self.matcher else frozenset()

    def official_brand(self, link: Link) -> Brand | None:
        return self.matcher.official_brand(link) if self.matcher else None

    def official_handle(self, handle: str) -> bool:
        """The handle is one of a brand's official accounts."""
        return bool(self.matcher and handle.lower() in self.matcher.official_handles)

    def impostor_handle(self, handle: str) -> bool:
        """The handle imitates a brand's official account (see `_check_handle`)."""
        return bool(self.matcher and self.matcher.handle_lookalike(handle) is not None)

    def is_blocked(self, link: Link) -> bool:
        """The host or a parent up to its registrable domain is on the blocklist."""
        if not link.domain:
            return link.host in self.deny
        for host in parents(link.host):
            if host in self.shared_hosting:
                break
            if host in self.deny:
                return True
            if host == link.domain:
                break
        if self.deny_urls:
            path = link.path.lower()
            for host, prefix in self.deny_urls:
                if link.host == host and path.startswith(prefix):
                    return True
        return False

    def sizes(self) -> dict[str, int]:
        """Entry counts, for `scamguard bench` and the logs."""
        return {
            "blocklist": len(self.deny),
            "brands": len(self.brands),
            "shorteners": len(self.shorteners),
        }

    def bench_scale(self, target: Path, extra: int, rng: random.Random) -> None:
        """Benchmark hook: add `extra` times the blocklist's size of synthetic domains to the
        moderators' list of a copied rules folder (never real text)."""
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        count = max(1, len(self.deny)) * extra
        lines = (
            "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 16))) + ".bench-invalid"
            for _ in range(count)
        )
        path = target / "lists" / LOCAL_BLOCKLIST
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")

    def is_shortener(self, link: Link) -> bool:
        """The host or a parent up to its registrable domain is a URL shortener."""
        if not link.domain or not self.shorteners:
            return False
        for host in parents(link.host):
            if host in self.first_party:
                return False
            if host in self.shorteners:
                return True
            if host == link.domain:
                break
        return False

    def check(self, message: Message, context: ChatContext) -> Iterable[Hit]:
        """Hits for the links and handles of a prepared message."""
        hits: list[Hit] = []
        for link in message.links:
            if link.host:
                hits.extend(self.check_link(link, context))
            elif link.handle:
                hits.extend(self._check_handle(link.handle, context))
        return hits

    def check_link(self, link: Link, context: ChatContext = DEFAULT_CONTEXT) -> list[Hit]:
        """Hits for one link (a web link, or a t.me link with its handle)."""
        if _allowed(link, context.allow_domains):
            return self._check_anchor(link, context)
        hits = self._check_anchor(link, context)
        if link.host in TELEGRAM_LINK_HOSTS:
            # Telegram's own link domain: what matters is the account it opens
            if link.handle:
                hits.extend(self._check_handle(link.handle, context))
            return hits
        if self.official_brand(link) is not None:
            return hits
        found = self.matcher.lookalike(link) if self.matcher else None
        if self.is_blocked(link):
            about = f" imitating {found.brand.name}" if found and found.brand else ""
            hits.append(
                Hit(
                    "link.blocklisted",
                    "malicious_link",
                    Severity.CRITICAL,
                    f"{link.display} is a known phishing site{about}",
                )
            )
        elif found is not None:
            hits.append(_hit(found))
        elif self.is_shortener(link):
            hits.append(
                Hit(
                    "link.shortener",
                    "lookalike_link",
                    Severity.LOW,
                    f"{link.host} is a link shortener: the real target is unknown",
                )
            )
        return hits

    def _check_handle(self, handle: str, context: ChatContext) -> list[Hit]:
        if handle in context.allow_handles or f"@{handle}" in context.allow_handles:
            return []
        found = self.matcher.handle_lookalike(handle) if self.matcher else None
        return [_hit(found, "fake_support")] if found else []

    def _check_anchor(self, link: Link, context: ChatContext) -> list[Hit]:
        """A visible text naming one domain over a link that opens another."""
        if not link.anchor_text or not link.domain:
            return []
        target_brand = self.official_brand(link)
        for shown in extract_links(link.anchor_text):
            if not shown.domain or shown.domain == link.domain:
                continue
            shown_brand = self.official_brand(shown)
            if shown_brand is not None and shown_brand is target_brand:
                continue
            named = f" ({shown_brand.name})" if shown_brand else ""
            return [
                Hit(
                    "link.mismatch",
                    "lookalike_link",
                    Severity.HIGH,
                    f"the link text shows {shown.host_unicode}{named} but opens {link.display}",
                )
            ]
        return []


def _allowed(link: Link, allow: frozenset[str]) -> bool:
    if not allow or not link.domain:
        return False
    for host in parents(link.host):
        if host in allow:
            return True
        if host == link.domain:
            break
    return False


def parse_link_data(
    brands_text: str,
    blocklists: Sequence[tuple[str, str]] = (),
    local_blocklist: tuple[str, str] | None = None,
    shorteners: tuple[str, str] | None = None,
    brands_source: str = "brands.yaml",
    not_shorteners: tuple[str, str] | None = None,
) -> LinkData:
    """Build LinkData from file texts ((text, source) pairs); pure, raises RuleSetError."""
    errors: list[RuleFileError] = []
    registry: BrandRegistry | None = None
    try:
        registry = parse_brands(brands_text, brands_source)
    except RuleSetError as exc:
        errors.extend(exc.errors)
    except RuleFileError as exc:
        errors.append(exc)
    deny: set[str] = set()
    allow: set[str] = set()
    deny_urls: list[tuple[str, str]] = []
    for text, source in blocklists:
        try:
            parsed: DomainList = parse_polkadot(text, source)
        except RuleFileError as exc:
            errors.append(exc)
            continue
        deny |= parsed.deny
        allow |= parsed.allow
        deny_urls.extend(parsed.deny_urls)
    short: frozenset[str] = frozenset()
    known: frozenset[str] = frozenset()
    for pair, target in (
        (local_blocklist, "deny"),
        (shorteners, "short"),
        (not_shorteners, "known"),
    ):
        if pair is None:
            continue
        try:
            domains = parse_domain_lines(*pair)
        except RuleFileError as exc:
            errors.append(exc)
            continue
        if target == "deny":
            deny |= domains
        elif target == "short":
            short = domains
        else:
            known = domains
    if errors or registry is None:
        raise RuleSetError(errors)
    shared = frozenset(registry.shared_hosting | {a.removeprefix("*.") for a in allow})
    matcher = BrandMatcher(registry)
    # never deny an official domain, a shared-hosting root or a public suffix as a whole
    official = set(matcher.official)
    protected = {p for host in official for p in parents(host)}
    deny -= shared
    deny = {d for d in deny if d not in protected and not _under(d, official)}
    short_clean = frozenset(
        d
        for d in short
        if d not in TELEGRAM_LINK_HOSTS
        and d not in known
        and not any(h in official for h in parents(d))
    )
    return LinkData(
        brands=registry.brands,
        extra={
            "scam_words": registry.scam_words,
            "risky_suffixes": registry.risky_suffixes,
            "shortener_context_high": registry.shortener_context_high,
            "shortener_context_medium": registry.shortener_context_medium,
            "shortener_context_address": registry.shortener_context_address,
            "everyday_kinds": registry.everyday_kinds,
            "service_kinds": registry.service_kinds,
        },
        deny=frozenset(deny),
        deny_urls=tuple(deny_urls),
        shorteners=short_clean,
        first_party=frozenset(d for d in known if d not in short),
        shared_hosting=shared,
        matcher=matcher,
    )


def _under(host: str, official: set[str]) -> bool:
    """The host is an official domain or a subdomain of one."""
    return any(p in official for p in parents(host))


def load_link_data(rules_dir: Path, overlay: Path | None = None) -> LinkData:
    """Read `brands.yaml` and `lists/` of a rules directory; a list file of the same name in
    `overlay` (the data directory's lists, refreshed by `lists update`) replaces the bundled
    one."""
    rules_dir = Path(rules_dir)
    brands_path = rules_dir / "brands.yaml"
    lists = _ListFolder(rules_dir / "lists", overlay)
    try:
        brands_text = brands_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleSetError([RuleFileError(str(brands_path), 0, f"cannot read: {exc}")]) from exc
    texts: list[tuple[str, str]] = []
    for name in BLOCKLIST_FILES:
        path = lists / name
        if path.is_file():
            texts.append((_read(path), str(path)))
    local, short, known = (
        lists / LOCAL_BLOCKLIST,
        lists / SHORTENERS_FILE,
        lists / NOT_SHORTENERS_FILE,
    )
    return parse_link_data(
        brands_text,
        texts,
        _optional(local),
        _optional(short),
        brands_source=str(brands_path),
        not_shorteners=_optional(known),
    )


class _ListFolder:
    """The bundled lists folder with an optional overlay folder that wins file by file."""

    def __init__(self, base: Path, overlay: Path | None) -> None:
        self.base = base
        self.overlay = overlay

    def __truediv__(self, name: str) -> Path:
        if self.overlay is not None and (self.overlay / name).is_file():
            return self.overlay / name
        return self.base / name


def _optional(path: Path) -> tuple[str, str] | None:
    return (_read(path), str(path)) if path.is_file() else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetError([RuleFileError(str(path), 0, f"cannot read: {exc}")]) from exc
