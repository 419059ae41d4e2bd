"""Finding every link in a message: URLs with and without scheme, bare domains, defanged forms,
hidden URLs (text links, buttons), anchors, e-mail domains, t.me links and @handles."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from bot.core.links.hosts import HostInfo, normalize_host
from bot.core.model import Anchor

TELEGRAM_LINK_HOSTS = frozenset({"t.me", "telegram.me", "telegram.dog"})
# File extensions that are also TLDs: "main.py" or "README.md" in a message is a file name.
# With a scheme, "www." or a path they still count as links.
FILE_SUFFIXES = frozenset({"py", "md", "sh", "pl", "rs", "zip", "mov", "ps", "rb", "kt", "lua"})
_DEFANG = (
    (re.compile(r"\[\s*\.\s*\]|\(\s*\.\s*\)|\{\s*\.\s*\}|\[\s*dot\s*\]|\(\s*dot\s*\)", re.I), "."),
    (re.compile(r"\[\s*:\s*\]"), ":"),
    (re.compile(r"\[\s*/\s*\]"), "/"),
    (re.compile(r"h(?<!\wh)(?:xx|\*\*|XX)p(s?)(?=\[?:)", re.I), r"http\1"),
    # an address written to slip past filters: "name (at) gmail com", "name[at]gmail[dot]com"
    (re.compile(r"(?<=\w)\s*[\[({]\s*at\s*[\])}]\s*(?=\w)", re.I), "@"),
    (re.compile(r"(?<=@)(gmail|googlemail|yahoo|hotmail|outlook|live|proton|protonmail|icloud|"
                r"aol|yandex|mail|gmx|zoho)\s+(com|net|me|ru|co\.uk)\b", re.I), r"\1.\2"),
)
# A domain spaced out around its dots to slip past filters ("lazada-sale99 . shop",
# "momo-hoantien . pages . dev"): labels with a dot spaced on both sides between them, one of
# them with a letter and a hyphen or a digit, the last a known suffix. Prose never spaces a dot
# on both sides, and names without a hyphen or digit ("see you . me too", "50 . com") are left
# alone.
_SPACED_DOT = re.compile(r"(?<![\w.-])[a-z0-9][a-z0-9-]*(?:[ \t]+\.[ \t]+[a-z0-9-]+)+\b", re.I)
_SPACES = re.compile(r"[ \t]+")
# Suffixes that are also everyday words: "covid-19 . it was bad" ends a sentence.
_WORD_SUFFIXES = frozenset({
    "it", "me", "to", "in", "is", "at", "be", "do", "go", "no", "so", "us", "my", "am", "an",
    "as", "by", "he", "hi", "if", "of", "on", "or", "up", "we", "la", "ya", "ai", "im",
})


def _join_spaced_dot(match: re.Match[str]) -> str:
    joined = _SPACES.sub("", match.group(0))
    labels = joined.split(".")
    marked = any(any(c.isalpha() for c in label) and any(c == "-" or c.isdigit() for c in label)
                 for label in labels[:-1])
    if not marked or labels[-1].lower() in _WORD_SUFFIXES:
        return match.group(0)
    info = normalize_host(joined)
    return joined if info is not None and info.domain else match.group(0)


def join_spaced_dots(text: str) -> str:
    """Close up domains spaced out around their dots (see _SPACED_DOT)."""
    return _SPACED_DOT.sub(_join_spaced_dot, text)


_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": ".", "\u2024": ".", "\ufe52": "."})
# Scripts written without spaces: a link glued to them ("请访问binance.com") starts after them.
_NO_SPACE_SCRIPT = re.compile(
    r"([\u0e00-\u0e7f\u3040-\u309f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+)"
)
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# The two tables as replacements, applied only for the characters a text holds: str.replace
# scans in C, str.translate through a dict costs far more on a long non-ASCII text.
_REPLACED = tuple((chr(k), "") for k in _ZERO_WIDTH) + tuple(
    (chr(k), str(v)) for k, v in _DOTS.items()
)

# Links are looked for token by token (linear time whatever the text): a token is a run of
# characters that cannot end a link; inside it, a host is dot-separated labels of letters (any
# script), digits and hyphens, then an optional port and path.
_TOKEN_RE = re.compile(r"[^\s<>\"'`,;|()\[\]{}]+")
_HOST_PART = re.compile(r"([\w-]+(?:\.[\w-]+)+)\.?(:\d{1,5})?([/?#].*)?")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
_MAIL_LOCAL = re.compile(r"[\w.+-]")
_AT_HANDLE = re.compile(r"([a-z][a-z0-9_]{3,31})(?![\w])", re.I)
_TRAILING = ".,;:!?)]}>'\"»”’…"
_HANDLE_RE = re.compile(r"^[a-z][a-z0-9_]{3,31}$")
# A link written as a pattern, not as an address: cut off with an ellipsis where its name
# goes on ("bit.ly/VCB-...", "vietcombank-…") or with a placeholder for a part of its name
# ("vnpost-xxxx.top", "binance-***.com"). Warnings and discussions write links this way;
# nobody can open one, so nobody who wants a click sends one.
# A placeholder or an ellipsis after a slash is left alone: "bit.ly/xxxx" and "bit.ly/..."
# are how anonymised corpora and screenshots write a real scam's link.
_ELIDED = re.compile(r"[-_=](?:\.\.\.|…)")
_PLACEHOLDER = re.compile(r"(?:^|[-._])(?:x{3,}|\*{3,})[-.]", re.I)
_TG_RESERVED = frozenset(
    {
        "joinchat",
        "addstickers",
        "share",
        "proxy",
        "socks",
        "c",
        "s",
        "iv",
        "login",
        "setlanguage",
        "addtheme",
        "addemoji",
        "boost",
        "m",
    }
)


@dataclass(frozen=True, slots=True)
class Link:
    """One link of a message.

    `host` is the ascii (`xn--`) form, `host_unicode` what a reader sees; `domain` the
    registrable domain. A Telegram username (t.me/name or @name) is in `handle`; an @handle
    alone has `host` "" and `url` "@name". `source` is text, email, hidden (a text link or
    button URL) or anchor (a hidden URL whose visible text is in `anchor_text`).
    """

    url: str
    host: str
    source: str = "text"
    host_unicode: str = ""
    domain: str = ""
    label: str = ""
    label_unicode: str = ""
    suffix: str = ""
    subdomain: str = ""
    path: str = ""
    handle: str = ""
    anchor_text: str = ""
    is_ip: bool = False
    is_private_suffix: bool = False

    @property
    def display(self) -> str:
        """The host as a reader sees it, with the real (xn--) form when they differ."""
        if self.host_unicode and self.host_unicode != self.host:
            return f"{self.host_unicode} ({self.host})"
        return self.host

    @property
    def is_telegram(self) -> bool:
        """A t.me link or an @handle."""
        return bool(self.handle) or self.host in TELEGRAM_LINK_HOSTS


def clean_text(text: str) -> str:
    """Undo defanging and fold look-alike dots so that links can be found."""
    if not text.isascii():
        for char, repl in _REPLACED:
            if char in text:
                text = text.replace(char, repl)
    if "[" in text or "(" in text or "{" in text or "xx" in text or "XX" in text or "**" in text:
        for pattern, repl in _DEFANG:
            text = pattern.sub(repl, text)
    return text


def _trim(value: str) -> str:
    while value and value[-1] in _TRAILING:
        if value[-1] == ")" and value.count("(") >= value.count(")"):
            break
        value = value[:-1]
    return value


def _make(url: str, host: str, path: str, source: str, anchor: str = "") -> Link | None:
    info: HostInfo | None = normalize_host(host)
    if info is None:
        return None
    handle = ""
    if info.ascii in TELEGRAM_LINK_HOSTS:
        first = path.lstrip("/").split("/", 1)[0].split("?", 1)[0].lower()
        if _HANDLE_RE.match(first) and first not in _TG_RESERVED:
            handle = first
    return Link(
        url=url,
        host=info.ascii,
        source=source,
        host_unicode=info.unicode,
        domain=info.domain,
        label=info.label,
        label_unicode=info.label_unicode,
        suffix=info.suffix,
        subdomain=info.subdomain,
        path=path,
        handle=handle,
        anchor_text=anchor,
        is_ip=info.is_ip,
        is_private_suffix=info.is_private_suffix,
    )


def _from_url(url: str, source: str, anchor: str = "") -> Link | None:
    url = clean_text(unicodedata.normalize("NFKC", url.strip()))
    if "://" not in url[:20]:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https", "ftp", "tg"):
        return None
    if parts.scheme.lower() == "tg":
        # tg://resolve?domain=name opens a Telegram account like t.me/name
        name = parse_qs(parts.query).get("domain", [""])[0].lower()
        if host != "resolve" or not _HANDLE_RE.match(name):
            return None
        return Link(url="@" + name, host="", source=source, handle=name, anchor_text=anchor)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not anchor and parts.username and "." in parts.username:
        # https://binance.com@evil.example/ shows one domain and opens another
        anchor = parts.username
    return _make(url, host, path, source, anchor)


def _scan_url(token: str, source: str) -> Link | None:
    at = token.find("://")
    begin = at
    while begin > 0 and token[begin - 1].lower() in _SCHEME_CHARS:
        begin -= 1
    if begin == at:
        return None
    return _from_url(_trim(token[begin:]), source)


def _scan_at(token: str, source: str) -> Link | None:
    at = token.find("@")
    before, after = token[:at], token[at + 1 :]
    if before and _MAIL_LOCAL.match(before[-1]):
        host = _trim(after)
        if _HOST_PART.fullmatch(host) and "/" not in host:
            return _make(host, host, "", "email")
        return None
    m = _AT_HANDLE.match(after)
    if m is None or (before and before[-1] in "/."):
        return None
    handle = m.group(1).lower()
    return Link(url="@" + handle, host="", source=source, handle=handle)


def _scan_host(token: str, source: str) -> Link | None:
    token = _trim(token.lstrip(".-_:/\\"))
    m = _HOST_PART.fullmatch(token)
    if m is None:
        return None
    host, port, path = m.group(1), m.group(2) or "", _trim(m.group(3) or "")
    info = normalize_host(host)
    if info is None or not info.domain:
        return None
    if not path and not port and not info.subdomain and info.suffix in FILE_SUFFIXES:
        return None  # "main.py", "README.md": a file name
    return _make(host + port + path, host, path, source)


def _scan(text: str, source: str, out: list[Link]) -> None:
    # each distinct word once, in order of first appearance: a word gives the same links
    # wherever it stands, and the links are deduplicated keeping the first
    for word in dict.fromkeys(text.split()):
        if "." not in word and "@" not in word:
            continue  # most words: no link can be inside
        if _ELIDED.search(word) or ("@" not in word and _PLACEHOLDER.search(word)):
            continue  # a link's pattern, not a link
        for m in _TOKEN_RE.finditer(word):
            _scan_token(m.group(0), source, out)


def _scan_token(token: str, source: str, out: list[Link]) -> None:
    if "://" in token:
        link = _scan_url(token, source)
    elif "@" in token:
        link = _scan_at(token, source)
    elif "." in token:
        link = _scan_host(token, source)
    else:
        return
    if link is not None:
        out.append(link)


def extract_links(
    text: str, urls: Sequence[str] = (), anchors: Sequence[Anchor] = ()
) -> tuple[Link, ...]:
    """Every link of a message, each once: text links, hidden URLs, anchors and handles."""
    found: list[Link] = []
    if text:
        cleaned = clean_text(text if text.isascii() else unicodedata.normalize("NFKC", text))
        if " ." in cleaned:
            cleaned = join_spaced_dots(cleaned)
        if not cleaned.isascii():
            # what `_NO_SPACE_SCRIPT.sub(r" \1 ", cleaned)` gives, without expanding the
            # template in Python for each run
            cleaned = " ".join(_NO_SPACE_SCRIPT.split(cleaned))
        _scan(cleaned, "text", found)
    for anchor in anchors:
        link = _from_url(anchor.url, "anchor", anchor.text)
        if link is not None:
            found.append(link)
    for url in urls:
        link = _from_url(url, "hidden")
        if link is not None:
            found.append(link)
    seen: set[tuple[str, str, str, str]] = set()
    out: list[Link] = []
    for link in found:
        key = (link.host, link.handle, link.path, link.anchor_text)
        if key in seen:
            continue
        seen.add(key)
        out.append(link)
    return tuple(out)
