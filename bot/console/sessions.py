"""Console sessions: a random id in an HttpOnly, SameSite=Strict cookie, kept server-side
with its CSRF token; the HTTP token itself never leaves the login form."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "scamguard_console"
IDLE_SECONDS = 8 * 3600.0
MAX_SESSIONS = 200


@dataclass
class Session:
    id: str
    csrf: str
    last_seen: float


class Sessions:
    """Sessions by id, forgotten after `idle` seconds without a request; at most `limit`
    (the oldest goes first)."""

    def __init__(self, idle: float = IDLE_SECONDS, limit: int = MAX_SESSIONS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle = idle
        self.limit = limit
        self.clock = clock
        self._by_id: OrderedDict[str, Session] = OrderedDict()

    def create(self) -> Session:
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock())
        self._by_id[session.id] = session
        while len(self._by_id) > self.limit:
            self._by_id.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        session = self._by_id.get(session_id)
        if session is None:
            return None
        now = self.clock()
        if now - session.last_seen > self.idle:
            del self._by_id[session_id]
            return None
        session.last_seen = now
        self._by_id.move_to_end(session_id)
        return session

    def end(self, session_id: str | None) -> None:
        if session_id:
            self._by_id.pop(session_id, None)


def same(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted secret."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
