"""What callers, agents and supervisors hear: PESQ scores (ITU-T P.862 narrow band) and added
delay, for the media service's calls under loss and jitter.

The media runs in its own process (``MediaWorker``, as Hotline runs it); this process plays the
phones over loopback: each speaks prompt-set speech in 20 ms G.711 packets on a steady clock,
starts its stream over (new SSRC, sequence numbers and timestamps) half-way, and hears by RTP
timestamp as a phone does. The caller's packets to Hotline pass a relay that loses and jitters
them (``hotline.testing.voice.ImpairedLink``). For each case and impairment the table gives
the PESQ score against what was sent (4.55 is the G.711 ceiling) and, where Hotline decodes
(the whisperer's ear), the p50/p99 delay Hotline adds (arrival of a caller's packet to the
whisperer's packet holding its speech).

    uv run python bench/voice_quality.py
    uv run python bench/voice_quality.py --seconds 8 --loss 0 0.05 0.1 --jitter 0 0.04
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hotline.media import MediaWorker, Role
from hotline.media.g711 import Law, decode, encode
from hotline.media.rtp import build_rtp, parse_header
from hotline.testing.voice import (
    ImpairedLink,
    Packet,
    added_delays,
    percentile,
    playout,
    score,
    speech,
)


@dataclass(eq=False)
class Phone(asyncio.DatagramProtocol):
    """A test phone's RTP side: speaks ``voice``, keeps what it hears with arrival times."""

    voice: np.ndarray
    received: list[tuple[int, float, bytes]] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None
    remote: tuple[str, int] | None = None
    link: ImpairedLink | None = None

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        header = parse_header(data)
        if header.payload_type == 0:
            payload = data[header.payload_start : header.payload_end]
            self.received.append((header.timestamp, time.monotonic(), payload))

    async def talk(self) -> None:
        codes = encode(self.voice, Law.PCMU)
        ssrc, sequence, timestamp, due = 0x1234, 1, 5000, time.monotonic()
        for index, start in enumerate(range(0, len(codes) - 159, 160)):
            if index == len(codes) // 320:
                ssrc, sequence, timestamp = 0x4321, sequence + 30_000, timestamp + 1_234_567
            packet = build_rtp(
                payload_type=0, sequence=sequence, timestamp=timestamp, ssrc=ssrc,
                payload=codes[start : start + 160], marker=False,
            )  # fmt: skip
            assert self.transport is not None and self.remote is not None
            self.transport.sendto(packet, self.remote)
            sequence, timestamp, due = sequence + 1, timestamp + 160, due + 0.02
            await asyncio.sleep(max(due - time.monotonic(), 0))

    def heard(self) -> np.ndarray:
        packets = [Packet(t, arrival, decode(p, Law.PCMU)) for t, arrival, p in self.received]
        return playout(packets).samples

    @property
    def sent(self) -> np.ndarray:
        return decode(encode(self.voice, Law.PCMU), Law.PCMU)


async def _phone(media: MediaWorker, language: str | None, loss: float = 0.0, jitter: float = 0.0):
    loop = asyncio.get_running_loop()
    voice = speech(ARGS.seconds, language) if language else np.zeros(0, np.int16)
    transport, phone = await loop.create_datagram_endpoint(
        lambda: Phone(voice), local_addr=("127.0.0.1", 0)
    )
    phone.transport = transport
    port = transport.get_extra_info("sockname")[1]
    offer = (
        f"v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0\r\n"
    )
    leg, answer = await media.open_leg(offer)
    match = re.search(r"m=audio (\d+)", answer)
    assert match is not None
    phone.remote = ("127.0.0.1", int(match.group(1)))
    if loss or jitter:
        phone.link = await ImpairedLink.open(phone.remote, loss=loss, jitter=jitter)
        phone.remote = phone.link.address
    return leg, phone


async def queue_call(media: MediaWorker, loss: float, jitter: float) -> dict[str, object]:
    caller_leg, caller = await _phone(media, "en", loss, jitter)
    agent_leg, agent = await _phone(media, "ru")
    await media.bridge(caller_leg, agent_leg)
    await asyncio.gather(caller.talk(), agent.talk())
    await asyncio.sleep(0.3)
    return {
        "queue call, agent hears": (caller.sent, agent.heard()),
        "queue call, caller hears": (agent.sent, caller.heard()),
    }


async def recorded_call(media: MediaWorker, loss: float, jitter: float) -> dict[str, object]:
    caller_leg, caller = await _phone(media, "en", loss, jitter)
    agent_leg, _ = await _phone(media, None)
    bridge = await media.bridge(caller_leg, agent_leg)
    recording = await media.record(bridge, Path(f"bench-{caller_leg}.wav"))
    await caller.talk()
    await asyncio.sleep(0.3)
    path = await media.stop_recording(recording)
    await asyncio.sleep(0.2)
    with wave.open(str(path)) as read:
        stereo = np.frombuffer(read.readframes(read.getnframes()), "<i2").reshape(-1, 2)
    return {"recording, caller channel": (caller.sent, stereo[:, 0].copy())}


async def whisper(media: MediaWorker, loss: float, jitter: float) -> dict[str, object]:
    caller_leg, caller = await _phone(media, "en", loss, jitter)
    agent_leg, _ = await _phone(media, None)
    supervisor_leg, supervisor = await _phone(media, None)
    bridge = await media.bridge(caller_leg, agent_leg)
    await media.add_participant(bridge, supervisor_leg, Role.WHISPER)
    await caller.talk()
    await asyncio.sleep(0.3)
    return {
        "whisper, supervisor hears": (caller.sent, supervisor.heard()),
        "delay": _added_delays(caller, supervisor),
    }


def _added_delays(caller: Phone, listener: Phone) -> list[float]:
    if caller.link is None:
        return []
    heard = [(arrival, payload) for _, arrival, payload in listener.received]
    return added_delays(encode(caller.voice, Law.PCMU), caller.link.forwarded, heard)


async def main() -> None:
    print(f"{'case':38} {'loss':>5} {'jitter':>7} {'PESQ':>5} {'delay p50/p99 ms':>17}")
    with tempfile.TemporaryDirectory() as folder:
        media = MediaWorker(
            rtp_address="127.0.0.1", port_range=(46000, 46999), recordings_dir=Path(folder)
        )
        await media.start()
        try:
            for loss in ARGS.loss:
                for jitter in ARGS.jitter:
                    for scenario in (queue_call, recorded_call, whisper):
                        result = await scenario(media, loss, jitter)
                        _print(result, loss, jitter)
        finally:
            await media.close()


def _print(result: dict[str, object], loss: float, jitter: float) -> None:
    delays = result.pop("delay", [])
    assert isinstance(delays, list)
    for name, pair in result.items():
        assert isinstance(pair, tuple)
        said, heard = pair
        delay = ""
        if delays:
            delay = f"{percentile(delays, 0.5) * 1000:.1f} / {percentile(delays, 0.99) * 1000:.1f}"
        print(f"{name:38} {loss:5.0%} {jitter * 1000:5.0f}ms {score(said, heard):5.2f} {delay:>17}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--loss", type=float, nargs="+", default=[0.0, 0.05, 0.1])
    parser.add_argument("--jitter", type=float, nargs="+", default=[0.0, 0.04])
    ARGS = parser.parse_args()
    asyncio.run(main())
