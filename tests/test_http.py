"""The operations HTTP server: /healthz, /metrics and POST /v1/check over real HTTP on
127.0.0.1, with the bearer token, the body limit and JSON errors."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram.ext import Application, ApplicationBuilder

from bot.app import build_application, build_web_app
from bot.commands.core import scan_lines
from bot.errors import SettingsError
from bot.settings import HttpAddress, Settings
from bot.wiring.http import MAX_CHECK_BODY, TELEGRAM_STALE_SECONDS, require_http_token
from bot.wiring.metrics import MeteredRequest
from bot.wiring.services import Services
from tests.fakes import TOKEN, FakeBotApi, FakeRequest

SEED = "Please send me your 12-word recovery phrase to verify your wallet, DM @wallet_help_desk"
HTTP_TOKEN = "ops-secret-token-0123456789"


@dataclass
class Ops:
    app: Application  # type: ignore[type-arg]
    client: TestClient  # type: ignore[type-arg]
    services: Services
    api: FakeBotApi

    async def get(self, path: str, token: str | None = None) -> tuple[int, Any, str]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.client.get(path, headers=headers) as response:
            text = await response.text()
            return response.status, _json_or_none(text), text

    async def post(self, path: str, body: bytes | str, token: str | None = None,
                   **headers: str) -> tuple[int, Any]:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.client.post(path, data=body, headers=headers) as response:
            return response.status, _json_or_none(await response.text())


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


@pytest.fixture
def http_settings(settings: Settings) -> Settings:
    return replace(settings, http=HttpAddress("127.0.0.1", 0))


async def _ops(settings: Settings, services: Services, api: FakeBotApi) -> AsyncIterator[Ops]:
    builder = (
        ApplicationBuilder().token(TOKEN)
        .request(MeteredRequest(FakeRequest(api), services.metrics))
        .get_updates_request(MeteredRequest(FakeRequest(api), services.metrics))
    )
    app = build_application(settings, services, builder=builder)
    await app.initialize()
    await app.start()
    client = TestClient(TestServer(build_web_app(app, settings), host="127.0.0.1"))
    await client.start_server()
    try:
        yield Ops(app, client, services, api)
    finally:
        await client.close()
        if app.running:
            await app.stop()
        await app.shutdown()


@pytest.fixture
async def ops(http_settings: Settings, services: Services, fake_api: FakeBotApi
              ) -> AsyncIterator[Ops]:
    """A started application with its web app served on 127.0.0.1, no HTTP token."""
    async for found in _ops(http_settings, services, fake_api):
        yield found


@pytest.fixture
async def guarded(http_settings: Settings, services: Services, fake_api: FakeBotApi
                  ) -> AsyncIterator[Ops]:
    """The same with SCAMGUARD_HTTP_TOKEN set."""
    async for found in _ops(replace(http_settings, http_token=HTTP_TOKEN), services, fake_api):
        yield found


# ---- /healthz -------------------------------------------------------------------------------


async def test_healthz_reports_rules_database_and_telegram(ops: Ops):
    """A running bot answers 200 with the rules digest, a writable database and how long ago
    Telegram answered (getMe at start)."""
    status, body, _ = await ops.get("/healthz")
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["rules"] == ops.services.rules.digest
    assert body["rules_loaded"] is True
    assert body["database_writable"] is True
    assert 0 <= body["telegram_seconds_since_answer"] < 5
    assert body["problems"] == []


def _missing_db(ops: Ops, settings: Settings) -> Settings:
    return replace(settings, db_path=settings.db_path.with_name("gone.db"))


def _db_is_a_directory(ops: Ops, settings: Settings) -> Settings:
    return replace(settings, db_path=settings.db_path.parent)


def _db_not_a_database(ops: Ops, settings: Settings) -> Settings:
    path = settings.db_path.with_name("garbage.db")
    path.write_bytes(b"this is not an SQLite file" * 100)
    return replace(settings, db_path=path)


def _telegram_silent(ops: Ops, settings: Settings) -> Settings:
    clock = ops.services.metrics.clock
    ops.services.metrics.clock = lambda: clock() + TELEGRAM_STALE_SECONDS + 5
    return settings


def _telegram_never(ops: Ops, settings: Settings) -> Settings:
    ops.services.metrics.telegram_last_answer = None
    return settings


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (_missing_db, "does not exist"),
        (_db_is_a_directory, "cannot open"),
        (_db_not_a_database, "not writable"),
        (_telegram_silent, "Telegram last answered"),
        (_telegram_never, "Telegram never answered"),
    ],
    ids=["database-missing", "database-unusable", "database-garbage", "telegram-silent",
         "telegram-never"],
)
async def test_healthz_is_503_when_something_is_wrong(ops: Ops, http_settings: Settings,
                                                      break_it, problem):
    """Each broken dependency turns /healthz into 503 and names the problem."""
    from bot.wiring.http import health

    settings = break_it(ops, http_settings)
    status, body = await health(ops.app, settings)
    assert status == 503
    assert body["status"] == "unhealthy"
    assert any(problem in p for p in body["problems"]), body["problems"]


async def test_healthz_is_503_once_the_bot_stopped(ops: Ops):
    """A stopped application is not healthy."""
    await ops.app.stop()
    status, body, _ = await ops.get("/healthz")
    assert status == 503
    assert "the bot is not running" in body["problems"]


@pytest.mark.parametrize("break_db", [False, True], ids=["healthy", "database-missing"])
async def test_healthz_never_shows_the_database_path_without_the_token(
    ops: Ops, http_settings: Settings, break_db: bool
):
    """Neither a healthy nor a failing /healthz names the database file to anyone."""
    if break_db:
        http_settings.db_path.rename(http_settings.db_path.with_name("moved.db"))
    _, _, text = await ops.get("/healthz")
    assert str(http_settings.db_path.parent) not in text
    assert http_settings.db_path.name not in text


@pytest.mark.parametrize(
    ("token", "shown"), [(None, False), ("wrong", False), (HTTP_TOKEN, True)],
    ids=["none", "wrong", "right"],
)
async def test_healthz_shows_the_database_path_with_the_token(
    guarded: Ops, http_settings: Settings, token, shown
):
    """With the bearer token /healthz also names the database file."""
    status, body, _ = await guarded.get("/healthz", token)
    assert status == 200
    assert (body.get("database") == str(http_settings.db_path)) is shown


async def test_database_probe_runs_once_per_interval(tmp_path):
    """Twenty gathered health checks probe the database once; after the interval, again,
    and a file that went away is then reported."""
    from bot.wiring.http import DatabaseProbe, probe_database

    path = tmp_path / "probe.db"
    sqlite3.connect(path).close()
    now = [100.0]
    probes: list[object] = []

    def counting(found):
        probes.append(found)
        return probe_database(found)

    probe = DatabaseProbe(path, ttl=5.0, probe=counting, clock=lambda: now[0])
    results = await asyncio.gather(*(probe.check() for _ in range(20)))
    assert results == [None] * 20
    path.unlink()
    now[0] += 4.9
    assert await probe.check() is None
    assert len(probes) == 1
    now[0] += 0.2
    assert await probe.check() == "the database file does not exist"
    assert len(probes) == 2


async def test_healthz_requests_share_the_cached_probe(ops: Ops, http_settings: Settings):
    """Repeated /healthz calls within the interval do not touch the database again: a
    database removed after the first call is noticed only once the cache expires."""
    assert (await ops.get("/healthz"))[0] == 200
    http_settings.db_path.rename(http_settings.db_path.with_name("moved.db"))
    statuses = [(await ops.get("/healthz"))[0] for _ in range(5)]
    assert statuses == [200] * 5


# ---- POST /v1/check -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_obj",
    [
        {"text": SEED, "lang": "en", "sender": {"name": "Helper", "username": "wallet_helper"}},
        {"text": "See you at the meetup on Friday, bring the slides"},
        {"text": "Lỗi ví? Gửi cụm từ khôi phục 12 từ cho admin để xác minh", "lang": "vi",
         "urls": ["https://example.org/x"]},
    ],
    ids=["scam", "clean", "vietnamese-with-urls"],
)
async def test_check_answers_the_scan_output_object(ops: Ops, request_obj):
    """POST /v1/check answers exactly what `scamguard scan` writes for the same object."""
    body = json.dumps(request_obj, ensure_ascii=False)
    status, answer = await ops.post("/v1/check", body.encode(),
                                    **{"Content-Type": "application/json"})
    assert status == 200, answer
    expected, ok = next(scan_lines(ops.services.rules.detector, [body]))
    assert ok
    assert answer == expected
    assert {k: answer[k] for k in request_obj} == request_obj
    assert answer["verdict"] in ("clean", "suspicious", "scam")


async def test_check_flags_a_seed_phrase_request(ops: Ops):
    """A seed-phrase request comes back as a scam with a key_request hit."""
    status, answer = await ops.post("/v1/check", json.dumps({"text": SEED}))
    assert status == 200
    assert answer["verdict"] == "scam"
    assert "key_request" in {h["category"] for h in answer["hits"]}


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{not json", 400, "invalid JSON"),
        (b'{"lang": "en"}', 400, "text"),
        (b'{"text": 5}', 400, "text"),
        (b'[{"text": "hi"}]', 400, "one scan-input JSON object"),
        (b"", 400, "one scan-input JSON object"),
        (b"\xff\xfe{}", 400, "UTF-8"),
        (json.dumps({"text": "a" * MAX_CHECK_BODY}).encode(), 413, "too large"),
    ],
    ids=["bad-json", "no-text", "text-not-string", "array", "empty", "not-utf8", "too-large"],
)
async def test_check_refuses_bad_bodies_with_json_errors(ops: Ops, body, status, fragment):
    """Bad bodies get a JSON error with the status; the server keeps serving."""
    got, answer = await ops.post("/v1/check", body)
    assert got == status
    assert answer["status"] == status
    assert fragment.lower() in answer["error"].lower()
    assert (await ops.post("/v1/check", json.dumps({"text": "hello"})))[0] == 200


async def test_too_large_body_without_length_is_refused(ops: Ops):
    """A chunked body (no Content-Length) beyond the limit is refused with 413 too."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'"}'

    async with ops.client.post("/v1/check", data=chunks()) as response:
        assert response.status == 413
        assert (await response.json())["status"] == 413


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v1/check", 405), ("GET", "/nothing-here", 404), ("POST", "/healthz", 405)],
    ids=["wrong-method", "unknown-path", "post-healthz"],
)
async def test_router_errors_are_json(ops: Ops, method, path, status):
    """Errors of the router itself (404, 405) are JSON with the status."""
    async with ops.client.request(method, path) as response:
        assert response.status == status
        body = await response.json()
        assert body["status"] == status
        assert body["error"]


