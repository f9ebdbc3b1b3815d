"""Readable event tables for engine tests: shorthand events and one-line command summaries."""

from __future__ import annotations

from collections.abc import Sequence

from hotline.acd import (
    AgentBusyElsewhere,
    AgentConfig,
    AgentFreeAgain,
    AgentId,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReachable,
    AgentUnpaused,
    AgentUnreachable,
    CallbackFailed,
    CallbackRequested,
    CallEnded,
    CallerAbandoned,
    CallerId,
    CallerJoined,
    CancelOffer,
    Command,
    Connect,
    DialCallback,
    Engine,
    EngineOptions,
    Event,
    Leave,
    Member,
    Offer,
    OfferAnswered,
    OfferCallback,
    OfferNotAnswered,
    OfferRejected,
    PauseAgent,
    PlayAnnouncement,
    QueueConfig,
    QueueId,
    TimerFired,
    WakeAt,
    WrapUpEnded,
)

Row = tuple[float, Event, list[str]]


def queue(
    queue_id: str = "q1", members: Sequence[str] = ("a1", "a2", "a3"), **settings: object
) -> QueueConfig:
    weights = settings.pop("weights", {})
    assert isinstance(weights, dict)
    return QueueConfig(
        queue_id=QueueId(queue_id),
        members=tuple(Member(agent=AgentId(a), weight=weights.get(a, 1.0)) for a in members),
        **settings,  # type: ignore[arg-type]
    )


def engine(
    *queues: QueueConfig,
    skills: dict[str, dict[str, int]] | None = None,
    options: EngineOptions | None = None,
    seed: int = 0,
) -> Engine:
    configs = queues or (queue(),)
    names = dict.fromkeys(m.agent for q in configs for m in q.members)
    agents = [AgentConfig(agent_id=a, skills=(skills or {}).get(a, {})) for a in names]
    return Engine(configs, agents, options=options or EngineOptions(), seed=seed)


def join(caller: str, q: str = "q1", priority: int = 0, **extra: object) -> CallerJoined:
    return CallerJoined(caller=CallerId(caller), queue=QueueId(q), priority=priority, **extra)  # type: ignore[arg-type]


def login(agent: str, *queues: str) -> AgentLoggedIn:
    return AgentLoggedIn(agent=AgentId(agent), queues=tuple(map(QueueId, queues)) or None)


def logout(agent: str, *queues: str) -> AgentLoggedOut:
    return AgentLoggedOut(agent=AgentId(agent), queues=tuple(map(QueueId, queues)) or None)


def pause(agent: str, reason: str = "break") -> AgentPaused:
    return AgentPaused(agent=AgentId(agent), reason=reason)


def unpause(agent: str) -> AgentUnpaused:
    return AgentUnpaused(agent=AgentId(agent))


def answer(caller: str, agent: str) -> OfferAnswered:
    return OfferAnswered(caller=CallerId(caller), agent=AgentId(agent))


def reject(caller: str, agent: str) -> OfferRejected:
    return OfferRejected(caller=CallerId(caller), agent=AgentId(agent))


def not_answered(caller: str, agent: str) -> OfferNotAnswered:
    return OfferNotAnswered(caller=CallerId(caller), agent=AgentId(agent))


def end(agent: str) -> CallEnded:
    return CallEnded(agent=AgentId(agent))


def wrapped(agent: str) -> WrapUpEnded:
    return WrapUpEnded(agent=AgentId(agent))


def busy(agent: str) -> AgentBusyElsewhere:
    return AgentBusyElsewhere(agent=AgentId(agent))


def free(agent: str) -> AgentFreeAgain:
    return AgentFreeAgain(agent=AgentId(agent))


def unreachable(agent: str, reason: str = "unregistered") -> AgentUnreachable:
    return AgentUnreachable(agent=AgentId(agent), reason=reason)


def reachable(agent: str) -> AgentReachable:
    return AgentReachable(agent=AgentId(agent))


def abandon(caller: str) -> CallerAbandoned:
    return CallerAbandoned(caller=CallerId(caller))


def callback(caller: str, number: str = "5550100") -> CallbackRequested:
    return CallbackRequested(caller=CallerId(caller), number=number)


def callback_failed(caller: str, agent: str) -> CallbackFailed:
    return CallbackFailed(caller=CallerId(caller), agent=AgentId(agent))


def tick() -> TimerFired:
    return TimerFired()


def summary(command: Command) -> str | None:
    """One line per command; WakeAt is left out (tables check decisions, not timers)."""
    match command:
        case Offer(caller=c, agents=agents):
            return f"offer {c} {','.join(agents)}"
        case CancelOffer(caller=c, agents=agents):
            return f"cancel {c} {','.join(agents)}"
        case Connect(caller=c, agent=a):
            return f"connect {c} {a}"
        case Leave(caller=c, reason=reason):
            return f"leave {c} {reason.value}"
        case PauseAgent(agent=a, reason=reason):
            return f"pause {a} {reason}"
        case PlayAnnouncement(caller=c, position=p, estimated_wait_seconds=w):
            return f"announce {c} {p} {w if w is None else round(w)}"
        case OfferCallback(caller=c, key=key):
            return f"propose-callback {c} {key}"
        case DialCallback(caller=c, agent=a):
            return f"dial {c} {a}"
        case WakeAt():
            return None
    raise AssertionError(command)


def summarize(commands: list[Command]) -> list[str]:
    return [line for line in map(summary, commands) if line is not None]


def play(machine: Engine, rows: Sequence[Row]) -> None:
    """Feed each row's event at its time and compare the commands, row by row."""
    for number, (now, event, expected) in enumerate(rows, start=1):
        got = summarize(machine.handle(event, now))
        assert got == expected, f"row {number} at t={now} ({event}): {got} != {expected}"


def login_all(machine: Engine, *agents: str, now: float = 0.0) -> None:
    for agent in agents:
        assert summarize(machine.handle(login(agent), now)) == []


def offers(commands: list[Command]) -> list[Offer]:
    return [c for c in commands if isinstance(c, Offer)]
