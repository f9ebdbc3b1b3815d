"""The notification centre: the history of what was noticed in the user's scope, unread
first to the eye, acknowledged one by one or all at once; the user's muted kinds and sounds;
and, for admins, the rules of who gets what by email and webhook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from hotline.access import User, visible
from hotline.config import NotificationRuleConfig
from hotline.notifications import PREFERENCES, RULES, Notifications, rule_of
from hotline.notify import Kind, Preferences, Rule
from hotline.store import ConfigObjects, NotificationFilter, NotificationRows
from hotline.web.deps import AccountsDep, ServicesDep, allow
from hotline.web.notification_schemas import (
    AckedOut,
    NotificationOut,
    NotificationsOut,
    PreferencesIn,
    RulesIn,
)
from hotline.web.services import WebServices

__all__ = ["router", "scope_of"]

router = APIRouter(prefix="/api/notifications", tags=["notifications"])

Reader = Annotated[User, Depends(allow("notifications.read"))]
Admin = Annotated[User, Depends(allow("notifications.admin"))]


def _centre(services: WebServices) -> Notifications:
    if services.notifications is None:
        raise HTTPException(503, "notifications are not running")
    return services.notifications


def scope_of(user: User, preferences: Preferences, **asked: object) -> NotificationFilter:
    """What ``user`` may see of the centre (its queues; an admin everything), less its mutes."""
    return NotificationFilter(
        user=user.name,
        queues=visible(user, "notifications.read").queues,
        muted=preferences.muted,
        **asked,  # type: ignore[arg-type]
    )


@router.get("", summary="Notifications in the user's scope, newest first, with the unread count")
async def list_notifications(
    services: ServicesDep,
    user: Reader,
    kind: Annotated[list[Kind] | None, Query(description="Only these kinds")] = None,
    unread: Annotated[bool, Query(description="Only those not acknowledged")] = False,
    before: Annotated[int | None, Query(description="Ids below this (the next page)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> NotificationsOut:
    centre = _centre(services)
    preferences = centre.rules.of(user.name)
    asked = scope_of(user, preferences, kinds=frozenset(kind) if kind else None,
                     unread=unread, before=before)  # fmt: skip
    async with services.store.database.session() as session:
        rows = NotificationRows(session)
        items = await rows.newest(asked, limit=limit)
        count = await rows.unread(scope_of(user, preferences))
    return NotificationsOut(items=[NotificationOut.of(item) for item in items], unread=count)


@router.post(
    "/{notification_id}/ack",
    summary="Acknowledge one notification",
    status_code=204,
    responses={404: {"description": "No such notification in the user's scope"}},
)
async def ack_one(services: ServicesDep, user: Reader, notification_id: int) -> None:
    centre = _centre(services)
    async with services.store.database.session() as session:
        rows = NotificationRows(session)
        found = await rows.get(notification_id, user.name)
        scope = visible(user, "notifications.read").queues
        if found is None or (scope is not None and found.queue not in scope):
            raise HTTPException(404, f"no notification {notification_id}")
        await rows.ack([notification_id], user.name, now=centre.notifier.wall())


@router.post("/ack", summary="Acknowledge every unread notification in the user's scope")
async def ack_all(services: ServicesDep, user: Reader) -> AckedOut:
    centre = _centre(services)
    async with services.store.database.session() as session:
        rows = NotificationRows(session)
        ids = await rows.unread_ids(scope_of(user, centre.rules.of(user.name)))
        await rows.ack(ids, user.name, now=centre.notifier.wall())
    return AckedOut(acked=len(ids))


@router.get("/preferences", summary="The kinds the user muted and those that play a sound")
async def get_preferences(services: ServicesDep, user: Reader) -> PreferencesIn:
    preferences = _centre(services).rules.of(user.name)
    return PreferencesIn(muted=sorted(preferences.muted), sound=sorted(preferences.sound))


@router.put("/preferences", summary="Mute kinds for oneself, choose the kinds with a sound")
async def put_preferences(
    services: ServicesDep, user: Reader, body: PreferencesIn
) -> PreferencesIn:
    centre = _centre(services)
    value = {"muted": sorted(set(body.muted)), "sound": sorted(set(body.sound))}
    async with services.store.database.session() as session:
        objects = ConfigObjects(session)
        stored = await objects.get(PREFERENCES, user.name)
        await objects.put(PREFERENCES, user.name, value,  # type: ignore[arg-type]
                          version=stored.version if stored else None,
                          now=centre.notifier.wall())  # fmt: skip
    centre.rules.preferences[user.name] = Preferences(
        muted=frozenset(body.muted), sound=frozenset(body.sound)
    )
    return PreferencesIn(muted=value["muted"], sound=value["sound"])


@router.get("/rules", summary="Who gets which notifications by email and webhook")
async def get_rules(services: ServicesDep, _admin: Admin) -> RulesIn:
    centre = _centre(services)
    return RulesIn(rules=[_rule_out(rule) for rule in centre.rules.rules])


@router.put("/rules", summary="Replace the rules (kept in the database over the file's)")
async def put_rules(
    services: ServicesDep, accounts: AccountsDep, _admin: Admin, body: RulesIn
) -> RulesIn:
    centre = _centre(services)
    users = [record.name for record in await accounts.users()]  # made by API too
    problems = services.config.rule_problems(body.rules, users)
    if problems:
        raise HTTPException(422, "; ".join(problems))
    value = [rule.model_dump(by_alias=True) for rule in body.rules]
    async with services.store.database.session() as session:
        objects = ConfigObjects(session)
        stored = await objects.get(*RULES)
        await objects.put(*RULES, value,  # type: ignore[arg-type]
                          version=stored.version if stored else None,
                          now=centre.notifier.wall())  # fmt: skip
    centre.rules.rules = [rule_of(rule) for rule in body.rules]
    return body


def _rule_out(rule: Rule) -> NotificationRuleConfig:
    return NotificationRuleConfig.model_validate(
        {"kinds": list(rule.kinds), "queues": list(rule.queues), "users": list(rule.users),
         "emails": list(rule.emails), "webhooks": list(rule.webhooks), "language": rule.language}
    )  # fmt: skip
