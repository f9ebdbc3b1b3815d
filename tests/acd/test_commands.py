"""The engine's fast command builders make the very objects the dataclasses make."""

from __future__ import annotations

import dataclasses

import pytest

from hotline.acd import (
    AgentId,
    CallerId,
    CancelOffer,
    Connect,
    Leave,
    LeaveReason,
    Offer,
    OfferReason,
    QueueId,
    WakeAt,
)
from hotline.acd.commands import (
    new_cancel_offer,
    new_connect,
    new_leave,
    new_offer,
    new_wake_at,
)

REASON = OfferReason("ring_all", 0, 1, 0, 2.5, 10.0, 3, (), "member order")
CALLER, QUEUE, AGENT = CallerId("c1"), QueueId("q1"), AgentId("a1")


@pytest.mark.parametrize(
    ("built", "made"),
    [
        (
            new_offer(CALLER, QUEUE, (AGENT,), 15.0, (REASON,)),
            Offer(caller=CALLER, queue=QUEUE, agents=(AGENT,), ring_seconds=15.0,
                  reasons=(REASON,)),
        ),
        (new_cancel_offer(CALLER, (AGENT,)), CancelOffer(caller=CALLER, agents=(AGENT,))),
        (
            new_connect(CALLER, QUEUE, AGENT, 4.5),
            Connect(caller=CALLER, queue=QUEUE, agent=AGENT, wait_seconds=4.5),
        ),
        (new_wake_at(7.0), WakeAt(at=7.0)),
        (
            new_leave(CALLER, QUEUE, LeaveReason.TIMEOUT, "voicemail", 3, 60.0),
            Leave(caller=CALLER, queue=QUEUE, reason=LeaveReason.TIMEOUT,
                  destination="voicemail", position=3, wait_seconds=60.0),
        ),
    ],
)  # fmt: skip
def test_a_built_command_is_the_dataclass_object(built: object, made: object) -> None:
    assert type(built) is type(made)
    assert built == made and made == built
    assert hash(built) == hash(made)
    assert repr(built) == repr(made)
    assert dataclasses.astuple(built) == dataclasses.astuple(made)  # type: ignore[call-overload]
    first = dataclasses.fields(built)[0].name  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, first, None)
