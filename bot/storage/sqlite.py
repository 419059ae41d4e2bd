"""The repository on SQLite through aiosqlite: one connection per `SqliteStorage`, WAL mode,
foreign keys on, synchronous=FULL (a returned write survives a crash), secure_delete on (a
purged text is overwritten, not left in free pages), and a busy timeout for other writers.

Writes run as `BEGIN IMMEDIATE ... COMMIT` under one asyncio lock per connection, so concurrent
coroutines never interleave inside a transaction and a second process waits for the write lock
instead of failing half-way. Every sqlite error becomes a `StorageError` that names the file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from bot.core.model import Hit
from bot.core.redact import excerpt, redact, text_hash
from bot.errors import StorageError
from bot.storage.common import (
    GLOBAL_SAMPLES,
    KNOWN_CHATS_SQL,
    SAMPLE_COLUMNS,
    Clock,
    activity_sql,
    check_list_name,
    check_log_code,
    check_score,
    dumps,
    from_db_time,
    hit_rows,
    incident_query_sql,
    indicators_json,
    make_hit,
    reputation_score,
    samples_sql,
    sender_flagged_sql,
    to_db_time,
    utcnow,
)
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, statements
from bot.storage.models import (
    FEEDBACK_KINDS,
    LABELLED_SAMPLES_SQL,
    LABELLED_SQL,
    ActionCount,
    ActionRecord,
    ActivityRow,
    AuditEntry,
    ChatSettings,
    Incident,
    IncidentQuery,
    IndicatorsLike,
    LogChatCode,
    PrivateCheck,
    Reputation,
    Sample,
    Stats,
    StorageValueError,
    UserPrefs,
    check_verdict,
    labelled_rows,
    normalize_language,
    normalize_region,
    parse_bool,
    validate_changes,
)

DEFAULT_BUSY_TIMEOUT = 5.0
_CHUNK = 500


def _dir_writable(directory: Path) -> bool:
    """Tries to create a file: permission bits alone mislead (root, immutable, read-only fs)."""
    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def _file_writable(path: Path) -> bool:
    try:
        with open(path, "r+b"):
            return True
    except OSError:
        return False


def _check_path(path: Path) -> None:
    """Problems SQLite would only call "unable to open database file"."""
    if not path.parent.is_dir():
        raise StorageError(
            f"cannot open database {path}: directory {path.parent} does not exist"
        )
    if path.is_dir():
        raise StorageError(f"cannot open database {path}: it is a directory")


def describe_error(path: Path, exc: sqlite3.Error, doing: str, busy_timeout: float) -> str:
    """A message naming the database file and what is wrong with it."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    where = f"database {path}"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return (
            f"{where} is locked by another connection (waited {busy_timeout:g} s while "
            f"{doing}); is another scamguard or a long transaction holding it?"
        )
    if code == sqlite3.SQLITE_READONLY:
        return (
            f"{where} is read-only ({exc} while {doing}); make the file and its directory "
            "writable for the bot's user"
        )
    if code == sqlite3.SQLITE_CANTOPEN:
        directory = path.parent
        if not directory.is_dir():
            return f"cannot open {where}: directory {directory} does not exist"
        if not _dir_writable(directory):
            return (
                f"cannot open {where}: directory {directory} is read-only, and SQLite needs "
                "to create the database and its -wal and -shm files there"
            )
        if path.exists() and not _file_writable(path):
            return f"cannot open {where}: the file is read-only"
        return f"cannot open {where} ({exc})"
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return (
            f"{where} is corrupted or not a SQLite database ({exc} while {doing}); "
            "restore it from a backup or move it away to start a new one"
        )
    if code == sqlite3.SQLITE_FULL:
        return f"{where}: the disk is full ({doing})"
    if code == sqlite3.SQLITE_IOERR:
        return f"{where}: input/output error while {doing} ({exc})"
    return f"{where}: {exc} (while {doing})"


def probe_file(path: Path, timeout: float = 0.5) -> str | None:
    """Take and release the database's write lock on a separate connection; None when the
    file is writable, else why not (without the path: /healthz is open to anyone). A lock
    held by the bot past `timeout` counts as busy, which is not a failure."""
    if not path.exists():
        return "the database file does not exist"
    try:
        db = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        return f"cannot open the database: {exc}"
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return None
        return f"the database is not writable: {exc}"
    except sqlite3.Error as exc:
        return f"the database is not writable: {exc}"
    finally:
        db.close()
    return None


