"""Safe expansion of shortened links: where does bit.ly/x really go?

Off by default (`Settings.expand_links`). Every hop is checked before anything is sent: the
host name is resolved once, every address must be public (private, loopback, link-local,
multicast, reserved and unspecified addresses are refused, also inside IPv4-mapped, 6to4,
NAT64 and Teredo IPv6 forms and in decimal / hex / octal / short IPv4 notations), and the
connection goes to the address that was checked (a pinned resolver). Redirects are followed
by hand, at most `max_redirects`, each re-checked; the whole expansion has one time limit;
bodies are never read (HEAD, or a GET whose body is dropped). Results are cached, and
concurrent expansions of one URL share a single fetch (a raid posting one shortened link many
times makes one request chain); concurrent expansions share one HTTP session, closed once none
is in flight.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import idna
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.core.links import LinkData, extract_links
from bot.core.model import CheckRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str], Awaitable[Sequence[str]]]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BLOCKED_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_BLOCKED_SUFFIXES = (
    ".localhost",
    ".local",
    ".internal",
    ".home.arpa",
    ".lan",
    ".intranet",
    ".corp",
    ".private",
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
DEFAULT_PORTS = frozenset({80, 443, 8080, 8443})


class ExpansionRefused(Exception):
    """A hop that must not be requested (an internal address, a bad scheme or port)."""


@dataclass(frozen=True, slots=True)
class Expansion:
    """Where a link ends: the final URL, every URL visited, and an error if it stopped early."""

    final_url: str
    hops: tuple[str, ...] = ()
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses carried inside an IPv6 address (mapped, compatible, 6to4, NAT64, Teredo)."""
    out: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)
    packed = int(ip)
    if any(ip in net for net in _NAT64):
        out.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    if packed >> 32 == 0 and packed > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        out.append(ipaddress.IPv4Address(packed & 0xFFFFFFFF))
    return out


