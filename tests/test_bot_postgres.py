"""The bot on a shared PostgreSQL database, end to end through the real PTB stack and the
in-process fake Bot API: a scam is acted on and its warning posted by the elected outbox
sender; two workers on one database keep one incident and one warning per message, hear each
other's setting changes, and a second worker takes over the sending when the first stops."""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace

import pytest
from telegram import Update
from telegram.ext import Application

from bot.settings import Settings
from bot.storage import PostgresStorage
from tests.conftest import ALICE, BOB, CAROL, collect_errors, fake_builder
from tests.fakes import FakeBotApi
from tests.fakes.updates import GROUP_ID, group, message, message_update, person, private
from tests.pg import query

SCAM = ("Hello, I am from Binance support. To unlock your account send me your 12-word "
        "recovery phrase")


class Worker:
    """One worker: its own services (pool, caches, listener) and application."""

    def __init__(self, app: Application, errors: list[BaseException]) -> None:  # type: ignore[type-arg]
        self.app = app
        self.errors = errors

    @property
    def services(self):  # type: ignore[no-untyped-def]
        return self.app.bot_data["services"]

    async def feed(self, raw: dict) -> None:
        await self.app.process_update(Update.de_json(dict(raw), self.app.bot))


@asynccontextmanager
async def worker(settings: Settings, api: FakeBotApi, rules_holder, *,  # type: ignore[no-untyped-def]
                 interval: float = 60.0, poll: float = 0.2) -> AsyncIterator[Worker]:
    from bot.app import build_application
    from bot.wiring.services import build_services
    from handlers import outbox

    services = await build_services(settings, rules=rules_holder)
    services.warn_interval = interval
    app = build_application(settings, services, builder=fake_builder(api))
    errors: list[BaseException] = []
    app.add_error_handler(collect_errors(errors))
    await app.initialize()
    await app.start()
    await outbox.start_sender(app)
    app.bot_data[outbox.SENDER_KEY].poll = poll
    try:
        yield Worker(app, errors)
    finally:
        await outbox.stop_sender(app)
        await app.stop()
        await app.shutdown()
        await services.close()
    assert errors == [], errors


