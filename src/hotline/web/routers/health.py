"""The node's health: whether it serves calls, and the figures that tell why not.

For monitoring and load balancers: 200 when everything works, 503 (same body) when the media
process is being replaced or is overloaded (its clock running late: the audio breaks up), or
the database refuses the records, so that a check needs no parsing. The figures beside
(calls, refusals for load, late media ticks, the store's backlog) are what an operator graphs;
the sources refused after failed authentications, SIP digest and web sign-in alike, are listed
(without user names: this route is public) but leave the node "ok", as it still serves every
other phone and person.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Response

from hotline.health_checks import media_overload
from hotline.sip.guard import Ban
from hotline.web.deps import ServicesDep
from hotline.web.routers.security import bans_in_force, kind_of
from hotline.web.schemas import HealthBanOut, HealthOut, MediaHealthOut

__all__ = ["router"]

router = APIRouter(prefix="/api/health", tags=["health"])  # public: see deps.PUBLIC


@router.get(
    "",
    summary="Whether the node serves calls, with its load figures",
    responses={503: {"model": HealthOut, "description": "Degraded: see problems"}},
)
async def health(services: ServicesDep, response: Response) -> HealthOut:
    calls, writer = services.calls, services.store.writer
    media, metrics = calls.media, calls.media.metrics
    problems = []
    if not media.running:
        problems.append("media is not running (its process is being started again)")
    if media_overload(metrics) is not None:
        problems.append(
            f"media is overloaded: {metrics.recent_late_ratio:.0%} of its ticks in the last "
            "minute were late (the audio breaks up); lower [limits] max_calls"
        )
    if writer.failing:
        problems.append(f"the database refuses writes: {writer.backlog} events wait")
    if problems:
        response.status_code = 503
    now = services.clock.wall()
    bans = [_ban_out(ban, now) for ban in bans_in_force(services, now)]
    return HealthOut(
        status="degraded" if problems else "ok",
        problems=problems,
        uptime_seconds=time.monotonic() - services.started_at,
        calls_in_progress=len(calls.calls),
        max_calls=services.capacity.max_calls,
        calls_refused_for_load=services.capacity.refused,
        registrations=len(calls.location),
        store_backlog=writer.backlog,
        media=MediaHealthOut(
            process=media.pid,
            running=media.running,
            restarts=media.restarts,
            open_legs=media.open_legs,
            ticks=metrics.ticks,
            late_ticks=metrics.late_ticks,
            ticks_last_minute=metrics.recent_ticks,
            late_ticks_last_minute=metrics.recent_late_ticks,
        ),
        auth_bans=bans,
    )


def _ban_out(ban: Ban, now: float) -> HealthBanOut:
    return HealthBanOut(
        kind=kind_of(ban), source=ban.source, every_user=ban.user is None, reason=ban.reason.value,
        seconds_left=ban.until - now,
    )  # fmt: skip
