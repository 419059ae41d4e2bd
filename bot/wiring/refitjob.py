"""The periodic refit of the learned layer (off unless SCAMGUARD_REFIT_HOURS is set): a
JobQueue job that runs `scamguard model train --with-feedback` in a child process (the bot's
event loop and its GIL stay free), bounded by SCAMGUARD_REFIT_TIMEOUT, writes the candidate
beside the active model in the data directory, and swaps it in only when its held-out figures
are not worse than the active model's by more than the margins below.

Directories in the data directory: `model.new` (the candidate being written), `model` (the
refitted model in use; it replaces the shipped one), `model.old` (the one it replaced),
`model.rejected` (the last candidate the guard refused, with its card). With several workers on
PostgreSQL one worker refits (an advisory lock) and announces the swap; the others reload the
model from the shared data directory."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import shutil
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram.ext import Application, CallbackContext

from bot.core.combine import COMBINER_FILE, parse_combiner
from bot.core.ruleset import BASE_MODEL_KEY, shipped_model_digest
from bot.errors import RuleFileError, StorageError
from bot.rulesholder import ReloadResult, RulesHolder
from bot.settings import Settings
from bot.storage.repository import Repository
from bot.wiring.listsjob import first_delay
from bot.wiring.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)

REFIT_JOB = "model-refit"
# The guard, at this sensitivity: the candidate's held-out recall may be at most RECALL_MARGIN
# below the active model's, its share of hard negatives flagged at most FLAGGED_MARGIN above.
GUARD_SENSITIVITY = "normal"
RECALL_MARGIN = 0.02
FLAGGED_MARGIN = 0.01
# What the log shows of a failed child's error output.
STDERR_TAIL = 2_000
TRAIN_MODULES = ("sklearn", "scipy")


@dataclass(frozen=True)
class RefitResult:
    """accepted, rejected, failed, timeout or skipped, and why."""

    outcome: str
    reason: str = ""


def missing_train_extra() -> str | None:
    """The first module of the `train` extra that cannot be imported; None when all can."""
    for name in TRAIN_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


def figures(card: Mapping[str, Any] | None) -> tuple[float | None, float | None] | None:
    """(recall, hard negatives flagged) at GUARD_SENSITIVITY from a model card's report; None
    when the card has no such figures."""
    try:
        row = card["report"]["validation"][GUARD_SENSITIVITY]["hard_negatives"]  # type: ignore[index]
        recall, flagged = row["recall"], row["flagged"]
    except (KeyError, TypeError):
        return None
    return (None if recall is None else float(recall),
            None if flagged is None else float(flagged))


def guard(candidate: Mapping[str, Any] | None, active: Mapping[str, Any] | None) -> str | None:
    """None when the candidate's card may replace the active one's, else the reason not."""
    new = figures(candidate)
    if new is None:
        return "the candidate's card has no validation figures"
    old = figures(active)
    if old is None:
        return None  # the rules work alone, or the active model carries no figures
    (new_recall, new_flagged), (old_recall, old_flagged) = new, old
    if old_recall is not None and (new_recall is None
                                   or new_recall < old_recall - RECALL_MARGIN):
        return (f"recall at {GUARD_SENSITIVITY} sensitivity {_pct(new_recall)} is more than "
                f"{RECALL_MARGIN:.0%} below the active model's {_pct(old_recall)}")
    if old_flagged is not None and (new_flagged is None
                                    or new_flagged > old_flagged + FLAGGED_MARGIN):
        return (f"hard negatives flagged at {GUARD_SENSITIVITY} sensitivity "
                f"{_pct(new_flagged)} is more than {FLAGGED_MARGIN:.0%} above the active "
                f"model's {_pct(old_flagged)}")
    return None


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def train_command(settings: Settings, out: Path, bits: int | None = None) -> list[str]:
    """The child process: `python -m bot model train --with-feedback`, the database on its
    standard input."""
    if settings.refit_corpus is None:
        raise ValueError("no train corpus (SCAMGUARD_REFIT_CORPUS)")
    command = [sys.executable, "-m", "bot", "model", "train", "--with-feedback", "--db", "-",
               "--rules", str(settings.rules_dir), "--corpus", str(settings.refit_corpus),
               "--out", str(out)]
    if settings.refit_dev is not None:
        command += ["--dev", str(settings.refit_dev)]
    if bits is not None:
        command += ["--bits", str(bits)]
    return command


async def run_child(command: list[str], stdin: bytes, seconds: float
                    ) -> tuple[int | None, str]:
    """Run the child with `stdin`; (exit status, the tail of its error output), or (None, "")
    when it outlived `seconds` and was killed (and reaped)."""
    proc = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    try:
        _out, err = await asyncio.wait_for(proc.communicate(stdin), seconds)
    except TimeoutError:
        await _kill(proc)
        return None, ""
    except asyncio.CancelledError:  # the bot stops: the child goes with it
        await _kill(proc)
        raise
    return proc.returncode, err.decode("utf-8", "replace")[-STDERR_TAIL:]


async def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    await proc.wait()


def read_card(folder: Path) -> dict[str, Any] | None:
    """The card of the combiner in `folder`; None when there is none or it cannot be read."""
    try:
        text = (folder / COMBINER_FILE).read_text(encoding="utf-8")
        return dict(parse_combiner(text, str(folder / COMBINER_FILE)).card)
    except (OSError, UnicodeDecodeError, RuleFileError):
        return None


def mark_base(folder: Path, base: str) -> None:
    """Name the shipped model the candidate was refitted beside in its card (the card is not
    part of the model's digest)."""
    path = folder / COMBINER_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    data.setdefault("card", {})[BASE_MODEL_KEY] = base
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def _clear(data: Path, new: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(new, ignore_errors=True)


def _replace_dir(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    source.rename(target)


def swap(data: Path, holder: RulesHolder) -> ReloadResult:
    """Move `model.new` into place as `model` (the previous one to `model.old`) and reload;
    when the reload fails, the candidate goes to `model.rejected` and the previous model
    back into place (the holder kept the last good set)."""
    live, new, old = data / "model", data / "model.new", data / "model.old"
    if live.exists():
        _replace_dir(live, old)
    new.rename(live)
    result = holder.reload()
    if not result.ok:
        _replace_dir(live, data / "model.rejected")
        if old.exists():
            old.rename(live)
    return result


@contextlib.asynccontextmanager
async def leading(storage: Repository) -> AsyncIterator[bool]:
    """True while this worker is the one that refits: on PostgreSQL the holder of an advisory
    lock, on SQLite (one worker) always."""
    from bot.storage import PostgresStorage

    if not isinstance(storage, PostgresStorage):
        yield True
        return
    async with storage.refit_lock() as (held, _lost):
        yield held


async def refit_model(services: Services, *, bits: int | None = None) -> RefitResult:
    """One refit: train a candidate in a child process, guard it, swap it in. Every failure
    is logged and counted; none is raised."""
    result = await _refit(services, bits)
    services.metrics.model_refits.labels(result.outcome).inc()
    if result.outcome == "accepted":
        log.info("model refit: accepted (%s)", result.reason)
    elif result.outcome == "skipped":
        log.info("model refit: skipped: %s", result.reason)
    else:
        log.error("model refit %s: %s", result.outcome, result.reason)
    return result


async def _refit(services: Services, bits: int | None) -> RefitResult:
    settings = services.settings
    missing = missing_train_extra()
    if missing is not None:
        return RefitResult("failed", f"the train extra is not installed ({missing} missing)")
    data = settings.data_directory
    new = data / "model.new"
    try:
        command = train_command(settings, new, bits)
    except ValueError as exc:
        return RefitResult("failed", str(exc))
    try:
        async with leading(services.storage) as leader:
            if not leader:
                return RefitResult("skipped", "another worker refits")
            return await _refit_as_leader(services, command, data, new)
    except StorageError as exc:
        return RefitResult("failed", str(exc))


async def _refit_as_leader(services: Services, command: list[str], data: Path, new: Path
                           ) -> RefitResult:
    settings = services.settings
    await asyncio.to_thread(_clear, data, new)
    status, errors = await run_child(command, (str(settings.database) + "\n").encode(),
                                     settings.refit_timeout)
    if status != 0:
        shutil.rmtree(new, ignore_errors=True)
        if status is None:
            return RefitResult("timeout", f"training took longer than "
                               f"{settings.refit_timeout:g} s and was stopped")
        return RefitResult("failed", f"model train exited with {status}: {errors.strip()}")
    candidate = read_card(new)
    combiner = services.rules.detector.rules.combiner
    active = dict(combiner.card) if combiner is not None else None
    reason = guard(candidate, active)
    if reason is not None:
        await asyncio.to_thread(_replace_dir, new, data / "model.rejected")
        return RefitResult("rejected", f"{reason}; the candidate is in "
                           f"{data / 'model.rejected'}")
    await asyncio.to_thread(mark_base, new, shipped_model_digest(settings.rules_dir) or "")
    outcome = await asyncio.to_thread(swap, data, services.rules)
    services.metrics.observe_reload(outcome.ok, outcome.changed)
    if not outcome.ok:
        return RefitResult("failed", "the refitted model does not load: "
                           + "; ".join(outcome.errors))
    await _announce(services)
    new_figures = figures(candidate) or (None, None)
    return RefitResult("accepted", f"recall {_pct(new_figures[0])}, hard negatives flagged "
                       f"{_pct(new_figures[1])} at {GUARD_SENSITIVITY} sensitivity")


async def _announce(services: Services) -> None:
    """Tell the other workers to load the new model from the shared data directory."""
    from bot.storage import PostgresStorage

    storage = services.storage
    if isinstance(storage, PostgresStorage):
        try:
            await storage.notify("model", 0)
        except StorageError as exc:
            log.warning("model refit: could not tell the other workers: %s", exc)


async def refit_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    services = context.application.bot_data[SERVICES_KEY]
    await refit_model(services)


def schedule_refit(application: Application, settings: Settings) -> bool:
    """Run `refit_job` every SCAMGUARD_REFIT_HOURS (the first time when the refitted model
    is due, see `first_delay`); False, with one log line saying why, when it stays off."""
    if settings.refit_hours <= 0:
        return False
    missing = missing_train_extra()
    if missing is not None:
        log.error("SCAMGUARD_REFIT_HOURS is set but the train extra is not installed (%s "
                  "missing; pip install 'scamguard[train]'): the model is not refitted",
                  missing)
        return False
    if settings.refit_corpus is None:
        log.error("SCAMGUARD_REFIT_HOURS is set but there is no train split to refit on: "
                  "set SCAMGUARD_REFIT_CORPUS; the model is not refitted")
        return False
    if application.job_queue is None:
        log.warning("no job queue: the model is not refitted on its own")
        return False
    seconds = settings.refit_hours * 3600.0
    application.job_queue.run_repeating(refit_job, interval=seconds,
                                        first=first_delay(settings.model_dir, seconds),
                                        name=REFIT_JOB)
    return True
