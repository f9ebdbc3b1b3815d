"""A softphone: Hotline's SIP user agent with Hotline's media engine for its audio.

Used by the demo's simulated callers and agents, by end-to-end tests and by benchmarks. The
phone registers, places and answers calls, plays prompts, WAV files or tones into a call,
sends DTMF (RFC 4733, or in-band when the peer has no telephone-event), and records what it
hears to a mono 8 kHz WAV::

    media = MediaServer(rtp_address="127.0.0.1", port_range=(40000, 40999))
    await media.start()
    phone = Softphone(media, "127.0.0.1", username="101", password="s3cret-101",
                      domain="hotline.local", registrar=Peer(transport="UDP", ...))
    await phone.start(); await phone.register()
    call = await phone.call("102")
    await call.wait_answered()
    await call.play_tone(440.0, seconds=5.0)      # or await call.play(["welcome"])
    await call.record(Path("heard.wav"))          # what the far end sends us
    await call.send_dtmf("123#")
    await call.hangup()

Many phones may share one MediaServer (one media clock for all of them).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from hotline.media import (
    DtmfReceived,
    Language,
    LegId,
    MediaEvent,
    MediaServer,
    PlaybackId,
    RecordingId,
)
from hotline.sip.address import Peer
from hotline.sip.aio.user_agent import (
    Call,
    CallState,
    IncomingCall,
    OutgoingCall,
    UserAgent,
)

__all__ = ["PhoneCall", "PhoneMedia", "Softphone", "write_tone"]

log = logging.getLogger("hotline.softphone")

_RATE = 8000


def write_tone(path: Path, frequency: float, seconds: float, amplitude: float = 8000.0) -> Path:
    """A mono 16-bit 8 kHz WAV holding a sine tone."""
    n = np.arange(int(seconds * _RATE))
    samples = (amplitude * np.sin(2 * np.pi * frequency * n / _RATE)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(_RATE)
        out.writeframes(samples.tobytes())
    return path


class PhoneMedia:
    """``CallMedia`` on one leg of a MediaServer (RFC 3264 offer/answer through the engine)."""

    def __init__(self, server: MediaServer, legs: dict[LegId, PhoneMedia]) -> None:
        self.server = server
        self.leg: LegId | None = None
        self.recording: RecordingId | None = None
        self.closed = False
        self.digits: asyncio.Queue[str] = asyncio.Queue()  # DTMF the far end sent us
        self._offered = False
        self._legs = legs  # the phone's legs, so media events find their call

    def _opened(self, leg: LegId) -> None:
        self.leg = leg
        self._legs[leg] = self

    async def offer(self) -> str:
        leg, sdp = await self.server.create_leg()
        self._opened(leg)
        self._offered = True
        return sdp

    async def answer(self, offer: str) -> str:
        if self.leg is None:
            leg, sdp = await self.server.open_leg(offer)
            self._opened(leg)
            return sdp
        return await self.server.update_leg(self.leg, offer)  # re-INVITE: hold, resume

    async def apply_answer(self, answer: str) -> None:
        # Only the answer to our own offer configures the leg; answers to our hold
        # re-INVITEs change nothing we send.
        if self._offered and self.leg is not None:
            self._offered = False
            await self.server.apply_answer(self.leg, answer)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.recording is not None:
            await self.server.stop_recording(self.recording)
            self.recording = None
        if self.leg is not None:
            self._legs.pop(self.leg, None)
            await self.server.close_leg(self.leg)


class PhoneCall:
    """One call of a softphone: the SIP call plus what the phone plays, hears and dials."""

    def __init__(self, phone: Softphone, sip: Call, media: PhoneMedia) -> None:
        self.phone = phone
        self.sip = sip
        self.media = media
        self.digits = media.digits  # DTMF the far end sent us

    def __repr__(self) -> str:
        return f"<PhoneCall {self.phone.username} {self.sip!r}>"

    @property
    def state(self) -> CallState:
        return self.sip.state

    @property
    def caller(self) -> str:
        return self.sip.caller if isinstance(self.sip, IncomingCall) else self.phone.username

    async def wait_answered(self) -> None:
        await self.sip.wait_answered()

    async def wait_ended(self) -> None:
        await self.sip.wait_ended()

    async def hangup(self) -> None:
        await self.sip.hangup()

    async def ring(self) -> None:
        assert isinstance(self.sip, IncomingCall)
        await self.sip.ring()

    async def answer(self) -> None:
        assert isinstance(self.sip, IncomingCall)
        await self.sip.answer()

    async def reject(self, status: int = 486) -> None:
        assert isinstance(self.sip, IncomingCall)
        await self.sip.reject(status)

    def _leg(self) -> LegId:
        if self.media.leg is None or self.media.closed:
            raise RuntimeError(f"{self!r} has no media")
        return self.media.leg

    async def play(
        self, items: Sequence[str | Path], *, language: Language = "en", loop: bool = False
    ) -> PlaybackId:
        """Play prompts (names of the prompt set) or WAV files to the far end."""
        return await self.media.server.play(self._leg(), items, language=language, loop=loop)

    async def play_tone(self, frequency: float, *, seconds: float = 1.0, loop: bool = True) -> None:
        """Send a sine tone, looped by default, so the far end hears something measurable."""
        await self.play([self.phone.tone_file(frequency, seconds)], loop=loop)

    async def stop_playing(self) -> None:
        await self.media.server.stop_playback(self._leg())

    async def send_dtmf(self, digits: str) -> None:
        """Dial digits in the call (RFC 4733 events, in-band tones without telephone-event)."""
        await self.media.server.send_dtmf(self._leg(), digits)

    async def send_dtmf_info(self, digits: str, duration_ms: int = 160) -> list[int]:
        """Dial digits as SIP INFO application/dtmf-relay, one request each (the form many
        PBXs take besides RFC 4733); returns the status of each answer."""
        statuses = []
        for digit in digits:
            body = f"Signal={digit}\r\nDuration={duration_ms}\r\n".encode()
            statuses.append(await self.sip.send_info(body, "application/dtmf-relay"))
        return statuses

    async def record(self, path: Path) -> None:
        """Record what this phone hears (the far end's audio) to a mono 8 kHz WAV."""
        if self.media.recording is None:
            self.media.recording = await self.media.server.record_leg(self._leg(), path)

    async def stop_recording(self) -> Path | None:
        recording, self.media.recording = self.media.recording, None
        return None if recording is None else await self.media.server.stop_recording(recording)


class Softphone:
    """A registered phone for one extension (see the module docstring)."""

    def __init__(
        self,
        media: MediaServer,
        host: str,
        port: int = 0,
        *,
        username: str,
        password: str,
        domain: str,
        registrar: Peer | None = None,
        display_name: str | None = None,
    ) -> None:
        self.media = media
        self.username = username
        self.ua = UserAgent(
            host, port, username=username, password=password, domain=domain,
            registrar=registrar, media=self._new_media, display_name=display_name,
            name="Hotline softphone",
        )  # fmt: skip
        self.ua.on_incoming = self._incoming
        self.on_incoming: Callable[[PhoneCall], None] | None = None
        self._incoming_calls: asyncio.Queue[PhoneCall] = asyncio.Queue()
        self._legs: dict[LegId, PhoneMedia] = {}
        self._tones: Path | None = None
        media.subscribe(self._media_event)

    async def start(self) -> None:
        await self.ua.start()

    async def close(self) -> None:
        await self.ua.close()
        if self._tones is not None:
            shutil.rmtree(self._tones, ignore_errors=True)

    async def __aenter__(self) -> Softphone:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def register(self, expires: int = 3600) -> int:
        return await self.ua.register(expires)

    async def unregister(self) -> None:
        await self.ua.unregister()

    async def call(
        self, number: str, *, destination: Peer | None = None, caller_id: str | None = None
    ) -> PhoneCall:
        """Place a call (see ``UserAgent.invite``)."""
        sip: OutgoingCall = await self.ua.invite(
            number, destination=destination, caller_id=caller_id
        )
        return self._wrap(sip)

    async def next_incoming(self) -> PhoneCall:
        """The next call to this phone (when ``on_incoming`` is not set)."""
        return await self._incoming_calls.get()

    def tone_file(self, frequency: float, seconds: float) -> Path:
        if self._tones is None:
            self._tones = Path(tempfile.mkdtemp(prefix="hotline-tones-"))
        path = self._tones / f"{frequency:g}-{seconds:g}.wav"
        return path if path.exists() else write_tone(path, frequency, seconds)

    def _new_media(self) -> PhoneMedia:
        return PhoneMedia(self.media, self._legs)

    def _wrap(self, sip: Call) -> PhoneCall:
        assert isinstance(sip.media, PhoneMedia)
        return PhoneCall(self, sip, sip.media)

    def _incoming(self, sip: IncomingCall) -> None:
        call = self._wrap(sip)
        if self.on_incoming is not None:
            self.on_incoming(call)
        else:
            self._incoming_calls.put_nowait(call)

    def _media_event(self, event: MediaEvent) -> None:
        if isinstance(event, DtmfReceived):
            media = self._legs.get(event.leg_id)
            if media is not None:
                media.digits.put_nowait(event.digit)
