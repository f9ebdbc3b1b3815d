"""A call we place: INVITE as UAC (RFC 3261 §13.2), digest retry, ACK, CANCEL before answer.

Responses come in order from the INVITE client transaction: 1xx (ringing), then one final.
A 401 or 407 is answered once with credentials and the INVITE sent again with the next CSeq
(§22.2); a 2xx creates the dialog and is ACKed at once (§13.2.2.4), also each time it is
retransmitted; any other final status fails the call with that status.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from hotline.sip.aio.ua_call import Call, CallFailed, CallState, hold_direction
from hotline.sip.auth import answer_challenge
from hotline.sip.dialog import Dialog
from hotline.sip.errors import LocalProtocolError
from hotline.sip.headers import CSeq
from hotline.sip.message import Request, Response

__all__ = ["Credentials", "OutgoingCall", "add_credentials", "retry_request"]

log = logging.getLogger("hotline.sip.ua")

_CHALLENGES = {401: ("WWW-Authenticate", "Authorization"),
               407: ("Proxy-Authenticate", "Proxy-Authorization")}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """Who we are to a server that challenges us (RFC 3261 §22)."""

    username: str
    password: str


def add_credentials(request: Request, challenge: Response, credentials: Credentials) -> bool:
    """Answer a 401 or 407 (RFC 3261 §22.2, §22.3): add the first Authorization we can form for
    the challenges offered. False when none of them can be answered."""
    names = _CHALLENGES.get(challenge.status)
    if names is None:
        return False
    asked, answer = names
    for value in challenge.headers.get_all(asked):
        try:
            authorization = _answer(value, request, credentials)
        except LocalProtocolError as error:
            log.debug("cannot answer %s: %s", asked, error.reason)
            continue
        request.headers.set(answer, authorization)
        return True
    return False


def _answer(value: str, request: Request, credentials: Credentials) -> str:
    return answer_challenge(
        value,
        method=request.method,
        uri=str(request.uri),
        username=credentials.username,
        password=credentials.password,
        cnonce=secrets.token_hex(8),
        body=request.body,
    )


def retry_request(request: Request, via: str) -> Request:
    """The same request for a new transaction: a new Via, the next CSeq, no credentials
    (RFC 3261 §8.1.3.5: the retry after a challenge is a new request in the same Call-ID)."""
    headers = request.headers.copy()
    headers.set("Via", via)
    cseq = request.cseq
    headers.set("CSeq", str(CSeq(number=cseq.number + 1, method=cseq.method)))
    headers.remove("Authorization")
    headers.remove("Proxy-Authorization")
    return Request(method=request.method, uri=request.uri, headers=headers, body=request.body)


class OutgoingCall(Call):
    """A call placed by the user agent; create it with ``UserAgent.invite``."""

    def __init__(self, *, credentials: Credentials | None, **call: Any) -> None:
        super().__init__(state=CallState.CALLING, **call)
        self.credentials = credentials
        self._first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._provisional = False
        self._cancel_wanted = False
        self._challenged = False
        self._give_up: asyncio.TimerHandle | None = None

    def start(self) -> asyncio.Future[None]:
        """Send the INVITE; the future completes with its first response other than a
        challenge, failing with CallFailed when that is a final failure."""
        self._send_invite()
        return self._first

    def _send_invite(self) -> None:
        self.endpoint.send_request(self.invite, self.peer, self._on_response)

    def _on_response(self, response: Response) -> None:
        status = response.status
        if status in _CHALLENGES and self._retry_with_credentials(response):
            return
        if not self._first.done():
            if status >= 300:
                self._first.set_exception(CallFailed.of(response))
            else:
                self._first.set_result(None)
        if status < 200:
            self._on_provisional(response)
        elif status < 300:
            self._on_success(response)
        else:
            self._on_failure(response)

    def _retry_with_credentials(self, response: Response) -> bool:
        if self._challenged or self.credentials is None:
            return False
        request = retry_request(self.invite, str(self.via()))
        if not add_credentials(request, response, self.credentials):
            return False
        self._challenged = True
        self.invite = request
        self._send_invite()
        return True

    def _on_provisional(self, response: Response) -> None:
        self._provisional = True
        if response.status in (180, 183) and self.state is CallState.CALLING:
            self.state = CallState.RINGING
        if self._cancel_wanted:
            self._send_cancel()

    def _on_success(self, response: Response) -> None:
        """A 2xx (§13.2.2.4): the dialog is confirmed; ACK it, then apply the answer."""
        if self.dialog is not None:
            self.receive_stray(response)
            return
        self.dialog = Dialog.as_uac(self.invite, response)
        self.endpoint.send_stateless(self.dialog.create_ack(response, via=self.via()), self.peer)
        if self.state is CallState.ENDED or self._cancel_wanted:
            # our CANCEL crossed the 2xx: the session exists, so end it with BYE (§9.1)
            bye = self.dialog.create_request("BYE", via=self.via())
            self.endpoint.send_request(bye, self.peer, lambda _response: None)
            self.spawn(self.end("cancelled"))
            return
        self.spawn(self._confirm(response))

    async def _confirm(self, response: Response) -> None:
        answer = response.body.decode("utf-8", "replace")
        if answer:
            self.remote_sdp = answer
            self.remote_hold = hold_direction(answer) != "sendrecv"
            await self.media.apply_answer(answer)
        self.answered()

    def _on_failure(self, response: Response) -> None:
        status, reason = response.status, response.reason
        log.debug("call %s failed: %d %s", self.call_id, status, reason)
        self.fail(CallFailed.of(response))
        self.spawn(self.end("cancelled" if self._cancel_wanted else f"{status} {reason}"))

    def receive_stray(self, response: Response) -> None:
        """A 2xx retransmitted after the transaction ended: ACK it again (§13.2.2.4). A 2xx
        from another fork than ours gets its ACK and a BYE, so no dialog stays half open."""
        dialog = self.dialog
        if dialog is not None and response.to_address.tag == dialog.id.remote_tag:
            self.endpoint.send_stateless(dialog.create_ack(response, via=self.via()), self.peer)
            return
        other = Dialog.as_uac(self.invite, response)
        self.endpoint.send_stateless(other.create_ack(response, via=self.via()), self.peer)
        bye = other.create_request("BYE", via=self.via())
        self.endpoint.send_request(bye, self.peer, lambda _response: None)

    async def hangup(self) -> None:
        """CANCEL before the answer (§9.1; held back until a provisional response came),
        BYE after it."""
        if self.state in (CallState.CALLING, CallState.RINGING) and self.dialog is None:
            if not self._cancel_wanted:
                self._cancel_wanted = True
                if self._provisional:
                    self._send_cancel()
            await self.wait_ended()
            return
        await super().hangup()

    def _send_cancel(self) -> None:
        """CANCEL with the INVITE's Request-URI, Call-ID, From, To, Route, CSeq number and top
        Via, so it matches the INVITE's transaction (§9.1)."""
        invite = self.invite
        cancel = Request(method="CANCEL", uri=invite.uri, headers=invite.headers.copy())
        cancel.headers.set("Via", str(invite.top_via))
        cancel.headers.set("CSeq", str(CSeq(number=invite.cseq.number, method="CANCEL")))
        for name in ("Contact", "Content-Type", "Authorization", "Proxy-Authorization"):
            cancel.headers.remove(name)
        self.endpoint.send_request(cancel, self.peer, self._on_cancel_response)
        # §9.1: with no final response 64*T1 after the CANCEL, the INVITE is given up.
        loop = asyncio.get_running_loop()
        self._give_up = loop.call_later(32.0, self._no_final_response)

    def _no_final_response(self) -> None:
        self.spawn(self.end("cancelled, no final response"))

    async def end(self, reason: str) -> None:
        if self._give_up is not None:
            self._give_up.cancel()
        await super().end(reason)

    def _on_cancel_response(self, response: Response) -> None:
        if response.status >= 300 and self.dialog is None and response.status != 481:
            log.info("call %s: CANCEL answered %d", self.call_id, response.status)
