"""The repository on PostgreSQL through asyncpg: a small connection pool, every write in one
transaction that is committed before the call returns, the schema from the same numbered
migrations as SQLite (applied under an advisory lock, so workers starting together migrate
once).

Several workers share one database. Changes that other workers cache (chat settings, samples,
admins) are announced with NOTIFY on `CHANGES_CHANNEL` inside the writing transaction, so a
listener (`listen()`) hears of them once they are committed. The outbox (`add_outbox`,
`pending_outbox`, ...) holds warnings for the one sender elected with `sender_lock()`.

Every driver or server error becomes a `StorageError` that names the server and database,
never the password."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import asyncpg

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
    hit_rows,
    incident_query_sql,
    indicators_json,
    make_hit,
    reputation_score,
    samples_sql,
    sender_flagged_sql,
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

log = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 10.0
POOL_SIZE = 10
# How long a second delivery of a message waits for the worker acting on the first.
DUPLICATE_WAIT = 5.0
CHANGES_CHANNEL = "scamguard_changes"
OUTBOX_CHANNEL = "scamguard_outbox"
# Advisory lock keys (one namespace of bigints per database).
MIGRATION_LOCK = 0x5C6D_0001
SENDER_LOCK = 0x5C6D_0002
REFIT_LOCK = 0x5C6D_0003

_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)

ChangeListener = Callable[[str, int], None]


def is_postgres_url(target: str) -> bool:
    """Whether a SCAMGUARD_DB value names a PostgreSQL server rather than a SQLite file."""
    return target.startswith(("postgresql://", "postgres://"))


def describe_target(dsn: str) -> str:
    """`postgresql://user@host:port/db` without the password, for messages and logs."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "PostgreSQL database"
    user = f"{parts.username}@" if parts.username else ""
    host = parts.hostname or "localhost"
    with contextlib.suppress(ValueError):
        if parts.port:
            host = f"{host}:{parts.port}"
    return f"PostgreSQL database {user}{host}{parts.path or '/'}"


def _describe_error(where: str, exc: BaseException, doing: str) -> str:
    refused = asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    if isinstance(exc, refused):
        return f"{where}: the server refused the login ({exc.__class__.__name__}; {doing})"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"{where} does not exist on the server (create it first; {doing})"
    if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
        return (f"{where} is read-only (a standby?) while {doing}: point SCAMGUARD_DB at "
                "the primary")
    if isinstance(exc, OSError | TimeoutError):
        return f"cannot reach {where} while {doing}: {exc or exc.__class__.__name__}"
    return f"{where}: {exc} (while {doing})"


