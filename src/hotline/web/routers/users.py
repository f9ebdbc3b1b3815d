"""Users, for administrators: list, create, change (role, scope, language, email,
password) and disable. Each change is audited; disabling a user or setting its password
ends its sessions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from hotline.access import User
from hotline.web.account_schemas import UserChange, UserIn, UserOut
from hotline.web.deps import AccountsDep, HubDep, address_of, allow
from hotline.web.schemas import ErrorOut

__all__ = ["router"]

router = APIRouter(prefix="/api/users", tags=["users"])
Admin = Annotated[User, Depends(allow("users.admin"))]
REFUSED: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such user"},
    409: {"model": ErrorOut, "description": "A user of that name exists"},
    422: {"model": ErrorOut, "description": "Not valid for the configuration"},
}


@router.get("", summary="Every user")
async def list_users(accounts: AccountsDep, _admin: Admin) -> list[UserOut]:
    return [UserOut.model_validate(record) for record in await accounts.users()]


@router.post("", summary="Create a user", status_code=201, responses=REFUSED)
async def create_user(
    body: UserIn, accounts: AccountsDep, admin: Admin, request: Request
) -> UserOut:
    record = await accounts.create(
        name=body.name, password=body.password, role=body.role, extension=body.extension,
        queues=body.queues, language=body.language, email=body.email,
    )  # fmt: skip
    detail = f"role {body.role}"
    await accounts.audit(
        admin.name, "users.create", target=body.name, detail=detail, address=address_of(request)
    )
    return UserOut.model_validate(record)


@router.patch("/{name}", summary="Change or disable a user", responses=REFUSED)
async def change_user(
    name: str, body: UserChange, accounts: AccountsDep, hub: HubDep, admin: Admin, request: Request
) -> UserOut:
    values = body.model_dump(exclude_unset=True)
    if not values:
        raise HTTPException(422, "nothing to change")
    if values.get("disabled") and name == admin.name:
        raise HTTPException(409, "an administrator cannot disable itself")
    record = await accounts.change(name, dict(values))
    if values.get("disabled") or "password" in values:
        hub.sign_out(user=name)  # its sessions ended: its live sockets too
    elif values.keys() & {"role", "queues", "extension"}:
        hub.rescope(name)  # what its live sockets may see changed
    changed = ", ".join(sorted(values))
    await accounts.audit(
        admin.name, "users.change", target=name, detail=changed, address=address_of(request)
    )
    return UserOut.model_validate(record)
