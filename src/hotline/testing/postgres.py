"""A throwaway PostgreSQL server in a temporary directory, for tests and benchmarks.

Started from the binaries of Debian's ``postgresql`` package and removed when done. initdb
and postgres refuse to run as root, so as root they run as the ``postgres`` system user.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = ["PostgresServer", "PostgresUnavailable", "throwaway_postgres"]

log = logging.getLogger(__name__)

POSTGRES_ROOT = Path("/usr/lib/postgresql")


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL binaries (or a user to run them as) are missing."""


@dataclass(frozen=True, slots=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"

    async def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = f"hotline_{uuid.uuid4().hex[:12]}"
        # CREATE DATABASE cannot run inside a transaction.
        engine = create_async_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await engine.dispose()
        return name


def _binaries() -> Path:
    found = sorted(POSTGRES_ROOT.glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if not found:
        raise PostgresUnavailable("PostgreSQL binaries missing: install Debian's 'postgresql'")
    return found[-1].parent


def _run_as() -> tuple[list[str], str]:
    """The command prefix and database user: ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return [], pwd.getpwuid(os.geteuid()).pw_name
    try:
        pwd.getpwnam("postgres")
    except KeyError as error:
        raise PostgresUnavailable("running as root and there is no 'postgres' user") from error
    return ["runuser", "-u", "postgres", "--"], "postgres"


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def throwaway_postgres(*, durable: bool = False) -> Iterator[PostgresServer]:
    """Run a PostgreSQL server on a free loopback port until the block ends. Not ``durable``:
    no fsync, as tests need no protection from power cuts and run faster without."""
    binaries = _binaries()
    prefix, user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
    data = root / "data"
    if prefix:
        shutil.chown(root, "postgres")
    initdb = [str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8"]
    subprocess.run([*prefix, *initdb, "--no-sync"], check=True, capture_output=True)
    port = _free_port()
    options = f"-k {root} -p {port} -c listen_addresses=127.0.0.1"
    if not durable:
        options += " -c fsync=off"
    pg_ctl = [*prefix, str(binaries / "pg_ctl"), "-D", str(data)]
    start = [*pg_ctl, "-o", options, "-l", str(root / "server.log"), "-w", "start"]
    subprocess.run(start, check=True, capture_output=True)
    log.info("throwaway PostgreSQL on 127.0.0.1:%d", port)
    try:
        yield PostgresServer(host="127.0.0.1", port=port, user=user)
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
