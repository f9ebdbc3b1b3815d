"""Registrations survive a restart: PersistentLocation behind the real registrar, on a real
SQLite file, closed and opened again as a restarted server would."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import event

from hotline.persistent_location import PersistentLocation
from hotline.sip import Binding, NameAddress, Peer, Request, Response, parse_message
from hotline.sip.auth import DigestAuthenticator, answer_challenge
from hotline.sip.guard import AuthGuard
from hotline.sip.registrar import Registrar
from hotline.store import Database, Registrations
from hotline.store.models import Base

DOMAIN = "hotline.local"
T0 = 1_700_000_000.0
DESK = Peer(transport="UDP", host="192.0.2.10", port=5060)
SOFTPHONE = Peer(transport="TCP", host="192.0.2.11", port=49152, connection_id=7)


class Phone:
    """Registers ``user`` from ``peer`` through the registrar, answering its challenge."""

    def __init__(self, registrar: Registrar, user: str, peer: Peer) -> None:
        self.registrar, self.user, self.peer = registrar, user, peer
        self.call_id = f"reg-{user}@{peer.host}"
        self.cseq = 0

    def register(self, *headers: str, now: float) -> Response:
        response = self._send(headers, None, now)
        if response.status == 401:
            challenge = response.headers.get_all("WWW-Authenticate")[0]
            response = self._send(headers, challenge, now)
        return response

    def _send(self, headers: tuple[str, ...], challenge: str | None, now: float) -> Response:
        self.cseq += 1
        lines = [
            f"REGISTER sip:{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/{self.peer.transport} {self.peer.host};branch=z9hG4bK-{self.cseq}",
            f"From: <sip:{self.user}@{DOMAIN}>;tag=f{self.user}",
            f"To: <sip:{self.user}@{DOMAIN}>",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} REGISTER",
            *headers,
        ]
        if challenge is not None:
            lines.append("Authorization: " + answer_challenge(
                challenge, method="REGISTER", uri=f"sip:{DOMAIN}", username=self.user,
                password=f"secret-{self.user}", cnonce="c", nc=1,
            ))  # fmt: skip
        request = parse_message(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode())
        assert isinstance(request, Request)
        return self.registrar.handle_register(request, self.peer, now)


class Server:
    """The parts of a Hotline process that hold registrations, on one database file."""

    def __init__(self, database: Database, location: PersistentLocation) -> None:
        self.database = database
        self.location = location
        authenticator = DigestAuthenticator(
            DOMAIN, lambda user: f"secret-{user}", secret=b"k", nonce_lifetime=300
        )
        guard = AuthGuard(
            max_failures=3, window=60, backoff=30, max_backoff=600, scan_users=3,
            max_address_failures=20, ban=600,
        )  # fmt: skip
        self.registrar = Registrar(DOMAIN, authenticator, location, guard, min_expires=60)

    @classmethod
    async def start(cls, data_dir: Path, *, now: float) -> Server:
        database = await Database.open(data_dir=data_dir)
        location = PersistentLocation(domain=DOMAIN)
        await location.load(database, now=now)
        location.start()
        return cls(database, location)

    def phone(self, user: str, peer: Peer = DESK) -> Phone:
        return Phone(self.registrar, user, peer)

    async def stop(self) -> None:
        await self.location.close()
        await self.database.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
async def server(data_dir: Path) -> AsyncIterator[Server]:
    server = await Server.start(data_dir, now=T0)
    yield server
    await server.stop()


async def _restarted(data_dir: Path, now: float) -> list[Binding]:
    """Every binding a server started on ``data_dir`` at ``now`` holds, by AOR."""
    again = await Server.start(data_dir, now=now)
    try:
        return [b for n in ("101", "102") for b in again.location.contacts_for(n, now)]
    finally:
        await again.stop()


def _without_connection(binding: Binding) -> Binding:
    return replace(binding, source=replace(binding.source, connection_id=None))


async def test_bindings_survive_close_and_reopen(server: Server, data_dir: Path) -> None:
    desk = server.phone("101")
    assert desk.register("Contact: <sip:101@192.0.2.10>;q=0.5", now=T0).status == 200
    softphone = server.phone("101", SOFTPHONE)
    contact = '"Soft" <sip:101@192.0.2.11:49152;transport=tcp>;+sip.instance="<urn:uuid:a1>"'
    assert softphone.register(f"Contact: {contact}", "Expires: 600", now=T0 + 1).status == 200
    server.phone("102").register("Contact: <sip:102@192.0.2.10:5070>", now=T0 + 2)
    before = [b for n in ("101", "102") for b in server.location.contacts_for(n, T0 + 2)]
    assert len(before) == 3
    await server.stop()

    after = await _restarted(data_dir, T0 + 60)
    # The TCP connection is gone with the old process; the rest comes back as it was.
    assert after == [_without_connection(b) for b in before]
    assert after[0].contact == NameAddress.parse(contact)
    assert after[0].source == Peer(transport="TCP", host="192.0.2.11", port=49152)


async def test_a_restored_tcp_binding_has_no_flow_and_is_reached_at_its_contact(
    server: Server, data_dir: Path
) -> None:
    """The phone's connection (from an ephemeral port) did not survive: the next INVITE
    opens a connection to where the phone listens, its Contact."""
    softphone = server.phone("101", SOFTPHONE)
    contact = "<sip:101@192.0.2.11:5070;transport=tcp>"
    assert softphone.register(f"Contact: {contact}", now=T0).status == 200
    [live] = server.location.contacts_for("101", T0)
    assert live.destination == Peer(transport="TCP", host="192.0.2.11", port=5070, connection_id=7)
    await server.stop()

    [restored] = await _restarted(data_dir, T0 + 60)
    assert restored.source.connection_id is None
    assert restored.destination == Peer(transport="TCP", host="192.0.2.11", port=5070)


async def test_the_restored_registrar_goes_on_where_it_stopped(
    server: Server, data_dir: Path
) -> None:
    """Call-ID and CSeq come back too: a refresh goes on, a replayed REGISTER is refused."""
    desk = server.phone("101")
    desk.register("Contact: <sip:101@192.0.2.10>", now=T0)
    await server.stop()

    again = await Server.start(data_dir, now=T0 + 60)
    try:
        desk.registrar = again.registrar
        desk.cseq -= 2
        assert desk.register("Contact: <sip:101@192.0.2.10>", now=T0 + 60).status == 500
        desk.cseq += 2
        assert desk.register("Contact: <sip:101@192.0.2.10>", now=T0 + 61).status == 200
        [binding] = again.location.contacts_for("101", T0 + 61)
        assert binding.expires_at == T0 + 61 + 3600
    finally:
        await again.stop()


async def test_a_binding_expired_while_down_is_not_restored(server: Server, data_dir: Path) -> None:
    server.phone("101").register("Contact: <sip:101@192.0.2.10>", "Expires: 60", now=T0)
    server.phone("102").register("Contact: <sip:102@192.0.2.10>", "Expires: 600", now=T0)
    await server.stop()

    after = await _restarted(data_dir, T0 + 60)  # 101 expires at that very second
    assert [b.aor for b in after] == ["sip:102@hotline.local"]
    database = await Database.open(data_dir=data_dir)
    async with database.session() as session:
        rows = await Registrations(session).unexpired(0.0)
    await database.close()
    assert [row.aor for row in rows] == ["sip:102@hotline.local"]  # the expired row is gone


async def test_unregistration_is_persisted(server: Server, data_dir: Path) -> None:
    first, second = server.phone("101"), server.phone("101", SOFTPHONE)
    first.register("Contact: <sip:101@192.0.2.10>", now=T0)
    second.register("Contact: <sip:101@192.0.2.11;transport=tcp>", now=T0)
    third = server.phone("102")
    third.register("Contact: <sip:102@192.0.2.10>", "Contact: <sip:102@192.0.2.12>", now=T0)
    assert await server.location.flush()  # the table holds them all...
    assert len(await _stored(server.database)) == 4

    # ...then 101 leaves with Contact: *, and 102 drops one contact with expires=0.
    assert first.register("Contact: *", "Expires: 0", now=T0 + 5).status == 200
    expire = third.register("Contact: <sip:102@192.0.2.12>;expires=0", now=T0 + 5)
    assert expire.status == 200
    await server.stop()

    after = await _restarted(data_dir, T0 + 10)
    assert [(b.aor, str(b.contact)) for b in after] == [
        ("sip:102@hotline.local", "<sip:102@192.0.2.10>")
    ]


async def _stored(database: Database) -> list[tuple[str, str]]:
    async with database.session() as session:
        return [(row.aor, row.contact) for row in await Registrations(session).unexpired(0.0)]


async def test_a_burst_costs_one_write_per_aor(server: Server) -> None:
    """Ten REGISTERs each from 50 phones within one interval: one transaction, 50 rows."""
    inserted: list[int] = []

    def count(_conn: object, _cursor: object, sql: str, params: object, *_: object) -> None:
        if sql.startswith("INSERT INTO registrations"):
            inserted.append(len(params) if isinstance(params, list) else 1)

    location = server.location
    event.listen(server.database.engine.sync_engine, "before_cursor_execute", count)
    phones = [server.phone(str(200 + n)) for n in range(50)]
    flushes = location.flushes
    for refresh in range(10):
        for phone in phones:
            contact = f"<sip:{phone.user}@192.0.2.10>"
            assert phone.register(f"Contact: {contact}", now=T0 + refresh).status == 200
    assert location.pending == 50
    assert await location.flush()
    assert (location.flushes - flushes, sum(inserted)) == (1, 50)
    rows = await _stored(server.database)
    assert sorted(rows) == [(f"sip:{p.user}@hotline.local", f"<sip:{p.user}@192.0.2.10>")
                            for p in phones]  # fmt: skip


async def test_changes_reach_the_table_within_a_second(server: Server) -> None:
    """The task flushes by itself: what a kill would leave is at most the last interval."""
    server.phone("101").register("Contact: <sip:101@192.0.2.10>", now=T0)
    async with asyncio.timeout(1.0):
        while not await _stored(server.database):
            await asyncio.sleep(0.05)
    assert server.location.pending == 0


async def test_purged_bindings_leave_the_table(server: Server) -> None:
    server.phone("101").register("Contact: <sip:101@192.0.2.10>", "Expires: 60", now=T0)
    server.phone("102").register("Contact: <sip:102@192.0.2.10>", "Expires: 600", now=T0)
    assert await server.location.flush()
    assert server.location.purge_expired(T0 + 60) == 1
    assert await server.location.flush()
    assert await _stored(server.database) == [("sip:102@hotline.local", "<sip:102@192.0.2.10>")]


CHILD = Path(__file__).with_name("persistent_location_child.py")


async def test_a_kill_loses_at_most_the_last_second(data_dir: Path, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    child = subprocess.Popen([sys.executable, str(CHILD), str(data_dir), str(journal)])
    try:
        async with asyncio.timeout(15):
            while not (journal.exists() and journal.read_text().startswith("ready")):
                assert child.poll() is None, "the registering process died on its own"
                await asyncio.sleep(0.05)
        await asyncio.sleep(2.0)
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    registered, unregistered, unregistered_lately = set(), set(), set()
    for line in journal.read_text().splitlines()[1:]:
        match line.split():
            case ["R", aor, at] if float(at) <= killed_at - 1.0:
                registered.add(aor)
            case ["U", aor, at]:
                (unregistered if float(at) <= killed_at - 1.0 else unregistered_lately).add(aor)
    assert len(registered) > 100, "too little traffic before the kill to show anything"
    again = await Server.start(data_dir, now=time.time())
    try:
        held = {aor for aor in registered if again.location.bindings(aor, time.time())}
    finally:
        await again.stop()
    # A phone unregistered within the last second may be found either way, not one before.
    assert held >= registered - unregistered - unregistered_lately
    assert held & unregistered == set()


async def test_a_failed_flush_keeps_its_changes_for_the_next(server: Server) -> None:
    """The table gone (a real database error), nothing is lost: the AORs stay dirty."""
    table = Base.metadata.tables["registrations"]
    async with server.database.engine.begin() as connection:
        await connection.run_sync(table.drop)
    server.phone("101").register("Contact: <sip:101@192.0.2.10>", "Expires: 60", now=T0)
    assert not await server.location.flush()
    assert server.location.pending == 1

    async with server.database.engine.begin() as connection:
        await connection.run_sync(table.create)
    assert await server.location.flush()
    assert await _stored(server.database) == [("sip:101@hotline.local", "<sip:101@192.0.2.10>")]
