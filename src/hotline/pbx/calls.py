"""One B2BUA call: the caller's leg, the legs it rings, and the media between them.

The call reacts to its legs' signals (``Ringing``, ``Answered``, ``HungUp`` ...) and to media
events, and decides: answer the caller, bridge, cancel the other branches, hang up. Media is
always anchored: the caller's SDP is answered by the media server and every leg we ring gets
an offer of its own (RFC 7092 §3.1, a media-relaying B2BUA), so recording and supervision work
on any call. SIP work is synchronous; media commands run in the call's tasks, and every step
after an ``await`` checks that the call is still up.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Coroutine
from enum import Enum
from typing import TYPE_CHECKING, Any

from hotline.events import CallHoldChanged
from hotline.media import BridgeId, LegId, OfferRefused, SdpError, UnknownId
from hotline.pbx.fork import Fork, Verdict
from hotline.pbx.legs import InboundLeg, LegState, OutboundLeg
from hotline.pbx.routing import Destination
from hotline.pbx.signals import Answered, DigitReceived, HungUp, Reoffered, Ringing, Signal
from hotline.sip.location import Binding
from hotline.sip.uri import NameAddress

if TYPE_CHECKING:
    from hotline.pbx.b2bua import Pbx

__all__ = ["Call", "CallState"]

log = logging.getLogger(__name__)
_ids = itertools.count(1)


class CallState(Enum):
    ROUTING = "routing"
    RINGING = "ringing"  # branches ringing, caller not answered
    ANSWERED = "answered"  # caller answered by Hotline (queue, echo, feature)
    BRIDGED = "bridged"
    ENDED = "ended"


class Call:
    """A call from ``caller`` to ``destination``; ``extension`` is the authenticated caller."""

    def __init__(
        self,
        pbx: Pbx,
        request_leg: InboundLeg,
        destination: Destination,
        *,
        caller: str,
        extension: str | None,
        trunk: str | None,
    ) -> None:
        self.id = f"c{next(_ids)}"
        self.pbx = pbx
        self.inbound = request_leg
        self.destination = destination
        self.caller = caller
        self.extension = extension
        self.trunk = trunk
        self.state = CallState.ROUTING
        self.fork: Fork[OutboundLeg] = Fork()
        self.peer: OutboundLeg | None = None  # the answered leg we are bridged with
        self.bridge: BridgeId | None = None
        self.echo_leg: LegId | None = None
        self.queue: str | None = None  # the queue the caller waits in
        self.agent: str | None = None  # the agent of a connected queue call
        self.hang_up_after_playback = False
        self.answer_sdp = ""
        self._ring_timer: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        return f"<Call {self.id} {self.caller}->{self.destination.number} {self.state.value}>"

    @property
    def ended(self) -> bool:
        return self.state is CallState.ENDED

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        # The loop keeps only weak references to tasks: the node's set holds them until done.
        tasks = self.pbx.tasks
        task = asyncio.get_running_loop().create_task(self._guard(coroutine))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _guard(self, coroutine: Coroutine[Any, Any, None]) -> None:
        try:
            await coroutine
        except (UnknownId, ValueError, OSError) as error:
            # A leg closed under our feet (the call ended meanwhile), no port was free or the
            # media process is being replaced: the last two pass, hence 503 (try again).
            if not self.ended:
                log.warning("call %s: media step failed: %s", self.id, error)
                self.end("media_failure", status=503 if isinstance(error, OSError) else 500)
        except Exception:  # our bug: say so, and never leave the legs half open
            log.exception("call %s: call control failed", self.id)
            self.end("internal_error", status=500)

    # -- media of the caller ---------------------------------------------------------------

    async def open_caller_media(self) -> str | None:
        """Answer the caller's offer with a media leg; None (after a 488/400) when refused."""
        sdp = self.inbound.request.body.decode("utf-8", "replace")
        try:
            leg, answer = await self.pbx.media.open_leg(sdp)
        except OfferRefused:
            self.end("incompatible_media", status=488)
            return None
        except SdpError:
            self.end("bad_sdp", status=400)
            return None
        self.inbound.media = leg
        self.pbx.by_media[leg] = self
        if self.ended:
            await self.pbx.close_media(self, [leg])
            return None
        self.answer_sdp = answer
        return answer

    async def answer(self) -> bool:
        """Answer the caller ourselves (queue, echo test, feature code)."""
        answer = await self.open_caller_media()
        if answer is None:
            return False
        self.inbound.respond(200, answer)
        self.state = CallState.ANSWERED
        self.pbx.call_answered(self, "hotline")
        return True

    # -- ringing phones --------------------------------------------------------------------

    async def ring(self, targets: list[tuple[str, Binding]]) -> list[OutboundLeg]:
        """INVITE every (number, contact) at once, each with its own media offer. The offers
        are made first and the INVITEs leave together, so ring-all rings every phone in the
        same instant."""
        offers = []
        for _, _binding in targets:
            media, offer = await self.pbx.media.create_leg()
            self.pbx.by_media[media] = self
            offers.append((media, offer))
        if self.ended:
            await self.pbx.close_media(self, [media for media, _ in offers])
            return []
        legs = []
        for (number, binding), (media, _offer) in zip(targets, offers, strict=True):
            leg = OutboundLeg(
                self.pbx.sip,
                target=binding.contact.uri,
                destination=binding.source,
                caller=NameAddress.parse(f"<sip:{self.caller}@{self.pbx.sip.domain}>"),
                callee=NameAddress.parse(f"<sip:{number}@{self.pbx.sip.domain}>"),
                on_signal=self.on_signal,
                label=number,
            )
            leg.media = media
            self.fork.add(leg)
            legs.append(leg)
        for leg, (_, offer) in zip(legs, offers, strict=True):
            leg.invite(offer)
        return legs

    async def call_extension(self, number: str, *, answered: bool = False) -> None:
        """Ring an extension's phones; the first to answer is bridged with the caller."""
        if self.ended:  # a failover spawned just before the caller hung up
            return
        bindings = self.pbx.contacts(number)
        if not bindings:
            log.info("call %s: extension %s has no registered phone", self.id, number)
            self.end("unavailable", status=480)
            return
        if not answered and await self.open_caller_media() is None:
            return
        self.state = CallState.RINGING if not answered else self.state
        if self.agent is None:
            # An agent whose phone rings for a private call is busy for the queues already:
            # an offer now would ring a phone that is about to be answered.
            self.pbx.presence.busy(self.id, number)
        await self.ring([(number, binding) for binding in bindings])
        loop = asyncio.get_running_loop()
        # Registered phones belong to configured extensions, so the number has its own time.
        seconds = self.pbx.extension_ring_seconds[number]
        self._ring_timer = loop.call_later(seconds, self._no_answer)

    def _no_answer(self) -> None:
        if self.peer is None and not self.ended:
            self.end("no_answer", status=480)

    # -- signals -----------------------------------------------------------------------------

    def on_signal(self, signal: Signal) -> None:
        if isinstance(signal, Ringing):
            if self.state is CallState.RINGING:
                self.inbound.respond(180)
        elif isinstance(signal, Answered):
            self._answered(signal)
        elif isinstance(signal, HungUp):
            self._hung_up(signal)
        elif isinstance(signal, Reoffered):
            self.spawn(self._reoffered(signal))
        elif isinstance(signal, DigitReceived) and signal.leg.media is not None:
            self.pbx.media.feed_info_digit(signal.leg.media, signal.digit, signal.duration_ms)

    def _answered(self, signal: Answered) -> None:
        leg = signal.leg
        if self.ended or self.fork.answered(leg) is Verdict.LOSE:
            log.info("call %s: %s answered too late, hanging it up", self.id, leg.label)
            leg.hang_up()
            return
        if self.queue is not None and not self.pbx.queues.agent_answered(self, leg):
            return
        self.peer = leg
        self._cancel_losers()
        self.spawn(self._connect(leg, signal.sdp))

    def _cancel_losers(self) -> None:
        for loser in self.fork.losers():
            self.fork.cancel(loser)
            loser.hang_up()

    async def _connect(self, leg: OutboundLeg, sdp: str) -> None:
        assert leg.media is not None and self.inbound.media is not None
        try:
            await self.pbx.media.apply_answer(leg.media, sdp)
        except (OfferRefused, SdpError):
            self.end("incompatible_media")
            return
        if self.ended:
            return
        if self.inbound.state is not LegState.CONFIRMED:
            self.inbound.respond(200, self.answer_sdp)
            self.pbx.call_answered(self, leg.label)
        await self.pbx.media.stop_playback(self.inbound.media)
        self.bridge = await self.pbx.media.bridge(self.inbound.media, leg.media)
        self.state = CallState.BRIDGED
        if self.agent is None:
            self.pbx.presence.busy(self.id, leg.label)  # a private call: agents are busy on it
        if self._ring_timer is not None:
            self._ring_timer.cancel()
        log.info("call %s: %s bridged with %s", self.id, self.caller, leg.label)

    def _hung_up(self, signal: HungUp) -> None:
        leg = signal.leg
        if leg is self.inbound or leg is self.peer:
            cause = (
                "dead"
                if signal.dead
                else ("caller_hangup" if leg is self.inbound else "callee_hangup")
            )
            self.end(cause, by_agent=leg is self.peer)
            return
        assert isinstance(leg, OutboundLeg)
        self.fork.failed(leg, signal.status)
        if leg.media is not None:
            self.spawn(self.pbx.close_media(self, [leg.media]))
        if self.queue is not None:
            self.pbx.queues.branch_failed(self, leg, signal.status)
        elif self.fork.exhausted and self.peer is None and not self.ended:
            self.end("no_answer", status=self.fork.final_status())

    async def _reoffered(self, signal: Reoffered) -> None:
        """Hold and resume (RFC 3264 §8.4, RFC 6337 §5.3): answer on the leg's own media,
        and play music to the other party while one holds."""
        leg = signal.leg
        if leg.media is None:
            leg.answer_reoffer(None)
            return
        try:
            answer = await self.pbx.media.update_leg(leg.media, signal.sdp)
        except (OfferRefused, SdpError):
            leg.answer_reoffer(None)
            return
        leg.answer_reoffer(answer)
        action = "holds" if signal.on_hold else "resumes"
        log.info("call %s: %s %s", self.id, _name(self, leg), action)
        self.pbx.bus.publish(
            CallHoldChanged(
                call_id=self.pbx.record_id(self.id), on_hold=signal.on_hold, at=self.pbx.wall()
            )
        )
        other = self.peer if leg is self.inbound else self.inbound
        if other is not None and other.media is not None and self.bridge is not None:
            if signal.on_hold:
                await self.pbx.media.play_moh(other.media)
            else:
                await self.pbx.media.stop_playback(other.media)

    # -- the end -------------------------------------------------------------------------

    def end(self, cause: str, *, status: int = 480, by_agent: bool = False) -> None:
        """Hang up every leg (BYE, CANCEL or the failure ``status``) and free the media."""
        if self.ended:
            return
        previous, self.state = self.state, CallState.ENDED
        if self._ring_timer is not None:
            self._ring_timer.cancel()
        self.inbound.hang_up(status)
        for leg in list(self.fork.branches):
            leg.hang_up()
        media = [leg.media for leg in (self.inbound, *self.fork.branches) if leg.media is not None]
        if self.echo_leg is not None:
            media.append(self.echo_leg)
        self.pbx.call_ended(self, cause, previous, by_agent=by_agent)
        self.spawn(self.pbx.close_media(self, media))
        self._let_go_of_legs()

    def _let_go_of_legs(self) -> None:
        """Each leg reaches its call through ``on_signal`` and the call reaches its legs: a
        cycle, which only the garbage collector's full pass frees (and the tuned thresholds
        make that pass rare), so every ended call stayed with its legs' dialogs, INVITEs and
        SDP. What a leg signals after the end is moot (its media is closing, its offers
        withdrawn), so the legs forget the call and reference counting frees it."""
        for leg in (self.inbound, *self.fork.branches):
            leg.on_signal = _ignore_signal


def _ignore_signal(signal: Signal) -> None:
    """What a leg tells a call that has ended."""


def _name(call: Call, leg: InboundLeg | OutboundLeg) -> str:
    return call.caller if isinstance(leg, InboundLeg) else leg.label
