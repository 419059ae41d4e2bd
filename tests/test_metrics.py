"""Metrics: what the handlers and the Bot API transport count, read back from the
Prometheus text the /metrics route serves; and the daily retention purge."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from telegram.error import RetryAfter, TimedOut
from telegram.ext import Application, ApplicationBuilder

from bot.app import build_application
from bot.core.ruleset import rules_digest
from bot.rulesholder import RulesHolder
from bot.settings import Settings
from bot.storage.sqlite import to_db_time
from bot.wiring.metrics import MeteredRequest, Metrics, update_kind
from bot.wiring.retention import PURGE_JOB, purge_once
from bot.wiring.services import Services
from rules import RULES_DIR
from tests.conftest import ALICE, CAROL, Harness, collect_errors
from tests.fakes import TOKEN, FakeBotApi, FakeRequest
from tests.fakes.updates import (
    GROUP_ID,
    edited_update,
    group,
    message,
    message_update,
    person,
    private,
)

SEED = "Please send me your 12-word recovery phrase to verify your wallet, DM @wallet_help_desk"
OPERATOR = person(9001, "Olga", "olga_ops", language_code="en")


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    """The value of one sample in the exposition text (0 when absent)."""
    text = metrics.render().decode()
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture
def settings(settings: Settings, rules_copy: Path) -> Settings:
    return replace(settings, rules_dir=rules_copy, operators=frozenset({OPERATOR["id"]}))


@pytest.fixture
def rules_holder(rules_copy: Path, rules_holder: RulesHolder) -> RulesHolder:
    same = rules_digest(rules_copy) == rules_holder.digest
    return RulesHolder(rules_copy, active=rules_holder.active if same else None)


@pytest.fixture
async def metered(settings: Settings, services: Services, fake_api: FakeBotApi
                  ) -> AsyncIterator[Harness]:
    """The real application on the in-process fake, its transport metered."""
    builder = (
        ApplicationBuilder().token(TOKEN)
        .request(MeteredRequest(FakeRequest(fake_api), services.metrics))
        .get_updates_request(MeteredRequest(FakeRequest(fake_api), services.metrics))
    )
    app: Application = build_application(settings, services, builder=builder)  # type: ignore[type-arg]
    h = Harness(app, fake_api, services)
    app.add_error_handler(collect_errors(h.errors))
    await app.initialize()
    await app.start()
    try:
        yield h
    finally:
        await h.flush()
        await app.stop()
        await app.shutdown()
    assert h.errors == []


def command(sender: dict[str, Any], text: str) -> dict[str, Any]:
    name = text.split()[0]
    return message_update(message(private(sender), sender, text, entities=[
        {"type": "bot_command", "offset": 0, "length": len(name)}]))


async def test_a_deleted_scam_is_counted_everywhere(metered: Harness):
    """One scam in a group: an update, a scam verdict with its category, a check latency
    sample, a delete that worked, and Telegram's answers."""
    m = metered.services.metrics
    await metered.feed(message_update(message(group(), CAROL, SEED)))
    assert sample(m, "scamguard_updates_total", type="message") == 1
    assert sample(m, "scamguard_verdicts_total", source="group", verdict="scam",
                  category="key_request") == 1
    assert sample(m, "scamguard_check_seconds_count", source="group") == 1
    assert sample(m, "scamguard_actions_total", action="delete", result="ok") == 1
    assert sample(m, "scamguard_actions_total", action="delete", result="failed") == 0
    assert sample(m, "scamguard_telegram_requests_total") == len(metered.api.calls())
    assert m.seconds_since_telegram() is not None


async def test_clean_messages_count_as_verdicts_without_category(metered: Harness):
    """Clean messages (new and edited) are counted by update type with category 'none'."""
    m = metered.services.metrics
    msg = message(group(), CAROL, "Lunch at noon tomorrow?")
    await metered.feed(message_update(msg))
    await metered.feed(edited_update(msg))
    assert sample(m, "scamguard_updates_total", type="message") == 1
    assert sample(m, "scamguard_updates_total", type="edited_message") == 1
    assert sample(m, "scamguard_verdicts_total", source="group", verdict="clean",
                  category="none") == 2
    assert sample(m, "scamguard_actions_total", action="delete", result="ok") == 0


