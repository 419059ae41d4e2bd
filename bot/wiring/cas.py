"""Combot Anti-Spam (CAS) lookups of new members: bounded by a timeout, cached, and never
in the way: when CAS cannot be reached the answer is "unknown" and the bot goes on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

import aiohttp

log = logging.getLogger(__name__)

CAS_URL = "https://api.cas.chat/check"


class CasClient:
    """`banned(user_id)`: True when CAS lists the user, False when it does not, None when
    the lookup failed (timeout, error, unreadable answer). Answers are kept `ttl` seconds."""

    def __init__(self, url: str = CAS_URL, *, timeout: float = 2.0, ttl: float = 3600.0,
                 max_users: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.timeout = timeout
        self.ttl = ttl
        self.max_users = max_users
        self.clock = clock
        self._cache: OrderedDict[int, tuple[bool, float]] = OrderedDict()
        self._session: aiohttp.ClientSession | None = None

    async def banned(self, user_id: int) -> bool | None:
        cached = self._cache.get(user_id)
        now = self.clock()
        if cached is not None and now - cached[1] < self.ttl:
            return cached[0]
        try:
            answer = await asyncio.wait_for(self._lookup(user_id), self.timeout)
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            log.info("CAS lookup of %s failed: %s", user_id, exc or type(exc).__name__)
            return None
        self._cache[user_id] = (answer, now)
        self._cache.move_to_end(user_id)
        while len(self._cache) > self.max_users:
            self._cache.popitem(last=False)
        return answer

    async def _lookup(self, user_id: int) -> bool:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout))
        async with self._session.get(self.url, params={"user_id": str(user_id)},
                                     allow_redirects=False) as response:
            if response.status != 200:
                raise ValueError(f"CAS answered {response.status}")
            data = await response.json(content_type=None)
        if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
            raise ValueError("CAS answer without 'ok'")
        return bool(data["ok"])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
