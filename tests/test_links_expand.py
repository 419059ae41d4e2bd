"""Safe expansion of shortened links: internal addresses in every notation are refused, and
redirects are followed by hand on loopback servers (which only the tests allow)."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from aiohttp import web
from yarl import URL

from bot.core.links import extract_links, parse_link_data
from bot.core.model import CheckRequest
from bot.linkexpand import (
    ExpansionRefused,
    LinkExpander,
    expand_shortened,
    is_public_address,
    parse_ip_host,
)

DATA = Path(__file__).resolve().parent / "data" / "links"
VECTORS = json.loads((DATA / "vectors_ssrf_hosts.json").read_text("utf-8"))["vectors"]
LOOPBACK = ipaddress.ip_address("127.0.0.1")


async def no_dns(name: str) -> Sequence[str]:
    """A resolver for tests: a few fixed names, never the network."""
    table = {"127.0.0.1.nip.io": ["127.0.0.1"], "public.test": ["93.184.216.34"],
             "short.test": ["127.0.0.1"], "mixed.test": ["93.184.216.34", "10.0.0.7"],
             "bit.ly": ["127.0.0.1"], "binance-verify.xyz": ["127.0.0.1"]}
    if name not in table:
        raise OSError(f"{name} unknown")
    return table[name]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["url"] for v in VECTORS])
async def test_every_ssrf_vector_is_refused(vector):
    """Each host form of an internal address is refused before any request."""
    assert vector["expected"] == "BLOCK"
    expander = LinkExpander(resolve=no_dns)
    with pytest.raises(ExpansionRefused):
        await expander.check_url(URL(vector["url"]))


ADDRESSES = [
    ("public v4", "93.184.216.34", True),
    ("public v6", "2606:4700::1111", True),
    ("ipv4-mapped loopback", "::ffff:127.0.0.1", False),
    ("ipv4-mapped public", "::ffff:93.184.216.34", True),
    ("6to4 of private", "2002:0a00:0001::", False),
    ("6to4 of public", "2002:5db8:d822::", True),
    ("nat64 of loopback", "64:ff9b::7f00:1", False),
    ("nat64 local-use prefix", "64:ff9b:1::a00:1", False),
    ("teredo of private", "2001:0:4136:e378:8000:63bf:f5ff:fffe", False),
    ("shared address space", "100.64.0.1", False),
    ("benchmark network", "198.18.0.1", False),
    ("multicast v6", "ff02::1", False),
    ("unique local v6", "fd12::1", False),
    ("documentation range", "192.0.2.1", False),
]


@pytest.mark.parametrize(("text", "public"), [c[1:] for c in ADDRESSES],
                         ids=[c[0] for c in ADDRESSES])
def test_address_policy(text, public):
    """Only globally routable unicast addresses are public, IPv4 inside IPv6 included."""
    assert is_public_address(ipaddress.ip_address(text)) is public


NOTATIONS = [
    ("decimal", "2130706433", "127.0.0.1"),
    ("hex", "0x7f000001", "127.0.0.1"),
    ("octal parts", "0177.0.0.1", "127.0.0.1"),
    ("short form", "127.1", "127.0.0.1"),
    ("circled digits", "①②⑦.⓪.⓪.①", "127.0.0.1"),
    ("bracketed v6", "[::ffff:7f00:1]", "::ffff:7f00:1"),
    ("a name", "example.com", None),
]


@pytest.mark.parametrize(("host", "expected"), [c[1:] for c in NOTATIONS],
                         ids=[c[0] for c in NOTATIONS])
def test_ip_notations(host, expected):
    """Every notation a resolver would accept is read as the address it means."""
    ip = parse_ip_host(host)
    assert (str(ip) if ip else None) == expected


async def test_name_resolving_to_any_private_address_is_refused():
    """One internal address among the answers is enough to refuse."""
    with pytest.raises(ExpansionRefused, match=r"10\.0\.0\.7"):
        await LinkExpander(resolve=no_dns).check_url(URL("http://mixed.test/"))


async def test_scheme_and_port_are_checked():
    """Only http(s) on the usual ports is followed."""
    expander = LinkExpander(resolve=no_dns)
    with pytest.raises(ExpansionRefused, match="scheme"):
        await expander.check_url(URL("ftp://public.test/"))
    with pytest.raises(ExpansionRefused, match="port 22"):
        await expander.check_url(URL("http://public.test:22/"))


# --- redirects on loopback -----------------------------------------------------------------


class Server:
    """A loopback server with redirect chains; counts the requests it serves."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []
        self.url = ""

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.StreamResponse:
            self.requests.append((request.method, request.path, request.host))
            name = request.match_info["name"]
            if name.startswith("hop"):
                left = int(name[3:])
                target = "/final" if left <= 1 else f"/hop{left - 1}"
                raise web.HTTPFound(target)
            if name == "to-private":
                raise web.HTTPFound("http://10.0.0.1/admin")
            if name == "to-decimal":
                raise web.HTTPFound(self.url.replace("127.0.0.1", "2130706433") + "/final")
            if name == "to-other-port":
                raise web.HTTPFound(self.url.replace("127.0.0.1", "127.0.0.2") + "/final")
            if name == "to-lookalike":
                port = URL(self.url).port
                raise web.HTTPFound(f"http://binance-verify.xyz:{port}/final")
            if name == "relative":
                raise web.HTTPFound("final")
            if name == "no-head":
                if request.method == "HEAD":
                    raise web.HTTPMethodNotAllowed("HEAD", ["GET"])
                resp = web.StreamResponse(status=200)
                await resp.prepare(request)
                await resp.write(b"x" * 1024)
                await asyncio.sleep(30)  # a body that never ends: reading it would time out
                return resp
            if name == "slow":
                await asyncio.sleep(30)
            return web.Response(text="end")

        app = web.Application()
        app.router.add_route("*", "/{name}", handle)
        return app


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    runner = web.AppRunner(state.app(), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


def loopback_expander(**kw) -> LinkExpander:
    """An expander that may contact 127.0.0.1 only (production never allows loopback)."""
    return LinkExpander(
        timeout=kw.pop("timeout", 3.0),
        address_allowed=lambda ip: ip == LOOPBACK,
        resolve=no_dns,
        allowed_ports=None,
        **kw,
    )


async def test_follows_redirect_chain(server):
    """A chain of redirects ends at the final URL, every hop listed, nothing refused."""
    result = await loopback_expander().expand(server.url + "/hop3")
    assert result.ok
    assert result.final_url == server.url + "/final"
    assert [URL(h).path for h in result.hops] == ["/hop3", "/hop2", "/hop1", "/final"]
    assert {m for m, _, _ in server.requests} == {"HEAD"}


async def test_too_many_redirects(server):
    """More than max_redirects redirects stop the expansion."""
    result = await loopback_expander(max_redirects=2).expand(server.url + "/hop9")
    assert result.error == "too many redirects"
    assert len(result.hops) == 3


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/to-private", "10.0.0.1 is not a public address"),
     ("/to-other-port", "127.0.0.2 is not a public address")],
    ids=["redirect to private network", "redirect to other loopback address"],
)
async def test_each_hop_is_rechecked(server, path, reason):
    """A redirect to a refused address stops there; it is never requested."""
    result = await loopback_expander().expand(server.url + path)
    assert result.error == f"refused: {reason}"
    assert len(server.requests) == 1


