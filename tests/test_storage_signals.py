"""Repository additions for onboarding and signals, on a real SQLite file and on a real
PostgreSQL database (every test that takes `storage` runs on each): the new chat settings,
samples listed, removed and promoted with audit entries, the decaying reputation of senders
and its once-per-chat flag, the pending /logchat links, and the upgrade of a database at the
previous schema version."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import GLOBAL_SAMPLES, PostgresStorage, SqliteStorage, StorageValueError
from bot.storage import postgres as postgres_module
from bot.storage import sqlite as sqlite_module
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS
from tests.pg import fresh_database, query, store_on

Store = SqliteStorage | PostgresStorage


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgresql"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path,
                  clock: Clock) -> AsyncIterator[Store]:
    """A fresh repository on each backend."""
    async with store_on(request.param, tmp_path, clock) as store:
        yield store


async def test_new_settings_have_defaults_and_are_validated(storage: Store) -> None:
    settings = await storage.get_chat_settings(-1)
    assert (settings.language_auto, settings.log_chat, settings.delete_after,
            settings.cas) == (True, None, 0, False)
    changed = await storage.update_chat_settings(-1, 7, delete_after="15",
                                                 log_chat=-1001234567890,
                                                 cas="on", language_auto=False)
    assert (changed.delete_after, changed.log_chat, changed.cas,
            changed.language_auto) == (15, -1001234567890, True, False)
    assert await storage.get_chat_settings(-1) == changed
    for bad in ({"delete_after": -1}, {"delete_after": 99999}, {"delete_after": True},
                {"log_chat": "general"}, {"cas": "maybe"}):
        with pytest.raises(StorageValueError):
            await storage.update_chat_settings(-1, 7, **bad)
    assert await storage.get_chat_settings(-1) == changed  # a refused change stores nothing
    cleared = await storage.update_chat_settings(-1, 7, log_chat=None)
    assert cleared.log_chat is None
    assert (await storage.get_chat_settings(-1)).log_chat is None
    # Each change is audited with its old and new value, like the older settings.
    newest_first = await storage.list_audit(-1, limit=None)
    audited = {e.action: e.detail for e in reversed(newest_first)}
    assert audited["settings.delete_after"] == {"old": 0, "new": 15}
    assert audited["settings.cas"] == {"old": False, "new": True}
    assert audited["settings.log_chat"] == {"old": -1001234567890, "new": None}


async def test_samples_are_listed_removed_and_promoted(storage: Store) -> None:
    first = await storage.add_sample(-1, "send 1 BTC get 2 back", 7)
    second = await storage.add_sample(-1, "claim your airdrop at the link", 7)
    rows = await storage.list_sample_rows(-1)
    assert [r.id for r in rows] == [first, second] and rows[0].text == "send 1 BTC get 2 back"
    assert (rows[0].chat_id, rows[0].added_by) == (-1, 7)
    assert rows[0].created_at.tzinfo is not None
    fetched = await storage.get_sample(second)
    assert fetched is not None and fetched.text == "claim your airdrop at the link"
    assert await storage.get_sample(10**9) is None
    assert not await storage.remove_sample(-2, first, 7)  # not that chat's sample
    assert await storage.remove_sample(-1, first, 7)
    assert not await storage.remove_sample(-1, first, 7)
    assert [r.id for r in await storage.list_sample_rows(-1)] == [second]
    assert await storage.list_samples(-1) == ["claim your airdrop at the link"]
    copy = await storage.promote_sample(second, 9001)
    assert copy is not None and copy != second
    assert await storage.list_samples(GLOBAL_SAMPLES) == ["claim your airdrop at the link"]
    assert await storage.promote_sample(second, 9001) == copy  # promoting twice: one copy
    assert len(await storage.list_sample_rows(GLOBAL_SAMPLES)) == 1
    assert await storage.promote_sample(10**9, 9001) is None
    actions = [(e.action, e.actor_id, e.detail) for e in await storage.list_audit(-1)]
    assert ("sample.promote", 9001, {"sample": second, "global_sample": copy}) in actions
    assert ("sample.remove", 7, {"sample": first}) in actions
    # The promoted copy is a sample of chat GLOBAL_SAMPLES, and is removed as one.
    assert await storage.remove_sample(GLOBAL_SAMPLES, copy, 9001)
    assert await storage.list_samples(GLOBAL_SAMPLES) == []


async def test_reputation_adds_up_decays_and_clears(storage: Store, clock: Clock) -> None:
    assert await storage.get_reputation(42) is None
    first = await storage.flag_user(42, -1, 5)
    assert first.score == pytest.approx(1.0)
    clock.now += timedelta(days=14)
    again = await storage.flag_user(42, -2, 6)
    assert again.score == pytest.approx(1.5)  # 1.0 halved after one half-life, plus 1.0
    stored = await storage.get_reputation(42)
    assert stored is not None
    assert (stored.chat_id, stored.incident_id, stored.updated_at) == (-2, 6, clock.now)
    assert stored.score == pytest.approx(1.5)
    assert stored.score_at(clock.now + timedelta(days=28), 14.0) == pytest.approx(0.375)
    # A shorter half-life decays the old score faster.
    clock.now += timedelta(days=7)
    third = await storage.flag_user(42, -3, None, weight=0.5, half_life_days=7.0)
    assert third.score == pytest.approx(0.5 + 0.75)
    for bad in ({"weight": 0.0}, {"half_life_days": 0.0}):
        with pytest.raises(StorageValueError):
            await storage.flag_user(42, -3, None, **bad)
    assert (await storage.get_reputation(42)).score == pytest.approx(1.25)  # type: ignore[union-attr]
    assert await storage.clear_reputation(42, 7, -2)
    assert await storage.get_reputation(42) is None
    assert not await storage.clear_reputation(42, 7, -2)
    entry = (await storage.list_audit(-2))[0]
    assert (entry.action, entry.actor_id, entry.detail) == ("reputation.clear", 7, {"user": 42})


async def test_a_chat_flags_a_sender_once_per_removal(storage: Store, clock: Clock) -> None:
    assert not await storage.claim_reputation_flag(42, -5)  # no reputation, nothing to flag
    await storage.flag_user(42, -1, 5)
    clock.now += timedelta(minutes=1)
    assert await storage.claim_reputation_flag(42, -5)
    assert not await storage.claim_reputation_flag(42, -5)
    assert await storage.claim_reputation_flag(42, -6)  # another chat flags on its own
    clock.now += timedelta(minutes=1)
    await storage.flag_user(42, -2, 6)  # removed again: each chat may flag once more
    clock.now += timedelta(minutes=1)
    assert await storage.claim_reputation_flag(42, -5)
    assert not await storage.claim_reputation_flag(42, -5)
    await storage.clear_reputation(42, 7, -5)  # cleared: nothing to flag, flags forgotten
    assert not await storage.claim_reputation_flag(42, -5)
    clock.now += timedelta(minutes=1)
    await storage.flag_user(42, -1, 8)
    clock.now += timedelta(minutes=1)
    assert await storage.claim_reputation_flag(42, -6)


async def test_concurrent_flags_and_claims_are_counted_once_each(storage: Store,
                                                                 clock: Clock) -> None:
    """Ten removals at once all count; ten claims of one chat at once: one wins."""
    await asyncio.gather(*(storage.flag_user(77, -1, n) for n in range(10)))
    assert (await storage.get_reputation(77)).score == pytest.approx(10.0)  # type: ignore[union-attr]
    clock.now += timedelta(seconds=1)
    won = await asyncio.gather(*(storage.claim_reputation_flag(77, -9) for _ in range(10)))
    assert won.count(True) == 1


async def test_log_chat_links_expire_and_are_used_once(storage: Store, clock: Clock) -> None:
    expires = clock.now + timedelta(minutes=10)
    await storage.add_log_chat_code("Ab_9-x", -100, "Crypto Friends", 7, expires)
    pending = await storage.get_log_chat_code("Ab_9-x")
    assert pending is not None
    assert (pending.code, pending.chat_id, pending.title, pending.admin_id,
            pending.expires_at) == ("Ab_9-x", -100, "Crypto Friends", 7, expires)
    assert await storage.get_log_chat_code("ab_9-x") is None  # codes are case-sensitive
    assert await storage.drop_log_chat_code("Ab_9-x")
    assert not await storage.drop_log_chat_code("Ab_9-x")
    assert await storage.get_log_chat_code("Ab_9-x") is None
    await storage.add_log_chat_code("later", -100, "Crypto Friends", 0, expires)
    clock.now += timedelta(minutes=11)
    assert await storage.get_log_chat_code("later") is None  # expired
    for bad in ("", "x" * 65, "has space", "emoji\u2728", "semi;colon"):
        with pytest.raises(StorageValueError):
            await storage.add_log_chat_code(bad, -100, "t", 7, expires)


async def _seed_previous_version(store: Store) -> None:
    """Two groups with settings at the previous schema version: one whose language an admin
    chose, one with only another setting changed."""
    rows = [(-11, "vi"), (-12, "en")]
    audit = "INSERT INTO audit (actor_id, chat_id, action, detail, created_at) VALUES"
    settings = ("INSERT INTO chat_settings (chat_id, scam_action, restrict_hours,"
                " suspicious_action, sensitivity, language, updated_at) VALUES")
    if isinstance(store, PostgresStorage):
        for chat_id, lang in rows:
            await query(store.url, f"{settings} ($1, 'delete', 24, 'warn', 'normal', $2, now())",
                        chat_id, lang)
        await query(store.url, f"{audit} (7, -11, 'settings.language', '{{}}', now())")
        await query(store.url, f"{audit} (7, -12, 'settings.quiet', '{{}}', now())")
        return
    with sqlite3.connect(store.path) as raw:
        for chat_id, lang in rows:
            raw.execute(f"{settings} (?, 'delete', 24, 'warn', 'normal', ?, 'x')",
                        (chat_id, lang))
        raw.execute(f"{audit} (7, -11, 'settings.language', '{{}}', 'x')")
        raw.execute(f"{audit} (7, -12, 'settings.quiet', '{{}}', 'x')")
    raw.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_database_at_the_previous_version_upgrades(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database at the version before this one (with the outbox) gets the new columns and
    tables at open, its data kept; a group whose language an admin chose keeps it (no
    guessing), the others are guessed."""
    previous = MIGRATIONS[:-1]
    assert previous[-1].version == LATEST_VERSION - 1
    module = sqlite_module if engine == "sqlite" else postgres_module
    async with database_for(engine, tmp_path) as target:
        monkeypatch.setattr(module, "MIGRATIONS", previous)
        monkeypatch.setattr(module, "LATEST_VERSION", previous[-1].version)
        old = await _open(engine, target)
        try:
            assert await old.schema_version() == LATEST_VERSION - 1
            await _seed_previous_version(old)
        finally:
            await old.close()
        monkeypatch.undo()
        store = await _open(engine, target)
        try:
            assert await store.schema_version() == LATEST_VERSION
            chosen, guessed = (await store.get_chat_settings(-11),
                               await store.get_chat_settings(-12))
            assert (chosen.language, chosen.language_auto) == ("vi", False)
            assert (guessed.language, guessed.language_auto) == ("en", True)
            assert (chosen.log_chat, chosen.delete_after, chosen.cas) == (None, 0, False)
            await store.flag_user(5, -11, None)
            assert await store.claim_reputation_flag(5, -12)
            await store.add_log_chat_code("code1", -11, "t", 7,
                                          datetime.now(UTC) + timedelta(minutes=5))
            assert (await store.get_log_chat_code("code1")) is not None
        finally:
            await store.close()


