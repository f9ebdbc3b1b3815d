"""One call of the user agent: what both directions share once a dialog exists.

The dialog itself (RFC 3261 §12) is ``hotline.sip.dialog.Dialog``; this module adds what a user
agent does with it: BYE either way (§15), re-INVITE hold and resume (RFC 3264 §8.4), INFO
(RFC 6086) and the retransmission of a 2xx to INVITE until its ACK (§13.3.1.4).
:class:`~hotline.sip.aio.ua_outgoing.OutgoingCall` and
:class:`~hotline.sip.aio.ua_incoming.IncomingCall` build on it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from hotline.sip.address import Peer
from hotline.sip.aio.endpoint import SipEndpoint
from hotline.sip.dialog import AckTimedOut, Dialog, DialogState, SuccessRetransmitter
from hotline.sip.headers import Via
from hotline.sip.message import Request, Response, make_response
from hotline.sip.transaction_layer import response_destination

__all__ = [
    "Call",
    "CallFailed",
    "CallMedia",
    "CallState",
    "InfoReceived",
    "hold_direction",
    "transact",
    "with_direction",
]

log = logging.getLogger("hotline.sip.ua")

SDP = "application/sdp"


class CallMedia(Protocol):
    """The media side of one call, so the user agent needs no media engine (RFC 3264).

    ``offer`` makes our offer (outgoing INVITE), ``answer`` answers the peer's offer (incoming
    INVITE or re-INVITE, called again for each), ``apply_answer`` applies the answer to our
    offer, ``close`` releases everything when the call ends.
    """

    async def offer(self) -> str: ...

    async def answer(self, offer: str) -> str: ...

    async def apply_answer(self, answer: str) -> None: ...

    async def close(self) -> None: ...


class CallState(Enum):
    """Where a call is, from the user agent's side."""

    CALLING = "Calling"  # INVITE sent, nothing heard yet but 100
    INCOMING = "Incoming"  # INVITE received, not answered yet
    RINGING = "Ringing"  # 180/183 received (outgoing) or sent (incoming)
    ANSWERED = "Answered"  # 2xx sent or received: the session is up
    ENDED = "Ended"