def _public(ip: IPAddress) -> bool:
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def is_public_address(ip: IPAddress) -> bool:
    """True only for a globally routable unicast address, also after decoding IPv4 inside
    IPv6 forms."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local:
            return False
        inner = embedded_ipv4(ip)
        if inner:
            return all(_public(v4) for v4 in inner)
        if ip in _SIX_TO_FOUR or any(ip in net for net in _NAT64):
            return False
    return _public(ip)


def parse_ip_host(host: str) -> IPAddress | None:
    """An IP address written in any notation a resolver accepts (127.1, 2130706433,
    0x7f000001, 0177.0.0.1, [::ffff:7f00:1], fullwidth or circled digits), or None."""
    text = unicodedata.normalize("NFKC", host).strip().rstrip(".").lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    if text and all(c in "0123456789abcdefx." for c in text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))  # libc parsing, no lookup
        except OSError:
            return None
    return None


def normalize_name(host: str) -> str:
    """A host name as it will be resolved: NFKC, IDNA, lower case, no trailing dot."""
    text = unicodedata.normalize("NFKC", host).strip().rstrip(".").lower()
    try:
        return idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise ExpansionRefused(f"invalid host name {host!r}") from exc


async def system_resolve(host: str) -> Sequence[str]:
    """Addresses of a host name from the system resolver."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _PinnedResolver(AbstractResolver):
    """Answers aiohttp with the addresses already checked, never asking DNS again."""

    def __init__(self) -> None:
        self.pins: dict[str, list[str]] = {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = self.pins.get(host)
        if not addresses:
            raise OSError(f"{host} was not checked")
        return [
            ResolveResult(
                hostname=host,
                host=addr,
                port=port,
                family=socket.AF_INET6 if ":" in addr else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for addr in addresses
        ]

    async def close(self) -> None:
        return None


class LinkExpander:
    """Follows a link's redirects safely. `address_allowed` decides which IP addresses may
    be contacted (production: public ones only); `resolve` maps a host name to addresses."""

    def __init__(
        self,
        timeout: float = 3.0,
        max_redirects: int = 5,
        *,
        address_allowed: Callable[[IPAddress], bool] = is_public_address,
        resolve: Resolve = system_resolve,
        allowed_ports: frozenset[int] | None = DEFAULT_PORTS,
        cache_size: int = 4096,
        cache_seconds: float = 3600.0,
    ) -> None:
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.address_allowed = address_allowed
        self.resolve = resolve
        self.allowed_ports = allowed_ports
        self.cache_size = cache_size
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Expansion]] = {}
        self._inflight: dict[str, asyncio.Task[Expansion]] = {}
        self._resolver = _PinnedResolver()
        self._session: aiohttp.ClientSession | None = None
        self._users = 0
        self.sessions_opened = 0

    async def check_url(self, url: URL) -> tuple[URL, str, list[str]]:
        """Refuse a hop that must not be requested; else (URL to request, host, addresses)."""
        if url.scheme not in ("http", "https"):
            raise ExpansionRefused(f"scheme {url.scheme or '(none)'} is not followed")
        if not url.raw_host:
            raise ExpansionRefused("no host")
        port = url.port or (443 if url.scheme == "https" else 80)
        if self.allowed_ports is not None and port not in self.allowed_ports:
            raise ExpansionRefused(f"port {port} is not followed")
        ip = parse_ip_host(url.raw_host)
        if ip is not None:
            if not self.address_allowed(ip):
                raise ExpansionRefused(f"{ip} is not a public address")
            literal = str(ip)
            return url.with_host(literal), literal, [literal]
        name = normalize_name(url.raw_host)
        if name in _BLOCKED_NAMES or name.endswith(_BLOCKED_SUFFIXES) or "." not in name:
            raise ExpansionRefused(f"{name} is an internal name")
        try:
            addresses = list(await self.resolve(name))
        except OSError as exc:
            raise ExpansionRefused(f"{name} does not resolve") from exc
        if not addresses:
            raise ExpansionRefused(f"{name} does not resolve")
        for addr in addresses:
            parsed = parse_ip_host(addr)
            if parsed is None or not self.address_allowed(parsed):
                raise ExpansionRefused(f"{name} resolves to {addr}, not a public address")
        return url.with_host(name), name, addresses

    async def expand(self, url: str) -> Expansion:
        """Follow `url` to its final target; never raises for a bad link (see `error`).
        Callers asking for a URL already being expanded wait for that expansion."""
        cached = self._cache.get(url)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        task = self._inflight.get(url)
        if task is None:
            task = asyncio.create_task(self._expand_once(url))
            self._inflight[url] = task
            task.add_done_callback(lambda _: self._inflight.pop(url, None))
        # A cancelled caller does not cancel the expansion others wait for.
        return await asyncio.shield(task)

    async def _expand_once(self, url: str) -> Expansion:
        now = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                result = await self._follow(url)
        except TimeoutError:
            result = Expansion(url, (url,), "timed out")
        if len(self._cache) >= self.cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[url] = (now, result)
        return result

    async def close(self) -> None:
        """Close the shared HTTP session if one is open."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                resolver=self._resolver, use_dns_cache=False, limit=32, limit_per_host=4
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"User-Agent": "Mozilla/5.0 (compatible; scamguard link check)"},
                auto_decompress=False,
            )
            self.sessions_opened += 1
        return self._session

    async def _follow(self, start: str) -> Expansion:
        try:
            current = URL(start if "://" in start[:12] else "http://" + start)
        except ValueError:
            return Expansion(start, (), "not a URL")
        session = self._open_session()
        self._users += 1
        try:
            return await self._hops(session, current)
        finally:
            self._users -= 1
            if self._users == 0 and self._session is session:
                # Idle: nothing keeps a session (or its sockets) open between raids.
                self._session = None
                await session.close()

    async def _hops(self, session: aiohttp.ClientSession, current: URL) -> Expansion:
        hops: list[str] = []
        for _ in range(self.max_redirects + 1):
            hops.append(str(current))
            try:
                target, host, addresses = await self.check_url(current)
                self._resolver.pins[host] = addresses
                status, location = await self._request(session, target)
            except ExpansionRefused as exc:
                return Expansion(str(current), tuple(hops), f"refused: {exc}")
            except TimeoutError:
                return Expansion(str(current), tuple(hops), "timed out")
            except (aiohttp.ClientError, OSError, ValueError) as exc:
                return Expansion(
                    str(current), tuple(hops), f"failed: {exc.__class__.__name__}"
                )
            if status not in _REDIRECTS or not location:
                return Expansion(str(current), tuple(hops))
            try:
                current = current.join(URL(location))
            except ValueError:
                return Expansion(str(current), tuple(hops), "bad redirect")
        return Expansion(str(current), tuple(hops), "too many redirects")

    async def _request(self, session: aiohttp.ClientSession, url: URL) -> tuple[int, str]:
        kwargs: dict[str, Any] = {"allow_redirects": False}
        async with session.head(url, **kwargs) as resp:
            status, location = resp.status, resp.headers.get("Location", "")
        if status in (405, 501):
            async with session.get(url, **kwargs) as resp:  # the body is never read
                status, location = resp.status, resp.headers.get("Location", "")
                resp.close()
        return status, location


async def expand_shortened(
    request: CheckRequest, expander: LinkExpander, links: LinkData, limit: int = 3
) -> CheckRequest:
    """The request with the redirect targets of its shortened links added to `urls`, so that
    the link checks judge where they really go. At most `limit` links are expanded."""
    found = extract_links(request.text, request.urls, request.anchors)
    short = [link.url for link in found if link.host and links.is_shortener(link)][:limit]
    if not short:
        return request
    results = await asyncio.gather(*(expander.expand(url) for url in short))
    extra: list[str] = []
    for result in results:
        for hop in result.hops[1:]:
            if hop not in extra and hop not in request.urls:
                extra.append(hop)
    return replace(request, urls=request.urls + tuple(extra)) if extra else request
