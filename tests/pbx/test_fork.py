"""First answer wins; a late 2xx loses; the caller's status when nobody answers."""

from __future__ import annotations

from hotline.pbx.fork import BranchState, Fork, Verdict, final_status


def test_first_answer_wins_and_the_rest_are_losers() -> None:
    fork: Fork[str] = Fork()
    for branch in ("a", "b", "c"):
        fork.add(branch)
    assert fork.answered("b") is Verdict.WIN
    assert fork.losers() == ["a", "c"]
    assert fork.answered("a") is Verdict.LOSE  # same instant, second in line
    assert fork.winner == "b"


def test_cancelled_branch_that_answers_loses() -> None:
    fork: Fork[str] = Fork()
    fork.add("a")
    assert fork.cancel("a")
    assert not fork.cancel("a")
    assert fork.answered("a") is Verdict.LOSE
    assert fork.exhausted


def test_withdrawn_winner_lets_the_next_answer_win() -> None:
    fork: Fork[str] = Fork()
    fork.add("a")
    fork.add("b")
    assert fork.answered("a") is Verdict.WIN
    fork.withdraw("a")
    assert fork.branches["a"] is BranchState.CANCELLED
    assert fork.answered("b") is Verdict.WIN


def test_exhausted_only_when_nothing_rings() -> None:
    fork: Fork[str] = Fork()
    fork.add("a")
    fork.add("b")
    fork.failed("a", 486)
    assert not fork.exhausted
    fork.failed("b", 408)
    assert fork.exhausted
    assert fork.final_status() == 486


def test_final_status_mapping() -> None:
    assert final_status([]) == 480
    assert final_status([408, 487]) == 480
    assert final_status([480, 600]) == 486
    assert final_status([603, 480]) == 603
    assert final_status([404, 500]) == 404
