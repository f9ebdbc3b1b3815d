"""The policy table: each role's scope, what a list may show, and the rules a user's ties to
the configuration must follow."""

from __future__ import annotations

import pytest

from hotline.access import ACTIONS, RULES, Role, Target, User, may, user_problems, visible

ADMIN = User(name="root", role=Role.ADMIN)
SUPERVISOR = User(name="sue", role=Role.SUPERVISOR, queues=frozenset({"800"}))
AGENT = User(name="al", role=Role.AGENT, extension="101", queues=frozenset({"800"}))
WALLBOARD = User(name="tv", role=Role.WALLBOARD, queues=frozenset({"800", "801"}))
AGENT_101 = Target(queues=frozenset({"800"}), agent="101")
AGENT_103 = Target(queues=frozenset({"801"}), agent="103")
QUEUE_801 = Target(queues=frozenset({"801"}))


@pytest.mark.parametrize(
    ("user", "action", "target", "allowed"),
    [
        (ADMIN, "agents.control", AGENT_103, True),
        (SUPERVISOR, "agents.control", AGENT_101, True),
        (SUPERVISOR, "agents.control", AGENT_103, False),
        (SUPERVISOR, "queues.read", QUEUE_801, False),
        (AGENT, "agents.control", AGENT_101, True),
        (AGENT, "agents.control", Target(queues=frozenset({"800"}), agent="102"), False),
        (AGENT, "queues.read", Target(queues=frozenset({"800"})), True),
        (AGENT, "users.admin", None, False),
        (WALLBOARD, "queues.read", QUEUE_801, True),
        (WALLBOARD, "calls.read", None, False),
        (WALLBOARD, "agents.control", None, False),
        (WALLBOARD, "self", None, True),
        (SUPERVISOR, "audit.read", None, False),
    ],
)
def test_may(user: User, action: str, target: Target | None, allowed: bool) -> None:
    assert may(user, action, target) is allowed  # type: ignore[arg-type]


def test_a_disabled_user_may_nothing() -> None:
    disabled = User(name="root", role=Role.ADMIN, disabled=True)
    assert not any(may(disabled, action) for action in ACTIONS)


def test_every_action_has_a_rule_for_the_admin() -> None:
    assert all(RULES[action][Role.ADMIN] for action in ACTIONS)


def test_visible_rows_follow_the_same_table() -> None:
    assert visible(ADMIN, "history.read").queues is None
    assert visible(SUPERVISOR, "history.read").queues == {"800"}
    assert visible(AGENT, "history.read").agents == {"101"}
    assert visible(WALLBOARD, "history.read").queues == frozenset()


def test_user_problems() -> None:
    def problems(role: Role, extension: str | None = None, queues: tuple[str, ...] = ()) -> str:
        found = user_problems(
            role=role, extension=extension, queues=queues, extensions={"101", "200"},
            agents={"101"}, known_queues={"800"},
        )  # fmt: skip
        return "; ".join(found)

    assert problems(Role.ADMIN) == ""
    assert problems(Role.AGENT, "101") == ""
    assert problems(Role.AGENT, "200") == "extension 200 is not an agent extension"
    assert problems(Role.AGENT) == "an agent needs an extension"
    assert "leave queues out" in problems(Role.AGENT, "101", ("800",))
    assert problems(Role.SUPERVISOR, "999", ("800",)) == "extension 999 does not exist"
    assert problems(Role.WALLBOARD, queues=("900",)) == "unknown queue 900"
    assert problems(Role.WALLBOARD) == "a wallboard needs at least one queue"