async def test_failed_actions_and_telegram_errors_are_counted(metered: Harness):
    """A delete Telegram refuses is a failed action and a Telegram error with code 400."""
    m = metered.services.metrics
    metered.api.fail("deleteMessage", 400, "Bad Request: message can't be deleted")
    await metered.feed(message_update(message(group(), CAROL, SEED)))
    assert sample(m, "scamguard_actions_total", action="delete", result="failed") == 1
    assert sample(m, "scamguard_telegram_errors_total", code="400") == 1


@pytest.mark.parametrize(
    ("setup", "error", "code"),
    [
        (lambda api: api.fail("sendMessage", 429, retry_after=3), RetryAfter, "429"),
        (lambda api: api.fail("sendMessage", 502, "Bad Gateway"), Exception, "502"),
        (lambda api: api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user"),
         Exception, "403"),
        (lambda api: api.delay("sendMessage", 1.0), TimedOut, "timeout"),
    ],
    ids=["429", "502", "403", "timeout"],
)
async def test_transport_counts_errors_by_code(fake_api: FakeBotApi, setup, error, code):
    """The metered transport counts each failed Bot API call under its status code, and
    only answers (not timeouts) refresh the time Telegram last answered."""
    from telegram import Bot

    metrics = Metrics(clock=iter(range(100, 10_000, 10)).__next__)
    bot = Bot(TOKEN, request=MeteredRequest(FakeRequest(fake_api, read_timeout=0.05), metrics))
    async with bot:
        answered = metrics.telegram_last_answer
        setup(fake_api)
        with pytest.raises(error):
            await bot.send_message(ALICE["id"], "hello")
    assert sample(metrics, "scamguard_telegram_errors_total", code=code) == 1
    if code == "timeout":
        assert metrics.telegram_last_answer == answered
    else:
        assert metrics.telegram_last_answer != answered


async def test_rule_reloads_are_counted_by_result(metered: Harness, rules_copy: Path):
    """/reload counts unchanged, changed and failed reloads."""
    m = metered.services.metrics
    await metered.feed(command(OPERATOR, "/reload"))
    path = rules_copy / "messages" / "en.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    await metered.feed(command(OPERATOR, "/reload"))
    path.write_text("private: [unclosed\n", encoding="utf-8")
    await metered.feed(command(OPERATOR, "/reload"))
    assert sample(m, "scamguard_rule_reloads_total", result="unchanged") == 1
    assert sample(m, "scamguard_rule_reloads_total", result="changed") == 1
    assert sample(m, "scamguard_rule_reloads_total", result="failed") == 1


def test_each_bot_has_its_own_registry():
    """Two Metrics never share counters, and nothing lands in the global registry."""
    a, b = Metrics(), Metrics()
    a.observe_action("delete", True)
    assert sample(a, "scamguard_actions_total", action="delete", result="ok") == 1
    assert sample(b, "scamguard_actions_total", action="delete", result="ok") == 0
    assert REGISTRY.get_sample_value("scamguard_actions_total",
                                     {"action": "delete", "result": "ok"}) is None


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (message_update(message(group(), CAROL, "hi")), "message"),
        (edited_update(message(group(), CAROL, "hi")), "edited_message"),
        ({"my_chat_member": None}, "other"),
    ],
    ids=["message", "edited", "unknown"],
)
def test_update_kind(raw, kind):
    """Updates are labelled by the field that carries them."""
    from telegram import Update

    update = Update.de_json({"update_id": 1, **{k: v for k, v in raw.items() if v}}, None)
    assert update_kind(update) == kind


# ---- retention -------------------------------------------------------------------------------


