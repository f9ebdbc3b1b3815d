"""Feature codes dialled from an agent's own phone: log in, log out, pause and unpause.

The agent is the authenticated extension that dials (never a number in the request), the
change goes through ``AgentControl`` (the path the REST API takes too), a prompt confirms it
and Hotline hangs up. A refused change (an ``always_logged_in`` agent logging out, a logged-out
agent pausing) is told with the "invalid entry" prompt.
"""

from __future__ import annotations

from hotline.events import AgentStateChanged
from hotline.pbx.agent_control import AgentChangeRefused, AgentControl
from hotline.pbx.routing import Destination, Feature

__all__ = ["FeatureCodes"]

INVALID = "invalid_entry"
_PROMPTS = {
    "logged_in": "agent_logged_in",
    "logged_out": "agent_logged_out",
    "paused": "agent_paused",
    "unpaused": "agent_unpaused",
}


class FeatureCodes:
    """Applies feature codes through agent control; returns the prompt that confirms it."""

    def __init__(self, control: AgentControl) -> None:
        self._control = control

    def is_agent(self, extension: str | None) -> bool:
        return self._control.is_agent(extension)

    def apply(
        self, extension: str, destination: Destination
    ) -> tuple[str, AgentStateChanged | None]:
        """The prompt to play and the published agent event (None when refused)."""
        control = self._control
        feature = destination.feature
        try:
            if feature is Feature.AGENT_LOGIN:
                change = control.login(extension)
            elif feature is Feature.AGENT_LOGOUT:
                change = control.logout(extension)
            elif feature is Feature.AGENT_PAUSE:
                change = control.toggle_pause(extension, destination.argument)
            else:
                return INVALID, None
        except AgentChangeRefused:
            return INVALID, None
        return _PROMPTS[change.change], change
