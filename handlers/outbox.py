"""Warnings of several workers sent by one: with a PostgreSQL database every worker queues its
group warnings in the outbox table (in the same database as the incidents), and the one
worker that holds the sender lock posts them, so that Telegram's limits, which count per bot
and not per process, are kept across workers:

- at most one post per group per `interval` (the first of a burst at once, the rest summed up
  in one post when the interval is over), which also keeps far below 20 messages a minute in a
  group;
- at most `per_second` posts a second overall (below Telegram's 30).

The sender lock is a PostgreSQL advisory lock held on a connection of its own: when the
sender dies its connection ends, the lock is free, and another worker takes over within
`poll` seconds. A row is marked claimed just before it is posted and sent once Telegram
answered; a new sender posts a claimed row again only when its incident has no recorded
warning (the old sender died between the two), so a warning is neither lost nor, save for a
death inside one HTTP request, posted twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import Application

from bot.core.model import ForwardOrigin, Hit, Person, Severity, Verdict
from bot.errors import ScamguardError
from bot.storage.postgres import OutboxRow, PostgresStorage
from bot.wiring.services import SERVICES_KEY, Services

if TYPE_CHECKING:
    from handlers.group import Warning

log = logging.getLogger(__name__)

SENDER_KEY = "outbox_sender"
DEFAULT_PER_SECOND = 25


def warning_to_dict(warning: Warning) -> dict[str, Any]:
    """The JSON form of a group warning (handlers.group.Warning) for the outbox."""
    sender = warning.sender
    return {
        "chat_id": warning.chat_id,
        "verdict": warning.verdict.to_dict() | {"score": warning.verdict.score},
        "sender": None if sender is None else {
            "kind": "origin" if isinstance(sender, ForwardOrigin) else "person",
            **sender.to_dict(),
        },
        "action": warning.action,
        "hours": warning.hours,
        "reply_to": warning.reply_to,
        "incident_id": warning.incident_id,
        "missing": list(warning.missing),
        "impersonator": warning.impersonator,
        "leak": warning.leak,
        "joined": warning.joined,
    }


def warning_from_dict(data: dict[str, Any]) -> Warning:
    """The group warning back from its JSON form."""
    from handlers.group import Warning

    raw = data["verdict"]
    verdict = Verdict(
        raw["verdict"], float(raw["score"]),
        tuple(Hit(h["rule"], h["category"], Severity.parse(h["severity"]), h["reason"])
              for h in raw["hits"]),
    )
    sender_data = data.get("sender")
    sender: Person | ForwardOrigin | None = None
    if sender_data is not None:
        fields = {k: v for k, v in sender_data.items() if k != "kind"}
        sender = (ForwardOrigin.from_dict(fields) if sender_data.get("kind") == "origin"
                  else Person.from_dict(fields))
    return Warning(
        chat_id=int(data["chat_id"]), verdict=verdict, sender=sender, action=data["action"],
        hours=int(data.get("hours") or 0), reply_to=data.get("reply_to"),
        incident_id=data.get("incident_id"), missing=tuple(data.get("missing") or ()),
        impersonator=data.get("impersonator"), leak=bool(data.get("leak")),
        joined=bool(data.get("joined")),
    )


class OutboxBatcher:
    """What a worker's handlers submit warnings to when the database is shared: the warning
    goes to the outbox (committed before `submit` returns) for the elected sender."""

    def __init__(self, application: Application, storage: PostgresStorage) -> None:
        self.application = application
        self.storage = storage

    async def submit(self, warning: Warning) -> None:
        """Queue the warning; when the database cannot take it, post it from here (a warning
        is never dropped)."""
        try:
            await self.storage.add_outbox(warning.chat_id, warning.incident_id, "warning",
                                          warning_to_dict(warning))
        except ScamguardError as exc:
            log.error("warning for chat %s not queued (%s): posting it from this worker",
                      warning.chat_id, exc)
            from handlers.group import post_warning_to_vanish

            services: Services = self.application.bot_data[SERVICES_KEY]
            await post_warning_to_vanish(self.application, services, warning.chat_id,
                                         [warning])

    async def settle(self) -> None:
        """Wait until this worker's sender (if it is the sender) posted what is due now."""
        sender = self.application.bot_data.get(SENDER_KEY)
        if isinstance(sender, OutboxSender):
            await sender.settle()

    async def flush(self) -> None:
        """Post every queued warning now when this worker is the sender."""
        sender = self.application.bot_data.get(SENDER_KEY)
        if isinstance(sender, OutboxSender):
            await sender.flush()


