"""HTML pages: the wallboard list and one full-screen wallboard per queue."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
