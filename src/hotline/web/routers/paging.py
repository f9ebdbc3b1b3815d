"""Query parameters shared by the history endpoints: time range and page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from hotline.store import MAX_LIMIT, Page, PageRequest
from hotline.web.schemas import PageOut

__all__ = ["Name", "PageDep", "Since", "Until", "page_out"]

M = TypeVar("M", bound=BaseModel)
MAX_OFFSET = 1_000_000_000  # far beyond any table; keeps the number within 64-bit SQL integers

Name = Annotated[str | None, Query(max_length=64)]  # a queue or agent number
Since = Annotated[
    float | None,
    Query(description="From this time on (epoch seconds, inclusive)", allow_inf_nan=False),
]
Until = Annotated[
    float | None,
    Query(description="Before this time (epoch seconds, exclusive)", allow_inf_nan=False),
]


def _page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


PageDep = Annotated[PageRequest, Depends(_page)]


def page_out(page: Page[Any], model: type[M]) -> PageOut[M]:
    items: Sequence[M] = [model.model_validate(row) for row in page.items]
    return PageOut[model](  # type: ignore[valid-type]
        items=list(items), total=page.total, limit=page.limit, offset=page.offset
    )
