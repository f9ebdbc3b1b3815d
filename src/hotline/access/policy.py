"""The policy: who may do what to which queue, agent or call. One table, read by the web
routes (through one dependency) and, later, by call control for feature codes.

Actions are named by resource and verb, like Wazo's ACL strings. Each role has a scope per
action: every target, the targets in its queues, itself, or none. A target names the queues
and the agent it concerns; ``None`` asks whether the role may use the action at all (a list,
whose items are then checked one by one).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from hotline.access.users import Role, User

__all__ = ["ACTIONS", "RULES", "Action", "Scope", "Target", "Visible", "may", "visible"]

Action = Literal[
    "queues.read",  # live figures of a queue (callers waiting are personal: calls.read)
    "agents.read",  # an agent's live state
    "agents.control",  # log an agent in or out, pause, unpause
    "calls.read",  # calls in progress and their callers' numbers
    "history.read",  # call records, the queue log, agents' sessions
    "events.read",  # the WebSocket of live events
    "wallboard.read",  # the wallboard pages
    "docs.read",  # the API documentation
    "users.admin",  # create, change and disable users
    "audit.read",  # the audit log
    "security.read",  # SIP sources and users refused after failed authentications
    "security.admin",  # lift such a refusal
    "self",  # the user's own account: who am I, my password, sign out
    "pages.agent",  # the agent panel of one's own agent extension
    "pages.supervisor",  # the supervisor console of the queues in scope
    "notifications.read",  # the notification centre of the queues in scope (the system's: ANY)
    "notifications.admin",  # who gets which notification by email and webhook
    "reports.read",  # reports over the queues in scope, and the reports page
    "reports.schedule",  # scheduled reports sent by email
]


class Scope(enum.Enum):
    ANY = "any"
    QUEUES = "queues"  # targets in the user's queues
    SELF = "self"  # the agent that is the user's own extension


_A, _S, _G, _W = Role.ADMIN, Role.SUPERVISOR, Role.AGENT, Role.WALLBOARD
ANY, QUEUES, SELF = Scope.ANY, Scope.QUEUES, Scope.SELF

# A role missing under an action may not use it.
RULES: dict[Action, dict[Role, Scope]] = {
    "queues.read": {_A: ANY, _S: QUEUES, _G: QUEUES, _W: QUEUES},
    "agents.read": {_A: ANY, _S: QUEUES, _G: SELF, _W: QUEUES},
    "agents.control": {_A: ANY, _S: QUEUES, _G: SELF},
    "calls.read": {_A: ANY, _S: QUEUES, _G: SELF},
    "history.read": {_A: ANY, _S: QUEUES, _G: SELF},
    "events.read": {_A: ANY, _S: QUEUES, _G: QUEUES, _W: QUEUES},
    "wallboard.read": {_A: ANY, _S: QUEUES, _G: QUEUES, _W: QUEUES},
    "docs.read": {_A: ANY, _S: ANY, _G: ANY},
    "users.admin": {_A: ANY},
    "audit.read": {_A: ANY},
    # Supervisors see the blocks of their queues' agents (the phone that "stopped working"),
    # not addresses or other users: those say where attacks come from, which is the admin's.
    "security.read": {_A: ANY, _S: QUEUES},
    "security.admin": {_A: ANY},
    "self": {_A: ANY, _S: ANY, _G: ANY, _W: ANY},
    "pages.agent": {_A: SELF, _S: SELF, _G: SELF},
    "pages.supervisor": {_A: ANY, _S: QUEUES},
    "notifications.read": {_A: ANY, _S: QUEUES, _G: QUEUES},
    "notifications.admin": {_A: ANY},
    "reports.read": {_A: ANY, _S: QUEUES},
    "reports.schedule": {_A: ANY},
}
ACTIONS: tuple[Action, ...] = tuple(RULES)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """What an action is done to: the queues it belongs to and the agent it is, or concerns."""

    queues: frozenset[str] = frozenset()
    agent: str | None = None


def may(user: User, action: Action, target: Target | None = None) -> bool:
    """Whether ``user`` may do ``action`` to ``target`` (``None``: to anything at all, the
    items of a list being checked each)."""
    if user.disabled:
        return False
    scope = RULES[action].get(user.role)
    if scope is None:
        return False
    if target is None or scope is Scope.ANY:
        return True
    if scope is Scope.QUEUES:
        return bool(target.queues & user.queues)
    return target.agent is not None and target.agent == user.extension


@dataclass(frozen=True, slots=True, kw_only=True)
class Visible:
    """The part of a list (call history, the queue log) a user may see: rows of ``queues`` or
    of ``agents``; None: no limit on that side."""

    queues: frozenset[str] | None = None
    agents: frozenset[str] | None = None


def visible(user: User, action: Action) -> Visible:
    """What of ``action``'s rows ``user`` may see, from the same table as ``may``."""
    scope = RULES[action].get(user.role)
    if user.disabled or scope is None:
        return Visible(queues=frozenset(), agents=frozenset())
    if scope is Scope.ANY:
        return Visible()
    if scope is Scope.QUEUES:
        return Visible(queues=user.queues)
    return Visible(agents=frozenset({user.extension}) if user.extension else frozenset())
