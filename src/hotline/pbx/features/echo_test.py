"""Feature: the echo test (``[features] echo_test``, ``*43`` by default).

The media service has no echo of its own, so the caller's leg is bridged with a leg whose RTP
goes to its own port: what the caller sends comes back through the bridge, rewritten as our
stream. Digits are sent back as RFC 4733 events. The loop leg is attached to the call, so the
core closes it when the call ends.
"""

from __future__ import annotations

import logging

from hotline.config import Config
from hotline.pbx.b2bua import B2bua
from hotline.pbx.calls import Call
from hotline.pbx.moments import Ended, KeyPressed
from hotline.pbx.routing import DestinationKind

__all__ = ["ECHO_TEST", "EchoTest"]

log = logging.getLogger("hotline.pbx")

ECHO_TEST = DestinationKind("echo_test")


class EchoTest:
    def __init__(self, pbx: B2bua, config: Config) -> None:
        self._media = pbx.media
        self._calls: set[str] = set()  # calls in the echo test, by id
        pbx.dialplan.add(ECHO_TEST, [config.features.echo_test])
        pbx.on_route(ECHO_TEST, self._route)
        pbx.moments.subscribe(KeyPressed, self._key_pressed)
        pbx.moments.subscribe(Ended, lambda moment: self._calls.discard(moment.call.id))

    async def _route(self, call: Call) -> None:
        # The echo test is the party called: its answer makes an answered call, by the
        # number dialled (unlike a queue, which answers to hold the caller).
        if not await call.answer(by=call.destination.number):
            return
        loop_leg, offer = await self._media.create_leg()
        call.attach(loop_leg)
        caller = call.caller_media
        if call.ended or caller is None:
            return  # the core closes the attached leg
        self._calls.add(call.id)
        await self._media.apply_answer(loop_leg, offer)
        call.bridged_in_media(await self._media.bridge(caller, loop_leg))
        log.info("call %s: echo test", call.id)

    def _key_pressed(self, moment: KeyPressed) -> None:
        call = moment.call
        if call.id in self._calls and moment.leg == call.caller_media:
            call.spawn(self._media.send_dtmf(moment.leg, moment.digit))