class PostgresStorage:
    """The `Repository` on a PostgreSQL database. Create with `await PostgresStorage.open(dsn)`."""

    engine = "postgresql"

    def __init__(self, pool: asyncpg.Pool, dsn: str, clock: Clock) -> None:
        self._pool = pool
        self._dsn = dsn
        self.url = dsn
        self.where = describe_target(dsn)
        self._clock = clock
        self._closed = False
        self._listener: asyncpg.Connection | None = None
        self._listen_task: asyncio.Task[None] | None = None

    # -- opening and closing -------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        clock: Clock = utcnow,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        pool_size: int = POOL_SIZE,
    ) -> PostgresStorage:
        """Connect to the database at `dsn` and bring its schema up to date."""
        where = describe_target(dsn)
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=1, max_size=pool_size, timeout=connect_timeout, command_timeout=60.0,
            )
        except _ERRORS as exc:
            raise StorageError(_describe_error(where, exc, "connecting")) from exc
        except ValueError as exc:  # a malformed DSN
            raise StorageError(f"SCAMGUARD_DB is not a usable PostgreSQL URL: {exc}") from exc
        storage = cls(pool, dsn, clock)
        try:
            await storage._migrate()
        except BaseException:
            await storage.close()
            raise
        return storage

    async def _migrate(self) -> None:
        async with self._write("applying schema migrations") as con:
            await con.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
            current = await con.fetchval("SELECT MAX(version) FROM schema_version") or 0
            if current > LATEST_VERSION:
                raise StorageError(
                    f"{self.where} has schema version {current}, newer than this scamguard "
                    f"understands ({LATEST_VERSION}); upgrade scamguard"
                )
            for migration in MIGRATIONS:
                if migration.version <= current:
                    continue
                for statement in statements(migration.script(self.engine)):
                    await con.execute(statement)
                await con.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)",
                    migration.version, migration.name, self._now(),
                )
            # A real write at every start: a read-only server fails here, not later.
            await con.execute(
                "INSERT INTO meta (key, value) VALUES ('opened_at', $1) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                self._now().isoformat(),
            )

    async def close(self) -> None:
        """Close the pool and the listener; later calls raise StorageError. Safe twice."""
        if self._closed:
            return
        self._closed = True
        if self._listen_task is not None:
            self._listen_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, *_ERRORS):
                await self._listen_task
        if self._listener is not None:
            with contextlib.suppress(*_ERRORS):
                await self._listener.close(timeout=2.0)
        try:
            await asyncio.wait_for(self._pool.close(), 5.0)
        except (*_ERRORS,):  # connections still busy after the wait
            self._pool.terminate()

    async def __aenter__(self) -> PostgresStorage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def schema_version(self) -> int:
        """The highest migration applied to this database."""
        rows = await self._fetch("reading the schema version",
                                 "SELECT MAX(version) FROM schema_version")
        return int(rows[0][0] or 0)

    async def probe(self) -> str | None:
        """None when the database takes writes, else why not (without the address: /healthz
        is open to anyone)."""
        if self._closed:
            return "the database is closed"
        try:
            async with self._connection("probing") as con, con.transaction():
                if await con.fetchval("SHOW transaction_read_only") == "on":
                    return "the database is read-only"
                await con.execute("SELECT pg_current_xact_id()")
        except StorageError:
            return "the database server cannot be reached or refused the probe"
        return None

    # -- plumbing ------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock()

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"{self.where} is closed")

    @contextlib.asynccontextmanager
    async def _connection(self, doing: str) -> AsyncIterator[asyncpg.Connection]:
        self._check_open()
        try:
            async with self._pool.acquire() as con:
                yield con
        except StorageError:
            raise
        except StorageValueError:
            raise
        except _ERRORS as exc:
            raise StorageError(_describe_error(self.where, exc, doing)) from exc

    @contextlib.asynccontextmanager
    async def _write(self, doing: str) -> AsyncIterator[asyncpg.Connection]:
        """One transaction, committed when the block ends without error."""
        async with self._connection(doing) as con, con.transaction():
            yield con

    async def _fetch(self, doing: str, sql: str, *params: Any) -> list[asyncpg.Record]:
        async with self._connection(doing) as con:
            return list(await con.fetch(sql, *params))

    async def notify(self, kind: str, chat_id: int) -> None:
        """Tell every listening worker that `kind` (settings, samples, admins) of a chat
        changed."""
        async with self._connection("announcing a change") as con:
            await con.execute("SELECT pg_notify($1, $2)", CHANGES_CHANNEL, f"{kind}:{chat_id}")

    def announce(self, kind: str) -> Callable[[int], asyncio.Future[None]]:
        """A plain callback that announces `kind` changes of a chat in the background (for
        caches invalidated from synchronous code), returning its task; a failure is logged.
        For "admins" the stored admin list is dropped in the same transaction."""
        tasks: set[asyncio.Task[None]] = set()

        def send(chat_id: int) -> asyncio.Future[None]:
            async def run() -> None:
                try:
                    if kind == "admins":
                        await self.forget_admins(chat_id)
                    else:
                        await self.notify(kind, chat_id)
                except StorageError as exc:
                    log.warning("could not announce a %s change of chat %s: %s",
                                kind, chat_id, exc)

            task = asyncio.get_running_loop().create_task(run())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            return task

        return send

    async def listen(
        self, callback: ChangeListener, *, on_outbox: Callable[[], None] | None = None
    ) -> None:
        """Call `callback(kind, chat_id)` for every change another connection announces (and
        `on_outbox()` when a warning is queued), from a dedicated connection that is opened
        again when it drops. Returns once listening."""
        ready = asyncio.Event()

        def on_change(_con: object, _pid: int, channel: str, payload: str) -> None:
            if channel == OUTBOX_CHANNEL:
                if on_outbox is not None:
                    on_outbox()
                return
            kind, _, chat = payload.partition(":")
            try:
                callback(kind, int(chat))
            except ValueError:
                log.warning("ignored a malformed change notice %r", payload)

        async def keep_listening() -> None:
            while not self._closed:
                try:
                    con = await asyncpg.connect(self._dsn, timeout=DEFAULT_CONNECT_TIMEOUT)
                except _ERRORS as exc:
                    log.warning("cannot listen for changes on %s: %s", self.where, exc)
                    ready.set()
                    await asyncio.sleep(1.0)
                    continue
                self._listener = con
                lost = asyncio.Event()
                con.add_termination_listener(lambda _c, lost=lost: lost.set())
                try:
                    await con.add_listener(CHANGES_CHANNEL, on_change)
                    await con.add_listener(OUTBOX_CHANNEL, on_change)
                    # Whatever changed while not listening is unknown: forget it all.
                    callback("all", 0)
                    ready.set()
                    await lost.wait()
                except _ERRORS as exc:
                    log.warning("listening for changes on %s failed: %s", self.where, exc)
                finally:
                    with contextlib.suppress(*_ERRORS):
                        await con.close(timeout=2.0)
                await asyncio.sleep(0.2)

        self._listen_task = asyncio.create_task(keep_listening())
        await ready.wait()

    # -- chat settings -------------------------------------------------------------------

    async def get_chat_settings(self, chat_id: int) -> ChatSettings:
        """The chat's settings, or the defaults when it never changed any."""
        rows = await self._fetch(
            "reading chat settings", "SELECT * FROM chat_settings WHERE chat_id = $1", chat_id
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
        """Append `items` to the list setting `name` inside one transaction."""
        check_list_name(name)
        return await self._change_settings(
            chat_id, actor_id, lambda current: {name: (*getattr(current, name), *items)}
        )

    async def remove_from_list(
        self, chat_id: int, actor_id: int | None, name: str, *items: Any
    ) -> ChatSettings:
        """Remove `items` from the list setting `name` inside one transaction."""
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
        """Read the chat's settings under a row lock, derive the changes, store the result
        and announce it, in one transaction."""
        async with self._write("updating chat settings") as con:
            # A chat's row lock serialises its writers; the first writer creates the row.
            await con.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                              f"chat_settings:{chat_id}")
            row = await con.fetchrow(
                "SELECT * FROM chat_settings WHERE chat_id = $1 FOR UPDATE", chat_id
            )
            current = _settings(row) if row is not None else ChatSettings(chat_id=chat_id)
            changes = changes_of(current)
            new = validate_changes(current, changes)
            old_d, new_d = current.to_dict(), new.to_dict()
            changed = [k for k in changes if old_d[k] != new_d[k]]
            if not changed:
                return new
            now = self._now()
            await con.execute(
                "INSERT INTO chat_settings (chat_id, scam_action, restrict_hours,"
                " suspicious_action, sensitivity, language, region, allow_domains,"
                " allow_handles, trusted_users, quiet, keep_evidence, language_auto,"
                " log_chat, delete_after, cas, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
                " $16, $17)"
                " ON CONFLICT (chat_id) DO UPDATE SET scam_action = excluded.scam_action,"
                " restrict_hours = excluded.restrict_hours,"
                " suspicious_action = excluded.suspicious_action,"
                " sensitivity = excluded.sensitivity, language = excluded.language,"
                " region = excluded.region, allow_domains = excluded.allow_domains,"
                " allow_handles = excluded.allow_handles,"
                " trusted_users = excluded.trusted_users, quiet = excluded.quiet,"
                " keep_evidence = excluded.keep_evidence,"
                " language_auto = excluded.language_auto, log_chat = excluded.log_chat,"
                " delete_after = excluded.delete_after, cas = excluded.cas,"
                " updated_at = excluded.updated_at",
                chat_id, new.scam_action, new.restrict_hours, new.suspicious_action,
                new.sensitivity, new.language, new.region, dumps(list(new.allow_domains)),
                dumps(list(new.allow_handles)), dumps(list(new.trusted_users)),
                new.quiet, new.keep_evidence, new.language_auto, new.log_chat,
                new.delete_after, new.cas, now,
            )
            await con.executemany(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES ($1, $2, $3, $4, $5)",
                [
                    (actor_id, chat_id, f"settings.{k}",
                     dumps({"old": old_d[k], "new": new_d[k]}), now)
                    for k in changed
                ],
            )
            await con.execute("SELECT pg_notify($1, $2)", CHANGES_CHANNEL, f"settings:{chat_id}")
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
        """Store an incident and return its id once committed (see the SQLite twin)."""
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
        """`(id, None)` when this call stored the incident, `(id, existing)` when the same
        (chat, message, edit date) was stored before, by this worker or another; a fresh
        one without actions is awaited for a moment (see `_settled_incident`)."""
        verdict = check_verdict(verdict)
        value = check_score(score)
        short, digest = excerpt(text), text_hash(text)
        hit_list = hit_rows(hits, keep_full)
        indicators_text = indicators_json(indicators, keep_full)
        existing_id: int | None = None
        async with self._write("storing an incident") as con:
            incident_id = await con.fetchval(
                "INSERT INTO incidents (chat_id, message_id, sender_id, verdict, score,"
                " excerpt, text_hash, full_text, indicators, created_at, edit_date)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                " ON CONFLICT (chat_id, message_id, edit_date) DO NOTHING RETURNING id",
                chat_id, message_id, sender_id, verdict, value, short, digest,
                text if keep_full else None, indicators_text, self._now(), edit_date,
            )
            if incident_id is None:
                existing_id = await con.fetchval(
                    "SELECT id FROM incidents WHERE chat_id = $1 AND message_id = $2"
                    " AND edit_date = $3", chat_id, message_id, edit_date,
                )
            else:
                await con.executemany(
                    "INSERT INTO incident_hits (incident_id, position, rule, category,"
                    " severity, reason) VALUES ($1, $2, $3, $4, $5, $6)",
                    [(incident_id, i, *row) for i, row in enumerate(hit_list)],
                )
        if existing_id is None:
            return int(incident_id), None
        existing = await self._settled_incident(existing_id)
        if existing is None:
            raise StorageError(f"{self.where}: incident {existing_id} vanished")
        return existing_id, existing

    async def _settled_incident(self, incident_id: int) -> Incident | None:
        """The stored incident of a second delivery. While it is fresh (younger than
        `DUPLICATE_WAIT`) and has no recorded action yet, another worker is probably acting
        on it right now: wait for that worker's first result (so that this one does not act
        again), at most until the incident is `DUPLICATE_WAIT` old; a worker that died before
        acting leaves it without actions, and the caller acts."""
        existing = await self.get_incident(incident_id)
        if existing is None:
            return None
        age = max(0.0, (self._now() - existing.created_at).total_seconds())
        deadline = asyncio.get_running_loop().time() + DUPLICATE_WAIT - age
        while (existing is not None and not existing.actions
               and asyncio.get_running_loop().time() < deadline):
            await asyncio.sleep(0.05)
            existing = await self.get_incident(incident_id)
        return existing

    async def record_action(
        self, incident_id: int, action: str, ok: bool, error: str | None = None
    ) -> None:
        """Note what was done about an incident and whether it worked (and audit it)."""
        if not action or not isinstance(action, str):
            raise StorageValueError("action must be a non-empty string")
        async with self._write("recording an action") as con:
            chat_id = await con.fetchval(
                "SELECT chat_id FROM incidents WHERE id = $1", incident_id
            )
            if chat_id is None:
                raise StorageValueError(f"no incident {incident_id}")
            now = self._now()
            await con.execute(
                "INSERT INTO incident_actions (incident_id, action, ok, error, created_at)"
                " VALUES ($1, $2, $3, $4, $5)",
                incident_id, action, bool(ok), error, now,
            )
            detail: dict[str, Any] = {"incident": incident_id, "ok": bool(ok)}
            if error:
                detail["error"] = error
            await con.execute(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES (NULL, $1, $2, $3, $4)",
                chat_id, f"action.{action}", dumps(detail), now,
            )

    async def find_incident(
        self, chat_id: int, message_id: int, edit_date: int = 0
    ) -> Incident | None:
        """The incident of one message (as edited at `edit_date`, 0 for the original)."""
        rows = await self._fetch(
            "reading an incident",
            "SELECT * FROM incidents WHERE chat_id = $1 AND message_id = $2 AND edit_date = $3"
            " ORDER BY id LIMIT 1", chat_id, message_id, edit_date,
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
            return f"${len(params)}"

        sql = sender_flagged_sql(chat_id, sender_id, _aware(since), mark)
        return bool(await self._fetch("reading a sender's incidents", sql, *params))

    async def get_incident(self, incident_id: int) -> Incident | None:
        rows = await self._fetch(
            "reading an incident", "SELECT * FROM incidents WHERE id = $1", incident_id
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
            params.append(chat_id)
            where.append(f"chat_id = ${len(params)}")
        if before_id is not None:
            params.append(before_id)
            where.append(f"id < ${len(params)}")
        if since is not None:
            params.append(_aware(since))
            where.append(f"created_at >= ${len(params)}")
        sql = "SELECT * FROM incidents"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            params.append(max(0, int(limit)))
            sql += f" LIMIT ${len(params)}"
        rows = await self._fetch("listing incidents", sql, *params)
        return await self._incidents(rows)

    async def _incidents(self, rows: list[asyncpg.Record]) -> list[Incident]:
        ids = [row["id"] for row in rows]
        hits: dict[int, list[Hit]] = {i: [] for i in ids}
        actions: dict[int, list[ActionRecord]] = {i: [] for i in ids}
        if ids:
            for h in await self._fetch(
                "reading incident hits",
                "SELECT incident_id, rule, category, severity, reason FROM incident_hits"
                " WHERE incident_id = ANY($1::bigint[]) ORDER BY incident_id, position", ids,
            ):
                hits[h[0]].append(make_hit(h[1], h[2], h[3], h[4]))
            for a in await self._fetch(
                "reading incident actions",
                "SELECT incident_id, action, ok, error, created_at FROM incident_actions"
                " WHERE incident_id = ANY($1::bigint[]) ORDER BY id", ids,
            ):
                actions[a[0]].append(ActionRecord(a[1], bool(a[2]), a[3], a[4]))
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
                created_at=row["created_at"],
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
        async with self._write("storing a private check") as con:
            check_id = await con.fetchval(
                "INSERT INTO private_checks (user_id, verdict, score, hits, excerpt,"
                " text_hash, full_text, indicators, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                user_id, verdict, value, hits_json, short, digest,
                text if keep_full else None, indicators_text, self._now(),
            )
        return int(check_id)

    async def last_private_check(self, user_id: int) -> PrivateCheck | None:
        """The user's most recent check, or None."""
        rows = await self._fetch(
            "reading a private check",
            "SELECT * FROM private_checks WHERE user_id = $1 ORDER BY id DESC LIMIT 1", user_id,
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
            created_at=row["created_at"],
        )

    async def get_user_prefs(self, user_id: int) -> UserPrefs:
        rows = await self._fetch(
            "reading user preferences",
            "SELECT language, region, keep_evidence FROM user_prefs WHERE user_id = $1", user_id,
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
        async with self._write("storing user preferences") as con:
            await con.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                              f"user_prefs:{user_id}")
            row = await con.fetchrow(
                "SELECT language, region, keep_evidence FROM user_prefs WHERE user_id = $1",
                user_id,
            )
            old = (UserPrefs(user_id, row[0], row[1], bool(row[2]))
                   if row is not None else UserPrefs(user_id))
            new = UserPrefs(
                user_id,
                clean.get("language", old.language),
                clean.get("region", old.region),
                clean.get("keep_evidence", old.keep_evidence),
            )
            await con.execute(
                "INSERT INTO user_prefs (user_id, language, region, keep_evidence, updated_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET"
                " language = excluded.language, region = excluded.region,"
                " keep_evidence = excluded.keep_evidence, updated_at = excluded.updated_at",
                user_id, new.language, new.region, new.keep_evidence, self._now(),
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
        async with self._write("storing feedback") as con:
            found = await con.fetchval("SELECT 1 FROM incidents WHERE id = $1", incident_id)
            if found is None:
                raise StorageValueError(f"no incident {incident_id}")
            feedback_id = await con.fetchval(
                "INSERT INTO feedback (incident_id, user_id, kind, note, created_at)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                incident_id, user_id, kind, note and redact(note)[:1000], self._now(),
            )
        return int(feedback_id)

    async def add_sample(
        self, chat_id: int, text: str, added_by: int, category: str | None = None
    ) -> int:
        """Keep a known-scam message an admin chose for this chat; the same text again
        returns the same id. Every worker hears of the new sample."""
        if not text.strip():
            raise StorageValueError("a sample needs some text")
        digest = text_hash(text)
        async with self._write("storing a sample") as con:
            now = self._now()
            sample_id = await con.fetchval(
                "INSERT INTO samples (chat_id, text, text_hash, category, added_by, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)"
                " ON CONFLICT (chat_id, text_hash) DO NOTHING RETURNING id",
                chat_id, text, digest, category, added_by, now,
            )
            if sample_id is None:
                existing = await con.fetchval(
                    "SELECT id FROM samples WHERE chat_id = $1 AND text_hash = $2",
                    chat_id, digest,
                )
                return int(existing)
            await con.execute(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES ($1, $2, 'sample.add', $3, $4)",
                added_by, chat_id, dumps({"sample": sample_id, "category": category}), now,
            )
            await con.execute("SELECT pg_notify($1, $2)", CHANGES_CHANNEL, f"samples:{chat_id}")
        return int(sample_id)

    async def list_samples(self, chat_id: int) -> list[str]:
        rows = await self._fetch(
            "reading samples", "SELECT text FROM samples WHERE chat_id = $1 ORDER BY id", chat_id
        )
        return [row[0] for row in rows]

    async def list_sample_rows(self, chat_id: int | None = None, limit: int | None = None
                               ) -> list[Sample]:
        """One chat's samples with their ids (None: every chat's, the promoted ones of
        GLOBAL_SAMPLES included), oldest first; with `limit`, the newest `limit` only."""
        params: list[Any] = []

        def mark(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        rows = await self._fetch("reading samples", samples_sql(chat_id, limit, mark), *params)
        return [_sample(r) for r in rows]

    async def get_sample(self, sample_id: int) -> Sample | None:
        rows = await self._fetch(
            "reading a sample", f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE id = $1",
            sample_id,
        )
        return _sample(rows[0]) if rows else None

    async def remove_sample(self, chat_id: int | None, sample_id: int,
                            actor_id: int | None) -> Sample | None:
        """Forget a sample (audited as `sample.remove` in the chat it belonged to, announced
        to every worker); the sample removed, None when there is none of that id in
        `chat_id` (None: in any chat, for operators)."""
        async with self._write("removing a sample") as con:
            row = await con.fetchrow(
                "DELETE FROM samples WHERE id = $1 AND ($2::bigint IS NULL OR chat_id = $2)"
                f" RETURNING {SAMPLE_COLUMNS}", sample_id, chat_id,
            )
            if row is None:
                return None
            sample = _sample(row)
            await con.execute(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES ($1, $2, 'sample.remove', $3, $4)",
                actor_id, sample.chat_id, dumps({"sample": sample_id}), self._now(),
            )
            await con.execute("SELECT pg_notify($1, $2)", CHANGES_CHANNEL,
                              f"samples:{sample.chat_id}")
        return sample

    async def promote_sample(self, sample_id: int, actor_id: int) -> int | None:
        """Copy a chat's sample to every group (chat GLOBAL_SAMPLES), audited; the id of the
        copy, or None when there is no such sample. Every worker hears of it (samples of
        GLOBAL_SAMPLES changed: every chat's index is rebuilt)."""
        found = await self.get_sample(sample_id)
        if found is None:
            return None
        copy = await self.add_sample(GLOBAL_SAMPLES, found.text, actor_id)
        await self.audit(actor_id, found.chat_id, "sample.promote",
                         {"sample": sample_id, "global_sample": copy})
        return copy

    # -- reputation across groups --------------------------------------------------------

    async def flag_user(self, user_id: int, chat_id: int, incident_id: int | None,
                        weight: float = 1.0, half_life_days: float = 14.0) -> Reputation:
        """Add `weight` to the user's reputation (the old score decayed to now first); two
        workers flagging one sender at once both count."""
        async with self._write("flagging a sender") as con:
            await con.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                              f"reputation:{user_id}")
            row = await con.fetchrow(
                "SELECT score, updated_at FROM reputation WHERE user_id = $1", user_id)
            now = self._now()
            previous = (Reputation(user_id, float(row[0]), chat_id, None, row[1])
                        if row is not None else None)
            score = reputation_score(previous, now, weight, half_life_days)
            await con.execute(
                "INSERT INTO reputation (user_id, score, chat_id, incident_id, updated_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET"
                " score = excluded.score, chat_id = excluded.chat_id,"
                " incident_id = excluded.incident_id, updated_at = excluded.updated_at",
                user_id, score, chat_id, incident_id, now,
            )
        return Reputation(user_id, score, chat_id, incident_id, _aware(now))

    async def get_reputation(self, user_id: int) -> Reputation | None:
        rows = await self._fetch(
            "reading a reputation",
            "SELECT user_id, score, chat_id, incident_id, updated_at FROM reputation"
            " WHERE user_id = $1", user_id)
        if not rows:
            return None
        r = rows[0]
        return Reputation(r[0], float(r[1]), r[2], r[3], r[4])

    async def claim_reputation_flag(self, user_id: int, chat_id: int) -> bool:
        """Record that `chat_id` flags the user's current reputation; False when it did so
        already since the last removal (or there is none): one flag per chat and removal,
        whichever worker sees the message."""
        async with self._write("recording a reputation flag") as con:
            updated = await con.fetchval(
                "SELECT updated_at FROM reputation WHERE user_id = $1", user_id)
            if updated is None:
                return False
            done = await con.fetchval(
                "INSERT INTO reputation_flags (user_id, chat_id, flagged_at)"
                " VALUES ($1, $2, $3) ON CONFLICT (user_id, chat_id) DO UPDATE"
                " SET flagged_at = excluded.flagged_at"
                " WHERE reputation_flags.flagged_at < $4 RETURNING 1",
                user_id, chat_id, self._now(), updated,
            )
        return done is not None

    async def clear_reputation(self, user_id: int, actor_id: int | None,
                               chat_id: int | None) -> bool:
        """Forget the user's reputation (an admin said "not a scam"), audited."""
        async with self._write("clearing a reputation") as con:
            gone = await con.fetchval(
                "DELETE FROM reputation WHERE user_id = $1 RETURNING user_id", user_id)
            if gone is None:
                return False
            await con.execute("DELETE FROM reputation_flags WHERE user_id = $1", user_id)
            await con.execute(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES ($1, $2, 'reputation.clear', $3, $4)",
                actor_id, chat_id, dumps({"user": user_id}), self._now(),
            )
        return True

    # -- pending /logchat links ----------------------------------------------------------

    async def add_log_chat_code(self, code: str, chat_id: int, title: str, admin_id: int,
                                expires_at: datetime) -> None:
        """Keep a /logchat link until `expires_at` (and drop the expired ones), for every
        worker: the link may be confirmed through another one."""
        check_log_code(code)
        async with self._write("storing a log chat link") as con:
            await con.execute("DELETE FROM log_chat_codes WHERE expires_at < $1", self._now())
            await con.execute(
                "INSERT INTO log_chat_codes (code, chat_id, title, admin_id, expires_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET"
                " chat_id = excluded.chat_id, title = excluded.title,"
                " admin_id = excluded.admin_id, expires_at = excluded.expires_at",
                code, chat_id, title[:256], admin_id, _aware(expires_at),
            )

    async def get_log_chat_code(self, code: str) -> LogChatCode | None:
        """The pending /logchat link of `code`, None when unknown or expired."""
        rows = await self._fetch(
            "reading a log chat link",
            "SELECT code, chat_id, title, admin_id, expires_at FROM log_chat_codes"
            " WHERE code = $1 AND expires_at >= $2", code, self._now())
        if not rows:
            return None
        r = rows[0]
        return LogChatCode(r[0], r[1], r[2], r[3], r[4])

    async def drop_log_chat_code(self, code: str) -> bool:
        """Forget a /logchat link (it was used); False when it was not there."""
        async with self._write("dropping a log chat link") as con:
            gone = await con.fetchval(
                "DELETE FROM log_chat_codes WHERE code = $1 RETURNING code", code)
        return gone is not None

    async def labelled_lines(self) -> list[dict[str, Any]]:
        """What deployment taught, as labelled lines (see models.labelled_rows)."""
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
        async with self._write("writing the audit log") as con:
            entry_id = await con.fetchval(
                "INSERT INTO audit (actor_id, chat_id, action, detail, created_at)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                actor_id, chat_id, action, dumps(detail), self._now(),
            )
        return int(entry_id)

    async def list_audit(
        self, chat_id: int | None = None, limit: int | None = 50
    ) -> list[AuditEntry]:
        """Audit entries, newest first."""
        sql, params = "SELECT * FROM audit", []
        if chat_id is not None:
            params.append(chat_id)
            sql += " WHERE chat_id = $1"
        sql += " ORDER BY id DESC"
        if limit is not None:
            params.append(max(0, int(limit)))
            sql += f" LIMIT ${len(params)}"
        rows = await self._fetch("reading the audit log", sql, *params)
        return [
            AuditEntry(row["id"], row["actor_id"], row["chat_id"], row["action"],
                       json.loads(row["detail"]), row["created_at"])
            for row in rows
        ]

    # -- statistics and retention --------------------------------------------------------

    async def stats(self, chat_id: int | None = None) -> Stats:
        """Counts by verdict, category, action (with success) and feedback kind."""
        join, where, params = "", "", []
        if chat_id is not None:
            join = " JOIN incidents i ON i.id = t.incident_id"
            where = " WHERE i.chat_id = $1"
            params = [chat_id]
        doing = "computing statistics"
        verdicts = await self._fetch(
            doing,
            "SELECT verdict, COUNT(*) FROM incidents"
            + (" WHERE chat_id = $1" if chat_id is not None else "")
            + " GROUP BY verdict ORDER BY verdict",
            *params,
        )
        categories = await self._fetch(
            doing,
            f"SELECT t.category, COUNT(DISTINCT t.incident_id) FROM incident_hits t{join}"
            f"{where} GROUP BY t.category ORDER BY 2 DESC, 1",
            *params,
        )
        actions = await self._fetch(
            doing,
            "SELECT t.action, COUNT(*) FILTER (WHERE t.ok), COUNT(*) FILTER (WHERE NOT t.ok)"
            f" FROM incident_actions t{join}{where} GROUP BY t.action ORDER BY t.action",
            *params,
        )
        feedback = await self._fetch(
            doing,
            f"SELECT t.kind, COUNT(*) FROM feedback t{join}{where} GROUP BY t.kind"
            " ORDER BY t.kind",
            *params,
        )
        checks = 0
        if chat_id is None:
            checks = (await self._fetch(doing, "SELECT COUNT(*) FROM private_checks"))[0][0]
        by_verdict = {row[0]: int(row[1]) for row in verdicts}
        return Stats(
            incidents=sum(by_verdict.values()),
            by_verdict=by_verdict,
            by_category={row[0]: int(row[1]) for row in categories},
            by_action={row[0]: ActionCount(int(row[1]), int(row[2])) for row in actions},
            feedback={row[0]: int(row[1]) for row in feedback},
            private_checks=int(checks),
        )

    # -- what the web console reads ------------------------------------------------------

    async def search_incidents(self, query: IncidentQuery) -> list[Incident]:
        """Incidents an `IncidentQuery` matches, newest first."""
        params: list[Any] = []

        def mark(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        sql = incident_query_sql(query, mark, _aware)
        return await self._incidents(await self._fetch("searching incidents", sql, *params))

    async def activity(self, since: datetime, chat_id: int | None = None
                       ) -> list[ActivityRow]:
        """Counts per UTC day and chat from `since` on (see `ActivityRow`)."""
        params: list[Any] = []

        def mark(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        sql = activity_sql(
            lambda t: f"to_char({t}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
            _aware(since), chat_id, mark,
        )
        rows = await self._fetch("counting activity", sql, *params)
        return [ActivityRow(r[0], None if r[1] is None else int(r[1]), r[2], r[3], int(r[4]))
                for r in rows]

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
        before `older_than`, and sent outbox rows; returns how many incidents and checks
        went."""
        cutoff = _aware(older_than)
        async with self._write("purging old records") as con:
            gone = await con.fetchval(
                "WITH d AS (DELETE FROM incidents WHERE created_at < $1 RETURNING 1)"
                " SELECT COUNT(*) FROM d", cutoff,
            )
            checks = await con.fetchval(
                "WITH d AS (DELETE FROM private_checks WHERE created_at < $1 RETURNING 1)"
                " SELECT COUNT(*) FROM d", cutoff,
            )
            await con.execute(
                "DELETE FROM outbox WHERE sent_at IS NOT NULL AND created_at < $1", cutoff
            )
        return int(gone) + int(checks)

    # -- the admins of chats, shared by workers ----------------------------------------------

    async def load_admins(self, chat_id: int) -> tuple[dict[str, Any], float] | None:
        """The chat's stored admin list (as `save_admins` got it) and its age in seconds."""
        rows = await self._fetch(
            "reading a chat's admins",
            "SELECT admins, fetched_at FROM chat_admins WHERE chat_id = $1", chat_id,
        )
        if not rows:
            return None
        age = (self._now() - rows[0][1]).total_seconds()
        return json.loads(rows[0][0]), max(0.0, age)

    async def save_admins(self, chat_id: int, admins: Mapping[str, Any]) -> None:
        """Keep a chat's admin list (a getChatAdministrators answer) for every worker."""
        async with self._write("storing a chat's admins") as con:
            await con.execute(
                "INSERT INTO chat_admins (chat_id, admins, fetched_at) VALUES ($1, $2, $3)"
                " ON CONFLICT (chat_id) DO UPDATE SET admins = excluded.admins,"
                " fetched_at = excluded.fetched_at",
                chat_id, dumps(dict(admins)), self._now(),
            )

    async def forget_admins(self, chat_id: int) -> None:
        """Drop a chat's stored admin list and tell every worker to forget its copy."""
        async with self._write("forgetting a chat's admins") as con:
            await con.execute("DELETE FROM chat_admins WHERE chat_id = $1", chat_id)
            await con.execute("SELECT pg_notify($1, $2)", CHANGES_CHANNEL, f"admins:{chat_id}")

    # -- the outbox ----------------------------------------------------------------------

    async def add_outbox(self, chat_id: int, incident_id: int | None, kind: str,
                         payload: Mapping[str, Any]) -> int | None:
        """Queue a message for the sender and wake it; None when the incident already has
        one of this kind queued (a second delivery of the same update)."""
        async with self._write("queueing a warning") as con:
            row_id = await con.fetchval(
                "INSERT INTO outbox (chat_id, incident_id, kind, payload, created_at)"
                " VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (incident_id, kind) DO NOTHING RETURNING id",
                chat_id, incident_id, kind, dumps(dict(payload)), self._now(),
            )
            if row_id is not None:
                await con.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
        return None if row_id is None else int(row_id)

    async def pending_outbox(self, limit: int = 1000) -> list[OutboxRow]:
        """Unsent rows, oldest first."""
        rows = await self._fetch(
            "reading the outbox",
            "SELECT id, chat_id, incident_id, kind, payload, created_at, claimed_at"
            " FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1", limit,
        )
        return [OutboxRow(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]

    async def claim_outbox(self, ids: Sequence[int]) -> None:
        """Mark rows as being sent now (so that a sender taking over knows they may be)."""
        async with self._write("claiming outbox rows") as con:
            await con.execute(
                "UPDATE outbox SET claimed_at = $2 WHERE id = ANY($1::bigint[])",
                list(ids), self._now(),
            )

    async def finish_outbox(self, ids: Sequence[int]) -> None:
        """Mark rows as sent (Telegram answered, whether it accepted them or not)."""
        async with self._write("finishing outbox rows") as con:
            await con.execute(
                "UPDATE outbox SET sent_at = $2 WHERE id = ANY($1::bigint[])",
                list(ids), self._now(),
            )

    async def last_posts(self, chat_ids: Sequence[int]) -> dict[int, datetime]:
        """When the sender last posted in each chat (for the per-chat interval)."""
        rows = await self._fetch(
            "reading the outbox",
            "SELECT chat_id, MAX(sent_at) FROM outbox WHERE chat_id = ANY($1::bigint[])"
            " AND sent_at IS NOT NULL GROUP BY chat_id", list(chat_ids),
        )
        return {r[0]: r[1] for r in rows}

    def sender_lock(self) -> contextlib.AbstractAsyncContextManager[tuple[bool, asyncio.Event]]:
        """Try to become the one sender (see `advisory_lock`)."""
        return self.advisory_lock(SENDER_LOCK, "electing a sender")

    def refit_lock(self) -> contextlib.AbstractAsyncContextManager[tuple[bool, asyncio.Event]]:
        """Try to become the one worker that refits the learned layer (see `advisory_lock`)."""
        return self.advisory_lock(REFIT_LOCK, "electing the refitting worker")

    @contextlib.asynccontextmanager
    async def advisory_lock(self, key: int, doing: str
                            ) -> AsyncIterator[tuple[bool, asyncio.Event]]:
        """Try to take the advisory lock `key`: yields (True, lost) while this worker holds it
        on a connection of its own (released when the block ends or the process dies; `lost`
        is set when that connection drops), (False, lost) when another worker holds it."""
        self._check_open()
        try:
            con = await asyncpg.connect(self._dsn, timeout=DEFAULT_CONNECT_TIMEOUT)
        except _ERRORS as exc:
            raise StorageError(_describe_error(self.where, exc, doing)) from exc
        lost = asyncio.Event()
        con.add_termination_listener(lambda _c: lost.set())
        try:
            try:
                got = await con.fetchval("SELECT pg_try_advisory_lock($1)", key)
            except _ERRORS as exc:
                raise StorageError(_describe_error(self.where, exc, doing)) from exc
            yield bool(got), lost
        finally:
            with contextlib.suppress(*_ERRORS):
                await con.close(timeout=2.0)


class OutboxRow:
    """One queued message: `payload` is what the sender needs to post it."""

    __slots__ = ("chat_id", "claimed_at", "created_at", "id", "incident_id", "kind", "payload")

    def __init__(self, id: int, chat_id: int, incident_id: int | None, kind: str,
                 payload: dict[str, Any], created_at: datetime,
                 claimed_at: datetime | None) -> None:
        self.id = id
        self.chat_id = chat_id
        self.incident_id = incident_id
        self.kind = kind
        self.payload = payload
        self.created_at = created_at
        self.claimed_at = claimed_at


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _sample(row: asyncpg.Record) -> Sample:
    """A `Sample` from a row of `SAMPLE_COLUMNS`."""
    return Sample(int(row[0]), int(row[1]), row[2], int(row[3]), _aware(row[4]), row[5])


def _settings(row: asyncpg.Record) -> ChatSettings:
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
