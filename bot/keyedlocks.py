"""One asyncio lock per key (a user, a sender in a chat), kept only while someone holds or
waits for it: updates are handled concurrently, yet one sender's messages must be judged in
the order they came (a follow-up is read against the message just before it)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Hashable


class KeyedLocks:
    """`locks(key)` is the lock of `key`; `async with locks(key):` serialises by key. Locks
    are created on demand and dropped once nobody refers to them."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[Hashable, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    def __call__(self, key: Hashable) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    def __len__(self) -> int:
        return len(self._locks)
