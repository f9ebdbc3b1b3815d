"""Notifications wired to a running node: the watcher fed by the bus and by the ACD's live
figures, the rules from the configuration (or as an admin last put them), the outbox and the
delivery worker. Built by the composition root once the store is open."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hotline.access import may, visible
from hotline.acd import QueueId
from hotline.config import Config, NotificationRuleConfig
from hotline.events import EventBus
from hotline.health_checks import media_overload
from hotline.media import MediaService
from hotline.notify import (
    Contact,
    Delivery,
    Notifier,
    Outbox,
    QueueWatch,
    Retention,
    Rule,
    RuleBook,
    SmtpSender,
    SmtpSettings,
    SystemCheck,
    Watcher,
    Webhook,
)
from hotline.notify.notifier import Contacts
from hotline.notify.rules import preferences_from_json
from hotline.pbx import QueueService
from hotline.store import ConfigObjects, Store
from hotline.web.accounts import Accounts

__all__ = ["PREFERENCES", "RULES", "Notifications", "build_notifications", "rule_of"]

log = logging.getLogger(__name__)

RULES = ("notification_rules", "all")  # the config object (kind, key) an admin's rules are in
PREFERENCES = "notification_preferences"  # config objects kind, one per user
# How far back a start looks for lost calls whose notice a kill lost (seconds).
RECOVERY_WINDOW = 600.0


@dataclass(slots=True)
class Notifications:
    """The notify parts of one node; ``start`` after the store, ``stop`` before it closes."""

    outbox: Outbox
    notifier: Notifier
    delivery: Delivery
    rules: RuleBook
    retention: Retention

    async def start(self, store: Store) -> None:
        await self.load(store)
        await self.notifier.recover(since=self.notifier.wall() - RECOVERY_WINDOW)
        self.notifier.start()
        await self.delivery.start()
        await self.retention.start()

    async def load(self, store: Store) -> None:
        """The rules an admin put through the API (else the file's) and users' preferences."""
        async with store.database.session() as session:
            objects = ConfigObjects(session)
            stored = await objects.get(*RULES)
            preferences = await objects.list(PREFERENCES)
        if stored is not None and isinstance(stored.value, list):
            self.rules.rules = [
                rule_of(NotificationRuleConfig.model_validate(item)) for item in stored.value
            ]
        for item in preferences:
            self.rules.preferences[item.key] = preferences_from_json(item.value)

    async def stop(self) -> None:
        await self.retention.stop()
        await self.notifier.stop()
        await self.delivery.stop()


def rule_of(config: NotificationRuleConfig) -> Rule:
    return Rule(
        kinds=tuple(config.kinds),
        queues=tuple(config.queues),
        users=tuple(config.users),
        emails=tuple(config.emails),
        webhooks=tuple(config.webhooks),
        language=config.language,
    )


def build_notifications(
    config: Config,
    store: Store,
    bus: EventBus,
    queues: QueueService,
    media: MediaService,
    accounts: Accounts,
    *,
    wall: Callable[[], float],
) -> Notifications:
    settings = config.notifications
    watcher = Watcher(
        {q.number: QueueWatch(number=q.number, name=q.name, sla_seconds=q.sla_seconds,
                              short_abandon_seconds=q.short_abandon_seconds)
         for q in config.queues},
        staffed=lambda queue: _staffed(queues, queue),
        queues_of=config.queues_of,
        checks=_system_checks(config, store, media),
        service_level_target=settings.service_level_target,
        service_level_window=settings.service_level_window,
    )  # fmt: skip
    rules = RuleBook([rule_of(rule) for rule in settings.rules])
    outbox = Outbox(store.database, wall=wall)
    contacts = _contacts(config, accounts)
    notifier = Notifier(store.database, watcher, rules, outbox, wall=wall, contacts=contacts,
                        min_interval=settings.min_interval)  # fmt: skip
    notifier.attach(bus)
    smtp = config.smtp
    delivery = Delivery(
        store.database,
        wall=wall,
        smtp=SmtpSender(SmtpSettings(host=smtp.host, port=smtp.port, starttls=smtp.starttls,
                                     username=smtp.username, password=smtp.password,
                                     sender=smtp.from_)),
        webhooks={h.name: Webhook(name=h.name, url=h.url, secret=h.secret)
                  for h in settings.webhooks},
        queue_names={q.number: q.name or q.number for q in config.queues},
        public_url=config.server.public_url,
    )  # fmt: skip
    outbox.on_enqueue = delivery.wake
    retention = Retention(store.database, wall=wall, keep_days=settings.keep_days)
    return Notifications(outbox=outbox, notifier=notifier, delivery=delivery, rules=rules,
                         retention=retention)  # fmt: skip


def _staffed(queues: QueueService, queue: str) -> bool:
    """An agent of ``queue`` is logged in, reachable and not paused."""
    stats = queues.engine.queue_stats(QueueId(queue), queues.now())
    return stats.logged_in - stats.paused - stats.unavailable > 0


def _contacts(config: Config, accounts: Accounts) -> Contacts:
    """The users as they are in the database now (their scope may have changed since the
    file), each with the queues the policy lets it hear of and its email address: the
    stored one, else the file's (a user seeded before emails were stored has none)."""
    emails = {user.name: user.email for user in config.users}

    async def contacts() -> dict[str, Contact]:
        found = {}
        for record in await accounts.users():
            user = accounts.user_of(record)
            if user.disabled or not may(user, "notifications.read"):
                continue
            found[user.name] = Contact(
                email=user.email or emails.get(user.name),
                language=user.language,
                queues=visible(user, "notifications.read").queues,
            )
        return found

    return contacts


def _system_checks(config: Config, store: Store, media: MediaService) -> dict[str, SystemCheck]:
    data_dir = Path(config.server.data_dir)
    least = config.notifications.disk_min_free_mb

    def media_restarts() -> str | None:
        count = media.restarts
        return f"the media process restarted ({count} since start)" if count else None

    def media_load() -> str | None:
        late = media_overload(media.metrics)
        # Worded without the figure, so that one overload is one notification.
        return "the media process is overloaded: its audio breaks up" if late else None

    def database() -> str | None:
        return "the database refuses writes" if store.writer.failing else None

    def disk() -> str | None:
        try:
            free = shutil.disk_usage(data_dir).free // 1_000_000
        except OSError:
            return None
        return f"less than {least} MB free under {data_dir}" if free < least else None

    return {"media": media_restarts, "media_load": media_load, "database": database, "disk": disk}
