"""Event records: one per change of a caller or an agent, in the spirit of Asterisk's queue_log.

The store persists them; reports and the wallboard are computed from them. Verbs keep the
queue_log names where one exists so an export stays familiar.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """What happened at ``time``.

    ``position`` is the caller's place in line when the record was made (1 = next),
    ``original_position`` its place on joining; ``wait``, ``talk`` and ``ring`` are seconds;
    ``reason`` is a pause reason, a leave reason or ``rejected``/``no_answer``; ``detail``
    carries the routing explanation of an offer.
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
    detail: str | None = None
