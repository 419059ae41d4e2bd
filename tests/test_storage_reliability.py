"""The database under stress and in trouble: durability, many concurrent writers, and a
locked, read-only or corrupted file, each created for real in tmp_path."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.core.model import Hit, Severity
from bot.errors import StorageError
from bot.storage import SqliteStorage, open_storage
from bot.storage import sqlite as sqlite_module
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration

SEED = Hit("key-request.seed-phrase", "key_request", Severity.CRITICAL,
           "asks for a wallet recovery phrase")
ROOT = Path(__file__).resolve().parent.parent


async def _add(store: SqliteStorage, n: int, chat_id: int = -100) -> int:
    return await store.add_incident(chat_id, n, 1000 + n, "scam", 0.9, (SEED,),
                                    f"message number {n}: send me your seed phrase", None)


def _count(path: Path, table: str = "incidents") -> int:
    raw = sqlite3.connect(path)
    try:
        return int(raw.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        raw.close()


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or directory unwritable for this process, even for root: the immutable
    attribute when running as root, permission bits otherwise."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


# -- durability ----------------------------------------------------------------------------


async def test_incident_is_visible_to_another_connection_when_add_returns(
    tmp_path: Path,
) -> None:
    """When add_incident returns, the row is committed: a second connection reads it."""
    path = tmp_path / "db.sqlite"
    store = await open_storage(path)
    try:
        incident_id = await _add(store, 1)
        await store.record_action(incident_id, "delete", True)
        raw = sqlite3.connect(path)
        try:
            row = raw.execute("SELECT message_id FROM incidents WHERE id = ?",
                              (incident_id,)).fetchone()
            actions = raw.execute("SELECT action, ok FROM incident_actions").fetchall()
        finally:
            raw.close()
        assert row == (1,)
        assert actions == [("delete", 1)]
    finally:
        await store.close()


def test_incident_survives_the_process_dying_right_after(tmp_path: Path) -> None:
    """A process killed (os._exit, no close) just after add_incident returned loses nothing."""
    path = tmp_path / "crash.sqlite"
    code = textwrap.dedent(f"""
        import asyncio, os, traceback
        from bot.core.model import Hit, Severity
        from bot.storage import open_storage

        async def main():
            store = await open_storage({str(path)!r})
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
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[1, 2, 3]"
    assert _count(path) == 3
    assert _count(path, "incident_hits") == 3


# -- concurrency ---------------------------------------------------------------------------


async def test_five_hundred_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    """500 gathered add_incident calls on one connection give 500 distinct committed rows."""
    path = tmp_path / "busy.sqlite"
    store = await open_storage(path)
    try:
        ids = await asyncio.gather(*(_add(store, n) for n in range(500)))
        settings_changes = await asyncio.gather(
            *(store.update_chat_settings(-100, n, restrict_hours=n + 1) for n in range(50))
        )
    finally:
        await store.close()
    assert len(set(ids)) == 500
    assert _count(path) == 500
    assert _count(path, "incident_hits") == 500
    assert len(settings_changes) == 50
    assert _count(path, "audit") == 50


async def test_two_storages_on_one_file_lose_nothing(tmp_path: Path) -> None:
    """Two connections writing the same file at once each wait their turn; all rows land."""
    path = tmp_path / "shared.sqlite"
    first = await open_storage(path)
    second = await open_storage(path)
    try:
        writes = [_add(first, n, -1) for n in range(250)]
        writes += [_add(second, n, -2) for n in range(250)]
        results = await asyncio.gather(*writes)
        assert len(set(results)) == 500
        assert len(await first.list_incidents(-2, limit=None)) == 250
        assert len(await second.list_incidents(-1, limit=None)) == 250
    finally:
        await first.close()
        await second.close()
    assert _count(path) == 500


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    """Two processes each gathering 200 writes on the same file: all 400 rows land."""
    path = tmp_path / "procs.sqlite"
    code = textwrap.dedent(f"""
        import asyncio, os, sys, traceback
        from bot.core.model import Hit, Severity
        from bot.storage import open_storage

        async def main(chat):
            store = await open_storage({str(path)!r})
            try:
                hit = Hit("r", "key_request", Severity.CRITICAL, "why")
                await asyncio.gather(*(
                    store.add_incident(chat, n, 2, "scam", 0.9, (hit,), "text", None)
                    for n in range(200)))
            except BaseException:
                traceback.print_exc()
                os._exit(2)
            await store.close()

        asyncio.run(main(int(sys.argv[1])))
    """)
    asyncio.run(_close_after_open(path))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(chat)], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for chat in (-1, -2)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert _count(path) == 400
    assert _count(path, "incident_hits") == 400


async def _close_after_open(path: Path) -> None:
    await (await open_storage(path)).close()


# -- a locked database ---------------------------------------------------------------------


async def test_locked_database_raises_instead_of_losing_the_write(tmp_path: Path) -> None:
    """Another connection holding the write lock past the busy timeout is a StorageError that
    names the file; after the lock goes, writing works again."""
    path = tmp_path / "locked.sqlite"
    store = await SqliteStorage.open(path, busy_timeout=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageError, match=rf"{path} is locked by another connection"):
            await _add(store, 1)
        with pytest.raises(StorageError, match="locked"):
            await store.update_chat_settings(-100, 1, quiet=True)
        holder.execute("ROLLBACK")
        incident_id = await _add(store, 2)
        assert [i.id for i in await store.list_incidents()] == [incident_id]
        assert (await store.get_chat_settings(-100)).quiet is False
    finally:
        holder.close()
        await store.close()


