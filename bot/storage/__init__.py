"""Where the bot keeps its state: chat settings, incidents, private checks, feedback, samples
and the audit log. `Repository` is the interface; `open_storage(target)` returns the SQLite
implementation for a file path or `sqlite:///path`, the PostgreSQL one for a
`postgresql://` URL, with its schema migrated."""

from __future__ import annotations

import os

from bot.storage.common import GLOBAL_SAMPLES
from bot.storage.models import (
    ActionCount,
    ActionRecord,
    AuditEntry,
    ChatSettings,
    Incident,
    PrivateCheck,
    Reputation,
    Sample,
    Stats,
    StorageValueError,
    UserPrefs,
)
from bot.storage.postgres import PostgresStorage, is_postgres_url
from bot.storage.repository import Repository
from bot.storage.sqlite import DEFAULT_BUSY_TIMEOUT, SqliteStorage

Storage = SqliteStorage


def sqlite_path(target: str | os.PathLike[str]) -> str | os.PathLike[str]:
    """The file a SQLite target names: a path as it is; `sqlite:///rel/x.db` is the
    relative path `rel/x.db` and `sqlite:////data/x.db` the absolute `/data/x.db` (as in
    SQLAlchemy URLs)."""
    if isinstance(target, str) and target.startswith("sqlite:///"):
        return target[len("sqlite:///"):] or "scamguard.db"
    if isinstance(target, str) and target.startswith("sqlite://"):
        return target[len("sqlite://"):] or "scamguard.db"
    return target


async def open_storage(
    target: str | os.PathLike[str], *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> SqliteStorage | PostgresStorage:
    """Open the database `target` names with its schema up to date: a PostgreSQL server for
    `postgresql://...`, else a SQLite file (created if missing)."""
    if isinstance(target, str) and is_postgres_url(target):
        return await PostgresStorage.open(target)
    return await SqliteStorage.open(sqlite_path(target), busy_timeout=busy_timeout)


__all__ = [
    "GLOBAL_SAMPLES",
    "ActionCount",
    "ActionRecord",
    "AuditEntry",
    "ChatSettings",
    "Incident",
    "PostgresStorage",
    "PrivateCheck",
    "Repository",
    "Reputation",
    "Sample",
    "SqliteStorage",
    "Stats",
    "Storage",
    "StorageValueError",
    "UserPrefs",
    "is_postgres_url",
    "open_storage",
    "sqlite_path",
]
