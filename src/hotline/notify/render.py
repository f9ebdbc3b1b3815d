"""Notices as people read them: an email's subject, plain text and HTML, in English or
Russian; one notice, or a digest naming every notice gathered since the last message."""

from __future__ import annotations

import datetime
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from hotline.notify.notices import Fact, Kind, Notice

__all__ = ["Language", "Rendered", "render"]

Language = Literal["en", "ru"]

TITLES: Mapping[Language, Mapping[str, str]] = {
    "en": {
        "sla_breach": "Callers waiting past the SLA",
        "sla_breach.cleared": "SLA breach over",
        "service_level_low": "Service level below target",
        "service_level_low.cleared": "Service level back on target",
        "lost_call": "Lost call",
        "callback_failed": "Callback failed",
        "no_agents": "Callers waiting with no agent",
        "no_agents.cleared": "Agents are back",
        "agent_auto_paused": "Agent paused after missed calls",
        "system": "System problem",
        "system.cleared": "System problem over",
    },
    "ru": {
        "sla_breach": "Абоненты ждут дольше SLA",
        "sla_breach.cleared": "Нарушение SLA закончилось",
        "service_level_low": "Уровень обслуживания ниже цели",
        "service_level_low.cleared": "Уровень обслуживания снова в норме",
        "lost_call": "Потерянный звонок",
        "callback_failed": "Обратный звонок не удался",
        "no_agents": "Абоненты ждут, операторов нет",
        "no_agents.cleared": "Операторы вернулись",
        "agent_auto_paused": "Оператор поставлен на паузу после пропущенных звонков",
        "system": "Проблема в системе",
        "system.cleared": "Проблема в системе устранена",
    },
}
LABELS: Mapping[Language, Mapping[str, str]] = {
    "en": {
        "queue": "Queue", "number": "Caller", "wait": "Waited (s)", "position": "Position",
        "reason": "Reason", "agent": "Agent", "waiting": "Callers waiting",
        "service_level": "Service level (%)", "target": "Target (%)", "calls": "Calls",
        "problem": "Problem", "time": "Time", "event": "Event", "link": "Open in Hotline",
        "digest": "{count} × {title} in queue {queue} between {start} and {end}",
        "digest_system": "{count} × {title} between {start} and {end}",
    },
    "ru": {
        "queue": "Очередь", "number": "Абонент", "wait": "Ожидание (с)", "position": "Место",
        "reason": "Причина", "agent": "Оператор", "waiting": "Ждут",
        "service_level": "Уровень обслуживания (%)", "target": "Цель (%)", "calls": "Звонков",
        "problem": "Проблема", "time": "Время", "event": "Событие", "link": "Открыть в Hotline",
        "digest": "{count} × {title} в очереди {queue} с {start} по {end}",
        "digest_system": "{count} × {title} с {start} по {end}",
    },
}  # fmt: skip
FACT_ORDER = ("number", "wait", "position", "reason", "agent", "waiting", "service_level",
              "target", "calls", "problem")  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendered:
    subject: str
    text: str
    html: str


def title(notice: Notice, language: Language) -> str:
    titles = TITLES[language]
    return titles.get(f"{notice.kind}.{notice.phase}", titles[notice.kind])


def render(
    notices: Sequence[Notice],
    *,
    language: Language,
    queue_names: Mapping[str, str],
    public_url: str | None,
) -> Rendered:
    """One message for ``notices`` (one, or a digest of several of one kind)."""
    first = notices[0]
    queue = queue_names.get(first.queue or "", first.queue or "")
    if len(notices) == 1:
        subject = title(first, language) + (f" ({queue})" if queue else "")
    else:
        subject = _digest_subject(notices, first.kind, queue, language)
    rows = [_lines(notice, language, queue_names, public_url) for notice in notices]
    text = subject + "\n\n" + "\n\n".join("\n".join(f"{k}: {v}" for k, v in r) for r in rows)
    body = "".join(
        "<table>"
        + "".join(
            f"<tr><th>{html.escape(k)}</th><td>{_cell(k, v, language)}</td></tr>" for k, v in r
        )
        + "</table><hr>"
        for r in rows
    )
    return Rendered(
        subject=f"[Hotline] {subject}",
        text=text + "\n",
        html=f"<html><body><h2>{html.escape(subject)}</h2>{body}</body></html>",
    )


def _digest_subject(notices: Sequence[Notice], kind: Kind, queue: str, language: Language) -> str:
    labels = LABELS[language]
    start, end = _clock(notices[0].at), _clock(notices[-1].at)
    template = labels["digest"] if queue else labels["digest_system"]
    return template.format(
        count=len(notices), title=TITLES[language][kind], queue=queue, start=start, end=end
    )


def _lines(
    notice: Notice,
    language: Language,
    queue_names: Mapping[str, str],
    public_url: str | None,
) -> list[tuple[str, str]]:
    labels = LABELS[language]
    lines = [(labels["time"], _clock(notice.at, seconds=True)),
             (labels["event"], title(notice, language))]  # fmt: skip
    if notice.queue is not None:
        lines.append((labels["queue"], queue_names.get(notice.queue, notice.queue)))
    lines += [(labels[name], _fact(notice.facts[name])) for name in FACT_ORDER
              if notice.facts.get(name) is not None]  # fmt: skip
    if public_url:
        lines.append((labels["link"], _link(notice, public_url)))
    return lines


def _link(notice: Notice, public_url: str) -> str:
    base = public_url.rstrip("/")
    if notice.call_id is not None:
        return f"{base}/api/calls/{notice.call_id}"
    return f"{base}/supervisor"


def _cell(label: str, value: str, language: Language) -> str:
    if label == LABELS[language]["link"]:
        return f'<a href="{html.escape(value)}">{html.escape(value)}</a>'
    return html.escape(value)


def _fact(value: Fact) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _clock(at: float, *, seconds: bool = False) -> str:
    moment = datetime.datetime.fromtimestamp(at).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%H:%M")
