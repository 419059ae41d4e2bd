"""The daily refresh of the domain lists: a JobQueue job that runs the `lists update` logic
into the data directory (never into the installed package) and reloads the rules when a list
changed."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from telegram.ext import Application, CallbackContext

from bot.errors import ScamguardError
from bot.lists import update_lists
from bot.wiring.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)

LISTS_JOB = "lists-update"
DOWNLOAD_SECONDS = 60.0
# The first refresh after a start: never sooner than this (the bot settles first).
FIRST_DELAY = 600.0


async def refresh_lists(services: Services) -> tuple[int, int]:
    """Download, validate and swap every list into the data directory; reload the rules when
    one changed. (lists updated, lists that failed); a failure keeps the old list."""
    settings = services.settings
    try:
        results = await update_lists(settings.rules_dir, seconds=DOWNLOAD_SECONDS,
                                     into=settings.lists_dir)
    except (ScamguardError, OSError) as exc:
        log.error("lists update: %s", exc)
        services.metrics.list_updates.labels("failed").inc()
        return 0, 1
    updated = sum(r.ok for r in results)
    for result in results:
        services.metrics.list_updates.labels("ok" if result.ok else "failed").inc()
        if not result.ok:
            log.warning("lists update: kept the old %s: %s", result.source.file, result.error)
    if updated:
        outcome = await asyncio.to_thread(services.rules.reload)
        services.metrics.observe_reload(outcome.ok, outcome.changed)
        if not outcome.ok:
            log.error("lists update: rules not reloaded: %s", "; ".join(outcome.errors))
    log.info("lists update: %d updated, %d kept", updated, len(results) - updated)
    return updated, len(results) - updated


async def lists_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    services = context.application.bot_data[SERVICES_KEY]
    await refresh_lists(services)


def first_delay(lists_dir: Path, interval: float, now: float | None = None) -> float:
    """Seconds until the first refresh: when the newest refreshed list is due (its age
    reaches `interval`), at least FIRST_DELAY after the start. A bot restarted more often
    than `interval` still refreshes on time, and one whose lists are due refreshes soon."""
    now = time.time() if now is None else now
    try:
        newest = max((p.stat().st_mtime for p in lists_dir.iterdir() if p.is_file()),
                     default=None)
    except OSError:
        newest = None
    if newest is None:
        return FIRST_DELAY
    return max(FIRST_DELAY, min(interval, newest + interval - now))


def schedule_lists_update(application: Application, hours: float,
                          lists_dir: Path | None = None) -> bool:
    """Run `lists_job` every `hours`, the first time when the lists in `lists_dir` are due
    (`first_delay`); False when off (hours == 0) or when there is no job queue."""
    if hours <= 0:
        return False
    if application.job_queue is None:
        log.warning("no job queue: the domain lists are not refreshed on their own")
        return False
    seconds = hours * 3600.0
    first = first_delay(lists_dir, seconds) if lists_dir is not None else seconds
    application.job_queue.run_repeating(lists_job, interval=seconds, first=first,
                                        name=LISTS_JOB)
    return True