# ---- the bearer token ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/metrics", {}, 401),
        ("/metrics", {"Authorization": "Bearer wrong"}, 401),
        ("/metrics", {"Authorization": f"Basic {HTTP_TOKEN}"}, 401),
        ("/metrics", {"Authorization": f"Bearer {HTTP_TOKEN}x"}, 401),
        ("/metrics", {"Authorization": f"Bearer {HTTP_TOKEN}"}, 200),
        ("/v1/check", {}, 401),
        ("/v1/check", {"Authorization": f"Bearer {HTTP_TOKEN}"}, 200),
        ("/healthz", {}, 200),
    ],
    ids=["metrics-none", "metrics-wrong", "metrics-basic", "metrics-longer", "metrics-right",
         "check-none", "check-right", "healthz-open"],
)
async def test_token_guards_metrics_and_check(guarded: Ops, path, headers, status):
    """With SCAMGUARD_HTTP_TOKEN set, /metrics and /v1/check need the exact bearer token;
    /healthz stays open for probes."""
    method = "POST" if path == "/v1/check" else "GET"
    async with guarded.client.request(method, path, headers=headers,
                                      data=json.dumps({"text": "hi"})) as response:
        assert response.status == status
        if status == 401:
            assert (await response.json()) == {"error": "a bearer token is required",
                                               "status": 401}
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("host", "token", "refused"),
    [
        ("0.0.0.0", None, True),
        ("192.0.2.10", None, True),
        ("::", None, True),
        ("0.0.0.0", HTTP_TOKEN, False),
        ("127.0.0.1", None, False),
        ("::1", None, False),
        ("localhost", None, False),
    ],
    ids=["any-v4", "public", "any-v6", "any-with-token", "loopback", "loopback-v6", "localhost"],
)
def test_listening_beyond_loopback_needs_a_token(settings: Settings, host, token, refused):
    """Beyond loopback the server refuses to start without SCAMGUARD_HTTP_TOKEN."""
    settings = replace(settings, http=HttpAddress(host, 8080), http_token=token)
    if refused:
        with pytest.raises(SettingsError, match="SCAMGUARD_HTTP_TOKEN"):
            require_http_token(settings)
    else:
        assert require_http_token(settings) == token


