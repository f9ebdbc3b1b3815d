"""Real softphones for the interop suite: baresip (Debian ``baresip-core``) driven through its
``ctrl_tcp`` module, and PJSIP (PyPI ``pjsua2-python``) run by ``pjsua_phone.py``.

Both take the same commands (baresip's: dial, accept, sndcode, hold, resume, hangup) and
report the same events (REGISTER_OK, CALL_INCOMING, CALL_ESTABLISHED, CALL_DTMF_START,
CALL_CLOSED ...), so one test drives either. Each phone registers one extension over UDP or
over TCP only, with the phone's default settings apart from where Hotline is.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import queue
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from hotline.testing.harness import baresip_ports, die_with_parent

Transport = Literal["udp", "tcp"]
Kind = Literal["baresip", "pjsua"]

DOMAIN = "hotline.local"
BARESIP_MODULES = Path("/usr/lib/baresip/modules")
PJSUA_PHONE = Path(__file__).with_name("pjsua_phone.py")
# Modules of baresip-core the phone is made of: G.711, a WAV file as the microphone, a bridge
# as the loudspeaker (there is no null player), accounts, the commands, and the control socket.
BARESIP_USES = ("g711", "aufile", "aubridge", "account", "menu", "ctrl_tcp")


@dataclass(frozen=True)
class Line:
    """One extension a phone registers: where Hotline is, how, and the phone's RTP ports."""

    user: str
    password: str
    host: str
    port: int
    transport: Transport
    rtp_ports: tuple[int, int]


def require(kind: Kind) -> None:
    """Skip, saying what to install, when the phone is not on this machine."""
    if kind == "baresip":
        missing = [m for m in BARESIP_USES if not (BARESIP_MODULES / f"{m}.so").exists()]
        if shutil.which("baresip") is None or missing:
            pytest.skip(
                "baresip is not installed (Debian package baresip-core; .ci/run installs it)"
            )
    elif importlib.util.find_spec("pjsua2") is None:
        pytest.skip("pjsua2 is not installed (PyPI pjsua2-python, a dev dependency: uv sync)")


