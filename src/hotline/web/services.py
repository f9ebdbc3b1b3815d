"""What the web application reads and drives: the parts of a running node it is given."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hotline.config import Config
from hotline.events import EventBus
from hotline.notifications import Notifications
from hotline.pbx import AgentControl, B2bua, CallControl, Clock, QueueService
from hotline.pbx.capacity import CallCapacity
from hotline.sip.guard import AuthGuard
from hotline.store import Store
from hotline.web.accounts import Accounts

__all__ = ["WebServices"]


@dataclass(slots=True)
class WebServices:
    """Handed to ``create_app``; routes reach it as ``request.app.state.services``. ``calls``
    is the call core (live calls, their record ids, media, registrations)."""

    config: Config
    store: Store
    accounts: Accounts
    calls: B2bua
    queues: QueueService
    agents: AgentControl
    capacity: CallCapacity
    guard: AuthGuard  # SIP digest failures: its bans are listed and lifted here
    bus: EventBus
    clock: Clock
    started_at: float = field(default_factory=time.monotonic)  # for the uptime
    notifications: Notifications | None = None  # the in-app centre, the rules (None: off)

    @classmethod
    def of(
        cls, config: Config, control: CallControl, store: Store, accounts: Accounts
    ) -> WebServices:
        pbx = control.pbx
        return cls(
            config=config,
            store=store,
            accounts=accounts,
            calls=pbx,
            queues=control.queues,
            agents=control.agents,
            capacity=pbx.capacity,
            guard=pbx.admission.guard,
            bus=pbx.bus,
            clock=pbx.clock,
        )
