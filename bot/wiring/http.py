"""Operations routes of the SCAMGUARD_HTTP server: `GET /healthz`, `GET /livez`,
`GET /readyz`, `GET /metrics` and `POST /v1/check`, with bearer-token auth, a body size
limit and JSON errors.

`add_ops_routes(web_app, application, settings)` adds them to the aiohttp app that also
serves webhooks."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram.error import TelegramError
from telegram.ext import Application

from bot.commands.core import dump_json, scan_lines
from bot.errors import SettingsError
from bot.settings import Settings
from bot.storage.postgres import describe_target
from bot.storage.sqlite import probe_file
from bot.wiring.metrics import CONTENT_TYPE
from bot.wiring.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)

MAX_CHECK_BODY = 64 * 1024
# Polling asks Telegram at least every 30 seconds; four missed polls means it is gone.
TELEGRAM_STALE_SECONDS = 120.0
DB_PROBE_TIMEOUT = 0.5
# /healthz probes the database at most this often.
HEALTH_CACHE_SECONDS = 5.0
PROTECTED = frozenset({"/metrics", "/v1/check"})
# /readyz asks Telegram itself (getMe) at most this often, and only when no Bot API call
# succeeded within TELEGRAM_STALE_SECONDS; each ask waits at most TELEGRAM_PROBE_TIMEOUT.
READY_CACHE_SECONDS = 10.0
TELEGRAM_PROBE_TIMEOUT = 3.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(status: int, message: str) -> web.Response:
    """The JSON body of every error: `{"error": ..., "status": N}`."""
    return web.json_response({"error": message, "status": status}, status=status)


def require_http_token(settings: Settings) -> str | None:
    """The token the protected routes require; a SettingsError when the server listens
    beyond loopback without one."""
    if settings.http is not None and not settings.http.is_loopback and not settings.http_token:
        raise SettingsError(
            f"SCAMGUARD_HTTP={settings.http} listens beyond loopback: set "
            "SCAMGUARD_HTTP_TOKEN (a long random string) to protect /metrics and /v1/check"
        )
    return settings.http_token


def authorized(request: web.Request, token: str) -> bool:
    """Whether the request carries `Authorization: Bearer <token>` (constant-time)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def make_middleware(token: str | None) -> Any:
    """Bearer auth on the protected routes and JSON bodies for every HTTP error."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token is not None and request.path in PROTECTED and not authorized(
            request, token
        ):
            response = error_response(401, "a bearer token is required")
            response.headers["WWW-Authenticate"] = 'Bearer realm="scamguard"'
            return response
        try:
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            return error_response(413, "request body too large")
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(exc.status, exc.reason)

    return middleware


def probe_database(path: Path, timeout: float = DB_PROBE_TIMEOUT) -> str | None:
    """The SQLite write-lock probe of `path` (see `bot.storage.sqlite.probe_file`)."""
    return probe_file(path, timeout)


class DatabaseProbe:
    """`probe_database` run at most once per `ttl` seconds: /healthz needs no token, and a
    write-lock probe on every request would compete with the bot's incident writes.
    Concurrent callers share one probe."""

    def __init__(
        self,
        path: Path | str,
        *,
        ttl: float = HEALTH_CACHE_SECONDS,
        probe: Callable[[Path], str | None] = probe_database,
        clock: Callable[[], float] = time.monotonic,
        check_with: Callable[[], Awaitable[str | None]] | None = None,
    ) -> None:
        self.path = path
        self._check_with = check_with
        self.ttl = ttl
        self._probe = probe
        self._clock = clock
        self._lock = asyncio.Lock()
        self._result: tuple[float, str | None] | None = None

    async def check(self) -> str | None:
        """None when the database takes writes, else why not (cached for `ttl` seconds)."""
        async with self._lock:
            now = self._clock()
            if self._result is not None and now - self._result[0] < self.ttl:
                return self._result[1]
            if self._check_with is not None:
                error = await self._check_with()
            else:
                error = await asyncio.to_thread(self._probe, Path(self.path))
            self._result = (self._clock(), error)
            return error


class TelegramProbe:
    """Whether the Bot API is reachable: a call that succeeded within `stale` seconds says so
    for free; otherwise one getMe, bounded by `timeout`, at most once per `ttl` seconds
    (concurrent callers share it)."""

    def __init__(
        self,
        application: Application,
        *,
        stale: float = TELEGRAM_STALE_SECONDS,
        ttl: float = READY_CACHE_SECONDS,
        timeout: float = TELEGRAM_PROBE_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.application = application
        self.stale = stale
        self.ttl = ttl
        self.timeout = timeout
        self._clock = clock
        self._lock = asyncio.Lock()
        self._result: tuple[float, str | None] | None = None

    async def check(self, metrics: Any) -> str | None:
        """None when Telegram is reachable, else why not."""
        since = metrics.seconds_since_telegram_ok()
        if since is not None and since <= self.stale:
            return None
        async with self._lock:
            now = self._clock()
            if self._result is not None and now - self._result[0] < self.ttl:
                return self._result[1]
            error: str | None = None
            try:
                await asyncio.wait_for(self.application.bot.get_me(), self.timeout)
            except (TelegramError, TimeoutError) as exc:
                error = f"Telegram is not reachable ({exc.__class__.__name__})"
            self._result = (self._clock(), error)
            return error


async def readiness(
    application: Application, database: DatabaseProbe, telegram: TelegramProbe
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of /readyz: 200 when the bot runs, rules are loaded, the database
    takes writes and Telegram is reachable; else 503 naming each problem."""
    services: Services = application.bot_data[SERVICES_KEY]
    problems: list[str] = []
    if not application.running:
        problems.append("the bot is not running")
    try:
        rules_loaded = bool(services.rules.digest)
    except AttributeError:
        rules_loaded = False
    if not rules_loaded:
        problems.append("no rules loaded")
    db_error = await database.check()
    if db_error:
        problems.append(db_error)
    tg_error = await telegram.check(services.metrics)
    if tg_error:
        problems.append(tg_error)
    body = {
        "status": "ready" if not problems else "not ready",
        "rules_loaded": rules_loaded,
        "database_writable": db_error is None,
        "telegram_reachable": tg_error is None,
        "problems": problems,
    }
    return (200 if not problems else 503), body


