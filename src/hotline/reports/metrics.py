"""The metric dictionary: every figure a report shows, defined once.

Each metric has an id (the column's name in JSON, CSV and XLSX), a title and a formula in
words in English and Russian, a unit, and thresholds (where a value turns amber and red), so
the page's header tooltips, the CSV headers and the API say the same thing. A computed metric
takes the summed rollup counters of its row (``hotline.store.rollups``) and the report's
parameters; a plain one is a value of the row itself (a queue, a caller's number).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["METRICS", "Metric", "Parameters", "Thresholds", "Unit"]

Unit = Literal["count", "seconds", "percent", "text", "time"]
Figures = Mapping[str, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameters:
    """The thresholds a report is run with (each one of the rollups' wait edges)."""

    sla_seconds: int = 20
    short_abandon_seconds: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """A value past ``warning`` is amber, past ``critical`` red; ``higher_is_better`` says
    which way "past" is."""

    warning: float
    critical: float
    higher_is_better: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Metric:
    id: str
    title_en: str
    title_ru: str
    formula_en: str
    formula_ru: str
    unit: Unit
    thresholds: Thresholds | None = None
    compute: Callable[[Figures, Parameters], float | None] | None = None

    def title(self, language: str) -> str:
        return self.title_ru if language == "ru" else self.title_en

    def formula(self, language: str) -> str:
        return self.formula_ru if language == "ru" else self.formula_en


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _percent(part: float, whole: float) -> float | None:
    ratio = _ratio(part, whole)
    return None if ratio is None else 100.0 * ratio


def _unanswered(f: Figures) -> float:
    return (f["abandoned"] + f["timed_out"] + f["exited_empty"] + f["dropped"]
            + f["callback_failed"])  # fmt: skip


def _count(name: str) -> Callable[[Figures, Parameters], float | None]:
    return lambda f, _p: f[name]


def _sla(f: Figures, p: Parameters) -> float | None:
    return _percent(f[f"answered_within_{p.sla_seconds}"], f["offered"])


def _sla_answered(f: Figures, p: Parameters) -> float | None:
    return _percent(f[f"answered_within_{p.sla_seconds}"], f["answered"])


def _sla_with_abandons(f: Figures, p: Parameters) -> float | None:
    within = f[f"answered_within_{p.sla_seconds}"] + f[f"abandoned_within_{p.sla_seconds}"]
    return _percent(within, f["answered"] + f["abandoned"])


def _short(f: Figures, p: Parameters) -> float:
    return f[f"abandoned_within_{p.short_abandon_seconds}"]


def _aht(f: Figures, _p: Parameters) -> float | None:
    return _ratio(f["talk"] + f["wrap_up"], f["answered"])


_UP, _DOWN = True, False
_ROWS: list[Metric] = [
    # Plain values of a row: what it is about.
    Metric(id="queue", title_en="Queue", title_ru="Очередь", unit="text",
           formula_en="The queue's number.", formula_ru="Номер очереди."),
    Metric(id="agent", title_en="Agent", title_ru="Агент", unit="text",
           formula_en="The agent's extension.", formula_ru="Внутренний номер агента."),
    Metric(id="area", title_en="Area code", title_ru="Код зоны", unit="text",
           formula_en="The first four digits of the caller's number (country and area).",
           formula_ru="Первые четыре цифры номера звонящего (страна и зона)."),
    Metric(id="period", title_en="Period", title_ru="Период", unit="text",
           formula_en="The interval's start, in the site's time zone.",
           formula_ru="Начало интервала в часовом поясе площадки."),
    Metric(id="wait_band", title_en="Wait", title_ru="Ожидание", unit="text",
           formula_en="A band of waiting time in seconds.",
           formula_ru="Диапазон времени ожидания в секундах."),
    Metric(id="reason", title_en="Reason", title_ru="Причина", unit="text",
           formula_en="The pause reason the agent gave.",
           formula_ru="Причина паузы, указанная агентом."),
    Metric(id="time", title_en="Time", title_ru="Время", unit="time",
           formula_en="When it happened, in the site's time zone.",
           formula_ru="Когда это произошло, в часовом поясе площадки."),
    Metric(id="ended", title_en="Ended", title_ru="Окончание", unit="time",
           formula_en="When it ended, in the site's time zone (empty: still going on).",
           formula_ru="Когда закончилось, в часовом поясе площадки (пусто: продолжается)."),
    Metric(id="call_id", title_en="Call", title_ru="Звонок", unit="text",
           formula_en="The call's identifier.", formula_ru="Идентификатор звонка."),
    Metric(id="caller", title_en="Caller", title_ru="Звонящий", unit="text",
           formula_en="The caller's number.", formula_ru="Номер звонящего."),
    Metric(id="disposition", title_en="Outcome", title_ru="Исход", unit="text",
           formula_en="How the call ended: answered, abandoned, timeout, failover, callback, "
           "unanswered or failed.",
           formula_ru="Чем закончился звонок: answered (отвечен), abandoned (брошен), timeout, "
           "failover, callback, unanswered, failed."),
    Metric(id="recording", title_en="Recording", title_ru="Запись", unit="text",
           formula_en="The call's recording file, if it was recorded.",
           formula_ru="Файл записи звонка, если он записан."),
    Metric(id="wait", title_en="Wait, s", title_ru="Ожидание, с", unit="seconds",
           formula_en="Seconds the caller waited in the queue.",
           formula_ru="Секунды ожидания звонящего в очереди."),
    Metric(id="talk", title_en="Talk, s", title_ru="Разговор, с", unit="seconds",
           formula_en="Seconds of conversation (without hold).",
           formula_ru="Секунды разговора (без удержания)."),
    Metric(id="duration", title_en="Duration, s", title_ru="Длительность, с", unit="seconds",
           formula_en="Seconds from start to end.", formula_ru="Секунды от начала до конца."),
    # Counts of queue visits (one per ENTERQUEUE), in the interval the caller entered.
    Metric(id="offered", title_en="Offered", title_ru="Поступило", unit="count",
           formula_en="Callers who entered the queue.",
           formula_ru="Звонящие, вошедшие в очередь.", compute=_count("offered")),
    Metric(id="answered", title_en="Answered", title_ru="Отвечено", unit="count",
           formula_en="Callers connected to an agent.",
           formula_ru="Звонящие, соединённые с агентом.", compute=_count("answered")),
    Metric(id="unanswered", title_en="Unanswered", title_ru="Не отвечено", unit="count",
           formula_en="Callers who left without an agent: abandoned, timed out, sent on when "
           "no agent was left, dropped, or whose callback failed.",
           formula_ru="Звонящие, ушедшие без агента: бросили трубку, истекло время, нет агентов, "
           "обрыв или неудачный обратный звонок.",
           compute=lambda f, _p: _unanswered(f)),
    Metric(id="abandoned", title_en="Abandoned", title_ru="Брошено", unit="count",
           formula_en="Callers who hung up while waiting.",
           formula_ru="Звонящие, положившие трубку во время ожидания.",
           compute=_count("abandoned")),
    Metric(id="short_abandoned", title_en="Short abandons", title_ru="Короткие сбросы",
           unit="count",
           formula_en="Abandons within the short-abandon threshold (5 s by default).",
           formula_ru="Сбросы в пределах порога короткого сброса (по умолчанию 5 с).",
           compute=lambda f, p: _short(f, p)),
    Metric(id="timed_out", title_en="Timed out", title_ru="Истекло время", unit="count",
           formula_en="Callers sent on after the queue's maximum wait.",
           formula_ru="Звонящие, переведённые дальше после максимального ожидания.",
           compute=_count("timed_out")),
    Metric(id="exited_empty", title_en="No agents", title_ru="Нет агентов", unit="count",
           formula_en="Callers sent on because no agent was logged in.",
           formula_ru="Звонящие, переведённые дальше, потому что не осталось агентов.",
           compute=_count("exited_empty")),
    Metric(id="refused", title_en="Refused", title_ru="Не принято", unit="count",
           formula_en="Callers who could not enter: the queue was full or had no agents.",
           formula_ru="Звонящие, не вошедшие в очередь: она полна или без агентов.",
           compute=_count("refused")),
    Metric(id="dropped", title_en="Dropped", title_ru="Обрыв", unit="count",
           formula_en="Callers lost by Hotline (a stop, a media failure).",
           formula_ru="Звонки, потерянные Hotline (остановка, сбой медиа).",
           compute=_count("dropped")),
    Metric(id="abandon_rate", title_en="Abandon rate, %", title_ru="Доля брошенных, %",
           unit="percent", thresholds=Thresholds(warning=5, critical=10, higher_is_better=_DOWN),
           formula_en="Abandoned ÷ offered × 100.", formula_ru="Брошено ÷ поступило × 100.",
           compute=lambda f, _p: _percent(f["abandoned"], f["offered"])),
    Metric(id="answer_rate", title_en="Answered, %", title_ru="Отвечено, %", unit="percent",
           thresholds=Thresholds(warning=90, critical=80, higher_is_better=_UP),
           formula_en="Answered ÷ offered × 100.", formula_ru="Отвечено ÷ поступило × 100.",
           compute=lambda f, _p: _percent(f["answered"], f["offered"])),
    Metric(id="service_level", title_en="Service level, %", title_ru="Уровень сервиса, %",
           unit="percent", thresholds=Thresholds(warning=80, critical=70, higher_is_better=_UP),
           formula_en="Answered within the SLA threshold (20 s by default) ÷ offered × 100.",
           formula_ru="Отвечено в пределах порога SLA (по умолчанию 20 с) ÷ поступило × 100.",
           compute=_sla),
    Metric(id="service_level_answered", title_en="SL of answered, %",
           title_ru="SL отвеченных, %", unit="percent",
           thresholds=Thresholds(warning=80, critical=70, higher_is_better=_UP),
           formula_en="Answered within the SLA threshold ÷ answered × 100 (Asterisk's "
           "ServiceLevelPerf).",
           formula_ru="Отвечено в пределах порога SLA ÷ отвечено × 100 (ServiceLevelPerf в "
           "Asterisk).", compute=_sla_answered),
    Metric(id="service_level_with_abandons", title_en="SL with abandons, %",
           title_ru="SL с брошенными, %", unit="percent",
           thresholds=Thresholds(warning=80, critical=70, higher_is_better=_UP),
           formula_en="(Answered + abandoned within the SLA threshold) ÷ (answered + abandoned) "
           "× 100 (Asterisk's ServiceLevelPerf2).",
           formula_ru="(Отвечено + брошено в пределах порога SLA) ÷ (отвечено + брошено) × 100 "
           "(ServiceLevelPerf2 в Asterisk).", compute=_sla_with_abandons),
    Metric(id="asa", title_en="ASA, s", title_ru="Ср. время ответа, с", unit="seconds",
           thresholds=Thresholds(warning=20, critical=40, higher_is_better=_DOWN),
           formula_en="Average speed of answer: total wait of answered callers ÷ answered.",
           formula_ru="Среднее время до ответа: суммарное ожидание отвеченных ÷ отвечено.",
           compute=lambda f, _p: _ratio(f["answered_wait"], f["answered"])),
    Metric(id="average_abandon_wait", title_en="Avg abandon wait, s",
           title_ru="Ср. ожидание брошенных, с", unit="seconds",
           formula_en="Total wait of abandoned callers ÷ abandoned.",
           formula_ru="Суммарное ожидание брошенных ÷ брошено.",
           compute=lambda f, _p: _ratio(f["abandoned_wait"], f["abandoned"])),
    Metric(id="longest_wait", title_en="Longest wait, s", title_ru="Макс. ожидание, с",
           unit="seconds", thresholds=Thresholds(warning=60, critical=120, higher_is_better=_DOWN),
           formula_en="The longest wait of an answered or unanswered caller.",
           formula_ru="Самое долгое ожидание отвеченного или неотвеченного звонящего.",
           compute=_count("longest_wait")),
    Metric(id="aht", title_en="AHT, s", title_ru="Ср. время обработки, с", unit="seconds",
           thresholds=Thresholds(warning=300, critical=480, higher_is_better=_DOWN),
           formula_en="Average handle time: (talk + wrap-up) ÷ answered.",
           formula_ru="Среднее время обработки: (разговор + поствызывная обработка) ÷ "
           "отвечено.", compute=_aht),
    Metric(id="average_talk", title_en="Avg talk, s", title_ru="Ср. разговор, с",
           unit="seconds", formula_en="Talk ÷ answered.", formula_ru="Разговор ÷ отвечено.",
           compute=lambda f, _p: _ratio(f["talk"], f["answered"])),
    Metric(id="talk_time", title_en="Talk time, s", title_ru="Время разговоров, с",
           unit="seconds", formula_en="Total seconds of conversation.",
           formula_ru="Суммарные секунды разговоров.", compute=_count("talk")),
    Metric(id="wrap_up_time", title_en="Wrap-up, s", title_ru="Постобработка, с",
           unit="seconds", formula_en="Total seconds of wrap-up after calls.",
           formula_ru="Суммарные секунды поствызывной обработки.", compute=_count("wrap_up")),
    Metric(id="completed_by_caller", title_en="Caller hung up", title_ru="Положил звонящий",
           unit="count", formula_en="Answered calls the caller ended.",
           formula_ru="Отвеченные звонки, завершённые звонящим.",
           compute=_count("completed_by_caller")),
    Metric(id="completed_by_agent", title_en="Agent hung up", title_ru="Положил агент",
           unit="count", formula_en="Answered calls the agent ended.",
           formula_ru="Отвеченные звонки, завершённые агентом.",
           compute=_count("completed_by_agent")),
    Metric(id="requeued", title_en="From another queue", title_ru="Из другой очереди",
           unit="count", formula_en="Callers who came to this queue from another one "
           "(a multi-queue journey).",
           formula_ru="Звонящие, пришедшие в эту очередь из другой (путь через несколько "
           "очередей).", compute=_count("requeued")),
    Metric(id="callback_requested", title_en="Callbacks requested",
           title_ru="Запрошено перезвонов", unit="count",
           formula_en="Callers who asked to be called back, keeping their place.",
           formula_ru="Звонящие, попросившие перезвонить с сохранением места в очереди.",
           compute=_count("callback_requested")),
    Metric(id="callback_answered", title_en="Callbacks made", title_ru="Перезвонили",
           unit="count", formula_en="Callbacks that reached the caller and an agent.",
           formula_ru="Обратные звонки, соединившие звонящего с агентом.",
           compute=_count("callback_answered")),
    Metric(id="callback_failed", title_en="Callbacks failed", title_ru="Неудачные перезвоны",
           unit="count", formula_en="Callbacks given up after their attempts.",
           formula_ru="Обратные звонки, оставленные после всех попыток.",
           compute=_count("callback_failed")),
    Metric(id="time_to_callback", title_en="Time to callback, s",
           title_ru="Время до перезвона, с", unit="seconds",
           formula_en="Average seconds from the request to the callback's answer.",
           formula_ru="Среднее время от запроса до ответа на обратный звонок, с.",
           compute=lambda f, _p: _ratio(f["callback_delay"], f["callback_answered"])),
    Metric(id="ring_no_answer", title_en="Ring, no answer", title_ru="Не ответил",
           unit="count", thresholds=Thresholds(warning=5, critical=20, higher_is_better=_DOWN),
           formula_en="Offers that rang out or were rejected.",
           formula_ru="Предложения звонка, оставшиеся без ответа или отклонённые.",
           compute=_count("ring_no_answer")),
    Metric(id="offers", title_en="Offers", title_ru="Предложено", unit="count",
           formula_en="Times a caller was offered to the agent (its phone rang).",
           formula_ru="Сколько раз агенту предлагали звонок (звонил его телефон).",
           compute=_count("offers")),
    Metric(id="offer_answer_rate", title_en="Offers answered, %", title_ru="Принято, %",
           unit="percent", thresholds=Thresholds(warning=90, critical=75, higher_is_better=_UP),
           formula_en="Answered ÷ offers × 100.", formula_ru="Отвечено ÷ предложено × 100.",
           compute=lambda f, _p: _percent(f["answered"], f["offers"])),
    Metric(id="average_ring", title_en="Avg ring, s", title_ru="Ср. звонок, с", unit="seconds",
           formula_en="Ring seconds of unanswered offers ÷ ring-no-answers.",
           formula_ru="Секунды звонка неотвеченных предложений ÷ число неответов.",
           compute=lambda f, _p: _ratio(f["ring"], f["ring_no_answer"])),
    Metric(id="share", title_en="Share of offered, %", title_ru="Доля поступивших, %",
           unit="percent", formula_en="This row's offered ÷ all rows' offered × 100.",
           formula_ru="Поступило в строке ÷ поступило во всех строках × 100."),
    # Agent sessions.
    Metric(id="login_time", title_en="Logged in, s", title_ru="В системе, с", unit="seconds",
           formula_en="Seconds logged in within the period.",
           formula_ru="Секунды в системе за период."),
    Metric(id="pause_time", title_en="Paused, s", title_ru="На паузе, с", unit="seconds",
           formula_en="Seconds paused within the period.",
           formula_ru="Секунды на паузе за период."),
    Metric(id="pauses", title_en="Pauses", title_ru="Паузы", unit="count",
           formula_en="Pauses started in the period.", formula_ru="Паузы, начатые за период."),
    Metric(id="sessions", title_en="Sessions", title_ru="Сеансы", unit="count",
           formula_en="Logins started in the period.", formula_ru="Входы, начатые за период."),
    Metric(id="occupancy", title_en="Occupancy, %", title_ru="Занятость, %", unit="percent",
           thresholds=Thresholds(warning=90, critical=95, higher_is_better=_DOWN),
           formula_en="(Talk + wrap-up) ÷ (logged in − paused) × 100.",
           formula_ru="(Разговор + постобработка) ÷ (в системе − пауза) × 100."),
    Metric(id="calls", title_en="Calls", title_ru="Звонки", unit="count",
           formula_en="Calls in the group.", formula_ru="Звонки в группе."),
]  # fmt: skip
METRICS: dict[str, Metric] = {metric.id: metric for metric in _ROWS}
