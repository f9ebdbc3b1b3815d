"""Feature codes dialled from an agent's own phone: log in, log out, pause and unpause.

The agent is the authenticated extension that dials (never a number in the request), the
change goes to the ACD, a prompt confirms it and Hotline hangs up. ``always_logged_in``
agents cannot log out; a refused change is told with the "invalid entry" prompt.
"""

from __future__ import annotations

import logging
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
        self, extension: str, destination: Destination, now: float, wall: float
    ) -> tuple[str, AgentStateChanged | None]:
        """The prompt to play and the agent event to publish (None when refused); ``now`` is
        the ACD's clock, ``wall`` the time of day for the event."""
        agent = AgentId(extension)
        feature = destination.feature
        stats = self._engine.agent_stats(agent, now)
        change: tuple[acd.Event, str, str, str | None]
        if feature is Feature.AGENT_LOGIN:
            change = acd.AgentLoggedIn(agent=agent), "agent_logged_in", "logged_in", None
        elif feature is Feature.AGENT_LOGOUT:
            if self._agents[extension].always_logged_in or stats.state is AgentState.LOGGED_OUT:
                return INVALID, None
            change = acd.AgentLoggedOut(agent=agent), "agent_logged_out", "logged_out", None
        elif feature is Feature.AGENT_PAUSE and stats.state is not AgentState.LOGGED_OUT:
            if stats.pause_reason is not None:
                change = acd.AgentUnpaused(agent=agent), "agent_unpaused", "unpaused", None
            else:
                why = self._reasons.get(destination.argument or "", "pause")
                change = acd.AgentPaused(agent=agent, reason=why), "agent_paused", "paused", why
        else:
            return INVALID, None
        event, prompt, name, reason = change
        self._feed(event)
        log.info(
            "agent %s %s%s", extension, name.replace("_", " "), f" ({reason})" if reason else ""
        )
        return prompt, AgentStateChanged(agent=extension, change=name, reason=reason, at=wall)
