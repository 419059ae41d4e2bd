"""The repository contract on both backends: schema, chat settings, incidents, checks,
feedback, samples, audit, statistics and retention, on a real SQLite file and on a real
PostgreSQL database (every test that takes `storage` runs on each)."""

from __future__ import annotations

import inspect
import itertools
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.model import Hit, Severity
from bot.errors import StorageError
from bot.storage import (
    ChatSettings,
    PostgresStorage,
    Repository,
    SqliteStorage,
    StorageValueError,
    UserPrefs,
    open_storage,
)
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS
from tests.pg import query, store_on

Store = SqliteStorage | PostgresStorage

SEED = Hit("key-request.seed-phrase", "key_request", Severity.CRITICAL,
           "asks for a wallet recovery phrase")
SUPPORT = Hit("fake-support.dm", "fake_support", Severity.HIGH,
              "poses as support and asks for a DM")
LINK = Hit("links.lookalike", "lookalike_link", Severity.HIGH, "links to a look-alike domain")
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

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


async def raw_count(store: Store, sql: str, *params: Any) -> int:
    """A COUNT(*) query run on a connection of its own (`?` marks parameters)."""
    if isinstance(store, PostgresStorage):
        for n in range(len(params)):
            sql = sql.replace("?", f"${n + 1}", 1)
        return int((await query(store.url, sql, *params))[0][0])
    raw = sqlite3.connect(store.path)
    try:
        return int(raw.execute(sql, params).fetchone()[0])
    finally:
        raw.close()


_MESSAGE_IDS = itertools.count(1)


async def _incident(store: Store, chat_id: int = -100, verdict: str = "scam",
                    hits: tuple[Hit, ...] = (SEED,), message_id: int | None = None) -> int:
    """A new incident; each call is a different message unless `message_id` is given."""
    if message_id is None:
        message_id = next(_MESSAGE_IDS)
    return await store.add_incident(chat_id, message_id, 42, verdict, 0.9, hits,
                                    "please send your recovery phrase to @helpdesk",
                                    {"handles": ["helpdesk"]})


# -- schema --------------------------------------------------------------------------------


async def test_new_database_gets_every_migration_wal_and_foreign_keys(tmp_path: Path) -> None:
    """A new file is migrated to the latest version, in WAL mode, with foreign keys declared
    (that the connection enforces them shows in the purge test's cascade)."""
    path = tmp_path / "new.db"
    store = await open_storage(path)
    try:
        assert await store.schema_version() == LATEST_VERSION
    finally:
        await store.close()
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = [r[0] for r in raw.execute("SELECT version FROM schema_version")]
        assert versions == [m.version for m in MIGRATIONS]
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute("PRAGMA foreign_keys = ON")
            raw.execute("INSERT INTO incident_actions (incident_id, action, ok, created_at)"
                        " VALUES (12345, 'ban', 1, 'x')")
    finally:
        raw.close()


async def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    """Opening an up-to-date file again keeps its data and its single version row each."""
    path = tmp_path / "again.db"
    first = await open_storage(path)
    incident_id = await _incident(first)
    await first.close()
    second = await open_storage(path)
    try:
        assert (await second.get_incident(incident_id)) is not None
    finally:
        await second.close()
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        raw.close()


async def test_newer_schema_than_known_is_refused(tmp_path: Path) -> None:
    """A file written by a newer scamguard is refused with a message, not altered."""
    path = tmp_path / "future.db"
    await (await open_storage(path)).close()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO schema_version VALUES (?, 'from the future', 'x')",
                (LATEST_VERSION + 1,))
    raw.commit()
    raw.close()
    with pytest.raises(StorageError, match=rf"{path}.*newer than this scamguard"):
        await open_storage(path)


@pytest.mark.parametrize(
    ("relative", "message"),
    [("nowhere/db.sqlite", r"directory .*nowhere does not exist"),
     ("a-folder", r"a-folder: it is a directory")],
    ids=["missing-directory", "path-is-a-directory"],
)
async def test_unusable_path_is_a_clear_error(tmp_path: Path, relative: str,
                                              message: str) -> None:
    """A path in a missing directory, or naming a directory, says so."""
    (tmp_path / "a-folder").mkdir()
    with pytest.raises(StorageError, match=message):
        await open_storage(tmp_path / relative)


