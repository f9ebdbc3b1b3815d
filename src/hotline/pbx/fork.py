"""Parallel forking (RFC 3261 §16.7 as a B2BUA does it): the first 2xx wins.

Sans-IO bookkeeping of the branches of one call: every answer is judged at the moment it
arrives, so when two phones answer in the same instant exactly one wins and the other is told
to hang up (after its ACK: RFC 3261 §13.2.2.4 requires ACKing every 2xx). When every branch
failed, ``final_status`` picks the response for the caller the way §16.7 step 6 suggests:
busy beats unavailable beats anything else.
"""

from __future__ import annotations

from collections.abc import Hashable
from enum import Enum
from typing import Generic, TypeVar

__all__ = ["BranchState", "Fork", "Verdict", "final_status"]

B = TypeVar("B", bound=Hashable)


class BranchState(Enum):
    RINGING = "ringing"
    WON = "won"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Verdict(Enum):
    WIN = "win"  # bridge this branch, cancel the others
    LOSE = "lose"  # ACK it and send BYE at once


def final_status(statuses: list[int]) -> int:
    """The status for the caller when no branch answered."""
    if any(status in (486, 600) for status in statuses):
        return 486
    if any(status == 603 for status in statuses):
        return 603
    if not statuses or any(status in (408, 480, 487) for status in statuses):
        return 480
    return min(statuses)


class Fork(Generic[B]):
    """The branches of one call and which of them won."""

    def __init__(self) -> None:
        self.branches: dict[B, BranchState] = {}
        self.winner: B | None = None
        self._statuses: list[int] = []

    def add(self, branch: B) -> None:
        self.branches[branch] = BranchState.RINGING

    def answered(self, branch: B) -> Verdict:
        """A 2xx arrived on ``branch``: it wins only if nobody won before."""
        if self.winner is None and self.branches.get(branch) is BranchState.RINGING:
            self.winner = branch
            self.branches[branch] = BranchState.WON
            return Verdict.WIN
        return Verdict.LOSE

    def withdraw(self, branch: B) -> None:
        """The winner may not have the call after all (its offer was withdrawn just before
        it answered): it counts as failed and the next answer can win."""
        if self.winner == branch:
            self.winner = None
            self.branches[branch] = BranchState.CANCELLED

    def failed(self, branch: B, status: int) -> None:
        if self.branches.get(branch) is BranchState.RINGING:
            self.branches[branch] = BranchState.FAILED
            self._statuses.append(status)

    def cancel(self, branch: B) -> bool:
        """Give up on a ringing branch; False when it is not ringing (any more)."""
        if self.branches.get(branch) is not BranchState.RINGING:
            return False
        self.branches[branch] = BranchState.CANCELLED
        return True

    def losers(self) -> list[B]:
        """The branches still ringing, to cancel once one branch won."""
        return [b for b, state in self.branches.items() if state is BranchState.RINGING]

    @property
    def exhausted(self) -> bool:
        """Nothing rings any more and nobody won."""
        return self.winner is None and not self.losers()

    def final_status(self) -> int:
        return final_status(self._statuses)
