"""Feature: codes dialled from an agent's own phone: log in, log out, pause and unpause.

The agent is the authenticated extension that dials (never a number in the request), the
change goes through ``AgentControl`` (the path the REST API takes too), a prompt confirms it
and Hotline hangs up. A refused change (an ``always_logged_in`` agent logging out, a logged-out
agent pausing) is told with the "invalid entry" prompt. ``*64`` takes a pause reason's digit
(``*642``), registered with the dialplan as the code's arguments.
"""

from __future__ import annotations

from hotline.config import Config
from hotline.events import AgentStateChanged
from hotline.pbx.b2bua import B2bua
from hotline.pbx.calls import Call
from hotline.pbx.features.agent_control import AgentChangeRefused, AgentControl
from hotline.pbx.routing import Destination, DestinationKind, Dialplan

__all__ = ["AGENT_CODE", "AgentCodes", "FeatureCodes", "add_agent_codes"]

AGENT_CODE = DestinationKind("feature", service=True)
LOGIN, LOGOUT, PAUSE = "agent_login", "agent_logout", "agent_pause"

INVALID = "invalid_entry"
_PROMPTS = {
    "logged_in": "agent_logged_in",
    "logged_out": "agent_logged_out",
    "paused": "agent_paused",
    "unpaused": "agent_unpaused",
}


def add_agent_codes(dialplan: Dialplan, config: Config) -> None:
    codes = config.features
    dialplan.add_code(AGENT_CODE, codes.agent_login, LOGIN)
    dialplan.add_code(AGENT_CODE, codes.agent_logout, LOGOUT)
    dialplan.add_code(AGENT_CODE, codes.agent_pause, PAUSE, config.agents.pause_reasons)


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
        try:
            if destination.code == LOGIN:
                change = control.login(extension)
            elif destination.code == LOGOUT:
                change = control.logout(extension)
            elif destination.code == PAUSE:
                change = control.toggle_pause(extension, destination.argument)
            else:
                return INVALID, None
        except AgentChangeRefused:
            return INVALID, None
        return _PROMPTS[change.change], change


class AgentCodes:
    """The feature: answers an agent's code, plays what it did, hangs up."""

    def __init__(self, pbx: B2bua, config: Config, control: AgentControl) -> None:
        self._media = pbx.media
        self._codes = FeatureCodes(control)
        add_agent_codes(pbx.dialplan, config)
        pbx.on_route(AGENT_CODE, self._route)

    async def _route(self, call: Call) -> None:
        if call.extension is None or not self._codes.is_agent(call.extension):
            call.end("forbidden", status=403)
            return
        if not await call.answer():
            return
        prompt, _ = self._codes.apply(call.extension, call.destination)
        media = call.caller_media
        assert media is not None
        call.hang_up_after_playback = True
        await self._media.play(media, [prompt])