async def test_opening_a_locked_database_raises(tmp_path: Path) -> None:
    """Opening while another connection holds the write lock is a clear StorageError."""
    path = tmp_path / "locked-open.sqlite"
    await (await open_storage(path)).close()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError, match=rf"{path} is locked"):
            await SqliteStorage.open(path, busy_timeout=0.2)
    finally:
        holder.close()


# -- read-only file or directory -----------------------------------------------------------


async def test_read_only_file_raises_on_open(tmp_path: Path) -> None:
    """An existing database file that cannot be written is refused at open, by name."""
    path = tmp_path / "ro.sqlite"
    store = await open_storage(path)
    await _add(store, 1)
    await store.close()
    with read_only(path), pytest.raises(StorageError, match=rf"{path} is read-only"):
        await open_storage(path)
    assert _count(path) == 1


async def test_read_only_directory_for_a_new_database(tmp_path: Path) -> None:
    """A new database in a directory that cannot be written names the directory."""
    folder = tmp_path / "ro-dir"
    folder.mkdir()
    path = folder / "new.sqlite"
    with read_only(folder), pytest.raises(
        StorageError, match=rf"cannot open database {path}: directory {folder} is read-only"
    ):
        await open_storage(path)
    assert not path.exists()


async def test_read_only_directory_with_an_existing_database(tmp_path: Path) -> None:
    """An existing database whose directory is read-only (no room for -wal) is an error."""
    folder = tmp_path / "ro-dir2"
    folder.mkdir()
    path = folder / "old.sqlite"
    await (await open_storage(path)).close()
    with read_only(folder), pytest.raises(StorageError, match=rf"{path}.*read-only"):
        await open_storage(path)


# -- a corrupted file ----------------------------------------------------------------------


async def test_garbage_file_is_reported_as_corrupted(tmp_path: Path) -> None:
    """A file of random bytes is not silently replaced: StorageError names it as corrupted."""
    path = tmp_path / "garbage.sqlite"
    garbage = os.urandom(16384)
    path.write_bytes(garbage)
    with pytest.raises(StorageError, match=rf"{path} is corrupted or not a SQLite database"):
        await open_storage(path)
    assert path.read_bytes() == garbage


async def test_damaged_pages_are_reported_as_corrupted(tmp_path: Path) -> None:
    """A real database whose data pages were overwritten raises StorageError on use."""
    path = tmp_path / "damaged.sqlite"
    store = await open_storage(path)
    await asyncio.gather(*(_add(store, n) for n in range(300)))
    await store.checkpoint()
    await store.close()
    size = path.stat().st_size
    assert size > 8 * 4096
    with path.open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xa5" * (size - 2 * 4096))
    opened: SqliteStorage | None = None
    try:
        with pytest.raises(StorageError, match=rf"{path} is corrupted"):
            opened = await open_storage(path)
            await opened.list_incidents(limit=None)
            await opened.stats()
    finally:
        if opened is not None:
            await opened.close()


# -- cancellation and migrations -----------------------------------------------------------


@pytest.mark.parametrize("steps", range(8), ids=lambda n: f"after-{n}-yields")
async def test_cancelled_write_leaves_no_half_incident(tmp_path: Path, steps: int) -> None:
    """A write cancelled at any point is either whole or absent, and the next write works."""
    path = tmp_path / "cancel.sqlite"
    store = await open_storage(path)
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
    raw = sqlite3.connect(path)
    try:
        orphans = raw.execute("SELECT COUNT(*) FROM incident_hits WHERE incident_id NOT IN "
                              "(SELECT id FROM incidents)").fetchone()[0]
    finally:
        raw.close()
    assert orphans == 0


async def test_new_migration_is_applied_to_an_existing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database at version 1 gets the next numbered migration at open, data kept."""
    path = tmp_path / "upgrade.sqlite"
    store = await open_storage(path)
    await _add(store, 1)
    await store.close()
    script = "ALTER TABLE incidents ADD COLUMN lang TEXT; UPDATE incidents SET lang = 'en'"
    added = Migration(LATEST_VERSION + 1, "incident language", script, script)
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*MIGRATIONS, added))
    monkeypatch.setattr(sqlite_module, "LATEST_VERSION", added.version)
    store = await open_storage(path)
    try:
        assert await store.schema_version() == added.version
        assert len(await store.list_incidents()) == 1
    finally:
        await store.close()
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT lang FROM incidents").fetchall() == [("en",)]
    finally:
        raw.close()


async def test_failing_migration_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails half-way is rolled back whole and reported with the file."""
    path = tmp_path / "bad-upgrade.sqlite"
    await (await open_storage(path)).close()
    script = "CREATE TABLE extra (x INTEGER); INSERT INTO no_such_table VALUES (1)"
    broken = Migration(LATEST_VERSION + 1, "broken", script, script)
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(sqlite_module, "LATEST_VERSION", broken.version)
    with pytest.raises(StorageError, match=rf"{path}.*no such table"):
        await open_storage(path)
    raw = sqlite3.connect(path)
    try:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
        version = raw.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    finally:
        raw.close()
    assert "extra" not in tables
    assert version == LATEST_VERSION
