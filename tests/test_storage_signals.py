"""Repository additions for onboarding and signals: the new chat settings, samples listed,
removed and promoted with audit entries, and the decaying reputation of senders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import GLOBAL_SAMPLES, SqliteStorage, StorageValueError


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def storage(tmp_path: Path):
    clock = Clock()
    store = await SqliteStorage.open(tmp_path / "db.sqlite", clock=clock)
    store.test_clock = clock  # type: ignore[attr-defined]
    try:
        yield store
    finally:
        await store.close()


async def test_new_settings_have_defaults_and_are_validated(storage: SqliteStorage):
    settings = await storage.get_chat_settings(-1)
    assert (settings.language_auto, settings.log_chat, settings.delete_after,
            settings.cas) == (True, None, 0, False)
    changed = await storage.update_chat_settings(-1, 7, delete_after="15", log_chat=-100555,
                                                 cas="on", language_auto=False)
    assert (changed.delete_after, changed.log_chat, changed.cas,
            changed.language_auto) == (15, -100555, True, False)
    assert await storage.get_chat_settings(-1) == changed
    for bad in ({"delete_after": -1}, {"delete_after": 99999}, {"delete_after": True},
                {"log_chat": "general"}, {"cas": "maybe"}):
        with pytest.raises(StorageValueError):
            await storage.update_chat_settings(-1, 7, **bad)
    cleared = await storage.update_chat_settings(-1, 7, log_chat=None)
    assert cleared.log_chat is None


async def test_samples_are_listed_removed_and_promoted(storage: SqliteStorage):
    first = await storage.add_sample(-1, "send 1 BTC get 2 back", 7)
    second = await storage.add_sample(-1, "claim your airdrop at the link", 7)
    rows = await storage.list_sample_rows(-1)
    assert [r.id for r in rows] == [first, second] and rows[0].text == "send 1 BTC get 2 back"
    assert not await storage.remove_sample(-2, first, 7)  # not that chat's sample
    assert await storage.remove_sample(-1, first, 7)
    assert not await storage.remove_sample(-1, first, 7)
    assert [r.id for r in await storage.list_sample_rows(-1)] == [second]
    copy = await storage.promote_sample(second, 9001)
    assert copy is not None and copy != second
    assert await storage.list_samples(GLOBAL_SAMPLES) == ["claim your airdrop at the link"]
    assert await storage.promote_sample(10**9, 9001) is None
    actions = [(e.action, e.detail) for e in await storage.list_audit(-1)]
    assert ("sample.promote", {"sample": second, "global_sample": copy}) in actions
    assert ("sample.remove", {"sample": first}) in actions


async def test_reputation_adds_up_decays_and_clears(storage: SqliteStorage):
    clock = storage.test_clock  # type: ignore[attr-defined]
    await storage.flag_user(42, -1, 5)
    clock.now += timedelta(days=14)
    again = await storage.flag_user(42, -2, 6)
    assert again.score == pytest.approx(1.5)
    stored = await storage.get_reputation(42)
    assert (stored.chat_id, stored.incident_id) == (-2, 6)
    assert stored.score_at(clock.now + timedelta(days=28), 14.0) == pytest.approx(0.375)
    assert await storage.clear_reputation(42, 7, -2)
    assert await storage.get_reputation(42) is None
    assert not await storage.clear_reputation(42, 7, -2)
    assert (await storage.list_audit(-2))[0].action == "reputation.clear"