async def test_decimal_ip_redirect_is_read_as_the_address(server):
    """A redirect to a decimal IP is checked as the address it means (127.0.0.1 here)."""
    result = await loopback_expander().expand(server.url + "/to-decimal")
    assert result.ok and URL(result.final_url).path == "/final"
    assert [p for _, p, _ in server.requests] == ["/to-decimal", "/final"]


async def test_relative_redirect(server):
    """A relative Location is resolved against the current URL."""
    result = await loopback_expander().expand(server.url + "/relative")
    assert result.ok and result.final_url == server.url + "/final"


async def test_get_fallback_never_reads_the_body(server):
    """When HEAD is refused, a GET is sent and its endless body is not read."""
    result = await loopback_expander(timeout=2.0).expand(server.url + "/no-head")
    assert result.ok and result.final_url == server.url + "/no-head"
    assert [m for m, _, _ in server.requests] == ["HEAD", "GET"]


async def test_total_time_limit(server):
    """A server that never answers costs at most the time limit."""
    result = await loopback_expander(timeout=0.3).expand(server.url + "/slow")
    assert result.error == "timed out"


async def test_results_are_cached(server):
    """Expanding the same link twice asks the server once."""
    expander = loopback_expander()
    first = await expander.expand(server.url + "/hop1")
    second = await expander.expand(server.url + "/hop1")
    assert first == second and len(server.requests) == 2


