"""The periodic refit of the learned layer: a child process trains on a tiny train split and
the deployment labels of a real database, the guard accepts or keeps the candidate aside, the
accepted model in the data directory replaces the shipped one, a timeout kills the child."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.model import Hit, Severity
from bot.core.ruleset import BASE_MODEL_KEY, load_ruleset, shipped_model_digest
from bot.core.textmodel import file_digest
from bot.rulesholder import RulesHolder
from bot.settings import Settings
from bot.storage import open_storage
from bot.wiring import refitjob
from bot.wiring.refitjob import REFIT_JOB, guard, refit_model, run_child, schedule_refit
from bot.wiring.services import Services, build_services
from rules import RULES_DIR
from tests.fakes import TOKEN

TRAIN_DIR = Path(__file__).parent / "corpus" / "train"
BITS = 12
MARKED = [f"send me your recovery phrase so I can verify the wallet {n}"
          for n in ("now", "today", "asap")]
SAMPLE = "pass me the digits that just arrived on your phone, my number was typed by mistake"


def _corpus(target: Path, swap_labels: bool = False) -> Path:
    """A few dozen English lines of the train split; with `swap_labels` every label is the
    wrong one (a corpus that can only validate worse)."""
    rows = [json.loads(line) for line in (TRAIN_DIR / "en.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    scams = [r for r in rows if r["label"] == "scam"][:20]
    hams = [r for r in rows if r["label"] == "ham"][:20]
    lines = []
    for row in scams + hams:
        if swap_labels:
            row = dict(row, label="ham" if row["label"] == "scam" else "scam")
        lines.append(json.dumps(row, ensure_ascii=False))
    target.mkdir(parents=True)
    (target / "en.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


async def _feedback(db: Path) -> None:
    storage = await open_storage(db)
    try:
        for i, text in enumerate(MARKED):
            incident = await storage.add_incident(
                chat_id=-100, message_id=i + 1, sender_id=7, verdict="scam", score=0.9,
                text=text, hits=[Hit("key-request.seed-phrase", "key_request",
                                     Severity.CRITICAL, "r")], keep_full=True)
            await storage.add_feedback(incident, 42, "false_positive")
        await storage.add_sample(-100, SAMPLE, 42, "otp_request")
    finally:
        await storage.close()


@pytest.fixture(scope="module")
def shipped_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled rules with their shipped model (never modified by a test)."""
    target = tmp_path_factory.mktemp("refit") / "rules"
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


async def _services(tmp_path: Path, rules: Path, *, swap_labels: bool = False,
                    **changes: object) -> Services:
    db = tmp_path / "scamguard.db"
    await _feedback(db)
    settings = Settings(token=TOKEN, db_path=db, rules_dir=rules, rules_watch_seconds=0.0,
                        data_dir=tmp_path / "data", refit_hours=24.0,
                        refit_corpus=_corpus(tmp_path / "corpus", swap_labels))
    settings = replace(settings, **changes)  # type: ignore[arg-type]
    return await build_services(settings)


def _metric(services: Services, result: str) -> float:
    value = services.metrics.registry.get_sample_value(
        "scamguard_model_refits_total", {"result": result})
    return value or 0.0