async def eventually(check: Callable[[], object], within: float = 10.0) -> None:
    """Wait until `check()` is true (the sender works in the background); `check` may be a
    coroutine function, for a condition read from storage."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        done = check()
        if inspect.isawaitable(done):
            done = await done
        if done:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within} s")
        await asyncio.sleep(0.05)


async def settled(storage, incident_id: int, actions: int, within: float = 10.0):
    """The incident once `actions` of its actions are stored: the warning's is written after
    the send returns, so a test that has seen the send may still be ahead of it."""
    async def stored() -> bool:
        return len((await storage.get_incident(incident_id)).actions) >= actions

    await eventually(stored, within)
    return await storage.get_incident(incident_id)


@pytest.fixture
def pg_settings(settings: Settings, pg_url: str) -> Settings:
    return replace(settings, db_url=pg_url)


@pytest.fixture
def api() -> FakeBotApi:
    fake = FakeBotApi()
    fake.set_admins(GROUP_ID, [ALICE, BOB], owner=ALICE["id"])
    return fake


def scam(message_id: int, sender: dict | None = None) -> dict:
    raw = message_update(message(group(), sender or CAROL, SCAM))
    raw["message"]["message_id"] = message_id
    raw["update_id"] = message_id
    return raw


async def test_scam_is_deleted_and_warned_through_the_outbox(
    pg_settings: Settings, api: FakeBotApi, rules_holder, pg_url: str
) -> None:
    """One worker on PostgreSQL: the scam is deleted, the warning goes through the outbox
    and is posted once, and the incident records both."""
    async with worker(pg_settings, api, rules_holder) as w:
        await w.feed(scam(501))
        await eventually(lambda: api.calls("sendMessage"))
        assert len(api.calls("deleteMessage")) == 1
        [incident] = await w.services.storage.list_incidents(GROUP_ID)
        incident = await settled(w.services.storage, incident.id, 2)
        assert {a.action: a.ok for a in incident.actions} == {"delete": True, "warn": True}
        button = api.calls("sendMessage")[0].params["reply_markup"]["inline_keyboard"][0][0]
        assert button["callback_data"] == f"fp:{incident.id}"
    rows = await query(pg_url, "SELECT incident_id, sent_at IS NOT NULL FROM outbox")
    assert [tuple(r) for r in rows] == [(incident.id, True)]


async def test_two_workers_share_incidents_settings_and_one_sender(
    pg_settings: Settings, api: FakeBotApi, rules_holder, pg_url: str
) -> None:
    """Two workers: the same update delivered to both makes one incident and one warning; a
    burst through both is summed up within the per-chat interval; a setting changed through
    one is used by the other at once; when the sender stops, the other takes over."""
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(worker(pg_settings, api, rules_holder,
                                                   interval=1.0))
        b = await stack.enter_async_context(worker(pg_settings, api, rules_holder,
                                                   interval=1.0))
        senders = [x.app.bot_data["outbox_sender"] for x in (a, b)]
        await eventually(lambda: sum(s.is_sender for s in senders) == 1)

        # The same update at both workers at once.
        raw = scam(601)
        await asyncio.gather(a.feed(raw), b.feed(raw))
        await eventually(lambda: len(api.calls("sendMessage")) == 1)
        [incident] = await a.services.storage.list_incidents(GROUP_ID)
        assert len(api.calls("deleteMessage")) == 1
        incident = await settled(a.services.storage, incident.id, 2)
        assert [x.action for x in incident.actions] == ["delete", "warn"]

        # A burst through both: the first warning is already out, the rest wait for the
        # interval and come as one summary.
        await asyncio.gather(*(x.feed(scam(700 + n, person(3100 + n, f"Spam{n}")))
                               for n, x in enumerate([a, b] * 3)))
        await eventually(lambda: len(api.calls("sendMessage")) == 2, within=5)
        await asyncio.sleep(1.2)
        assert len(api.calls("sendMessage")) == 2
        assert "6" in api.calls("sendMessage")[1].params["text"]

        # A setting changed through A reaches B's cache.
        assert (await b.services.chat_settings.get(GROUP_ID)).language == "en"
        await a.services.chat_settings.update(GROUP_ID, ALICE["id"], language="vi")
        await eventually(lambda: GROUP_ID not in b.services.chat_settings._chats, within=5)
        assert (await b.services.chat_settings.get(GROUP_ID)).language == "vi"

        # The sender stops; the other worker takes over and posts what is queued.
        first = next(x for x, s in zip((a, b), senders, strict=True) if s.is_sender)
        other = b if first is a else a
        from handlers import outbox

        await outbox.stop_sender(first.app)
        await eventually(lambda: other.app.bot_data["outbox_sender"].is_sender, within=5)
        await asyncio.sleep(1.1)
        await other.feed(scam(900, person(3900, "Late")))
        await eventually(lambda: len(api.calls("sendMessage")) == 3, within=5)
    warned = await query(pg_url, "SELECT COUNT(*) FROM incident_actions WHERE action = 'warn'")
    incidents = await query(pg_url, "SELECT COUNT(*) FROM incidents")
    assert warned[0][0] == incidents[0][0] == 8
    unsent = await query(pg_url, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
    assert unsent[0][0] == 0


async def test_health_probes_the_postgresql_database(
    pg_settings: Settings, api: FakeBotApi, rules_holder
) -> None:
    """/healthz reports the shared database as writable, named only to token holders."""
    from bot.wiring.http import health

    async with worker(pg_settings, api, rules_holder) as w:
        _, body = await health(w.app, pg_settings, reveal=True)
        assert isinstance(w.services.storage, PostgresStorage)
        _, hidden = await health(w.app, pg_settings)
    assert body["database_writable"] is True
    assert body["database"].startswith("PostgreSQL database scamguard@127.0.0.1")
    assert "database" not in hidden
    _, closed = await health(w.app, pg_settings)
    assert closed["database_writable"] is False
    assert "the database is closed" in closed["problems"]


class _PerWorkerGuard(set):  # type: ignore[type-arg]
    """handlers.group's guard against acting twice on one update in one process: these two
    workers share a process, which real workers never do, so it must not see across them."""

    def __contains__(self, item: object) -> bool:
        return False


async def test_a_second_delivery_waits_for_the_worker_already_acting(
    pg_settings: Settings, api: FakeBotApi, rules_holder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update delivered again to worker B while worker A is still acting on it (A's
    deletion is slow) is not acted on twice: B waits for A's recorded actions."""
    import handlers.group

    monkeypatch.setattr(handlers.group, "_IN_FLIGHT", _PerWorkerGuard())
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(worker(pg_settings, api, rules_holder))
        b = await stack.enter_async_context(worker(pg_settings, api, rules_holder))
        gate = api.hold("deleteMessage")
        raw = scam(801)
        first = asyncio.create_task(a.feed(raw))
        await eventually(lambda: api.calls("deleteMessage"))
        second = asyncio.create_task(b.feed(raw))
        await asyncio.sleep(0.5)
        gate.set()
        await asyncio.gather(first, second)
        await eventually(lambda: api.calls("sendMessage"))
        [incident] = await a.services.storage.list_incidents(GROUP_ID)
    assert len(api.calls("deleteMessage")) == 1
    assert len(api.calls("sendMessage")) == 1
    assert [x.action for x in incident.actions if x.action == "delete"] == ["delete"]


