"""Agents follow their phones: PhoneWatch on explicit ``now`` against a real location service
(the one the registrar writes), telling the ACD who can and cannot be reached."""

from __future__ import annotations

from hotline.acd import AgentId, AgentReachable, AgentUnreachable
from hotline.agent_phones import PhoneWatch
from hotline.persistent_location import PersistentLocation
from hotline.sip import Binding, NameAddress, Peer

DOMAIN = "hotline.local"
T0 = 1_700_000_000.0
DESK = Peer(transport="UDP", host="192.0.2.10", port=5060)


def _binding(number: str, contact: str, expires_at: float) -> Binding:
    return Binding(
        aor=f"sip:{number}@{DOMAIN}", contact=NameAddress.parse(f"<sip:{number}@{contact}>"),
        expires_at=expires_at, call_id=f"reg-{number}-{contact}", cseq=1, q=1.0, source=DESK,
        registered_at=expires_at - 60,
    )  # fmt: skip


def _register(location: PersistentLocation, *bindings: Binding) -> None:
    location.apply(bindings[0].aor, upserts=bindings, removals=())


def _unregister(location: PersistentLocation, binding: Binding) -> None:
    location.apply(binding.aor, upserts=(), removals=(binding.contact.uri,))


def _watch(*agents: str) -> tuple[PersistentLocation, PhoneWatch]:
    location = PersistentLocation(domain=DOMAIN)
    return location, PhoneWatch(agents, location.contacts_for)


def test_at_start_agents_without_a_live_binding_are_unreachable() -> None:
    location, watch = _watch("201", "202")
    _register(location, _binding("201", "192.0.2.10", T0 + 60))
    _register(location, _binding("202", "192.0.2.11", T0 - 1))  # lapsed while stopped
    assert watch.start(T0) == [AgentUnreachable(agent=AgentId("202"), reason="not registered")]
    assert watch.next_wakeup() == T0 + 60


def test_unregistering_makes_the_agent_unreachable_and_registering_reachable_again() -> None:
    location, watch = _watch("201")
    desk = _binding("201", "192.0.2.10", T0 + 60)
    _register(location, desk)
    assert watch.start(T0) == []
    _unregister(location, desk)
    assert watch.check("201", T0 + 5) == AgentUnreachable(
        agent=AgentId("201"), reason="unregistered"
    )
    assert watch.check("201", T0 + 6) is None  # told once
    assert watch.next_wakeup() is None
    _register(location, _binding("201", "192.0.2.10", T0 + 100))
    assert watch.check("201", T0 + 40) == AgentReachable(agent=AgentId("201"))


def test_a_binding_that_lapses_without_a_word_makes_the_agent_unreachable_at_its_expiry() -> None:
    location, watch = _watch("201")
    _register(location, _binding("201", "192.0.2.10", T0 + 60))
    watch.start(T0)
    assert watch.next_wakeup() == T0 + 60
    assert watch.expire(T0 + 59.9) == []
    assert watch.expire(T0 + 60) == [AgentUnreachable(agent=AgentId("201"), reason="expired")]
    assert watch.next_wakeup() is None


def test_a_renewed_registration_moves_the_expiry_on() -> None:
    location, watch = _watch("201")
    _register(location, _binding("201", "192.0.2.10", T0 + 60))
    watch.start(T0)
    _register(location, _binding("201", "192.0.2.10", T0 + 110))  # re-REGISTER at T0 + 50
    assert watch.check("201", T0 + 50) is None
    assert watch.next_wakeup() == T0 + 110
    assert watch.expire(T0 + 60) == []  # the old expiry is stale
    assert watch.expire(T0 + 110) == [AgentUnreachable(agent=AgentId("201"), reason="expired")]


def test_an_agent_stays_reachable_while_any_of_its_phones_is_registered() -> None:
    location, watch = _watch("201")
    desk = _binding("201", "192.0.2.10", T0 + 300)
    softphone = _binding("201", "192.0.2.11", T0 + 60)
    _register(location, desk, softphone)
    watch.start(T0)
    assert watch.next_wakeup() == T0 + 300  # the last one to lapse
    assert watch.expire(T0 + 60) == []  # the softphone lapsed, the desk phone is live
    _unregister(location, desk)
    assert watch.check("201", T0 + 61) == AgentUnreachable(
        agent=AgentId("201"), reason="unregistered"
    )


def test_extensions_that_are_not_agents_are_ignored() -> None:
    location, watch = _watch("201")
    _register(location, _binding("201", "192.0.2.10", T0 + 60))
    watch.start(T0)
    assert watch.check("300", T0) is None
