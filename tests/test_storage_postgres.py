"""The PostgreSQL repository under stress and in trouble, on a real server: durability,
concurrent writers and workers, cancelled writes, migrations, an unreachable server, and
change notices reaching another worker."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.core.model import Hit, Severity
from bot.errors import StorageError
from bot.storage import PostgresStorage, SqliteStorage, open_storage
from bot.storage import postgres as postgres_module
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration
from tests.pg import query

SEED = Hit("key-request.seed-phrase", "key_request", Severity.CRITICAL,
           "asks for a wallet recovery phrase")
ROOT = Path(__file__).resolve().parent.parent


async def _add(store: PostgresStorage, n: int, chat_id: int = -100) -> int:
    return await store.add_incident(chat_id, n, 1000 + n, "scam", 0.9, (SEED,),
                                    f"message number {n}: send me your seed phrase", None)


async def _count(url: str, table: str = "incidents") -> int:
    return int((await query(url, f"SELECT COUNT(*) FROM {table}"))[0][0])


async def test_open_storage_picks_the_backend_from_the_target(pg_url: str,
                                                              tmp_path: Path) -> None:
    """A postgresql:// URL opens PostgreSQL; a path or sqlite:/// URL opens a SQLite file."""
    store = await open_storage(pg_url)
    try:
        assert isinstance(store, PostgresStorage)
        assert await store.schema_version() == LATEST_VERSION
    finally:
        await store.close()
    for target in (str(tmp_path / "a.db"), f"sqlite:///{tmp_path / 'b.db'}"):
        lite = await open_storage(target)
        try:
            assert isinstance(lite, SqliteStorage)
        finally:
            await lite.close()
    assert (tmp_path / "a.db").exists() and (tmp_path / "b.db").exists()


async def test_every_migration_recorded_once_even_when_workers_start_together(
    pg_url: str,
) -> None:
    """Four workers opening a new database at once migrate it once, in order."""
    stores = await asyncio.gather(*(PostgresStorage.open(pg_url) for _ in range(4)))
    try:
        rows = await query(pg_url, "SELECT version FROM schema_version ORDER BY version")
        assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
    finally:
        for store in stores:
            await store.close()


async def test_incident_is_visible_to_another_connection_when_add_returns(pg_url: str) -> None:
    """add_incident returns only once the row is committed: another connection sees it."""
    store = await PostgresStorage.open(pg_url)
    try:
        incident_id = await _add(store, 1)
        rows = await query(pg_url, "SELECT verdict FROM incidents WHERE id = $1", incident_id)
        assert [r[0] for r in rows] == ["scam"]
    finally:
        await store.close()


async def test_incident_survives_the_process_dying_right_after(pg_url: str) -> None:
    """A process killed (os._exit, no close) just after add_incident returned loses nothing."""
    code = textwrap.dedent(f"""
        import asyncio, os, traceback
        from bot.core.model import Hit, Severity
        from bot.storage import open_storage

        async def main():
            store = await open_storage({pg_url!r})
            try:
                hit = Hit("r", "key_request", Severity.CRITICAL, "why")
                ids = [await store.add_incident(-1, n, 2, "scam", 0.9, (hit,), "text", None)
                       for n in range(3)]
                print(ids, flush=True)
            except BaseException:
                traceback.print_exc()
                os._exit(2)
            os._exit(0)

        asyncio.run(main())
    """)
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", code], capture_output=True, text=True,
        cwd=ROOT, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[1, 2, 3]"
    assert await _count(pg_url) == 3
    assert await _count(pg_url, "incident_hits") == 3


async def test_concurrent_writers_of_two_workers_lose_nothing(pg_url: str) -> None:
    """Three hundred incidents written at once through two pools all arrive, each once."""
    first, second = await PostgresStorage.open(pg_url), await PostgresStorage.open(pg_url)
    try:
        ids = await asyncio.gather(*(_add(first if n % 2 else second, n) for n in range(300)))
    finally:
        await first.close()
        await second.close()
    assert len(set(ids)) == 300
    assert await _count(pg_url) == 300
    assert await _count(pg_url, "incident_hits") == 300


@pytest.mark.parametrize("steps", [0, 1, 2, 4, 8, 16], ids=lambda n: f"after-{n}-yields")
async def test_cancelled_write_leaves_no_half_incident(pg_url: str, steps: int) -> None:
    """A write cancelled at any point is either whole or absent, and the next write works."""
    store = await PostgresStorage.open(pg_url)
    try:
        task = asyncio.create_task(
            store.add_incident(-1, 1, 2, "scam", 0.9, (SEED, SEED, SEED), "text", None))
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        after = await _add(store, 2)
        incidents = await store.list_incidents()
        assert incidents[0].id == after
        assert all(len(i.hits) == (3 if i.message_id == 1 else 1) for i in incidents)
    finally:
        await store.close()
    orphans = await query(pg_url, "SELECT COUNT(*) FROM incident_hits WHERE incident_id NOT IN"
                                  " (SELECT id FROM incidents)")
    assert orphans[0][0] == 0


