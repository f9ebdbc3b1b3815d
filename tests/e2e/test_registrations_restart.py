"""A restarted server still knows the phones registered before it was killed: no phone has to
register again before it can be reached."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from hotline.sip import Request, Response, parse_message
from hotline.sip.auth import answer_challenge
from hotline.testing.harness import HotlineProcess, run_hotline, start_hotline

DOMAIN = "hotline.local"


class UdpPhone:
    """Extension 101 on a UDP socket of its own, registering with digest credentials."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(5)
        self.port = self.socket.getsockname()[1]
        self.cseq = 0

    def register(self, server: HotlineProcess, *headers: str) -> Response:
        response = self._send(server, headers, None)
        if response.status == 401:
            response = self._send(server, headers, response.headers.get_all("WWW-Authenticate")[0])
        return response

    def _send(
        self, server: HotlineProcess, headers: tuple[str, ...], challenge: str | None
    ) -> Response:
        self.cseq += 1
        lines = [
            f"REGISTER sip:{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};rport;branch=z9hG4bK-{time.time_ns()}",
            "Max-Forwards: 70",
            f"From: <sip:101@{DOMAIN}>;tag=f101",
            f"To: <sip:101@{DOMAIN}>",
            f"Call-ID: reg-101-{self.port}@127.0.0.1",
            f"CSeq: {self.cseq} REGISTER",
            *headers,
        ]
        if challenge is not None:
            lines.append("Authorization: " + answer_challenge(
                challenge, method="REGISTER", uri=f"sip:{DOMAIN}", username="101",
                password="s3cret-101", cnonce=f"c{self.cseq}", nc=1,
            ))  # fmt: skip
        data = ("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode()
        self.socket.sendto(data, (server.host, server.sip_port))
        while True:
            message = parse_message(self.socket.recvfrom(65536)[0])
            if isinstance(message, Response) and message.cseq.number == self.cseq:
                return message
            assert not isinstance(message, Request), message


def test_registrations_survive_a_kill(tmp_path: Path) -> None:
    server = start_hotline(tmp_path)
    registered_at = time.monotonic()
    phone = UdpPhone()
    contact = f"<sip:101@127.0.0.1:{phone.port}>"
    try:
        assert phone.register(server, f"Contact: {contact}", "Expires: 600").status == 200
        time.sleep(1.2)  # more than the registrations' write-behind interval
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
    finally:
        server.stop()

    restarted = run_hotline(
        tmp_path / "hotline.toml", server.host, server.sip_port, server.http_port
    )
    try:
        fetched = phone.register(restarted)  # no Contact: the bindings as they are (§10.2.3)
        assert fetched.status == 200
        assert [str(c.uri) for c in fetched.contacts] == [f"sip:101@127.0.0.1:{phone.port}"]
        expires = int(fetched.contacts[0].param("expires") or 0)
        assert 600 - (time.monotonic() - registered_at) - 1 <= expires <= 600
    finally:
        restarted.stop()
