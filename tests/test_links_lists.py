"""`scamguard lists update` against a loopback HTTP server: good lists are swapped in, bad or
partial downloads keep the old file."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.cli import main
from bot.errors import RuleSetError
from bot.lists import ListSource, atomic_write, parse_sources, update_lists
from rules import RULES_DIR

REAL = json.dumps({"deny": [f"claim-drop{i}-wallet.com" for i in range(40)]})
GOOD = json.dumps({"allow": ["github.io"], "deny": [f"phish{i}.example" for i in range(40)]})


def _routes() -> web.Application:
    async def good(request: web.Request) -> web.Response:
        return web.Response(body=GOOD.encode())

    async def error(request: web.Request) -> web.Response:
        return web.Response(status=500, text="oops")

    async def small(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps({"deny": ["a.example"]}))

    async def official(request: web.Request) -> web.Response:
        deny = [f"phish{i}.example" for i in range(40)] + ["binance.com"]
        return web.Response(text=json.dumps({"deny": deny}))

    async def garbage(request: web.Request) -> web.Response:
        return web.Response(text="<html>not json</html>")

    async def truncated(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Length": str(len(GOOD) + 500)})
        await resp.prepare(request)
        await resp.write(GOOD.encode()[:100])
        request.transport.close()  # the connection drops mid-body
        return resp

    async def huge(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 5000)

    async def real(request: web.Request) -> web.Response:
        return web.Response(text=REAL)

    async def domains(request: web.Request) -> web.Response:
        return web.Response(text="# list\n" + "\n".join(f"s{i}.ly" for i in range(30)))

    app = web.Application()
    for path, handler in (("/good", good), ("/error", error), ("/small", small),
                          ("/official", official), ("/garbage", garbage),
                          ("/truncated", truncated), ("/huge", huge), ("/domains", domains),
                          ("/real", real)):
        app.router.add_get(path, handler)
    return app


@pytest.fixture
async def server() -> Iterator[str]:
    runner = web.AppRunner(_routes())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    target.mkdir()
    shutil.copy(RULES_DIR / "brands.yaml", target / "brands.yaml")
    (target / "lists").mkdir()
    (target / "lists" / "polkadot-phishing.json").write_text(
        json.dumps({"deny": [f"old{i}.example" for i in range(30)]}), encoding="utf-8"
    )
    return target


def source(url: str, fmt: str = "polkadot-json", **kw) -> ListSource:
    return ListSource(name="test", url=url, file=kw.pop("file", "polkadot-phishing.json"),
                      format=fmt, min_entries=kw.pop("min_entries", 10),
                      max_bytes=kw.pop("max_bytes", 100_000))


async def test_good_list_is_swapped_in(server, rules):
    """A valid download replaces the file and reports its entry count."""
    (result,) = await update_lists(rules, [source(server + "/good")])
    assert (result.ok, result.entries) == (True, 40)
    assert (rules / "lists" / "polkadot-phishing.json").read_text("utf-8") == GOOD
    assert [p.name for p in (rules / "lists").iterdir()] == ["polkadot-phishing.json"]


FAILURES = [
    ("http error", "/error", {}, "HTTP 500"),
    ("too few entries", "/small", {}, "only 1 entries"),
    ("blocks an official domain", "/official", {}, "official domains (binance.com)"),
    ("not the format", "/garbage", {}, "not valid JSON"),
    ("connection drops mid-body", "/truncated", {}, "(ClientPayloadError)"),
    ("larger than allowed", "/huge", {"max_bytes": 1000}, "more than 1000"),
    ("nothing listening", "/good", {"port": 9}, "download failed"),
]


@pytest.mark.parametrize(("path", "kw", "error"), [c[1:] for c in FAILURES],
                         ids=[c[0] for c in FAILURES])
async def test_bad_download_keeps_old_list(server, rules, path, kw, error):
    """Failed, partial or invalid downloads leave the old file untouched."""
    before = (rules / "lists" / "polkadot-phishing.json").read_bytes()
    base = server
    if "port" in kw:
        base = f"http://127.0.0.1:{kw.pop('port')}"
    (result,) = await update_lists(rules, [source(base + path, **kw)], seconds=5)
    assert not result.ok
    assert error in result.error
    assert (rules / "lists" / "polkadot-phishing.json").read_bytes() == before
    assert len(list((rules / "lists").iterdir())) == 1  # no temporary file left behind


async def test_sudden_shrink_is_refused(server, rules):
    """A list much smaller than the current one is treated as broken."""
    big = json.dumps({"deny": [f"old{i}.example" for i in range(200)]})
    (rules / "lists" / "polkadot-phishing.json").write_text(big, encoding="utf-8")
    (result,) = await update_lists(rules, [source(server + "/good")])
    assert not result.ok and "40 entries where the current list has 200" in result.error


async def test_one_failure_does_not_stop_other_lists(server, rules):
    """Each list succeeds or fails on its own."""
    results = await update_lists(rules, [
        source(server + "/error"),
        source(server + "/domains", "domains", file="url-shorteners.txt"),
    ])
    assert [r.ok for r in results] == [False, True]
    assert "s29.ly" in (rules / "lists" / "url-shorteners.txt").read_text("utf-8")


def test_cli_lists_update(server_thread, rules, capsys):
    """`scamguard lists update --rules DIR` reads sources.yaml and reports each list."""
    (rules / "lists" / "sources.yaml").write_text(
        "sources:\n"
        f"  - {{name: p, url: '{server_thread}/good', file: polkadot-phishing.json,"
        " format: polkadot-json, min_entries: 10}\n"
        f"  - {{name: s, url: '{server_thread}/error', file: url-shorteners.txt,"
        " format: domains}\n",
        encoding="utf-8",
    )
    status = main(["lists", "update", "--rules", str(rules), "--timeout", "5",
                   "--into", str(rules / "lists")])
    captured = capsys.readouterr()
    assert status == 1
    assert "polkadot-phishing.json: updated, 40 entries" in captured.out
    assert "url-shorteners.txt: kept the old list: s: HTTP 500" in captured.err


@pytest.fixture
def server_thread() -> Iterator[str]:
    """The same loopback server on its own thread, for the synchronous CLI."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(_routes())
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


