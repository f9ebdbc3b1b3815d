"""How many bridged, recorded G.711 calls one core carries.

The media server runs on uvloop, pinned to one CPU. A separate process, pinned to the other,
plays both phones of every call: it sends a 20 ms G.711 packet per leg (spread over the frame
like real phones), stamps each payload with its send time, and receives what the server
relays. Every call is recorded to a stereo WAV. For each call count the benchmark prints late
ticks of the media clock, packet loss, the forwarding delay phone -> server -> phone (p50/p99,
from the send call to the kernel's receive timestamp, both loopback hops included, so an upper
bound of the delay the server adds) and the server's CPU use, then names the largest count
with under 1 % late ticks and no loss.

The CPU columns are the server's user+system time over the measured seconds: in percent of
one core, the kernel's part of it, and in milliseconds per call and second (1000 divided by
it is the calls one core carries at that cost). ``load`` is the machine's one-minute load
average: other processes on a shared machine delay the server's wake-ups (late ticks, loss)
and slow its CPU down, so compare runs made under similar load, and a --bare run next to it;
the yardstick (see _yardstick.py) drops in the host's slow periods, whatever the load.

    uv run python bench/media_bridge.py --calls 100 200 300 --seconds 5
    uv run python bench/media_bridge.py --calls 100 200 300 --seconds 5 --bare   # baseline
    uv run python bench/media_bridge.py --calls 300 500 --bare-connected   # our socket floor
    uv run python bench/media_bridge.py --calls 500 --seconds 6 --engine-only
    uv run python bench/media_bridge.py --calls 500 --seconds 6 --engine-only --loss 0.1

``--engine-only`` measures what no other process can skew: the engine's own CPU time (process
time) for the same calls, with every leg's packets handed to its socket's handler in-process
(the kernel's and the loop's socket work left out, sends dropped) and the clock's ticks called
back to back: per packet, per tick (mean, p99, worst) and per call-second. With ``--loss``
that share of the packets never arrives, and the recordings conceal what is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import resource
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import uvloop

from _yardstick import yardstick
from hotline.media import MediaServer
from hotline.media.aio.clock import MediaClock

HEADER = struct.Struct("!BBHII")
STAMP = struct.Struct("<dI")
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux: kernel receive times


@dataclass
class Result:
    calls: int
    late_percent: float
    loss_percent: float
    p50_ms: float
    p99_ms: float
    cpu_percent: float
    system_percent: float
    max_tick_ms: float
    load: float


def offer(port: int) -> str:
    return (
        "v=0\r\no=bench 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    )


def pin(cpu: int) -> None:
    """Keep this process on one CPU (the server on 0, the phones on 1) when there are two."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def phones(
    ports: list[int], seconds: float, warmup: float, queue: multiprocessing.Queue, pinned: bool
) -> None:
    """The generator process: every leg sends 50 packets a second and receives the relay."""
    if pinned:
        pin(1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 << 20)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind(("127.0.0.1", 0))
    queue.put(sock.getsockname()[1])
    ports = queue.get()
    sock.setblocking(False)
    audio = os.urandom(148)  # not silence: recordings decode varied codes, as in a real call
    legs = [("127.0.0.1", port) for port in ports]
    slices = 10  # spread each 20 ms frame's packets over ten 2 ms slots
    delays: list[float] = []
    sent = received = 0
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    frame = 0
    while True:
        frame_start = start + frame * 0.02
        if frame_start >= stop_at:
            break
        for part in range(slices):
            slot = frame_start + part * 0.002
            now = time.monotonic()
            while now < slot:
                received += drain(sock, delays, measure_from, slot - now)
                now = time.monotonic()
            measuring = now >= measure_from
            for index in range(part, len(legs), slices):
                packet = HEADER.pack(0x80, 0, frame & 0xFFFF, frame * 160, index + 1)
                sock.sendto(packet + STAMP.pack(time.time(), measuring) + audio, legs[index])
                sent += measuring
        frame += 1
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        received += drain(sock, delays, measure_from, 0.05)
    queue.put((sent, received, delays))


def drain(sock: socket.socket, delays: list[float], measure_from: float, timeout: float) -> int:
    """Read what arrived; the delay uses the kernel's arrival time, not when we got to it."""
    count = 0
    # Sleep on a timer rather than on the socket: a process blocked on the socket would make
    # every server sendto() pay for waking it, which real phones on other hosts never cost.
    time.sleep(max(timeout, 0))
    while True:
        try:
            data, ancillary, _, _ = sock.recvmsg(2048, 64)
        except BlockingIOError:
            break
        arrival = time.time()
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", value[:16])
                arrival = seconds + nanoseconds / 1e9
        stamp, measuring = STAMP.unpack_from(data, 12)
        if measuring:
            delays.append(arrival - stamp)
            count += 1
    return count


