"""Where the bot keeps its state: chat settings, incidents, private checks, feedback, samples
and the audit log. `Repository` is the interface; `open_storage(path)` returns the SQLite
implementation with its schema migrated."""

from __future__ import annotations

import os

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
from bot.storage.repository import Repository
from bot.storage.sqlite import DEFAULT_BUSY_TIMEOUT, GLOBAL_SAMPLES, SqliteStorage

Storage = SqliteStorage


async def open_storage(
    path: str | os.PathLike[str], *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> SqliteStorage:
    """Open the database at `path` (created if missing) with its schema up to date."""
    return await SqliteStorage.open(path, busy_timeout=busy_timeout)


__all__ = [
    "GLOBAL_SAMPLES",
    "ActionCount",
    "ActionRecord",
    "AuditEntry",
    "ChatSettings",
    "Incident",
    "PrivateCheck",
    "Repository",
    "Reputation",
    "Sample",
    "SqliteStorage",
    "Stats",
    "Storage",
    "StorageValueError",
    "UserPrefs",
    "open_storage",
]
