"""The notification centre's shapes in the API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from hotline.config import NotificationRuleConfig
from hotline.notify import Kind
from hotline.store import JsonValue, StoredNotification

__all__ = ["AckedOut", "NotificationOut", "NotificationsOut", "PreferencesIn", "RulesIn"]


class NotificationOut(BaseModel):
    id: int
    kind: Kind
    queue: str | None = Field(description="The queue it is about; null: the whole system")
    phase: str = Field(description="raised, updated (an ongoing SLA breach) or cleared")
    facts: dict[str, str | int | float | None] = Field(
        description="number, wait, position, reason, agent, waiting ..."
    )
    call_id: str | None
    created_at: float
    updated_at: float
    acked: bool = Field(description="Acknowledged by the signed-in user")

    @classmethod
    def of(cls, stored: StoredNotification) -> NotificationOut:
        data = stored.data if isinstance(stored.data, dict) else {}
        call_id = data.get("call_id")
        return cls(
            id=stored.id, kind=stored.kind, queue=stored.queue,
            phase=str(data.get("phase", "raised")), facts=_facts(data.get("facts")),
            call_id=call_id if isinstance(call_id, str) else None,
            created_at=stored.created_at, updated_at=stored.updated_at, acked=stored.acked,
        )  # fmt: skip


class NotificationsOut(BaseModel):
    items: list[NotificationOut] = Field(description="Newest first")
    unread: int = Field(description="Not acknowledged by the signed-in user (all, not the page)")


class AckedOut(BaseModel):
    acked: int


class PreferencesIn(BaseModel):
    muted: list[Kind] = Field([], description="Kinds this user neither sees nor gets by email")
    sound: list[Kind] = Field([], description="Kinds that play the sound in the pages")


class RulesIn(BaseModel):
    rules: list[NotificationRuleConfig]


def _facts(value: JsonValue) -> dict[str, str | int | float | None]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if v is None or isinstance(v, str | int | float)}
