"""`scamguard run`: the bot, configured only by the environment. Long polling by default;
webhook mode serves Telegram's calls on SCAMGUARD_HTTP and checks the secret-token header."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.errors import SettingsError
from bot.logs import setup_logging
from bot.settings import Settings

log = logging.getLogger("scamguard")

POLL_TIMEOUT = 30


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the Telegram bot (settings from SCAMGUARD_* environment variables)",
        description="Runs the bot. Configure it with SCAMGUARD_TOKEN and the other "
        "SCAMGUARD_* variables (see README, Settings).",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Entry point of `scamguard run`: settings from the environment, then serve until a
    SIGINT or SIGTERM."""
    settings = Settings.from_env(os.environ)
    settings.require_token()
    setup_logging(settings)
    asyncio.run(_main(settings))
    return 0


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(settings, stop)


async def start_http(web_app: web.Application, settings: Settings) -> web.AppRunner | None:
    """Listen on SCAMGUARD_HTTP with the given aiohttp app; None when it is off."""
    if settings.http is None:
        return None
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http.host, settings.http.port)
    await site.start()
    log.info("HTTP server on %s", settings.http)
    return runner


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    builder: Any = None,
    services: Any = None,
    extend_web_app: Callable[[web.Application], Awaitable[None] | None] | None = None,
) -> None:
    """Run the bot until `stop` is set: open the services, start polling or the webhook
    server, and on stop shut down in order: refuse new webhook updates (503), stop polling,
    handle every update already accepted, post pending warnings, then close the HTTP server
    and the services."""
    from bot.app import (
        ALLOWED_UPDATES,
        WEBHOOK_GATE_KEY,
        build_application,
        build_web_app,
        initialized,
    )
    from bot.wiring.http import require_http_token
    from bot.wiring.services import build_services
    from handlers.group import flush_warnings
    from handlers.outbox import start_sender, stop_sender

    token = settings.require_token()
    require_http_token(settings)
    if settings.mode == "webhook" and (settings.http is None or not settings.webhook_url):
        raise SettingsError("webhook mode needs SCAMGUARD_HTTP and SCAMGUARD_WEBHOOK_URL")
    own_services = services is None
    if services is None:
        services = await build_services(settings)
    runner: web.AppRunner | None = None
    try:
        application = build_application(settings, services, builder=builder)
        async with initialized(application, settings):
            web_app = build_web_app(application, settings)
            if extend_web_app is not None:
                result = extend_web_app(web_app)
                if result is not None:
                    await result
            runner = await start_http(web_app, settings)
            if settings.mode != "webhook":
                assert application.updater is not None
                await application.updater.start_polling(
                    allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT
                )
            await application.start()
            await start_sender(application)
            try:
                if settings.mode == "webhook":
                    # Registered once the application runs: the first update is taken, not
                    # refused as if the bot were stopping.
                    await application.bot.set_webhook(
                        url=str(settings.webhook_url),
                        secret_token=settings.webhook_secret,
                        allowed_updates=ALLOWED_UPDATES,
                    )
                log.info("scamguard running (%s mode, bot id %s)", settings.mode,
                         token.split(":", 1)[0])
                await stop.wait()
            finally:
                # Refuse new webhook updates first (503: Telegram retries them later), so
                # the queue the application drains while stopping stops growing.
                web_app[WEBHOOK_GATE_KEY].close()
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
                await flush_warnings(application)
                await application.stop()
                # Updates still in flight at the first flush may have queued warnings since.
                await flush_warnings(application)
                await stop_sender(application)
    finally:
        if runner is not None:
            await runner.cleanup()
        if own_services:
            await services.close()
