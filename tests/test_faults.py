"""Faults: the real bot over loopback HTTP while the fake Bot API fails a share of its calls
(5xx, 429, answers slower than the timeout), and while the bot is stopped, or killed, and
restarted mid-stream. Nothing is lost and nothing is done twice."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from telegram.ext import ApplicationBuilder
from telegram.request import HTTPXRequest

from bot.app import ModerationRateLimiter
from bot.rulesholder import RulesHolder
from bot.settings import Settings
from bot.wiring.metrics import MeteredRequest, Metrics
from bot.wiring.services import Services, build_services
from tests.conftest import CAROL, DAVE, Harness
from tests.fakes import TOKEN, FakeBotApi, FakeBotServer
from tests.fakes.updates import group, message, message_update

SCAMS = (
    "Please send me your 12-word recovery phrase to verify your wallet, DM @wallet_help_desk",
    "Send me the 6-digit code you just received",
    "Your wallet is flagged. Validate it now at https://walletconnect-sync.xyz or lose funds",
)
CLEAN = (
    "Lunch at noon tomorrow?",
    "The slides from yesterday's meetup are in the shared folder",
    "Never share your seed phrase with anyone, admins will never DM you first",
)
CHAT_IDS = [-1001000000000 - i for i in range(6)]
READ_TIMEOUT = 0.5


def traffic(api: FakeBotApi, per_chat: int) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """Queue `per_chat` messages in each chat, every other one a scam; returns the
    (chat, message id) of scams and of clean messages."""
    scams, clean = set(), set()
    for c, chat_id in enumerate(CHAT_IDS):
        chat = group(chat_id, f"Group {c}")
        for i in range(per_chat):
            is_scam = i % 2 == 0
            text = (SCAMS if is_scam else CLEAN)[(c + i) % 3]
            message_id = 100 + i
            api.add_update(message_update(message(chat, CAROL if i % 4 else DAVE, text,
                                                  message_id=message_id)))
            (scams if is_scam else clean).add((chat_id, message_id))
    return scams, clean


def builder_for(server: FakeBotServer, services: Services) -> ApplicationBuilder:  # type: ignore[type-arg]
    """The production builder with a short read timeout, so a slow answer is a timeout."""
    return (
        ApplicationBuilder().token(TOKEN).base_url(server.base_url)
        .rate_limiter(ModerationRateLimiter(max_retries=3))
        .concurrent_updates(64)
        .request(MeteredRequest(HTTPXRequest(connection_pool_size=64,
                                             read_timeout=READ_TIMEOUT), services.metrics))
        .get_updates_request(MeteredRequest(HTTPXRequest(read_timeout=READ_TIMEOUT),
                                            services.metrics))
    )


@contextlib.asynccontextmanager
async def running(settings: Settings, services: Services, server: FakeBotServer
                  ) -> AsyncIterator[asyncio.Event]:
    """`serve` in a task until the block ends (then a graceful stop, bounded in time)."""
    from bot.commands.run import serve

    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop, services=services,
                                     builder=builder_for(server, services)))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def until(condition: Any, within: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def total(metrics: Metrics, name: str, **labels: str) -> int:
    """The sum of a metric's samples (with these labels) in the bot's registry."""
    return int(sum(
        s.value for family in metrics.registry.collect() for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ))


async def incident_keys(storage: Any) -> Counter[tuple[int, int]]:
    incidents = await storage.list_incidents(None, limit=10_000)
    return Counter((i.chat_id, i.message_id) for i in incidents)


@pytest.fixture
def live_settings(settings: Settings, fake_server: FakeBotServer) -> Settings:
    return replace(settings, api_url=fake_server.base_url)


@pytest.mark.e2e
async def test_chaos_loses_nothing(live_settings: Settings, services: Services,
                                   fake_server: FakeBotServer, fake_api: FakeBotApi):
    """With 10% of calls failing (502, 429, too slow), every scam still gets one incident,
    its deletion and warning are recorded (done or failed with the error), clean messages get
    none, and the bot keeps running to a clean stop."""
    fake_api.chaos(0.10, seed=7, timeout_delay=READ_TIMEOUT * 2)
    scams, clean = traffic(fake_api, per_chat=10)
    async with running(live_settings, services, fake_server):
        async def settled() -> bool:
            return len(await incident_keys(services.storage)) >= len(scams) and not (
                fake_api.pending_updates)

        await until(settled, 20, "an incident for every scam")
    kinds = {kind for _, kind in fake_api.injected}
    assert len(fake_api.injected) >= 5 and len(kinds) >= 2, fake_api.injected
    keys = await incident_keys(services.storage)
    assert set(keys) == scams
    assert set(keys.values()) == {1}
    assert not set(keys) & clean
    incidents = await services.storage.list_incidents(None, limit=10_000)
    for incident in incidents:
        done = {a.action: a for a in incident.actions}
        assert "delete" in done, incident
        assert "warn" in done, incident
        for action in incident.actions:
            assert action.ok or action.error, action
        if done["delete"].ok:
            assert (incident.chat_id, incident.message_id) in fake_api.deleted
    assert total(services.metrics, "scamguard_telegram_errors_total") >= len(
        fake_api.injected) - total(services.metrics, "scamguard_telegram_errors_total",
                                   code="timeout")


def _limit_batches(api: FakeBotApi, size: int) -> list[int]:
    """Hand out at most `size` updates per getUpdates, so a run can stop mid-stream; the
    returned list collects the update ids handed out, in order."""
    original = api._api_getUpdates
    handed: list[int] = []

    async def limited(params: dict[str, Any]) -> Any:
        status, body = await original(
            {**params, "limit": min(size, int(params.get("limit") or size))})
        handed.extend(u["update_id"] for u in body.get("result") or [])
        return status, body

    api._api_getUpdates = limited  # type: ignore[method-assign]
    return handed


@pytest.mark.e2e
async def test_stop_and_restart_mid_stream(live_settings: Settings, services: Services,
                                           rules_holder: RulesHolder,
                                           fake_server: FakeBotServer, fake_api: FakeBotApi):
    """A bot stopped after part of the stream and started again (new process state, same
    database) handles every update exactly once."""
    _limit_batches(fake_api, 5)
    fake_api.delay("getUpdates", 0.1, times=1000)
    scams, _ = traffic(fake_api, per_chat=10)
    queued = len(fake_api.pending_updates)
    async with running(live_settings, services, fake_server):
        async def some() -> bool:
            return total(services.metrics, "scamguard_updates_total") >= 5

        await until(some, 10, "the first updates")
    first_run = total(services.metrics, "scamguard_updates_total")
    assert 0 < first_run < queued
    assert len(fake_api.pending_updates) == queued - first_run
    second = await build_services(live_settings, rules=rules_holder)
    try:
        async with running(live_settings, second, fake_server):
            async def drained() -> bool:
                return not fake_api.pending_updates and len(
                    await incident_keys(second.storage)) >= len(scams)

            await until(drained, 15, "the rest of the stream")
        second_run = total(second.metrics, "scamguard_updates_total")
        keys = await incident_keys(second.storage)
    finally:
        await second.close()
    assert first_run + second_run == queued
    assert set(keys) == scams and set(keys.values()) == {1}
    deletes = Counter((c.params["chat_id"], c.params["message_id"])
                      for c in fake_api.calls("deleteMessage"))
    assert set(deletes) == scams and set(deletes.values()) == {1}


@pytest.mark.e2e
async def test_updates_delivered_again_are_not_acted_on_twice(
    live_settings: Settings, services: Services, rules_holder: RulesHolder,
    fake_server: FakeBotServer, fake_api: FakeBotApi,
):
    """A bot that died before Telegram saw its confirmed offset gets the same updates again
    after a restart: each scam keeps one incident, one deletion and one warning."""
    scams, _ = traffic(fake_api, per_chat=6)
    async with running(live_settings, services, fake_server):
        async def drained() -> bool:
            return not fake_api.pending_updates and len(
                await incident_keys(services.storage)) >= len(scams)

        await until(drained, 10, "the first run")
    sent = len(fake_api.calls("sendMessage"))
    deletes = len(fake_api.calls("deleteMessage"))
    assert deletes == len(scams)
    # Telegram never got the confirmation: everything is handed out again.
    fake_api.confirmed_offset = 0
    assert len(fake_api.pending_updates) == len(CHAT_IDS) * 6
    second = await build_services(live_settings, rules=rules_holder)
    try:
        async with running(live_settings, second, fake_server):
            async def redelivered() -> bool:
                return not fake_api.pending_updates

            await until(redelivered, 10, "the second run")
        assert total(second.metrics, "scamguard_updates_total") == len(CHAT_IDS) * 6
        keys = await incident_keys(second.storage)
    finally:
        await second.close()
    assert set(keys) == scams and set(keys.values()) == {1}
    assert len(fake_api.calls("deleteMessage")) == deletes
    assert len(fake_api.calls("sendMessage")) == sent


async def test_same_update_twice_and_an_edit(harness: Harness):
    """The same message twice is one incident and one set of actions; an edit of a message
    that was only warned about is a new version with its own incident."""
    from tests.fakes.updates import edited_update

    await harness.services.storage.update_chat_settings(CHAT_IDS[0], None, scam_action="warn")
    raw = message_update(message(group(CHAT_IDS[0]), CAROL, SCAMS[0], message_id=77))
    await harness.feed(raw)
    await harness.feed(raw)
    await harness.flush()
    assert len(await harness.services.storage.list_incidents(CHAT_IDS[0])) == 1
    assert len(harness.api.calls("sendMessage")) == 1
    edited = message(group(CHAT_IDS[0]), CAROL, SCAMS[1], message_id=77, edit_date=1_800_000_000)
    await harness.feed(edited_update(edited))
    await harness.feed(edited_update(edited))
    incidents = await harness.services.storage.list_incidents(CHAT_IDS[0])
    assert sorted(i.message_id for i in incidents) == [77, 77]
    assert harness.api.calls("deleteMessage") == []


async def test_incident_stored_but_not_acted_on_is_acted_on_again(harness: Harness):
    """An incident stored just before a crash, with no action recorded, is acted on when
    its update comes again, without a second incident."""
    chat = CHAT_IDS[1]
    first = await harness.services.storage.add_incident(chat, 88, CAROL["id"], "scam", 0.99,
                                                        (), "stored before the crash")
    await harness.feed(message_update(message(group(chat), CAROL, SCAMS[0], message_id=88)))
    (incident,) = await harness.services.storage.list_incidents(chat)
    assert incident.id == first
    assert [a.action for a in incident.actions][:1] == ["delete"]
    assert (chat, 88) in harness.api.deleted


async def test_flood_limiter_never_sends_more_than_30_in_a_second(fake_api: FakeBotApi):
    """The production limiter paces 40 messages so that no 1-second window of the fake's
    call log holds more than 30 (a plain leaky bucket of 30 lets about 60 through)."""
    from telegram.ext import ExtBot

    from bot.app import flood_limiter
    from tests.fakes import FakeRequest

    bot = ExtBot(TOKEN, request=FakeRequest(fake_api), rate_limiter=flood_limiter())
    async with bot:
        await asyncio.gather(*(bot.send_message(3000 + n, "hello") for n in range(40)))
    times = sorted(c.at for c in fake_api.calls("sendMessage"))
    assert len(times) == 40
    assert max(sum(1 for t in times[i:] if t - start < 1.0)
               for i, start in enumerate(times)) <= 30


@pytest.mark.e2e
async def test_killed_bot_loses_at_most_its_bounded_backlog(tmp_path, fake_server: FakeBotServer,
                                                             fake_api: FakeBotApi):
    """`scamguard run` killed with SIGKILL mid-stream and started again: no update is handled
    twice, updates it had fetched but not confirmed come again and are not acted on twice, and
    what is lost is bounded by the update queue (in flight + queued), not the whole backlog."""
    import os
    import signal
    import sys

    from bot.app import CONCURRENT_UPDATES, QUEUED_UPDATES
    from bot.storage import open_storage

    handed = _limit_batches(fake_api, 100)
    fake_api.delay("deleteMessage", 0.05, times=10_000)
    scams, _ = traffic(fake_api, per_chat=100)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SCAMGUARD_")},
        "SCAMGUARD_TOKEN": TOKEN, "SCAMGUARD_API_URL": fake_server.base_url,
        "SCAMGUARD_DB": str(tmp_path / "killed.db"), "SCAMGUARD_RULES_WATCH": "0",
        "PTB_TIMEDELTA": "1", "SCAMGUARD_LOG_LEVEL": "ERROR",
    }

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

    first = await start()
    try:
        await fake_api.wait_for("deleteMessage", 40, within=30)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    confirmed = fake_api.confirmed_offset
    fetched = len(handed)
    assert len(fake_api.pending_updates) > 200, "the first run handled nearly everything"
    second = await start()
    try:
        await until(lambda: _async(not fake_api.pending_updates), 30, "the second run")
        await asyncio.sleep(0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 20)
    assert second.returncode == 0
    redelivered = {u for u in handed[:fetched] if u >= confirmed}
    assert redelivered <= set(handed[fetched:])
    async with await open_storage(tmp_path / "killed.db") as storage:
        keys = await incident_keys(storage)
        incidents = await storage.list_incidents(None, limit=10_000)
    assert set(keys.values()) == {1}
    acted = {(i.chat_id, i.message_id) for i in incidents if i.actions}
    # Lost: never stored, or stored by an update in flight at the kill and not acted on.
    lost = scams - acted
    assert len(lost) <= CONCURRENT_UPDATES + QUEUED_UPDATES
    deletes = Counter((c.params["chat_id"], c.params["message_id"])
                      for c in fake_api.calls("deleteMessage"))
    assert acted <= set(deletes) <= set(keys)


async def _async(value: bool) -> bool:
    return value


async def test_same_update_delivered_twice_at_once_is_acted_on_once(harness: Harness):
    """Two deliveries of one update handled at the same moment make one incident and one
    deletion, not two."""
    import asyncio

    chat = CHAT_IDS[2]
    raw = message_update(message(group(chat), CAROL, SCAMS[0], message_id=99))
    await asyncio.gather(harness.feed(raw), harness.feed(dict(raw)))
    assert len(await harness.services.storage.list_incidents(chat)) == 1
    assert len(harness.api.calls("deleteMessage")) == 1


@pytest.mark.parametrize(
    "method",
    ["deleteMessage", "banChatMember", "restrictChatMember", "editMessageText"],
)
async def test_flood_limiter_holds_moderation_calls_to_the_overall_limit(
    fake_api: FakeBotApi, method: str
):
    """Deletions, bans, restrictions and edits in one group are paced by the overall limit
    like sends: 40 of them take at least (40 - 3) / 26 s, not an instant burst, and are not
    held to the 20-a-minute group limit (or 40 would take over a minute)."""
    from telegram import ChatPermissions
    from telegram.ext import ExtBot

    from bot.app import flood_limiter
    from tests.fakes import FakeRequest

    chat = CHAT_IDS[0]
    bot = ExtBot(TOKEN, request=FakeRequest(fake_api), rate_limiter=flood_limiter())
    calls = {
        "deleteMessage": lambda n: bot.delete_message(chat, 100 + n),
        "banChatMember": lambda n: bot.ban_chat_member(chat, 5000 + n),
        "restrictChatMember": lambda n: bot.restrict_chat_member(
            chat, 5000 + n, ChatPermissions.no_permissions()),
        "editMessageText": lambda n: bot.edit_message_text("edited", chat, 100 + n),
    }
    async with bot:
        await asyncio.wait_for(
            asyncio.gather(*(calls[method](n) for n in range(40)), return_exceptions=True), 20)
    times = sorted(c.at for c in fake_api.calls(method))
    assert len(times) == 40
    assert 1.3 <= times[-1] - times[0] < 15