class OutboxSender:
    """The loop every worker runs: try to take the sender lock every `poll` seconds; while
    holding it, post the outbox's warnings within the limits."""

    def __init__(self, application: Application, storage: PostgresStorage, *,
                 interval: float, per_second: int = DEFAULT_PER_SECOND,
                 poll: float = 1.0) -> None:
        self.application = application
        self.storage = storage
        self.interval = interval
        self.per_second = per_second
        self.poll = poll
        self.wake = asyncio.Event()
        self.is_sender = False
        self._stop = asyncio.Event()
        self._flush = False
        self._busy = asyncio.Lock()
        self._sent_times: deque[float] = deque()
        self._last_post: dict[int, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Post what is queued when this worker is the sender, then release the lock."""
        with contextlib.suppress(ScamguardError):
            await self.flush()
        self._stop.set()
        self.wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def flush(self) -> None:
        if not self.is_sender:
            return
        self._flush = True
        try:
            await self._drain_once()
        finally:
            self._flush = False

    async def settle(self) -> None:
        if self.is_sender:
            await self._drain_once()

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                async with self.storage.sender_lock() as (held, lost):
                    if held:
                        log.info("this worker sends the outbox's warnings")
                        self.is_sender = True
                        self._last_post.clear()
                        try:
                            await self._send_while_held(lost)
                        finally:
                            self.is_sender = False
            except ScamguardError as exc:
                log.warning("outbox sender: %s", exc)
            except Exception:  # the loop must outlive any one failure
                log.exception("outbox sender failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.poll)

    async def _send_while_held(self, lost: asyncio.Event) -> None:
        while not self._stop.is_set() and not lost.is_set():
            self.wake.clear()
            next_due = await self._drain_once()
            timeout = self.poll if next_due is None else max(0.0, min(self.poll, next_due))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout)

    async def _drain_once(self) -> float | None:
        """Post every chat's due warnings; seconds until the next one is due (None: none)."""
        async with self._busy:
            rows = await self.storage.pending_outbox()
            by_chat: dict[int, list[OutboxRow]] = {}
            for row in rows:
                by_chat.setdefault(row.chat_id, []).append(row)
            unknown = [c for c in by_chat if c not in self._last_post]
            if unknown:
                self._last_post.update(await self.storage.last_posts(unknown))
            next_due: float | None = None
            for chat_id, items in by_chat.items():
                last = self._last_post.get(chat_id)
                wait = 0.0 if last is None else (
                    self.interval - (datetime.now(UTC) - last).total_seconds())
                if wait > 0 and not self._flush:
                    next_due = wait if next_due is None else min(next_due, wait)
                    continue
                await self._within_rate()
                await self._post(chat_id, items)
                self._last_post[chat_id] = datetime.now(UTC)
            return next_due

    async def _within_rate(self) -> None:
        """Wait until one more post keeps within `per_second` posts in any second."""
        while True:
            now = time.monotonic()
            while self._sent_times and now - self._sent_times[0] >= 1.0:
                self._sent_times.popleft()
            if len(self._sent_times) < self.per_second:
                self._sent_times.append(now)
                return
            await asyncio.sleep(1.0 - (now - self._sent_times[0]))

    async def _post(self, chat_id: int, rows: Sequence[OutboxRow]) -> None:
        from handlers.group import post_warning_to_vanish, record

        services: Services = self.application.bot_data[SERVICES_KEY]
        fresh: list[OutboxRow] = []
        done: list[OutboxRow] = []
        for row in rows:
            if row.claimed_at is not None and await self._already_warned(row):
                done.append(row)  # the previous sender posted it and died before marking
            else:
                fresh.append(row)
        if done:
            await self.storage.finish_outbox([r.id for r in done])
        if not fresh:
            return
        ids = [r.id for r in fresh]
        await self.storage.claim_outbox(ids)
        warnings = [warning_from_dict(r.payload) for r in fresh]
        try:
            await post_warning_to_vanish(self.application, services, chat_id, warnings)
        except Exception as exc:  # recorded on each incident like a Telegram error
            log.exception("warning for chat %s failed", chat_id)
            for item in warnings:
                await record(services, item.incident_id, "warn", False, str(exc)[:300])
        await self.storage.finish_outbox(ids)

    async def _already_warned(self, row: OutboxRow) -> bool:
        if row.incident_id is None:
            return False
        incident = await self.storage.get_incident(row.incident_id)
        return incident is not None and any(a.action == "warn" for a in incident.actions)


def outbox_storage(application: Application) -> PostgresStorage | None:
    """The shared database when warnings go through the outbox, else None."""
    services = application.bot_data.get(SERVICES_KEY)
    storage = getattr(services, "storage", None)
    return storage if isinstance(storage, PostgresStorage) else None


async def start_sender(application: Application) -> None:
    """Start this worker's outbox sender (it competes for the sender lock)."""
    storage = outbox_storage(application)
    if storage is None or isinstance(application.bot_data.get(SENDER_KEY), OutboxSender):
        return
    services: Services = application.bot_data[SERVICES_KEY]
    sender = OutboxSender(application, storage, interval=services.warn_interval)
    application.bot_data[SENDER_KEY] = sender
    services.on_outbox = sender.wake.set
    sender.start()


async def stop_sender(application: Application) -> None:
    sender = application.bot_data.pop(SENDER_KEY, None)
    if isinstance(sender, OutboxSender):
        await sender.stop()
