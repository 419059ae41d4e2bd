"""Domain lists: the phishing blocklist (polkadot-js/phishing `all.json` format, plus a plain
local list) and the URL shortener list. Parsing is pure; files are read by the caller."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import idna

from bot.errors import RuleFileError


@dataclass(frozen=True, slots=True)
class DomainList:
    """Domains to deny, shared-hosting roots never denied whole, and denied URL prefixes."""

    deny: frozenset[str]
    allow: frozenset[str] = frozenset()
    deny_urls: tuple[tuple[str, str], ...] = ()  # (host, path prefix)


def clean_domain(value: str) -> str | None:
    """A list entry as an ascii host: lower case, no scheme, no "www.", no trailing dot."""
    entry = value.strip().lower()
    if not entry or entry.startswith("#"):
        return None
    if "://" in entry:
        entry = entry.split("://", 1)[1]
    entry = entry.split("/", 1)[0].rstrip(".")
    entry = entry.removeprefix("*.").removeprefix("www.")
    if not entry.isascii():
        try:
            entry = idna.encode(entry, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    if "." not in entry or " " in entry or len(entry) > 253:
        return None
    return entry


def parse_polkadot(text: str, source: str) -> DomainList:
    """Parse polkadot-js/phishing `all.json`: {"allow": [...], "deny": [...], "denySub": [...]}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleFileError(source, exc.lineno, f"not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("deny"), list):
        raise RuleFileError(source, 1, "expected an object with a 'deny' list")
    deny = _clean_all(data["deny"], source)
    allow = _clean_all(data.get("allow") or [], source)
    subs: list[tuple[str, str]] = []
    for item in data.get("denySub") or []:
        if not isinstance(item, str) or "/" not in item:
            continue
        host, _, path = item.partition("/")
        clean = clean_domain(host)
        if clean:
            subs.append((clean, "/" + path.lower()))
    return DomainList(frozenset(deny), frozenset(allow), tuple(subs))


def _clean_all(items: Iterable[object], source: str) -> set[str]:
    out = set()
    for item in items:
        if not isinstance(item, str):
            raise RuleFileError(source, 1, f"list entries must be strings, not {item!r}")
        clean = clean_domain(item)
        if clean:
            out.add(clean)
    return out


def parse_domain_lines(text: str, source: str) -> frozenset[str]:
    """One domain a line; blank lines and `#` comments are skipped."""
    out = set()
    for number, line in enumerate(text.splitlines(), 1):
        raw = line.split("#", 1)[0].strip()
        if not raw:
            continue
        clean = clean_domain(raw)
        if clean is None:
            raise RuleFileError(source, number, f"{raw!r} is not a domain")
        out.add(clean)
    return frozenset(out)
