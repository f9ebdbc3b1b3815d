"""One password check at a time per client address.

A sign-in's failure is counted only once its Argon2 check ends, tens of milliseconds later; were
checks from one address run side by side, a client sending a thousand sign-ins at once would
have every one of them checked before the first failure was counted, whatever the limits. In
turn, each check sees the failures of the ones before it. Other addresses do not wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["AddressTurns"]


class AddressTurns:
    """A lock per address, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}

    @asynccontextmanager
    async def turn(self, address: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(address, asyncio.Lock())
        self._waiting[address] = self._waiting.get(address, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[address] -= 1
            if not self._waiting[address]:
                del self._waiting[address], self._locks[address]

    def __len__(self) -> int:
        """Addresses with a check running or waiting (for tests: none are kept after)."""
        return len(self._locks)
