"""Disappearing messages: warnings and `/report` exchanges are deleted by the JobQueue after
the group's `delete_after` minutes. A message already gone, or rights taken away meanwhile,
is logged and forgotten."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

log = logging.getLogger(__name__)

JOB_PREFIX = "disappear:"


async def delete_later(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The job: delete the messages it was given."""
    job = context.job
    if job is None or not isinstance(job.data, tuple):
        return
    chat_id, message_ids = job.data
    try:
        await context.bot.delete_messages(chat_id, list(message_ids))
    except TelegramError as exc:
        log.info("could not delete %s in chat %s: %s", message_ids, chat_id, exc)


def schedule_deletion(application: Application, chat_id: int, message_ids: Sequence[int],
                      minutes: int) -> bool:
    """Delete the messages after `minutes` (nothing when 0 or without a job queue)."""
    ids = tuple(i for i in message_ids if i)
    if minutes <= 0 or not ids:
        return False
    if application.job_queue is None:
        log.warning("no job queue: messages do not disappear (install the job-queue extra)")
        return False
    application.job_queue.run_once(delete_later, when=minutes * 60, data=(chat_id, ids),
                                   name=f"{JOB_PREFIX}{chat_id}:{ids[0]}")
    return True
