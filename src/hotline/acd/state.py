"""The engine's mutable runtime: agents, waiting callers and queues, with their indexes.

Indexes are what keep a decision cheap with thousands of callers: each queue keeps its
available agents (insertion-ordered dicts, so iteration is deterministic) and its waiting
callers in sorted lines, so the next caller is the first element and a position is a bisection.
"""

from __future__ import annotations

import enum
import math
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator, Mapping

from hotline.acd.model import AgentConfig, AgentId, AgentState, CallerId, QueueConfig, QueueId
from hotline.acd.stats import QueueCounters
from hotline.acd.strategies import Strategy, strategy_for

__all__ = ["Activity", "AgentRuntime", "CallerEntry", "QueueRuntime", "RecentTimes", "WaitingLine"]

LineKey = tuple[int, float, int]
RankKey = tuple[int, int, float, int]

_NOBODY: frozenset[AgentId] = frozenset()


class Activity(enum.Enum):
    """What occupies an agent, independent of presence (login, pause)."""

    # Hashed by identity (members are singletons): Enum's own __hash__ is Python code, and
    # activities key the engine's tables (the agent's state, the transitions).
    __hash__ = object.__hash__

    IDLE = "idle"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    BUSY_ELSEWHERE = "busy_elsewhere"


_ACTIVITY_STATE = {
    Activity.RINGING: AgentState.RINGING,
    Activity.ON_CALL: AgentState.ON_CALL,
    Activity.WRAP_UP: AgentState.WRAP_UP,
    Activity.BUSY_ELSEWHERE: AgentState.BUSY_ELSEWHERE,
}


class AgentRuntime:
    """One agent as the engine sees it; ``state`` is derived from activity and presence."""

    __slots__ = (
        "activity",
        "agent_id",
        "answered",
        "call_caller",
        "call_queue",
        "call_start",
        "call_wait",
        "config",
        "consecutive_misses",
        "idle_since",
        "logged_in",
        "member_of",
        "missed",
        "pause_reason",
        "pause_start",
        "paused_seconds",
        "reachable",
        "retry_at",
        "ringing_for",
        "skills",
        "state",
        "state_since",
        "talk_seconds",
        "unreachable_reason",
        "wrap_start",
        "wrap_token",
    )

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.agent_id = config.agent_id
        self.skills: Mapping[str, int] = config.skills
        self.activity = Activity.IDLE
        self.pause_reason: str | None = None
        self.pause_start = 0.0  # when the pause in progress began (with pause_reason set)
        self.paused_seconds = 0.0  # today's pauses that are over
        # False while its phone cannot be reached (AgentUnreachable): offered nothing.
        self.reachable = True
        self.unreachable_reason: str | None = None  # why, while not reachable
        self.logged_in: dict[QueueId, QueueRuntime] = {}
        self.member_of: dict[QueueId, QueueRuntime] = {}
        self.state = AgentState.LOGGED_OUT
        self.state_since = 0.0
        self.idle_since = 0.0
        self.answered = 0
        self.missed = 0
        self.talk_seconds = 0.0
        self.consecutive_misses = 0
        self.ringing_for: CallerEntry | None = None
        # After a missed offer: when the agent may be offered again (None: it may now).
        self.retry_at: float | None = None
        self.call_caller: CallerId | None = None
        self.call_queue: QueueRuntime | None = None
        self.call_start = 0.0
        self.call_wait = 0.0
        self.wrap_start = 0.0
        # Numbers the agent's wrap-ups: a WRAP_UP timer holding the current number is live;
        # the number moves on when a wrap-up starts and when the agent is freed.
        self.wrap_token = 0


