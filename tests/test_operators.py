"""Operators: /reload, /globalstats and the rules-folder watcher, on a temporary copy of the
bundled rules so files can be broken and fixed."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.core.ruleset import rules_digest
from bot.rulesholder import RulesHolder
from bot.settings import Settings
from handlers.operators import WATCH_JOB, RulesWatcher
from rules import RULES_DIR
from tests.conftest import Harness
from tests.fakes.updates import message, message_update, person, private

OPERATOR = person(9001, "Olga", "olga_ops", language_code="en")
SECOND_OPERATOR = person(9002, "Per", "per_ops", language_code="sv")
STRANGER = person(9100, "Sam", "sam_x", language_code="en")


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled rules."""
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture
def settings(settings: Settings, rules_copy: Path) -> Settings:
    """The shared test settings with the rules copy, two operators and the watcher job on
    (with an interval long enough that only the test runs it)."""
    return replace(settings, rules_dir=rules_copy, rules_watch_seconds=3600.0,
                   operators=frozenset({OPERATOR["id"], SECOND_OPERATOR["id"]}))


@pytest.fixture
def rules_holder(rules_copy: Path, rules_holder: RulesHolder) -> RulesHolder:
    """A holder of the copy for this test only. It starts from the session's bundled rules
    when the copy is identical (copied with its times, so the fingerprints agree)."""
    same = rules_digest(rules_copy) == rules_holder.digest
    return RulesHolder(rules_copy, active=rules_holder.active if same else None)


def command(sender: dict[str, Any], text: str) -> dict[str, Any]:
    name = text.split()[0]
    return message_update(message(private(sender), sender, text, entities=[
        {"type": "bot_command", "offset": 0, "length": len(name)}]))


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a rules file and move its mtime forward so the change is seen."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    bump(path)


