"""Agent control: log in, log out, pause and unpause, for the feature codes and the REST API.

One path for every way an agent's presence changes: the change is checked against the ACD's
view of the agent (a refusal says why, and changes nothing), fed to the ACD engine, logged,
and published on the bus as ``AgentStateChanged`` so the store keeps the session and the web
pages see it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from hotline import acd
from hotline.acd import AgentId, AgentState
from hotline.config import Config
from hotline.events import AgentStateChanged

__all__ = ["GENERIC_PAUSE", "AgentChangeRefused", "AgentControl", "UnknownAgent"]

log = logging.getLogger("hotline.pbx.features")

#: The reason of a pause given without one (``*64``, or the API without a body).
GENERIC_PAUSE = acd.GENERIC_PAUSE_REASON


class UnknownAgent(LookupError):
    """No extension with this number is an agent."""

    status_hint = 404


class AgentChangeRefused(Exception):
    """The change cannot happen in the agent's current state; the message says why."""

    status_hint = 409


class AgentControl:
    """Changes agents' presence in the ACD. ``now`` is the engine's clock, ``wall`` the time
    of day stamped on the published events."""

    def __init__(
        self,
        config: Config,
        engine: acd.Engine,
        feed: Callable[[acd.Event], None],
        publish: Callable[[AgentStateChanged], None],
        *,
        now: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        self._agents = {e.number: e for e in config.extensions if e.agent}
        self.reasons = dict(config.agents.pause_reasons)
        self._engine = engine
        self._feed = feed
        self._publish = publish
        self._now = now
        self._wall = wall

    def is_agent(self, number: str | None) -> bool:
        return number is not None and number in self._agents

    def stats(self, number: str) -> acd.AgentStats:
        """The agent's live figures; ``UnknownAgent`` when ``number`` is no agent."""
        if not self.is_agent(number):
            raise UnknownAgent(f"no agent {number}")
        return self._engine.agent_stats(AgentId(number), self._now())

    def login(self, number: str, queue: str | None = None) -> AgentStateChanged:
        """Log the agent into every queue it is a member of, or into ``queue`` only.

        The published change is ``logged_in``, or ``queue_joined`` (the queue as its reason)
        when a logged-in agent joins one more queue: its session goes on."""
        stats = self.stats(number)
        members = self._engine.member_queues(AgentId(number))
        if not members:
            raise AgentChangeRefused(f"agent {number} is a member of no queue")
        wanted = self._member_queues(number, members, queue)
        if set(stats.queues) >= set(wanted):
            raise AgentChangeRefused(f"agent {number} is already logged in")
        event = acd.AgentLoggedIn(agent=AgentId(number), queues=_only(queue))
        if queue is not None and stats.queues:
            return self._apply(number, event, "queue_joined", queue)
        return self._apply(number, event, "logged_in")

    def logout(self, number: str, queue: str | None = None) -> AgentStateChanged:
        """Log the agent out of every queue, or out of ``queue`` only (published as
        ``queue_left``, the queue as its reason, while it stays in others)."""
        stats = self.stats(number)
        members = self._engine.member_queues(AgentId(number))
        self._member_queues(number, members, queue)
        if self._agents[number].always_logged_in:
            raise AgentChangeRefused(f"agent {number} is always logged in and cannot log out")
        logged_in = stats.queues if queue is None else tuple(q for q in stats.queues if q == queue)
        if not logged_in:
            raise AgentChangeRefused(f"agent {number} is not logged in")
        event = acd.AgentLoggedOut(agent=AgentId(number), queues=_only(queue))
        if queue is not None and set(stats.queues) - {queue}:
            return self._apply(number, event, "queue_left", queue)
        return self._apply(number, event, "logged_out")

    def end_wrap_up(self, number: str) -> AgentStateChanged:
        """End the agent's wrap-up now: it may take the next caller at once."""
        if self.stats(number).wrap_up_seconds_left is None:
            raise AgentChangeRefused(f"agent {number} is not in wrap-up")
        return self._apply(number, acd.WrapUpEnded(agent=AgentId(number)), "wrap_up_ended")

    def _member_queues(
        self, number: str, members: tuple[acd.QueueId, ...], queue: str | None
    ) -> tuple[acd.QueueId, ...]:
        if queue is None:
            return members
        if queue not in members:
            raise AgentChangeRefused(f"agent {number} is not a member of queue {queue}")
        return (acd.QueueId(queue),)

    def pause(self, number: str, reason: str = GENERIC_PAUSE) -> AgentStateChanged:
        """Pause the agent (a paused agent may change its reason)."""
        stats = self.stats(number)
        if stats.state is AgentState.LOGGED_OUT:
            raise AgentChangeRefused(f"agent {number} is logged out and cannot pause")
        if stats.pause_reason == reason:
            raise AgentChangeRefused(f"agent {number} is already paused ({reason})")
        event = acd.AgentPaused(agent=AgentId(number), reason=reason)
        return self._apply(number, event, "paused", reason)

    def unpause(self, number: str) -> AgentStateChanged:
        if self.stats(number).pause_reason is None:
            raise AgentChangeRefused(f"agent {number} is not paused")
        return self._apply(number, acd.AgentUnpaused(agent=AgentId(number)), "unpaused")

    def toggle_pause(self, number: str, code: str | None) -> AgentStateChanged:
        """``*64`` unpauses a paused agent, else pauses it with the reason numbered ``code``."""
        if self.stats(number).pause_reason is not None:
            return self.unpause(number)
        return self.pause(number, self.reasons.get(code or "", GENERIC_PAUSE))

    def _apply(
        self, number: str, event: acd.Event, change: str, reason: str | None = None
    ) -> AgentStateChanged:
        self._feed(event)
        log.info(
            "agent %s %s%s", number, change.replace("_", " "), f" ({reason})" if reason else ""
        )
        # The queues it is in now go with every change, so the store restores exactly those;
        # all of its queues are None, so that a queue it joins by a restart is one of them.
        agent = AgentId(number)
        queues: tuple[str, ...] | None = self._engine.agent_stats(agent, self._now()).queues
        if queues and set(queues) == set(self._engine.member_queues(agent)):
            queues = None
        published = AgentStateChanged(
            agent=number, change=change, reason=reason, at=self._wall(), queues=queues
        )
        self._publish(published)
        return published


def _only(queue: str | None) -> tuple[acd.QueueId, ...] | None:
    return None if queue is None else (acd.QueueId(queue),)
