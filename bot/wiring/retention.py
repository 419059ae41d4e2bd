"""Retention: a daily job that deletes incidents and private checks older than
SCAMGUARD_RETENTION_DAYS (`Settings.retention_days`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram.ext import Application, ContextTypes

from bot.errors import ScamguardError
from bot.wiring.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)

PURGE_JOB = "retention-purge"
PURGE_INTERVAL = timedelta(days=1)
# The first purge waits a little so a restart loop does not purge at every start.
FIRST_PURGE = timedelta(minutes=5)


async def purge_once(services: Services, now: datetime | None = None) -> int:
    """Delete what is older than the retention period; the number of records removed
    (0 when the database refused, which is logged)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=services.settings.retention_days)
    try:
        removed = await services.storage.purge(cutoff)
    except ScamguardError as exc:
        log.error("retention purge failed: %s", exc)
        return 0
    services.metrics.purged.inc(removed)
    if removed:
        log.info("retention: removed %d records older than %d days", removed,
                 services.settings.retention_days)
    return removed


async def purge_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily job."""
    services: Services = context.application.bot_data[SERVICES_KEY]
    await purge_once(services)


def schedule_purge(application: Application) -> bool:
    """Run `purge_job` daily; False (with a warning) when there is no job queue."""
    if application.job_queue is None:
        log.warning("no job queue: old incidents are not purged (install the job-queue extra)")
        return False
    application.job_queue.run_repeating(purge_job, interval=PURGE_INTERVAL, first=FIRST_PURGE,
                                        name=PURGE_JOB)
    return True
