"""How values are written in report rows: local times and rounded seconds."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

__all__ = ["local_time", "rounded"]


def local_time(at: float, zone: ZoneInfo) -> str:
    """``at`` as a local date and time to the second (``2026-12-07 09:15:02``)."""
    return datetime.datetime.fromtimestamp(at, zone).strftime("%Y-%m-%d %H:%M:%S")


def rounded(value: float | None) -> float | None:
    """Figures are shown to three decimals (milliseconds for seconds)."""
    return None if value is None else round(value, 3)
