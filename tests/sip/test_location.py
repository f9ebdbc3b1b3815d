"""The in-memory location service: ordering, replacement by URI equality, expiry."""

from __future__ import annotations

from hotline.sip.address import Peer
from hotline.sip.location import Binding, InMemoryLocationService, LocationService, canonical_aor
from hotline.sip.uri import NameAddress, SipUri

AOR = "sip:101@hotline.local"
PHONE = Peer(transport="UDP", host="192.0.2.10", port=5060)


def binding(
    contact: str,
    *,
    expires_at: float = 3600.0,
    q: float = 1.0,
    at: float = 0.0,
    source: Peer = PHONE,
) -> Binding:
    return Binding(
        aor=AOR, contact=NameAddress.parse(contact), expires_at=expires_at, call_id="c1",
        cseq=1, q=q, source=source, registered_at=at,
    )  # fmt: skip


def contacts(service: LocationService, now: float, aor: str = AOR) -> list[str]:
    return [str(b.contact.uri) for b in service.bindings(aor, now)]


def test_bindings_are_sorted_by_q_then_most_recent() -> None:
    service = InMemoryLocationService(domain="hotline.local")
    service.apply(
        AOR,
        upserts=[
            binding("<sip:101@192.0.2.1>", q=0.5, at=1.0),
            binding("<sip:101@192.0.2.2>", q=1.0, at=1.0),
            binding("<sip:101@192.0.2.3>", q=0.5, at=2.0),
        ],
        removals=[],
    )
    assert contacts(service, 10.0) == [
        "sip:101@192.0.2.2",
        "sip:101@192.0.2.3",
        "sip:101@192.0.2.1",
    ]


def test_an_equal_contact_uri_replaces_the_binding() -> None:
    service = InMemoryLocationService(domain="hotline.local")
    service.apply(AOR, upserts=[binding("<sip:101@phone.example:5060>")], removals=[])
    service.apply(
        AOR, upserts=[binding("<sip:101@PHONE.example:5060>", expires_at=7200.0)], removals=[]
    )
    [only] = service.bindings(AOR, 0.0)
    assert only.expires_at == 7200.0
    assert len(service) == 1


def test_removals_and_remove_all() -> None:
    service = InMemoryLocationService(domain="hotline.local")
    service.apply(
        AOR, upserts=[binding("<sip:101@192.0.2.1>"), binding("<sip:101@192.0.2.2>")], removals=[]
    )
    service.apply(AOR, upserts=[], removals=[SipUri.parse("sip:101@192.0.2.1")])
    assert contacts(service, 0.0) == ["sip:101@192.0.2.2"]
    service.remove_all(AOR)
    assert service.bindings(AOR, 0.0) == []
    assert len(service) == 0


def test_expired_bindings_are_hidden_then_purged() -> None:
    service = InMemoryLocationService(domain="hotline.local")
    service.apply(
        AOR,
        upserts=[binding("<sip:101@192.0.2.1>", expires_at=60.0), binding("<sip:101@192.0.2.2>")],
        removals=[],
    )
    assert contacts(service, 60.0) == ["sip:101@192.0.2.2"]
    assert len(service) == 2
    assert service.purge_expired(60.0) == 1
    assert len(service) == 1
    assert service.purge_expired(4000.0) == 1
    assert len(service) == 0


def test_contacts_for_an_extension_number() -> None:
    service = InMemoryLocationService(domain="Hotline.Local")
    service.apply(AOR, upserts=[binding("<sip:101@192.0.2.1>")], removals=[])
    assert [b.aor for b in service.contacts_for("101", 0.0)] == [AOR]
    assert service.contacts_for("102", 0.0) == []


def test_remaining_rounds_up_until_expiry() -> None:
    b = binding("<sip:101@192.0.2.1>", expires_at=100.0)
    assert b.remaining(0.0) == 100
    assert b.remaining(99.2) == 1
    assert b.remaining(100.0) == 0
    assert not b.expired(99.9) and b.expired(100.0)


def test_canonical_aor_drops_parameters_port_and_escapes() -> None:
    uri = SipUri.parse("sips:%31%30%31@HOTLINE.local:5061;transport=tcp;user=phone")
    assert canonical_aor(uri) == "sip:101@hotline.local"
    assert canonical_aor(SipUri.parse("sip:hotline.local")) == "sip:hotline.local"


def test_requests_go_to_the_udp_source_or_over_the_tcp_flow_else_to_the_contact() -> None:
    behind_nat = binding("<sip:101@10.0.0.5:5062>")
    assert behind_nat.destination == PHONE  # the NAT binding, not the private Contact
    flow = Peer(transport="TCP", host="192.0.2.10", port=40001, connection_id=4)
    tcp = binding("<sip:101@192.0.2.10:5070;transport=tcp>", source=flow)
    # The REGISTER's connection while it is open; the transport falls back to the Contact.
    assert tcp.destination == Peer(transport="TCP", host="192.0.2.10", port=5070, connection_id=4)
    restored = binding("<sip:101@192.0.2.10;transport=tcp>", source=Peer(
        transport="TCP", host="192.0.2.10", port=40001))  # fmt: skip
    assert restored.destination == Peer(transport="TCP", host="192.0.2.10", port=5060)


def test_a_phone_that_asked_for_an_outbound_flow_is_reached_over_that_flow_only() -> None:
    """RFC 5626 §5.3: its Contact need not be reachable; once its flow is gone, a request
    fails and the phone registers a new flow. Restored after a restart (no flow known), the
    Contact is tried as for any other phone."""
    contact = '<sip:101@10.0.0.5:5070;transport=tcp;ob>;reg-id=1;+sip.instance="<urn:uuid:1>"'
    flow = Peer(transport="TCP", host="192.0.2.10", port=40001, connection_id=4)
    outbound = binding(contact, source=flow)
    assert outbound.outbound == ('"<urn:uuid:1>"', "1")
    assert outbound.destination == flow
    restored = binding(contact, source=Peer(transport="TCP", host="192.0.2.10", port=40001))
    assert restored.destination == Peer(transport="TCP", host="10.0.0.5", port=5070)
    assert binding("<sip:101@10.0.0.5;ob>;reg-id=1").outbound is None  # no instance: plain
