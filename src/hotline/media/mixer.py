"""Who hears whom in a bridge, and the mixing of 20 ms frames.

A bridge joins a caller and an agent; supervisors join with a role (the ChanSpy modes users of
Asterisk know): LISTEN hears both parties and is heard by no one, WHISPER hears both and is
heard by the agent only, BARGE hears both and is heard by both.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping
from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = ["Role", "mix", "routes"]

Samples = npt.NDArray[np.int16]
Key = TypeVar("Key", bound=Hashable)


class Role(enum.Enum):
    """A participant's role in a bridge."""

    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


def routes(caller: Key, agent: Key, participants: Mapping[Key, Role]) -> dict[Key, tuple[Key, ...]]:
    """For each leg of the bridge, the legs it hears."""
    barges = tuple(leg for leg, role in participants.items() if role is Role.BARGE)
    whispers = tuple(leg for leg, role in participants.items() if role is Role.WHISPER)
    result = {caller: (agent, *barges), agent: (caller, *whispers, *barges)}
    for leg in participants:
        result[leg] = (caller, agent, *(other for other in barges if other != leg))
    return result


def mix(
    frames: Mapping[Key, Samples | None], hears: Mapping[Key, tuple[Key, ...]]
) -> dict[Key, Samples | None]:
    """Sum what each listener hears, saturating at 16 bits; None when it hears nothing."""
    mixed: dict[Key, Samples | None] = {}
    for listener, speakers in hears.items():
        present = [frame for leg in speakers if (frame := frames.get(leg)) is not None]
        if not present:
            mixed[listener] = None
        elif len(present) == 1:
            mixed[listener] = present[0]
        else:
            total = np.sum(np.stack(present).astype(np.int32), axis=0)
            mixed[listener] = np.clip(total, -32768, 32767).astype(np.int16)
    return mixed