@pytest.mark.parametrize("backend", [SqliteStorage, PostgresStorage], ids=["sqlite", "postgresql"])
async def test_storage_implements_every_repository_method(backend: type) -> None:
    """Each backend has each Repository method with the same parameters."""
    wanted = {
        name: inspect.signature(member)
        for name, member in vars(Repository).items()
        if inspect.iscoroutinefunction(member)
    }
    assert len(wanted) >= 18
    for name, signature in wanted.items():
        actual = inspect.signature(getattr(backend, name))
        assert list(actual.parameters) == list(signature.parameters), name


async def test_closed_storage_raises(storage: Store) -> None:
    """Using the repository after close() is a StorageError, and close() can be repeated."""
    await storage.close()
    await storage.close()
    with pytest.raises(StorageError, match="closed"):
        await storage.get_chat_settings(1)


# -- chat settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("scam_action", "delete"),
        ("restrict_hours", 24),
        ("suspicious_action", "warn"),
        ("sensitivity", "normal"),
        ("language", "en"),
        ("region", None),
        ("allow_domains", ()),
        ("allow_handles", ()),
        ("trusted_users", ()),
        ("quiet", False),
        ("keep_evidence", False),
    ],
    ids=lambda v: str(v),
)
async def test_chat_settings_defaults(storage: Store, name: str, default: Any) -> None:
    """A chat that never changed anything gets the documented default."""
    settings = await storage.get_chat_settings(-1001)
    assert settings.chat_id == -1001
    assert getattr(settings, name) == default


@pytest.mark.parametrize(
    ("name", "given", "stored"),
    [
        ("scam_action", "BAN", "ban"),
        ("restrict_hours", "48", 48),
        ("suspicious_action", "none", "none"),
        ("sensitivity", "high", "high"),
        ("language", "vi", "vi"),
        ("language", "KO", "ko"),
        ("region", "vn", "VN"),
        ("region", None, None),
        ("allow_domains", ["https://WWW.Binance.com/en/support", "*.okx.com"],
         ("www.binance.com", "okx.com")),
        ("allow_domains", "bybit.com, bybit.com", ("bybit.com",)),
        ("allow_domains", ["bücher.de"], ("xn--bcher-kva.de",)),
        ("allow_handles", ["@Group_Admin", "https://t.me/helper_bot"],
         ("group_admin", "helper_bot")),
        ("trusted_users", "17, 23", (17, 23)),
        ("quiet", "on", True),
        ("keep_evidence", True, True),
    ],
    ids=lambda v: str(v)[:30],
)
async def test_update_chat_settings_normalises_values(
    storage: Store, name: str, given: Any, stored: Any
) -> None:
    """Each setting is validated, normalised, stored and read back."""
    returned = await storage.update_chat_settings(-5, 7, **{name: given})
    assert getattr(returned, name) == stored
    assert getattr(await storage.get_chat_settings(-5), name) == stored


@pytest.mark.parametrize(
    ("name", "given", "message"),
    [
        ("scam_action", "kick", "scam_action must be one of"),
        ("restrict_hours", 0, "between 1 and"),
        ("restrict_hours", "forever", "whole number"),
        ("suspicious_action", "delete", "suspicious_action must be one of"),
        ("sensitivity", "paranoid", "sensitivity must be one of"),
        ("language", "French!", "language must be a language code"),
        ("region", "Vietnam", "two-letter"),
        ("allow_domains", ["not a domain"], "not a domain"),
        ("allow_domains", ["localhost"], "not a domain"),
        ("allow_handles", ["@x"], "not a Telegram username"),
        ("trusted_users", ["alice"], "not a Telegram user id"),
        ("quiet", "maybe", "on or off"),
        ("colour", "blue", "unknown chat setting"),
    ],
    ids=lambda v: str(v)[:30],
)
async def test_update_chat_settings_rejects_bad_values(
    storage: Store, name: str, given: Any, message: str
) -> None:
    """A bad value raises StorageValueError and changes nothing, audit included."""
    await storage.update_chat_settings(-5, 7, scam_action="restrict")
    with pytest.raises(StorageValueError, match=message):
        await storage.update_chat_settings(-5, 7, **{"language": "vi", name: given})
    assert (await storage.get_chat_settings(-5)) == ChatSettings(-5, scam_action="restrict")
    assert len(await storage.list_audit(-5)) == 1


