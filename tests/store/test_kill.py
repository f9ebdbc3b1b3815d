"""SIGKILL during traffic: every call that ended a second or more before the kill has its
record, and no queue event older than a second is lost."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from hotline.store import CallRecord, Database, Disposition, QueueEvent

log = logging.getLogger(__name__)

CHILD = Path(__file__).with_name("writer_child.py")
TRAFFIC_SECONDS = 2.0
GRACE = 1.0


async def _wait_ready(journal: Path, child: subprocess.Popen[bytes]) -> None:
    async with asyncio.timeout(15):
        while not (journal.exists() and journal.read_text().startswith("ready")):
            assert child.poll() is None, "the writer process died on its own"
            await asyncio.sleep(0.05)


def _published(journal: Path, kind: str, before: float) -> set[str]:
    """What the child published more than ``GRACE`` seconds before ``before``."""
    seen = set()
    for line in journal.read_text().splitlines()[1:]:
        parts = line.split()
        if len(parts) == 3 and parts[0] == kind and float(parts[2]) <= before - GRACE:
            seen.add(parts[1])
    return seen


async def _stored(url: str) -> tuple[set[str], set[str]]:
    """Answered calls and queue event serials in the database after the kill."""
    database = await Database.open(url)
    async with database.session() as session:
        answered = CallRecord.disposition == Disposition.ANSWERED.value
        calls = set(await session.scalars(select(CallRecord.call_id).where(answered)))
        events = set(await session.scalars(select(QueueEvent.detail)))
    await database.close()
    return calls, {detail for detail in events if detail is not None}


async def test_sigkill_loses_nothing_older_than_a_second(database_url: str, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, str(CHILD), database_url, str(journal)])
    try:
        await _wait_ready(journal, child)
        await asyncio.sleep(TRAFFIC_SECONDS)
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    ended, events = _published(journal, "E", killed_at), _published(journal, "Q", killed_at)
    assert len(ended) > 50, "too little traffic before the kill to show anything"
    stored_calls, stored_events = await _stored(database_url)
    log.info("published %d calls, %.1f s in all", len(ended), time.monotonic() - started)
    assert ended - stored_calls == set()
    assert events - stored_events == set()
