"""The web server: uvicorn on the event loop of call control.

Hotline binds the listening socket itself, so an address in use is an ``OSError`` at start
(the server then exits with a clear message) instead of uvicorn's ``sys.exit``. uvicorn's
own signal handling is not used (``hotline serve`` handles SIGINT and SIGTERM), nor its logging
set-up; its access log stays off.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn
from fastapi import FastAPI

from hotline.config import parse_host_port

__all__ = ["WebServer"]

log = logging.getLogger(__name__)


class WebServer:
    """``bind`` the address, then ``start`` serving ``app`` and ``close`` when done."""

    def __init__(self, app: FastAPI, listen: str) -> None:
        self.app = app
        self.listen = listen
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._ticks: asyncio.Task[None] | None = None

    def bind(self) -> None:
        host, port = parse_host_port(self.listen)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            self._socket = socket.create_server((host, port), family=family, backlog=2048)
        except OSError as error:
            raise OSError(error.errno, f"HTTP address {self.listen}: {error.strerror}") from None
        self._socket.setblocking(False)

    @property
    def host(self) -> str:
        assert self._socket is not None
        return str(self._socket.getsockname()[0])

    @property
    def port(self) -> int:
        assert self._socket is not None
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        if self._socket is None:
            self.bind()
        config = uvicorn.Config(
            self.app,
            lifespan="on",
            ws="websockets-sansio",  # lighter per frame than the legacy implementation
            log_config=None,
            log_level="warning",
            access_log=False,
            server_header=False,
            ws_per_message_deflate=False,  # compressing each frame per client costs the fan-out
            timeout_graceful_shutdown=2,
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        assert self._socket is not None
        await server.startup(sockets=[self._socket])
        self._server = server
        self._ticks = asyncio.create_task(server.main_loop())  # the Date header, once a second
        log.info("web listening on %s (API docs at %s/api/docs)", self.url, self.url)

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None and self._ticks is not None:
            server.should_exit = True
            await self._ticks
            await server.shutdown(sockets=[self._socket] if self._socket else None)
        elif self._socket is not None:
            self._socket.close()
        self._socket = None
