"""The adaptive jitter buffer, with explicit arrival and tick times."""

from __future__ import annotations

import random
from collections.abc import Set

from hotline.media.jitter import JitterBuffer


def test_reframes_30ms_packets_reorders_and_flags_what_never_came() -> None:
    buffer = JitterBuffer(silence=0xFF, depth=320)  # a wait of 20 to 40 ms
    audio = bytes(range(240)) * 4  # 960 samples in 4 packets of 240
    packets = [(1000 + i * 240, audio[i * 240 : (i + 1) * 240]) for i in range(4)]
    for index in (0, 2, 1, 3):  # out of order
        buffer.push(*packets[index])
    frames = [buffer.pop() for _ in range(7)]
    assert frames[0] is None and buffer.missing  # the depth: no audio for it, a loss
    assert b"".join(f for f in frames[1:] if f) == audio
    # The end, not a gap; and the delay before the first frame was no loss either.
    assert buffer.pop() is None and buffer.concealed == 0


def test_a_frame_only_part_of_which_came_is_missing_with_that_part_kept() -> None:
    buffer = JitterBuffer(silence=0xFF, depth=320)
    for index in (0, 2, 3):  # 30 ms packets; the second, straddling frames 1 and 2, lost
        buffer.push(1000 + index * 240, bytes([index + 1]) * 240)
    assert buffer.pop() is None  # the delay
    assert buffer.pop() == b"\x01" * 160 and buffer.partial is None
    # Frame 1 holds the first packet's last 80 samples: missing, with that part kept.
    assert buffer.pop() is None and buffer.partial == (
        b"\x01" * 80 + b"\xff" * 80,
        b"\x01" * 80 + b"\x00" * 80,
    )
    assert buffer.pop() is None and buffer.partial is None  # frame 2: nothing of it came
    assert buffer.pop() == b"\x03" * 160
    assert buffer.concealed == 2


def test_a_lost_packet_is_missing_and_the_one_after_it_is_there_to_bridge_it() -> None:
    buffer = JitterBuffer(silence=0xFF, depth=480)
    for index in (0, 2, 3):  # packet 1 lost
        buffer.push(5000 + index * 160, bytes([index + 1]) * 160)
    assert buffer.pop() is None  # the delay
    assert buffer.pop() is None  # the delay
    assert buffer.pop() == b"\x01" * 160
    assert buffer.pop() is None and buffer.peek() == (b"\x03" * 160, 0)
    assert buffer.concealed == 1  # the lost packet's frame, not the two of the delay


def test_the_first_frame_that_came_after_a_lost_burst_is_found_ahead() -> None:
    buffer = JitterBuffer(silence=0xFF, depth=800)
    for index in (0, 3):  # packets 1 and 2 lost
        buffer.push(5000 + index * 160, bytes([index + 1]) * 160)
    for _ in range(4):
        assert buffer.pop() is None  # the delay
    assert buffer.pop() == b"\x01" * 160
    assert buffer.peek() is None  # the next frame is missing ...
    assert buffer.peek(3) == (b"\x04" * 160, 2)  # ... and the one after the burst is here
    assert buffer.pop() is None and buffer.peek(3) == (b"\x04" * 160, 1)


def test_a_new_stream_goes_on_right_after_the_audio_buffered() -> None:
    buffer = JitterBuffer(silence=0xFF, depth=320)
    buffer.push(5000, b"\x01" * 160)
    buffer.push(5160, b"\x02" * 160)
    assert buffer.pop() is None and buffer.pop() == b"\x01" * 160
    buffer.push(4_000_000_000, b"\x03" * 160)  # a new SSRC with a random timestamp
    assert [buffer.pop(), buffer.pop()] == [b"\x02" * 160, b"\x03" * 160]  # no gap, no cut
    assert buffer.resyncs == 1
    for _ in range(3):  # a replay from 100 ms back with nothing fresh: followed
        buffer.push(4_000_000_000 - 800, b"\x04" * 160)
    assert buffer.late == 3 and buffer.resyncs == 2


def _run(buffer: JitterBuffer, seconds: float, jitter: float, start: int = 0) -> list[float]:
    """A phone's 20 ms packets held 0 to ``jitter`` s on the way, ticks every 20 ms; returns
    each packet's wait in the buffer (seconds from arrival to being taken)."""
    rng = random.Random(7)
    arrivals = sorted(
        (index * 0.02 + (rng.uniform(0, jitter) if index else 0.0), index)
        for index in range(start, start + int(seconds / 0.02))
    )
    waits, taken_at, tick = [], {}, start * 0.02 + 0.005
    for arrival, index in arrivals:
        while tick < arrival:
            frame = buffer.pop(tick)
            if frame is not None:
                taken_at[frame[0] | frame[1] << 8] = tick
            tick += 0.02
        buffer.push(index * 160, index.to_bytes(2, "little") * 80, arrival)
    for arrival, index in arrivals:
        if index in taken_at:
            waits.append(taken_at[index] - arrival)
    return waits


