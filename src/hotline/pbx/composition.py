"""The composition of call control: the call core and the features on top of it.

This is the one module that imports every feature (the way Wazo's ``plugins`` are loaded). A
feature registers its kinds of destination and its codes with the dialplan, its route handler
and the moments it follows; adding one is a new module and one line in ``build_call_control``.
The order features are built in is the order they hear each moment: the queue hears a call's
``Ended`` before the others, so how a caller left the line is published first.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.config import Config
from hotline.events import EventBus
from hotline.media import MediaService
from hotline.pbx.b2bua import B2bua
from hotline.pbx.calls import Call
from hotline.pbx.capacity import CallCapacity
from hotline.pbx.clock import Clock
from hotline.pbx.features.agent_codes import AgentCodes
from hotline.pbx.features.agent_control import AgentControl
from hotline.pbx.features.echo_test import EchoTest
from hotline.pbx.features.extensions import EXTENSION, ExtensionRinging
from hotline.pbx.features.private_calls import PrivateCalls
from hotline.pbx.features.queue_calls import QueueService
from hotline.pbx.sip_ports import SipServer
from hotline.sip.auth import DigestAuthenticator
from hotline.sip.guard import AuthGuard
from hotline.sip.location import LocationService

__all__ = ["CallControl", "build_call_control"]


@dataclass(slots=True)
class CallControl:
    """The call core and the features' services the rest of Hotline uses."""

    pbx: B2bua
    queues: QueueService
    agents: AgentControl
    extensions: ExtensionRinging
    private_calls: PrivateCalls

    @property
    def calls(self) -> dict[str, Call]:
        return self.pbx.calls

    @property
    def capacity(self) -> CallCapacity:
        return self.pbx.capacity

    def install(self) -> None:
        self.pbx.install()

    def start(self) -> None:
        self.queues.start()

    async def close(self) -> None:
        await self.pbx.close()
        self.queues.close()


def build_call_control(
    config: Config,
    endpoint: SipServer,
    media: MediaService,
    location: LocationService,
    authenticator: DigestAuthenticator,
    guard: AuthGuard,
    *,
    bus: EventBus,
    clock: Clock,
) -> CallControl:
    """The call core with every feature; nothing is bound until ``install``."""
    pbx = B2bua(config, endpoint, media, location, authenticator, guard, bus=bus, clock=clock)

    async def ring_answered(call: Call, number: str) -> None:
        await extensions.call(call, number, answered=True)

    queues = QueueService(pbx, config, failover_to={EXTENSION: ring_answered})
    agent_numbers = {e.number for e in config.extensions if e.agent}
    private_calls = PrivateCalls(pbx, agent_numbers, queues.feed)
    extensions = ExtensionRinging(pbx, config, on_ring=private_calls.ringing)
    agents = AgentControl(
        config, queues.engine, queues.feed, bus.publish, now=clock.now, wall=clock.wall
    )
    AgentCodes(pbx, config, agents)
    EchoTest(pbx, config)
    return CallControl(
        pbx=pbx,
        queues=queues,
        agents=agents,
        extensions=extensions,
        private_calls=private_calls,
    )
