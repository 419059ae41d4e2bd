"""Keeping the domain lists of `rules/lists/` fresh, safely.

`update_lists()` downloads every source of `lists/sources.yaml` with aiohttp, validates each
download (size bounds, format, a minimum entry count, no sudden shrink, never an official
brand domain on a blocklist) and only then replaces the file atomically. A failed, partial or
invalid download leaves the old file untouched.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.core.links import load_link_data
from bot.core.links.brands import load_yaml_with_lines
from bot.core.links.hosts import parents
from bot.core.links.lists import parse_domain_lines, parse_polkadot
from bot.errors import RuleFileError, RuleSetError, ScamguardError

FORMATS = ("polkadot-json", "domains")
SOURCES_FILE = "sources.yaml"
# A new list smaller than this share of the old one is treated as broken.
MIN_KEEP_RATIO = 0.5
_CHUNK = 64 * 1024


class ListUpdateError(ScamguardError):
    """One list could not be updated; the old file is kept."""


@dataclass(frozen=True, slots=True)
class ListSource:
    """One downloadable list: where from, which file, how to validate it."""

    name: str
    url: str
    file: str
    format: str
    min_entries: int = 1
    max_bytes: int = 50_000_000


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What happened to one list: `ok` with the entry count, or the error that kept the old."""

    source: ListSource
    ok: bool
    entries: int = 0
    error: str = ""


def parse_sources(text: str, source: str) -> list[ListSource]:
    """Parse `sources.yaml`; raises RuleSetError listing every problem."""
    data = load_yaml_with_lines(text, source)
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise RuleSetError([RuleFileError(source, 1, "expected a mapping with a 'sources' list")])
    out: list[ListSource] = []
    errors: list[RuleFileError] = []
    for item in data["sources"]:
        if not isinstance(item, dict):
            errors.append(RuleFileError(source, 1, "each source must be a mapping"))
            continue
        line = int(item.get("__line__", 0))
        missing = [k for k in ("name", "url", "file", "format") if not item.get(k)]
        if missing:
            errors.append(RuleFileError(source, line, f"missing {', '.join(missing)}"))
            continue
        fmt = str(item["format"])
        if fmt not in FORMATS:
            errors.append(
                RuleFileError(source, line, f"format must be one of {', '.join(FORMATS)}")
            )
            continue
        url = str(item["url"])
        if not url.startswith(("https://", "http://")):
            errors.append(RuleFileError(source, line, "url must be http(s)"))
            continue
        name = str(item["file"])
        if "/" in name or "\\" in name or name.startswith("."):
            errors.append(RuleFileError(source, line, "file must be a plain file name"))
            continue
        try:
            min_entries = int(item.get("min_entries") or 1)
            max_bytes = int(item.get("max_bytes") or 50_000_000)
        except ValueError:
            errors.append(RuleFileError(source, line, "min_entries and max_bytes are numbers"))
            continue
        out.append(ListSource(str(item["name"]), url, name, fmt, min_entries, max_bytes))
    if errors:
        raise RuleSetError(errors)
    return out


def load_sources(lists_dir: Path) -> list[ListSource]:
    path = lists_dir / SOURCES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleSetError([RuleFileError(str(path), 0, f"cannot read: {exc}")]) from exc
    return parse_sources(text, str(path))


def count_entries(source: ListSource, body: bytes) -> tuple[int, frozenset[str]]:
    """Parse a download in the source's format: (entry count, denied domains)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ListUpdateError(f"{source.name}: not UTF-8 text") from exc
    try:
        if source.format == "polkadot-json":
            parsed = parse_polkadot(text, source.url)
            return len(parsed.deny), parsed.deny
        domains = parse_domain_lines(text, source.url)
    except RuleFileError as exc:
        raise ListUpdateError(f"{source.name}: {exc}") from exc
    return len(domains), frozenset()


def validate(
    source: ListSource, body: bytes, official: frozenset[str], old_entries: int = 0
) -> int:
    """Check a downloaded list before it may replace the old one; returns its entry count."""
    if len(body) > source.max_bytes:
        raise ListUpdateError(f"{source.name}: {len(body)} bytes, more than {source.max_bytes}")
    entries, denied = count_entries(source, body)
    if entries < source.min_entries:
        raise ListUpdateError(
            f"{source.name}: only {entries} entries, expected at least {source.min_entries}"
        )
    if old_entries and entries < old_entries * MIN_KEEP_RATIO:
        raise ListUpdateError(
            f"{source.name}: {entries} entries where the current list has {old_entries}"
        )
    bad = sorted(d for d in denied if any(p in official for p in parents(d)))
    if bad:
        raise ListUpdateError(
            f"{source.name}: would block official domains ({', '.join(bad[:5])})"
        )
    return entries


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` at once: a temporary file in the same folder, fsync, rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def download(session: aiohttp.ClientSession, source: ListSource) -> bytes:
    """The whole body, or ListUpdateError (status, size limit, broken or short transfer)."""
    try:
        async with session.get(source.url) as resp:
            if resp.status != 200:
                raise ListUpdateError(f"{source.name}: HTTP {resp.status}")
            if resp.content_length is not None and resp.content_length > source.max_bytes:
                raise ListUpdateError(
                    f"{source.name}: {resp.content_length} bytes, more than {source.max_bytes}"
                )
            body = bytearray()
            async for chunk in resp.content.iter_chunked(_CHUNK):
                body.extend(chunk)
                if len(body) > source.max_bytes:
                    raise ListUpdateError(f"{source.name}: more than {source.max_bytes} bytes")
            if resp.content_length is not None and len(body) != resp.content_length:
                raise ListUpdateError(f"{source.name}: incomplete download")
            return bytes(body)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ListUpdateError(
            f"{source.name}: download failed ({exc.__class__.__name__})"
        ) from exc


def _old_entries(source: ListSource, path: Path) -> int:
    try:
        return count_entries(source, path.read_bytes())[0]
    except (OSError, ListUpdateError):
        return 0


async def update_lists(
    rules_dir: Path,
    sources: Sequence[ListSource] | None = None,
    seconds: float = 60.0,
    session: aiohttp.ClientSession | None = None,
    into: Path | None = None,
) -> list[UpdateResult]:
    """Download, validate and swap every list; one list failing never touches another.
    The lists go to `into` (the data directory's lists, which replace the bundled files of
    the same name), else to the rules folder's own `lists/`."""
    bundled = Path(rules_dir) / "lists"
    lists_dir = Path(into) if into is not None else bundled
    lists_dir.mkdir(parents=True, exist_ok=True)
    chosen = list(sources) if sources is not None else load_sources(bundled)
    official = load_link_data(Path(rules_dir)).official_domains
    own = session is None
    client = session or aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=seconds),
        headers={"User-Agent": "scamguard-lists/1"},
    )
    results: list[UpdateResult] = []
    try:
        for source in chosen:
            path = lists_dir / source.file
            current = path if path.is_file() else bundled / source.file
            try:
                body = await download(client, source)
                entries = validate(source, body, official, _old_entries(source, current))
                await asyncio.to_thread(atomic_write, path, body)
            except ListUpdateError as exc:
                results.append(UpdateResult(source, False, error=str(exc)))
                continue
            results.append(UpdateResult(source, True, entries=entries))
    finally:
        if own:
            await client.close()
    return results
