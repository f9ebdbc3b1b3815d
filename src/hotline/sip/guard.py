"""Brute-force protection for digest authentication that cannot be turned against a site.

Theory of operation. Every phone of a call center may sit behind one office address, so a
failure is held against the pair (source address, user), not against the address:

- A user whose credentials fail ``max_failures`` times within ``window`` seconds from one
  address is blocked from that address only, for ``backoff`` seconds, doubled at each new block
  up to ``max_backoff``: a wrong password costs its own phone, nobody else behind the address.
- The address as a whole is banned for ``ban`` seconds only when it fails for ``scan_users``
  distinct users within the window (a scan) or ``max_address_failures`` times (a rate that no
  set of phones with wrong passwords reaches, as each is blocked after ``max_failures``).
- A blocked user's requests are refused whatever their password, so that blocking tells a
  guesser nothing; their failures are not counted, so a 401 retry storm stops counting once
  its user is blocked (SIP callers still check the digest, as it names the user; the web
  sign-in does not check the password at all). The same credentials sent again (same
  username, realm and response) are not a new guess either and are not counted.

Users are counted by the name the credentials claim, known or not, so an unknown user and a
wrong password meet the same limits and answers. The guard is not tied to SIP: ``kind`` names
what it guards ("sip", "web"), in its bans and its log lines, so that one node can keep a
guard for its phones and another for its web sign-ins and tell their bans apart.

Sans-IO: the caller passes ``now``. Memory stays bounded: at most ``max_tracked`` pairs,
addresses and bans, the least recent dropped.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

__all__ = ["AuthGuard", "Ban", "BanReason", "source_key"]

logger = logging.getLogger(__name__)

_REMEMBERED_GUESSES = 4
_K = TypeVar("_K")
_V = TypeVar("_V")


class BanReason(Enum):
    """Why a source is refused."""

    FAILURES = "failures"  # one user's credentials failed too often from this address
    SCAN = "scan"  # the address failed for many distinct users
    RATE = "rate"  # the address failed faster than phones do


@dataclass(frozen=True, slots=True, kw_only=True)
class Ban:
    """A refusal in force: the whole ``source`` (``user`` None) or one user from it."""

    source: str  # the address, an IPv6 /64 as its network
    user: str | None
    reason: BanReason
    until: float
    kind: str = "sip"  # which guard refuses: the same user may be refused by two

    @property
    def id(self) -> str:
        """A stable name to lift it by: user names may hold any character, a path may not."""
        user = self.user if self.user is not None else ""
        key = f"{self.source}\0{user}\0{self.user is None}"
        if self.kind != "sip":  # SIP's ids as they were before there was another kind
            key += f"\0{self.kind}"
        return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


@dataclass(slots=True)
class _UserRecord:
    failures: deque[float] = field(default_factory=deque)
    guesses: deque[str] = field(default_factory=lambda: deque(maxlen=_REMEMBERED_GUESSES))
    blocks: int = 0  # blocks so far: the next lasts backoff * 2 ** blocks
    blocked_until: float = float("-inf")
    last_failure: float = float("-inf")


@dataclass(slots=True)
class _AddressRecord:
    failures: deque[float] = field(default_factory=deque)
    users: dict[str, float] = field(default_factory=dict)  # user -> its last failure


class AuthGuard:
    """Counts failed digest authentications per (address, user); see the module docstring."""

    def __init__(
        self,
        *,
        max_failures: int,
        window: float,
        backoff: float,
        max_backoff: float,
        scan_users: int,
        max_address_failures: int,
        ban: float,
        max_tracked: int = 65_536,
        ipv6_prefix: int = 64,
        kind: str = "sip",
    ) -> None:
        if min(max_failures, scan_users, max_address_failures) < 1:
            raise ValueError("max_failures, scan_users and max_address_failures must be >= 1")
        if window <= 0 or backoff <= 0 or max_backoff < backoff or ban <= 0:
            raise ValueError("need window > 0, 0 < backoff <= max_backoff and ban > 0")
        self.max_failures = max_failures
        self.window = window
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.scan_users = scan_users
        self.max_address_failures = max_address_failures
        self.ban = ban
        self.kind = kind
        self._max_tracked = max_tracked
        self._ipv6_prefix = ipv6_prefix  # one subscriber holds a whole /64
        self._users: OrderedDict[tuple[str, str], _UserRecord] = OrderedDict()
        self._addresses: OrderedDict[str, _AddressRecord] = OrderedDict()
        self._banned: OrderedDict[str, Ban] = OrderedDict()
        # The pairs blocked at some time, so listing bans (every /api/health) reads these
        # few, not every pair tracked; a pair is dropped here once its block is over.
        self._blocked: set[tuple[str, str]] = set()

    def address_banned(self, host: str, now: float) -> bool:
        """True while ``host``'s whole address is refused."""
        return self._address_ban(self.source(host), now) is not None

    def user_blocked(self, host: str, user: str, now: float) -> bool:
        """True while ``user`` is refused from ``host`` (whatever its password)."""
        record = self._users.get((self.source(host), user))
        return record is not None and now < record.blocked_until

    def refused_for(self, host: str, user: str, now: float) -> float:
        """Seconds until ``user`` may try again from ``host`` (0: now), for a Retry-After."""
        source = self.source(host)
        ban = self._address_ban(source, now)
        record = self._users.get((source, user))
        until = max(ban.until if ban else now, record.blocked_until if record else now)
        return max(0.0, until - now)

    def record_failure(self, host: str, user: str, now: float, *, guess: str = "") -> bool:
        """Count a failed authentication of ``user`` from ``host``; ``guess`` names the
        credentials (username, realm, response), so that the same ones again are no new
        guess. True when the request is to be refused rather than challenged again."""
        source = self.source(host)
        if self._address_ban(source, now) is not None or self.user_blocked(host, user, now):
            return True
        record = self._user_record(source, user, now)
        if guess and guess in record.guesses:
            return False
        record.guesses.append(guess)
        record.last_failure = now
        _append(record.failures, now, self.window)
        if self._count_against_address(source, user, now):
            return True
        if len(record.failures) < self.max_failures:
            return False
        seconds = min(self.backoff * 2**record.blocks, self.max_backoff)
        record.blocks += 1
        record.blocked_until = now + seconds
        record.failures.clear()
        self._blocked.add((source, user))
        if len(self._blocked) > self._max_tracked:  # nobody listed bans for a long time
            self._blocked.intersection_update(self._users)
        logger.warning(
            "Refusing user %r from %s for %.0f s: %d failed %s authentications within %.0f s",
            user, host, seconds, self.max_failures, self.kind, self.window,
        )  # fmt: skip
        return True

    def record_success(self, host: str, user: str) -> None:
        """``user`` proved its password from ``host``: its failures and backoff are forgotten
        (the address's count stays, so one known account buys no guesses at others)."""
        self._users.pop((self.source(host), user), None)

    def failure_count(self, host: str, user: str, now: float) -> int:
        """``user``'s failures from ``host`` still inside the window (for logs and tests)."""
        record = self._users.get((self.source(host), user))
        return 0 if record is None else sum(1 for at in record.failures if now - at <= self.window)

    def bans(self, now: float) -> list[Ban]:
        """Every refusal in force, the longest first."""
        found = [ban for ban in self._banned.values() if now < ban.until]
        for pair in list(self._blocked):
            record = self._users.get(pair)
            if record is None or now >= record.blocked_until:
                self._blocked.discard(pair)  # over, forgotten or lifted
            else:
                found.append(self._block(*pair, record.blocked_until))
        return sorted(found, key=lambda ban: ban.until, reverse=True)

    def lift(self, ban_id: str, now: float) -> Ban | None:
        """End the refusal named ``ban_id`` with a fresh budget; None when none is in force."""
        ban = next((ban for ban in self.bans(now) if ban.id == ban_id), None)
        if ban is None:
            return None
        if ban.user is None:
            del self._banned[ban.source]
            self._addresses.pop(ban.source, None)
        else:
            del self._users[ban.source, ban.user]
        logger.info("Lifted the %s refusal of %s", self.kind, _describe(ban))
        return ban

    def _block(self, source: str, user: str, until: float) -> Ban:
        return Ban(source=source, user=user, reason=BanReason.FAILURES, until=until, kind=self.kind)

    def source(self, host: str) -> str:
        """The address ``host``'s failures are counted under (its /64 for IPv6)."""
        return source_key(host, self._ipv6_prefix)

    def _address_ban(self, source: str, now: float) -> Ban | None:
        ban = self._banned.get(source)
        if ban is None:
            return None
        if now < ban.until:
            return ban
        del self._banned[source]
        logger.info("Accepting %s again (%s): its ban ended", source, self.kind)
        return None

    def _user_record(self, source: str, user: str, now: float) -> _UserRecord:
        record = self._users.pop((source, user), None)
        if record is None or now - record.last_failure > self.window + self.max_backoff:
            record = _UserRecord()  # quiet for long enough: its backoff starts over
        self._users[source, user] = record
        _trim(self._users, self._max_tracked)
        return record

    def _count_against_address(self, source: str, user: str, now: float) -> bool:
        """Count the failure for the whole address; True when that bans it."""
        address = self._addresses.pop(source, None) or _AddressRecord()
        self._addresses[source] = address
        _trim(self._addresses, self._max_tracked)
        _append(address.failures, now, self.window)
        address.users.pop(user, None)
        address.users[user] = now
        for name, at in list(address.users.items()):  # oldest first
            if now - at <= self.window:
                break
            del address.users[name]
        if len(address.users) >= self.scan_users:
            self._ban_address(source, BanReason.SCAN, now)
        elif len(address.failures) >= self.max_address_failures:
            self._ban_address(source, BanReason.RATE, now)
        else:
            return False
        return True

    def _ban_address(self, source: str, reason: BanReason, now: float) -> None:
        ban = Ban(source=source, user=None, reason=reason, until=now + self.ban, kind=self.kind)
        self._banned[source] = ban
        _trim(self._banned, self._max_tracked)
        del self._addresses[source]  # a fresh count once the ban ends
        logger.warning(
            "Refusing %s for %.0f s (%s): %s", _describe(ban), self.ban, self.kind, _WHY[reason]
        )


_WHY = {
    BanReason.FAILURES: "too many failed authentications",
    BanReason.SCAN: "failed authentications for many users (a scan)",
    BanReason.RATE: "failed authentications faster than phones fail",
}


def _describe(ban: Ban) -> str:
    return ban.source if ban.user is None else f"user {ban.user!r} from {ban.source}"


def _append(times: deque[float], now: float, window: float) -> None:
    times.append(now)
    while now - times[0] > window:
        times.popleft()


def _trim(table: OrderedDict[_K, _V], limit: int) -> None:
    while len(table) > limit:
        table.popitem(last=False)


@functools.lru_cache(maxsize=4096)
def source_key(host: str, ipv6_prefix: int) -> str:
    """The address a budget is kept for: one subscriber usually holds a whole IPv6 /64 and
    could otherwise rotate through it. Cached as it is asked on every REGISTER."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.lower()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, ipv6_prefix), strict=False))
    return str(address)
