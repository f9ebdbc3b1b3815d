"""Dependencies shared by the routers: authorization, and the parts of the node they read.

``access`` is the one place that decides who may use the API, the WebSocket and the pages.
Today it lets everyone in (Hotline listens on loopback by default); users and roles will be
checked here, so no route needs to change when they come.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.requests import HTTPConnection

from hotline.web.live import LiveHub
from hotline.web.services import WebServices
from hotline.web.views import LiveView

__all__ = ["Access", "HubDep", "ServicesDep", "ViewDep", "access"]


async def access(connection: HTTPConnection) -> None:
    """Allow the request or WebSocket (everyone, for now). A refusal will raise
    ``HTTPException(401 or 403)`` for requests and ``WebSocketException(1008)`` for sockets."""


def _services(connection: HTTPConnection) -> WebServices:
    services: WebServices = connection.app.state.services
    return services


def _hub(connection: HTTPConnection) -> LiveHub:
    hub: LiveHub = connection.app.state.hub
    return hub


def _view(connection: HTTPConnection) -> LiveView:
    return _hub(connection).view


Access = Depends(access)
ServicesDep = Annotated[WebServices, Depends(_services)]
HubDep = Annotated[LiveHub, Depends(_hub)]
ViewDep = Annotated[LiveView, Depends(_view)]