async def test_workers_share_one_admin_list_and_forget_it_together(
    pg_settings: Settings, api: FakeBotApi, rules_holder
) -> None:
    """The admin list one worker fetched serves the other (one getChatAdministrators for
    both); a promotion seen by one makes both fetch it again."""
    from tests.fakes.updates import chat_member_update

    def fetches() -> int:
        return len(api.calls("getChatAdministrators"))

    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(worker(pg_settings, api, rules_holder))
        b = await stack.enter_async_context(worker(pg_settings, api, rules_holder))
        await a.feed(scam(1001))
        assert fetches() == 1
        await b.feed(scam(1002))
        assert fetches() == 1
        assert len(api.calls("deleteMessage")) == 2
        api.set_admins(GROUP_ID, [ALICE, BOB, CAROL], owner=ALICE["id"])
        raw = chat_member_update(group(), CAROL, "member", "administrator", actor=ALICE)
        raw["update_id"] = 1003
        await a.feed(raw)
        # B hears of it, forgets its copy and reads the list again: Carol is an admin now.
        await eventually(lambda: GROUP_ID not in b.services.admins._chats, within=5)
        admins = await b.services.admins.get_admins(b.app.bot, GROUP_ID)
        assert CAROL["id"] in {p.id for p in admins}
        assert fetches() == 2
        assert CAROL["id"] in await a.services.admins.admin_ids(a.app.bot, GROUP_ID)
        assert fetches() == 2


async def test_a_sample_added_through_one_worker_is_used_by_the_other(
    pg_settings: Settings, api: FakeBotApi, rules_holder
) -> None:
    """Worker B had indexed no samples for the group; once A stores one (/scam), B drops its
    index on the notice and the next message there is matched against the new sample."""
    text = "Exclusive presale for members only, send 0.5 ETH to join the whitelist today"
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(worker(pg_settings, api, rules_holder))
        b = await stack.enter_async_context(worker(pg_settings, api, rules_holder))
        assert await b.services.contexts.samples(GROUP_ID) is None
        await a.services.storage.add_sample(GROUP_ID, text, ALICE["id"])
        await eventually(lambda: GROUP_ID not in b.services.contexts._samples, within=5)
        assert await b.services.contexts.samples(GROUP_ID) is not None


_UPDATE_IDS = itertools.count(5000)


