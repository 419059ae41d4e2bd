"""Prometheus metrics of a running bot, on a registry of its own (never the global one).

`Metrics` holds the counters the handlers update; `MeteredRequest` wraps the Bot API
transport so every Telegram answer and error is counted in one place."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from telegram import Update
from telegram.error import TimedOut
from telegram.ext import Application, TypeHandler
from telegram.request import BaseRequest, RequestData

from bot.core.model import Verdict

CONTENT_TYPE = CONTENT_TYPE_LATEST
CHECK_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)
NO_CATEGORY = "none"


class Metrics:
    """The bot's counters and the time Telegram last answered."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        # Process (CPU, memory, open files; Linux) and garbage collector figures, and what runs.
        ProcessCollector(registry=reg)
        GCCollector(registry=reg)
        self.build = Info("scamguard_build", "The running scamguard: version, Python and "
                          "python-telegram-bot versions", registry=reg)
        self.build.info(build_info())
        self.queue_depth = Gauge(
            "scamguard_update_queue_depth", "Telegram updates waiting in the update queue",
            registry=reg)
        self.pending_warnings = Gauge(
            "scamguard_pending_warnings", "Group warnings waiting to be posted (held by the "
            "per-chat interval or the flood limit)", registry=reg)
        self.groups_served = Gauge(
            "scamguard_groups_served", "Groups and supergroups the bot received updates from "
            "since it started", registry=reg)
        self.groups: set[int] = set()
        self.groups_served.set_function(lambda: len(self.groups))
        self.updates = Counter(
            "scamguard_updates", "Telegram updates processed, by type", ["type"], registry=reg)
        self.verdicts = Counter(
            "scamguard_verdicts", "Verdicts by source, verdict and hit category (one per "
            "distinct category of a verdict; 'none' for a verdict without hits)",
            ["source", "verdict", "category"], registry=reg)
        self.actions = Counter(
            "scamguard_actions", "Moderation actions by action and result (ok or failed)",
            ["action", "result"], registry=reg)
        self.check_seconds = Histogram(
            "scamguard_check_seconds", "Time the detector took for one check, by source",
            ["source"], buckets=CHECK_BUCKETS, registry=reg)
        self.telegram_errors = Counter(
            "scamguard_telegram_errors", "Bot API calls that failed, by HTTP status code "
            "('timeout' and 'network' when no answer came)", ["code"], registry=reg)
        self.telegram_requests = Counter(
            "scamguard_telegram_requests", "Bot API calls made", registry=reg)
        self.reloads = Counter(
            "scamguard_rule_reloads", "Rule reloads by result (changed, unchanged, failed)",
            ["result"], registry=reg)
        self.purged = Counter(
            "scamguard_purged_records", "Incidents and private checks removed by retention",
            registry=reg)
        self.webhook_refused = Counter(
            "scamguard_webhook_refused", "Webhook updates answered 503 with Retry-After (Telegram "
            "sends them again), by reason: queue_full or shutting_down",
            ["reason"], registry=reg)
        self.list_updates = Counter(
            "scamguard_list_updates", "Domain list refreshes by result (ok, failed)",
            ["result"], registry=reg)
        self.model_refits = Counter(
            "scamguard_model_refits", "Periodic refits of the learned layer by result: "
            "accepted, rejected (the guard kept the active model), failed, timeout, skipped "
            "(another worker refits)", ["result"], registry=reg)
        self.telegram_last_answer: float | None = None
        self.telegram_last_ok: float | None = None
        # (Unix time, HTTP status or 'timeout' / 'network') of the last failed Bot API call.
        self.telegram_last_error: tuple[float, str] | None = None

    # ---- what the handlers report -----------------------------------------------------

    def observe_update(self, kind: str, group_id: int | None = None) -> None:
        self.updates.labels(kind).inc()
        if group_id is not None:
            self.groups.add(group_id)

    def watch(self, queue_depth: Callable[[], float], pending_warnings: Callable[[], float]
              ) -> None:
        """Read the gauges of the running application from these callables at each scrape."""
        self.queue_depth.set_function(queue_depth)
        self.pending_warnings.set_function(pending_warnings)

    def observe_check(self, source: str, seconds: float, verdict: Verdict) -> None:
        """One detector run: its latency and its verdict by category."""
        self.observe_verdict(source, seconds, verdict.verdict,
                             [hit.category for hit in verdict.hits])

    def observe_verdict(self, source: str, seconds: float, verdict: str,
                        categories: Iterable[str]) -> None:
        """One detector run given as its verdict label and the categories of its hits."""
        self.check_seconds.labels(source).observe(seconds)
        for category in sorted(set(categories)) or [NO_CATEGORY]:
            self.verdicts.labels(source, verdict, category).inc()

    def observe_action(self, action: str, ok: bool) -> None:
        self.actions.labels(action, "ok" if ok else "failed").inc()

    def observe_reload(self, ok: bool, changed: bool) -> None:
        self.reloads.labels("failed" if not ok else "changed" if changed else "unchanged").inc()

    def observe_telegram(self, status: int | str) -> None:
        """One Bot API answer (an HTTP status) or a call that got none ('timeout')."""
        self.telegram_requests.inc()
        if isinstance(status, int):
            self.telegram_last_answer = self.clock()
            if 200 <= status < 300:
                self.telegram_last_ok = self.telegram_last_answer
                return
        self.telegram_errors.labels(str(status)).inc()
        self.telegram_last_error = (time.time(), str(status))

    # ---- what operations read ---------------------------------------------------------

    def seconds_since_telegram(self) -> float | None:
        """Seconds since Telegram last answered any call; None when it never did."""
        if self.telegram_last_answer is None:
            return None
        return max(0.0, self.clock() - self.telegram_last_answer)

    def seconds_since_telegram_ok(self) -> float | None:
        """Seconds since a Bot API call last succeeded; None when none did."""
        if self.telegram_last_ok is None:
            return None
        return max(0.0, self.clock() - self.telegram_last_ok)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


class MeteredRequest(BaseRequest):
    """A Bot API transport that counts every answer by status and remembers when Telegram
    last answered; the actual work is done by the wrapped request."""

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            status, payload = await self.inner.do_request(
                url, method, request_data, read_timeout=read_timeout,
                write_timeout=write_timeout, connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except TimedOut:
            self.metrics.observe_telegram("timeout")
            raise
        except Exception:
            self.metrics.observe_telegram("network")
            raise
        self.metrics.observe_telegram(status)
        return status, payload


def build_info() -> dict[str, str]:
    """Labels of scamguard_build_info."""
    import telegram

    from bot import __version__

    return {"version": __version__, "python": platform.python_version(),
            "telegram": telegram.__version__}


_UPDATE_KINDS = (
    "message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
    "chat_member", "my_chat_member", "chat_join_request",
)


def update_kind(update: object) -> str:
    """The Bot API field that carries this update ('other' when none of the known ones)."""
    for kind in _UPDATE_KINDS:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


def install(application: Application, metrics: Metrics) -> None:
    """Count every update the application processes (a handler in a group before all
    others, which never stops the update)."""

    async def count_update(update: object, context: object) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        group = chat.id if chat is not None and chat.type in ("group", "supergroup") else None
        metrics.observe_update(update_kind(update), group)

    application.add_handler(TypeHandler(Update, count_update), group=COUNT_GROUP)


COUNT_GROUP = -1000