@pytest.mark.parametrize("callers", [2, 25], ids=["two", "raid"])
async def test_concurrent_expansions_of_one_link_share_one_fetch(server, callers):
    """Many messages with the same shortened link at once make one request chain."""
    expander = loopback_expander()
    results = await asyncio.gather(*(expander.expand(server.url + "/hop2")
                                     for _ in range(callers)))
    assert len(set(results)) == 1 and results[0].ok
    assert [p for _, p, _ in server.requests] == ["/hop2", "/hop1", "/final"]


async def test_concurrent_expansions_share_one_session_closed_when_idle(server):
    """Different links expanded at once use one HTTP session, closed once all are done."""
    expander = loopback_expander()
    results = await asyncio.gather(*(expander.expand(f"{server.url}/hop{n}")
                                     for n in range(1, 6)))
    assert all(r.ok for r in results)
    assert expander.sessions_opened == 1
    assert expander._session is None
    await expander.expand(server.url + "/relative")
    assert expander.sessions_opened == 2


async def test_a_cancelled_caller_does_not_cancel_the_shared_expansion(server):
    """When one of two callers waiting for a link gives up, the other still gets it."""
    expander = loopback_expander()
    first = asyncio.create_task(expander.expand(server.url + "/hop3"))
    second = asyncio.create_task(expander.expand(server.url + "/hop3"))
    await asyncio.sleep(0)
    first.cancel()
    result = await second
    assert first.cancelled()
    assert result.ok and len(server.requests) == 4


async def test_connects_to_the_checked_address(server):
    """A name is resolved once by the expander and the connection goes to that address,
    with the name kept as the Host header."""
    port = URL(server.url).port
    result = await loopback_expander().expand(f"http://short.test:{port}/final")
    assert result.ok
    assert server.requests == [("HEAD", "/final", f"short.test:{port}")]


async def test_production_policy_refuses_loopback(server):
    """With the default policy the loopback server is never contacted."""
    result = await LinkExpander(allowed_ports=None).expand(server.url + "/hop1")
    assert result.error.startswith("refused: 127.0.0.1")
    assert server.requests == []


async def test_expanded_targets_are_judged(server):
    """A shortened link's redirect target joins the request's URLs, where the link checks
    see the look-alike it hides."""
    data = parse_link_data(
        "scam_words: [verify]\nbrands:\n  - {id: binance, name: Binance, policy: contains,"
        " domains: [binance.com]}\n",
        shorteners=("bit.ly\n", "url-shorteners.txt"),
    )
    port = URL(server.url).port
    request = CheckRequest(f"free gift at http://bit.ly:{port}/to-lookalike")
    expanded = await expand_shortened(request, loopback_expander(), data)
    assert expanded.urls == (f"http://binance-verify.xyz:{port}/final",)
    links = extract_links(expanded.text, expanded.urls)
    rules = [hit.rule for link in links for hit in data.check_link(link)]
    assert rules == ["link.shortener", "link.brand-keyword"]


async def test_requests_without_shorteners_are_unchanged(server):
    """Nothing is fetched when no shortened link is present."""
    data = parse_link_data("brands:\n  - {id: a, name: A, domains: [a.com]}\n")
    request = CheckRequest("see https://example.org/page")
    assert await expand_shortened(request, loopback_expander(), data) is request
    assert server.requests == []
