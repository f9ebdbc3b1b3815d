"""The audit log, for administrators: who did what, when and from where, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from hotline.access import User
from hotline.store import AuditFilter, AuditLog
from hotline.web.account_schemas import AuditOut
from hotline.web.deps import ServicesDep, allow
from hotline.web.routers.paging import PageDep, Since, Until, page_out
from hotline.web.schemas import PageOut

__all__ = ["router"]

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", summary="The audit log, newest first")
async def list_audit(
    services: ServicesDep,
    page: PageDep,
    _admin: Annotated[User, Depends(allow("audit.read"))],
    since: Since = None,
    until: Until = None,
    user: Annotated[str | None, Query(max_length=64, description="Rows of this user")] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="Rows of this action (auth.sign_in, ...)")
    ] = None,
) -> PageOut[AuditOut]:
    where = AuditFilter(user=user, action=action, since=since, until=until)
    async with services.store.database.session() as session:
        found = await AuditLog(session).search(where, page)
    return page_out(found, AuditOut)