def database_for(
    engine: str, tmp_path: Path
) -> contextlib.AbstractAsyncContextManager[str]:
    """A SQLite path or a fresh PostgreSQL database URL."""
    if engine == "postgresql":
        return fresh_database()

    @contextlib.asynccontextmanager
    async def sqlite_file() -> AsyncIterator[str]:
        yield str(tmp_path / "previous.sqlite")

    return sqlite_file()


async def _open(engine: str, target: str) -> Store:
    if engine == "postgresql":
        return await PostgresStorage.open(target)
    return await SqliteStorage.open(target)


async def test_sample_removal_and_promotion_reach_other_workers(pg_url: str) -> None:
    """On PostgreSQL a removed sample and a promoted one are announced to every worker
    (a promotion as samples of chat GLOBAL_SAMPLES, which every chat's index includes)."""
    a, b = await PostgresStorage.open(pg_url), await PostgresStorage.open(pg_url)
    heard: list[tuple[str, int]] = []
    arrived = asyncio.Event()

    def on_change(kind: str, chat_id: int) -> None:
        heard.append((kind, chat_id))
        if len(heard) >= 4:
            arrived.set()

    try:
        sample = await a.add_sample(-8, "send your seed phrase to @x", 1)
        await b.listen(on_change)
        await a.promote_sample(sample, 9001)
        await a.remove_sample(-8, sample, 1)
        assert not await a.remove_sample(-8, sample, 1)  # nothing removed, nothing announced
        await a.notify("admins", -9)
        await asyncio.wait_for(arrived.wait(), 10)
    finally:
        await a.close()
        await b.close()
    assert heard == [("all", 0), ("samples", GLOBAL_SAMPLES), ("samples", -8), ("admins", -9)]
