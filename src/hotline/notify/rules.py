"""Who gets what: the rules (``[[notifications.rules]]``, or as an admin last put them) and
each user's preferences (kinds muted, kinds with a sound).

A rule names kinds and queues (none: all) and where they go: users (by their email, in
their language, and only about queues in their scope), email addresses and webhooks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hotline.notify.notices import KINDS, Kind, Notice
from hotline.notify.render import Language

__all__ = ["Contact", "Preferences", "Recipient", "Rule", "RuleBook", "preferences_from_json"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    kinds: tuple[Kind, ...] = KINDS
    queues: tuple[str, ...] = ()  # none: every queue, and the system's notices
    users: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    webhooks: tuple[str, ...] = ()
    language: Language = "en"  # of the emails to ``emails``

    def matches(self, notice: Notice) -> bool:
        if notice.kind not in self.kinds:
            return False
        return not self.queues or notice.queue in self.queues


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """A user as a recipient: where to mail it, in which language, and the queues it may
    hear of (None: all, an admin; empty: none)."""

    email: str | None
    language: Language
    queues: frozenset[str] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Preferences:
    muted: frozenset[str] = frozenset()
    sound: frozenset[str] = field(default_factory=lambda: frozenset({"sla_breach", "lost_call"}))


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipient:
    channel: str  # email, webhook
    address: str  # an email address, a webhook's name
    language: Language = "en"


class RuleBook:
    """The rules in force and the users' preferences, read on every notice."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.preferences: dict[str, Preferences] = {}

    def of(self, user: str) -> Preferences:
        return self.preferences.get(user, Preferences())

    @property
    def names_users(self) -> bool:
        """Whether a rule sends to users (whose contacts must then be looked up)."""
        return any(rule.users for rule in self.rules)

    def recipients(self, notice: Notice, contacts: Mapping[str, Contact]) -> list[Recipient]:
        """Everyone ``notice`` goes out to, once each; ``contacts``: the users by name."""
        found: dict[tuple[str, str], Recipient] = {}
        for rule in self.rules:
            if not rule.matches(notice):
                continue
            for address in rule.emails:
                found.setdefault(("email", address), Recipient(channel="email", address=address,
                                                               language=rule.language))  # fmt: skip
            for name in rule.webhooks:
                found.setdefault(("webhook", name), Recipient(channel="webhook", address=name))
            for user in rule.users:
                recipient = self._user(user, contacts.get(user), notice)
                if recipient is not None:
                    found.setdefault(("email", recipient.address), recipient)
        return list(found.values())

    def _user(self, user: str, contact: Contact | None, notice: Notice) -> Recipient | None:
        if contact is None or contact.email is None or notice.kind in self.of(user).muted:
            return None
        if contact.queues is not None and notice.queue not in contact.queues:
            return None  # a supervisor hears of its own queues only
        return Recipient(channel="email", address=contact.email, language=contact.language)


def preferences_from_json(value: object) -> Preferences:
    if not isinstance(value, Mapping):
        return Preferences()
    defaults = Preferences()
    return Preferences(
        muted=frozenset(value.get("muted", defaults.muted)),
        sound=frozenset(value.get("sound", defaults.sound)),
    )