class Phone:
    """A running softphone: send it commands, wait for its events."""

    def __init__(self, line: Line, process: subprocess.Popen[bytes]) -> None:
        self.line = line
        self.process = process
        self._events: queue.Queue[dict[str, object]] = queue.Queue()
        self.seen: list[dict[str, object]] = []  # every event so far, for failure messages
        self._pending: list[dict[str, object]] = []  # received, not yet expected

    def send(self, command: str, params: str = "") -> None:
        raise NotImplementedError

    def wait_registered(self) -> None:
        self.expect("REGISTER_OK")

    def _event(self, event: dict[str, object]) -> None:
        self._events.put(event)

    def expect(self, kind: str, timeout: float = 8.0) -> str:
        """Wait for the next event of ``kind`` (events of other kinds stay for later);
        return its parameter."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self._pending:
                if event["type"] == kind:
                    self._pending.remove(event)
                    return str(event.get("param", ""))
            left = deadline - time.monotonic()
            try:
                event = self._events.get(timeout=max(0.0, left))
            except queue.Empty:
                raise AssertionError(
                    f"{self} did not report {kind} within {timeout} s; it reported {self.seen}"
                ) from None
            if event["type"] != "RESPONSE":
                self.seen.append(event)
            self._pending.append(event)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.line.user} over {self.line.transport}>"


class Baresip(Phone):
    """baresip 1.0 with a configuration of its own in ``folder``. It always listens on UDP,
    TCP and TLS (1.0 has no setting to turn one off); ``;transport=tcp`` in its account makes
    it send everything over TCP."""

    def __init__(self, line: Line, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        sip_port, control_port = baresip_ports()
        tone = folder / "tone.wav"
        _write_tone(tone)
        modules = "".join(f"module {m}.so\n" for m in BARESIP_USES)
        (folder / "config").write_text(
            f"sip_listen 127.0.0.1:{sip_port}\nnet_interface 127.0.0.1\n"
            f"rtp_ports {line.rtp_ports[0]}-{line.rtp_ports[1]}\n"
            f"module_path {BARESIP_MODULES}\n{modules}"
            f"ctrl_tcp_listen 127.0.0.1:{control_port}\n"
            f"audio_player aubridge,nil\naudio_alert aubridge,nil\naudio_source aufile,{tone}\n"
        )
        transport = ";transport=tcp" if line.transport == "tcp" else ""
        (folder / "accounts").write_text(
            f"<sip:{line.user}@{DOMAIN}{transport}>;auth_pass={line.password};"
            f'outbound="sip:{line.host}:{line.port}{transport}";regint=300\n'
        )
        (folder / "contacts").write_text("")
        process = subprocess.Popen(
            ["baresip", "-f", str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=(folder / "baresip.log").open("wb"),
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        super().__init__(line, process)
        self._socket = _connect(control_port, process)
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, command: str, params: str = "") -> None:
        body = json.dumps({"command": command, "params": params, "token": command}).encode()
        self._socket.sendall(b"%d:%s," % (len(body), body))

    def wait_registered(self) -> None:
        """Asked with ``reginfo``: baresip registers as it starts, maybe before the control
        socket is open, so the REGISTER_OK event may have gone to nobody."""
        deadline = time.monotonic() + 8
        status = ""
        while time.monotonic() < deadline:
            self.send("reginfo")
            status = self.expect("RESPONSE")
            if "\x1b[32mOK" in status:
                return
            time.sleep(0.2)
        raise AssertionError(f"{self} did not register: {status!r}; events {self.seen}")

    def _read(self) -> None:
        """Netstrings of JSON: events, and responses to commands (a refusal becomes a
        COMMAND_FAILED event)."""
        buffer = b""
        while data := _recv(self._socket):
            buffer += data
            while b":" in buffer:
                length, _, rest = buffer.partition(b":")
                if len(rest) < int(length) + 1:
                    break
                message = json.loads(rest[: int(length)])
                buffer = rest[int(length) + 1 :]
                if message.get("event"):
                    self._event(message)
                elif message.get("response") and not message.get("ok"):
                    self._event({"type": "COMMAND_FAILED", "param": message.get("data")})
                elif message.get("token") == "reginfo":
                    self._event({"type": "RESPONSE", "param": message.get("data")})

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send("quit")
            self.process.wait(timeout=3)
        self._socket.close()
        super().close()


class Pjsua(Phone):
    """PJSIP's pjsua2 in a process of its own, with one transport: UDP, or TCP only."""

    def __init__(self, line: Line) -> None:
        process = subprocess.Popen(
            [sys.executable, str(PJSUA_PHONE), line.user, line.password, DOMAIN, line.host,
             str(line.port), line.transport, str(line.rtp_ports[0]),
             str(line.rtp_ports[1] - line.rtp_ports[0])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )  # fmt: skip
        super().__init__(line, process)
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, command: str, params: str = "") -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"command": command, "params": params}).encode())
        self.process.stdin.write(b"\n")
        self.process.stdin.flush()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            if raw.startswith(b"{"):  # pjlib may print its own lines before logging is set
                self._event(json.loads(raw))

    def close(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # the phone hangs up, unregisters and quits
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=3)
        super().close()


def start_phone(kind: Kind, line: Line, folder: Path) -> Phone:
    return Baresip(line, folder) if kind == "baresip" else Pjsua(line)


def _connect(port: int, process: subprocess.Popen[bytes]) -> socket.socket:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"baresip exited with {process.returncode}")
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            time.sleep(0.05)
    raise AssertionError("baresip's control socket never opened")


def _recv(connection: socket.socket) -> bytes:
    try:
        connection.settimeout(None)
        return connection.recv(65536)
    except OSError:
        return b""


def _write_tone(path: Path, seconds: int = 20) -> None:
    """A 440 Hz tone at 8 kHz (baresip's aufile takes the codec's rate only)."""
    samples = (int(8000 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(8000 * seconds))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
