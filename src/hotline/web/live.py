"""Live events for WebSocket clients: bus events fanned out, and coalesced statistics frames.

The hub subscribes to the event bus. Each bus event is encoded once and appended to the
bounded outbox of every client whose queue filter it matches: publishing never waits for a
client, so call control and the other clients never slow down for a slow one. A client whose
outbox fills is dropped (its socket closed with 1013, "try again later").

Statistics frames (queues, agents, calls: the snapshot's shape) are coalesced: the first change
after a frame schedules the next one at most ``STATS_DELAY`` later, so a burst of changes makes
one frame; with no change a frame still goes out every ``HEARTBEAT`` seconds. Each frame is
built once per distinct lens. The "today" counters are reset at local midnight.

Each client sees through a ``Lens``, set from its user's role and scope when it connects: the
queues it follows; for an agent, only itself (its own state, calls and events); for a
wallboard, no calls and no bus events (they carry callers' numbers).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hotline.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallHoldChanged,
    CallRecorded,
    CallStarted,
    Event,
    EventBus,
    QueueCallConnected,
    QueueEventLogged,
)
from hotline.web.views import LiveView, agents_of

__all__ = [
    "HEARTBEAT",
    "KINDS",
    "STATS_DELAY",
    "Client",
    "Lens",
    "LiveHub",
    "seconds_to_midnight",
]

log = logging.getLogger(__name__)

STATS_DELAY = 0.1  # a stats frame follows a change within this (the contract says 200 ms)
HEARTBEAT = 5.0  # and one goes out at least this often
OUTBOX_LIMIT = 500  # frames waiting for one client before it is dropped
TRY_AGAIN_LATER = 1013  # WebSocket close codes (RFC 6455 §7.4): a client too slow to follow
GOING_AWAY = 1001  # Hotline stops
POLICY_VIOLATION = 1008  # the client's session ended
SERVICE_RESTART = 1012  # the client's access changed: it reconnects and sees through the new one

KINDS: dict[type[Any], str] = {
    CallStarted: "call_started",
    CallAnswered: "call_answered",
    QueueCallConnected: "queue_call_connected",
    CallEnded: "call_ended",
    AgentStateChanged: "agent_state_changed",
    CallHoldChanged: "call_hold_changed",
    CallRecorded: "call_recorded",
    QueueEventLogged: "queue_event",
}

Filter = frozenset[str] | None  # the queues a client follows; None: everything


@dataclass(frozen=True, slots=True)
class Lens:
    """What one client may see: the queues it follows (None: all); ``agent``: only that
    agent's state, calls and events; ``calls`` False: no calls and no bus events at all."""

    queues: Filter = None
    agent: str | None = None
    calls: bool = True


class Client:
    """One WebSocket client's lens and outbox."""

    __slots__ = ("agents", "close_code", "dropped", "lens", "outbox", "token", "user", "wake")

    def __init__(self, lens: Lens, agents: frozenset[str], user: str = "", token: str = "") -> None:
        self.lens = lens
        self.agents = agents  # members of the lens's queues
        self.user = user  # who signed the socket in, with which session token
        self.token = token
        self.outbox: deque[str] = deque()
        self.wake = asyncio.Event()
        self.dropped = False
        self.close_code = TRY_AGAIN_LATER

    def drop(self, code: int) -> None:
        """Stop sending; the socket is closed with ``code``."""
        self.dropped = True
        self.close_code = code
        self.outbox.clear()
        self.wake.set()

    def push(self, frame: str) -> None:
        if self.dropped:
            return
        if len(self.outbox) >= OUTBOX_LIMIT:
            self.drop(TRY_AGAIN_LATER)
            return
        self.outbox.append(frame)
        self.wake.set()

    async def frames(self) -> list[str] | None:
        """The frames waiting, once there are any; None when the client is dropped."""
        while not self.outbox and not self.dropped:
            self.wake.clear()
            await self.wake.wait()
        if self.dropped:
            return None
        frames = list(self.outbox)
        self.outbox.clear()
        return frames

    def wants(self, queues: frozenset[str], agent: str | None) -> bool:
        lens = self.lens
        if not lens.calls:
            return False
        if lens.agent is not None:
            return agent == lens.agent
        if lens.queues is None:
            return True
        return bool(queues & lens.queues) or (agent is not None and agent in self.agents)


