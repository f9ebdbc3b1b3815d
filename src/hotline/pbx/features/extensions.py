"""Feature: calling an extension rings all its registered phones; the first to answer is
bridged with the caller, and nobody answering within the extension's ``ring_timeout`` (or every
phone refusing) ends the call with 480 (or busy, as RFC 3261 §16.7 step 6 picks)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from hotline.config import Config
from hotline.pbx.b2bua import B2bua
from hotline.pbx.calls import Call, CallState
from hotline.pbx.clock import Timer
from hotline.pbx.moments import BranchFailed, Bridged, Ended
from hotline.pbx.routing import DestinationKind

__all__ = ["EXTENSION", "ExtensionRinging"]

log = logging.getLogger("hotline.pbx.calls")

EXTENSION = DestinationKind("extension", from_trunks=True)


class ExtensionRinging:
    """Rings extensions; ``on_ring`` hears which extension a call rings (private-call busy)."""

    def __init__(
        self, pbx: B2bua, config: Config, *, on_ring: Callable[[Call, str], None] | None = None
    ) -> None:
        self._pbx = pbx
        # How long a call to each extension rings before the caller hears 480.
        self._ring_seconds = {e.number: e.ring_timeout for e in config.extensions}
        self._on_ring = on_ring
        self._timers: dict[str, Timer] = {}  # by call id, while its extension rings
        pbx.dialplan.add(EXTENSION, self._ring_seconds)
        pbx.on_route(EXTENSION, self._route)
        pbx.moments.subscribe(BranchFailed, self._branch_failed)
        pbx.moments.subscribe(Bridged, self._stop_timer)
        pbx.moments.subscribe(Ended, self._stop_timer)

    async def _route(self, call: Call) -> None:
        await self.call(call, call.destination.number)

    async def call(self, call: Call, number: str, *, answered: bool = False) -> None:
        """Ring an extension's phones; the first to answer is bridged with the caller.
        ``answered``: the caller has been answered already (a queue's failover)."""
        if call.ended:  # a failover spawned just before the caller hung up
            return
        bindings = self._pbx.contacts(number)
        if not bindings:
            log.info("call %s: extension %s has no registered phone", call.id, number)
            call.end("unavailable", status=480)
            return
        if not answered and await call.open_caller_media() is None:
            return
        if not answered:
            call.state = CallState.RINGING
        if self._on_ring is not None:
            self._on_ring(call, number)
        await call.ring([(number, binding) for binding in bindings])
        # Registered phones belong to configured extensions, so the number has its own time.
        timer = self._pbx.clock.call_later(
            self._ring_seconds[number], lambda: self._no_answer(call)
        )
        self._timers[call.id] = timer

    def _no_answer(self, call: Call) -> None:
        self._timers.pop(call.id, None)
        if call.peer is None and not call.ended:
            call.end("no_answer", status=480)

    def _branch_failed(self, moment: BranchFailed) -> None:
        call = moment.call
        exhausted = call.fork.exhausted and call.peer is None
        if call.id in self._timers and exhausted and not call.ended:
            call.end("no_answer", status=call.fork.final_status())

    def _stop_timer(self, moment: Bridged | Ended) -> None:
        timer = self._timers.pop(moment.call.id, None)
        if timer is not None:
            timer.cancel()