class CallerEntry:
    """A caller in a waiting line (on the line, or a callback keeping its place)."""

    __slots__ = (
        "attempt",
        "callback_number",
        "caller",
        "estimate",
        "first_offer",
        "join_time",
        "key",
        "last_attempt",
        "number",
        "original_position",
        "priority",
        "queue",
        "random_start",
        "rank",
        "ringing",
        "seq",
        "skills",
        "tried",
    )

    def __init__(
        self,
        caller: CallerId,
        queue: QueueRuntime,
        priority: int,
        number: str | None,
        skills: Mapping[str, int],
        join_time: float,
        seq: int,
        order_key: float,
        random_start: float,
    ) -> None:
        self.caller = caller
        self.queue = queue
        self.priority = priority
        self.number = number
        self.skills = skills
        self.join_time = join_time
        self.seq = seq
        # Higher caller priority first, then the order key (join time, or SLA deadline).
        self.key: LineKey = (-priority, order_key, seq)
        # Order across queues: the queue's priority first (dispatch compares these).
        self.rank: RankKey = (-queue.priority, -priority, order_key, seq)
        self.original_position = 0
        self.ringing: dict[AgentId, float] = {}
        # Immutable and shared while empty: most callers never miss an agent, and a set per
        # waiting caller would be one more object for every garbage collection to scan.
        self.tried: frozenset[AgentId] = _NOBODY
        self.last_attempt: tuple[AgentId, ...] = ()
        self.random_start = random_start
        self.callback_number: str | None = None
        self.first_offer: float | None = None
        self.estimate: float | None = None
        self.attempt = 0


class WaitingLine:
    """Callers of one queue in serving order: a sorted list of the entries' own keys.

    The keys are unique (they end with the sequence number) and a dict maps the sequence
    number back to the entry. Speed trade-off: a plain list kept sorted with ``bisect`` (C
    code) rather than a balanced structure. Inserting or removing moves the pointers after
    the place (a ``memmove``: about a microsecond per 10,000 callers of one queue), while
    every operation of a sorted container written in Python costs a few microseconds
    whatever the size; callers mostly join at the end, and lines of a few hundred are the
    common case. Adding a caller allocates nothing, and keys holding only numbers are soon
    untracked by the garbage collector, whose full passes over 10,000 waiting callers
    otherwise show in the decision latency.

    The idle callers (nobody rings for them: the ones an agent may be offered) are the
    entries with no ``ringing`` agent, found by skipping the ringing ones from the front
    (``first_idle``). A ringing caller holds at least one ringing agent and an agent rings
    for one caller at most, so at most as many entries as the queue has members are skipped;
    a second sorted line of the idle callers cost an insertion on every join and a removal
    on every offer instead.
    """

    __slots__ = ("entries", "keys")

    def __init__(self) -> None:
        # Both read directly by the engine's hot paths (core.dispatch).
        self.keys: list[LineKey] = []
        self.entries: dict[int, CallerEntry] = {}

    # Most callers join at the end of the line and leave it from the front: those two cases
    # are checked first, with one comparison, before a bisection (each step of which reads
    # a key tuple and its numbers from memory that is rarely in cache).

    def add(self, entry: CallerEntry) -> int:
        """Put ``entry`` in its place; return that place (1 = next)."""
        keys, key = self.keys, entry.key
        if not keys or keys[-1] < key:
            keys.append(key)
            self.entries[entry.seq] = entry
            return len(keys)
        index = bisect_left(keys, key)
        keys.insert(index, key)
        self.entries[entry.seq] = entry
        return index + 1

    def remove(self, entry: CallerEntry, position: int | None = None) -> None:
        """Take ``entry`` out of the line; ``position`` (1 = next), when the caller has just
        asked for it, saves searching again."""
        keys, key = self.keys, entry.key
        if position is not None:
            del keys[position - 1]
        elif keys[0] is key:  # the line holds the entries' own key tuples
            del keys[0]
        else:
            del keys[bisect_left(keys, key)]
        del self.entries[entry.seq]

    def first(self) -> CallerEntry | None:
        keys = self.keys
        return self.entries[keys[0][2]] if keys else None

    def first_idle(self) -> CallerEntry | None:
        """The first caller nobody rings for (None: none)."""
        entries = self.entries
        for key in self.keys:
            entry = entries[key[2]]
            if not entry.ringing:
                return entry
        return None

    def idle(self) -> Iterator[CallerEntry]:
        """The callers nobody rings for, in serving order."""
        return (entry for entry in self if not entry.ringing)

    def position(self, entry: CallerEntry) -> int:
        """1-based place of ``entry`` (which must be in the line)."""
        keys, key = self.keys, entry.key
        return 1 if keys[0] is key else bisect_left(keys, key) + 1

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[CallerEntry]:
        entries = self.entries
        for key in list(self.keys):
            yield entries[key[2]]


