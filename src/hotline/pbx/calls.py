"""One B2BUA call: the caller's leg, the legs it rings, and the media between them.

The call reacts to its legs' signals (``Ringing``, ``Answered``, ``HungUp`` ...) and decides:
answer the caller, bridge, cancel the other branches, hang up. Media is always anchored: the
caller's SDP is answered by the media server and every leg we ring gets an offer of its own
(RFC 7092 §3.1, a media-relaying B2BUA), so recording and supervision work on any call. SIP
work is synchronous; media commands run in the call's tasks, and every step after an ``await``
checks that the call is still up.

A call starts from an INVITE (``inbound``) or from Hotline itself (``inbound`` None, for
callbacks and click-to-call): then the first branch that answers becomes its ``origin`` and the
next one is bridged with it. The call knows no feature: what a queue, an extension or an echo
test does with it, they do through its moments (``hotline.pbx.moments``), told by its ``core``.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Coroutine
from enum import Enum
from typing import Any, Protocol

from hotline.media import BridgeId, LegId, MediaService, OfferRefused, SdpError
from hotline.pbx.fork import Fork, Verdict
from hotline.pbx.legs import (
    InboundLeg,
    Leg,
    LegState,
    OutboundLeg,
    Signal,
    SipContext,
    ignore_signal,
)
from hotline.pbx.routing import Destination
from hotline.pbx.signals import Answered, DigitReceived, HungUp, Reoffered, Ringing
from hotline.sip.location import Binding
from hotline.sip.uri import NameAddress

__all__ = ["Call", "CallCore", "CallState"]

log = logging.getLogger(__name__)
_ids = itertools.count(1)


class CallState(Enum):
    ROUTING = "routing"
    RINGING = "ringing"  # branches ringing, caller not answered
    ANSWERED = "answered"  # caller answered by Hotline (queue, echo, feature)
    BRIDGED = "bridged"
    ENDED = "ended"


class CallCore(Protocol):
    """What a call needs from the B2BUA that carries it (``hotline.pbx.b2bua.B2bua``)."""

    @property
    def sip(self) -> SipContext: ...

    @property
    def media(self) -> MediaService: ...

    def spawn(self, call: Call, coroutine: Coroutine[Any, Any, None]) -> None: ...

    def attach(self, call: Call, leg: LegId) -> None: ...

    async def close_media(self, call: Call | None, legs: list[LegId]) -> None: ...

    def answered(self, call: Call, by: str) -> None: ...

    def branch_answered(self, call: Call, leg: OutboundLeg) -> bool: ...

    def branch_failed(self, call: Call, leg: OutboundLeg, status: int) -> None: ...

    def bridged(self, call: Call, leg: OutboundLeg) -> None: ...

    def hold_changed(self, call: Call, on_hold: bool) -> None: ...

    def ended(self, call: Call, cause: str, *, by_peer: bool) -> None: ...


class Call:
    """A call from ``caller`` to ``destination``; ``extension`` is the authenticated caller."""

    def __init__(
        self,
        core: CallCore,
        inbound: InboundLeg | None,
        destination: Destination,
        *,
        caller: str,
        extension: str | None = None,
        trunk: str | None = None,
    ) -> None:
        self.id = f"c{next(_ids)}"
        self.core = core
        self.inbound = inbound
        self.origin: OutboundLeg | None = None  # the first party of a call Hotline placed
        self.destination = destination
        self.caller = caller
        self.extension = extension
        self.trunk = trunk
        self.state = CallState.ROUTING
        self.fork: Fork[OutboundLeg] = Fork()
        self.peer: OutboundLeg | None = None  # the answered leg we are bridged with
        self.bridge: BridgeId | None = None
        self.attached: list[LegId] = []  # media legs features added (closed at the end)
        self.hang_up_after_playback = False
        self.answer_sdp = ""

    def __repr__(self) -> str:
        return f"<Call {self.id} {self.caller}->{self.destination.number} {self.state.value}>"

    @property
    def ended(self) -> bool:
        return self.state is CallState.ENDED

    @property
    def caller_leg(self) -> Leg | None:
        return self.inbound if self.inbound is not None else self.origin

    @property
    def caller_media(self) -> LegId | None:
        """The media leg of the caller's side (None before it has one)."""
        leg = self.caller_leg
        return leg.media if leg is not None else None

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a media step of this call; a failure ends the call (see ``B2bua.spawn``)."""
        self.core.spawn(self, coroutine)

    def attach(self, leg: LegId) -> None:
        """A media leg a feature opened for this call: its events reach the call, and it is
        closed when the call ends (at once if it has ended meanwhile)."""
        if self.ended:
            self.spawn(self.core.close_media(self, [leg]))
            return
        self.attached.append(leg)
        self.core.attach(self, leg)

    # -- media of the caller ---------------------------------------------------------------

    async def open_caller_media(self) -> str | None:
        """Answer the caller's offer with a media leg; None (after a 488/400) when refused."""
        assert self.inbound is not None
        sdp = self.inbound.request.body.decode("utf-8", "replace")
        try:
            leg, answer = await self.core.media.open_leg(sdp)
        except OfferRefused:
            self.end("incompatible_media", status=488)
            return None
        except SdpError:
            self.end("bad_sdp", status=400)
            return None
        self.inbound.media = leg
        self.core.attach(self, leg)
        if self.ended:
            await self.core.close_media(self, [leg])
            return None
        self.answer_sdp = answer
        return answer

    async def answer(self, by: str = "hotline") -> bool:
        """Answer the caller ourselves: ``by`` "hotline" to hold the caller for someone else
        (queue, IVR), or the party that serves the caller itself (the echo test, by the
        number dialled), which makes the call an answered one."""
        answer = await self.open_caller_media()
        if answer is None:
            return False
        assert self.inbound is not None
        self.inbound.respond(200, answer)
        self.state = CallState.ANSWERED
        self.core.answered(self, by)
        return True

    def bridged_in_media(self, bridge: BridgeId) -> None:
        """The caller's media is bridged by a feature (the echo test's loop)."""
        self.bridge = bridge
        self.state = CallState.BRIDGED

    # -- ringing phones --------------------------------------------------------------------

    async def ring(self, targets: list[tuple[str, Binding]]) -> list[OutboundLeg]:
        """INVITE every (number, contact) at once, each with its own media offer. The offers
        are made first and the INVITEs leave together, so ring-all rings every phone in the
        same instant."""
        offers = []
        for _, _binding in targets:
            media, offer = await self.core.media.create_leg()
            self.core.attach(self, media)
            offers.append((media, offer))
        if self.ended:
            await self.core.close_media(self, [media for media, _ in offers])
            return []
        sip = self.core.sip
        legs = []
        for (number, binding), (media, _offer) in zip(targets, offers, strict=True):
            leg = OutboundLeg(
                sip,
                target=binding.contact.uri,
                destination=binding.destination,
                caller=NameAddress.parse(f"<sip:{self.caller}@{sip.domain}>"),
                callee=NameAddress.parse(f"<sip:{number}@{sip.domain}>"),
                on_signal=self.on_signal,
                label=number,
            )
            leg.media = media
            self.fork.add(leg)
            legs.append(leg)
        for leg, (_, offer) in zip(legs, offers, strict=True):
            leg.invite(offer)
        return legs

    def withdraw(self, leg: OutboundLeg) -> None:
        """Stop ringing a branch the call no longer wants (CANCEL, or BYE if answered)."""
        self.fork.cancel(leg)
        leg.hang_up()

    # -- signals -----------------------------------------------------------------------------

    def on_signal(self, signal: Signal) -> None:
        if isinstance(signal, Ringing):
            if self.state is CallState.RINGING and self.inbound is not None:
                self.inbound.respond(180)
        elif isinstance(signal, Answered):
            self._answered(signal.leg, signal.sdp)
        elif isinstance(signal, HungUp):
            self._hung_up(signal)
        elif isinstance(signal, Reoffered):
            self.spawn(self._reoffered(signal))
        elif isinstance(signal, DigitReceived) and signal.leg.media is not None:
            self.core.media.feed_info_digit(signal.leg.media, signal.digit, signal.duration_ms)

    def _answered(self, leg: OutboundLeg, sdp: str) -> None:
        if self.ended or self.fork.answered(leg) is Verdict.LOSE:
            log.info("call %s: %s answered too late, hanging it up", self.id, leg.label)
            leg.hang_up()
            return
        if not self.core.branch_answered(self, leg):
            self.fork.withdraw(leg)
            leg.hang_up()
            return
        if self.caller_leg is None:
            self.spawn(self._originated(leg, sdp))
            return
        self.peer = leg
        self._cancel_losers()
        self.spawn(self._connect(leg, sdp))

    def _cancel_losers(self) -> None:
        for loser in self.fork.losers():
            self.fork.cancel(loser)
            loser.hang_up()

    async def _originated(self, leg: OutboundLeg, sdp: str) -> None:
        """The first party of a call Hotline placed answered: it is the caller's side now,
        and the next branch rung is a new fork."""
        self.origin = leg
        self._cancel_losers()
        self.fork = Fork()
        assert leg.media is not None
        await self._apply_answer(leg.media, sdp)
        if not self.ended:
            self.state = CallState.ANSWERED
            self.core.answered(self, leg.label)

    async def _apply_answer(self, media: LegId, sdp: str) -> None:
        try:
            await self.core.media.apply_answer(media, sdp)
        except (OfferRefused, SdpError):
            self.end("incompatible_media")

    async def _connect(self, leg: OutboundLeg, sdp: str) -> None:
        caller = self.caller_media
        assert leg.media is not None and caller is not None
        await self._apply_answer(leg.media, sdp)
        if self.ended:
            return
        if self.inbound is not None and self.inbound.state is not LegState.CONFIRMED:
            self.inbound.respond(200, self.answer_sdp)
            self.core.answered(self, leg.label)
        media = self.core.media
        await media.stop_playback(caller)
        self.bridge = await media.bridge(caller, leg.media)
        self.state = CallState.BRIDGED
        self.core.bridged(self, leg)
        log.info("call %s: %s bridged with %s", self.id, self.caller, leg.label)

    def _hung_up(self, signal: HungUp[Leg]) -> None:
        leg = signal.leg
        if leg is self.caller_leg or leg is self.peer:
            cause = "caller_hangup" if leg is self.caller_leg else "callee_hangup"
            self.end("dead" if signal.dead else cause, by_peer=leg is self.peer)
            return
        assert isinstance(leg, OutboundLeg)
        self.fork.failed(leg, signal.status)
        if leg.media is not None:
            self.spawn(self.core.close_media(self, [leg.media]))
        self.core.branch_failed(self, leg, signal.status)

    async def _reoffered(self, signal: Reoffered[Leg]) -> None:
        """Hold and resume (RFC 3264 §8.4, RFC 6337 §5.3): answer on the leg's own media,
        and play music to the other party while one holds."""
        leg = signal.leg
        if leg.media is None:
            leg.answer_reoffer(None)
            return
        try:
            answer = await self.core.media.update_leg(leg.media, signal.sdp)
        except (OfferRefused, SdpError):
            leg.answer_reoffer(None)
            return
        leg.answer_reoffer(answer)
        if signal.on_hold == leg.holding:
            return  # a refresh (session timer) or a new codec: hold unchanged
        leg.holding = signal.on_hold
        action = "holds" if signal.on_hold else "resumes"
        log.info("call %s: %s %s", self.id, _name(self, leg), action)
        self.core.hold_changed(self, signal.on_hold)
        other = self.peer if leg is self.caller_leg else self.caller_leg
        if other is not None and other.media is not None and self.bridge is not None:
            if signal.on_hold:
                await self.core.media.play_moh(other.media)
            else:
                await self.core.media.stop_playback(other.media)

    # -- the end -------------------------------------------------------------------------

    def end(self, cause: str, *, status: int = 480, by_peer: bool = False) -> None:
        """Hang up every leg (BYE, CANCEL or the failure ``status``) and free the media,
        including the legs features attached."""
        if self.ended:
            return
        self.state = CallState.ENDED
        if self.inbound is not None:
            self.inbound.hang_up(status)
        legs: list[Leg] = [leg for leg in (self.inbound, self.origin) if leg is not None]
        for branch in list(self.fork.branches):
            branch.hang_up()
        if self.origin is not None:
            self.origin.hang_up()
        legs.extend(self.fork.branches)
        media = [leg.media for leg in legs if leg.media is not None]
        media.extend(leg for leg in self.attached if leg not in media)
        self.core.ended(self, cause, by_peer=by_peer)
        self.spawn(self.core.close_media(self, media))
        self._let_go_of_legs()

    def _let_go_of_legs(self) -> None:
        """Each leg reaches its call through ``on_signal`` and the call reaches its legs: a
        cycle, which only the garbage collector's full pass frees (and the tuned thresholds
        make that pass rare), so every ended call stayed with its legs' dialogs, INVITEs and
        SDP. What a leg signals after the end is moot (its media is closing, its offers
        withdrawn), so the legs forget the call and reference counting frees it."""
        for leg in (self.inbound, self.origin, *self.fork.branches):
            if leg is not None:
                leg.on_signal = ignore_signal


def _name(call: Call, leg: Leg) -> str:
    return call.caller if leg is call.caller_leg or not isinstance(leg, OutboundLeg) else leg.label
