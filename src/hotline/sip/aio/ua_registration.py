"""Registration of one contact (RFC 3261 §10.2), refreshed before it expires.

One Call-ID for every REGISTER of the binding, the CSeq raised each time (§10.2.4); a 401 is
answered with credentials once per request (§22.2), a 423 raises the expiry to Min-Expires
(§10.2.8). The refresh goes out when four fifths of the granted time have passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from hotline.sip.address import Peer
from hotline.sip.aio.endpoint import SipEndpoint
from hotline.sip.aio.ua_call import transact
from hotline.sip.aio.ua_outgoing import Credentials, add_credentials, retry_request
from hotline.sip.errors import SipParseError
from hotline.sip.headers import Headers, Via
from hotline.sip.message import Request, Response, new_call_id, new_tag
from hotline.sip.uri import NameAddress, SipUri, uri_equal

__all__ = ["Registration", "RegistrationFailed"]

log = logging.getLogger("hotline.sip.ua")


class RegistrationFailed(Exception):
    """The registrar refused the REGISTER with ``status``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


class Registration:
    """The binding of one contact at one registrar."""

    def __init__(
        self,
        *,
        endpoint: SipEndpoint,
        registrar: Peer,
        aor: NameAddress,
        contact: NameAddress,
        credentials: Credentials,
        via: Callable[[], Via],
    ) -> None:
        self._endpoint = endpoint
        self._registrar = registrar
        self._aor = aor
        self._contact = contact
        self._credentials = credentials
        self._via = via
        self._call_id = new_call_id()
        self._tag = new_tag()
        self._cseq = 0
        self._refresh: asyncio.Task[None] | None = None
        self.expires = 0  # what the registrar granted last

    async def start(self, expires: int) -> int:
        """Register now and keep refreshing; returns the granted expiry in seconds."""
        self._stop_refreshing()
        granted = await self.send(expires)
        self._refresh = asyncio.get_running_loop().create_task(self._refresh_loop(granted))
        return granted

    async def stop(self) -> None:
        """Stop refreshing and remove the binding (Expires: 0, §10.2.2)."""
        self._stop_refreshing()
        if self.expires:
            await self.send(0)

    def _stop_refreshing(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None

    async def _refresh_loop(self, granted: int) -> None:
        requested = granted
        while granted > 0:
            await asyncio.sleep(granted * 0.8)
            try:
                granted = await self.send(requested)
            except RegistrationFailed as error:
                log.warning("%s: refresh refused: %s; retrying in 30 s", self._aor.uri, error)
                granted = 38  # 0.8 * 38 ~ 30 s

    async def send(self, expires: int) -> int:
        """One REGISTER exchange, challenges and 423 included; the granted expiry."""
        request = self._request(expires)
        answered_challenge = False
        while True:
            response = await transact(self._endpoint, request, self._registrar)
            if response.status in (401, 407) and not answered_challenge:
                request = self._retry(request)
                if not add_credentials(request, response, self._credentials):
                    break
                answered_challenge = True
            elif response.status == 423 and expires:
                expires = _min_expires(response, expires)
                request = self._request(expires)
                answered_challenge = False
            else:
                break
        if not 200 <= response.status < 300:
            raise RegistrationFailed(response.status, response.reason)
        self.expires = self._granted(response, expires)
        log.debug("%s registered for %d s", self._aor.uri, self.expires)
        return self.expires

    def _request(self, expires: int) -> Request:
        self._cseq += 1
        registrar = SipUri(scheme="sip", host=self._aor.uri.host)
        headers = Headers([("Via", str(self._via()))])
        headers.add("Max-Forwards", "70")
        headers.add("From", str(self._aor.with_tag(self._tag)))
        headers.add("To", str(self._aor))
        headers.add("Call-ID", self._call_id)
        headers.add("CSeq", f"{self._cseq} REGISTER")
        headers.add("Contact", str(self._contact))
        headers.add("Expires", str(expires))
        return Request(method="REGISTER", uri=registrar, headers=headers)

    def _retry(self, request: Request) -> Request:
        retried = retry_request(request, str(self._via()))
        self._cseq = retried.cseq.number
        return retried

    def _granted(self, response: Response, asked: int) -> int:
        """Our contact's ``expires`` in the 200 (§10.2.4), else the Expires header."""
        if asked == 0:
            return 0
        with contextlib.suppress(SipParseError, ValueError):
            for contact in response.contacts:
                value = contact.param("expires")
                if uri_equal(contact.uri, self._contact.uri) and value:
                    return int(value)
        with contextlib.suppress(SipParseError):
            if response.expires is not None:
                return response.expires
        return asked


def _min_expires(response: Response, asked: int) -> int:
    value = response.headers.get("Min-Expires")
    return int(value) if value and value.strip().isdigit() else asked * 2