class BareRelay(asyncio.DatagramProtocol):
    """The calibration baseline: forward each datagram untouched to the partner's phone."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.partner: BareRelay | None = None
        self.phone: tuple[str, int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's UDP transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.phone = addr
        partner = self.partner
        if partner is not None and partner.phone is not None and partner.transport is not None:
            partner.transport.sendto(data, partner.phone)


async def serve_bare(
    calls: int, phone_port: int
) -> tuple[list[int], MediaClock, list[asyncio.BaseTransport]]:
    loop = asyncio.get_running_loop()
    ports: list[int] = []
    transports: list[asyncio.BaseTransport] = []
    for _ in range(calls):
        pair = []
        for _ in range(2):
            transport, relay = await loop.create_datagram_endpoint(
                BareRelay, local_addr=("127.0.0.1", 0)
            )
            relay.phone = ("127.0.0.1", phone_port)
            pair.append(relay)
            transports.append(transport)
            ports.append(transport.get_extra_info("sockname")[1])
        pair[0].partner, pair[1].partner = pair[1], pair[0]
    return ports, lateness_clock(), transports


def lateness_clock() -> MediaClock:
    """A media clock with nothing to do: it measures how late the loop runs a 20 ms timer."""
    clock = MediaClock(lambda now: None)
    clock.start()
    return clock


def serve_connected(
    calls: int, phone_port: int
) -> tuple[list[int], MediaClock, list[socket.socket]]:
    """The floor of the media server's socket path: each leg's socket connected to its phone
    and read with loop.add_reader, one recv and one send per packet, nothing else."""
    loop = asyncio.get_running_loop()
    ports: list[int] = []
    sockets: list[socket.socket] = []
    for _ in range(calls):
        pair = []
        for _ in range(2):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
            sock.connect(("127.0.0.1", phone_port))
            ports.append(sock.getsockname()[1])
            pair.append(sock)
        sockets += pair
        for source, target in (pair, pair[::-1]):
            loop.add_reader(source.fileno(), _relay, source.recv, target.send)
    return ports, lateness_clock(), sockets


def _relay(recv: Callable[[int], bytes], send: Callable[[bytes], int]) -> None:
    try:
        send(recv(2048))
    except OSError:  # (contextlib.suppress would cost more than the relay itself)
        return


async def serve_media(calls: int, phone_port: int, media: MediaServer) -> list[int]:
    ports = []
    for _ in range(calls):
        caller, caller_answer = await media.open_leg(offer(phone_port))
        agent, agent_answer = await media.open_leg(offer(phone_port))
        bridge = await media.bridge(caller, agent)
        await media.record(bridge, Path(f"{caller}.wav"))
        ports += [int(a.split("m=audio ")[1].split()[0]) for a in (caller_answer, agent_answer)]
    return ports


async def run(calls: int, seconds: float, warmup: float, pinned: bool, bare: str) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        media = MediaServer(
            rtp_address="127.0.0.1", port_range=(42000, 52000), recordings_dir=Path(folder)
        )
        gc.freeze()  # as the media process does once it started
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        process = context.Process(target=phones, args=([], seconds, warmup, queue, pinned))
        process.start()
        phone_port = await asyncio.to_thread(queue.get)
        transports: list[asyncio.BaseTransport] = []
        sockets: list[socket.socket] = []
        if bare == "uvloop":
            ports, clock, transports = await serve_bare(calls, phone_port)
        elif bare == "connected":
            ports, clock, sockets = serve_connected(calls, phone_port)
        else:
            await media.start()
            ports = await serve_media(calls, phone_port, media)
        queue.put(ports)
        await asyncio.sleep(warmup)
        (clock.reset_metrics if bare else media.reset_metrics)()
        cpu_start, wall_start = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        await asyncio.sleep(seconds)
        cpu_end, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - wall_start
        metrics = clock.metrics if bare else media.metrics
        sent, received, delays = await asyncio.to_thread(queue.get)
        process.join()
        if bare:
            clock.stop()
            for transport in transports:
                transport.close()
            for sock in sockets:
                asyncio.get_running_loop().remove_reader(sock.fileno())
                sock.close()
        else:
            await media.close()
    system = (cpu_end.ru_stime - cpu_start.ru_stime) / wall
    cpu = (cpu_end.ru_utime - cpu_start.ru_utime) / wall + system
    values = np.array(delays) * 1000 if delays else np.zeros(1)
    return Result(
        calls=calls,
        late_percent=100 * metrics.late_ratio,
        loss_percent=100 * (sent - received) / sent if sent else 100.0,
        p50_ms=float(np.percentile(values, 50)),
        p99_ms=float(np.percentile(values, 99)),
        cpu_percent=100 * cpu,
        system_percent=100 * system,
        max_tick_ms=metrics.max_tick_seconds * 1000,
        load=os.getloadavg()[0],
    )


class _Dropped:
    """Stands in for a leg's socket in --engine-only: what the engine sends goes nowhere."""

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        pass

    def forward(self, data: bytes) -> None:
        pass


