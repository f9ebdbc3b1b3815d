"""Feature codes dialled from an agent's own phone: log in, log out, pause and unpause.

The agent is the authenticated extension that dials (never a number in the request), the
change goes to the ACD, a prompt confirms it and Hotline hangs up. ``always_logged_in``
agents cannot log out; a refused change is told with the "invalid entry" prompt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from hotline import acd
from hotline.acd import AgentId, AgentState
from hotline.config import Config
from hotline.events import AgentStateChanged
from hotline.pbx.routing import Destination, Feature

__all__ = ["FeatureCodes"]

log = logging.getLogger(__name__)
INVALID = "invalid_entry"


class FeatureCodes:
    """Applies feature codes to the ACD; returns the prompt that confirms the change."""

    def __init__(
        self, config: Config, engine: acd.Engine, feed: Callable[[acd.Event], None]
    ) -> None:
        self._agents = {e.number: e for e in config.extensions if e.agent}
        self._reasons = dict(config.agents.pause_reasons)
        self._engine = engine
        self._feed = feed

    def is_agent(self, extension: str | None) -> bool:
        return extension is not None and extension in self._agents

    def apply(
        self, extension: str, destination: Destination, now: float
    ) -> tuple[str, AgentStateChanged | None]:
        """The prompt to play and the agent event to publish (None when refused); ``now`` is
        the ACD's clock."""
        agent = AgentId(extension)
        feature = destination.feature
        state = self._engine.agent_stats(agent, now).state
        if feature is Feature.AGENT_LOGIN:
            return self._change(acd.AgentLoggedIn(agent=agent), "agent_logged_in", "logged_in")
        if feature is Feature.AGENT_LOGOUT:
            if self._agents[extension].always_logged_in or state is AgentState.LOGGED_OUT:
                return INVALID, None
            return self._change(acd.AgentLoggedOut(agent=agent), "agent_logged_out", "logged_out")
        if feature is Feature.AGENT_PAUSE:
            if state is AgentState.LOGGED_OUT:
                return INVALID, None
            if self._engine.agent_stats(agent, now).pause_reason is not None:
                return self._change(acd.AgentUnpaused(agent=agent), "agent_unpaused", "unpaused")
            reason = self._reasons.get(destination.argument or "", "pause")
            event = acd.AgentPaused(agent=agent, reason=reason)
            return self._change(event, "agent_paused", "paused", reason)
        return INVALID, None

    def _change(
        self, event: acd.Event, prompt: str, change: str, reason: str | None = None
    ) -> tuple[str, AgentStateChanged | None]:
        agent = str(event.agent)  # type: ignore[union-attr]
        self._feed(event)
        log.info("agent %s %s%s", agent, change.replace("_", " "), f" ({reason})" if reason else "")
        return prompt, AgentStateChanged(agent=agent, change=change, reason=reason, at=time.time())