def bump(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


async def run_watch(h: Harness, times: int = 2) -> None:
    """Run the watcher job as the job queue would (a change settles over two polls)."""
    (job,) = h.app.job_queue.get_jobs_by_name(WATCH_JOB)  # type: ignore[union-attr]
    for _ in range(times):
        await job.run(h.app)


def start_text(h: Harness) -> str:
    return str(h.services.rules.texts.raw("en", "private.start"))


BROKEN_TAG = ('  scam: "⛔ <b>Scam.</b> Do not answer, pay or click."',
              '  scam: "⛔ <b>Scam. Do not answer, pay or click."')


async def test_reload_unchanged(harness: Harness) -> None:
    """/reload with nothing changed says so and keeps the same rules."""
    before = harness.services.rules.active
    await harness.feed(command(OPERATOR, "/reload"))
    (text,) = harness.api.sent_texts(OPERATOR["id"])
    assert text.startswith("Rules unchanged")
    assert harness.services.rules.detector.rules.digest == before.digest


async def test_reload_swaps_texts_with_rules(harness: Harness, rules_copy: Path) -> None:
    """A changed reply text is live after /reload, with a new digest."""
    old_digest = harness.services.rules.digest
    edit(rules_copy / "messages" / "en.yaml", "I check messages for scams.",
         "I check messages for scams and fraud.")
    await harness.feed(command(OPERATOR, "/reload"))
    assert harness.api.sent_texts(OPERATOR["id"])[0].startswith("✅ Rules reloaded")
    assert harness.services.rules.digest != old_digest
    assert harness.services.rules.detector.rules.digest == harness.services.rules.digest
    await harness.feed(command(OPERATOR, "/start"))
    assert "scams and fraud" in harness.api.sent_texts(OPERATOR["id"])[-1]


@pytest.mark.parametrize(
    ("path", "old", "new", "where"),
    [
        ("messages/en.yaml", *BROKEN_TAG, "messages/en.yaml:"),
        ("messages/vi.yaml", "action_ban: \"", "action_bann: \"", "messages/vi.yaml:"),
        ("contacts.yaml", "    confirmed: true\n", "    confirmed: false\n", "contacts.yaml:"),
    ],
    ids=["unclosed-tag", "unknown-key", "unconfirmed-contact"],
)
async def test_reload_broken_keeps_last_good(
    harness: Harness, rules_copy: Path, path: str, old: str, new: str, where: str
) -> None:
    """A broken messages or contacts file: /reload answers path:line: reason and the last
    good texts stay active."""
    before = harness.services.rules.active
    edit(rules_copy / path, old, new)
    await harness.feed(command(OPERATOR, "/reload"))
    (text,) = harness.api.sent_texts(OPERATOR["id"])
    assert "Reload failed" in text
    assert f"{rules_copy}/{where}" in text
    assert harness.services.rules.active is before


async def test_non_operator_cannot_reload(harness: Harness, rules_copy: Path) -> None:
    """/reload and /globalstats by anyone else are refused and reload nothing."""
    before = harness.services.rules.active
    edit(rules_copy / "messages" / "en.yaml", "I check messages for scams.", "Changed.")
    await harness.feed(command(STRANGER, "/reload"))
    await harness.feed(command(STRANGER, "/globalstats"))
    texts = harness.api.sent_texts(STRANGER["id"])
    assert texts == ["This command is for the operators of this bot."] * 2
    assert harness.services.rules.active is before


async def test_watcher_reloads_a_settled_change(harness: Harness, rules_copy: Path) -> None:
    """The watcher reloads a change once it is the same on two polls; no one is messaged."""
    edit(rules_copy / "messages" / "en.yaml", "I check messages for scams.", "Watched.")
    await run_watch(harness, times=1)
    assert "Watched." not in start_text(harness)
    await run_watch(harness, times=1)
    assert "Watched." in start_text(harness)
    assert harness.api.calls("sendMessage") == []


async def test_watcher_reports_each_distinct_error_once(
    harness: Harness, rules_copy: Path
) -> None:
    """A broken file is reported to each operator once; the same error again is not, a new
    error is, and a fix reloads silently."""
    en = rules_copy / "messages" / "en.yaml"
    good = start_text(harness)
    edit(en, *BROKEN_TAG)
    await run_watch(harness)
    first = harness.api.sent_texts()
    assert len(first) == 2
    assert {c.params["chat_id"] for c in harness.api.calls("sendMessage")} == {
        OPERATOR["id"], SECOND_OPERATOR["id"]}
    assert f"{en}:" in first[0] and "is not closed" in first[0]
    assert start_text(harness) == good

    bump(en)  # touched again, same error
    await run_watch(harness)
    await run_watch(harness)
    assert len(harness.api.sent_texts()) == 2

    edit(rules_copy / "contacts.yaml", "    confirmed: true\n", "    confirmed: maybe\n")
    await run_watch(harness)
    assert len(harness.api.sent_texts()) == 4
    assert "only confirmed contacts" in harness.api.sent_texts()[-1]

    edit(en, BROKEN_TAG[1], BROKEN_TAG[0])
    edit(rules_copy / "contacts.yaml", "    confirmed: maybe\n", "    confirmed: true\n")
    await run_watch(harness)
    assert len(harness.api.sent_texts()) == 4
    assert harness.services.rules.texts.raw("en", "verdict.scam").startswith("⛔ <b>Scam.</b>")


async def test_watcher_reports_broken_detector_rules(harness: Harness, rules_copy: Path) -> None:
    """A broken pattern file is reported too and the detector keeps its rules."""
    detector = harness.services.rules.detector
    pattern = sorted((rules_copy / "patterns").glob("*.yaml"))[0]
    pattern.write_text(pattern.read_text(encoding="utf-8") + "\n  - id: [unclosed\n",
                       encoding="utf-8")
    bump(pattern)
    await run_watch(harness)
    texts = harness.api.sent_texts(OPERATOR["id"])
    assert len(texts) == 1 and f"{pattern}:" in texts[0]
    assert harness.services.rules.detector is detector


async def test_unreachable_operator_does_not_stop_the_others(
    harness: Harness, rules_copy: Path
) -> None:
    """An operator who blocked the bot is skipped; the other still gets the report."""
    harness.api.block(OPERATOR["id"])
    edit(rules_copy / "messages" / "en.yaml", *BROKEN_TAG)
    await run_watch(harness)
    delivered = [c for c in harness.api.calls("sendMessage")
                 if c.params["chat_id"] == SECOND_OPERATOR["id"]]
    assert len(delivered) == 1


def test_watcher_ignores_an_unchanged_folder(rules_holder: RulesHolder) -> None:
    """Polling an untouched folder never reloads."""
    holder = rules_holder
    watcher = RulesWatcher(holder)
    active = holder.active
    assert [watcher.poll() for _ in range(3)] == [None, None, None]
    assert holder.active is active


async def test_global_stats(harness: Harness) -> None:
    """/globalstats gives counts over all groups and the active rules."""
    await harness.feed(command(OPERATOR, "/globalstats"))
    (text,) = harness.api.sent_texts(OPERATOR["id"])
    assert "Incidents: 0" in text and "Private checks: 0" in text
    assert harness.services.rules.digest in text
    assert "8 languages" in text
