"""Reports run off the serving loop: a thread with an event loop and a database engine of its
own. A year's report is milliseconds of SQL but an XLSX or PDF of thousands of rows is
CPU work, and neither may hold up the loop that answers SIP and paces media (DESIGN.md,
"Fast where it counts")."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.reports.catalog import Report
from hotline.reports.engine import run_report
from hotline.reports.exports import NO_LABELS, Format, Labels, export
from hotline.reports.query import ReportQuery, ReportResult
from hotline.store.database import create_engine

__all__ = ["ReportRunner"]

T = TypeVar("T")


class ReportRunner:
    """``await runner.run(report, query)`` from any loop; ``await runner.close()`` at the end.
    ``labels(language)``: how the files show coded cells (pause reasons) in a language."""

    def __init__(self, url: str, labels: Callable[[str], Labels] = lambda _: NO_LABELS) -> None:
        self.labels = labels
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="reports", daemon=True)
        self._thread.start()
        self._engine = create_engine(url)

    async def run(self, report: Report, query: ReportQuery) -> ReportResult:
        return await self._on_thread(lambda connection: run_report(connection, report, query))

    async def run_and_export(
        self, report: Report, query: ReportQuery, kind: Format, language: str
    ) -> tuple[ReportResult, bytes]:
        """The result and its file, both made on the reports' thread."""

        async def both(connection: AsyncConnection) -> tuple[ReportResult, bytes]:
            result = await run_report(connection, report, query)
            return result, export(result, kind, language, self.labels(language))

        return await self._on_thread(both)

    async def read(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Any other read (the queue log export) on the reports' connection and thread."""
        return await self._on_thread(work)

    async def _on_thread(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async def job() -> T:
            async with self._engine.connect() as connection:
                return await work(connection)

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(job(), self._loop))

    async def close(self) -> None:
        await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(self._engine.dispose(), self._loop)
        )
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()
