"""The objects of the web API and the WebSocket frames, as Pydantic models.

Times are Unix epoch seconds (floats), durations seconds. The field names are a contract with
the wallboard pages and with CRMs: add fields, never rename them.
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AgentOut",
    "AgentSessionOut",
    "AgentStateName",
    "BanOut",
    "CallOut",
    "ErrorOut",
    "HealthOut",
    "LiveCallOut",
    "LiveCallState",
    "PageOut",
    "PauseRequest",
    "QueueDetailOut",
    "QueueEventOut",
    "QueueOut",
    "QueueRequest",
    "WaitingCallerOut",
]

AgentStateName = Literal[
    "logged_out",
    "unavailable",
    "available",
    "ringing",
    "on_call",
    "busy_elsewhere",
    "wrap_up",
    "paused",
]
LiveCallState = Literal["ringing", "queued", "connected", "on_hold"]
T = TypeVar("T")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class QueueOut(_Out):
    """A queue with its live figures; counters cover today (reset at local midnight)."""

    number: str = Field(description="The queue's number, as dialled")
    name: str = Field(description="Display name (the number when none is configured)")
    strategy: str = Field(description="How the next agent is chosen (ring_all, ...)")
    priority: int = Field(description="Higher is served first when agents are shared")
    sla_seconds: float = Field(description="Service level threshold: answered within this")
    waiting: int = Field(description="Callers waiting in line now (callbacks not counted)")
    longest_wait_seconds: float = Field(description="Wait of the longest-waiting caller now")
    callbacks_pending: int = Field(description="Callers waiting for a call back")
    logged_in: int = Field(description="Member agents logged in")
    available: int = Field(description="Agents free to take a call now")
    unavailable: int = Field(
        description="Logged-in agents whose phone has no live registration: offered no call"
    )
    ringing: int = Field(description="Agents whose phone rings with an offer")
    on_call: int = Field(description="Agents on a queue call")
    wrap_up: int = Field(description="Agents in wrap-up after a call")
    paused: int = Field(description="Logged-in agents on pause")
    busy_elsewhere: int = Field(description="Agents on another call (private or other queue)")
    offered: int = Field(description="Callers who joined the line today")
    answered: int = Field(description="Callers connected to an agent today")
    abandoned: int = Field(description="Callers who hung up while waiting today")
    timed_out: int = Field(description="Callers who left after the maximum wait today")
    dropped: int = Field(
        description="Callers whose call was lost while waiting, not by their choice (Hotline "
        "stopped, its media failed) today: not abandons"
    )
    answered_within_sla: int = Field(description="Answered within sla_seconds today")
    service_level: float | None = Field(
        description="answered_within_sla / answered (0..1); null when nothing was answered"
    )
    abandon_rate: float | None = Field(description="abandoned / offered (0..1); null if none")
    average_wait_seconds: float | None = Field(
        description="Mean wait of answered callers today; null when none"
    )
    average_talk_seconds: float | None = Field(description="Mean talk time today; null if none")
    estimated_wait_seconds: float | None = Field(
        description="Estimated wait of a caller joining now; null when it cannot be estimated"
    )
    agents: list[str] = Field(description="Member agents' numbers, in priority order")


class WaitingCallerOut(_Out):
    """A caller waiting in a queue, in serving order."""

    call_id: str = Field(description="The call's id (as in /api/calls/live)")
    caller: str = Field(description="Calling number")
    position: int = Field(description="Place in line (1 = next)")
    wait_seconds: float = Field(description="Time waited so far")
    priority: int = Field(description="Caller priority (higher is served first)")
    callback: bool = Field(description="Waiting for a call back rather than on the line")
    ringing: list[str] = Field(description="Agents whose phones ring for this caller now")


class QueueDetailOut(QueueOut):
    """A queue with its live figures and the callers waiting in it."""

    callers: list[WaitingCallerOut] = Field(description="Callers waiting, in serving order")


class AgentOut(_Out):
    """An agent (an extension that may log into queues) and its live state."""

    number: str = Field(description="The agent's extension number")
    name: str = Field(description="Display name (the number when none is configured)")
    state: AgentStateName = Field(
        description="What the agent is doing now; unavailable: logged in, but its phone has "
        "no live registration, so it is offered no call"
    )
    pause_reason: str | None = Field(description="Why the agent is paused; null when not")
    unavailable_reason: str | None = Field(
        None,
        description="Why the agent's phone cannot be reached (the agent is unavailable while "
        "logged in): 'not registered' (none since the start), 'unregistered' (the phone "
        "signed off) or 'expired' (its registration lapsed); null when a phone is registered",
    )
    state_since: float = Field(description="When the agent entered its state (epoch seconds)")
    queues: list[str] = Field(description="Queues the agent is a member of")
    logged_in_queues: list[str] = Field(description="Queues the agent is logged into now")
    answered: int = Field(description="Queue calls answered today")
    talk_seconds: float = Field(description="Time on queue calls today")
    paused_seconds: float = Field(description="Time paused today, the pause in progress included")
    wrap_up_ends_at: float | None = Field(
        None, description="When the agent's wrap-up ends (epoch seconds); null when not in one"
    )


class LiveCallOut(_Out):
    """A call in progress."""

    id: str = Field(description="The call's id; its record in /api/calls has the same id")
    caller: str = Field(description="Calling number")
    destination: str = Field(description="Number dialled")
    queue: str | None = Field(description="Queue the caller waits in or was served by")
    agent: str | None = Field(description="Agent connected with a queue caller")
    state: LiveCallState = Field(description="ringing, queued, connected or on_hold")
    started_at: float = Field(description="When the call arrived (epoch seconds)")
    answered_at: float | None = Field(
        description="When a person (extension or agent) answered; null until then"
    )
    caller_name: str | None = Field(
        None, description="Caller's name: the calling extension's, or the display name it sent"
    )
    queued_at: float | None = Field(
        None, description="When the caller joined its queue; null for calls to no queue"
    )
    wait_seconds: float | None = Field(
        None, description="Time the caller waited before an agent answered; null until then"
    )
    position: int | None = Field(
        None, description="Caller's place in line (1 = next) while it waits; null otherwise"
    )
    ringing: list[str] = Field(
        default_factory=list, description="Agents whose phones ring for this caller now"
    )


class QueueRequest(BaseModel):
    """Body of POST /api/agents/{number}/login and /logout: one queue, or all of them."""

    model_config = ConfigDict(extra="forbid")

    queue: str | None = Field(
        None,
        description="The one queue to log into or out of; null or no body: every queue",
        max_length=64,
    )


class PauseRequest(BaseModel):
    """Body of POST /api/agents/{number}/pause."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        "pause",
        description="A configured pause reason name ([agents] pause_reasons), or 'pause'",
        max_length=64,
    )


