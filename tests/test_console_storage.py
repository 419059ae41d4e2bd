"""The read-only queries the web console uses, and sample removal, on both backends (a real
SQLite file and a real PostgreSQL server) with the same expectations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.model import Hit, Severity
from bot.storage import open_storage
from bot.storage.models import IncidentQuery

SEED = Hit("key-request.seed-phrase", "key_request", Severity.CRITICAL,
           "asks for a wallet recovery phrase")
GIFT = Hit("giveaway.double", "giveaway", Severity.HIGH, "promises to double a deposit")


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "sqlite":
        storage = await open_storage(tmp_path / "console.db")
        try:
            yield storage
        finally:
            await storage.close()
        return
    from tests.pg import fresh_database

    async with fresh_database() as url:
        storage = await open_storage(url)
        try:
            yield storage
        finally:
            await storage.close()


async def _fill(store: Any) -> tuple[int, int, int]:
    a = await store.add_incident(-100, 1, 11, "scam", 0.95, (SEED,), "send me your seed")
    b = await store.add_incident(-100, 2, 12, "suspicious", 0.5, (GIFT,), "double your coins")
    c = await store.add_incident(-200, 3, 13, "scam", 0.9, (SEED, GIFT), "seed and gift")
    await store.record_action(a, "delete", True)
    await store.record_action(c, "ban", False, "not enough rights")
    await store.add_feedback(b, 5, "false_positive")
    await store.add_private_check(7, "clean", 0.0, (), None, "hello")
    return a, b, c


async def test_search_incidents_filters(store: Any):
    a, b, c = await _fill(store)

    async def ids(**filters: Any) -> list[int]:
        return [i.id for i in await store.search_incidents(IncidentQuery(**filters))]

    assert await ids() == [c, b, a]
    assert await ids(chat_id=-100) == [b, a]
    assert await ids(verdict="scam") == [c, a]
    assert await ids(category="giveaway") == [c, b]
    assert await ids(action="ban") == [c]
    assert await ids(before_id=c, limit=1) == [b]
    now = datetime.now(UTC)
    assert await ids(since=now - timedelta(hours=1), until=now + timedelta(hours=1)) \
        == [c, b, a]
    assert await ids(until=now - timedelta(days=1)) == []
    found = (await store.search_incidents(IncidentQuery(action="ban")))[0]
    assert [h.rule for h in found.hits] == [SEED.rule, GIFT.rule]
    assert [(x.action, x.ok) for x in found.actions] == [("ban", False)]


async def test_activity_counts_per_day_and_chat(store: Any):
    await _fill(store)
    today = datetime.now(UTC).date().isoformat()
    rows = await store.activity(datetime.now(UTC) - timedelta(days=1))
    got = {(r.day, r.chat_id, r.kind, r.key, r.count) for r in rows}
    assert got == {
        (today, -100, "verdict", "scam", 1), (today, -100, "verdict", "suspicious", 1),
        (today, -200, "verdict", "scam", 1),
        (today, -100, "category", "key_request", 1), (today, -100, "category", "giveaway", 1),
        (today, -200, "category", "key_request", 1), (today, -200, "category", "giveaway", 1),
        (today, -100, "action", "delete:ok", 1), (today, -200, "action", "ban:failed", 1),
        (today, -100, "feedback", "false_positive", 1),
        (today, None, "private_check", "clean", 1),
    }
    one = await store.activity(datetime.now(UTC) - timedelta(days=1), chat_id=-200)
    assert {r.chat_id for r in one} == {-200}
    assert await store.activity(datetime.now(UTC) + timedelta(days=1)) == []


async def test_chats_samples_and_their_removal(store: Any):
    """Operators list every chat's samples (the promoted ones of GLOBAL_SAMPLES with them,
    which is no group of its own) and remove any of them, audited in the chat it was in; an
    admin's removal is bounded to the own chat."""
    await _fill(store)
    await store.add_to_list(-300, 1, "allow_domains", "example.org")
    sample = await store.add_sample(-400, "claim your airdrop at wallet-gift.example", 9,
                                    "giveaway")
    other = await store.add_sample(-500, "double your deposit in one hour", 8)
    promoted = await store.promote_sample(other, 9001)
    assert promoted is not None
    assert await store.known_chats() == [-500, -400, -300, -200, -100]
    assert [c.chat_id for c in await store.list_chat_settings()] == [-300]
    rows = await store.list_sample_rows()
    assert [(r.id, r.chat_id, r.category, r.added_by) for r in rows] == [
        (sample, -400, "giveaway", 9), (other, -500, None, 8), (promoted, 0, None, 9001)]
    assert rows[0].text == "claim your airdrop at wallet-gift.example"
    # A limit keeps the newest, still oldest first.
    assert [r.id for r in await store.list_sample_rows(None, limit=2)] == [other, promoted]
    assert await store.list_sample_rows(-100) == []
    assert await store.remove_sample(-100, sample, 0) is None  # not that chat's sample
    removed = await store.remove_sample(None, sample, 0)
    assert removed is not None and (removed.id, removed.chat_id) == (sample, -400)
    assert await store.list_samples(-400) == []
    assert await store.remove_sample(None, sample, 0) is None
    gone = await store.remove_sample(None, promoted, 0)
    assert gone is not None and gone.chat_id == 0
    assert await store.list_samples(0) == []
    assert await store.list_samples(-500) == ["double your deposit in one hour"]
    audit = [a for a in await store.list_audit() if a.action == "sample.remove"]
    assert sorted((a.actor_id, a.chat_id, a.detail["sample"]) for a in audit) == [
        (0, -400, sample), (0, 0, promoted)]
