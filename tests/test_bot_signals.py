"""Signals across groups end to end: a sender banned by the scam policy in one group is
flagged on their first message in another (decaying, cleared by Not a scam), an operator's
promoted sample protects every group, and CAS lookups of new members against a local
server (off by default, cached, bounded by a timeout, harmless when CAS is down)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from bot.settings import Settings
from bot.storage import SqliteStorage
from bot.wiring.cas import CasClient
from tests.conftest import ALICE, CAROL, Harness
from tests.fakes import BOT_ID, BOT_USERNAME
from tests.fakes.updates import (
    GROUP_ID,
    callback_update,
    chat_member_update,
    group,
    message,
    message_update,
    person,
    private,
)

SCAM = ("Hello, I am from Binance support. To unlock your account send me your 12-word "
        "recovery phrase")
OTHER = group(-100999, "Other Group")
OPERATOR = person(9001, "Olga", "olga_ops", language_code="en")
BOT = person(BOT_ID, "Scamguard", BOT_USERNAME, is_bot=True)
LISTED = person(6660, "Spam Bot Seller", "seller")
UNLISTED = person(6670, "Nina", "nina")
SAMPLE = "Kevin has the golden circle list ready, send him a note before Friday noon"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, operators=frozenset({OPERATOR["id"]}))


def command(sender: dict[str, Any], text: str, chat: dict[str, Any], **extra: Any) -> dict:
    name = text.split()[0]
    return message_update(message(chat, sender, text, entities=[
        {"type": "bot_command", "offset": 0, "length": len(name)}], **extra))


async def ban_carol_in_main_group(h: Harness) -> None:
    await h.services.storage.update_chat_settings(GROUP_ID, ALICE["id"], scam_action="ban")
    await h.feed(message_update(message(group(), CAROL, SCAM)))
    assert (GROUP_ID, CAROL["id"]) in h.api.banned


async def test_banned_sender_is_flagged_in_another_group(harness: Harness):
    """Banned for a scam in one group, Carol's first harmless message in another group gets
    a notice with a Not a scam button; her next message none."""
    await ban_carol_in_main_group(harness)
    await harness.feed(message_update(message(OTHER, CAROL, "hi everyone, nice to be here")))
    await harness.feed(message_update(message(OTHER, CAROL, "anyone going to the meetup?")))
    (notice,) = harness.api.sent_texts(OTHER["id"])
    assert "removed as a scammer from another group" in notice and "Carol" in notice
    [incident] = await harness.services.storage.list_incidents(OTHER["id"])
    assert incident.sender_id == CAROL["id"] and incident.verdict == "suspicious"
    call = [c for c in harness.api.calls("sendMessage") if c.params["chat_id"] == OTHER["id"]]
    button = call[0].params["reply_markup"]["inline_keyboard"][0][0]
    assert button["callback_data"] == f"fp:{incident.id}"


async def test_not_a_scam_clears_the_reputation(harness: Harness):
    """An admin of the other group presses Not a scam: the reputation is gone, so a third
    group sees nothing."""
    harness.api.set_admins(OTHER["id"], [ALICE], owner=ALICE["id"])
    await ban_carol_in_main_group(harness)
    await harness.feed(message_update(message(OTHER, CAROL, "hello friends")))
    [incident] = await harness.services.storage.list_incidents(OTHER["id"])
    await harness.feed(callback_update(ALICE, message(OTHER, BOT, "notice"),
                                       f"fp:{incident.id}"))
    assert await harness.services.storage.get_reputation(CAROL["id"]) is None
    third = group(-100998, "Third")
    await harness.feed(message_update(message(third, CAROL, "hello friends")))
    assert harness.api.sent_texts(third["id"]) == []


async def test_reputation_decays(harness: Harness, settings: Settings):
    """A ban a month ago (half-life two weeks: score 0.23) no longer flags anyone."""
    month_ago = datetime.now(UTC) - timedelta(days=30)
    old = await SqliteStorage.open(settings.db_path, clock=lambda: month_ago)
    try:
        await old.flag_user(CAROL["id"], GROUP_ID, None)
    finally:
        await old.close()
    reputation = await harness.services.storage.get_reputation(CAROL["id"])
    assert 0.2 < reputation.score_at(datetime.now(UTC), 14.0) < 0.25
    await harness.feed(message_update(message(OTHER, CAROL, "hello friends")))
    assert harness.api.sent_texts(OTHER["id"]) == []


async def test_deleting_alone_does_not_flag(harness: Harness):
    """With the default policy (delete) the sender is not marked across groups."""
    await harness.feed(message_update(message(group(), CAROL, SCAM)))
    assert await harness.services.storage.get_reputation(CAROL["id"]) is None


async def test_operator_promotes_a_sample_to_every_group(harness: Harness):
    """A /scam sample of one group, promoted by an operator, makes a copy posted in another
    group a known scam there; non-operators cannot promote."""
    await harness.feed(message_update(message(OTHER, CAROL, SAMPLE)))
    assert harness.api.calls("deleteMessage") == []
    target = message(group(), CAROL, SAMPLE)
    await harness.feed(command(ALICE, "/scam", group(), reply_to=target))
    [sample] = await harness.services.storage.list_sample_rows(GROUP_ID)
    await harness.feed(command(CAROL, f"/promote {sample.id}", private(CAROL)))
    assert await harness.services.storage.list_samples(0) == []
    await harness.feed(command(OPERATOR, f"/promote {sample.id}", private(OPERATOR)))
    assert "now protects every group" in harness.api.sent_texts(OPERATOR["id"])[-1]
    await harness.feed(message_update(message(OTHER, person(2300, "Eve", "eve"),
                                              SAMPLE + "!")))
    [incident] = await harness.services.storage.list_incidents(OTHER["id"])
    assert "known_scam" in incident.categories
    audit = [e.action for e in await harness.services.storage.list_audit(GROUP_ID)]
    assert "sample.promote" in audit


class CasServer:
    """A local stand-in for the CAS API: lists LISTED, counts lookups, can be slowed."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.delay = 0.0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def check(self, request: web.Request) -> web.Response:
        user_id = request.query.get("user_id", "")
        self.hits.append(user_id)
        if self.delay:
            await asyncio.sleep(self.delay)
        if user_id == str(LISTED["id"]):
            return web.json_response({"ok": True, "result": {"offenses": 3}})
        return web.json_response({"ok": False, "description": "Record not found."})

    async def start(self) -> CasServer:
        app = web.Application()
        app.router.add_get("/check", self.check)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/check"
        return self

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def cas(harness: Harness) -> AsyncIterator[CasServer]:
    server = await CasServer().start()
    old = harness.services.cas
    harness.services.cas = CasClient(server.url, timeout=0.5)
    try:
        yield server
    finally:
        await harness.services.cas.close()
        harness.services.cas = old
        await server.close()