SOURCE_ERRORS = [
    ("not a list", "sources: 3\n", 1, "'sources' list"),
    ("missing url", "sources:\n  - name: a\n    file: a.txt\n    format: domains\n", 2,
     "missing url"),
    ("bad format", "sources:\n  - {name: a, url: 'https://x.example/l', file: a.txt,"
     " format: csv}\n", 2, "format must be one of"),
    ("path in file name", "sources:\n  - {name: a, url: 'https://x.example/l',"
     " file: ../brands.yaml, format: domains}\n", 2, "plain file name"),
]


@pytest.mark.parametrize(("text", "line", "message"), [c[1:] for c in SOURCE_ERRORS],
                         ids=[c[0] for c in SOURCE_ERRORS])
def test_sources_file_errors(text, line, message):
    """sources.yaml problems are reported with their line."""
    with pytest.raises(RuleSetError) as info:
        parse_sources(text, "lists/sources.yaml")
    (error,) = info.value.errors
    assert error.line == line and message in error.message


def test_shipped_sources_parse():
    """The bundled sources.yaml names both shipped lists."""
    text = (RULES_DIR / "lists" / "sources.yaml").read_text("utf-8")
    files = {s.file for s in parse_sources(text, "sources.yaml")}
    assert files == {"polkadot-phishing.json", "url-shorteners.txt"}
    assert all((RULES_DIR / "lists" / f).is_file() for f in files)


def test_atomic_write_replaces_whole_file(tmp_path: Path):
    """atomic_write leaves either the old or the new content, and no temporary file."""
    path = tmp_path / "list.txt"
    path.write_text("old", encoding="utf-8")
    atomic_write(path, b"new content")
    assert path.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["list.txt"]


