"""Pages of query results, shaped for a REST endpoint (``?limit=&offset=``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["FIRST_PAGE", "MAX_LIMIT", "Page", "PageRequest", "fetch_page"]

MAX_LIMIT = 1000

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRequest:
    """Which slice of the results: ``limit`` rows after skipping ``offset``."""

    limit: int = 100
    offset: int = 0

    def __post_init__(self) -> None:
        # Checked here too so a caller other than the web layer cannot ask for a million rows.
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, not {self.limit}")
        if self.offset < 0:
            raise ValueError(f"offset must not be negative, not {self.offset}")


FIRST_PAGE = PageRequest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page of rows, and how many rows match in all."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int


async def fetch_page(session: AsyncSession, query: Select[T], page: PageRequest) -> Page[T]:
    """Run an ordered ``query`` for one page, with the count of every matching row."""
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    total = await session.scalar(counted)
    rows = await session.scalars(query.limit(page.limit).offset(page.offset))
    return Page(items=rows.all(), total=total or 0, limit=page.limit, offset=page.offset)
