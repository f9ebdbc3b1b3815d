"""Phones that speak only TCP (RFC 3261 §18, RFC 5923): our Contact says ``transport=tcp``,
requests reach a phone over its own connection while it is open and over a new one to its
Contact otherwise, also after a restart that lost every connection."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from pathlib import Path

import httpx

from hotline.sip import Request, Response, StreamFramer, make_response, parse_message
from hotline.sip.auth import answer_challenge
from hotline.testing.harness import HotlineProcess, free_udp_tcp_port, run_hotline

from .pbx_support import call, call_ids, extensions, phone, settle, sipp, start_server

DOMAIN = "hotline.local"
SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
      b"m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"  # fmt: skip


class TcpPhone:
    """Extension 101 on one TCP connection of its own, from an ephemeral port; its Contact
    names ``contact_port``, where nothing of it listens unless the test starts a peer there."""

    def __init__(self, server: HotlineProcess, contact_port: int) -> None:
        self.socket = socket.create_connection((server.host, server.sip_port), timeout=10)
        self.local_port = self.socket.getsockname()[1]
        self.contact = f"<sip:101@127.0.0.1:{contact_port};transport=tcp>"
        self.framer = StreamFramer()
        self.pending: list[bytes] = []
        self.cseq = 0

    def register(self) -> Response:
        response = self._register(None)
        if response.status == 401:
            response = self._register(response.headers.get_all("WWW-Authenticate")[0])
        return response

    def _register(self, challenge: str | None) -> Response:
        self.cseq += 1
        lines = [
            f"REGISTER sip:{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/TCP 127.0.0.1:{self.local_port};branch=z9hG4bK-{time.time_ns()}",
            "Max-Forwards: 70",
            f"From: <sip:101@{DOMAIN}>;tag=f101",
            f"To: <sip:101@{DOMAIN}>",
            f"Call-ID: reg-101-{self.local_port}@127.0.0.1",
            f"CSeq: {self.cseq} REGISTER",
            f"Contact: {self.contact}",
            "Expires: 600",
        ]
        if challenge is not None:
            lines.append("Authorization: " + answer_challenge(
                challenge, method="REGISTER", uri=f"sip:{DOMAIN}", username="101",
                password="s3cret-101", cnonce=f"c{self.cseq}", nc=1,
            ))  # fmt: skip
        self.socket.sendall(("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode())
        response = self.receive()
        assert isinstance(response, Response), response
        return response

    def receive(self) -> Request | Response:
        while not self.pending:
            data = self.socket.recv(65536)
            assert data, "Hotline closed the phone's connection"
            self.pending += self.framer.feed(data)
        return parse_message(self.pending.pop(0))

    def answer(self, request: Request, status: int, sdp: bytes = b"") -> None:
        response = make_response(request, status, to_tag="phone101")
        response.headers.set("Contact", self.contact)
        if sdp:
            response.headers.set("Content-Type", "application/sdp")
            response.body = sdp
        self.socket.sendall(response.to_bytes())


def _serve(tmp_path: Path) -> HotlineProcess:
    queue = (
        '[[queues]]\nnumber = "800"\nstrategy = "ring_all"\nagents = ["101"]\n'
        'ring_timeout = 5\nmax_wait = 20\nfailover = "hangup"\nwrap_up = 0.5\n'
    )
    return start_server(tmp_path, extensions(always=("101",)) + queue)


def _records(server: HotlineProcess) -> list[dict[str, object]]:
    response = httpx.get(f"{server.http_url}/api/calls", headers=server.api_headers())
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def _caller_trace(tmp_path: Path) -> str:
    """What the caller's SIPp (run with ``-trace_msg``) sent and received."""
    stem = "pbx_caller" if os.geteuid() == 0 else "pbx_caller_silent"
    [path] = tmp_path.glob(f"{stem}_*_messages.log")
    return path.read_text(errors="replace")


def test_a_tcp_only_call_is_ended_by_the_callers_bye_and_recorded_answered(
    tmp_path: Path,
) -> None:
    server = _serve(tmp_path)
    agent = phone(server, tmp_path, "101", "pbx_agent_answer.xml", pause_ms=200, transport="t1")
    caller = call(server, tmp_path, "200", "800", hold_ms=1200, transport="t1",
                  extra=("-trace_msg",))  # fmt: skip
    for peer in (caller, agent):
        code, out = peer.wait()
        assert code == 0, f"{peer.name}:\n{out}\n{server.log_text()}"
    [call_id] = call_ids(settle(server))
    server.wait_for_log(f"call {call_id} ended: caller_hangup", 5)
    # The 200 the caller got tells it to send its ACK and BYE over TCP (RFC 3261 §19.1.1).
    ok = _caller_trace(tmp_path).split("SIP/2.0 200 OK", 1)[1]
    contact = re.search(r"^Contact: *(.*?)\s*$", ok, re.M)
    assert contact is not None and contact.group(1).endswith(";transport=tcp>"), ok
    [record] = _records(server)
    assert record["disposition"] == "answered", record
    assert record["answered_at"] is not None, record
    assert server.stop() == 0, server.log_text()


def test_a_queue_call_reaches_a_tcp_phone_over_the_connection_it_registered_on(
    tmp_path: Path,
) -> None:
    """Nothing listens at the phone's Contact (as behind a NAT): the INVITE and the BYE
    can only come over the connection its REGISTER opened (RFC 5923 §4)."""
    server = _serve(tmp_path)
    agent = TcpPhone(server, contact_port=free_udp_tcp_port())
    assert agent.register().status == 200
    caller = call(server, tmp_path, "200", "800", hold_ms=1000)
    invite = agent.receive()
    assert isinstance(invite, Request) and invite.method == "INVITE", invite
    assert str(invite.contacts[0]).endswith(";transport=tcp>"), invite
    agent.answer(invite, 200, SDP)
    ack = agent.receive()
    assert isinstance(ack, Request) and ack.method == "ACK", ack
    bye = agent.receive()
    assert isinstance(bye, Request) and bye.method == "BYE", bye
    agent.answer(bye, 200)
    code, out = caller.wait()
    assert code == 0, f"{out}\n{server.log_text()}"
    assert "connected to agent 101" in settle(server)
    assert server.stop() == 0, server.log_text()


def test_after_a_restart_a_tcp_phone_receives_its_next_queue_call(tmp_path: Path) -> None:
    """The connection the phone registered over is gone with the process: its binding comes
    back from the store, and the INVITE opens a connection to the phone's Contact (not to
    the port the REGISTER came from)."""
    server = _serve(tmp_path)
    contact_port = free_udp_tcp_port()
    registration = TcpPhone(server, contact_port)
    assert registration.register().status == 200
    time.sleep(1.2)  # more than the registrations' write-behind interval
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    server.stop()
    registration.socket.close()
    restarted = run_hotline(
        tmp_path / "hotline.toml", server.host, server.sip_port, server.http_port
    )
    try:
        agent = sipp(restarted, tmp_path, "pbx_agent_answer.xml", user="101", port=contact_port,
                     pause_ms=200, transport="t1")  # fmt: skip
        caller = call(restarted, tmp_path, "200", "800", hold_ms=1000)
        for peer in (caller, agent):
            code, out = peer.wait()
            assert code == 0, f"{peer.name}:\n{out}\n{restarted.log_text()}"
        assert "connected to agent 101" in settle(restarted)
    finally:
        assert restarted.stop() == 0, restarted.log_text()
