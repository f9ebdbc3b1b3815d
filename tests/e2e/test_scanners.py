"""SIPVicious against ``hotline serve``: svcrack's dictionary attack finds no password and
svwar's enumeration finds no extension, while a phone with the right password registers from
the very same address (issue 15)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.sip import Request, SipParseError, make_response, parse_message
from hotline.testing.harness import HotlineProcess, free_udp_tcp_port, run_sipp

_BIN = Path(sys.executable).parent


def sipvicious(tool: str, *args: str, port: int) -> str:
    """Run ``sipvicious_<tool>`` from loopback against the SIP server at ``port``; its output."""
    program = _BIN / f"sipvicious_{tool}"
    if not program.exists():
        pytest.skip(f"{program.name} is missing: uv sync installs sipvicious (a dev dependency)")
    command = [
        str(program), *args, "-b", "127.0.0.1", "-x", "127.0.0.1",
        "-P", str(free_udp_tcp_port()), "-p", str(port), "127.0.0.1",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return done.stdout + done.stderr


def test_svcrack_with_120_words_finds_nothing_and_phones_still_register(
    hotline: HotlineProcess, tmp_path: Path
) -> None:
    # svcrack works here: a password early in its list is found.
    short = tmp_path / "short.txt"
    short.write_text("guess\ns3cret-102\n")
    assert "s3cret-102" in sipvicious(
        "svcrack", "-u", "102", "-d", str(short), port=hotline.sip_port
    )
    # The right password sixty words in comes after the user is blocked from the address.
    words = [f"guess{n:03d}" for n in range(120)]
    words[60] = "s3cret-101"
    dictionary = tmp_path / "words.txt"
    dictionary.write_text("\n".join(words) + "\n")
    output = sipvicious("svcrack", "-u", "101", "-d", str(dictionary), port=hotline.sip_port)
    assert "found nothing" in output and "s3cret-101" not in output, output
    assert "Refusing user '101' from 127.0.0.1" in hotline.log_text()
    # Another phone at the attacked address registers at once.
    result = run_sipp("register.xml", hotline, tmp_path, user="102", password="s3cret-102")
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("method", ["REGISTER", "INVITE", "OPTIONS"])
def test_svwar_finds_no_extension(hotline: HotlineProcess, method: str) -> None:
    output = sipvicious("svwar", "-e100-300", "-m", method, port=hotline.sip_port)
    assert "found nothing" in output, output
    assert "| 101" not in output and "| 102" not in output


@pytest.fixture
def leaky_registrar() -> Iterator[int]:
    """The positive control: a registrar that gives extension 101 away (401 for it, 404 for
    any other), the way svwar tells extensions apart. Yields its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(65535)
                request = parse_message(data)
            except (TimeoutError, SipParseError):
                continue
            if isinstance(request, Request):
                known = request.to_address.uri.user == "101"
                sock.sendto(make_response(request, 401 if known else 404).to_bytes(), peer)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join()
    sock.close()


def test_svwar_finds_an_extension_a_leaky_registrar_gives_away(
    leaky_registrar: int,
) -> None:
    output = sipvicious("svwar", "-e100-110", "-m", "REGISTER", port=leaky_registrar)
    assert "| 101" in output and "| 102" not in output, output
