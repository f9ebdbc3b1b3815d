"""Dependencies shared by the routers: who is asking and whether they may, and the parts of
the node they read.

Every route carries exactly one rule, ``Depends(allow("queues.read"))`` (pages:
``allow_page``, the WebSocket: ``allow_socket``), or is in ``PUBLIC``; the OpenAPI-wide test
checks that, so a new route without a rule fails it. A rule answers 401 without a valid
token (``Authorization: Bearer``, or the browser's session cookie), 403 when the policy
(``hotline.access.may``) refuses the role; routes check the target (this queue, that agent)
with ``require``. Requests signed in by cookie that change something must carry the CSRF
header (the double-submit pattern: a page of another site cannot read the cookie to copy it).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request, WebSocket, WebSocketException
from fastapi.requests import HTTPConnection
from fastapi.security import OAuth2PasswordBearer

from hotline.access import Action, Target, User, may
from hotline.web.accounts import Accounts
from hotline.web.live import POLICY_VIOLATION, LiveHub
from hotline.web.services import WebServices
from hotline.web.views import LiveView

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "PUBLIC",
    "RULE_OF",
    "SESSION_COOKIE",
    "TOKEN_URL",
    "AccountsDep",
    "CurrentUser",
    "HubDep",
    "PageRefused",
    "PageUser",
    "ServicesDep",
    "TokenDep",
    "ViewDep",
    "address_of",
    "allow",
    "allow_page",
    "allow_socket",
    "current_user",
    "page_user",
    "require",
]

SESSION_COOKIE = "hotline_session"
CSRF_COOKIE = "hotline_csrf"
CSRF_HEADER = "X-CSRF-Token"
TOKEN_URL = "/api/auth/token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Paths open to everyone: the node's health (for load balancers), the two sign-ins, the home
# and sign-in pages (the home page of someone signed out is the sign-in), and the pages'
# static files and the wallboard's logo (no data in them; the sign-in page needs them, and
# an image tag sends no token).
PUBLIC = frozenset(
    {"/api/health", TOKEN_URL, "/api/auth/session", "/", "/login", "/static", "/wallboard/logo"}
)

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


def _accounts(connection: HTTPConnection) -> Accounts:
    accounts: Accounts = connection.app.state.accounts
    return accounts


def address_of(connection: HTTPConnection) -> str | None:
    """The client's address, for the sign-in limiter and the audit log."""
    return connection.client.host if connection.client else None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def _user_of(connection: HTTPConnection, token: str | None) -> User | None:
    if not token:
        return None
    user = await _accounts(connection).user(token)
    if user is not None:
        connection.state.token = token
    return user


async def current_user(request: Request, bearer: Annotated[str | None, Depends(_bearer)]) -> User:
    """The user of the request's bearer token or session cookie: 401 without one."""
    cookie = request.cookies.get(SESSION_COOKIE)
    user = await _user_of(request, bearer or cookie)
    if user is None:
        raise _unauthorized("sign in first" if not (bearer or cookie) else "invalid token")
    if not bearer and request.method not in _SAFE_METHODS:
        _check_csrf(request)
    return user


def _check_csrf(request: Request) -> None:
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not expected or not secrets.compare_digest(expected.encode(), sent.encode()):
        raise HTTPException(403, f"the {CSRF_HEADER} header must repeat the {CSRF_COOKIE} cookie")


async def page_user(request: Request) -> User:
    """The user of a page: the session cookie, ``?token=`` (a TV has no keyboard to sign in
    with) or a bearer token. Without one, the browser is sent to the sign-in page (303)."""
    user = await _user_of(request, _page_token(request))
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = "/login?next=" + quote(target, safe="")
        raise HTTPException(303, "sign in first", headers={"Location": location})
    return user


def _page_token(connection: HTTPConnection) -> str | None:
    """A page's or WebSocket's token: ``Authorization: Bearer``, ``?token=`` or the cookie.
    (Only these take ``?token=``: a token in an API URL would end up in logs and histories.)"""
    scheme, _, bearer = connection.headers.get("authorization", "").partition(" ")
    return (
        (bearer if scheme.lower() == "bearer" else None)
        or connection.query_params.get("token")
        or connection.cookies.get(SESSION_COOKIE)
    )