async def engine_cost(calls: int, seconds: float, loss: float = 0.0) -> str:
    """The engine's CPU time for ``calls`` bridged, recorded calls, without sockets; ``loss``
    of the packets (at random) never arrive, so the recordings conceal them."""
    with tempfile.TemporaryDirectory() as folder:
        media = MediaServer(
            rtp_address="127.0.0.1", port_range=(42000, 52000), recordings_dir=Path(folder)
        )
        gc.freeze()  # as the media process does once it started
        engine = media._engine  # the bench drives the engine's tick itself
        receivers = []
        for index in range(calls):
            legs = []
            for side in range(2):
                port = 30000 + 4 * index + 2 * side
                leg_id, _ = await media.open_leg(offer(port))
                leg = engine.legs[leg_id]
                # Packets go in as a latched socket hands them over (the kernel checked the
                # source); what arrives on the leg's real socket is never read.
                receivers.append((leg.session.receive, port))
                leg.transport = _Dropped()
                leg.session.output = leg.transport.forward
                legs.append(leg_id)
            bridge = await media.bridge(*legs)
            await media.record(bridge, Path(f"{legs[0]}.wav"))
        audio = os.urandom(160)
        frames = int(seconds * 50)
        packets = [
            [
                HEADER.pack(0x80, 0, frame & 0xFFFF, frame * 160, index + 1) + audio
                for index in range(len(receivers))
            ]
            for frame in range(frames)
        ]
        arrives = np.random.default_rng(1).random((frames, len(receivers))) >= loss
        ticks: list[float] = []
        packet_time = 0.0
        start = time.monotonic()
        for frame in range(frames):
            before = time.process_time()
            now = start + frame * 0.02
            for (receive, _), data, arrived in zip(
                receivers, packets[frame], arrives[frame], strict=True
            ):
                if arrived:
                    receive(data, None, now)
            middle = time.process_time()
            engine.tick(now)
            ticks.append(time.process_time() - middle)
            packet_time += middle - before
        await media.close()
    tick = np.array(ticks) * 1000
    total = packet_time + sum(ticks)
    return (
        f"{calls:5d}  {packet_time / (frames * len(receivers)) * 1e6:10.2f}  "
        f"{tick.mean():9.2f}  {np.percentile(tick, 99):8.2f}  {tick.max():8.2f}  "
        f"{total / seconds / calls * 1000:18.3f}\n"
    )


def per_core(result: Result) -> str:
    """Calls one core would carry at the CPU cost measured, for a clean run only: a starved
    server (late ticks, loss) spends little CPU because it is not scheduled, not because it is
    efficient."""
    if result.late_percent >= 1 or result.loss_percent > 0:
        return "-"
    return f"{result.calls * 100 / max(result.cpu_percent, 1):.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[100, 200, 300, 400, 500])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and phones")
    parser.add_argument(
        "--bare", action="store_true", help="calibrate: a plain uvloop relay, no media engine"
    )
    parser.add_argument(
        "--bare-connected",
        action="store_true",
        help="calibrate: the floor of our socket path (connected sockets, add_reader), no engine",
    )
    parser.add_argument(
        "--engine-only",
        action="store_true",
        help="the engine's own CPU time, packets handed over in-process (no sockets)",
    )
    parser.add_argument(
        "--loss", type=float, default=0.0, help="--engine-only: this share of packets lost"
    )
    arguments = parser.parse_args()
    if not arguments.no_pin:
        pin(0)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    out = sys.stdout
    if arguments.engine_only:
        out.write("calls  us/packet  tick ms  p99 ms  max ms  engine ms/call-s\n")
        for calls in arguments.calls:
            out.write(uvloop.run(engine_cost(calls, arguments.seconds, arguments.loss)))
            out.flush()
        return 0
    out.write(
        "calls  late%   loss%   delay p50 ms  p99 ms  server CPU% (kernel)  CPU ms/call-s"
        "  worst tick ms  load  calls/core at this CPU cost\n"
    )
    bare = "uvloop" if arguments.bare else "connected" if arguments.bare_connected else ""
    best, speed_before = 0, yardstick()
    for calls in arguments.calls:
        result = uvloop.run(
            run(calls, arguments.seconds, arguments.warmup, not arguments.no_pin, bare)
        )
        out.write(
            f"{result.calls:5d}  {result.late_percent:5.2f}  {result.loss_percent:6.3f}  "
            f"{result.p50_ms:12.2f}  {result.p99_ms:6.2f}  {result.cpu_percent:11.0f} "
            f"{result.system_percent:8.0f}  {10 * result.cpu_percent / result.calls:13.2f}  "
            f"{result.max_tick_ms:13.1f}  {result.load:4.1f}  {per_core(result):>27}\n"
        )
        out.flush()
        if result.late_percent < 1 and result.loss_percent <= 0:
            best = max(best, calls)
    out.write(f"largest count with <1% late ticks and no loss: {best} bridged recorded calls\n")
    out.write(
        f"yardstick: {speed_before:.1f} before, {yardstick():.1f} after (millions of steps a "
        "second of a fixed Python loop; lower in the host's slow periods)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
