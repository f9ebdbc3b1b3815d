"""The registrar: REGISTER processing of RFC 3261 §10.3, with digest authentication, sans-IO.

``Registrar.handle_register`` takes one REGISTER (after the transaction layer absorbed its
retransmissions), where it came from and the time, and returns the final response. It follows
the steps of §10.3 in order:

0. A source address the AuthGuard bans as a whole gets 403 and nothing else is looked at.
1. The Request-URI must name our domain, one of ``aliases`` or (unless ``accept_ip_hosts`` is
   off) an IP address, as phones configured with the server's address send: we are not a
   proxy, so a REGISTER for another domain gets 404 rather than being forwarded.
2. Require: we support no extension, so any option-tag gets 420 with Unsupported. A To that
   is not a SIP or SIPS URI (it parses: RFC 4475 §3.3.4) is no address of record: 400.
3. Authentication (§22): a user the AuthGuard blocks from this address -> 403 whatever its
   credentials; no credentials -> 401; a stale nonce -> 401 stale=true; bad credentials -> 401
   (403 when that failure starts a block or a ban) and the failure is counted. An unknown user
   and a wrong password take the same path and get the same response. The challenge offers
   the algorithms of the user the To header names.
4. The To AOR must be the authenticated user's (403 otherwise); 5. in our domain by the same
   rule (404). The binding is filed under ``sip:user@domain`` whichever host the phone used.
6. ``Contact: *`` needs ``Expires: 0`` and no other Contact (400), and removes everything.
7. Per contact (a SIP or SIPS URI, else 400): expiry from its ``expires`` parameter, else the
   Expires header, else the default, capped at ``max_expires``; 423 with Min-Expires when
   non-zero and too brief; a binding last set by the same Call-ID with a CSeq not lower aborts
   the whole request with 500 (as §12.2.2 does for an out-of-order CSeq in a dialog). Nothing
   is changed unless all contacts pass.
8. 200 lists every current binding with its remaining ``expires``, and a Date header.

RFC 5626 (outbound): a contact with ``+sip.instance`` and ``reg-id`` is a flow. A new flow of
the same instance and reg-id replaces the old binding, and the 200 says ``Require: outbound``
when the phone supports it; requests then reach the phone over that flow only
(``Binding.destination``).

``now`` is seconds since the epoch: it feeds the Date header and binding expiry alike.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from hotline.sip.address import Peer
from hotline.sip.auth import AuthStatus, DigestAuthenticator
from hotline.sip.errors import LocalProtocolError, SipParseError
from hotline.sip.guard import AuthGuard
from hotline.sip.location import Binding, LocationService, canonical_aor
from hotline.sip.message import Request, Response, make_response, new_tag
from hotline.sip.uas import unsupported_options
from hotline.sip.uri import NameAddress, SipUri, _new_name_address, uri_equal

__all__ = ["Registrar"]

logger = logging.getLogger(__name__)

_PURGE_INTERVAL = 60.0
_ONE_HOUR = 3600
_Q_VALUE = re.compile(r"(0(\.\d{0,3})?|1(\.0{0,3})?)")


class _Rejected(Exception):
    """Ends REGISTER processing with this response (private control flow)."""

    def __init__(
        self, status: int, reason: str | None = None, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(status, reason)
        self.status = status
        self.reason = reason
        self.headers = headers


@dataclass(frozen=True, slots=True, kw_only=True)
class _Update:
    contact: NameAddress
    expires: int
    q: float


class Registrar:
    """Registrar for one domain (RFC 3261 §10.3). See the module docstring for the steps."""

    def __init__(
        self,
        domain: str,
        authenticator: DigestAuthenticator,
        location: LocationService,
        guard: AuthGuard,
        *,
        min_expires: int = 60,
        max_expires: int = 3600,
        default_expires: int = 3600,
        max_bindings: int = 10,
        aliases: Iterable[str] = (),
        accept_ip_hosts: bool = True,
    ) -> None:
        if not 0 < min_expires <= default_expires <= max_expires:
            raise LocalProtocolError("need 0 < min_expires <= default_expires <= max_expires")
        self.domain = domain.lower()
        self._hosts = {self.domain, *(alias.lower() for alias in aliases)}
        self._accept_ip_hosts = accept_ip_hosts
        self._authenticator = authenticator
        self._location = location
        self._guard = guard
        self.min_expires = min_expires
        self.max_expires = max_expires
        self.default_expires = default_expires
        self.max_bindings = max_bindings
        self._next_purge = float("-inf")

    def handle_register(self, request: Request, source: Peer, now: float) -> Response:
        """The final response to one REGISTER request (RFC 3261 §10.3)."""
        if request.method != "REGISTER":
            raise LocalProtocolError(f"handle_register given a {request.method} request", None)
        self._purge(now)
        try:
            aor = self._authorize(request, source, now)
            bindings = self._update(aor, request, source, now)
        except _Rejected as rejected:
            response = make_response(request, rejected.status, rejected.reason, to_tag=new_tag())
            for name, value in rejected.headers:
                response.headers.add(name, value)
            return response
        except SipParseError as error:
            return make_response(request, 400, error.reason, to_tag=new_tag())
        response = self._ok(request, bindings, now)
        if _asks_for_outbound(request):
            # RFC 5626 §6: the phone learns its flows are kept (and keeps them alive).
            response.headers.add("Require", "outbound")
        return response

    def _authorize(self, request: Request, source: Peer, now: float) -> str:
        """Steps 0 to 5: returns the canonical AOR the request may change."""
        if self._guard.address_banned(source.host, now):
            raise _Rejected(403)
        if request.uri.scheme not in ("sip", "sips") or not self._is_ours(request.uri.host):
            raise _Rejected(404, "Domain Not Served Here")
        required = unsupported_options(request)  # the endpoint's rule, for callers without it
        if required:
            raise _Rejected(420, None, tuple(("Unsupported", tag) for tag in required))
        if not request.to_address.uri.is_sip:  # §10.2: any other URI parses, but is no AOR
            raise _Rejected(400, "To Must Be A SIP Or SIPS URI")
        username = self._authenticate(request, source, now)
        to_uri = request.to_address.uri
        if unquote(to_uri.user or "") != username:
            logger.info(
                "REGISTER from %s: user %r may not register %s", source.host, username, to_uri
            )
            raise _Rejected(403)
        if not self._is_ours(to_uri.host):
            raise _Rejected(404, "Address Of Record Not Here")
        return canonical_aor(to_uri, host=self.domain)

    def _is_ours(self, host: str) -> bool:
        return host.lower() in self._hosts or (self._accept_ip_hosts and _is_ip_address(host))

    def _authenticate(self, request: Request, source: Peer, now: float) -> str:
        """Step 3 (§22.4): the authenticated username, or a rejection carrying a challenge."""
        outcome = self._authenticator.verify(request, now)
        host, user = source.host, outcome.username
        if user is not None and self._guard.user_blocked(host, user, now):
            raise _Rejected(403)  # even with the right password: a guesser learns nothing
        if outcome.status is AuthStatus.OK and user is not None:
            self._guard.record_success(host, user)
            return user
        if outcome.status is AuthStatus.FAILED:
            logger.info("REGISTER from %s failed authentication: %s", host, outcome.reason)
            if self._guard.record_failure(host, user or "", now, guess=outcome.guess):
                raise _Rejected(403)
        stale = outcome.status is AuthStatus.STALE
        named = user or unquote(request.to_address.uri.user or "")
        challenge = self._authenticator.challenge(now, stale=stale, username=named)
        raise _Rejected(401, None, tuple(("WWW-Authenticate", value) for value in challenge))

    def _update(self, aor: str, request: Request, source: Peer, now: float) -> list[Binding]:
        """Steps 6 and 7: change the bindings of ``aor`` (or not at all) and return them."""
        current = self._location.bindings(aor, now)
        if "*" in request.headers.get_all("Contact"):
            self._check_wildcard(request)
            self._check_order(request, current, [b.contact.uri for b in current])
            self._location.remove_all(aor)
            logger.debug("%s unregistered every contact of %s", source.host, aor)
            return []
        updates = [self._read_contact(contact, request) for contact in request.contacts]
        if not updates:
            return current
        self._check_order(request, current, [update.contact.uri for update in updates])
        upserts = [self._binding(aor, u, request, source, now) for u in updates if u.expires]
        removals = [u.contact.uri for u in updates if not u.expires]
        removals += _replaced_flows(current, upserts)
        self._check_capacity(current, upserts, removals)
        self._location.apply(aor, upserts=upserts, removals=removals)
        logger.debug("%s registered %d and removed %d contacts of %s", source.host,
                    len(upserts), len(removals), aor)  # fmt: skip
        return self._location.bindings(aor, now)

    def _check_wildcard(self, request: Request) -> None:
        """§10.2.2 / §10.3 step 6: ``*`` only with Expires: 0 and alone."""
        if len(request.headers.get_all("Contact")) != 1 or self._expires_header(request) != 0:
            raise _Rejected(400, "Contact * Requires Expires 0 And No Other Contact")

    def _read_contact(self, contact: NameAddress, request: Request) -> _Update:
        """Step 7: the expiry and q of one contact; 423 or 400 when they are not acceptable."""
        if not contact.uri.is_sip:  # a mailto: or tel: contact is nowhere we can send a call
            raise _Rejected(400, "Contact Must Be A SIP Or SIPS URI")
        raw_expires = _param(contact, "expires")
        if raw_expires is None:
            header = self._expires_header(request)
            expires = self.default_expires if header is None else header
        elif raw_expires.isascii() and raw_expires.isdigit():
            expires = int(raw_expires)
        else:
            raise _Rejected(400, "Bad Contact expires Parameter")
        if 0 < expires < min(self.min_expires, _ONE_HOUR):  # §10.3 step 7: below an hour
            raise _Rejected(423, None, (("Min-Expires", str(self.min_expires)),))
        raw_q = _param(contact, "q")
        if raw_q is not None and not _Q_VALUE.fullmatch(raw_q):
            raise _Rejected(400, "Bad Contact q Parameter")
        q = 1.0 if raw_q is None else float(raw_q)
        parameters = contact.parameters
        if _param(contact, "expires") is not None:
            parameters = _without(parameters, "expires")
        stored = _new_name_address(contact.uri, contact.display_name, parameters)
        return _Update(contact=stored, expires=min(expires, self.max_expires), q=q)

    def _expires_header(self, request: Request) -> int | None:
        # §20.19: a malformed Expires is treated as the default.
        try:
            return request.expires
        except SipParseError:
            return self.default_expires

    @staticmethod
    def _check_order(request: Request, current: Sequence[Binding], uris: Iterable[SipUri]) -> None:
        """§10.3 step 7: the same Call-ID must come with a higher CSeq, or nothing changes."""
        cseq = request.cseq.number
        for uri in uris:
            for binding in current:
                if (
                    uri_equal(binding.contact.uri, uri)
                    and binding.call_id == request.call_id
                    and cseq <= binding.cseq
                ):
                    raise _Rejected(500, "Out Of Order CSeq")

    def _check_capacity(
        self, current: Sequence[Binding], upserts: Sequence[Binding], removals: Sequence[SipUri]
    ) -> None:
        """One account must not fill our memory with contacts."""
        touched = [b.contact.uri for b in upserts] + list(removals)
        untouched = [b for b in current if not any(uri_equal(b.contact.uri, u) for u in touched)]
        if len(untouched) + len(upserts) > self.max_bindings:
            raise _Rejected(403, "Too Many Contacts")

    @staticmethod
    def _binding(aor: str, update: _Update, request: Request, source: Peer, now: float) -> Binding:
        return Binding(
            aor=aor, contact=update.contact, expires_at=now + update.expires,
            call_id=request.call_id, cseq=request.cseq.number, q=update.q,
            source=source, registered_at=now,
        )  # fmt: skip

    def _ok(self, request: Request, bindings: Sequence[Binding], now: float) -> Response:
        """Step 8: 200 with all current bindings and their remaining time (§10.3 step 8)."""
        response = make_response(request, 200, to_tag=new_tag())
        for binding in bindings:
            contact = binding.contact  # stored without expires (_read_contact)
            parameters = (*contact.parameters, ("expires", str(binding.remaining(now))))
            response.headers.add(
                "Contact", str(_new_name_address(contact.uri, contact.display_name, parameters))
            )
        response.headers.add("Date", _http_date(now))
        return response

    def _purge(self, now: float) -> None:
        # Sans-IO has no timer of its own: expired bindings are swept on the way through.
        if now >= self._next_purge:
            self._location.purge_expired(now)
            self._next_purge = now + _PURGE_INTERVAL


def _asks_for_outbound(request: Request) -> bool:
    """A REGISTER of RFC 5626 (§4.2): ``Supported: outbound`` and a Contact with both
    ``+sip.instance`` and ``reg-id``."""
    supported = {tag.lower() for tag in request.headers.get_all("Supported")}  # split (§7.3.1)
    return "outbound" in supported and any(
        contact.param("+sip.instance") is not None and contact.param("reg-id") is not None
        for contact in request.contacts
    )


def _replaced_flows(current: Sequence[Binding], upserts: Sequence[Binding]) -> list[SipUri]:
    """RFC 5626 §6: a new flow of the same instance and reg-id replaces the binding of the
    old one, whatever its Contact (a phone back from a lost connection has a new port)."""
    return [
        binding.contact.uri
        for binding in current
        if binding.outbound is not None
        and any(
            new.outbound == binding.outbound and not uri_equal(new.contact.uri, binding.contact.uri)
            for new in upserts
        )
    ]


def _http_date(now: float) -> str:
    """The Date header value (§20.17), made once a second."""
    second = int(now)
    text = _DATES.get(second)
    if text is None:
        _DATES.clear()
        text = _DATES[second] = email.utils.formatdate(second, usegmt=True)
    return text


_DATES: dict[int, str] = {}


@functools.lru_cache(maxsize=1024)
def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _param(contact: NameAddress, name: str) -> str | None:
    for key, value in contact.parameters:
        if key.lower() == name:
            return value
    return None


def _without(
    parameters: tuple[tuple[str, str | None], ...], name: str
) -> tuple[tuple[str, str | None], ...]:
    return tuple((key, value) for key, value in parameters if key.lower() != name)