async def test_run_refuses_an_open_server_before_calling_telegram(settings: Settings,
                                                                 fake_api: FakeBotApi):
    """`serve` fails with a SettingsError before any Bot API call when the server would
    listen on every interface without a token."""
    from bot.commands.run import serve
    from tests.conftest import fake_builder

    settings = replace(settings, http=HttpAddress("0.0.0.0", 0))
    with pytest.raises(SettingsError, match="SCAMGUARD_HTTP_TOKEN"):
        await asyncio.wait_for(serve(settings, asyncio.Event(),
                                     builder=fake_builder(fake_api)), 5)
    assert fake_api.calls() == []


async def test_webhook_route_needs_no_bearer_token(http_settings: Settings, services: Services,
                                                   fake_api: FakeBotApi):
    """With a token set, Telegram's webhook calls (which carry only the secret header) are
    still accepted; the token guards only /metrics and /v1/check."""
    settings = replace(http_settings, mode="webhook", webhook_url="https://bot.example/v1/tg",
                       webhook_secret="hook-secret", http_token=HTTP_TOKEN)
    async for ops in _ops(settings, services, fake_api):
        update = {"update_id": 1, "message": {
            "message_id": 5, "date": 0, "chat": {"id": -100, "type": "supergroup", "title": "G"},
            "from": {"id": 7, "is_bot": False, "first_name": "X"}, "text": "hello"}}
        status, body = await ops.post("/v1/tg", json.dumps(update),
                                      **{"X-Telegram-Bot-Api-Secret-Token": "hook-secret",
                                         "Content-Type": "application/json"})
        assert status == 200, body
        assert (await ops.post("/v1/check", json.dumps({"text": "hi"})))[0] == 401


