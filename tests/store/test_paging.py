"""Page requests refuse what a REST client could send by mistake."""

from __future__ import annotations

import pytest

from hotline.store import MAX_LIMIT, PageRequest


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (MAX_LIMIT + 1, 0), (10, -1)])
def test_out_of_range_page_is_refused(limit: int, offset: int) -> None:
    with pytest.raises(ValueError, match=r"^(limit|offset) "):
        PageRequest(limit=limit, offset=offset)


def test_default_page() -> None:
    assert PageRequest() == PageRequest(limit=100, offset=0)
