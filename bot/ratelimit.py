"""Per-key rate limits (users, chats): a sliding window of recent events per key, in memory."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping

# Default limits: kind -> (events, per seconds).
DEFAULT_LIMITS: Mapping[str, tuple[int, float]] = {
    "report": (3, 60.0),
    "check": (20, 60.0),
    "command": (10, 60.0),
}


class SlidingWindow:
    """At most `limit` events per `period` seconds for each key."""

    def __init__(
        self, limit: int, period: float, clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("limit must be >= 1 and period > 0")
        self.limit = limit
        self.period = period
        self.clock = clock
        self.max_keys = max_keys
        self._events: dict[Hashable, deque[float]] = {}

    def allow(self, key: Hashable) -> bool:
        """Record an event for `key` and say whether it is within the limit."""
        now = self.clock()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._prune(now)
            events = self._events[key] = deque()
        while events and now - events[0] >= self.period:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def retry_in(self, key: Hashable) -> float:
        """Seconds until `key` may act again (0 when it may now)."""
        events = self._events.get(key)
        if not events or len(events) < self.limit:
            return 0.0
        return max(0.0, self.period - (self.clock() - events[0]))

    def _prune(self, now: float) -> None:
        for key in [k for k, ev in self._events.items() if not ev or now - ev[-1] >= self.period]:
            del self._events[key]


class RateLimits:
    """Named per-user limits: `allow("report", user_id)`; unknown kinds use "command"."""

    def __init__(
        self,
        limits: Mapping[str, tuple[int, float]] = DEFAULT_LIMITS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._windows = {
            kind: SlidingWindow(limit, period, clock) for kind, (limit, period) in limits.items()
        }
        self._default = self._windows.get("command") or SlidingWindow(10, 60.0, clock)

    def allow(self, kind: str, key: Hashable) -> bool:
        """Record one `kind` event of `key`; False when over the limit."""
        return self._windows.get(kind, self._default).allow(key)

    def retry_in(self, kind: str, key: Hashable) -> float:
        return self._windows.get(kind, self._default).retry_in(key)
