"""The automatic call distributor: a sans-IO engine deciding which agent gets which caller.

Events and the current time go in (``Engine.handle(event, now)``), commands come out; the
engine reads no clock and opens no socket, so call control and the simulator drive the very
same code.
"""

from hotline.acd.commands import (
    CancelOffer,
    Command,
    Connect,
    DialCallback,
    Leave,
    Offer,
    OfferCallback,
    OfferReason,
    PauseAgent,
    PlayAnnouncement,
    WakeAt,
)
from hotline.acd.engine import Engine
from hotline.acd.events import (
    AgentBusyElsewhere,
    AgentFreeAgain,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallbackFailed,
    CallbackRequested,
    CallEnded,
    CallerAbandoned,
    CallerJoined,
    Event,
    OfferAnswered,
    OfferRejected,
    TimerFired,
    WrapUpEnded,
)
from hotline.acd.model import (
    AcdError,
    AgentConfig,
    AgentId,
    AgentState,
    Announcements,
    CallbackOffer,
    CallerId,
    EngineOptions,
    LeaveReason,
    Member,
    QueueConfig,
    QueueId,
)
from hotline.acd.records import Record, Verb
from hotline.acd.stats import AgentStats, QueueStats
from hotline.acd.strategies import Strategy, register_strategy, strategy_names
from hotline.acd.views import WaitingCaller

__all__ = [
    "AcdError",
    "AgentBusyElsewhere",
    "AgentConfig",
    "AgentFreeAgain",
    "AgentId",
    "AgentLoggedIn",
    "AgentLoggedOut",
    "AgentPaused",
    "AgentState",
    "AgentStats",
    "AgentUnpaused",
    "Announcements",
    "CallEnded",
    "CallbackFailed",
    "CallbackOffer",
    "CallbackRequested",
    "CallerAbandoned",
    "CallerId",
    "CallerJoined",
    "CancelOffer",
    "Command",
    "Connect",
    "DialCallback",
    "Engine",
    "EngineOptions",
    "Event",
    "Leave",
    "LeaveReason",
    "Member",
    "Offer",
    "OfferAnswered",
    "OfferCallback",
    "OfferReason",
    "OfferRejected",
    "PauseAgent",
    "PlayAnnouncement",
    "QueueConfig",
    "QueueId",
    "QueueStats",
    "Record",
    "Strategy",
    "TimerFired",
    "Verb",
    "WaitingCaller",
    "WakeAt",
    "WrapUpEnded",
    "register_strategy",
    "strategy_names",
]