class CallOut(_Out):
    """A call record: one per call, completed when it ends."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: str = Field(validation_alias="call_id", description="The call's id")
    caller: str = Field(description="Calling number")
    called: str = Field(description="Number dialled")
    trunk: str | None = Field(description="Trunk the call came in by; null for extensions")
    queue: str | None = Field(description="Last queue the caller waited in")
    agent: str | None = Field(description="Agent who took the call")
    arrived_at: float = Field(description="When the call arrived")
    queued_at: float | None = Field(description="When it entered a queue")
    answered_at: float | None = Field(description="When it was answered")
    ended_at: float | None = Field(description="When it ended; null while in progress")
    disposition: str | None = Field(
        description="answered, abandoned, timeout, failover, callback, unanswered or failed; "
        "null while in progress"
    )
    end_cause: str | None = Field(description="How the call ended (caller_hangup, ...)")
    wait_seconds: float = Field(description="Time waiting in queues")
    talk_seconds: float = Field(
        description="Time from the answer to the end, hold included (as average talk)"
    )
    hold_seconds: float = Field(description="Time on hold (part of talk_seconds)")
    recording: str | None = Field(description="Recording file name, when recorded")


class QueueEventOut(_Out):
    """One line of the queue event log (Asterisk queue_log verbs)."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int = Field(description="Sequence number of the line")
    at: float = Field(validation_alias="time", description="When it happened")
    verb: str = Field(description="ENTERQUEUE, CONNECT, ABANDON, PAUSE ...")
    call_id: str | None = Field(description="The call concerned, if any")
    queue: str | None = Field(description="The queue concerned, if any")
    agent: str | None = Field(description="The agent concerned, if any")
    position: int | None = Field(description="Caller's place in line (1 = next)")
    original_position: int | None = Field(description="Caller's place on joining")
    wait: float | None = Field(description="Seconds waited")
    talk: float | None = Field(description="Seconds talked")
    ring: float | None = Field(description="Seconds rung")
    reason: str | None = Field(description="Pause or leave reason")
    detail: str | None = Field(description="Free text, such as the caller's number")
    explanation: str | None = Field(description="Why an offer went to this agent")