async def test_webhook_answers_503_with_retry_after_when_the_queue_is_full(
    http_settings: Settings, services: Services, fake_api: FakeBotApi
):
    """While one update is in a handler and the queue holds as many as it may, the next
    webhook update gets 503 with Retry-After (Telegram sends it again), not a plain 500, and
    /metrics counts it; once the handler is done, updates are taken again."""
    from telegram.ext import TypeHandler

    settings = replace(http_settings, mode="webhook", webhook_url="https://bot.example/tg",
                       webhook_secret="hook-secret")
    release = asyncio.Event()
    entered = asyncio.Event()

    async def hold(update: object, context: object) -> None:
        entered.set()
        await release.wait()

    builder = (
        ApplicationBuilder().token(TOKEN).update_queue(asyncio.Queue(maxsize=1))
        .request(FakeRequest(fake_api)).get_updates_request(FakeRequest(fake_api))
    )
    app = build_application(settings, services, builder=builder)
    app.add_handler(TypeHandler(object, hold), group=-5000)
    await app.initialize()
    await app.start()
    client = TestClient(TestServer(build_web_app(app, settings), host="127.0.0.1"))
    await client.start_server()

    async def post(n: int) -> tuple[int, str | None]:
        update = {"update_id": n, "message": {
            "message_id": n, "date": 0, "chat": {"id": -100, "type": "supergroup", "title": "G"},
            "from": {"id": 7, "is_bot": False, "first_name": "X"}, "text": "hello"}}
        async with client.post("/tg", json=update,
                               headers={"X-Telegram-Bot-Api-Secret-Token": "hook-secret"}) as r:
            return r.status, r.headers.get("Retry-After")

    try:
        assert await post(1) == (200, None)
        await asyncio.wait_for(entered.wait(), 5)
        assert await post(2) == (200, None)
        status, retry_after = await post(3)
        assert status == 503
        assert retry_after is not None and int(retry_after) > 0
        metrics = services.metrics.render().decode()
        assert 'scamguard_webhook_refused_total{reason="queue_full"} 1.0' in metrics
        release.set()
        for _ in range(100):
            if app.update_queue.empty():
                break
            await asyncio.sleep(0.02)
        assert (await post(4))[0] == 200
    finally:
        release.set()
        await client.close()
        await app.stop()
        await app.shutdown()