class RecentTimes:
    """The last ``window`` handle times and their mean in O(1) (every join asks for it).

    Speed trade-off: a running total instead of summing the window each time; it is summed
    afresh once per ``window`` additions, so float rounding cannot build up.
    """

    __slots__ = ("_added", "_times", "_total", "_window", "mean")

    def __init__(self, window: int) -> None:
        self._times: deque[float] = deque(maxlen=window)
        # deque.maxlen, kept in a slot: reading a deque's maxlen is a slow attribute lookup.
        self._window = window
        self._total = 0.0
        self._added = 0
        # The mean of the recent times (None before the first), kept with the total: read
        # on every join (estimated wait), changed once per call.
        self.mean: float | None = None

    def append(self, seconds: float) -> None:
        times, window = self._times, self._window
        if not window:
            return
        count = len(times)
        if count == window:
            self._total -= times[0]
        else:
            count += 1
        times.append(seconds)
        added = self._added = self._added + 1
        if added % count == 0:
            self._total = math.fsum(times)
        else:
            self._total += seconds
        self.mean = self._total / count

    def __len__(self) -> int:
        return len(self._times)


class QueueRuntime:
    """One queue: configuration, members, available agents, waiting lines and counters."""

    __slots__ = (
        "available",
        "config",
        "counters",
        "deterministic",
        "handle_times",
        "has_caller_timers",
        "last_answered",
        "line",
        "logged_in",
        "position_of",
        "priority",
        "progressive",
        "queue_id",
        "ring_delays",
        "ring_limit",
        "serving",
        "strategy",
        "strategy_name",
        "tie_break",
        "weight_of",
    )

    def __init__(self, config: QueueConfig, handle_time_window: int) -> None:
        self.config = config
        self.queue_id = config.queue_id
        self.priority = config.priority
        self.strategy: Strategy = strategy_for(config.strategy)
        # How many agents one offer rings (None: all), and whether more are added later.
        self.progressive = self.strategy.progressive
        self.ring_limit = 1 if self.progressive else self.strategy.ring_at_once
        # The strategy's class attributes that every offer reads, copied: an instance's
        # class attribute is a slow lookup (the interpreter does not specialize it).
        self.deterministic = self.strategy.deterministic
        self.strategy_name = self.strategy.name
        self.tie_break = self.strategy.tie_break
        # Whether a joining caller may need a timer (most queues: none of these is set).
        self.has_caller_timers = (
            config.max_wait_seconds is not None
            or config.announcements is not None
            or config.callback is not None
            or bool(config.skill_relax_seconds)
        )
        self.position_of = {member.agent: i for i, member in enumerate(config.members)}
        self.weight_of = {member.agent: member.weight for member in config.members}
        self.logged_in: dict[AgentId, AgentRuntime] = {}
        self.available: dict[AgentId, AgentRuntime] = {}
        # Logged-in members neither paused nor unreachable: the agents expected to serve the
        # line (estimates).
        self.serving = 0
        # The waiting callers; those nobody rings for are the idle ones (first_idle).
        self.line = WaitingLine()
        self.last_answered: AgentId | None = None
        self.counters = QueueCounters()
        self.handle_times = RecentTimes(handle_time_window)
        # From a caller's first offer to its answer, or to its leaving unanswered: what a
        # caller waits even when an agent is free (estimates).
        self.ring_delays = RecentTimes(handle_time_window)
