"""Feature: agents on calls the ACD does not place. A private call makes an agent busy for the
queues: its caller when an agent calls out, its callee while an agent's phone rings for it.

An agent may be on several such calls (one per phone line); the ACD hears
``AgentBusyElsewhere`` when the first starts and ``AgentFreeAgain`` when the last ends.
"""

from __future__ import annotations

from collections.abc import Callable

from hotline.acd import AgentBusyElsewhere, AgentFreeAgain, AgentId, Event
from hotline.pbx.b2bua import B2bua
from hotline.pbx.calls import Call
from hotline.pbx.moments import Released, Routed

__all__ = ["Presence", "PrivateCalls"]


class Presence:
    """Counts each agent's private calls and tells the ACD about the edges."""

    def __init__(self, agents: set[str], feed: Callable[[Event], None]) -> None:
        self._agents = agents
        self._feed = feed
        self._counts: dict[str, int] = {}
        self._calls: dict[str, set[str]] = {}

    def busy(self, call_id: str, number: str) -> None:
        """``number`` takes part in the call ``call_id``."""
        numbers = self._calls.setdefault(call_id, set())
        if number not in self._agents or number in numbers:
            return
        numbers.add(number)
        self._counts[number] = self._counts.get(number, 0) + 1
        if self._counts[number] == 1:
            self._feed(AgentBusyElsewhere(agent=AgentId(number)))

    def call_ended(self, call_id: str) -> None:
        for number in self._calls.pop(call_id, set()):
            self._counts[number] -= 1
            if self._counts[number] == 0:
                del self._counts[number]
                self._feed(AgentFreeAgain(agent=AgentId(number)))

    def on_calls(self, number: str) -> int:
        return self._counts.get(number, 0)


class PrivateCalls:
    """The feature: ``Presence`` told of the calls agents make and the calls that ring them
    (``ringing``, given to extension ringing), and of their release."""

    def __init__(self, pbx: B2bua, agents: set[str], feed: Callable[[Event], None]) -> None:
        self.presence = Presence(agents, feed)
        pbx.moments.subscribe(Routed, self._routed)
        pbx.moments.subscribe(Released, lambda moment: self.presence.call_ended(moment.call.id))

    def _routed(self, moment: Routed) -> None:
        call = moment.call
        if call.extension is not None and not moment.destination.kind.service:
            self.presence.busy(call.id, call.extension)

    def ringing(self, call: Call, number: str) -> None:
        self.presence.busy(call.id, number)