def _numbered(raw: dict) -> dict:
    raw["update_id"] = next(_UPDATE_IDS)
    raw["message"]["message_id"] = raw["update_id"]
    return raw


def _command(sender: dict, text: str, chat: dict) -> dict:
    name = text.split()[0]
    return _numbered(message_update(message(chat, sender, text, entities=[
        {"type": "bot_command", "offset": 0, "length": len(name)}])))


async def test_two_workers_share_log_links_reputation_and_promoted_samples(
    pg_settings: Settings, api: FakeBotApi, rules_holder
) -> None:
    """A /logchat link made by worker A is confirmed through worker B; a sender banned
    through A is flagged in another group through B, once, although A has not seen them
    there yet; a sample promoted through A reaches the index B built before."""
    other = group(-100999, "Other Group")
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(worker(pg_settings, api, rules_holder))
        b = await stack.enter_async_context(worker(pg_settings, api, rules_holder))
        await a.services.storage.update_chat_settings(GROUP_ID, ALICE["id"], scam_action="ban")

        await a.feed(_command(ALICE, "/logchat", group()))
        buttons = api.calls("sendMessage")[-1].params["reply_markup"]["inline_keyboard"]
        [link] = [x["url"] for row in buttons for x in row if "?start=log_" in x["url"]]
        code = link.split("?start=log_", 1)[1]
        await b.feed(_command(ALICE, f"/start log_{code}", private(ALICE)))
        assert (await b.services.storage.get_chat_settings(GROUP_ID)).log_chat == ALICE["id"]
        await eventually(lambda: GROUP_ID not in a.services.chat_settings._chats, within=5)

        await a.feed(scam(1001))
        assert (GROUP_ID, CAROL["id"]) in api.banned
        await eventually(lambda: any("Carol" in t for t in api.sent_texts(ALICE["id"])[1:]))
        await b.feed(_numbered(message_update(message(other, CAROL, "hi everyone, hello"))))
        await a.feed(_numbered(message_update(message(other, CAROL, "anyone at the meetup?"))))
        notices = [t for t in api.sent_texts(other["id"]) if "removed as a scammer" in t]
        assert len(notices) == 1

        assert await b.services.contexts.samples(other["id"]) is None
        sample = await a.services.storage.add_sample(
            GROUP_ID, "Kevin has the golden circle list ready, send him a note", ALICE["id"])
        assert await a.services.storage.promote_sample(sample, ALICE["id"]) is not None
        await eventually(lambda: other["id"] not in b.services.contexts._samples, within=5)
        assert await b.services.contexts.samples(other["id"]) is not None


async def test_warning_posted_by_the_outbox_sender_disappears(
    pg_settings: Settings, api: FakeBotApi, rules_holder
) -> None:
    """With delete_after set, the warning the outbox sender posts is scheduled for deletion
    in the sender's job queue, like the batcher's on one machine."""
    from handlers.cleanup import JOB_PREFIX, delete_later

    async with worker(pg_settings, api, rules_holder) as w:
        await w.services.chat_settings.update(GROUP_ID, ALICE["id"], delete_after=5)
        await w.feed(scam(1101))
        await eventually(lambda: api.calls("sendMessage"))
        await eventually(lambda: [j for j in w.app.job_queue.jobs()
                                  if j.name.startswith(JOB_PREFIX)])
        [job] = [j for j in w.app.job_queue.jobs() if j.name.startswith(JOB_PREFIX)]
        assert job.callback is delete_later
        await job.run(w.app)
        [deleted] = api.calls("deleteMessages")
        assert deleted.params["chat_id"] == GROUP_ID
        assert deleted.params["message_ids"] == [_made_id(api, api.calls("sendMessage")[0])]


def _made_id(api: FakeBotApi, call: object) -> int:
    """The message id the fake gave to a sent message (from 10000, in order of creation)."""
    made = [c for c in api.calls() if c.method in (
        "sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument")]
    return 10_000 + made.index(call)  # type: ignore[arg-type]