def test_the_delay_grows_with_jitter_and_shrinks_back_when_it_calms() -> None:
    buffer = JitterBuffer(silence=0xFF, depth=160)
    _run(buffer, 3.0, jitter=0.04)  # adapting
    late = buffer.late
    assert late > 0
    waits = sorted(_run(buffer, 6.0, jitter=0.04, start=150))
    assert buffer.late == late  # adapted: nothing late any more
    assert waits[int(len(waits) * 0.99)] < 0.060
    grown = buffer.depth
    _run(buffer, 10.0, jitter=0.0, start=450)
    assert buffer.depth < grown and buffer.late == late  # calm again: less delay


def _talk(
    buffer: JitterBuffer, frames: range, *, lost: Set[int] = frozenset(), late: int | None = None
) -> dict[int, tuple[bytearray | None, tuple[bytearray, int] | None]]:
    """A phone whose 20 ms packets come 5 ms before a tick (packet ``late`` comes 15 ms after
    the next one instead); returns, for each tick, what was popped and what ``peek`` found."""
    seen = {}
    for index in frames:
        tick = index * 0.02
        if index not in lost and index != late:
            buffer.push(index * 160, _frame(index), tick - 0.005)
        if index - 1 == late:
            buffer.push(late * 160, _frame(late), tick - 0.004)
        seen[index] = (buffer.pop(tick), buffer.peek())
    return seen


def _frame(index: int) -> bytes:
    return index.to_bytes(2, "little") * 80


def test_a_loss_carried_on_blind_buys_a_frame_of_look_ahead_for_the_next() -> None:
    # 20 ms of delay: each packet comes just before its tick, so the one after a lost
    # packet is never here when the lost one is due.
    buffer = JitterBuffer(silence=0xFF, depth=160)
    seen = _talk(buffer, range(0, 30), lost={10})
    assert seen[10] == (None, None)  # carried on blind
    # Packet 11 came in time for the tick after: the buffer now waits a frame longer, and
    # the gap, a frame longer, is bridged to it.
    assert seen[11] == (None, (bytearray(_frame(11)), 0))
    assert buffer.depth == 320 and buffer.concealed == 1
    seen = _talk(buffer, range(30, 60), lost={40})
    # The next loss is bridged from both sides: the packet after it is here when it is due
    # (a tick later than it was sent, the frame of delay).
    assert seen[41] == (None, (bytearray(_frame(41)), 0)) and seen[42][0] == _frame(41)
    assert buffer.depth == 320 and buffer.concealed == 2
    # While it keeps losing packets the frame of look-ahead stays; ten calm seconds later
    # the delay shrinks back as far as its margin allows (packets wait 15 ms, not 25).
    _talk(buffer, range(60, 500))
    assert buffer.depth == 320
    _talk(buffer, range(500, 1200))
    assert buffer.depth == 240


def test_a_packet_that_comes_late_is_no_loss_and_grows_the_delay_once() -> None:
    buffer = JitterBuffer(silence=0xFF, depth=160)
    seen = _talk(buffer, range(0, 30), late=10)
    assert seen[10] == (None, None)  # not here yet when due
    assert seen[11][0] == _frame(10)  # it came late: played next, the delay grew for it
    assert buffer.late == 1 and buffer.depth == 320 and buffer.concealed == 0
    assert [seen[i][0] for i in range(12, 30)] == [_frame(i - 1) for i in range(12, 30)]


def test_a_pause_is_no_loss_to_bridge() -> None:
    buffer = JitterBuffer(silence=0xFF, depth=160)
    _talk(buffer, range(0, 30), lost=set(range(10, 20)))  # half a second of nothing sent
    assert buffer.depth == 160 and buffer.concealed == 0


def test_a_frame_missing_before_a_new_stream_is_no_loss_to_bridge() -> None:
    buffer = JitterBuffer(silence=0xFF, depth=160)
    _talk(buffer, range(0, 10))
    assert buffer.pop(0.2) is None  # the old stream's next packet never comes ...
    buffer.push(3_000_000_000, b"\x07" * 160, 0.215)  # ... a new one starts: played next
    assert buffer.pop(0.22) == b"\x07" * 160
    assert buffer.resyncs == 1 and buffer.depth == 160 and buffer.concealed == 0


def test_a_new_stream_follows_on_when_the_old_one_just_ran_out() -> None:
    buffer = JitterBuffer(silence=0xFF, depth=320)
    buffer.push(5000, b"\x01" * 160)
    assert buffer.pop() is None and buffer.pop() == b"\x01" * 160  # nothing buffered now
    buffer.push(4_000_000_000, b"\x03" * 160)  # the next packet, of a new stream
    assert buffer.pop() == b"\x03" * 160  # in the slot due next: no gap, no added delay
    for _ in range(4):  # 80 ms of nothing: the stream paused
        assert buffer.pop() is None
    buffer.push(1_000, b"\x04" * 160)  # after a pause, a new stream gets the delay anew
    assert [buffer.pop(), buffer.pop()] == [None, b"\x04" * 160]
    assert buffer.resyncs == 2
