"""Scheduled reports through the API: listed with the file's ``[[report_schedules]]``, made
and deleted here (stored in the database; the file's stay as the file says). The scheduler
sees a change at its next tick (within a minute)."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Response

from hotline.access import User
from hotline.config import ReportScheduleConfig
from hotline.report_schedules import SCHEDULE_KIND, forget_runs, stored_schedules
from hotline.store import ConfigObjects, StaleVersion
from hotline.web.deps import ServicesDep, allow

__all__ = ["router"]

router = APIRouter(prefix="/api/report-schedules", tags=["reports"])
Admin = Annotated[User, Depends(allow("reports.schedule"))]


class ScheduleOut(ReportScheduleConfig):
    origin: Literal["file", "api"]


@router.get("", summary="Scheduled reports: the configuration file's and the API's")
async def list_schedules(services: ServicesDep, _user: Admin) -> list[ScheduleOut]:
    stored = await stored_schedules(services.store.database)
    listed = [(s, "file") for s in services.config.report_schedules] + [(s, "api") for s in stored]
    return [ScheduleOut(**s.model_dump(by_alias=True), origin=origin) for s, origin in listed]


@router.post("", status_code=201, summary="Schedule a report by mail")
async def create_schedule(
    schedule: ReportScheduleConfig, services: ServicesDep, _user: Admin
) -> ScheduleOut:
    if any(s.name == schedule.name for s in services.config.report_schedules):
        raise HTTPException(409, f"the configuration file has a schedule {schedule.name!r}")
    async with services.store.database.session() as session:
        try:
            await ConfigObjects(session).put(SCHEDULE_KIND, schedule.name,
                                             schedule.model_dump(mode="json", by_alias=True),
                                             version=None, now=time.time())  # fmt: skip
        except StaleVersion:
            raise HTTPException(409, f"a schedule {schedule.name!r} exists") from None
    return ScheduleOut(**schedule.model_dump(by_alias=True), origin="api")


@router.delete("/{name}", status_code=204, summary="Delete a schedule made through the API")
async def delete_schedule(name: str, services: ServicesDep, _user: Admin) -> Response:
    if any(s.name == name for s in services.config.report_schedules):
        raise HTTPException(409, f"{name!r} is in the configuration file; change it there")
    async with services.store.database.session() as session:
        stored = await ConfigObjects(session).get(SCHEDULE_KIND, name)
        if stored is None:
            raise HTTPException(404, f"no schedule {name!r}")
        await ConfigObjects(session).delete(SCHEDULE_KIND, name, version=stored.version)
        await forget_runs(session, name)
    return Response(status_code=204)
