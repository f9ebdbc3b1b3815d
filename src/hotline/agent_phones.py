"""Agents follow their phones: an agent whose phone has no live registration is unreachable.

The ACD offers no caller to an agent it was told is unreachable (``acd.AgentUnreachable``,
state UNAVAILABLE), logged in or not, static or not, until its phone registers again
(``acd.AgentReachable``). An agent is reachable while at least one of its contacts is live.

A phone stops being reachable in two ways: it unregisters (a REGISTER with expires 0 or
``Contact: *``), which the location announces at once, or its last binding lapses without a
word (a phone switched off), which nothing announces: ``PhoneWatch`` keeps, for each agent, when
its last live binding expires, and asks to be woken then. At start, the bindings restored from
the database decide: an agent without one is unreachable ("not registered") before SIP serves.

``PhoneWatch`` is the sans-IO core (``now`` in, ACD events out, ``next_wakeup``);
``AgentPhones`` wires it to the location, the ACD and the loop's timer. The ACD records each
change (``UNREACHABLE`` with the reason, ``REACHABLE``), so the event log, the store and the
wallboard see it. This module joins ``hotline.sip`` (bindings) and ``hotline.acd``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from heapq import heappop, heappush

from hotline import acd
from hotline.acd import AgentId
from hotline.pbx.clock import Clock, Timer
from hotline.persistent_location import PersistentLocation
from hotline.sip import Binding

__all__ = ["NOT_REGISTERED", "AgentPhones", "PhoneWatch"]

log = logging.getLogger(__name__)

# Why an agent is unreachable, as the ACD's UNREACHABLE record gives it.
NOT_REGISTERED = "not registered"  # at start: no binding survived
UNREGISTERED = "unregistered"  # the phone removed its last binding
EXPIRED = "expired"  # the last binding lapsed without a new REGISTER

Contacts = Callable[[str, float], Sequence[Binding]]
PhoneEvent = acd.AgentUnreachable | acd.AgentReachable


class PhoneWatch:
    """Which agents' phones are live, on explicit ``now`` (wall-clock seconds, as bindings)."""

    def __init__(self, agents: Iterable[str], contacts: Contacts) -> None:
        self._contacts = contacts
        # What the ACD was told; it starts out thinking every agent reachable.
        self._reachable = dict.fromkeys(agents, True)
        self._until: dict[str, float] = {}  # when each agent's last live binding expires
        self._expiries: list[tuple[float, str]] = []  # heap; stale entries skipped

    def start(self, now: float) -> list[PhoneEvent]:
        """The ACD's view at start: agents without a live binding are unreachable."""
        return [e for number in self._reachable if (e := self.check(number, now, NOT_REGISTERED))]

    def check(self, number: str, now: float, reason: str = UNREGISTERED) -> PhoneEvent | None:
        """Look at ``number``'s bindings now; the event to tell the ACD if that changed."""
        told = self._reachable.get(number)
        if told is None:
            return None  # not an agent
        bindings = self._contacts(number, now)
        if bindings:
            until = max(binding.expires_at for binding in bindings)
            if self._until.get(number) != until:
                self._until[number] = until
                heappush(self._expiries, (until, number))
        else:
            self._until.pop(number, None)
        live = bool(bindings)
        if live == told:
            return None
        self._reachable[number] = live
        if live:
            return acd.AgentReachable(agent=AgentId(number))
        return acd.AgentUnreachable(agent=AgentId(number), reason=reason)

    def expire(self, now: float) -> list[PhoneEvent]:
        """Check the agents whose last binding was due to lapse by ``now``."""
        events: list[PhoneEvent] = []
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            until, number = heappop(expiries)
            if self._until.get(number) == until:
                del self._until[number]  # checked afresh: pushed again if renewed
                if (event := self.check(number, now, EXPIRED)) is not None:
                    events.append(event)
        return events

    def next_wakeup(self) -> float | None:
        """When the next agent's last binding lapses (None: no agent has a live binding)."""
        expiries = self._expiries
        while expiries and self._until.get(expiries[0][1]) != expiries[0][0]:
            heappop(expiries)
        return expiries[0][0] if expiries else None


class AgentPhones:
    """``PhoneWatch`` wired to the location (changes), the ACD (``feed``) and a loop timer."""

    def __init__(
        self,
        agents: Iterable[str],
        location: PersistentLocation,
        feed: Callable[[acd.Event], None],
        *,
        clock: Clock,
    ) -> None:
        numbers = tuple(agents)
        self._watch = PhoneWatch(numbers, location.contacts_for)
        self._feed = feed
        self._clock = clock
        # The location files an extension's bindings under this AOR (contacts_for).
        self._numbers = {f"sip:{number}@{location.domain}": number for number in numbers}
        self._timer: Timer | None = None
        self._timer_at: float | None = None  # the wall time the timer is set for
        self._running = False
        location.observe(self._registration_changed)

    def start(self) -> None:
        """Tell the ACD who is unreachable (after the location is loaded, before SIP serves)."""
        self._running = True
        self._tell(self._watch.start(self._clock.wall()))

    def close(self) -> None:
        self._running = False
        self._schedule()

    def _registration_changed(self, aor: str) -> None:
        number = self._numbers.get(aor)
        if number is None or not self._running:
            return
        event = self._watch.check(number, self._clock.wall())
        self._tell([event] if event is not None else [])

    def _expire(self) -> None:
        self._timer = None
        self._tell(self._watch.expire(self._clock.wall()))

    def _tell(self, events: list[PhoneEvent]) -> None:
        for event in events:
            if isinstance(event, acd.AgentUnreachable):
                log.info("agent %s unavailable: phone %s", event.agent, event.reason)
            else:
                log.info("agent %s available again: phone registered", event.agent)
            self._feed(event)
        self._schedule()

    def _schedule(self) -> None:
        """One timer, for the earliest lapse; most REGISTERs renew a later one and leave it."""
        wake = self._watch.next_wakeup() if self._running else None
        if self._timer is not None and wake == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = wake
        if wake is not None:
            delay = max(0.0, wake - self._clock.wall())
            self._timer = self._clock.call_later(delay, self._expire)
