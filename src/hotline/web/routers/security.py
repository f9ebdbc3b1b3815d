"""SIP brute-force protection: the refusals in force, and lifting one.

An administrator sees every ban; a supervisor the blocks of its queues' agents (why an agent's
phone stopped registering), not address bans nor other users. Lifting is the administrator's,
audited like every other administrative change.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from hotline.access import Target, User, may
from hotline.sip.guard import Ban
from hotline.web.deps import AccountsDep, ServicesDep, address_of, allow
from hotline.web.schemas import BanOut, ErrorOut
from hotline.web.services import WebServices

__all__ = ["router"]

router = APIRouter(prefix="/api/security", tags=["security"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such ban in force (it ended or was lifted)"}
}


@router.get("/bans", summary="SIP refusals in force after failed authentications")
async def list_bans(
    services: ServicesDep, reader: Annotated[User, Depends(allow("security.read"))]
) -> list[BanOut]:
    bans = services.guard.bans(services.clock.wall())
    return [_out(ban) for ban in bans if may(reader, "security.read", _target(services, ban))]


@router.delete("/bans/{ban_id}", summary="Lift a SIP refusal", responses=NOT_FOUND)
async def lift_ban(
    ban_id: str,
    services: ServicesDep,
    accounts: AccountsDep,
    admin: Annotated[User, Depends(allow("security.admin"))],
    request: Request,
) -> BanOut:
    ban = services.guard.lift(ban_id, services.clock.wall())
    if ban is None:
        raise HTTPException(404, f"no ban {ban_id} in force")
    who = ban.source if ban.user is None else f"{ban.user}@{ban.source}"
    await accounts.audit(
        admin.name, "security.lift_ban", target=who, detail=ban.reason.value,
        address=address_of(request),
    )  # fmt: skip
    return _out(ban)


def _target(services: WebServices, ban: Ban) -> Target:
    """A user's block concerns that agent and its queues; an address ban no queue."""
    if ban.user is None:
        return Target()
    return Target(agent=ban.user, queues=services.config.queues_of(ban.user))


def _out(ban: Ban) -> BanOut:
    return BanOut(
        id=ban.id, source=ban.source, user=ban.user, reason=ban.reason.value, until=ban.until
    )
