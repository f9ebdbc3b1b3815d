"""Notifications: what is worth telling (SLA breaches, lost calls, no agents, the system's
health...), told in the app, by email and by webhook, through an outbox in the database so
that nothing is lost and nothing is sent twice, at most once per recipient and kind in every
``min_interval`` (what comes in between goes out as one digest)."""

from hotline.notify.delivery import Delivery, backoff
from hotline.notify.email import Email, SmtpSender, SmtpSettings, message_id
from hotline.notify.notices import KINDS, Kind, Notice
from hotline.notify.notifier import Listener, Notifier
from hotline.notify.outbox import Outbox
from hotline.notify.render import Language, Rendered, render
from hotline.notify.retention import Retention
from hotline.notify.rules import Contact, Preferences, Recipient, Rule, RuleBook
from hotline.notify.watch import QueueWatch, SystemCheck, Watcher
from hotline.notify.webhook import Webhook, WebhookSender, sign, verify

__all__ = [
    "KINDS",
    "Contact",
    "Delivery",
    "Email",
    "Kind",
    "Language",
    "Listener",
    "Notice",
    "Notifier",
    "Outbox",
    "Preferences",
    "QueueWatch",
    "Recipient",
    "Rendered",
    "Retention",
    "Rule",
    "RuleBook",
    "SmtpSender",
    "SmtpSettings",
    "SystemCheck",
    "Watcher",
    "Webhook",
    "WebhookSender",
    "backoff",
    "message_id",
    "render",
    "sign",
    "verify",
]
