"""Wiring: the python-telegram-bot Application with every handler module registered, and the
aiohttp web app that receives webhooks. Used by `scamguard run` and by the tests."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes
from telegram.request import HTTPXRequest

from bot.console import add_console_routes
from bot.errors import ScamguardError, SettingsError
from bot.settings import Settings
from bot.wiring.http import add_ops_routes
from bot.wiring.listsjob import schedule_lists_update
from bot.wiring.metrics import MeteredRequest, Metrics
from bot.wiring.metrics import install as install_metrics
from bot.wiring.refitjob import schedule_refit
from bot.wiring.retention import schedule_purge
from bot.wiring.services import SERVICES_KEY, Services
from handlers import (
    BOT_DEFAULTS,
    admin,
    group,
    lists,
    logchat,
    members,
    onboarding,
    operators,
    private,
    report,
    signals,
)

log = logging.getLogger(__name__)

# Commands first, then member events, then the group watcher that sees every other message.
HANDLER_MODULES = (onboarding, private, admin, lists, logchat, operators, report, members,
                   group, signals)

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.CHAT_MEMBER,
    Update.MY_CHAT_MEMBER,
]

# Telegram's 20-per-minute group limit counts messages the bot sends to the group. Edits
# (a settings keyboard redrawn, a warning turned into "marked as not a scam") add no message,
# and deletions and member actions none either: they are held to the overall per-token limit
# only (a raid's deletions are paced with the warnings, so no burst of them draws a 429 that
# pauses every request), and a 429 on them is retried after Telegram's retry_after.
# answerCallbackQuery has no chat_id and is not limited at all (it must come within seconds),
# nor are reads (getChatAdministrators, getChatMember, getChat): they send nothing, and held
# to the 30-a-second budget of messages they made the first message of every new chat wait
# behind a raid's deletions and warnings.
_SENDING = ("send", "copy", "forward")
_READING = ("get",)
# A chat_id that AIORateLimiter counts under the overall limit but under no group limit.
_OVERALL_ONLY = 0

WEBHOOK_PATH = "/telegram"
# The Application the web app serves, for routes that ops adds (health, check API).
APPLICATION_KEY: web.AppKey[Application] = web.AppKey("application", Application)
MAX_WEBHOOK_BODY = 1 << 20
# Seconds Telegram is asked to wait before retrying an update refused during a shutdown or
# while the update queue is full.
WEBHOOK_RETRY_AFTER = 5


class WebhookGate:
    """Whether the webhook route still takes updates. Closed at the start of a shutdown: from
    then on updates are answered 503, so Telegram keeps and retries them, and every update
    answered 200 is already in the queue the application drains before it stops."""

    def __init__(self) -> None:
        self.open = True

    def close(self) -> None:
        self.open = False


WEBHOOK_GATE_KEY: web.AppKey[WebhookGate] = web.AppKey("webhook_gate", WebhookGate)


class ModerationRateLimiter(AIORateLimiter):
    """AIORateLimiter that applies the per-group message limit to sent messages only, so a
    burst of deletions, or an admin going through the settings keyboard, is not held to 20
    per minute, while every call with a chat that acts (sends, deletions, bans, restrictions,
    edits) stays under the overall limit; reads are not held. Retries on RetryAfter."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        name = endpoint.lower()
        if name.startswith(_READING):
            data = {k: v for k, v in data.items() if k != "chat_id"}
        elif "chat_id" in data and not name.startswith(_SENDING):
            data = {**data, "chat_id": _OVERALL_ONLY}
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


CONCURRENT_UPDATES = 64
QUEUED_UPDATES = 64


class BoundedUpdateQueue(asyncio.Queue[object]):
    """The update queue with backpressure: at most `in_flight` updates are taken for handling
    at once and at most `maxsize` wait. Polling then fetches, and Telegram forgets, only about
    what the bot is about to handle, so a crash loses at most `in_flight + maxsize` updates
    instead of the whole backlog it had fetched."""

    def __init__(self, in_flight: int = CONCURRENT_UPDATES,
                 maxsize: int = QUEUED_UPDATES) -> None:
        super().__init__(maxsize)
        self._slots = asyncio.Semaphore(in_flight)

    async def get(self) -> object:
        await self._slots.acquire()
        try:
            return await super().get()
        except BaseException:
            self._slots.release()
            raise

    def task_done(self) -> None:
        super().task_done()
        self._slots.release()


def flood_limiter() -> ModerationRateLimiter:
    """Telegram's limits held in every sliding window: under 30 messages in any second and
    20 in any minute per group. A leaky bucket lets its capacity through at once and then
    refills, so a window can see capacity + rate x length: 3 + 26/s overall, 5 + 14/min per
    group (a burst of 5 keeps an admin's keyboard quick)."""
    return ModerationRateLimiter(
        overall_max_rate=3, overall_time_period=3 / 26,
        group_max_rate=5, group_time_period=60 * 5 / 14,
        max_retries=3,
    )


