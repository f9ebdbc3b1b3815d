"""``hotline serve`` driven by SIPp over UDP and TCP: registration, OPTIONS, garbage."""

from __future__ import annotations

import random
import signal
import socket
from pathlib import Path

import pytest

from hotline.testing.harness import HotlineProcess, run_sipp, start_hotline

TRANSPORTS = [pytest.param("u1", id="udp"), pytest.param("t1", id="tcp")]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_register_with_digest_auth(hotline: HotlineProcess, tmp_path: Path, transport: str) -> None:
    result = run_sipp("register.xml", hotline, tmp_path, transport=transport)
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_wrong_password_never_registers(
    hotline: HotlineProcess, tmp_path: Path, transport: str
) -> None:
    result = run_sipp(
        "register_wrong_password.xml", hotline, tmp_path, transport=transport, password="guess1"
    )
    assert result.returncode == 0, result.output


def test_unknown_user_is_challenged_like_a_wrong_password(
    hotline: HotlineProcess, tmp_path: Path
) -> None:
    result = run_sipp(
        "register_wrong_password.xml", hotline, tmp_path, user="999", password="whatever"
    )
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unregister_removes_the_binding(
    hotline: HotlineProcess, tmp_path: Path, transport: str
) -> None:
    result = run_sipp("unregister.xml", hotline, tmp_path, transport=transport)
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_options_answered(hotline: HotlineProcess, tmp_path: Path, transport: str) -> None:
    result = run_sipp("options.xml", hotline, tmp_path, transport=transport)
    assert result.returncode == 0, result.output


def _garbage(rng: random.Random) -> bytes:
    valid = (
        b"OPTIONS sip:hotline.local SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:hotline.local>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
        b"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 1500))
    if kind == 1:
        return valid[: rng.randrange(len(valid))]
    if kind == 2:
        data = bytearray(valid)
        for _ in range(rng.randrange(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind == 3:
        return valid.replace(b"Content-Length: 0", b"Content-Length: 99999")
    return b"INVITE sip:x SIP/2.0\r\n" + b"X: " + b"y" * 70000 + b"\r\n\r\n"


def test_server_survives_a_burst_of_garbage(hotline: HotlineProcess, tmp_path: Path) -> None:
    rng = random.Random(4475)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(2000):
            data = _garbage(rng)
            sock.sendto(data[:65000], (hotline.host, hotline.sip_port))
    with socket.create_connection((hotline.host, hotline.sip_port), timeout=5) as stream:
        stream.sendall(b"NOT SIP AT ALL\r\nContent-Length: banana\r\n\r\n")
        stream.settimeout(5)
        try:
            leftover = stream.recv(4096)
        except ConnectionResetError:
            leftover = b""
        assert leftover == b"" or leftover.startswith(b"SIP/2.0 400")
    for transport in ("u1", "t1"):
        result = run_sipp("options.xml", hotline, tmp_path, transport=transport)
        assert result.returncode == 0, result.output


def test_malformed_request_gets_400_with_reason(hotline: HotlineProcess) -> None:
    request = (
        b"OPTIONS sip:hotline.local SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad1\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:hotline.local>\r\nCall-ID: bad-cseq\r\n"
        b"CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        sock.sendto(request, (hotline.host, hotline.sip_port))
        answer, _ = sock.recvfrom(65535)
    status_line = answer.split(b"\r\n", 1)[0].decode()
    assert status_line.startswith("SIP/2.0 400 ")
    assert "CSeq" in status_line


def test_ipv6_options_over_udp_and_tcp(tmp_path: Path) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    server = start_hotline(tmp_path, host="::1")
    try:
        for kind, name in ((socket.SOCK_DGRAM, b"UDP"), (socket.SOCK_STREAM, b"TCP")):
            request = (
                b"OPTIONS sip:hotline.local SIP/2.0\r\n"
                b"Via: SIP/2.0/" + name + b" [::1]:9;branch=z9hG4bKv6" + name + b";rport\r\n"
                b"From: <sip:a@b>;tag=1\r\nTo: <sip:hotline.local>\r\nCall-ID: v6" + name + b"\r\n"
                b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            )
            with socket.socket(socket.AF_INET6, kind) as sock:
                sock.settimeout(5)
                sock.connect(("::1", server.sip_port))
                sock.sendall(request)
                answer = sock.recv(65535)
            assert answer.startswith(b"SIP/2.0 200 "), answer
    finally:
        assert server.stop() == 0


def test_sigint_stops_cleanly(tmp_path: Path) -> None:
    server = start_hotline(tmp_path)
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=10) == 0
    server.wait_for_log("stopped")
