"""Shared fixtures: the real application built by `build_application()` against the fake Bot
API, a real SQLite file in `tmp_path`, the bundled rules, and an error collector that fails a
test when any handler raised."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.settings import Settings
from rules import RULES_DIR
from tests.fakes import TOKEN, FakeBotApi, FakeBotServer, FakeRequest
from tests.fakes.updates import GROUP_ID, person

if TYPE_CHECKING:
    from bot.rulesholder import RulesHolder
    from bot.wiring.services import Services

# Opt in to PTB 22's timedelta durations (RetryAfter.retry_after), as the Docker image does,
# so the deprecation warning about the old int form does not fail tests.
os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture
def fake_api() -> FakeBotApi:
    """A fresh fake Bot API: one group with admin Alice (owner) and Bob; the bot has all
    moderation rights."""
    api = FakeBotApi()
    api.set_admins(GROUP_ID, [ALICE, BOB], owner=ALICE["id"])
    return api


@pytest.fixture
async def fake_server(fake_api: FakeBotApi) -> AsyncIterator[FakeBotServer]:
    """The fake Bot API served over HTTP on 127.0.0.1 (random port)."""
    server = await FakeBotServer(fake_api).start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a test: a database file in tmp_path and the bundled rules."""
    return Settings(
        token=TOKEN,
        api_url="http://127.0.0.1:9/bot",
        db_path=tmp_path / "scamguard.db",
        rules_dir=RULES_DIR,
        rules_watch_seconds=0.0,
    )


@pytest.fixture(scope="session")
def rules_holder() -> RulesHolder:
    """The bundled rules, loaded once per test session (tests never modify them)."""
    from bot.rulesholder import RulesHolder

    return RulesHolder(RULES_DIR)


@pytest.fixture
async def services(settings: Settings, rules_holder: RulesHolder) -> AsyncIterator[Services]:
    """The real services: the bundled rules, a fresh SQLite file."""
    from bot.wiring.services import build_services

    built = await build_services(settings, rules=rules_holder)
    try:
        yield built
    finally:
        await built.close()


@dataclass
class Harness:
    """A running application on the in-process fake: feed raw updates, inspect the fake."""

    app: Application  # type: ignore[type-arg]
    api: FakeBotApi
    services: Services
    errors: list[BaseException] = field(default_factory=list)

    async def feed(self, raw: dict[str, Any], *, settle: bool = True) -> Update:
        """Parse a raw update with the real PTB parser and process it to the end; unless
        `settle` is False, also wait for the warnings it made due now (they are posted in
        the background)."""
        from handlers.group import settle_warnings

        update_json = dict(raw)
        update_json.setdefault("update_id", self.api.add_update(raw))
        update = Update.de_json(update_json, self.app.bot)
        await self.app.process_update(update)
        if settle:
            await settle_warnings(self.app)
        return update

    async def flush(self) -> None:
        """Post warnings held back by the per-chat interval."""
        from handlers.group import flush_warnings

        await flush_warnings(self.app)


def collect_errors(errors: list[BaseException]) -> Any:
    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            errors.append(context.error)

    return collect


def fake_builder(api: FakeBotApi) -> ApplicationBuilder:  # type: ignore[type-arg]
    """An ApplicationBuilder on the in-process fake (no rate limiter: handler tests)."""
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .request(FakeRequest(api))
        .get_updates_request(FakeRequest(api))
    )


@pytest.fixture
async def harness(
    settings: Settings, services: Services, fake_api: FakeBotApi
) -> AsyncIterator[Harness]:
    """The application built by build_application(), initialized and started on the
    in-process fake; asserts at the end that no handler raised."""
    from bot.app import build_application

    app = build_application(settings, services, builder=fake_builder(fake_api))
    h = Harness(app, fake_api, services)
    app.add_error_handler(collect_errors(h.errors))
    await app.initialize()
    await app.start()
    try:
        yield h
    finally:
        await h.flush()
        await app.stop()
        await app.shutdown()
    assert h.errors == [], f"handler errors: {h.errors!r}"


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)


ALICE = person(1001, "Alice", "alice_admin")
BOB = person(1002, "Bob", "bob_mod")
CAROL = person(2001, "Carol", "carol")
DAVE = person(2002, "Dave", "dave_x")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """The URL of an empty PostgreSQL database of its own (see tests/pg.py); fails, never
    skips, without a server."""
    from tests.pg import fresh_database

    async with fresh_database() as url:
        yield url
