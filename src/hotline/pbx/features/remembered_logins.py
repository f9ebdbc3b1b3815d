"""Agents logged back in at start, to the queues they were logged in to when Hotline stopped.

The store remembers each logged-in agent's queues and pause; the configuration may have changed
since. A remembered queue no longer configured, or no longer listing the agent as a member, is
skipped with a warning and published as left (so the store forgets it, and a queue configured
again later does not bring the agent back into it); an agent left with none of its queues stays
logged out, published as a logout so its sessions in the store end. Nothing else is published:
the sessions of the agents logged back in go on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from hotline import acd
from hotline.acd import AgentId, QueueId
from hotline.events import AgentStateChanged
from hotline.pbx.features.queue_calls import QueueService

__all__ = ["RememberedLogin", "restore_logins"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RememberedLogin:
    """An agent logged in when Hotline stopped: to ``queues`` (None: all its queues, as the
    store says of logins recorded before it kept them), paused for ``pause_reason`` if any."""

    agent: str
    queues: tuple[str, ...] | None = None
    pause_reason: str | None = None


def restore_logins(service: QueueService, logins: Sequence[RememberedLogin]) -> None:
    """Log the agents back in to their remembered queues, and pause them again."""
    agents = {e.number: e for e in service.config.extensions if e.agent}
    for login in logins:
        extension = agents.get(login.agent)
        if extension is None or extension.always_logged_in:
            continue  # no longer an agent; or logged in to all its queues at start anyway
        kept, gone = _still_open(service.engine, login)
        if login.queues is not None and not kept:
            _stay_logged_out(service, login)
            continue
        agent = AgentId(login.agent)
        service.feed(acd.AgentLoggedIn(agent=agent, queues=None if login.queues is None else kept))
        if login.pause_reason is not None:
            service.feed(acd.AgentPaused(agent=agent, reason=login.pause_reason))
        named = "all its queues" if login.queues is None else "queues " + ", ".join(kept)
        log.info("agent %s logged in again after restart (%s)", login.agent, named)
        for queue in gone:
            _publish(service, login.agent, "queue_left", kept, reason=queue)


def _still_open(
    engine: acd.Engine, login: RememberedLogin
) -> tuple[tuple[QueueId, ...], tuple[str, ...]]:
    """The remembered queues the agent may still log in to, and those it may not (each one
    logged with why)."""
    configured = set(engine.queue_ids)
    members = set(engine.member_queues(AgentId(login.agent)))
    kept: list[QueueId] = []
    gone: list[str] = []
    for queue in login.queues or ():
        if queue not in configured:
            why = "the queue is no longer configured"
        elif queue not in members:
            why = "it is no longer a member"
        else:
            kept.append(QueueId(queue))
            continue
        gone.append(queue)
        log.warning("agent %s not logged back in to queue %s: %s", login.agent, queue, why)
    return tuple(kept), tuple(gone)


def _stay_logged_out(service: QueueService, login: RememberedLogin) -> None:
    log.warning(
        "agent %s stays logged out after restart: none of its queues (%s) is left",
        login.agent,
        ", ".join(login.queues or ()),
    )
    _publish(service, login.agent, "logged_out", ())


def _publish(
    service: QueueService,
    agent: str,
    change: str,
    queues: tuple[QueueId, ...],
    reason: str | None = None,
) -> None:
    published = AgentStateChanged(
        agent=agent, change=change, reason=reason, at=service.clock.wall(), queues=queues
    )
    service.pbx.bus.publish(published)
