"""A call we receive: INVITE as UAS (RFC 3261 §13.3): ring, answer, reject, or be cancelled."""

from __future__ import annotations

import logging
from typing import Any

from hotline.sip.address import Peer
from hotline.sip.aio.ua_call import Call, CallFailed, CallState, hold_direction
from hotline.sip.dialog import Dialog
from hotline.sip.message import Request, make_response
from hotline.sip.uri import NameAddress

__all__ = ["IncomingCall"]

log = logging.getLogger("hotline.sip.ua")


class IncomingCall(Call):
    """An INVITE received by the user agent; ``ring``, ``answer`` or ``reject`` it."""

    def __init__(self, *, source: Peer, contact: NameAddress, **call: Any) -> None:
        super().__init__(state=CallState.INCOMING, **call)
        self.source = source
        self.contact = contact

    @property
    def caller(self) -> str:
        """Who calls: the user part of From (the number), else the whole From URI."""
        uri = self.invite.from_address.uri
        return uri.user or str(uri)

    @property
    def offer(self) -> str | None:
        """The SDP offer of the INVITE, None for an INVITE without one (§13.2.1)."""
        return self.invite.body.decode("utf-8", "replace") if self.invite.body else None

    def _unanswered(self) -> None:
        if self.state not in (CallState.INCOMING, CallState.RINGING):
            raise CallFailed(487, f"call is {self.state.value}")

    async def ring(self) -> None:
        """Send 180 Ringing (§13.3.1.1)."""
        self._unanswered()
        response = make_response(self.invite, 180, to_tag=self.local_tag)
        response.headers.set("Contact", str(self.contact))
        self.endpoint.respond(response)
        self.state = CallState.RINGING

    async def answer(self) -> None:
        """Answer with 200 and our SDP (§13.3.1.4), our offer when the INVITE had none; the 2xx
        is retransmitted until the ACK. CallFailed (487) when cancelled meanwhile."""
        self._unanswered()
        offer = self.offer
        try:
            if offer is not None:
                self.remote_sdp = offer
                self.remote_hold = hold_direction(offer) != "sendrecv"
                local = await self.media.answer(offer)
            else:
                local = await self.media.offer()
        except Exception:
            # RFC 3261 §13.3.1.3: an offer we cannot accept is refused with 488
            if self.state is not CallState.ENDED:
                await self.reject(488)
            raise
        self._unanswered()  # a CANCEL may have come while the media was prepared
        response = make_response(self.invite, 200, to_tag=self.local_tag)
        response.headers.set("Contact", str(self.contact))
        self.dialog = Dialog.as_uas(self.invite, response)
        self.dialog.record_response(response)
        self.local_sdp = local
        self.send_success(response, self.invite, self.source)
        self.answered()

    async def reject(self, status: int = 486, reason: str | None = None) -> None:
        """Refuse the call with a final failure, 486 Busy Here by default (§13.3.1.3)."""
        self._unanswered()
        self.endpoint.respond(make_response(self.invite, status, reason, to_tag=self.local_tag))
        await self.end(f"rejected {status}")

    def cancelled(self) -> None:
        """The caller sent CANCEL (§9.2): the layer answered it 200; we answer the INVITE
        487 Request Terminated."""
        if self.state not in (CallState.INCOMING, CallState.RINGING):
            return
        self.endpoint.respond(make_response(self.invite, 487, to_tag=self.local_tag))
        self.spawn(self.end("cancelled by the caller"))

    def receive_ack(self, ack: Request) -> None:
        """The ACK of our 2xx; it carries the answer when we offered in the 2xx (§13.2.1)."""
        super().receive_ack(ack)
        if ack.body and self.offer is None and self.remote_sdp is None:
            self.remote_sdp = ack.body.decode("utf-8", "replace")
            self.spawn(self.media.apply_answer(self.remote_sdp))

    async def hangup(self) -> None:
        """Before the answer, decline (603); after it, BYE."""
        if self.state in (CallState.INCOMING, CallState.RINGING):
            await self.reject(603)
            return
        await super().hangup()