class SqliteStorage:
    """The `Repository` on one SQLite file. Create with `await SqliteStorage.open(path)`."""

    def __init__(
        self, db: aiosqlite.Connection, path: Path, busy_timeout: float, clock: Clock
    ) -> None:
        self._db = db
        self.path = path
        self._busy_timeout = busy_timeout
        self._clock = clock
        self._lock = asyncio.Lock()
        self._closed = False

    # -- opening and closing -------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        clock: Clock = utcnow,
    ) -> SqliteStorage:
        """Open (or create) the database at `path` and bring its schema up to date."""
        db_path = Path(path)
        _check_path(db_path)
        try:
            db = await aiosqlite.connect(
                str(db_path), timeout=busy_timeout, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StorageError(
                describe_error(db_path, exc, "opening", busy_timeout)
            ) from exc
        storage = cls(db, db_path, busy_timeout, clock)
        try:
            await storage._prepare()
        except BaseException:
            await storage.close()
            raise
        return storage

    async def _prepare(self) -> None:
        self._db.row_factory = sqlite3.Row
        async with self._guard("opening"):
            await self._db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            await self._db.execute("PRAGMA foreign_keys = ON")
            await self._db.execute("PRAGMA secure_delete = ON")
            rows = await self._db.execute_fetchall("PRAGMA journal_mode = WAL")
            mode = str(next(iter(rows))[0]).lower()
            if mode != "wal":
                raise StorageError(
                    f"database {self.path}: cannot switch to WAL mode (journal mode is {mode})"
                )
            await self._db.execute("PRAGMA synchronous = FULL")
        async with self._write("applying schema migrations") as db:
            await db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            rows = await db.execute_fetchall("SELECT MAX(version) FROM schema_version")
            current = next(iter(rows))[0] or 0
            if current > LATEST_VERSION:
                raise StorageError(
                    f"database {self.path} has schema version {current}, newer than this "
                    f"scamguard understands ({LATEST_VERSION}); upgrade scamguard"
                )
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                for statement in statements(migration.sql):
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, self._now()),
                )
            # A real write at every start: a read-only file fails here, not at the first
            # incident.
            await db.execute(
                "INSERT INTO meta (key, value) VALUES ('opened_at', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (self._now(),),
            )

    async def close(self) -> None:
        """Close the connection; later calls raise StorageError. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await self._db.close()

    async def __aenter__(self) -> SqliteStorage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def schema_version(self) -> int:
        """The highest migration applied to this file."""
        rows = await self._fetch("reading the schema version",
                                 "SELECT MAX(version) FROM schema_version")
        return int(rows[0][0] or 0)

    async def probe(self) -> str | None:
        """None when the file takes writes, else why not (see `probe_file`)."""
        if self._closed:
            return "the database is closed"
        return await asyncio.to_thread(probe_file, self.path)

    # -- plumbing ------------------------------------------------------------------------

    def _now(self) -> str:
        return to_db_time(self._clock())

    def _error(self, exc: sqlite3.Error, doing: str) -> StorageError:
        return StorageError(describe_error(self.path, exc, doing, self._busy_timeout))

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"database {self.path} is closed")

    @contextlib.asynccontextmanager
    async def _guard(self, doing: str) -> AsyncIterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(exc, doing) from exc

    @contextlib.asynccontextmanager
    async def _write(self, doing: str) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction, committed (durably) when the block ends without error."""
        async with self._lock:
            self._check_open()
            try:
                await self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(exc, doing) from exc
            except BaseException:
                # Cancelled while BEGIN was queued: it still runs, so end what it opens.
                with contextlib.suppress(sqlite3.Error, ValueError):
                    await self._db.execute("ROLLBACK")
                raise
            try:
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error, ValueError):
                    await self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc, doing) from exc
                raise

    async def _fetch(
        self, doing: str, sql: str, params: Sequence[Any] = ()
    ) -> list[sqlite3.Row]:
        async with self._lock:
            self._check_open()
            try:
                return list(await self._db.execute_fetchall(sql, params))
            except sqlite3.Error as exc:
                raise self._error(exc, doing) from exc

    # -- chat settings -------------------------------------------------------------------

    async def get_chat_settings(self, chat_id: int) -> ChatSettings:
        """The chat's settings, or the defaults when it never changed any."""
        rows = await self._fetch(
            "reading chat settings", "SELECT * FROM chat_settings WHERE chat_id = ?", (chat_id,)
        )
        return _settings(rows[0]) if rows else ChatSettings(chat_id=chat_id)

    async def update_chat_settings(
        self, chat_id: int, actor_id: int | None, **changes: Any
    ) -> ChatSettings:
        """Validate and store `changes`; one audit entry per setting whose value changed."""
        return await self._change_settings(chat_id, actor_id, lambda _current: changes)

    async def add_to_list(
        self, chat_id: int, actor_id: int | None, name: str, *items: Any
    ) -> ChatSettings:
        """Append `items` to the list setting `name` (allow_domains, allow_handles,
        trusted_users) inside one write transaction, so concurrent additions all stay."""
        check_list_name(name)
        return await self._change_settings(
            chat_id, actor_id, lambda current: {name: (*getattr(current, name), *items)}
        )

    async def remove_from_list(
        self, chat_id: int, actor_id: int | None, name: str, *items: Any
    ) -> ChatSettings:
        """Remove `items` (normalised like stored values) from the list setting `name`
        inside one write transaction."""
        check_list_name(name)
        gone = set(getattr(validate_changes(ChatSettings(chat_id=chat_id), {name: items}), name))
        return await self._change_settings(
            chat_id, actor_id,
            lambda current: {name: tuple(v for v in getattr(current, name) if v not in gone)},
        )

    async def _change_settings(
        self, chat_id: int, actor_id: int | None,
        changes_of: Callable[[ChatSettings], Mapping[str, Any]],
    ) -> ChatSettings:
        """Read the chat's settings, derive the changes from them and store the result, all
        in one write transaction."""
        async with self._write("updating chat settings") as db:
            rows = await db.execute_fetchall(
                "SELECT * FROM chat_settings WHERE chat_id = ?", (chat_id,)
            )
            found = list(rows)
            current = _settings(found[0]) if found else ChatSettings(chat_id=chat_id)
            changes = changes_of(current)
            new = validate_changes(current, changes)
            old_d, new_d = current.to_dict(), new.to_dict()
            changed = [k for k in changes if old_d[k] != new_d[k]]
            if not changed:
                return new
            now = self._now()
            await db.execute(
                "INSERT OR REPLACE INTO chat_settings (chat_id, scam_action, restrict_hours,"
                " suspicious_action, sensitivity, language, region, allow_domains,"
                " allow_handles, trusted_users, quiet, keep_evidence, language_auto,"
                " log_chat, delete_after, cas, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    chat_id, new.scam_action, new.restrict_hours, new.suspicious_action,
                    new.sensitivity, new.language, new.region, dumps(list(new.allow_domains)),
                    dumps(list(new.allow_handles)), dumps(list(new.trusted_users)),
                    int(new.quiet), int(new.keep_evidence), int(new.language_auto),
                    new.log_chat, new.delete_after, int(new.cas), now,
                ),
            )
            await db.executemany(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (actor_id, chat_id, f"settings.{k}",
                     dumps({"old": old_d[k], "new": new_d[k]}), now)
                    for k in changed
                ],
            )
        return new

    # -- incidents -----------------------------------------------------------------------

    async def add_incident(
        self,
        chat_id: int,
        message_id: int | None,
        sender_id: int | None,
        verdict: str,
        score: float,
        hits: Sequence[Hit],
        text: str,
        indicators: IndicatorsLike | None = None,
        keep_full: bool = False,
        edit_date: int = 0,
    ) -> int:
        """Store an incident and return its id once it is committed to disk. The text is
        kept as a redacted excerpt and a hash; in full only with `keep_full`. `edit_date`
        (Unix time, 0 for the original) tells versions of an edited message apart. A message
        version already stored returns the id of its incident (see `add_or_get_incident`)."""
        incident_id, _ = await self.add_or_get_incident(
            chat_id, message_id, sender_id, verdict, score, hits, text, indicators,
            keep_full, edit_date,
        )
        return incident_id

    async def add_or_get_incident(
        self,
        chat_id: int,
        message_id: int | None,
        sender_id: int | None,
        verdict: str,
        score: float,
        hits: Sequence[Hit],
        text: str,
        indicators: IndicatorsLike | None = None,
        keep_full: bool = False,
        edit_date: int = 0,
    ) -> tuple[int, Incident | None]:
        """Like `add_incident`, but tells a duplicate apart: `(id, None)` when this call
        stored the incident, `(id, existing)` when the same (chat, message, edit date) was
        already stored; `existing.actions` says what was done about it. Atomic, so of two
        concurrent deliveries of one message exactly one gets None."""
        verdict = check_verdict(verdict)
        value = check_score(score)
        short, digest = excerpt(text), text_hash(text)
        hit_list = hit_rows(hits, keep_full)
        indicators_text = indicators_json(indicators, keep_full)
        existing_id: int | None = None
        incident_id = 0
        async with self._write("storing an incident") as db:
            cursor = await db.execute(
                "INSERT INTO incidents (chat_id, message_id, sender_id, verdict, score,"
                " excerpt, text_hash, full_text, indicators, created_at, edit_date)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (chat_id, message_id, edit_date) DO NOTHING",
                (chat_id, message_id, sender_id, verdict, value, short, digest,
                 text if keep_full else None, indicators_text, self._now(), edit_date),
            )
            if cursor.rowcount == 0:
                rows = list(await db.execute_fetchall(
                    "SELECT id FROM incidents WHERE chat_id = ? AND message_id = ?"
                    " AND edit_date = ?", (chat_id, message_id, edit_date),
                ))
                existing_id = int(rows[0][0])
            else:
                assert cursor.lastrowid is not None
                incident_id = cursor.lastrowid
                await db.executemany(
                    "INSERT INTO incident_hits (incident_id, position, rule, category,"
                    " severity, reason) VALUES (?, ?, ?, ?, ?, ?)",
                    [(incident_id, i, *row) for i, row in enumerate(hit_list)],
                )
        if existing_id is None:
            return incident_id, None
        existing = await self.get_incident(existing_id)
        if existing is None:  # purged in between
            raise StorageError(f"database {self.path}: incident {existing_id} vanished")
        return existing_id, existing

    async def record_action(
        self, incident_id: int, action: str, ok: bool, error: str | None = None
    ) -> None:
        """Note what was done about an incident (delete, restrict, ban, warn) and whether it
        worked; also written to the audit log as done by the bot."""
        if not action or not isinstance(action, str):
            raise StorageValueError("action must be a non-empty string")
        async with self._write("recording an action") as db:
            rows = list(await db.execute_fetchall(
                "SELECT chat_id FROM incidents WHERE id = ?", (incident_id,)
            ))
            if not rows:
                raise StorageValueError(f"no incident {incident_id}")
            now = self._now()
            await db.execute(
                "INSERT INTO incident_actions (incident_id, action, ok, error, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (incident_id, action, int(bool(ok)), error, now),
            )
            detail: dict[str, Any] = {"incident": incident_id, "ok": bool(ok)}
            if error:
                detail["error"] = error
            await db.execute(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES (NULL, ?, ?, ?, ?)",
                (rows[0][0], f"action.{action}", dumps(detail), now),
            )

    async def find_incident(
        self, chat_id: int, message_id: int, edit_date: int = 0
    ) -> Incident | None:
        """The incident of one message (as edited at `edit_date`, 0 for the original)."""
        rows = await self._fetch(
            "reading an incident",
            "SELECT * FROM incidents WHERE chat_id = ? AND message_id = ? AND edit_date = ?"
            " ORDER BY id LIMIT 1", (chat_id, message_id, edit_date),
        )
        found = await self._incidents(rows)
        return found[0] if found else None

    async def sender_flagged_since(self, chat_id: int, sender_id: int,
                                   since: datetime) -> bool:
        """Whether a message of this sender in this chat was flagged at `since` or later,
        and no admin has called it "Not a scam"."""
        params: list[Any] = []

        def mark(value: Any) -> str:
            params.append(value)
            return "?"

        sql = sender_flagged_sql(chat_id, sender_id, to_db_time(since), mark)
        return bool(await self._fetch("reading a sender's incidents", sql, params))

    async def get_incident(self, incident_id: int) -> Incident | None:
        rows = await self._fetch(
            "reading an incident", "SELECT * FROM incidents WHERE id = ?", (incident_id,)
        )
        found = await self._incidents(rows)
        return found[0] if found else None

    async def list_incidents(
        self,
        chat_id: int | None = None,
        since: datetime | None = None,
        limit: int | None = 100,
        before_id: int | None = None,
    ) -> list[Incident]:
        """Incidents, newest first, of one chat or all, from `since` on; `before_id` pages
        on from the last id of the previous page."""
        where: list[str] = []
        params: list[Any] = []
        if chat_id is not None:
            where.append("chat_id = ?")
            params.append(chat_id)
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        if since is not None:
            where.append("created_at >= ?")
            params.append(to_db_time(since))
        sql = "SELECT * FROM incidents"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        rows = await self._fetch("listing incidents", sql, params)
        return await self._incidents(rows)

    async def _incidents(self, rows: list[sqlite3.Row]) -> list[Incident]:
        ids = [row["id"] for row in rows]
        hits: dict[int, list[Hit]] = {i: [] for i in ids}
        actions: dict[int, list[ActionRecord]] = {i: [] for i in ids}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for h in await self._fetch(
                "reading incident hits",
                "SELECT incident_id, rule, category, severity, reason FROM incident_hits"
                f" WHERE incident_id IN ({marks}) ORDER BY incident_id, position",
                chunk,
            ):
                hits[h[0]].append(make_hit(h[1], h[2], h[3], h[4]))
            for a in await self._fetch(
                "reading incident actions",
                "SELECT incident_id, action, ok, error, created_at FROM incident_actions"
                f" WHERE incident_id IN ({marks}) ORDER BY id",
                chunk,
            ):
                actions[a[0]].append(
                    ActionRecord(a[1], bool(a[2]), a[3], from_db_time(a[4]))
                )
        return [
            Incident(
                id=row["id"],
                chat_id=row["chat_id"],
                message_id=row["message_id"],
                sender_id=row["sender_id"],
                verdict=row["verdict"],
                score=row["score"],
                hits=tuple(hits[row["id"]]),
                excerpt=row["excerpt"],
                text_hash=row["text_hash"],
                full_text=row["full_text"],
                indicators=json.loads(row["indicators"]),
                created_at=from_db_time(row["created_at"]),
                actions=tuple(actions[row["id"]]),
            )
            for row in rows
        ]

    # -- private checks and user preferences ---------------------------------------------

    async def add_private_check(
        self,
        user_id: int,
        verdict: str,
        score: float,
        hits: Sequence[Hit],
        indicators: IndicatorsLike | None,
        text: str,
        keep_full: bool = False,
    ) -> int:
        """Store a check a user asked for in private; redacted unless `keep_full`."""
        verdict = check_verdict(verdict)
        value = check_score(score)
        hits_json = dumps([dict(zip(("rule", "category", "severity", "reason"), r,
                                     strict=True)) for r in hit_rows(hits, keep_full)])
        indicators_text = indicators_json(indicators, keep_full)
        short, digest = excerpt(text), text_hash(text)
        async with self._write("storing a private check") as db:
            cursor = await db.execute(
                "INSERT INTO private_checks (user_id, verdict, score, hits, excerpt,"
                " text_hash, full_text, indicators, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (user_id, verdict, value, hits_json, short, digest,
                 text if keep_full else None, indicators_text, self._now()),
            )
            check_id = cursor.lastrowid
        assert check_id is not None
        return check_id

    async def last_private_check(self, user_id: int) -> PrivateCheck | None:
        """The user's most recent check (what `/evidence` summarises), or None."""
        rows = await self._fetch(
            "reading a private check",
            "SELECT * FROM private_checks WHERE user_id = ? ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return PrivateCheck(
            id=row["id"],
            user_id=row["user_id"],
            verdict=row["verdict"],
            score=row["score"],
            hits=tuple(
                make_hit(h["rule"], h["category"], h["severity"], h["reason"])
                for h in json.loads(row["hits"])
            ),
            excerpt=row["excerpt"],
            text_hash=row["text_hash"],
            full_text=row["full_text"],
            indicators=json.loads(row["indicators"]),
            created_at=from_db_time(row["created_at"]),
        )

    async def get_user_prefs(self, user_id: int) -> UserPrefs:
        rows = await self._fetch(
            "reading user preferences",
            "SELECT language, region, keep_evidence FROM user_prefs WHERE user_id = ?",
            (user_id,),
        )
        if not rows:
            return UserPrefs(user_id=user_id)
        return UserPrefs(user_id, rows[0][0], rows[0][1], bool(rows[0][2]))

    async def set_user_prefs(self, user_id: int, **changes: Any) -> UserPrefs:
        """Change `language`, `region` (None clears either) and `keep_evidence`."""
        clean: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "language":
                clean[name] = None if value is None else normalize_language(value)
            elif name == "region":
                clean[name] = normalize_region(value)
            elif name == "keep_evidence":
                clean[name] = parse_bool(name, value)
            else:
                raise StorageValueError(
                    f"unknown user preference {name!r} (one of: language, region, "
                    "keep_evidence)"
                )
        async with self._write("storing user preferences") as db:
            rows = list(await db.execute_fetchall(
                "SELECT language, region, keep_evidence FROM user_prefs WHERE user_id = ?",
                (user_id,),
            ))
            old = (UserPrefs(user_id, rows[0][0], rows[0][1], bool(rows[0][2]))
                   if rows else UserPrefs(user_id))
            new = UserPrefs(
                user_id,
                clean.get("language", old.language),
                clean.get("region", old.region),
                clean.get("keep_evidence", old.keep_evidence),
            )
            await db.execute(
                "INSERT OR REPLACE INTO user_prefs (user_id, language, region, keep_evidence,"
                " updated_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, new.language, new.region, int(new.keep_evidence), self._now()),
            )
        return new

    # -- feedback and samples ------------------------------------------------------------

    async def add_feedback(
        self,
        incident_id: int,
        user_id: int,
        kind: str = "false_positive",
        note: str | None = None,
    ) -> int:
        """Record a user's judgement of an incident (false positive by default)."""
        if kind not in FEEDBACK_KINDS:
            raise StorageValueError(
                f"feedback kind must be one of {', '.join(FEEDBACK_KINDS)}, not {kind!r}"
            )
        async with self._write("storing feedback") as db:
            rows = list(await db.execute_fetchall(
                "SELECT 1 FROM incidents WHERE id = ?", (incident_id,)
            ))
            if not rows:
                raise StorageValueError(f"no incident {incident_id}")
            cursor = await db.execute(
                "INSERT INTO feedback (incident_id, user_id, kind, note, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (incident_id, user_id, kind, note and redact(note)[:1000], self._now()),
            )
            feedback_id = cursor.lastrowid
        assert feedback_id is not None
        return feedback_id

    async def add_sample(
        self, chat_id: int, text: str, added_by: int, category: str | None = None
    ) -> int:
        """Keep a known-scam message an admin chose for this chat (stored as given, since it
        is matched against later messages). Adding the same text again returns the same id."""
        if not text.strip():
            raise StorageValueError("a sample needs some text")
        digest = text_hash(text)
        async with self._write("storing a sample") as db:
            rows = list(await db.execute_fetchall(
                "SELECT id FROM samples WHERE chat_id = ? AND text_hash = ?", (chat_id, digest)
            ))
            if rows:
                return int(rows[0][0])
            now = self._now()
            cursor = await db.execute(
                "INSERT INTO samples (chat_id, text, text_hash, category, added_by, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (chat_id, text, digest, category, added_by, now),
            )
            sample_id = cursor.lastrowid
            assert sample_id is not None
            await db.execute(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES (?, ?, 'sample.add', ?, ?)",
                (added_by, chat_id, dumps({"sample": sample_id, "category": category}), now),
            )
        return sample_id

    async def list_samples(self, chat_id: int) -> list[str]:
        rows = await self._fetch(
            "reading samples", "SELECT text FROM samples WHERE chat_id = ? ORDER BY id",
            (chat_id,),
        )
        return [row[0] for row in rows]

    async def list_sample_rows(self, chat_id: int | None = None, limit: int | None = None
                               ) -> list[Sample]:
        """One chat's samples with their ids (None: every chat's, the promoted ones of
        GLOBAL_SAMPLES included), oldest first; with `limit`, the newest `limit` only."""
        params: list[Any] = []

        def mark(value: Any) -> str:
            params.append(value)
            return "?"

        rows = await self._fetch("reading samples", samples_sql(chat_id, limit, mark), params)
        return [_sample(r) for r in rows]

    async def get_sample(self, sample_id: int) -> Sample | None:
        rows = await self._fetch(
            "reading a sample", f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE id = ?",
            (sample_id,),
        )
        return _sample(rows[0]) if rows else None

    async def remove_sample(self, chat_id: int | None, sample_id: int,
                            actor_id: int | None) -> Sample | None:
        """Forget a sample (audited as `sample.remove` in the chat it belonged to); the
        sample removed, None when there is none of that id in `chat_id` (None: in any
        chat, for operators)."""
        async with self._write("removing a sample") as db:
            rows = list(await db.execute_fetchall(
                f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE id = ?", (sample_id,)))
            if not rows or (chat_id is not None and rows[0][1] != chat_id):
                return None
            sample = _sample(rows[0])
            await db.execute("DELETE FROM samples WHERE id = ?", (sample_id,))
            await db.execute(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES (?, ?, 'sample.remove', ?, ?)",
                (actor_id, sample.chat_id, dumps({"sample": sample_id}), self._now()),
            )
        return sample

    async def promote_sample(self, sample_id: int, actor_id: int) -> int | None:
        """Copy a chat's sample to every group (chat GLOBAL_SAMPLES), audited; the id of the
        copy, or None when there is no such sample."""
        found = await self.get_sample(sample_id)
        if found is None:
            return None
        copy = await self.add_sample(GLOBAL_SAMPLES, found.text, actor_id)
        await self.audit(actor_id, found.chat_id, "sample.promote",
                         {"sample": sample_id, "global_sample": copy})
        return copy

    # -- reputation across groups -----------------------------------------------------------

    async def flag_user(self, user_id: int, chat_id: int, incident_id: int | None,
                        weight: float = 1.0, half_life_days: float = 14.0) -> Reputation:
        """Add `weight` to the user's reputation (the old score decayed to now first)."""
        async with self._write("flagging a sender") as db:
            rows = list(await db.execute_fetchall(
                "SELECT score, updated_at FROM reputation WHERE user_id = ?", (user_id,)))
            now = self._clock()
            previous = (Reputation(user_id, float(rows[0][0]), chat_id, None,
                                   from_db_time(rows[0][1])) if rows else None)
            score = reputation_score(previous, now, weight, half_life_days)
            await db.execute(
                "INSERT OR REPLACE INTO reputation (user_id, score, chat_id, incident_id,"
                " updated_at) VALUES (?, ?, ?, ?, ?)",
                (user_id, score, chat_id, incident_id, to_db_time(now)),
            )
        return Reputation(user_id, score, chat_id, incident_id, now)

    async def get_reputation(self, user_id: int) -> Reputation | None:
        rows = await self._fetch(
            "reading a reputation",
            "SELECT user_id, score, chat_id, incident_id, updated_at FROM reputation"
            " WHERE user_id = ?", (user_id,))
        if not rows:
            return None
        r = rows[0]
        return Reputation(r[0], float(r[1]), r[2], r[3], from_db_time(r[4]))

    async def claim_reputation_flag(self, user_id: int, chat_id: int) -> bool:
        """Record that `chat_id` flags the user's current reputation; False when it did so
        already since the last removal (or there is none), so a sender is flagged once per
        chat and removal whichever worker sees the message."""
        async with self._write("recording a reputation flag") as db:
            rows = list(await db.execute_fetchall(
                "SELECT updated_at FROM reputation WHERE user_id = ?", (user_id,)))
            if not rows:
                return False
            cursor = await db.execute(
                "INSERT INTO reputation_flags (user_id, chat_id, flagged_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id, chat_id) DO UPDATE SET flagged_at = excluded.flagged_at"
                " WHERE reputation_flags.flagged_at < ?",
                (user_id, chat_id, self._now(), rows[0][0]),
            )
            return bool(cursor.rowcount)

    async def clear_reputation(self, user_id: int, actor_id: int | None,
                               chat_id: int | None) -> bool:
        """Forget the user's reputation (an admin said "not a scam"), audited."""
        async with self._write("clearing a reputation") as db:
            cursor = await db.execute("DELETE FROM reputation WHERE user_id = ?", (user_id,))
            if cursor.rowcount == 0:
                return False
            await db.execute("DELETE FROM reputation_flags WHERE user_id = ?", (user_id,))
            await db.execute(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (actor_id, chat_id, "reputation.clear", dumps({"user": user_id}),
                 self._now()),
            )
        return True

    # -- pending /logchat links -------------------------------------------------------------

    async def add_log_chat_code(self, code: str, chat_id: int, title: str, admin_id: int,
                                expires_at: datetime) -> None:
        """Keep a /logchat link until `expires_at` (and drop the expired ones)."""
        check_log_code(code)
        async with self._write("storing a log chat link") as db:
            await db.execute("DELETE FROM log_chat_codes WHERE expires_at < ?", (self._now(),))
            await db.execute(
                "INSERT OR REPLACE INTO log_chat_codes (code, chat_id, title, admin_id,"
                " expires_at) VALUES (?, ?, ?, ?, ?)",
                (code, chat_id, title[:256], admin_id, to_db_time(expires_at)),
            )

    async def get_log_chat_code(self, code: str) -> LogChatCode | None:
        """The pending /logchat link of `code`, None when unknown or expired."""
        rows = await self._fetch(
            "reading a log chat link",
            "SELECT code, chat_id, title, admin_id, expires_at FROM log_chat_codes"
            " WHERE code = ? AND expires_at >= ?", (code, self._now()))
        if not rows:
            return None
        r = rows[0]
        return LogChatCode(r[0], r[1], r[2], r[3], from_db_time(r[4]))

    async def drop_log_chat_code(self, code: str) -> bool:
        """Forget a /logchat link (it was used); False when it was not there."""
        async with self._write("dropping a log chat link") as db:
            cursor = await db.execute("DELETE FROM log_chat_codes WHERE code = ?", (code,))
            return bool(cursor.rowcount)

    async def labelled_lines(self) -> list[dict[str, Any]]:
        """What deployment taught: incidents admins marked (Not a scam -> ham, confirmed or
        missed -> scam, with the incident's first category) and every /scam sample, as
        labelled lines for `scamguard model train --with-feedback`. The text is the stored
        one: the redacted excerpt unless the chat keeps full evidence."""
        marked = await self._fetch("reading feedback labels", LABELLED_SQL)
        samples = await self._fetch("reading samples", LABELLED_SAMPLES_SQL)
        return labelled_rows(marked, samples)

    # -- audit ---------------------------------------------------------------------------

    async def audit(
        self, actor_id: int | None, chat_id: int | None, action: str, detail: dict[str, Any]
    ) -> int:
        """Append to the audit log: who (None = the bot) did what, in which chat."""
        if not action:
            raise StorageValueError("an audit entry needs an action")
        async with self._write("writing the audit log") as db:
            cursor = await db.execute(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (actor_id, chat_id, action, dumps(detail), self._now()),
            )
            entry_id = cursor.lastrowid
        assert entry_id is not None
        return entry_id

    async def list_audit(
        self, chat_id: int | None = None, limit: int | None = 50
    ) -> list[AuditEntry]:
        """Audit entries, newest first."""
        sql, params = "SELECT * FROM audit", []
        if chat_id is not None:
            sql += " WHERE chat_id = ?"
            params.append(chat_id)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        rows = await self._fetch("reading the audit log", sql, params)
        return [
            AuditEntry(row["id"], row["actor_id"], row["chat_id"], row["action"],
                       json.loads(row["detail"]), from_db_time(row["created_at"]))
            for row in rows
        ]

    # -- statistics and retention --------------------------------------------------------

    async def stats(self, chat_id: int | None = None) -> Stats:
        """Counts by verdict, category, action (with success) and feedback kind."""
        join, where, params = "", "", []
        if chat_id is not None:
            join = " JOIN incidents i ON i.id = t.incident_id"
            where = " WHERE i.chat_id = ?"
            params = [chat_id]
        doing = "computing statistics"
        verdicts = await self._fetch(
            doing,
            "SELECT verdict, COUNT(*) FROM incidents"
            + (" WHERE chat_id = ?" if chat_id is not None else "")
            + " GROUP BY verdict ORDER BY verdict",
            params,
        )
        categories = await self._fetch(
            doing,
            f"SELECT t.category, COUNT(DISTINCT t.incident_id) FROM incident_hits t{join}"
            f"{where} GROUP BY t.category ORDER BY 2 DESC, 1",
            params,
        )
        actions = await self._fetch(
            doing,
            "SELECT t.action, SUM(t.ok), SUM(1 - t.ok) FROM incident_actions t"
            f"{join}{where} GROUP BY t.action ORDER BY t.action",
            params,
        )
        feedback = await self._fetch(
            doing,
            f"SELECT t.kind, COUNT(*) FROM feedback t{join}{where} GROUP BY t.kind"
            " ORDER BY t.kind",
            params,
        )
        checks = 0
        if chat_id is None:
            checks = (await self._fetch(doing, "SELECT COUNT(*) FROM private_checks"))[0][0]
        by_verdict = {row[0]: row[1] for row in verdicts}
        return Stats(
            incidents=sum(by_verdict.values()),
            by_verdict=by_verdict,
            by_category={row[0]: row[1] for row in categories},
            by_action={row[0]: ActionCount(row[1], row[2]) for row in actions},
            feedback={row[0]: row[1] for row in feedback},
            private_checks=checks,
        )

    # -- what the web console reads ------------------------------------------------------

    async def search_incidents(self, query: IncidentQuery) -> list[Incident]:
        """Incidents an `IncidentQuery` matches, newest first."""
        params: list[Any] = []

        def mark(value: Any) -> str:
            params.append(value)
            return "?"

        sql = incident_query_sql(query, mark, to_db_time)
        return await self._incidents(await self._fetch("searching incidents", sql, params))

    async def activity(self, since: datetime, chat_id: int | None = None
                       ) -> list[ActivityRow]:
        """Counts per UTC day and chat from `since` on (see `ActivityRow`)."""
        params: list[Any] = []

        def mark(value: Any) -> str:
            params.append(value)
            return "?"

        sql = activity_sql(lambda t: f"substr({t}.created_at, 1, 10)", to_db_time(since),
                           chat_id, mark)
        rows = await self._fetch("counting activity", sql, params)
        return [ActivityRow(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]

    async def known_chats(self) -> list[int]:
        """Every chat with settings, incidents or samples."""
        return [int(r[0]) for r in await self._fetch("listing chats", KNOWN_CHATS_SQL)]

    async def list_chat_settings(self) -> list[ChatSettings]:
        """The stored settings of every chat (chats never configured have none)."""
        rows = await self._fetch("listing chat settings",
                                 "SELECT * FROM chat_settings ORDER BY chat_id")
        return [_settings(row) for row in rows]

    async def purge(self, older_than: datetime) -> int:
        """Delete incidents (with their hits, actions and feedback) and private checks made
        before `older_than`; returns how many incidents and checks went. Their text is
        overwritten in the file (secure_delete) and the write-ahead log is emptied."""
        cutoff = to_db_time(older_than)
        async with self._write("purging old records") as db:
            gone = await db.execute("DELETE FROM incidents WHERE created_at < ?", (cutoff,))
            removed = gone.rowcount
            gone = await db.execute("DELETE FROM private_checks WHERE created_at < ?", (cutoff,))
            removed += gone.rowcount
        if removed:
            await self.checkpoint()
        return removed

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the main file and truncate it (best effort while
        other connections read)."""
        async with self._lock:
            self._check_open()
            try:
                await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise self._error(exc, "checkpointing the write-ahead log") from exc


def _sample(row: Sequence[Any]) -> Sample:
    """A `Sample` from a row of `SAMPLE_COLUMNS`."""
    return Sample(int(row[0]), int(row[1]), row[2], int(row[3]), from_db_time(row[4]), row[5])


def _settings(row: sqlite3.Row) -> ChatSettings:
    return ChatSettings(
        chat_id=row["chat_id"],
        scam_action=row["scam_action"],
        restrict_hours=row["restrict_hours"],
        suspicious_action=row["suspicious_action"],
        sensitivity=row["sensitivity"],
        language=row["language"],
        region=row["region"],
        allow_domains=tuple(json.loads(row["allow_domains"])),
        allow_handles=tuple(json.loads(row["allow_handles"])),
        trusted_users=tuple(json.loads(row["trusted_users"])),
        quiet=bool(row["quiet"]),
        keep_evidence=bool(row["keep_evidence"]),
        language_auto=bool(row["language_auto"]),
        log_chat=row["log_chat"],
        delete_after=row["delete_after"],
        cas=bool(row["cas"]),
    )