async def test_each_settings_change_is_audited_with_its_actor(storage: Store) -> None:
    """One audit entry per changed setting, with old and new value; unchanged ones none."""
    await storage.update_chat_settings(-9, 11, scam_action="ban", quiet=True)
    await storage.update_chat_settings(-9, 12, scam_action="ban", region="SE")
    entries = await storage.list_audit(-9)
    seen = [(e.actor_id, e.action, e.detail) for e in reversed(entries)]
    assert seen == [
        (11, "settings.scam_action", {"old": "delete", "new": "ban"}),
        (11, "settings.quiet", {"old": False, "new": True}),
        (12, "settings.region", {"old": None, "new": "SE"}),
    ]
    assert await storage.list_audit(-10) == []


async def test_settings_of_chats_are_separate(storage: Store) -> None:
    """Changing one chat leaves another at its defaults."""
    await storage.update_chat_settings(-1, 1, sensitivity="low", trusted_users=[5])
    assert await storage.get_chat_settings(-2) == ChatSettings(chat_id=-2)
    assert (await storage.get_chat_settings(-1)).trusted_users == (5,)


# -- incidents -----------------------------------------------------------------------------


async def test_incident_round_trip_with_actions(storage: Store, clock: Clock) -> None:
    """An incident comes back with its hits in order, indicators, actions and time."""
    incident_id = await storage.add_incident(
        -100, 77, 42, "scam", 0.97, (SEED, SUPPORT), "send the 12 words to @helpdesk",
        {"handles": ["helpdesk"], "urls": []},
    )
    clock.now = START + timedelta(seconds=3)
    await storage.record_action(incident_id, "delete", True)
    await storage.record_action(incident_id, "ban", False, "not enough rights")
    incident = await storage.get_incident(incident_id)
    assert incident is not None
    assert (incident.chat_id, incident.message_id, incident.sender_id) == (-100, 77, 42)
    assert (incident.verdict, incident.score) == ("scam", 0.97)
    assert incident.hits == (SEED, SUPPORT)
    assert incident.categories == ("key_request", "fake_support")
    assert incident.indicators == {"handles": ["helpdesk"], "urls": []}
    assert incident.created_at == START
    assert [(a.action, a.ok, a.error) for a in incident.actions] == [
        ("delete", True, None), ("ban", False, "not enough rights")]
    assert incident.actions[0].at == START + timedelta(seconds=3)
    assert incident.full_text is None
    audit = await storage.list_audit(-100)
    assert [(e.actor_id, e.action, e.detail["ok"]) for e in audit] == [
        (None, "action.ban", False), (None, "action.delete", True)]


async def test_unknown_incident_is_none(storage: Store) -> None:
    """get_incident of an id never stored is None."""
    assert await storage.get_incident(31337) is None


@pytest.mark.parametrize(
    ("verdict", "score", "message"),
    [("spam", 0.5, "verdict must be one of"), ("scam", 1.5, "score must be between")],
    ids=["unknown-verdict", "score-out-of-range"],
)
async def test_add_incident_rejects_bad_input(
    storage: Store, verdict: str, score: float, message: str
) -> None:
    """An unknown verdict or a score outside [0, 1] is refused before anything is written."""
    with pytest.raises(StorageValueError, match=message):
        await storage.add_incident(-1, 1, 1, verdict, score, (SEED,), "text")
    assert await storage.list_incidents() == []


async def test_list_incidents_filters_and_orders(storage: Store, clock: Clock) -> None:
    """Newest first; by chat, from a time on, and limited."""
    ids = []
    for n, chat in enumerate((-1, -2, -1, -1)):
        clock.now = START + timedelta(days=n)
        ids.append(await _incident(storage, chat_id=chat, message_id=n))
    assert [i.id for i in await storage.list_incidents()] == ids[::-1]
    assert [i.id for i in await storage.list_incidents(chat_id=-1)] == [ids[3], ids[2], ids[0]]
    since = START + timedelta(days=1, hours=1)
    assert [i.id for i in await storage.list_incidents(since=since)] == [ids[3], ids[2]]
    assert [i.id for i in await storage.list_incidents(limit=2)] == [ids[3], ids[2]]
    naive_since = since.replace(tzinfo=None)
    assert [i.id for i in await storage.list_incidents(-1, naive_since)] == [ids[3], ids[2]]


