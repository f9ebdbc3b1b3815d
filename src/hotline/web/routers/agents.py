"""Agents: their live state, and login, logout, pause and unpause.

Changes go through the same agent control as the feature codes dialled from a phone, so the
ACD, the store's sessions and the WebSocket clients see them alike.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from fastapi.exceptions import RequestValidationError

from hotline.pbx import GENERIC_PAUSE
from hotline.web.deps import Access, ServicesDep, ViewDep
from hotline.web.schemas import AgentOut, ErrorOut, PauseRequest
from hotline.web.views import LiveView

__all__ = ["router"]

router = APIRouter(prefix="/api/agents", tags=["agents"], dependencies=[Access])
REFUSED: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such agent"},
    409: {"model": ErrorOut, "description": "Not possible in the agent's state"},
}


def _agent(view: LiveView, number: str) -> AgentOut:
    agent = view.agent(number)
    if agent is None:
        raise HTTPException(404, f"no agent {number}")
    return agent


@router.get("", summary="Every agent with its state")
async def list_agents(view: ViewDep) -> list[AgentOut]:
    return view.agents()


@router.get("/{number}", summary="One agent", responses={404: REFUSED[404]})
async def get_agent(number: str, view: ViewDep) -> AgentOut:
    return _agent(view, number)


@router.post("/{number}/login", summary="Log the agent into all its queues", responses=REFUSED)
async def login(number: str, services: ServicesDep, view: ViewDep) -> AgentOut:
    services.agents.login(number)
    return _agent(view, number)


@router.post("/{number}/logout", summary="Log the agent out of all queues", responses=REFUSED)
async def logout(number: str, services: ServicesDep, view: ViewDep) -> AgentOut:
    services.agents.logout(number)
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
    services: ServicesDep,
    view: ViewDep,
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
    return _agent(view, number)


@router.post("/{number}/unpause", summary="End the agent's pause", responses=REFUSED)
async def unpause(number: str, services: ServicesDep, view: ViewDep) -> AgentOut:
    services.agents.unpause(number)
    return _agent(view, number)
