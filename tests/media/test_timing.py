"""The streams we send keep real-time RTP timestamps whatever the source does (RFC 3550 §7.2,
RFC 7667 §3.2.1): measured at the receiving phone, over real UDP on loopback."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time

import pytest

from hotline.media import MediaServer, Role

from .conftest import Received, RtpPeer, connect

_SEGMENT = 15  # packets of 20 ms between two source changes


class Talker:
    """Sends a phone's 20 ms packets on a steady schedule (sleeping 20 ms after each would
    let the phone's own clock fall behind real time)."""

    def __init__(self, peer: RtpPeer) -> None:
        self.peer = peer
        self.due = time.monotonic()

    async def talk(self, packets: int) -> None:
        for _ in range(packets):
            self.peer.send_codes(b"\x35" * 160)
            await self.pause(0.02)

    async def pause(self, seconds: float) -> None:
        self.due += seconds
        await asyncio.sleep(max(self.due - time.monotonic(), 0))


async def _source_changes(server: MediaServer, caller: RtpPeer, agent_leg: int) -> int:
    """The caller's stream changes in every way a phone or a border controller does it;
    returns how many changes there were."""
    talker = Talker(caller)
    await talker.talk(_SEGMENT)
    caller.sequence, caller.timestamp = caller.sequence + 5000, caller.timestamp + 720  # +90 ms
    await talker.talk(_SEGMENT)
    caller.timestamp -= 8800  # the stream starts over, a second back in time
    await talker.talk(_SEGMENT)
    caller.ssrc, caller.sequence, caller.timestamp = 0xBEEF, 7, 123_456  # a new SSRC
    await talker.talk(_SEGMENT)
    await server.send_dtmf(agent_leg, "1")  # the caller's key, relayed to the agent
    await talker.pause(0.3)
    await talker.talk(_SEGMENT)
    await talker.pause(0.5)  # hold: nothing from the caller, same stream after it
    caller.timestamp += 160 * 3
    await talker.talk(_SEGMENT)
    return 6


def _offsets_by_stream(received: list[Received]) -> list[float]:
    """The median of timestamp minus arrival time (seconds) of each stretch of audio between
    two marker bits: a constant for a stream that keeps real time."""
    stretches: list[list[float]] = []
    for packet in received:
        if packet.payload_type != 0:
            continue
        if packet.marker or not stretches:
            stretches.append([])
        stretches[-1].append(packet.timestamp / 8000 - packet.arrival)
    return [statistics.median(stretch) for stretch in stretches]


@pytest.mark.parametrize("mode", ["relay", "mix"])
async def test_timestamps_keep_real_time_across_source_stream_changes(
    server: MediaServer, mode: str
) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    bridge = await server.bridge(caller_leg, agent_leg)
    if mode == "mix":  # a listener makes the bridge decode and mix on the tick
        listener_leg, _ = await connect(server)
        await server.add_participant(bridge, listener_leg, Role.LISTEN)
    changes = await _source_changes(server, caller, agent_leg)
    await asyncio.sleep(0.1)

    audio = [r for r in agent.received if r.payload_type == 0]
    offsets = _offsets_by_stream(audio)
    if mode == "relay":  # every change is marked (the mixer's stream has none to mark)
        assert len(offsets) >= changes
    drift = [abs(offset - offsets[0]) for offset in offsets]
    assert max(drift) < 0.015, [round(value * 1000) for value in drift]
    # Our own stream: one SSRC, sequence numbers one apart, timestamps never backwards.
    assert {r.ssrc for r in agent.received} == {agent.received[0].ssrc}
    sequences = [r.sequence for r in agent.received]
    assert all((b - a) & 0xFFFF == 1 for a, b in itertools.pairwise(sequences))
    stamps = [r.timestamp for r in audio]
    assert all(0 < (b - a) & 0xFFFFFFFF < 8000 * 2 for a, b in itertools.pairwise(stamps))


async def test_losses_and_silence_suppression_keep_the_source_timing_unmarked(
    server: MediaServer,
) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    talker = Talker(caller)
    await talker.talk(10)
    caller.sequence += 3  # three packets lost on the way: the receiver conceals them
    caller.timestamp += 3 * 160
    await talker.pause(0.06)
    await talker.talk(10)
    await talker.pause(0.4)  # silence suppressed: the next packet's timestamp jumps with it
    caller.timestamp += 20 * 160
    await talker.talk(10)
    await asyncio.sleep(0.1)
    markers = [r.marker for r in agent.received]
    assert markers.count(True) == 1 and markers[0]
    stamps = [r.timestamp - agent.received[0].timestamp for r in agent.received]
    assert stamps[10] == 13 * 160 and stamps[20] == 43 * 160