class CallFailed(Exception):
    """The INVITE got a final failure (or the call ended before an answer); ``retry_after``:
    the seconds after which the server asks to be tried again (its Retry-After), if it said."""

    def __init__(self, status: int, reason: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.retry_after = retry_after

    @classmethod
    def of(cls, response: Response) -> CallFailed:
        # Retry-After: delta-seconds, then an optional comment and parameters (§20.33).
        found = re.match(r"\s*(\d+)", response.headers.get("Retry-After") or "")
        retry_after = int(found[1]) if found else None
        return cls(response.status, response.reason, retry_after=retry_after)


@dataclass(frozen=True, slots=True, kw_only=True)
class InfoReceived:
    """An INFO request received in the dialog (RFC 6086), e.g. application/dtmf-relay."""

    content_type: str | None
    body: bytes


def transact(
    endpoint: SipEndpoint,
    request: Request,
    destination: Peer,
    on_provisional: Callable[[Response], None] | None = None,
) -> asyncio.Future[Response]:
    """Send ``request`` in a client transaction; the future holds its final response (a
    timeout arrives as the endpoint's local 408 or 503, RFC 3261 §8.1.3.1)."""
    future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()

    def handle(response: Response) -> None:
        if response.status < 200:
            if on_provisional is not None:
                on_provisional(response)
        elif not future.done():
            future.set_result(response)

    endpoint.send_request(request, destination, handle)
    return future


_DIRECTIONS = ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive")


def hold_direction(sdp: str) -> str:
    """The direction attribute of an SDP (RFC 3264 §5.1), ``inactive`` for the RFC 2543 hold
    form ``c=IN IP4 0.0.0.0``; sendrecv when none is given."""
    lines = sdp.splitlines()
    if "c=IN IP4 0.0.0.0" in lines:
        return "inactive"
    found = [line[2:] for line in lines if line in _DIRECTIONS]
    return found[-1] if found else "sendrecv"


def with_direction(sdp: str, direction: str) -> str:
    """``sdp`` with every direction attribute set to ``direction`` and the o= version raised,
    as a modified offer must be (RFC 3264 §8)."""
    out: list[str] = []
    placed = False
    for line in sdp.splitlines():
        if line in _DIRECTIONS:
            line, placed = f"a={direction}", True
        elif line.startswith("o="):
            fields = line.split(" ")
            if len(fields) >= 3 and fields[2].isdigit():
                fields[2] = str(int(fields[2]) + 1)
            line = " ".join(fields)
        out.append(line)
    if not placed:
        out.append(f"a={direction}")
    return "\r\n".join(out) + "\r\n"


class Call:
    """A call with the dialog once it exists; see OutgoingCall and IncomingCall."""

    def __init__(
        self,
        *,
        endpoint: SipEndpoint,
        peer: Peer,
        media: CallMedia,
        via: Callable[[], Via],
        invite: Request,
        state: CallState,
        local_tag: str,
        on_end: Callable[[Call], None],
    ) -> None:
        self.endpoint = endpoint
        self.peer = peer  # every request of the call goes here (the server, as outbound proxy)
        self.media = media
        self.invite = invite
        self.call_id = invite.call_id
        self.local_tag = local_tag  # our From tag (outgoing) or To tag (incoming)
        self.state = state
        self.dialog: Dialog | None = None
        self.local_sdp: str | None = None
        self.remote_sdp: str | None = None
        self.remote_hold = False
        self.local_hold = False
        self.end_reason = ""
        self.via = via
        self._on_end = on_end
        loop = asyncio.get_running_loop()
        self._answered: asyncio.Future[None] = loop.create_future()
        self._ended = asyncio.Event()
        self._infos: asyncio.Queue[InfoReceived] = asyncio.Queue()
        self._retransmitters: list[SuccessRetransmitter] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.call_id} {self.state.name}>"

    # -- waiting ---------------------------------------------------------------------------

    async def wait_answered(self) -> None:
        """Until the call is answered; raises CallFailed with the final status otherwise."""
        await asyncio.shield(self._answered)

    async def wait_ended(self) -> None:
        """Until the call has ended, by either side."""
        await self._ended.wait()

    @property
    def ended(self) -> bool:
        return self.state is CallState.ENDED

    async def next_info(self) -> InfoReceived:
        """The next INFO the peer sent in this call."""
        return await self._infos.get()

    # -- what we send in the dialog -----------------------------------------------------------

    async def request(
        self, method: str, body: bytes = b"", content_type: str | None = None
    ) -> Response:
        """Send an in-dialog request (RFC 3261 §12.2.1.1) and return its final response."""
        dialog = self._confirmed_dialog()
        request = dialog.create_request(
            method, via=self.via(), body=body, content_type=content_type
        )
        response = await transact(self.endpoint, request, self.peer)
        dialog.receive_response(response)
        return response

    async def send_info(self, body: bytes, content_type: str = "application/dtmf-relay") -> int:
        """Send INFO (RFC 6086) and return the status of its answer."""
        return (await self.request("INFO", body, content_type)).status

    async def hold(self) -> int:
        """Put the peer on hold: re-INVITE with a=sendonly (RFC 3264 §8.4). Returns the status."""
        return await self._reinvite("sendonly")

    async def resume(self) -> int:
        """Take the peer off hold: re-INVITE with a=sendrecv."""
        return await self._reinvite("sendrecv")

    async def _reinvite(self, direction: str) -> int:
        assert self.local_sdp is not None
        sdp = with_direction(self.local_sdp, direction)
        response = await self.request("INVITE", sdp.encode(), SDP)
        if 200 <= response.status < 300:
            dialog = self._confirmed_dialog()
            self.endpoint.send_stateless(dialog.create_ack(response, via=self.via()), self.peer)
            self.local_sdp = sdp
            self.local_hold = direction != "sendrecv"
        return response.status

    async def hangup(self) -> None:
        """End the call: BYE once answered (RFC 3261 §15.1.1); see the subclasses before."""
        if self.state is CallState.ANSWERED and self.dialog is not None:
            self._stop_retransmitting()
            try:
                response = await self.request("BYE")
                log.debug("call %s: BYE answered %d", self.call_id, response.status)
            except CallFailed as error:  # the dialog was already gone (481, 408)
                log.debug("call %s: no BYE: %s", self.call_id, error)
            finally:
                await self.end("hung up")
        await self.wait_ended()

    def _confirmed_dialog(self) -> Dialog:
        if self.dialog is None or self.dialog.state is DialogState.TERMINATED:
            raise CallFailed(481, "No dialog")
        return self.dialog

    # -- what we receive in the dialog --------------------------------------------------------

    def receive_request(self, request: Request, source: Peer) -> Response | None:
        """A request the peer sent in this dialog: BYE, INFO or re-INVITE (§12.2.2)."""
        dialog = self.dialog
        if dialog is None:
            return make_response(request, 481)
        refused = dialog.receive_request(request)
        if refused is not None:
            return refused
        if request.method == "BYE":
            self._stop_retransmitting()
            self.spawn(self.end("hung up by the peer"))
            return make_response(request, 200)
        if request.method == "INFO":
            self._infos.put_nowait(
                InfoReceived(content_type=request.content_type, body=request.body)
            )
            return make_response(request, 200)
        if request.method == "INVITE":
            self.spawn(self._answer_reinvite(request, source))
            return None
        return make_response(request, 405)

    async def _answer_reinvite(self, request: Request, source: Peer) -> None:
        """A re-INVITE: hold, resume or a new address (RFC 3264 §8). Without an offer we offer
        our current session again (§14.2)."""
        if request.body:
            offer = request.body.decode("utf-8", "replace")
            self.remote_sdp = offer
            self.remote_hold = hold_direction(offer) != "sendrecv"
            self.local_sdp = await self.media.answer(offer)
        response = make_response(request, 200)
        self.send_success(response, request, source)

    def send_success(self, response: Response, request: Request, source: Peer) -> None:
        """Send a 2xx to an INVITE with our session and keep sending it until the ACK."""
        dialog = self.dialog
        if dialog is not None and dialog.local_contact is not None:
            response.headers.set("Contact", str(dialog.local_contact))
        if self.local_sdp is not None:
            response.headers.set("Content-Type", SDP)
            response.body = self.local_sdp.encode()
        self.endpoint.respond(response)
        destination = response_destination(request.top_via, source)
        now = asyncio.get_running_loop().time()
        self._retransmitters.append(
            SuccessRetransmitter(response=response, destination=destination, now=now)
        )
        self._arm()

    def receive_ack(self, ack: Request) -> None:
        """An ACK for one of our 2xx responses (§13.3.1.4)."""
        self._retransmitters = [r for r in self._retransmitters if not r.acknowledge(ack)]
        self._arm()

    # -- 2xx retransmission ----------------------------------------------------------------

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadlines = [d for r in self._retransmitters if (d := r.get_timer()) is not None]
        if deadlines:
            self._timer = asyncio.get_running_loop().call_at(min(deadlines), self._fire)

    def _fire(self) -> None:
        self._timer = None
        now = asyncio.get_running_loop().time()
        for retransmitter in list(self._retransmitters):
            retransmitter.handle_timer(now)
            for response, destination in retransmitter.messages_to_send():
                self.endpoint.send_stateless(response, destination)
            if isinstance(retransmitter.next_event(), AckTimedOut):
                # §13.3.1.4: no ACK in 64*T1 means the session is not up: end it with BYE.
                log.info("call %s: no ACK for our 2xx, hanging up", self.call_id)
                self._retransmitters.remove(retransmitter)
                self.spawn(self.hangup())
        self._arm()

    def _stop_retransmitting(self) -> None:
        self._retransmitters.clear()
        self._arm()

    # -- ending ----------------------------------------------------------------------------

    def fail(self, failure: CallFailed) -> None:
        if not self._answered.done():
            self._answered.set_exception(failure)
            self._answered.exception()  # retrieved here, so an unawaited failure is not logged

    def answered(self) -> None:
        self.state = CallState.ANSWERED
        if not self._answered.done():
            self._answered.set_result(None)

    async def end(self, reason: str) -> None:
        """The call is over: release its media and wake every waiter."""
        if self.state is CallState.ENDED:
            return
        self.state = CallState.ENDED
        self.end_reason = reason
        if self.dialog is not None:
            self.dialog.terminate()
        self.fail(CallFailed(487, reason))
        self._stop_retransmitting()
        self._on_end(self)
        try:
            await self.media.close()
        finally:
            self._ended.set()
            log.debug("call %s ended: %s", self.call_id, reason)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a step of the call in the background, keeping a reference and logging errors."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s: %r", self.call_id, task.exception())