async def test_accepted_refit_replaces_the_shipped_model_from_the_data_dir(
        tmp_path: Path, shipped_rules: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A refit on a good corpus and the database's labels is accepted: the model lands in
    the data directory (the rules directory keeps its shipped model), the RulesHolder serves
    it at once, and a restarted bot loads it in preference to the shipped one."""
    shipped = shipped_model_digest(shipped_rules)
    services = await _services(tmp_path, shipped_rules)
    try:
        assert services.rules.detector.rules.model is not None
        assert services.rules.detector.rules.model.digest == shipped
        caplog.set_level(logging.INFO, logger="bot.wiring.refitjob")
        result = await refit_model(services, bits=BITS)
        assert result.outcome == "accepted", result.reason
        live = tmp_path / "data" / "model"
        refitted = file_digest(live / "text-model.npz")
        assert refitted != shipped
        assert shipped_model_digest(shipped_rules) == shipped
        assert not (tmp_path / "data" / "model.new").exists()
        active = services.rules.detector.rules
        assert active.model is not None and active.model.digest == refitted
        assert active.combiner is not None
        card = active.combiner.card
        assert card[BASE_MODEL_KEY] == shipped
        assert card["sources"]["feedback labels"] == len(MARKED) + 1
        assert _metric(services, "accepted") == 1.0
        assert "model refit: accepted" in caplog.text

        restarted = RulesHolder(shipped_rules, model_dir=live)
        assert restarted.detector.rules.model is not None
        assert restarted.detector.rules.model.digest == refitted
        # a refitted model whose shipped model was since replaced (an upgrade) gives way
        data = json.loads((live / "combiner.json").read_text("utf-8"))
        data["card"][BASE_MODEL_KEY] = "0123456789abcdef"
        (live / "combiner.json").write_text(json.dumps(data), encoding="utf-8")
        upgraded = load_ruleset(shipped_rules, model_dir=live)
        assert upgraded.model is not None and upgraded.model.digest == shipped
    finally:
        await services.close()


async def test_guard_keeps_a_worse_candidate_aside(
        tmp_path: Path, shipped_rules: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A corpus whose labels are all wrong validates worse than the shipped model: the
    candidate goes to model.rejected with the reason logged, and the active model stays."""
    shipped = shipped_model_digest(shipped_rules)
    services = await _services(tmp_path, shipped_rules, swap_labels=True)
    try:
        before = services.rules.digest
        result = await refit_model(services, bits=BITS)
        assert result.outcome == "rejected", result.reason
        assert "more than" in result.reason
        rejected = tmp_path / "data" / "model.rejected"
        assert (rejected / "text-model.npz").is_file() and (rejected / "combiner.json").is_file()
        assert not (tmp_path / "data" / "model").exists()
        assert not (tmp_path / "data" / "model.new").exists()
        assert services.rules.digest == before
        model = services.rules.detector.rules.model
        assert model is not None and model.digest == shipped
        assert _metric(services, "rejected") == 1.0
        assert f"model refit rejected: {result.reason}" in caplog.text
    finally:
        await services.close()


async def test_a_refit_that_outlives_its_timeout_is_killed(
        tmp_path: Path, shipped_rules: Path) -> None:
    """The child is stopped at the timeout; nothing is swapped, the failure is counted and
    the bot goes on with its active model."""
    services = await _services(tmp_path, shipped_rules, refit_timeout=0.2)
    try:
        before = services.rules.digest
        result = await refit_model(services, bits=BITS)
        assert result.outcome == "timeout"
        assert not (tmp_path / "data" / "model").exists()
        assert not (tmp_path / "data" / "model.new").exists()
        assert services.rules.digest == before
        assert _metric(services, "timeout") == 1.0
    finally:
        await services.close()


async def test_the_child_is_killed_not_left_running(tmp_path: Path) -> None:
    """A child that outlives the timeout is killed: it never gets to write its file."""
    mark = tmp_path / "written"
    code = f"import pathlib, time; time.sleep(1.5); pathlib.Path({str(mark)!r}).write_text('x')"
    status, _ = await run_child([sys.executable, "-c", code], b"", 0.2)
    assert status is None
    await asyncio.sleep(2.0)
    assert not mark.exists()
    status, errors = await run_child(
        [sys.executable, "-c", "import sys; sys.exit(sys.stdin.read().strip())"], b"bad db\n",
        10.0)
    assert status == 1 and "bad db" in errors


async def test_a_failing_refit_is_logged_and_counted(
        tmp_path: Path, shipped_rules: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A train split the trainer refuses (no labelled lines) fails the refit: logged with
    the trainer's message, counted, the active model untouched."""
    services = await _services(tmp_path, shipped_rules)
    try:
        for path in (tmp_path / "corpus").iterdir():
            path.unlink()
        before = services.rules.digest
        result = await refit_model(services, bits=BITS)
        assert result.outcome == "failed" and "no *.jsonl train files" in result.reason
        assert services.rules.digest == before
        assert _metric(services, "failed") == 1.0
        assert "model refit failed" in caplog.text
    finally:
        await services.close()


def test_without_the_train_extra_the_job_stays_off_with_one_clear_line(
        settings: Settings, services: Services, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SCAMGUARD_REFIT_HOURS set without scikit-learn: one log line says what to install,
    and no job is scheduled."""
    from bot.app import build_application
    from tests.conftest import fake_builder
    from tests.fakes import FakeBotApi

    monkeypatch.setitem(sys.modules, "sklearn", None)
    on = replace(settings, refit_hours=6.0)
    app = build_application(on, services, builder=fake_builder(FakeBotApi()))
    assert app.job_queue is not None
    assert app.job_queue.get_jobs_by_name(REFIT_JOB) == ()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.wiring.refitjob"]
    assert len(lines) == 1
    assert "train extra is not installed" in lines[0] and "scamguard[train]" in lines[0]
    assert refitjob.missing_train_extra() == "sklearn"


def test_refit_job_is_off_by_default_and_scheduled_when_set(
        settings: Settings, services: Services) -> None:
    """No refit unless SCAMGUARD_REFIT_HOURS is set; then one repeating job at that interval."""
    from bot.app import build_application
    from tests.conftest import fake_builder
    from tests.fakes import FakeBotApi

    assert Settings().refit_hours == 0.0
    app = build_application(settings, services, builder=fake_builder(FakeBotApi()))
    assert app.job_queue is not None and app.job_queue.get_jobs_by_name(REFIT_JOB) == ()
    assert schedule_refit(app, replace(settings, refit_corpus=None, refit_hours=1.0)) is False
    assert schedule_refit(app, replace(settings, refit_hours=12.0)) is True
    [job] = app.job_queue.get_jobs_by_name(REFIT_JOB)
    assert job.trigger.interval.total_seconds() == 12 * 3600


def _card(recall: float | None, flagged: float | None) -> dict[str, object]:
    return {"report": {"validation": {"normal": {
        "hard_negatives": {"recall": recall, "flagged": flagged}}}}}


@pytest.mark.parametrize(("candidate", "active", "verdict"), [
    (_card(0.90, 0.010), _card(0.91, 0.010), None),
    (_card(0.885, 0.010), _card(0.91, 0.010), "recall"),
    (_card(0.95, 0.019), _card(0.91, 0.010), None),
    (_card(0.95, 0.021), _card(0.91, 0.010), "hard negatives flagged"),
    (_card(0.80, 0.5), None, None),
    (_card(0.80, 0.5), {"sources": {}}, None),
    ({"sources": {}}, _card(0.91, 0.01), "no validation figures"),
], ids=["within-margins", "recall-drop", "fewer-false-positives", "more-false-positives",
        "rules-alone", "active-without-figures", "candidate-without-figures"])
def test_guard_margins(candidate: dict[str, object], active: dict[str, object] | None,
                       verdict: str | None) -> None:
    """Recall may fall by at most 2 points, hard negatives flagged rise by at most 1."""
    reason = guard(candidate, active)
    if verdict is None:
        assert reason is None
    else:
        assert reason is not None and verdict in reason


def test_refit_settings(tmp_path: Path) -> None:
    """SCAMGUARD_REFIT_* are read, checked and name themselves when wrong."""
    from bot.errors import SettingsError
    from bot.settings import SOURCE_CORPUS

    default = Settings.from_env({})
    assert default.refit_hours == 0.0 and default.refit_dev is None
    assert default.refit_corpus == SOURCE_CORPUS
    on = Settings.from_env({"SCAMGUARD_REFIT_HOURS": "12", "SCAMGUARD_REFIT_TIMEOUT": "600",
                            "SCAMGUARD_REFIT_CORPUS": str(tmp_path),
                            "SCAMGUARD_DATA_DIR": str(tmp_path / "d")})
    assert (on.refit_hours, on.refit_timeout, on.refit_corpus) == (12.0, 600.0, tmp_path)
    assert on.model_dir == tmp_path / "d" / "model"
    with pytest.raises(SettingsError, match="SCAMGUARD_REFIT_CORPUS"):
        Settings.from_env({"SCAMGUARD_REFIT_CORPUS": str(tmp_path / "missing")})
    with pytest.raises(SettingsError, match="SCAMGUARD_REFIT_HOURS"):
        Settings.from_env({"SCAMGUARD_REFIT_HOURS": "-1"})


async def test_one_worker_refits_on_postgresql_and_the_other_picks_the_model_up(
        tmp_path: Path, shipped_rules: Path, pg_url: str) -> None:
    """Two workers on one PostgreSQL database and one shared data directory: while one holds
    the refit lock the other skips its refit; the one that refits (reading the labels from
    PostgreSQL, the URL passed on the child's standard input) announces the swap and the
    other worker serves the refitted model without a restart."""
    settings = Settings(token=TOKEN, db_url=pg_url, rules_dir=shipped_rules,
                        rules_watch_seconds=0.0, data_dir=tmp_path / "data", refit_hours=24.0,
                        refit_corpus=_corpus(tmp_path / "corpus"))
    first = await build_services(settings)
    second = await build_services(settings)
    try:
        for i, text in enumerate(MARKED):
            incident = await first.storage.add_incident(
                chat_id=-100, message_id=i + 1, sender_id=7, verdict="scam", score=0.9,
                text=text, hits=[Hit("key-request.seed-phrase", "key_request",
                                     Severity.CRITICAL, "r")], keep_full=True)
            await first.storage.add_feedback(incident, 42, "false_positive")
        from bot.storage import PostgresStorage

        assert isinstance(first.storage, PostgresStorage)
        async with first.storage.refit_lock() as (held, _lost):
            assert held
            skipped = await refit_model(second, bits=BITS)
        assert skipped.outcome == "skipped" and _metric(second, "skipped") == 1.0
        assert not (tmp_path / "data" / "model").exists()

        result = await refit_model(first, bits=BITS)
        assert result.outcome == "accepted", result.reason
        refitted = file_digest(tmp_path / "data" / "model" / "text-model.npz")
        active = first.rules.detector.rules.combiner
        assert active is not None and active.card["sources"]["feedback labels"] == len(MARKED)
        for _ in range(200):
            model = second.rules.detector.rules.model
            if model is not None and model.digest == refitted:
                break
            await asyncio.sleep(0.05)
        model = second.rules.detector.rules.model
        assert model is not None and model.digest == refitted
    finally:
        await first.close()
        await second.close()
