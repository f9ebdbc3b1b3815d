"""Notifications live: each one stored is pushed over the WebSocket of events to the clients
whose user may see it (its queue in their lens, the system's to those who see everything;
never a wallboard) and has not muted its kind, with whether the page plays the sound."""

from __future__ import annotations

import json

from hotline.notifications import Notifications
from hotline.notify import Notice
from hotline.web.live import Client, LiveHub

__all__ = ["follow_notifications"]


def follow_notifications(hub: LiveHub, notifications: Notifications) -> None:
    """Push every notification ``notifications`` stores to ``hub``'s clients from now on."""

    def push(identifier: int, notice: Notice) -> None:
        for client in list(hub.clients):
            if not _sees(client, notice):
                continue
            preferences = notifications.rules.of(client.user)
            if notice.kind in preferences.muted:
                continue
            sound = notice.kind in preferences.sound and notice.phase == "raised"
            frame = {"type": "notification", "id": identifier, "sound": sound}
            client.push(json.dumps({**frame, **notice.as_json()}))

    notifications.notifier.listeners.append(push)


def _sees(client: Client, notice: Notice) -> bool:
    lens = client.lens
    if not lens.calls:
        return False  # a wallboard: on a wall, for everyone's eyes
    if lens.queues is None:
        return True
    return notice.queue is not None and notice.queue in lens.queues