async def test_cas_is_off_by_default(harness: Harness, cas: CasServer):
    """Without the setting no member is looked up."""
    await harness.feed(chat_member_update(group(), LISTED))
    assert cas.hits == [] and harness.api.calls("banChatMember") == []


async def test_cas_listed_member_is_banned_and_cached(harness: Harness, cas: CasServer):
    """With cas on and the ban policy, a listed member is banned with a notice; an unlisted
    one is left alone; a second join is answered from the cache."""
    await harness.services.storage.update_chat_settings(GROUP_ID, ALICE["id"], cas=True,
                                                        scam_action="ban")
    await harness.feed(chat_member_update(group(), LISTED))
    await harness.feed(chat_member_update(group(), UNLISTED))
    assert (GROUP_ID, LISTED["id"]) in harness.api.banned
    assert (GROUP_ID, UNLISTED["id"]) not in harness.api.banned
    (notice,) = harness.api.sent_texts(GROUP_ID)
    assert "Combot Anti-Spam" in notice and "Spam Bot Seller" in notice
    await harness.feed(chat_member_update(group(), LISTED, old="kicked", new="member"))
    assert cas.hits == [str(LISTED["id"]), str(UNLISTED["id"])]


async def test_cas_slow_or_down_never_blocks(harness: Harness, cas: CasServer):
    """A CAS answer slower than the timeout, or no server at all: the join is handled (and
    screened as usual) within the timeout, and nobody is banned."""
    await harness.services.storage.update_chat_settings(GROUP_ID, ALICE["id"], cas=True,
                                                        scam_action="ban")
    cas.delay = 3.0
    loop = asyncio.get_running_loop()
    started = loop.time()
    await harness.feed(chat_member_update(group(), LISTED))
    assert loop.time() - started < 2.0
    await cas.close()
    await harness.feed(chat_member_update(group(), person(6680, "Otto", "otto")))
    assert harness.api.calls("banChatMember") == []
    assert await harness.services.cas.banned(LISTED["id"]) is None