async def test_record_action_for_unknown_incident_is_refused(storage: Store) -> None:
    """Recording an action for an incident that does not exist raises, and audits nothing."""
    with pytest.raises(StorageValueError, match="no incident 404"):
        await storage.record_action(404, "delete", True)
    assert await storage.list_audit() == []


# -- private checks and user preferences ---------------------------------------------------


async def test_last_private_check_is_the_newest_of_that_user(storage: Store) -> None:
    """`/evidence` reads the user's latest check, never another user's."""
    await storage.add_private_check(5, "suspicious", 0.4, (LINK,), {"domains": ["a.example"]},
                                    "first message")
    second = await storage.add_private_check(5, "scam", 0.95, (SEED, LINK),
                                             {"domains": ["b.example"]}, "second message")
    await storage.add_private_check(6, "clean", 0.0, (), None, "other user")
    check = await storage.last_private_check(5)
    assert check is not None
    assert (check.id, check.verdict, check.score) == (second, "scam", 0.95)
    assert check.hits == (SEED, LINK)
    assert check.indicators == {"domains": ["b.example"]}
    assert check.excerpt == "second message"
    assert await storage.last_private_check(7) is None


async def test_user_prefs_default_set_and_clear(storage: Store) -> None:
    """Preferences start unset, change one at a time, and None clears one."""
    assert await storage.get_user_prefs(3) == UserPrefs(3)
    await storage.set_user_prefs(3, language="TH")
    await storage.set_user_prefs(3, region="th", keep_evidence=True)
    assert await storage.get_user_prefs(3) == UserPrefs(3, "th", "TH", True)
    await storage.set_user_prefs(3, language=None)
    assert await storage.get_user_prefs(3) == UserPrefs(3, None, "TH", True)


@pytest.mark.parametrize(
    "changes",
    [{"language": "thai language"}, {"region": "Thailand"}, {"timezone": "UTC"}],
    ids=["language", "region", "unknown"],
)
async def test_user_prefs_reject_bad_values(storage: Store,
                                            changes: dict[str, Any]) -> None:
    """A bad preference raises StorageValueError and leaves the stored ones alone."""
    await storage.set_user_prefs(3, language="sv")
    with pytest.raises(StorageValueError):
        await storage.set_user_prefs(3, **changes)
    assert await storage.get_user_prefs(3) == UserPrefs(3, "sv")


# -- feedback, samples, audit --------------------------------------------------------------


async def test_feedback_is_kept_and_counted(storage: Store) -> None:
    """Feedback on an incident shows in the statistics by kind."""
    incident_id = await _incident(storage)
    await storage.add_feedback(incident_id, 8)
    await storage.add_feedback(incident_id, 9, "confirmed", "yes, it is the usual script")
    assert (await storage.stats()).feedback == {"confirmed": 1, "false_positive": 1}


@pytest.mark.parametrize(
    ("incident", "kind", "message"),
    [(None, "dislike", "feedback kind must be one of"), (999, "false_positive", "no incident")],
    ids=["bad-kind", "unknown-incident"],
)
async def test_feedback_rejects_bad_input(storage: Store, incident: int | None,
                                          kind: str, message: str) -> None:
    """Feedback needs a known kind and an existing incident."""
    incident_id = incident if incident is not None else await _incident(storage)
    with pytest.raises(StorageValueError, match=message):
        await storage.add_feedback(incident_id, 1, kind)


async def test_samples_per_chat_without_duplicates(storage: Store) -> None:
    """Samples are listed per chat in order; the same text twice is stored once, audited once."""
    first = await storage.add_sample(-1, "Claim your free USDT airdrop now", 10, "giveaway")
    await storage.add_sample(-1, "Wallet validation required, connect here", 10)
    again = await storage.add_sample(-1, "Claim your free USDT airdrop now", 11)
    await storage.add_sample(-2, "other chat sample", 12)
    assert again == first
    assert await storage.list_samples(-1) == [
        "Claim your free USDT airdrop now", "Wallet validation required, connect here"]
    assert await storage.list_samples(-3) == []
    assert [e.action for e in await storage.list_audit(-1)] == ["sample.add", "sample.add"]
    with pytest.raises(StorageValueError):
        await storage.add_sample(-1, "   ", 10)