async def test_lists_job_refreshes_into_the_data_directory_and_reloads(
    server, tmp_path, fake_api
):
    """The daily JobQueue job (scheduled by build_application) downloads the lists into
    <data>/lists, never into the rules folder, and the running detector uses them at once;
    a failed list is counted and keeps the old one."""
    from dataclasses import replace as dc_replace

    from bot.app import build_application
    from bot.core.model import CheckRequest
    from bot.rulesholder import RulesHolder
    from bot.settings import Settings
    from bot.wiring.listsjob import LISTS_JOB
    from bot.wiring.services import build_services
    from tests.conftest import fake_builder
    from tests.fakes import TOKEN

    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules, ignore=shutil.ignore_patterns("__pycache__"))
    (rules / "lists" / "polkadot-phishing.json").write_text(
        json.dumps({"deny": [f"old{i}.example" for i in range(30)]}), encoding="utf-8")
    (rules / "lists" / "sources.yaml").write_text(
        "sources:\n"
        f"  - {{name: p, url: '{server}/real', file: polkadot-phishing.json,"
        " format: polkadot-json, min_entries: 10}\n"
        f"  - {{name: s, url: '{server}/error', file: url-shorteners.txt, format: domains}}\n",
        encoding="utf-8")
    bundled = (rules / "lists" / "polkadot-phishing.json").read_bytes()
    (tmp_path / "data").mkdir()
    settings = Settings(token=TOKEN, db_path=tmp_path / "data" / "scamguard.db",
                        rules_dir=rules, rules_watch_seconds=0.0)
    settings = dc_replace(settings, lists_update_hours=24.0)
    services = await build_services(
        settings, rules=RulesHolder(rules, lists_dir=settings.lists_dir))
    app = build_application(settings, services, builder=fake_builder(fake_api))
    try:
        [job] = app.job_queue.get_jobs_by_name(LISTS_JOB)
        assert job.trigger.interval.total_seconds() == 24 * 3600
        check = CheckRequest("claim at https://claim-drop7-wallet.com/now")
        before = services.rules.detector.check(check)
        assert not any(h.category == "malicious_link" for h in before.hits)
        await app.initialize()
        await job.run(app)
        assert (settings.lists_dir / "polkadot-phishing.json").read_text("utf-8") == REAL
        assert (rules / "lists" / "polkadot-phishing.json").read_bytes() == bundled
        after = services.rules.detector.check(check)
        assert any(h.category == "malicious_link" for h in after.hits)
        metrics = services.metrics.render().decode()
        assert 'scamguard_list_updates_total{result="ok"} 1.0' in metrics
        assert 'scamguard_list_updates_total{result="failed"} 1.0' in metrics
    finally:
        await app.shutdown()
        await services.storage.close()


def test_lists_job_can_be_turned_off(settings, services, fake_api):
    """SCAMGUARD_LISTS_UPDATE_HOURS=0 schedules no refresh."""
    from dataclasses import replace as dc_replace

    from bot.app import build_application
    from bot.wiring.listsjob import LISTS_JOB
    from tests.conftest import fake_builder

    app = build_application(dc_replace(settings, lists_update_hours=0.0), services,
                            builder=fake_builder(fake_api))
    assert app.job_queue.get_jobs_by_name(LISTS_JOB) == ()


def test_first_refresh_comes_when_the_lists_are_due(tmp_path):
    """After a start, the first refresh waits until the newest refreshed list is a whole
    interval old (so restarts do not postpone it forever), but at least 10 minutes; with no
    refreshed list yet it comes 10 minutes after the start."""
    import os

    from bot.wiring.listsjob import FIRST_DELAY, first_delay

    day = 24 * 3600.0
    lists = tmp_path / "lists"
    assert first_delay(lists, day, now=1_000_000.0) == FIRST_DELAY
    lists.mkdir()
    path = lists / "polkadot-phishing.json"
    path.write_text("{}", encoding="utf-8")
    now = 2_000_000.0
    os.utime(path, (now - 6 * 3600, now - 6 * 3600))
    assert first_delay(lists, day, now=now) == 18 * 3600
    os.utime(path, (now - 3 * day, now - 3 * day))
    assert first_delay(lists, day, now=now) == FIRST_DELAY
    os.utime(path, (now + 3600, now + 3600))  # a clock set back: never more than an interval
    assert first_delay(lists, day, now=now) == day
