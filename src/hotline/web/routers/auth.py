"""Signing in and out: the OAuth2 password flow for API clients (a bearer token), and the
browser's session (an HttpOnly cookie with its CSRF companion). Failed sign-ins are limited
per client address and user name, and per address for a scan (429 with Retry-After past the
``[security]`` limits; see ``Accounts``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from hotline.access import User, new_token
from hotline.web.account_schemas import MeOut, PasswordChange, TokenOut
from hotline.web.accounts import SignedIn, SignInRefused, TooManyFailures, UserRefused
from hotline.web.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    TOKEN_URL,
    AccountsDep,
    HubDep,
    TokenDep,
    address_of,
    allow,
)
from hotline.web.schemas import ErrorOut

__all__ = ["me_out", "router"]

router = APIRouter(tags=["auth"])
Form = Annotated[OAuth2PasswordRequestForm, Depends()]
Self = Annotated[User, Depends(allow("self"))]
REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Wrong name or password"},
    429: {
        "model": ErrorOut,
        "description": "Too many failed sign-ins of this name from this address, or of many "
        "names from it: refused, whatever the password, for Retry-After seconds",
    },
}


async def _sign_in(accounts: AccountsDep, request: Request, form: Form) -> SignedIn:
    try:
        return await accounts.sign_in(form.username, form.password, address_of(request))
    except SignInRefused as refused:
        raise HTTPException(401, str(refused), headers={"WWW-Authenticate": "Bearer"}) from None
    except TooManyFailures as flood:
        raise HTTPException(
            429, str(flood), headers={"Retry-After": str(flood.retry_after)}
        ) from None


SignIn = Annotated[SignedIn, Depends(_sign_in)]


def me_out(user: User) -> MeOut:
    return MeOut(
        name=user.name, role=user.role, extension=user.extension,
        queues=sorted(user.queues), language=user.language, email=user.email,
    )  # fmt: skip


@router.post(TOKEN_URL, summary="Sign in: a bearer token (OAuth2 password flow)", responses=REFUSED)
async def token(signed_in: SignIn) -> TokenOut:
    return TokenOut(access_token=signed_in.token, expires_in=signed_in.expires_in)


@router.post(
    "/api/auth/session",
    summary="Sign in a browser: sets the session and CSRF cookies",
    description=f"Sets the HttpOnly cookie {SESSION_COOKIE} and the cookie {CSRF_COOKIE}, "
    "whose value every state-changing request made with the session repeats in the "
    "X-CSRF-Token header.",
    responses=REFUSED,
)
async def session(signed_in: SignIn, response: Response) -> MeOut:
    for name, value, script_reads in ((SESSION_COOKIE, signed_in.token, False),
                                      (CSRF_COOKIE, new_token(), True)):  # fmt: skip
        response.set_cookie(
            name, value, max_age=signed_in.expires_in, samesite="strict", path="/",
            httponly=not script_reads,
        )  # fmt: skip
    return me_out(signed_in.user)


@router.get("/api/auth/me", summary="Who is signed in")
async def me(user: Self) -> MeOut:
    return me_out(user)


@router.post("/api/auth/logout", summary="Sign out: ends this session", status_code=204)
async def logout(
    user: Self,
    token: TokenDep,
    accounts: AccountsDep,
    hub: HubDep,
    request: Request,
    response: Response,
) -> None:
    await accounts.sign_out(token)
    hub.sign_out(token=token)
    await accounts.audit(user.name, "auth.sign_out", address=address_of(request))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.put(
    "/api/auth/me/password",
    summary="Change one's own password (the user's other sessions end)",
    status_code=204,
    responses={403: {"model": ErrorOut, "description": "The old password is wrong"}},
)
async def change_password(
    user: Self,
    token: TokenDep,
    body: PasswordChange,
    accounts: AccountsDep,
    hub: HubDep,
    request: Request,
) -> None:
    try:
        await accounts.change_password(user, body.old_password, body.new_password, token)
    except UserRefused as refused:
        raise HTTPException(refused.status_hint, str(refused)) from None
    hub.sign_out(user=user.name, keep=token)  # the other sessions ended: their sockets too
    await accounts.audit(user.name, "users.password", target=user.name, address=address_of(request))
