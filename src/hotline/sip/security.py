"""Brute-force protection: refuse an address after too many failed authentications.

Issue 2 part 6. Sans-IO: the caller passes ``now``. Memory stays bounded under a flood of
distinct addresses: at most ``max_tracked`` addresses with failures and ``max_banned`` bans are
kept, the least recently seen being dropped first.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections import OrderedDict, deque

__all__ = ["AuthFailureLimiter"]

logger = logging.getLogger(__name__)


class AuthFailureLimiter:
    """Bans a source for ``ban`` seconds after ``max_failures`` failures within ``window``.

    IPv6 addresses are grouped by their ``ipv6_prefix`` (a /64 by default): one subscriber
    usually holds a whole /64 and could otherwise rotate through it to escape the limit.
    """

    def __init__(
        self,
        *,
        max_failures: int,
        window: float,
        ban: float,
        max_tracked: int = 65_536,
        max_banned: int = 65_536,
        ipv6_prefix: int = 64,
    ) -> None:
        if max_failures < 1 or window <= 0 or ban < 0:
            raise ValueError("max_failures >= 1, window > 0 and ban >= 0 are required")
        self.max_failures = max_failures
        self.window = window
        self.ban = ban
        self._max_tracked = max_tracked
        self._max_banned = max_banned
        self._ipv6_prefix = ipv6_prefix
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._banned_until: OrderedDict[str, float] = OrderedDict()

    def record_failure(self, host: str, now: float) -> bool:
        """Count a failed authentication from ``host``; True when it starts a ban."""
        key = self._key(host)
        if self.is_banned(host, now):
            return False
        failures = self._failures.pop(key, None)
        if failures is None:
            failures = deque(maxlen=self.max_failures)
        failures.append(now)
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if len(failures) < self.max_failures:
            self._failures[key] = failures
            self._trim(self._failures, self._max_tracked)
            return False
        self._banned_until[key] = now + self.ban
        self._trim(self._banned_until, self._max_banned)
        logger.warning(
            "Refusing %s for %.0f s: %d failed authentications within %.0f s",
            host, self.ban, self.max_failures, self.window,
        )  # fmt: skip
        return True

    def is_banned(self, host: str, now: float) -> bool:
        """True while ``host`` is in its cool-down."""
        key = self._key(host)
        until = self._banned_until.get(key)
        if until is None:
            return False
        if now < until:
            return True
        del self._banned_until[key]
        logger.info("Accepting %s again: its cool-down ended", host)
        return False

    def banned_for(self, host: str, now: float) -> float:
        """Seconds left of ``host``'s cool-down (0: not refused), for a Retry-After."""
        return max(0.0, self._banned_until.get(self._key(host), now) - now)

    def record_success(self, host: str, now: float) -> None:
        """Note a successful authentication from ``host``.

        Earlier failures inside the window still count: a source that owns one valid account
        must not buy unlimited guesses at the others by interleaving successes. Only the
        failures that have left the window are forgotten (and the host with them).
        """
        key = self._key(host)
        failures = self._failures.get(key)
        if failures is None:
            return
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]

    def failure_count(self, host: str, now: float) -> int:
        """Failures from ``host`` still inside the window (for logs and tests)."""
        failures = self._failures.get(self._key(host), ())
        return sum(1 for at in failures if now - at <= self.window)

    def _key(self, host: str) -> str:
        return source_key(host, self._ipv6_prefix)

    @staticmethod
    def _trim(table: OrderedDict[str, deque[float]] | OrderedDict[str, float], limit: int) -> None:
        while len(table) > limit:
            table.popitem(last=False)


@functools.lru_cache(maxsize=4096)
def source_key(host: str, ipv6_prefix: int) -> str:
    """The address a budget is kept for; cached as it is asked on every REGISTER."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.lower()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, ipv6_prefix), strict=False))
    return str(address)
