"""The ACD engine for a configuration: its queues and agent extensions in the engine's terms."""

from __future__ import annotations

from hotline import acd
from hotline.acd import AgentId, QueueId
from hotline.config import Config, QueueConfig

__all__ = ["acd_queue", "build_engine"]


def build_engine(config: Config) -> acd.Engine:
    """The ACD engine for the configured queues and agent extensions."""
    agents = [
        acd.AgentConfig(agent_id=AgentId(e.number), name=e.name)
        for e in config.extensions
        if e.agent
    ]
    return acd.Engine([acd_queue(q) for q in config.queues], agents)


def acd_queue(queue: QueueConfig) -> acd.QueueConfig:
    """One configured queue in the engine's terms."""
    every = queue.announce_position_every
    announcements = None
    if every is not None:
        announcements = acd.Announcements(
            position=True,
            estimated_wait=queue.announce_estimated_wait,
            every_seconds=every,
            first_after_seconds=every,  # the welcome prompt comes first
        )
    return acd.QueueConfig(
        queue_id=QueueId(queue.number),
        name=queue.name,
        number=queue.number,
        strategy=queue.strategy,
        members=tuple(acd.Member(agent=AgentId(agent)) for agent in queue.agents),
        ring_seconds=queue.ring_timeout,
        max_wait_seconds=queue.max_wait,
        failover=None if queue.failover == "hangup" else queue.failover,
        wrap_up_seconds=queue.wrap_up,
        max_callers=queue.max_callers,
        join_empty=queue.join_empty,
        leave_when_empty=queue.leave_when_empty,
        priority=queue.priority,
        sla_seconds=queue.sla_seconds,
        short_abandon_seconds=queue.short_abandon_seconds,
        announcements=announcements,
        auto_pause_after=queue.auto_pause_after_misses,
        retry_after_miss=queue.retry_after_miss,
    )