async def test_new_migration_is_applied_to_an_existing_database(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database at the latest version gets the next numbered migration at open, data kept."""
    store = await PostgresStorage.open(pg_url)
    await _add(store, 1)
    await store.close()
    script = "ALTER TABLE incidents ADD COLUMN lang TEXT; UPDATE incidents SET lang = 'en'"
    added = Migration(LATEST_VERSION + 1, "incident language", "SELECT 1", script)
    monkeypatch.setattr(postgres_module, "MIGRATIONS", (*MIGRATIONS, added))
    monkeypatch.setattr(postgres_module, "LATEST_VERSION", added.version)
    store = await PostgresStorage.open(pg_url)
    try:
        assert await store.schema_version() == added.version
        assert len(await store.list_incidents()) == 1
    finally:
        await store.close()
    assert [r[0] for r in await query(pg_url, "SELECT lang FROM incidents")] == ["en"]


async def test_failing_migration_changes_nothing(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails half-way is rolled back whole and reported with the database."""
    await (await PostgresStorage.open(pg_url)).close()
    script = "CREATE TABLE extra (x INTEGER); INSERT INTO no_such_table VALUES (1)"
    broken = Migration(LATEST_VERSION + 1, "broken", script, script)
    monkeypatch.setattr(postgres_module, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(postgres_module, "LATEST_VERSION", broken.version)
    with pytest.raises(StorageError, match=r"PostgreSQL database .*no_such_table"):
        await PostgresStorage.open(pg_url)
    tables = {r[0] for r in await query(pg_url, "SELECT tablename FROM pg_tables")}
    assert "extra" not in tables
    assert (await query(pg_url, "SELECT MAX(version) FROM schema_version"))[0][0] == (
        LATEST_VERSION)


async def test_newer_schema_than_known_is_refused(pg_url: str) -> None:
    """A database migrated by a newer scamguard is not touched by this one."""
    await (await PostgresStorage.open(pg_url)).close()
    await query(pg_url, "INSERT INTO schema_version VALUES ($1, 'future', now())",
                LATEST_VERSION + 1)
    with pytest.raises(StorageError, match="newer than this scamguard"):
        await PostgresStorage.open(pg_url)


async def test_unreachable_server_is_a_clear_error_without_the_password() -> None:
    """No server at the address: a StorageError that names it, never the password."""
    url = "postgresql://bot:s3cret-pass@127.0.0.1:9/scamguard"
    with pytest.raises(StorageError) as caught:
        await PostgresStorage.open(url, connect_timeout=2.0)
    assert "cannot reach PostgreSQL database bot@127.0.0.1:9/scamguard" in str(caught.value)
    assert "s3cret" not in str(caught.value)


async def test_missing_database_is_named(pg_url: str) -> None:
    """A database that does not exist on the server is reported as such."""
    url = pg_url.rsplit("/", 1)[0] + "/no_such_db_here"
    with pytest.raises(StorageError, match="no_such_db_here does not exist"):
        await PostgresStorage.open(url)


async def test_closed_storage_raises(pg_url: str) -> None:
    """Using the repository after close() is a StorageError; close() can be repeated."""
    store = await PostgresStorage.open(pg_url)
    await store.close()
    await store.close()
    with pytest.raises(StorageError, match="closed"):
        await store.get_chat_settings(1)


async def test_probe_says_whether_the_database_takes_writes(pg_url: str) -> None:
    """The health probe is None on a writable database and names a read-only one."""
    store = await PostgresStorage.open(pg_url)
    try:
        assert await store.probe() is None
        name = pg_url.rsplit("/", 1)[1]
        await query(pg_url, f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        await store._pool.expire_connections()
        assert await store.probe() == "the database is read-only"
    finally:
        await store.close()


async def test_changes_through_one_worker_are_heard_by_another(pg_url: str) -> None:
    """Settings and samples changed through worker A reach worker B's listener, named by
    kind and chat, once committed; A's own announcement of admins reaches B too."""
    a, b = await PostgresStorage.open(pg_url), await PostgresStorage.open(pg_url)
    heard: list[tuple[str, int]] = []
    arrived = asyncio.Event()

    def on_change(kind: str, chat_id: int) -> None:
        heard.append((kind, chat_id))
        if len(heard) >= 4:
            arrived.set()

    try:
        await b.listen(on_change)
        await a.update_chat_settings(-7, 1, language="vi")
        await a.update_chat_settings(-7, 1, language="vi")  # no change, no notice
        await a.add_sample(-8, "send your seed phrase to @x", 1)
        await a.notify("admins", -9)
        await asyncio.wait_for(arrived.wait(), 10)
    finally:
        await a.close()
        await b.close()
    assert heard == [("all", 0), ("settings", -7), ("samples", -8), ("admins", -9)]