def database_probe(
    settings: Settings, services: Services, *, ttl: float = HEALTH_CACHE_SECONDS
) -> DatabaseProbe:
    """The probe of the bot's database: a write transaction on the PostgreSQL server through
    the repository, or a SQLite file's write lock taken on a connection of its own (the
    storage module's `probe_file`)."""
    if settings.db_url:
        return DatabaseProbe(describe_target(settings.db_url), ttl=ttl,
                             check_with=services.storage.probe)
    return DatabaseProbe(Path(settings.db_path), ttl=ttl)


async def health(
    application: Application,
    settings: Settings,
    probe: DatabaseProbe | None = None,
    *,
    reveal: bool = False,
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of /healthz: 200 when the bot runs, rules are loaded, the
    database takes writes and (when polling) Telegram answered recently; else 503. The
    database path is in the body only with `reveal` (an authenticated caller)."""
    services: Services = application.bot_data[SERVICES_KEY]
    problems: list[str] = []
    if not application.running:
        problems.append("the bot is not running")
    try:
        digest: str | None = services.rules.digest
    except AttributeError:
        digest = None
        problems.append("no rules loaded")
    if probe is None:
        probe = database_probe(settings, services, ttl=0.0)
    db_error = await probe.check()
    if db_error:
        problems.append(db_error)
    since = services.metrics.seconds_since_telegram()
    if since is None:
        problems.append("Telegram never answered")
    elif settings.mode == "polling" and since > TELEGRAM_STALE_SECONDS:
        problems.append(f"Telegram last answered {since:.0f} s ago")
    body: dict[str, Any] = {
        "status": "ok" if not problems else "unhealthy",
        "rules": digest,
        "rules_loaded": digest is not None,
        "database_writable": db_error is None,
        "telegram_seconds_since_answer": None if since is None else round(since, 3),
        "problems": problems,
    }
    if reveal:
        body["database"] = str(probe.path)
    return (200 if not problems else 503), body


async def read_limited(request: web.Request, limit: int) -> bytes | None:
    """The request body, or None when it is longer than `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = await request.content.read(limit + 1)
    return None if len(body) > limit else body


def add_ops_routes(web_app: web.Application, application: Application, settings: Settings) -> None:
    """Add /healthz, /metrics and /v1/check (and the auth and error middleware) to
    `web_app`; a SettingsError when the server would be open beyond loopback."""
    token = require_http_token(settings)
    web_app.middlewares.append(make_middleware(token))

    def services() -> Services:
        found: Services = application.bot_data[SERVICES_KEY]
        return found

    probe = database_probe(settings, services())

    async def get_health(request: web.Request) -> web.Response:
        reveal = token is not None and authorized(request, token)
        status, body = await health(application, settings, probe, reveal=reveal)
        return web.json_response(body, status=status)

    telegram = TelegramProbe(application)

    async def get_live(request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def get_ready(request: web.Request) -> web.Response:
        status, body = await readiness(application, probe, telegram)
        return web.json_response(body, status=status)

    async def get_metrics(request: web.Request) -> web.Response:
        response = web.Response(body=services().metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    async def post_check(request: web.Request) -> web.Response:
        body = await read_limited(request, MAX_CHECK_BODY)
        if body is None:
            return error_response(413, f"request body too large (limit {MAX_CHECK_BODY} bytes)")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return error_response(400, "request body is not UTF-8")
        if not text.lstrip().startswith("{"):
            return error_response(400, "expected one scan-input JSON object")
        ours = services()
        started = time.perf_counter()
        out, ok = next(scan_lines(ours.rules.detector, [text]))
        if not ok:
            return error_response(400, str(out["error"]))
        ours.metrics.observe_verdict(
            "api", time.perf_counter() - started, str(out["verdict"]),
            [str(hit.get("category")) for hit in out.get("hits", [])],
        )
        return web.json_response(out, dumps=dump_json)

    web_app.router.add_get("/healthz", get_health)
    web_app.router.add_get("/livez", get_live)
    web_app.router.add_get("/readyz", get_ready)
    web_app.router.add_get("/metrics", get_metrics)
    web_app.router.add_post("/v1/check", post_check)