async def test_check_takes_lone_surrogates_in_every_name(ops: Ops):
    """POST /v1/check with lone surrogates (valid JSON escapes) in sender, forward and admin
    names answers 200 with the verdict, not a 500."""
    body = ('{"text": "\\u9019\\u88e1 hello", "sender": {"name": "\\ud800 Mai"}, '
            '"forward_from": {"name": "\\udfff \\u9019", "type": "user"}, '
            '"chat": {"type": "supergroup", "admins": [{"name": "\\ud83d \\u7ba1"}]}}')
    status, out = await ops.post("/v1/check", body)
    assert status == 200, out
    assert out["verdict"] in ("clean", "suspicious", "scam")


# ---- /livez and /readyz --------------------------------------------------------------------


async def test_livez_is_200_even_when_dependencies_fail(ops: Ops, http_settings: Settings):
    """/livez says only that the process serves HTTP: a silent Telegram or a missing database
    does not make an orchestrator restart the bot."""
    _telegram_silent(ops, http_settings)
    ops.api.fail("getMe", 502, "Bad Gateway", times=10)
    http_settings.db_path.unlink()
    status, body, _ = await ops.get("/livez")
    assert (status, body) == (200, {"status": "alive"})


async def test_readyz_reports_rules_database_and_telegram(ops: Ops):
    """A running bot that Telegram answered recently is ready, without asking Telegram."""
    calls = len(ops.api.calls("getMe"))
    status, body, _ = await ops.get("/readyz")
    assert status == 200, body
    assert body == {"status": "ready", "rules_loaded": True, "database_writable": True,
                    "telegram_reachable": True, "problems": []}
    assert len(ops.api.calls("getMe")) == calls


async def test_readyz_asks_telegram_when_silent_and_caches_the_answer(
    ops: Ops, http_settings: Settings
):
    """With no recent Bot API success, /readyz calls getMe once per cache period: a failure
    is 503 naming Telegram; repeated calls within the period reuse the answer."""
    _telegram_silent(ops, http_settings)
    ops.api.fail("getMe", 502, "Bad Gateway", times=10)
    calls = len(ops.api.calls("getMe"))
    status, body, _ = await ops.get("/readyz")
    assert status == 503
    assert body["telegram_reachable"] is False
    assert any("Telegram is not reachable" in p for p in body["problems"])
    assert (await ops.get("/readyz"))[0] == 503
    assert len(ops.api.calls("getMe")) == calls + 1


async def test_readyz_is_ready_when_the_probe_reaches_telegram(ops: Ops,
                                                               http_settings: Settings):
    """Silent but reachable: the getMe probe succeeds and the bot is ready."""
    from bot.wiring.http import DatabaseProbe, TelegramProbe, readiness

    ops.services.metrics.telegram_last_ok = None
    probe = TelegramProbe(ops.app)
    status, body = await readiness(ops.app, DatabaseProbe(http_settings.db_path), probe)
    assert status == 200, body


async def test_readyz_is_503_when_the_database_is_gone(ops: Ops, http_settings: Settings):
    """A database that cannot take writes makes the bot not ready."""
    from bot.wiring.http import DatabaseProbe, TelegramProbe, readiness

    gone = DatabaseProbe(http_settings.db_path.with_name("gone.db"))
    status, body = await readiness(ops.app, gone, TelegramProbe(ops.app))
    assert status == 503 and body["database_writable"] is False
