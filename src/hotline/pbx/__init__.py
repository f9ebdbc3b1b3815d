"""Call control: Hotline's B2BUA joining SIP, media and the ACD.

A small call core (the ``B2bua``, ``Call``, legs, forks, the dialplan, admission) that
knows no feature, and features on top of it (extension ringing, queue calls, agent feature codes
and agent control, private-call busy, the echo test) that register destination kinds and follow
the call's moments (``moments``). ``composition.build_call_control`` wires them together.
"""

from hotline.pbx.admission import Admission, Admitted, Refused
from hotline.pbx.b2bua import B2bua
from hotline.pbx.calls import Call, CallState
from hotline.pbx.clock import Clock, LoopClock, Timer
from hotline.pbx.composition import CallControl, build_call_control
from hotline.pbx.features.agent_control import (
    GENERIC_PAUSE,
    AgentChangeRefused,
    AgentControl,
    UnknownAgent,
)
from hotline.pbx.features.queue_calls import QueueService
from hotline.pbx.features.queue_engine import build_engine
from hotline.pbx.features.remembered_logins import RememberedLogin, restore_logins
from hotline.pbx.fork import Fork, Verdict, final_status
from hotline.pbx.legs import InboundLeg, Leg, LegState, OutboundLeg, Signal, SipContext, is_hold
from hotline.pbx.routing import UNKNOWN, Destination, DestinationKind, Dialplan
from hotline.pbx.signals import Answered, DigitReceived, HungUp, Reoffered, Ringing
from hotline.pbx.sip_ports import SipSender, SipServer

__all__ = [
    "GENERIC_PAUSE",
    "UNKNOWN",
    "Admission",
    "Admitted",
    "AgentChangeRefused",
    "AgentControl",
    "Answered",
    "B2bua",
    "Call",
    "CallControl",
    "CallState",
    "Clock",
    "Destination",
    "DestinationKind",
    "Dialplan",
    "DigitReceived",
    "Fork",
    "HungUp",
    "InboundLeg",
    "Leg",
    "LegState",
    "LoopClock",
    "OutboundLeg",
    "QueueService",
    "Refused",
    "RememberedLogin",
    "Reoffered",
    "Ringing",
    "Signal",
    "SipContext",
    "SipSender",
    "SipServer",
    "Timer",
    "UnknownAgent",
    "Verdict",
    "build_call_control",
    "build_engine",
    "final_status",
    "is_hold",
    "restore_logins",
]
