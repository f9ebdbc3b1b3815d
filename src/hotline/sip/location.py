"""The location service: which contacts an address of record is reachable at (RFC 3261 §10).

The registrar writes bindings; later issues (routing an INVITE to an extension) read them with
``contacts_for``. ``LocationService`` is the seam: this module holds the in-memory version and a
database version can replace it behind the same Protocol. Times are seconds since the epoch, so
a persisted ``expires_at`` still means something after a restart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote

from hotline.sip.address import Peer, reach
from hotline.sip.uri import NameAddress, SipUri, uri_equal

__all__ = ["Binding", "InMemoryLocationService", "LocationService", "canonical_aor"]


def canonical_aor(uri: SipUri, *, host: str | None = None) -> str:
    """The index of an address of record (RFC 3261 §10.3 step 5).

    Parameters, headers and port are dropped, escapes are undone and the host lower-cased.
    ``sips:`` maps to the same record as ``sip:``: an extension is one record whichever way
    the phone reaches us. ``host`` files the record under that host instead of the URI's.
    """
    user = unquote(uri.user) if uri.user else ""
    host = (uri.host if host is None else host).lower()
    return f"sip:{user}@{host}" if user else f"sip:{host}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Binding:
    """One contact of an address of record, as set by the last REGISTER that touched it.

    ``call_id`` and ``cseq`` order updates (RFC 3261 §10.3 step 7); ``source`` is where that
    REGISTER came from, so requests can go back over the same connection or NAT binding.
    A TCP source without ``connection_id`` has no flow (a binding restored after a restart):
    the next request to the phone opens one to the Contact. ``registered_at`` is the time of
    that REGISTER.
    """

    aor: str
    contact: NameAddress
    expires_at: float
    call_id: str
    cseq: int
    q: float
    source: Peer
    registered_at: float

    @property
    def outbound(self) -> tuple[str, str] | None:
        """The instance and reg-id of an RFC 5626 flow (§4.2: the phone asks for one with both
        Contact parameters), None for a plain binding."""
        instance, reg_id = self.contact.param("+sip.instance"), self.contact.param("reg-id")
        return None if instance is None or reg_id is None else (instance, reg_id)

    @property
    def destination(self) -> Peer:
        """Where requests to this contact go (see ``hotline.sip.address.reach``). A phone that
        asked for an RFC 5626 flow is reached over that flow only (§5.3: its Contact need not
        be reachable); when it is gone the request fails and the phone registers a new one.
        Without a known flow (restored after a restart) it is its Contact, as for any other."""
        if self.outbound is not None and self.source.connection_id is not None:
            return self.source
        return reach(self.contact.uri, self.source)

    def remaining(self, now: float) -> int:
        """Whole seconds left, rounded up so a live binding never shows ``expires=0``."""
        return max(0, math.ceil(self.expires_at - now))

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


def _preference(binding: Binding) -> tuple[float, float]:
    # Highest q first (RFC 3261 §20.10), then the most recently registered.
    return (-binding.q, -binding.registered_at)


class LocationService(Protocol):
    """Where bindings live. The registrar checks first, then applies atomically per AOR."""

    def bindings(self, aor: str, now: float) -> list[Binding]:
        """Unexpired bindings of ``aor``, highest q first, then most recent."""
        ...

    def apply(self, aor: str, *, upserts: Sequence[Binding], removals: Sequence[SipUri]) -> None:
        """Add or replace (by contact URI, §19.1.4) ``upserts`` and drop ``removals``, together."""
        ...

    def remove_all(self, aor: str) -> None:
        """Drop every binding of ``aor`` (``Contact: *``, §10.2.2)."""
        ...

    def purge_expired(self, now: float) -> int:
        """Drop expired bindings everywhere; returns how many went."""
        ...

    def contacts_for(self, number: str, now: float) -> list[Binding]:
        """Unexpired bindings of the extension ``number`` in our domain, best first."""
        ...

    def __len__(self) -> int:
        """Bindings held (expired ones until the next purge)."""
        ...


class InMemoryLocationService:
    """LocationService kept in a dict; lost on restart (a later issue persists it)."""

    def __init__(self, *, domain: str) -> None:
        self.domain = domain.lower()
        self._by_aor: dict[str, list[Binding]] = {}

    def bindings(self, aor: str, now: float) -> list[Binding]:
        current = [b for b in self._by_aor.get(aor, ()) if not b.expired(now)]
        return sorted(current, key=_preference)

    def apply(self, aor: str, *, upserts: Sequence[Binding], removals: Sequence[SipUri]) -> None:
        kept = [
            binding
            for binding in self._by_aor.get(aor, ())
            if not any(uri_equal(binding.contact.uri, uri) for uri in removals)
            and not any(uri_equal(binding.contact.uri, new.contact.uri) for new in upserts)
        ]
        kept.extend(upserts)
        if kept:
            self._by_aor[aor] = kept
        else:
            self._by_aor.pop(aor, None)

    def remove_all(self, aor: str) -> None:
        self._by_aor.pop(aor, None)

    def purge_expired(self, now: float) -> int:
        removed = 0
        for aor in list(self._by_aor):
            current = [b for b in self._by_aor[aor] if not b.expired(now)]
            removed += len(self._by_aor[aor]) - len(current)
            if current:
                self._by_aor[aor] = current
            else:
                del self._by_aor[aor]
        return removed

    def contacts_for(self, number: str, now: float) -> list[Binding]:
        return self.bindings(f"sip:{number}@{self.domain}", now)

    def __len__(self) -> int:
        """Bindings held, expired or not (purge_expired drops the expired)."""
        return sum(len(bindings) for bindings in self._by_aor.values())
