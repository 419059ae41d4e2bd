"""Finding every link in a message: URLs with and without scheme, bare domains, defanged forms,
hidden URLs (text links, buttons), anchors, e-mail domains, t.me links and @handles."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

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
    (re.compile(r"\bh(?:xx|\*\*|XX)p(s?)(?=\[?:)", re.I), r"http\1"),
)
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": ".", "\u2024": ".", "\ufe52": "."})
# Scripts written without spaces: a link glued to them ("请访问binance.com") starts after them.
_NO_SPACE_SCRIPT = re.compile(
    r"([\u0e00-\u0e7f\u3040-\u309f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+)"
)
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)

# A host: labels of letters (any script), digits and hyphens separated by dots.
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})+\.?"
_URL_RE = re.compile(
    rf"(?P<scheme>[a-z][a-z0-9+.-]{{1,15}}://)(?P<rest>[^\s<>\"'`]+)"
    rf"|(?P<mail>[\w.+-]+@)(?P<mhost>{_HOST})"
    rf"|(?<![\w@./-])(?P<host>{_HOST})(?P<port>:\d{{1,5}})?(?P<path>[/?#][^\s<>\"'`]*)?"
    rf"|(?<![\w@./])@(?P<handle>[a-z][a-z0-9_]{{3,31}})\b",
    re.I,
)
_TRAILING = ".,;:!?)]}>'\"»”’…"
_HANDLE_RE = re.compile(r"^[a-z][a-z0-9_]{3,31}$")
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
    def is_telegram(self) -> bool:
        """A t.me link or an @handle."""
        return bool(self.handle) or self.host in TELEGRAM_LINK_HOSTS


def clean_text(text: str) -> str:
    """Undo defanging and fold look-alike dots so that links can be found."""
    text = text.translate(_ZERO_WIDTH).translate(_DOTS)
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
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return _make(url, host, path, source, anchor)


def _scan(text: str, source: str, out: list[Link]) -> None:
    for m in _URL_RE.finditer(text):
        if m.group("scheme"):
            link = _from_url(m.group("scheme") + _trim(m.group("rest")), source)
        elif m.group("mhost"):
            host = _trim(m.group("mhost"))
            link = _make(host, host, "", "email")
        elif m.group("host"):
            host = m.group("host").rstrip(".")
            path = _trim(m.group("path") or "")
            if not path and host.endswith("."):
                host = host.rstrip(".")
            info = normalize_host(host)
            if info is None or not info.domain:
                continue
            bare = not path and not m.group("port") and not info.subdomain
            if bare and info.suffix in FILE_SUFFIXES:
                continue  # "main.py", "README.md": a file name
            link = _make(host + (m.group("port") or "") + path, host, path, source)
        else:
            handle = m.group("handle").lower()
            link = Link(url="@" + handle, host="", source=source, handle=handle)
        if link is not None:
            out.append(link)


def extract_links(
    text: str, urls: Sequence[str] = (), anchors: Sequence[Anchor] = ()
) -> tuple[Link, ...]:
    """Every link of a message, each once: text links, hidden URLs, anchors and handles."""
    found: list[Link] = []
    if text:
        cleaned = clean_text(unicodedata.normalize("NFKC", text))
        _scan(_NO_SPACE_SCRIPT.sub(r" \1 ", cleaned), "text", found)
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
