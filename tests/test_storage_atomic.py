"""Atomic list edits and one incident per message version, on a real SQLite file and on a
real PostgreSQL database; "two connections" are two repositories on one database, as two
workers have."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.core.model import Hit, Severity
from bot.storage import PostgresStorage, SqliteStorage, StorageValueError
from bot.storage import sqlite as sqlite_module
from bot.storage.migrations import MIGRATIONS
from tests.pg import fresh_database

Store = SqliteStorage | PostgresStorage
BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])

SEED = Hit("key-request.seed-phrase", "key_request", Severity.CRITICAL,
           "asks for a wallet recovery phrase")


@asynccontextmanager
async def stores(backend: str, tmp_path: Path, count: int) -> AsyncIterator[list[Store]]:
    """`count` repositories on one new database of `backend`."""
    opened: list[Store] = []
    try:
        if backend == "sqlite":
            for _ in range(count):
                opened.append(await SqliteStorage.open(tmp_path / "atomic.db"))
            yield opened
            return
        async with fresh_database() as url:
            try:
                for _ in range(count):
                    opened.append(await PostgresStorage.open(url))
                yield opened
            finally:
                for store in opened:
                    await store.close()
                opened = []
    finally:
        for store in opened:
            await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with stores(request.param, tmp_path, 1) as (store,):
        yield store


@pytest.mark.parametrize(
    ("name", "items", "stored"),
    [
        ("allow_domains", [f"site{n}.example" for n in range(12)],
         [f"site{n}.example" for n in range(12)]),
        ("allow_handles", [f"@helper{n}" for n in range(12)], [f"helper{n}" for n in range(12)]),
        ("trusted_users", list(range(100, 112)), list(range(100, 112))),
    ],
    ids=["domains", "handles", "users"],
)
async def test_concurrent_additions_all_stay(
    storage: Store, name: str, items: list[Any], stored: list[Any]
) -> None:
    """Twelve gathered additions to one list keep all twelve values."""
    await asyncio.gather(*(storage.add_to_list(-5, n, name, item) for n, item in enumerate(items)))
    settings = await storage.get_chat_settings(-5)
    assert sorted(getattr(settings, name)) == sorted(stored)


@BACKENDS
async def test_concurrent_additions_from_two_connections_all_stay(
    backend: str, tmp_path: Path
) -> None:
    """Two workers' connections adding at once lose nothing (the read is in the write lock)."""
    async with stores(backend, tmp_path, 2) as (first, second):
        await asyncio.gather(
            *(first.add_to_list(-5, 1, "allow_domains", f"a{n}.example") for n in range(8)),
            *(second.add_to_list(-5, 2, "allow_domains", f"b{n}.example") for n in range(8)),
        )
        settings = await second.get_chat_settings(-5)
    assert len(settings.allow_domains) == 16


async def test_adding_an_existing_value_keeps_one_copy(storage: Store) -> None:
    """A value already listed (in another spelling) is not listed twice."""
    await storage.add_to_list(-5, 1, "allow_domains", "Example.COM")
    settings = await storage.add_to_list(-5, 1, "allow_domains", "example.com.")
    assert settings.allow_domains == ("example.com",)


async def test_removal_keeps_the_rest_and_is_audited(storage: Store) -> None:
    """Removing a value (any spelling) keeps the others and writes an audit entry."""
    await storage.add_to_list(-5, 1, "allow_handles", "@one", "@two", "@three")
    settings = await storage.remove_from_list(-5, 7, "allow_handles", "@TWO")
    assert settings.allow_handles == ("one", "three")
    entry = (await storage.list_audit(-5, limit=1))[0]
    assert (entry.actor_id, entry.action) == (7, "settings.allow_handles")


@pytest.mark.parametrize("name", ["quiet", "language", "nonsense"], ids=str)
async def test_list_edits_refuse_other_settings(storage: Store, name: str) -> None:
    """Only the three list settings can be appended to."""
    with pytest.raises(StorageValueError):
        await storage.add_to_list(-5, 1, name, "x")


async def test_duplicate_delivery_returns_the_existing_incident(storage: Store) -> None:
    """The same (chat, message, edit date) stored twice gives one row and says so."""
    first, existing = await storage.add_or_get_incident(-5, 9, 3, "scam", 0.9, (SEED,), "a")
    await storage.record_action(first, "delete", True)
    again, found = await storage.add_or_get_incident(-5, 9, 3, "scam", 0.9, (SEED,), "a")
    assert existing is None
    assert again == first
    assert found is not None and [a.action for a in found.actions] == ["delete"]
    assert len(await storage.list_incidents(-5)) == 1


@pytest.mark.parametrize(
    ("second", "distinct"),
    [
        ((-5, 9, 100), True),
        ((-6, 9, 0), True),
        ((-5, 10, 0), True),
        ((-5, 9, 0), False),
    ],
    ids=["edited", "other-chat", "other-message", "same"],
)
async def test_incidents_are_unique_per_message_version(
    storage: Store, second: tuple[int, int, int], distinct: bool
) -> None:
    """An edit, another chat or another message is a new incident; the same one is not."""
    a = await storage.add_incident(-5, 9, 3, "scam", 0.9, (SEED,), "a", edit_date=0)
    chat, message, edit = second
    b = await storage.add_incident(chat, message, 3, "scam", 0.9, (SEED,), "a", edit_date=edit)
    assert (a != b) is distinct


async def test_messageless_incidents_never_conflict(storage: Store) -> None:
    """Member-join incidents (no message id) are each kept."""
    ids = {await storage.add_incident(-5, None, n, "suspicious", 0.5, (), "name")
           for n in range(3)}
    assert len(ids) == 3


@BACKENDS
async def test_concurrent_deliveries_make_one_creator(backend: str, tmp_path: Path) -> None:
    """Of eight deliveries gathered over two connections exactly one creates the incident."""
    async with stores(backend, tmp_path, 2) as (first, second):
        results = await asyncio.gather(*(
            store.add_or_get_incident(-5, 42, 3, "scam", 0.9, (SEED,), "text")
            for store in (first, second) * 4
        ))
    assert len({incident_id for incident_id, _ in results}) == 1
    assert sum(existing is None for _, existing in results) == 1


async def test_migration_keeps_duplicates_stored_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version-2 file holding duplicates migrates: every row stays, the first keeps its
    key, and later inserts of that key return the first."""
    path = tmp_path / "old.db"
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", MIGRATIONS[:2])
    monkeypatch.setattr(sqlite_module, "LATEST_VERSION", 2)
    old = await SqliteStorage.open(path)
    await old.close()
    monkeypatch.undo()
    with sqlite3.connect(path) as raw:
        for _ in range(3):
            raw.execute(
                "INSERT INTO incidents (chat_id, message_id, sender_id, verdict, score, excerpt,"
                " text_hash, created_at) VALUES (-5, 9, 3, 'scam', 0.9, 'dup', 'h',"
                " '2026-01-01T00:00:00.000000+00:00')"
            )
        ids = [r[0] for r in raw.execute("SELECT id FROM incidents ORDER BY id")]
    raw.close()
    store = await SqliteStorage.open(path)
    try:
        assert await store.schema_version() == MIGRATIONS[-1].version
        assert len(await store.list_incidents(-5)) == 3
        again = await store.add_incident(-5, 9, 3, "scam", 0.9, (SEED,), "dup")
        assert again == ids[0]
    finally:
        await store.close()
    with sqlite3.connect(path) as raw:
        edits = [r[0] for r in raw.execute("SELECT edit_date FROM incidents ORDER BY id")]
    assert edits == [0, -ids[1], -ids[2]]
