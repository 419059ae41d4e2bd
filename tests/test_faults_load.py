"""The load-test tool itself, at a small scale: its traffic plan, its flood-window
arithmetic, and one short run through the real bot (the full run is `tools/loadtest.py`)."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from tests.fakes import FakeBotApi
from tools.loadtest import flood_violations, make_plan, run


def test_plan_spreads_updates_over_chats_with_scams_and_edits():
    """The plan has the asked number of updates, every chat, roughly the scam share, and
    some edits of earlier clean messages."""
    plan = make_plan(2000, 50, 0.1, seed=3)
    assert len(plan.updates) == 2000
    chats = {(u.get("message") or u["edited_message"])["chat"]["id"] for u in plan.updates}
    assert len(chats) == 50
    assert 120 <= len(plan.scams) <= 260
    edits = [u for u in plan.updates if "edited_message" in u]
    assert edits and all("(edited)" in u["edited_message"]["text"] for u in edits)


@pytest.mark.parametrize(
    ("times", "chat_ids", "per_second", "per_group_minute"),
    [
        ([0.0, 0.5, 0.99, 1.0, 1.5], [-1] * 5, 3, 5),
        ([0.0, 30.0, 59.9, 60.0], [-1, -1, -1, -1], 2, 3),
        ([0.0, 0.1, 0.2], [-1, -2, 5], 3, 1),
    ],
    ids=["one-second-window", "sixty-second-window", "private-chats-not-groups"],
)
async def test_flood_windows(times, chat_ids, per_second, per_group_minute):
    """Peaks are counted over sliding windows that end just before a second (a minute)."""
    api = FakeBotApi()
    for chat_id in chat_ids:
        await api.handle("sendMessage", {"chat_id": chat_id, "text": "x"})
    for call, at in zip(api.calls("sendMessage"), times, strict=True):
        object.__setattr__(call, "at", at)
    result = flood_violations(api)
    assert result["peak_per_second"] == per_second
    assert result["peak_per_group_minute"] == per_group_minute


@pytest.mark.e2e
async def test_small_load_run_passes_its_checks():
    """200 updates over 10 groups through the real bot: every check passes."""
    args = argparse.Namespace(updates=200, chats=10, scam_share=0.1, seed=2, deadline=30.0,
                              target=0.0)
    result = await asyncio.wait_for(run(args), 60)
    assert result["handled"] == 200
    assert result["checks"] == {k: True for k in result["checks"]}
    assert result["incidents_not_scams"] == 0
