"""``MediaWorker``: a MediaServer in a child process, behind the same async commands.

The media clock then has a core, an event loop and a garbage collector of its own: signalling
bursts, database writes and collections in the main process no longer make ticks late, and the
main process keeps its CPU for SIP and call control (DESIGN: media in worker processes).

Commands travel over a Unix socket pair as length-prefixed pickles and run in the child one at
a time, in the order they were sent; replies and events come back on the same socket, in the
order they happened. Exceptions raised in the child (OfferRefused, UnknownId, OSError...) are
raised again in the caller. The child exits when the main process goes away, however it went.

A child that dies on its own (a crash, the OOM killer, a kill -9) takes its legs' audio with
it: each leg then gets a ``MediaLost`` event, so call control ends those calls rather than
leaving callers and agents in silence, and a new child is started for the calls to come. Its
ids start past the old child's, so a late command for a lost leg can never reach a new one;
its start repairs the recordings the dead child left open.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..events import BridgeId, LegId, LegStatistics, MediaLost, PlaybackId, RecordingId
from ..mixer import Role
from ..say import Language
from .clock import ClockMetrics
from .stream import EventSource, EventStream

__all__ = ["MediaWorker", "MediaWorkerGone"]

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("!I")
_METRICS_EVERY = 1.0  # seconds between clock metrics pushed to the main process
_REPLY, _EVENT, _METRICS = 0, 1, 2  # kinds of message from the child
_NO_REPLY = 0  # a command id whose result nobody awaits
# Each child's ids start this far past the previous child's (a thousand million ids each).
_IDS_PER_CHILD = 1_000_000_000
# A child that lived this long before dying is started again at once; one that keeps dying
# sooner is started again after 0.5 s, 1 s, 2 s... up to this long (a crash loop must not
# take the CPU that SIP needs).
_MAX_RESTART_DELAY = 30.0


class MediaWorkerGone(ConnectionError):
    """The media process exited or its socket broke: no media command can run any more."""


def _frame(message: object) -> bytes:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


async def _read(reader: asyncio.StreamReader) -> Any:
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return pickle.loads(await reader.readexactly(length))


class MediaWorker(EventSource):
    """The commands and events of :class:`~hotline.media.MediaServer`, served by a child
    process. Takes the MediaServer's keyword arguments; ``start`` spawns the process."""

    def __init__(self, *, rtp_address: str, **server_options: Any) -> None:
        self.rtp_address = rtp_address
        self.recordings_dir: Path | None = server_options.get("recordings_dir")
        self._options = {"rtp_address": rtp_address, **server_options}
        self._stream = EventStream()
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._metrics = ClockMetrics(ticks=0, late_ticks=0, skipped_ticks=0, max_tick_seconds=0.0)
        self._process: Any = None  # multiprocessing.process.BaseProcess
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._gone: MediaWorkerGone | None = None
        self._legs: set[LegId] = set()  # open in the child: lost if it dies
        self._children = 0  # started so far; the next one's ids start past theirs
        self._started_at = 0.0
        self._closing = False
        self._restarting: asyncio.Task[None] | None = None
        self._quick_deaths = 0
        self._serving = False  # a child has started and not died since
        self.restarts = 0

    # -- lifetime ----------------------------------------------------------------------------

    async def start(self) -> list[Path]:
        """Spawn the media process; returns the recordings it repaired on start."""
        repaired = await self._spawn()
        log.info("media runs in process %d", self._process.pid)
        return repaired

    async def _spawn(self) -> list[Path]:
        ours, theirs = socket.socketpair()
        options = {**self._options, "first_id": self._children * _IDS_PER_CHILD + 1}
        self._children += 1
        # spawn, not fork: a fork would copy the running event loop and every socket.
        context = multiprocessing.get_context("spawn")
        self._process = context.Process(
            target=_child_main,
            args=(theirs, options, logging.getLogger().getEffectiveLevel()),
            name="hotline-media",
            daemon=True,
        )
        self._process.start()
        self._started_at = time.monotonic()
        theirs.close()
        reader, self._writer = await asyncio.open_unix_connection(sock=ours)
        self._gone = None
        self._reading = asyncio.create_task(self._read_replies(reader, self._writer))
        repaired: list[Path] = await self._call("start")
        self._serving = True
        return repaired

    async def close(self) -> None:
        """Close every leg in the child (completing recordings), then let it exit."""
        if self._writer is None or self._closing:
            return
        self._closing = True
        if self._restarting is not None:
            self._restarting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._restarting
        with contextlib.suppress(MediaWorkerGone):
            await self._call("close")
        self._writer.close()
        if self._reading is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading
        self._writer = None
        process = self._process
        await asyncio.to_thread(process.join, 5.0)
        if process.is_alive():
            process.kill()
            await asyncio.to_thread(process.join, 5.0)

    async def __aenter__(self) -> MediaWorker:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the media process serves commands (not dead or being replaced)."""
        return self._serving and not self._closing

    @property
    def open_legs(self) -> int:
        return len(self._legs)

    @property
    def metrics(self) -> ClockMetrics:
        """The child's media clock figures, as of at most a second ago."""
        return self._metrics

    def reset_metrics(self) -> None:
        self._send(_NO_REPLY, "reset_metrics", (), {})

    # -- commands (see MediaServer for what each does) ----------------------------------------

    async def open_leg(self, offer: str, *, inband_dtmf: bool = False) -> tuple[LegId, str]:
        result: tuple[LegId, str] = await self._call("open_leg", offer, inband_dtmf=inband_dtmf)
        self._legs.add(result[0])
        return result

    async def create_leg(self, *, inband_dtmf: bool = False) -> tuple[LegId, str]:
        result: tuple[LegId, str] = await self._call("create_leg", inband_dtmf=inband_dtmf)
        self._legs.add(result[0])
        return result

    async def apply_answer(self, leg_id: LegId, answer: str) -> None:
        await self._call("apply_answer", leg_id, answer)

    async def update_leg(self, leg_id: LegId, offer: str) -> str:
        result: str = await self._call("update_leg", leg_id, offer)
        return result

    async def close_leg(self, leg_id: LegId) -> LegStatistics:
        self._legs.discard(leg_id)
        result: LegStatistics = await self._call("close_leg", leg_id)
        return result

    def feed_info_digit(self, leg_id: LegId, digit: str, duration_ms: int = 100) -> None:
        self._send(_NO_REPLY, "feed_info_digit", (leg_id, digit, duration_ms), {})

    async def send_dtmf(self, leg_id: LegId, digits: str) -> None:
        await self._call("send_dtmf", leg_id, digits)

    async def bridge(self, caller: LegId, agent: LegId) -> BridgeId:
        result: BridgeId = await self._call("bridge", caller, agent)
        return result

    async def unbridge(self, bridge_id: BridgeId) -> None:
        await self._call("unbridge", bridge_id)

    async def add_participant(self, bridge_id: BridgeId, leg_id: LegId, role: Role) -> None:
        await self._call("add_participant", bridge_id, leg_id, role)

    async def set_role(self, bridge_id: BridgeId, leg_id: LegId, role: Role) -> None:
        await self._call("set_role", bridge_id, leg_id, role)

    async def remove_participant(self, bridge_id: BridgeId, leg_id: LegId) -> None:
        await self._call("remove_participant", bridge_id, leg_id)

    async def play(
        self,
        leg_id: LegId,
        items: Sequence[str | Path],
        *,
        language: Language = "en",
        loop: bool = False,
        interrupt_digits: str = "",
    ) -> PlaybackId:
        result: PlaybackId = await self._call(
            "play",
            leg_id,
            list(items),
            language=language,
            loop=loop,
            interrupt_digits=interrupt_digits,
        )
        return result

    async def play_moh(self, leg_id: LegId, path: Path | None = None) -> PlaybackId:
        result: PlaybackId = await self._call("play_moh", leg_id, path)
        return result

    async def stop_playback(self, leg_id: LegId) -> None:
        await self._call("stop_playback", leg_id)

    async def record(self, bridge_id: BridgeId, path: Path) -> RecordingId:
        result: RecordingId = await self._call("record", bridge_id, path)
        return result

    async def record_leg(self, leg_id: LegId, path: Path) -> RecordingId:
        result: RecordingId = await self._call("record_leg", leg_id, path)
        return result

    async def pause_recording(self, recording_id: RecordingId) -> None:
        await self._call("pause_recording", recording_id)

    async def resume_recording(self, recording_id: RecordingId) -> None:
        await self._call("resume_recording", recording_id)

    async def stop_recording(self, recording_id: RecordingId) -> Path:
        result: Path = await self._call("stop_recording", recording_id)
        return result

    # -- the wire ----------------------------------------------------------------------------

    async def _call(self, name: str, *args: object, **kwargs: object) -> Any:
        call_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        try:
            self._send(call_id, name, args, kwargs)
            return await future
        finally:
            self._pending.pop(call_id, None)
            # A failure raised here carries this frame in its traceback, and the frame would
            # hold the future that holds the failure: a cycle keeping every awaiting frame's
            # locals (the whole call that closed a leg twice) until a full collection.
            del future

    def _send(self, call_id: int, name: str, args: tuple[object, ...], kwargs: object) -> None:
        if self._gone is not None:
            raise self._gone
        if self._writer is None:
            raise MediaWorkerGone("the media process is not running")
        if self._writer.is_closing():  # the child's end closed; the reader has yet to see it
            raise MediaWorkerGone("the media process is gone")
        self._writer.write(_frame((call_id, name, args, kwargs)))

    async def _read_replies(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                self._received(await _read(reader))
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as error:
            self._gone = MediaWorkerGone(f"the media process is gone ({error!r})")
        gone = self._gone or MediaWorkerGone("media closed")
        self._gone = gone
        for future in self._pending.values():
            if not future.done():
                future.set_exception(gone)
        if not self._closing:
            self._lost(writer)

    def _received(self, message: Any) -> None:
        """A reply, event or metrics from the child. Its own frame, so nothing of the last
        message (a reply holding a failure, its traceback, the frames of the caller) stays
        in the reading loop's locals until the next one comes."""
        kind = message[0]
        if kind == _EVENT:
            self._stream.emit(message[1])
        elif kind == _METRICS:
            self._metrics = message[1]
        else:
            _, call_id, ok, value = message
            future = self._pending.get(call_id)
            if future is not None and not future.done():
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _lost(self, writer: asyncio.StreamWriter) -> None:
        """The child died on its own: end its legs' calls, then start another child."""
        self._serving = False
        writer.close()
        lost, self._legs = sorted(self._legs), set()
        log.error(
            "media process %s exited: the media of %d legs is lost; starting another",
            self.pid,
            len(lost),
        )
        for leg_id in lost:
            self._stream.emit(MediaLost(leg_id=leg_id))
        if self._restarting is None or self._restarting.done():
            self._restarting = asyncio.get_running_loop().create_task(self._restart())

    def _restart_delay(self) -> float:
        if time.monotonic() - self._started_at >= _MAX_RESTART_DELAY:
            self._quick_deaths = 0
            return 0.0
        self._quick_deaths += 1
        return min(0.25 * 2.0**self._quick_deaths, _MAX_RESTART_DELAY)

    async def _restart(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._restart_delay())
            try:
                await self._spawn()
            except (MediaWorkerGone, OSError) as error:
                log.error("media process did not start again: %s", error)
                continue
            self.restarts += 1
            log.warning("media runs again, in process %d", self._process.pid)
            return


# -- the child process ------------------------------------------------------------------------


def _child_main(sock: socket.socket, options: dict[str, Any], log_level: int) -> None:
    """Entry point of the media process: serve commands until the main process goes away.
    It logs to the same stderr, at the main process's level."""
    # Ctrl-C reaches the whole process group, and a service manager's stop sends SIGTERM to
    # every process of the service: the main process decides when media stops, once it has
    # ended its calls; it is gone or asks, and then this process exits.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import uvloop

    uvloop.run(_serve_commands(sock, options))


async def _serve_commands(sock: socket.socket, options: dict[str, Any]) -> None:
    from .server import MediaServer

    server = MediaServer(**options)
    # What exists now (modules, classes, the prompt library) lives as long as the process:
    # keep it out of the collector's full passes, which would otherwise walk it all and hold
    # the media loop for tens of milliseconds (late ticks, delayed packets).
    gc.freeze()
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    server.subscribe(lambda event: writer.write(_frame((_EVENT, event))))
    pushing = asyncio.create_task(_push_metrics(server, writer))
    closed = False
    try:
        while True:
            try:
                call_id, name, args, kwargs = await _read(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break  # the main process exited or was killed
            try:
                result = getattr(server, name)(*args, **kwargs)
                if asyncio.iscoroutine(result):
                    result = await result
                reply = (_REPLY, call_id, True, result)
            except Exception as error:  # the caller gets it; the process serves on
                reply = (_REPLY, call_id, False, _picklable(error))
            if call_id != _NO_REPLY:
                writer.write(_frame(reply))
            elif not reply[2]:
                log.warning("media command %s failed: %r", name, reply[3])
            if name == "close":
                closed = True
                await writer.drain()
                break
    finally:
        pushing.cancel()
        if not closed:  # the main process went away without closing: close the legs here
            await server.close()
        writer.close()
        os._exit(0)  # no atexit work inherited from the spawn machinery is needed


async def _push_metrics(server: Any, writer: asyncio.StreamWriter) -> None:
    while True:
        await asyncio.sleep(_METRICS_EVERY)
        writer.write(_frame((_METRICS, server.metrics)))


def _picklable(error: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