class AgentSessionOut(_Out):
    """A span of an agent's day: logged in, or paused with a reason."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int = Field(description="Sequence number of the session")
    agent: str = Field(description="The agent's number")
    kind: Literal["login", "pause"] = Field(description="login or pause")
    reason: str | None = Field(description="Pause reason")
    started_at: float = Field(description="Start (epoch seconds)")
    ended_at: float | None = Field(description="End; null while it lasts")


class PageOut(_Out, Generic[T]):
    """One page of results and the count of all matching rows."""

    items: list[T] = Field(description="The rows of this page")
    total: int = Field(description="Rows matching the filters, in all pages")
    limit: int = Field(description="Page size asked for")
    offset: int = Field(description="Rows skipped before this page")


class ErrorOut(_Out):
    """An error answer."""

    detail: str = Field(description="What went wrong, for people")


BanReasonName = Literal["failures", "scan", "rate"]
BanKind = Literal["sip", "web"]
BAN_KIND = "sip: SIP digest authentication (phones); web: the web sign-in"


class BanOut(_Out):
    """A refusal in force after failed authentications ([security] in the README)."""

    id: str = Field(description="Names the ban to lift it (DELETE /api/security/bans/{id})")
    kind: BanKind = Field(description=BAN_KIND)
    source: str = Field(description="The source address (an IPv6 /64 as its network)")
    user: str | None = Field(
        description="The user refused from there (sip: an extension; web: the name signed in "
        "with, known or not); null: every user"
    )
    reason: BanReasonName = Field(
        description="failures: this user's credentials failed too often from there; scan: "
        "failures for many users; rate: failures faster than phones or people fail"
    )
    until: float = Field(description="When it ends (epoch seconds)")


class HealthBanOut(_Out):
    """A refusal in force, without the user's name (the health is public)."""

    kind: BanKind = Field(description=BAN_KIND)
    source: str = Field(description="The source address (an IPv6 /64 as its network)")
    every_user: bool = Field(description="true: the whole address; false: one user from it")
    reason: BanReasonName
    seconds_left: float


class MediaHealthOut(_Out):
    """The media engine's state and its clock's figures since the start."""

    process: int | None = Field(
        description="The media process's pid; null when media runs in the server's process"
    )
    running: bool = Field(description="Whether media serves calls (false while it restarts)")
    restarts: int = Field(description="Times the media process died and was started again")
    open_legs: int = Field(description="Call legs with media now (a call has one or two)")
    ticks: int = Field(description="20 ms media clock ticks since the start")
    late_ticks: int = Field(
        description="Ticks that ran late: the media process had more work than it could do"
    )
    ticks_last_minute: int = Field(description="Ticks due in the last minute (skipped ones too)")
    late_ticks_last_minute: int = Field(
        description="Of those, the late and skipped ones: above 1 % the audio breaks up"
    )


class HealthOut(_Out):
    """Whether the node serves calls, for monitoring and load balancers (HTTP 503 when not)."""

    status: Literal["ok", "degraded"] = Field(description="degraded: see problems")
    problems: list[str] = Field(description="What is wrong now, in words; empty when ok")
    uptime_seconds: float = Field(description="Since the server started")
    calls_in_progress: int = Field(description="Calls now, of every kind")
    max_calls: int = Field(description="[limits] max_calls (0: no limit)")
    calls_refused_for_load: int = Field(
        description="New calls refused with 503 since the start: over max_calls or "
        "max_calls_per_second"
    )
    registrations: int = Field(description="Phone registrations held (bindings)")
    store_backlog: int = Field(description="Events waiting to be written to the database")
    media: MediaHealthOut
    auth_bans: list[HealthBanOut] = Field(
        description="Sources refused after failed authentications, SIP and web sign-in "
        "(details and lifting: /api/security/bans)"
    )