async def test_purge_job_is_scheduled_daily(harness: Harness):
    """build_application schedules the retention purge once a day."""
    assert harness.app.job_queue is not None
    (job,) = harness.app.job_queue.get_jobs_by_name(PURGE_JOB)
    assert job.job.trigger.interval == timedelta(days=1)


async def test_purge_removes_only_what_is_older_than_retention(harness: Harness):
    """The daily job removes incidents older than retention_days and keeps the rest; the
    count is a metric."""
    storage = harness.services.storage
    old = await storage.add_incident(GROUP_ID, 1, 5, "scam", 0.9, (), "old text")
    await harness.feed(message_update(message(group(), CAROL, SEED)))
    (new,) = [i for i in await storage.list_incidents(GROUP_ID) if i.id != old]
    days = harness.services.settings.retention_days
    aged = datetime.now(UTC) - timedelta(days=days, hours=1)
    with sqlite3.connect(harness.services.settings.db_path) as db:
        db.execute("UPDATE incidents SET created_at = ? WHERE id = ?", (to_db_time(aged), old))
    (job,) = harness.app.job_queue.get_jobs_by_name(PURGE_JOB)  # type: ignore[union-attr]
    await job.run(harness.app)
    assert await storage.get_incident(old) is None
    assert await storage.get_incident(new.id) is not None
    assert sample(harness.services.metrics, "scamguard_purged_records_total") == 1
    assert await purge_once(harness.services) == 0


async def test_private_checks_are_counted(metered: Harness):
    """A message pasted in a private chat is a check with source 'private'."""
    await metered.feed(message_update(message(private(CAROL), CAROL, SEED)))
    m = metered.services.metrics
    assert sample(m, "scamguard_check_seconds_count", source="private") == 1
    assert sample(m, "scamguard_verdicts_total", source="private", verdict="scam",
                  category="key_request") == 1
    assert sample(m, "scamguard_verdicts_total", source="group", verdict="scam",
                  category="key_request") == 0


async def test_process_gc_and_build_info_are_exposed(metered: Harness):
    """/metrics carries the process and garbage-collector collectors and one build-info
    sample naming the running version."""
    from bot import __version__

    m = metered.services.metrics
    names = {s.name for f in text_string_to_metric_families(m.render().decode())
             for s in f.samples}
    assert "process_resident_memory_bytes" in names
    assert "python_gc_collections_total" in names
    assert sample(m, "scamguard_build_info", version=__version__) == 1


async def test_gauges_follow_groups_queue_and_pending_warnings(metered: Harness):
    """Groups served counts each group once; pending warnings and queue depth are read from
    the running application at each scrape."""
    from handlers.group import batcher_of

    m = metered.services.metrics
    assert sample(m, "scamguard_groups_served") == 0
    await metered.feed(message_update(message(group(), CAROL, "hello")))
    await metered.feed(message_update(message(group(), CAROL, "hello again", message_id=2)))
    await metered.feed(message_update(message(group(-100777, "Other"), CAROL, "hi")))
    await metered.feed(command(OPERATOR, "/start"))
    assert sample(m, "scamguard_groups_served") == 2
    assert sample(m, "scamguard_update_queue_depth") == 0
    assert sample(m, "scamguard_pending_warnings") == 0
    # A second scam within the per-chat interval waits to be posted.
    batcher = batcher_of(metered.app)
    batcher.interval = 3600.0
    await metered.feed(message_update(message(group(), CAROL, SEED, message_id=10)))
    await metered.feed(message_update(message(group(), CAROL, SEED + " now", message_id=11)))
    assert sample(m, "scamguard_pending_warnings") == 1


def test_queue_depth_is_read_from_the_update_queue(settings, services, fake_api):
    """scamguard_update_queue_depth is the size of the application's update queue."""
    from tests.conftest import fake_builder

    app = build_application(settings, services, builder=fake_builder(fake_api))
    m = services.metrics
    assert sample(m, "scamguard_update_queue_depth") == 0
    app.update_queue.put_nowait(object())
    app.update_queue.put_nowait(object())
    assert sample(m, "scamguard_update_queue_depth") == 2
