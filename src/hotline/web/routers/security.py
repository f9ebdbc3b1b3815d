"""Brute-force protection: the refusals in force, SIP's and the web sign-in's, and lifting one.

An administrator sees every ban; a supervisor the blocks of its queues' agents (why an agent's
phone stopped registering, or why the agent cannot sign in), not address bans nor other users.
Lifting is the administrator's, audited like every other administrative change.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from hotline.access import Target, User, Visible, may, visible
from hotline.sip.guard import AuthGuard, Ban
from hotline.web.deps import AccountsDep, ServicesDep, address_of, allow
from hotline.web.schemas import BanKind, BanOut, ErrorOut
from hotline.web.services import WebServices

__all__ = ["bans_in_force", "guards", "kind_of", "router"]

router = APIRouter(prefix="/api/security", tags=["security"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such ban in force (it ended or was lifted)"}
}


def guards(services: WebServices) -> tuple[AuthGuard, AuthGuard]:
    """The phones' guard and the web sign-in's."""
    return services.guard, services.accounts.guard


def bans_in_force(services: WebServices, now: float) -> list[Ban]:
    """Both guards' refusals, the longest first."""
    found = [ban for guard in guards(services) for ban in guard.bans(now)]
    return sorted(found, key=lambda ban: ban.until, reverse=True)


def kind_of(ban: Ban) -> BanKind:
    return "web" if ban.kind == "web" else "sip"


@router.get("/bans", summary="Refusals in force after failed authentications (SIP and web)")
async def list_bans(
    services: ServicesDep, reader: Annotated[User, Depends(allow("security.read"))]
) -> list[BanOut]:
    bans = bans_in_force(services, services.clock.wall())
    if visible(reader, "security.read") == Visible():  # no limit: no user to look up per ban
        return [_out(ban) for ban in bans]
    return [_out(ban) for ban in bans if may(reader, "security.read", await _target(services, ban))]


@router.delete("/bans/{ban_id}", summary="Lift a refusal (SIP or web)", responses=NOT_FOUND)
async def lift_ban(
    ban_id: str,
    services: ServicesDep,
    accounts: AccountsDep,
    admin: Annotated[User, Depends(allow("security.admin"))],
    request: Request,
) -> BanOut:
    now = services.clock.wall()
    lifted = (guard.lift(ban_id, now) for guard in guards(services))
    ban = next((ban for ban in lifted if ban is not None), None)
    if ban is None:
        raise HTTPException(404, f"no ban {ban_id} in force")
    who = ban.source if ban.user is None else f"{ban.user}@{ban.source}"
    await accounts.audit(
        admin.name, "security.lift_ban", target=who, detail=f"{ban.kind} {ban.reason.value}",
        address=address_of(request),
    )  # fmt: skip
    return _out(ban)


async def _target(services: WebServices, ban: Ban) -> Target:
    """A user's block concerns that agent and its queues; an address ban, or the web block of
    a user who is no agent, no queue."""
    if ban.user is None:
        return Target()
    agent = ban.user if ban.kind == "sip" else await services.accounts.agent_of(ban.user)
    if agent is None:
        return Target()
    return Target(agent=agent, queues=services.config.queues_of(agent))


def _out(ban: Ban) -> BanOut:
    return BanOut(
        id=ban.id, kind=kind_of(ban), source=ban.source, user=ban.user,
        reason=ban.reason.value, until=ban.until,
    )  # fmt: skip
