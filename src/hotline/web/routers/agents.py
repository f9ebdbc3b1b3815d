"""Agents: their live state, and login, logout, pause and unpause, within the user's scope
(a supervisor the agents of its queues, an agent itself). Each change is audited.

Changes go through the same agent control as the feature codes dialled from a phone, so the
ACD, the store's sessions and the WebSocket clients see them alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError

from hotline.access import User, may
from hotline.pbx import GENERIC_PAUSE
from hotline.web.deps import AccountsDep, ServicesDep, ViewDep, address_of, allow, require
from hotline.web.schemas import AgentOut, ErrorOut, PauseRequest, QueueRequest
from hotline.web.targets import agent_target
from hotline.web.views import LiveView

__all__ = ["router"]

router = APIRouter(prefix="/api/agents", tags=["agents"])
REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut, "description": "Not in the user's scope"},
    404: {"model": ErrorOut, "description": "No such agent"},
    409: {"model": ErrorOut, "description": "Not possible in the agent's state"},
}
Reader = Annotated[User, Depends(allow("agents.read"))]
Controller = Annotated[User, Depends(allow("agents.control"))]


def _agent(view: LiveView, number: str) -> AgentOut:
    agent = view.agent(number)
    if agent is None:
        raise HTTPException(404, f"no agent {number}")
    return agent


async def _control(
    request: Request, services: ServicesDep, accounts: AccountsDep, user: Controller, number: str
) -> AsyncIterator[User]:
    """The user, once allowed to act on agent ``number``; the action is audited once it is
    done (a refused change raises here instead, and is not)."""
    require(user, "agents.control", agent_target(services.config, number))
    yield user
    action = "agents." + request.url.path.rsplit("/", 1)[-1]
    detail = getattr(request.state, "pause_reason", None)
    await accounts.audit(
        user.name, action, target=number, detail=detail, address=address_of(request)
    )


Control = Annotated[User, Depends(_control)]


@router.get("", summary="Every agent (in the user's scope) with its state")
async def list_agents(view: ViewDep, services: ServicesDep, user: Reader) -> list[AgentOut]:
    config = services.config
    return [a for a in view.agents() if may(user, "agents.read", agent_target(config, a.number))]


@router.get("/{number}", summary="One agent", responses={403: REFUSED[403], 404: REFUSED[404]})
async def get_agent(number: str, view: ViewDep, services: ServicesDep, user: Reader) -> AgentOut:
    require(user, "agents.read", agent_target(services.config, number))
    return _agent(view, number)


QueueBody = Annotated[QueueRequest | None, Body()]


@router.post(
    "/{number}/login",
    summary="Log the agent into all its queues, or into one",
    description="Without a body (or with no queue) the agent logs into every queue it is a "
    "member of; with a queue, into that one only.",
    responses=REFUSED,
)
async def login(
    number: str, services: ServicesDep, view: ViewDep, _user: Control, body: QueueBody = None
) -> AgentOut:
    services.agents.login(number, body.queue if body is not None else None)
    return _agent(view, number)


@router.post(
    "/{number}/logout",
    summary="Log the agent out of all queues, or out of one",
    description="Without a body (or with no queue) the agent leaves every queue; with a "
    "queue, that one only.",
    responses=REFUSED,
)
async def logout(
    number: str, services: ServicesDep, view: ViewDep, _user: Control, body: QueueBody = None
) -> AgentOut:
    services.agents.logout(number, body.queue if body is not None else None)
    return _agent(view, number)


@router.post(
    "/{number}/end-wrap-up",
    summary="End the agent's wrap-up now",
    description="The agent may be offered the next caller at once; 409 when not in wrap-up.",
    responses=REFUSED,
)
async def end_wrap_up(
    number: str, services: ServicesDep, view: ViewDep, _user: Control
) -> AgentOut:
    services.agents.end_wrap_up(number)
    return _agent(view, number)


@router.post(
    "/{number}/pause",
    summary="Pause the agent, with a reason",
    description="The reason is one of the configured pause reasons; without a body the pause "
    f"has the generic reason {GENERIC_PAUSE!r}. A paused agent may change its reason.",
    responses={**REFUSED, 400: {"model": ErrorOut, "description": "The body is not JSON"}},
)
async def pause(
    number: str,
    request: Request,
    services: ServicesDep,
    view: ViewDep,
    _user: Control,
    body: Annotated[PauseRequest | None, Body()] = None,
) -> AgentOut:
    control = services.agents
    reason = body.reason if body is not None else GENERIC_PAUSE
    allowed = {GENERIC_PAUSE, *control.reasons.values()}
    if reason not in allowed:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "reason"),
                    "input": reason,
                    "msg": f"unknown pause reason; one of: {', '.join(sorted(allowed))}",
                }
            ]
        )
    control.pause(number, reason)
    request.state.pause_reason = reason  # for the audit row
    return _agent(view, number)


@router.post("/{number}/unpause", summary="End the agent's pause", responses=REFUSED)
async def unpause(number: str, services: ServicesDep, view: ViewDep, _user: Control) -> AgentOut:
    services.agents.unpause(number)
    return _agent(view, number)
