"""Pause reasons as people read them.

A reason's name (``lunch``) is what is stored, sent in the API's JSON and written to the
queue log, so nothing stored changes meaning; the pages and the report files show its label
in the page's language instead: the site's own (``[agents.pause_labels.ru]``), else the
catalog's (``pause_reason.lunch``: the default reasons, the generic pause and the ACD's
auto-pause), else the name itself. The pages' scripts find the labels in the page's catalog
(``pauseLabel`` in ``static/i18n.js``), where ``rendering.render`` lays the site's over ours.
Reports label a call's outcome (``disposition``) the same way, from the catalog only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hotline.config import AgentsConfig
from hotline.reports.exports import Labels
from hotline.web.i18n import CATALOGS, DEFAULT, Language, is_language

__all__ = ["PREFIX", "pause_labels", "reason_choices", "report_labels", "site_messages"]

PREFIX = "pause_reason."  # the catalogs' keys of reason labels: pause_reason.<name>


def site_messages(agents: AgentsConfig, language: Language) -> dict[str, str]:
    """The site's labels in ``language`` as catalog messages (``pause_reason.lunch``)."""
    return {PREFIX + name: label for name, label in agents.pause_labels.get(language, {}).items()}


def pause_labels(agents: AgentsConfig, language: str) -> dict[str, str]:
    """The label of every reason that has one in ``language`` (English when we have no
    such language), by name."""
    chosen = language if is_language(language) else DEFAULT
    return _labels(PREFIX, {**CATALOGS[chosen], **site_messages(agents, chosen)})


def reason_choices(agents: AgentsConfig, language: Language) -> list[tuple[str, str]]:
    """The configured reasons an agent may pause with, as (name, label), in the file's order."""
    labels = pause_labels(agents, language)
    names = dict.fromkeys(agents.pause_reasons.values())
    return [(name, labels.get(name, name)) for name in names]


def report_labels(agents: AgentsConfig) -> Callable[[str], Labels]:
    """The reports' labels in a language: the ``reason`` column's pause reasons, and the
    ``disposition`` column's outcomes (the catalog's ``disposition.answered`` ...)."""

    def labels(language: str) -> Labels:
        return {
            "reason": pause_labels(agents, language),
            "disposition": _catalog_labels(_DISPOSITION, language),
        }

    return labels


_DISPOSITION = "disposition."


def _catalog_labels(prefix: str, language: str) -> dict[str, str]:
    return _labels(prefix, CATALOGS[language if is_language(language) else DEFAULT])


def _labels(prefix: str, messages: Mapping[str, str]) -> dict[str, str]:
    """The messages whose keys start with ``prefix``, by the rest of the key."""
    return {
        key.removeprefix(prefix): text for key, text in messages.items() if key.startswith(prefix)
    }
