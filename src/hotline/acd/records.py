"""Event records: one per change of a caller or an agent, in the spirit of Asterisk's queue_log.

The store persists them; reports and the wallboard are computed from them. Verbs keep the
queue_log names where one exists so an export stays familiar.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from hotline.acd.commands import OfferReason
from hotline.acd.model import AgentId, CallerId, QueueId

__all__ = ["Record", "Verb"]


class Verb(enum.Enum):
    ENTERQUEUE = "ENTERQUEUE"
    FULL = "FULL"
    JOINEMPTY = "JOINEMPTY"
    OFFER = "OFFER"
    RINGNOANSWER = "RINGNOANSWER"
    RINGCANCELED = "RINGCANCELED"
    CONNECT = "CONNECT"
    COMPLETECALLER = "COMPLETECALLER"
    COMPLETEAGENT = "COMPLETEAGENT"
    ABANDON = "ABANDON"
    DROPPED = "DROPPED"  # ours: the caller's call was lost (Hotline stopped, media failed)
    EXITWITHTIMEOUT = "EXITWITHTIMEOUT"
    EXITEMPTY = "EXITEMPTY"
    CALLBACKREQUEST = "CALLBACKREQUEST"
    CALLBACKDIAL = "CALLBACKDIAL"
    CALLBACKFAILED = "CALLBACKFAILED"
    ADDMEMBER = "ADDMEMBER"
    REMOVEMEMBER = "REMOVEMEMBER"
    PAUSE = "PAUSE"
    UNPAUSE = "UNPAUSE"
    WRAPUPEND = "WRAPUPEND"
    BUSYELSEWHERE = "BUSYELSEWHERE"
    FREEAGAIN = "FREEAGAIN"
    UNREACHABLE = "UNREACHABLE"  # ours: the agent's phone has no live registration
    REACHABLE = "REACHABLE"  # ours: it registered again


class Record(NamedTuple):
    """What happened at ``time`` (immutable).

    A NamedTuple rather than a frozen dataclass: the engine makes one per change, and on our
    machines a NamedTuple is built about three times faster, which shows in the throughput.

    ``position`` is the caller's place in line when the record was made (1 = next),
    ``original_position`` its place on joining; ``wait``, ``talk`` and ``ring`` are seconds;
    ``reason`` is a pause reason, a leave reason or ``rejected``/``no_answer``; ``reasons``
    is the routing explanation of an offer (why this agent); ``detail`` free text such as
    the caller's number. ``explain()`` renders a record for people.
    """

    time: float
    verb: Verb
    caller: CallerId | None = None
    queue: QueueId | None = None
    agent: AgentId | None = None
    position: int | None = None
    original_position: int | None = None
    wait: float | None = None
    talk: float | None = None
    ring: float | None = None
    reason: str | None = None
    reasons: tuple[OfferReason, ...] = ()
    detail: str | None = None

    def explain(self) -> str:
        """One line for a supervisor: the record, and for an offer the figures behind it."""
        who = " ".join(f"{k}={v}" for k, v in (("caller", self.caller), ("queue", self.queue),
                                               ("agent", self.agent)) if v is not None)  # fmt: skip
        line = f"{self.time:.1f} {self.verb.value} {who}"
        for r in self.reasons:
            line += (
                f" [{r.strategy} rank {r.rank}: member #{r.member_priority},"
                f" idle {r.idle_seconds:.0f} s, talk {r.talk_seconds:.0f} s,"
                f" answered {r.answered}"
                + (f", skills {dict(r.skills)}" if r.skills else "")
                + (", sticky" if r.sticky else "")
                + f"; order: {r.tie_break}]"
            )
        return line