def default_builder(settings: Settings, metrics: Metrics | None = None) -> ApplicationBuilder:
    """The builder for production: token, API URL, flood-limit aware, concurrent updates;
    with `metrics`, every Bot API answer is counted."""
    builder = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.api_url)
        .rate_limiter(flood_limiter())
        .concurrent_updates(CONCURRENT_UPDATES)
        .update_queue(BoundedUpdateQueue())
    )
    if metrics is not None:
        builder = builder.request(
            MeteredRequest(HTTPXRequest(connection_pool_size=256), metrics)
        ).get_updates_request(MeteredRequest(HTTPXRequest(connection_pool_size=1), metrics))
    return builder


async def log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler error with the update it came from; the bot keeps running."""
    where = ""
    if isinstance(update, Update):
        chat = update.effective_chat
        user = update.effective_user
        where = (f" (update {update.update_id}, chat {chat.id if chat else '-'}, "
                 f"user {user.id if user else '-'})")
    log.error("error while handling an update%s", where, exc_info=context.error)


def build_application(
    settings: Settings, services: Services, *, builder: ApplicationBuilder | None = None
) -> Application:
    """The Application with services in `bot_data`, every handler module registered and
    the bot's defaults (HTML, no link previews) set on the builder."""
    application = (
        (builder or default_builder(settings, services.metrics)).defaults(BOT_DEFAULTS).build()
    )
    application.bot_data[SERVICES_KEY] = services
    install_metrics(application, services.metrics)
    services.metrics.watch(application.update_queue.qsize,
                           lambda: group.pending_warnings(application))
    for module in HANDLER_MODULES:
        module.register(application)
    schedule_purge(application)
    schedule_lists_update(application, settings.lists_update_hours, settings.lists_dir)
    schedule_refit(application, settings)
    application.add_error_handler(log_error)
    return application


@asynccontextmanager
async def initialized(application: Application, settings: Settings) -> AsyncIterator[None]:
    """Initialize the application (Telegram's getMe) for the duration of the block; a token
    Telegram refuses or an unreachable Bot API is a ScamguardError with a clear message."""
    try:
        await application.initialize()
    except InvalidToken as exc:
        await application.bot.shutdown()
        # PTB's own message repeats the token: never show it.
        raise SettingsError(
            "Telegram refused SCAMGUARD_TOKEN: check it with @BotFather"
        ) from exc
    except NetworkError as exc:
        await application.bot.shutdown()
        raise ScamguardError(f"cannot reach the Bot API at {settings.api_url} ({exc})") from exc
    # The menus and descriptions are set in the background: Telegram being slow or refusing
    # them never delays or stops the start.
    profile = asyncio.create_task(set_bot_profile(application))
    try:
        yield
    finally:
        if not profile.done():
            profile.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await profile
        await application.shutdown()


async def set_bot_profile(application: Application) -> None:
    """Set the command menus and descriptions in every language (see `handlers.onboarding`)."""
    services = application.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        return
    try:
        await onboarding.set_profile(application.bot, services.rules.texts)
    except Exception:  # a background task: a failure is logged, the bot runs on
        log.exception("could not set the bot's menus and descriptions")


def webhook_path(settings: Settings) -> str:
    """The path of the webhook route: the path of SCAMGUARD_WEBHOOK_URL, else /telegram."""
    from urllib.parse import urlsplit

    path = urlsplit(settings.webhook_url or "").path
    return path if path and path != "/" else WEBHOOK_PATH


def services_of(application: Application) -> Services:
    found: Services = application.bot_data[SERVICES_KEY]
    return found


def build_web_app(application: Application, settings: Settings) -> web.Application:
    """The aiohttp app of SCAMGUARD_HTTP: the operations routes of `bot.wiring.http` (/healthz,
    /metrics, /v1/check) and, in webhook mode, the webhook route."""
    web_app = web.Application(client_max_size=MAX_WEBHOOK_BODY)
    web_app[APPLICATION_KEY] = application
    gate = web_app[WEBHOOK_GATE_KEY] = WebhookGate()
    add_ops_routes(web_app, application, settings)
    add_console_routes(web_app, application, settings)
    if settings.mode == "webhook":
        secret = (settings.webhook_secret or "").encode()
        metrics = services_of(application).metrics

        def refuse(reason: str, message: str) -> web.Response:
            """503 with Retry-After: Telegram keeps the update and sends it again later."""
            metrics.webhook_refused.labels(reason).inc()
            return web.json_response(
                {"error": message}, status=503,
                headers={"Retry-After": str(WEBHOOK_RETRY_AFTER)},
            )

        async def receive_update(request: web.Request) -> web.Response:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
            if not secret or not hmac.compare_digest(given, secret):
                return web.json_response({"error": "forbidden"}, status=403)
            try:
                data = await request.json()
                update = Update.de_json(data, application.bot)
            except (ValueError, TypeError, KeyError) as exc:
                log.warning("webhook: undecodable update: %s", exc)
                return web.json_response({"error": "bad update"}, status=400)
            # No await between this check and the put: an update answered 200 is queued
            # before the application can begin to stop.
            if not gate.open or not application.running:
                return refuse("shutting_down", "shutting down")
            try:
                application.update_queue.put_nowait(update)
            except asyncio.QueueFull:
                return refuse("queue_full", "too many updates waiting")
            return web.json_response({"ok": True})

        web_app.router.add_post(webhook_path(settings), receive_update)
    return web_app

