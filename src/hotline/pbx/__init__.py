"""Call control: Hotline's B2BUA joining SIP, media and the ACD.

``Pbx`` admits calls (digest 407 for our extensions, source networks for trunks), routes them
by the dialplan (extension, queue, feature code, echo test) and carries each as a ``Call``: an
inbound leg, the outbound legs it rings (forked, first answer wins) and anchored media.
Queue calls follow the ACD engine's commands (``QueueService``).
"""

from hotline.pbx.admission import Admission, Admitted, Refused
from hotline.pbx.agent_control import AgentChangeRefused, AgentControl, UnknownAgent
from hotline.pbx.b2bua import Pbx
from hotline.pbx.calls import Call, CallState
from hotline.pbx.fork import Fork, Verdict, final_status
from hotline.pbx.legs import InboundLeg, LegState, OutboundLeg, SipContext, is_hold
from hotline.pbx.queue_calls import QueueService, build_engine
from hotline.pbx.routing import Destination, Dialplan, Feature, Kind
from hotline.pbx.signals import Answered, DigitReceived, HungUp, Reoffered, Ringing, Signal

__all__ = [
    "Admission",
    "Admitted",
    "AgentChangeRefused",
    "AgentControl",
    "Answered",
    "Call",
    "CallState",
    "Destination",
    "Dialplan",
    "DigitReceived",
    "Feature",
    "Fork",
    "HungUp",
    "InboundLeg",
    "Kind",
    "LegState",
    "OutboundLeg",
    "Pbx",
    "QueueService",
    "Refused",
    "Reoffered",
    "Ringing",
    "Signal",
    "SipContext",
    "UnknownAgent",
    "Verdict",
    "build_engine",
    "final_status",
    "is_hold",
]