async def socket_user(websocket: WebSocket) -> User:
    """The user of a WebSocket (as a page's); the socket is closed with 1008 without one.
    Signed in by the cookie, it must come from a page of this server: a browser sends the
    cookie with a socket another site opens, and only the Origin header tells them apart."""
    token = _page_token(websocket)
    user = await _user_of(websocket, token)
    if user is None:
        await _refuse(websocket, "sign in first")
    elif token == websocket.cookies.get(SESSION_COOKIE) and not _same_origin(websocket):
        await _refuse(websocket, "a session cookie from another site")
    assert user is not None
    return user


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


async def _refuse(websocket: WebSocket, reason: str) -> None:
    """Close with 1008. Accepted first: a socket closed during its handshake gets an HTTP
    403 instead, and the client never sees the code that says why."""
    await websocket.accept()
    raise WebSocketException(POLICY_VIOLATION, reason)


CurrentUser = Annotated[User, Depends(current_user)]
PageUser = Annotated[User, Depends(page_user)]
SocketUser = Annotated[User, Depends(socket_user)]

# The rule of each rule dependency, for the test that every route has one.
RULE_OF: dict[Callable[..., Awaitable[User]], Action] = {}


class PageRefused(Exception):
    """A signed-in user's role does not open this page: answered with the home page (the
    pages it does open) and 403, not a bare JSON error in a browser tab."""

    def __init__(self, user: User, reason: str) -> None:
        super().__init__(reason)
        self.user = user


def _api_refusal(_user: User, reason: str) -> Exception:
    return HTTPException(403, reason)


def _rule(
    action: Action,
    find_user: Callable[..., Awaitable[User]],
    refusal: Callable[[User, str], Exception],
) -> Callable[..., Awaitable[User]]:
    # The user's dependency is a default value: a string annotation could not name it here.
    async def allowed(user: User = Depends(find_user)) -> User:  # noqa: B008
        if not may(user, action):
            raise refusal(user, f"{user.role} may not {action}")
        return user

    RULE_OF[allowed] = action
    return allowed


@functools.cache
def allow(action: Action) -> Callable[..., Awaitable[User]]:
    """The rule of an API route: the signed-in user, if the policy lets its role ``action``
    (403 otherwise). Cached, so a route that names it twice checks once."""
    return _rule(action, current_user, _api_refusal)


@functools.cache
def allow_page(action: Action) -> Callable[..., Awaitable[User]]:
    """The rule of a page (``PageUser``: sign-in page when signed out; ``PageRefused`` when
    the role does not open it)."""
    return _rule(action, page_user, PageRefused)


@functools.cache
def allow_socket(action: Action) -> Callable[..., Awaitable[User]]:
    """The rule of a WebSocket: closed with 1008 when signed out or refused."""

    async def allowed(user: SocketUser, websocket: WebSocket) -> User:
        if not may(user, action):
            await _refuse(websocket, f"{user.role} may not {action}")
        return user

    RULE_OF[allowed] = action
    return allowed


def require(user: User, action: Action, target: Target) -> None:
    """403 unless the policy lets ``user`` do ``action`` to ``target``."""
    if not may(user, action, target):
        raise HTTPException(403, f"out of {user.name}'s scope")


def _token(connection: HTTPConnection) -> str:
    token: str = connection.state.token  # set by the rule that let the request in
    return token


def _services(connection: HTTPConnection) -> WebServices:
    services: WebServices = connection.app.state.services
    return services


def _hub(connection: HTTPConnection) -> LiveHub:
    hub: LiveHub = connection.app.state.hub
    return hub


def _view(connection: HTTPConnection) -> LiveView:
    return _hub(connection).view


AccountsDep = Annotated[Accounts, Depends(_accounts)]
TokenDep = Annotated[str, Depends(_token)]
ServicesDep = Annotated[WebServices, Depends(_services)]
HubDep = Annotated[LiveHub, Depends(_hub)]
ViewDep = Annotated[LiveView, Depends(_view)]
