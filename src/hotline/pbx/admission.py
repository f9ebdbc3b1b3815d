"""Who may place a call through Hotline (RFC 3261 §22.3, §26.3.2.2).

A call is admitted when it comes from a configured trunk's network and dials one of that
trunk's DIDs, or when its INVITE carries digest credentials of one of our extensions in
Proxy-Authorization (challenged with 407). Everything else is refused, so Hotline never
relays a call for a stranger. Authentication failures count in the same AuthGuard as
REGISTER's: per (source address, user), so one phone's wrong password blocks that phone's
user, not the office behind the same address. Sans-IO: the request, the source address and
the time go in, a decision comes out.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from hotline.config import Config, TrunkConfig
from hotline.pbx.routing import UNKNOWN, Destination, Dialplan
from hotline.sip.auth import AuthStatus, DigestAuthenticator
from hotline.sip.guard import AuthGuard
from hotline.sip.message import Request

__all__ = ["Admission", "Admitted", "Refused"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Admitted:
    """An accepted call: from ``extension`` (authenticated) or through ``trunk``."""

    destination: Destination
    caller: str
    extension: str | None = None
    trunk: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused:
    """Answer ``status``; a 407 carries ``challenge`` as Proxy-Authenticate values."""

    status: int
    reason: str
    challenge: tuple[str, ...] = ()


class Admission:
    """The admission decision for a new INVITE (outside any dialog)."""

    def __init__(
        self,
        config: Config,
        dialplan: Dialplan,
        authenticator: DigestAuthenticator,
        guard: AuthGuard,
    ) -> None:
        self._trunks = [(trunk, trunk.networks) for trunk in config.trunks]
        self._dialplan = dialplan
        self._authenticator = authenticator
        self.guard = guard  # the web side lists and lifts its bans

    def trunk_for(self, host: str) -> TrunkConfig | None:
        """The trunk whose networks hold ``host``, if any."""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        for trunk, networks in self._trunks:
            if any(address in network for network in networks):
                return trunk
        return None

    def admit(self, request: Request, host: str, now: float) -> Admitted | Refused:
        dialled = request.uri.user or ""
        caller = request.from_address.uri.user or "anonymous"
        trunk = self.trunk_for(host)
        if trunk is not None:
            destination = self._dialplan.route_did(trunk.did, dialled)
            if destination.kind is UNKNOWN:
                return Refused(status=404, reason=f"trunk {trunk.name}: no DID {dialled}")
            return Admitted(destination=destination, caller=caller, trunk=trunk.name)
        if self.guard.address_banned(host, now):
            return Refused(status=403, reason="source banned after failed authentication")
        return self._authenticate(request, host, now, dialled)

    def _authenticate(
        self, request: Request, host: str, now: float, dialled: str
    ) -> Admitted | Refused:
        outcome = self._authenticator.verify(request, now, header="Proxy-Authorization")
        user = outcome.username
        if user is not None and self.guard.user_blocked(host, user, now):
            return Refused(status=403, reason=f"user {user} blocked after failed authentication")
        if outcome.status is AuthStatus.MISSING or outcome.status is AuthStatus.STALE:
            stale = outcome.status is AuthStatus.STALE
            named = user or request.from_address.uri.user
            challenge = tuple(self._authenticator.challenge(now, stale=stale, username=named))
            return Refused(status=407, reason=outcome.reason, challenge=challenge)
        if outcome.status is AuthStatus.FAILED or user is None:
            self.guard.record_failure(host, user or "", now, guess=outcome.guess)
            return Refused(status=403, reason=f"authentication failed: {outcome.reason}")
        self.guard.record_success(host, user)
        destination = self._dialplan.route(dialled)
        if destination.kind is UNKNOWN:
            return Refused(status=404, reason=f"no number {dialled}")
        return Admitted(destination=destination, caller=user, extension=user)