class LiveHub:
    """Fans the bus out to WebSocket clients; ``start`` and ``close`` on the serving loop."""

    def __init__(
        self,
        view: LiveView,
        bus: EventBus,
        *,
        wall: Callable[[], float],
        stats_delay: float = STATS_DELAY,
    ) -> None:
        self.view = view
        self._wall = wall
        self._stats_delay = stats_delay
        self.clients: set[Client] = set()
        self._stats_due: asyncio.TimerHandle | None = None
        self._heartbeat: asyncio.TimerHandle | None = None
        self._midnight: asyncio.TimerHandle | None = None
        self._running = False
        bus.subscribe(self._on_event)

    def start(self) -> None:
        self._running = True
        self._schedule_heartbeat()
        self._schedule_midnight()

    def close(self) -> None:
        """Stop the timers and drop every client."""
        self._running = False
        for timer in (self._stats_due, self._heartbeat, self._midnight):
            if timer is not None:
                timer.cancel()
        for client in list(self.clients):
            client.drop(GOING_AWAY)
        self.clients.clear()

    # -- clients -----------------------------------------------------------------------------

    def unknown_queues(self, queues: list[str]) -> list[str]:
        known = set(self.view.queue_numbers())
        return [queue for queue in queues if queue not in known]

    def connect(self, lens: Lens, *, user: str = "", token: str = "") -> Client:
        """A new client, its snapshot already in the outbox (nothing can come before it)."""
        queues = lens.queues
        agents = agents_of(self.view, queues) if queues is not None else frozenset()
        client = Client(lens, agents, user, token)
        client.push(self._encode("snapshot", self._state(), lens))
        self.clients.add(client)
        return client

    def disconnect(self, client: Client) -> None:
        self.clients.discard(client)

    def sign_out(
        self, *, user: str | None = None, token: str | None = None, keep: str | None = None
    ) -> None:
        """Close with 1008 the sockets of a session that ended (``token``), or of every
        session of ``user`` but the one of ``keep`` (disabled, or its password changed)."""
        for client in list(self.clients):
            if (client.user == user and client.token != keep) or client.token == token:
                client.drop(POLICY_VIOLATION)
                self.clients.discard(client)

    def rescope(self, user: str) -> None:
        """Close ``user``'s sockets with 1012 after its role or scope changed: each saw through
        the view it had at connect time, and reconnects to see through the new one."""
        for client in [client for client in self.clients if client.user == user]:
            client.drop(SERVICE_RESTART)
            self.clients.discard(client)

    # -- events ------------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        queues = self.view.observe(event)
        if not self._running:
            return
        if self.clients:
            agent = getattr(event, "agent", None)
            frame = json.dumps(
                {
                    "type": "event",
                    "at": event.at,
                    "kind": KINDS[type(event)],
                    "data": dataclasses.asdict(event),
                }
            )
            for client in self.clients:
                if client.wants(queues, agent):
                    client.push(frame)
            self._forget_dropped()
        self.changed()

    def changed(self) -> None:
        """Something changed: a stats frame follows within the coalescing delay."""
        if self._stats_due is None and self._running:
            loop = asyncio.get_running_loop()
            self._stats_due = loop.call_later(self._stats_delay, self._send_stats)

    def _forget_dropped(self) -> None:
        dropped = [client for client in self.clients if client.dropped]
        for client in dropped:
            log.info("web: a WebSocket client fell %d frames behind; dropped", OUTBOX_LIMIT)
            self.clients.discard(client)

    # -- statistics frames -------------------------------------------------------------------

    def _send_stats(self) -> None:
        if self._stats_due is not None:
            self._stats_due.cancel()  # when the heartbeat comes first
            self._stats_due = None
        self._schedule_heartbeat()
        if not self.clients:
            return
        state = self._state()
        frames: dict[Lens, str] = {}
        for client in self.clients:
            frame = frames.get(client.lens)
            if frame is None:
                frame = frames[client.lens] = self._encode("stats", state, client.lens)
            client.push(frame)
        self._forget_dropped()

    def _state(self) -> dict[str, list[dict[str, Any]]]:
        view = self.view
        return {
            "queues": [q.model_dump() for q in view.queues()],
            "agents": [a.model_dump() for a in view.agents()],
            "calls": [c.model_dump() for c in view.calls()],
        }

    def _encode(self, kind: str, state: dict[str, list[dict[str, Any]]], lens: Lens) -> str:
        queues, agents, calls = state["queues"], state["agents"], state["calls"]
        if lens.queues is not None:
            shown = lens.queues
            queues = [q for q in queues if q["number"] in shown]
            agents = [a for a in agents if shown.intersection(a["queues"])]
            calls = [c for c in calls if c["queue"] in shown]
        if lens.agent is not None:
            agents = [a for a in agents if a["number"] == lens.agent]
            # Its own calls, and those ringing its phone (the caller's number as it rings).
            mine = lens.agent
            calls = [c for c in state["calls"] if c["agent"] == mine or mine in c["ringing"]]
        if not lens.calls:
            calls = []
        frame = {"type": kind, "at": self._wall(), "queues": queues, "agents": agents}
        return json.dumps({**frame, "calls": calls})

    def _schedule_heartbeat(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._running:
            loop = asyncio.get_running_loop()
            self._heartbeat = loop.call_later(HEARTBEAT, self._send_stats)

    # -- the day -------------------------------------------------------------------------------

    def _schedule_midnight(self) -> None:
        if self._midnight is not None:
            self._midnight.cancel()
        loop = asyncio.get_running_loop()
        self._midnight = loop.call_later(seconds_to_midnight(self._wall()), self.new_day)

    def new_day(self) -> None:
        """Start "today" again (at local midnight): zero the queue and agent counters."""
        log.info("web: a new day; queue and agent statistics reset")
        self.view.reset_today()
        self._schedule_midnight()
        self.changed()


def seconds_to_midnight(now: float) -> float:
    """Seconds from ``now`` (epoch) to the next local midnight (daylight saving included)."""
    today = datetime.datetime.fromtimestamp(now).astimezone()
    tomorrow = (today + datetime.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    midnight = tomorrow.replace(tzinfo=None).astimezone()  # the offset in force at midnight
    return max(1.0, midnight.timestamp() - now)