async def test_audit_log_lists_newest_first_with_limit(storage: Store) -> None:
    """Free-form audit entries keep actor, chat, action and detail; newest first."""
    for n in range(5):
        await storage.audit(100 + n, -7, "moderation.unban", {"user": n})
    await storage.audit(1, None, "rules.reload", {"files": 12})
    entries = await storage.list_audit(-7, limit=3)
    assert [(e.actor_id, e.detail) for e in entries] == [
        (104, {"user": 4}), (103, {"user": 3}), (102, {"user": 2})]
    assert (await storage.list_audit(limit=1))[0].action == "rules.reload"


# -- statistics and retention --------------------------------------------------------------


async def test_stats_count_verdicts_categories_and_actions(storage: Store) -> None:
    """Counts by verdict, by category (once per incident), by action with success."""
    a = await _incident(storage, -1, "scam", (SEED, SUPPORT, SEED))
    b = await _incident(storage, -1, "suspicious", (LINK,))
    c = await _incident(storage, -2, "scam", (SEED,))
    await storage.record_action(a, "delete", True)
    await storage.record_action(b, "warn", True)
    await storage.record_action(c, "delete", False, "message to delete not found")
    await storage.record_action(c, "ban", True)
    await storage.add_private_check(1, "scam", 1.0, (SEED,), None, "x")
    everything = await storage.stats()
    assert everything.incidents == 3
    assert everything.by_verdict == {"scam": 2, "suspicious": 1}
    assert everything.by_category == {"key_request": 2, "fake_support": 1, "lookalike_link": 1}
    assert {k: (v.ok, v.failed) for k, v in everything.by_action.items()} == {
        "ban": (1, 0), "delete": (1, 1), "warn": (1, 0)}
    assert everything.private_checks == 1
    one = await storage.stats(-1)
    assert (one.incidents, one.by_verdict) == (2, {"scam": 1, "suspicious": 1})
    assert {k: (v.ok, v.failed) for k, v in one.by_action.items()} == {
        "delete": (1, 0), "warn": (1, 0)}


async def test_purge_removes_old_records_and_keeps_new(
    storage: Store, clock: Clock
) -> None:
    """Purge deletes old incidents with their hits, actions and feedback, and old checks."""
    old = await _incident(storage)
    await storage.record_action(old, "delete", True)
    await storage.add_feedback(old, 3)
    await storage.add_private_check(1, "scam", 0.9, (SEED,), None, "old check")
    clock.now = START + timedelta(days=100)
    new = await _incident(storage)
    await storage.add_private_check(1, "clean", 0.0, (), None, "new check")
    removed = await storage.purge(START + timedelta(days=10))
    assert removed == 2
    assert await storage.get_incident(old) is None
    assert await storage.get_incident(new) is not None
    last = await storage.last_private_check(1)
    assert last is not None and last.excerpt == "new check"
    for table in ("incident_hits", "incident_actions", "feedback"):
        orphans = await raw_count(storage, f"SELECT COUNT(*) FROM {table} WHERE incident_id = ?",
                                  old)
        assert orphans == 0, table
    assert await raw_count(storage, "SELECT COUNT(*) FROM private_checks") == 1
    assert await storage.purge(START + timedelta(days=10)) == 0


async def test_a_sender_counts_as_flagged_within_the_window_until_an_admin_clears_it(
    storage: Store, clock: Clock,
) -> None:
    """`sender_flagged_since`: a flagged message of this sender in this chat from `since` on,
    that no admin called "Not a scam"; other chats and other senders do not count."""
    since = START - timedelta(hours=1)
    assert not await storage.sender_flagged_since(-100, 42, since)
    first = await _incident(storage, chat_id=-100)
    assert await storage.sender_flagged_since(-100, 42, since)
    assert not await storage.sender_flagged_since(-100, 43, since)
    assert not await storage.sender_flagged_since(-200, 42, since)
    assert not await storage.sender_flagged_since(-100, 42, START + timedelta(minutes=1))
    await storage.add_feedback(first, 7, "false_positive")
    assert not await storage.sender_flagged_since(-100, 42, since)
    clock.now = START + timedelta(hours=2)
    await _incident(storage, chat_id=-100, verdict="suspicious")
    assert await storage.sender_flagged_since(-100, 42, START + timedelta(hours=1))
