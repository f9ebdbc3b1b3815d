"""The reports: what each one answers, where its figures come from, how its rows are grouped
and which metrics (``hotline.reports.metrics``) are its columns.

Sources: ``queue``, ``agent`` and ``area`` are the rollups of the same name; ``sessions`` the
agents' login and pause spans; ``calls`` the call records; ``callbacks`` the queue log's
failed callbacks. Shapes: ``table`` (one row per group), ``bands`` (rows per wait band of
the totals), ``breaches`` (intervals whose service level is under target), ``list`` (rows as
they are, newest first, up to a limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hotline.reports.metrics import METRICS

__all__ = ["REPORTS", "Dimension", "Report", "Shape", "Source"]

Source = Literal["queue", "agent", "area", "sessions", "calls", "callbacks"]
Shape = Literal["table", "bands", "breaches", "list"]
Dimension = Literal[
    "queue", "agent", "area", "reason", "interval", "slot", "hour_of_day", "weekday", "day",
    "month",
]  # fmt: skip
Chart = Literal["bar", "line", "none"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    id: str
    title_en: str
    title_ru: str
    answers_en: str
    answers_ru: str
    source: Source
    columns: tuple[str, ...]
    group_by: tuple[Dimension, ...] = ()
    shape: Shape = "table"
    chart: Chart = "bar"
    # For lists: only calls of these outcomes (empty: all).
    dispositions: tuple[str, ...] = ()
    # For bands: whose waits, "answered" or "abandoned".
    bands: Literal["answered", "abandoned"] = "answered"

    def title(self, language: str) -> str:
        return self.title_ru if language == "ru" else self.title_en

    def answers(self, language: str) -> str:
        return self.answers_ru if language == "ru" else self.answers_en

    @property
    def chart_metric(self) -> str | None:
        """The column the chart draws: the first count or percentage after the groups."""
        if self.chart == "none":
            return None
        return next((c for c in self.columns if METRICS[c].unit in _CHARTED), None)


_CHARTED = ("count", "percent", "seconds")
_QUEUE_CORE = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "abandon_rate",
    "service_level",
    "service_level_with_abandons",
    "asa",
    "aht",
    "longest_wait",
)
_SLA = (
    "offered",
    "answered",
    "service_level",
    "service_level_answered",
    "service_level_with_abandons",
    "asa",
)
_TRAFFIC = ("offered", "answered", "abandoned", "service_level", "asa")
_LOST = ("abandoned", "timeout", "failover", "callback", "unanswered", "failed")


def _r(
    id: str,
    en: str,
    ru: str,
    answers_en: str,
    answers_ru: str,
    source: Source,
    columns: tuple[str, ...],
    group_by: tuple[Dimension, ...] = (),
    *,
    shape: Shape = "table",
    chart: Chart = "bar",
    dispositions: tuple[str, ...] = (),
    bands: Literal["answered", "abandoned"] = "answered",
) -> Report:
    named = tuple(dict.fromkeys(d if d in METRICS else "period" for d in group_by))
    return Report(
        id=id,
        title_en=en,
        title_ru=ru,
        answers_en=answers_en,
        answers_ru=answers_ru,
        source=source,
        group_by=group_by,
        columns=named + columns,
        shape=shape,
        chart=chart,
        dispositions=dispositions,
        bands=bands,
    )


_LIST = [
    _r("queue_performance", "Queue performance", "Показатели очередей",
       "How did each queue do: calls, answers, abandons, service level, waits and handle time?",
       "Как работала каждая очередь: звонки, ответы, сбросы, уровень сервиса, ожидание, "
       "обработка?",
       "queue", _QUEUE_CORE, ("queue",)),
    _r("queue_totals", "Queue performance totals", "Итоги по очередям",
       "What are the totals over all the queues in scope?",
       "Каковы итоги по всем доступным очередям?",
       "queue", ("offered", "answered", "unanswered", "abandoned", "short_abandoned",
                 "answer_rate", "service_level", "service_level_answered",
                 "service_level_with_abandons", "asa", "aht", "average_talk", "longest_wait"),
       chart="none"),
    _r("detailed_queue_statistics", "Detailed queue statistics", "Подробная статистика очередей",
       "Where did every caller of each queue end up, and how long did calls take?",
       "Чем закончился каждый звонок в каждой очереди и сколько длились разговоры?",
       "queue", ("offered", "answered", "abandoned", "timed_out", "exited_empty", "refused",
                 "dropped", "callback_requested", "completed_by_caller", "completed_by_agent",
                 "talk_time", "wrap_up_time", "average_talk", "asa", "average_abandon_wait"),
       ("queue",)),
    _r("team_comparison", "Team and queue comparison", "Сравнение очередей",
       "How do the queues compare: share of traffic, answer rate, service level, speed?",
       "Как очереди соотносятся: доля звонков, доля ответов, уровень сервиса, скорость?",
       "queue", ("offered", "share", "answer_rate", "service_level", "asa", "aht",
                 "abandon_rate"), ("queue",)),
    _r("sla_by_interval", "SLA statistics by interval", "SLA по интервалам",
       "Was the service level met in each interval?",
       "Выполнялся ли уровень сервиса в каждом интервале?",
       "queue", _SLA, ("interval",), chart="line"),
    _r("sla_breaches", "SLA breaches", "Нарушения SLA",
       "In which intervals did the service level fall under its target?",
       "В каких интервалах уровень сервиса опускался ниже цели?",
       "queue", _SLA, ("interval",), shape="breaches"),
    _r("sla_by_queue_and_day", "SLA by queue and day", "SLA по очередям и дням",
       "Which queue missed its service level on which day?",
       "Какая очередь в какой день не выдержала уровень сервиса?",
       "queue", ("offered", "answered", "service_level", "asa"), ("day", "queue"), chart="none"),
    _r("answered_unanswered", "Answered and unanswered calls", "Отвеченные и неотвеченные",
       "How many calls were answered and how many lost, interval by interval?",
       "Сколько звонков отвечено и сколько потеряно по интервалам?",
       "queue", ("offered", "answered", "unanswered", "answer_rate"), ("interval",)),
    _r("average_wait", "Average queue waiting time", "Среднее время ожидания",
       "How long did callers wait, interval by interval?",
       "Сколько ждали звонящие по интервалам?",
       "queue", ("asa", "average_abandon_wait", "longest_wait"), ("interval",), chart="line"),
    _r("answered_by_wait", "Answered calls by waiting time", "Отвеченные по времени ожидания",
       "How long did answered callers wait before an agent took them?",
       "Сколько ждали отвеченные звонящие до ответа агента?",
       "queue", ("wait_band", "calls", "share"), shape="bands"),
    _r("abandoned_by_wait", "Abandoned calls by waiting time", "Брошенные по времени ожидания",
       "After how long did callers give up?", "Через сколько звонящие бросали трубку?",
       "queue", ("wait_band", "calls", "share"), shape="bands", bands="abandoned"),
    _r("unanswered_calls", "Unanswered calls", "Неотвеченные звонки",
       "Why were calls lost: abandoned, timed out, no agents, refused, dropped?",
       "Почему звонки потеряны: брошены, истекло время, нет агентов, не приняты, обрыв?",
       "queue", ("unanswered", "abandoned", "short_abandoned", "timed_out", "exited_empty",
                 "refused", "dropped", "callback_failed", "average_abandon_wait"), ("queue",)),
    _r("distribution_15min", "Call distribution by 15 minutes", "Распределение по 15 минутам",
       "At what time of day do calls come, quarter-hour by quarter-hour?",
       "В какое время дня приходят звонки, по четвертям часа?",
       "queue", _TRAFFIC, ("slot",)),
    _r("distribution_hour", "Call distribution by hour", "Распределение по часам",
       "At which hours of the day do calls come?", "В какие часы дня приходят звонки?",
       "queue", _TRAFFIC, ("hour_of_day",)),
    _r("distribution_weekday", "Call distribution by weekday", "Распределение по дням недели",
       "On which weekdays do calls come?", "В какие дни недели приходят звонки?",
       "queue", _TRAFFIC, ("weekday",)),
    _r("distribution_day", "Call distribution by day", "Распределение по дням",
       "How many calls came each day?", "Сколько звонков пришло в каждый день?",
       "queue", _TRAFFIC, ("day",), chart="line"),
    _r("distribution_month", "Call distribution by month", "Распределение по месяцам",
       "How many calls came each month?", "Сколько звонков пришло в каждый месяц?",
       "queue", _TRAFFIC, ("month",)),
    _r("disconnections", "Who hung up", "Кто завершил разговор",
       "Who ended the answered calls, the caller or the agent?",
       "Кто завершал отвеченные звонки: звонящий или агент?",
       "queue", ("answered", "completed_by_caller", "completed_by_agent"), ("queue",)),
    _r("callbacks", "Queue callbacks", "Обратные звонки очередей",
       "How many callers asked for a callback, how many got one, how many failed, how fast?",
       "Сколько звонящих просили перезвонить, скольким перезвонили, сколько неудач, как быстро?",
       "queue", ("callback_requested", "callback_answered", "callback_failed",
                 "time_to_callback"), ("queue",)),
    _r("multi_queue_journeys", "Multi-queue journeys", "Пути через несколько очередей",
       "How many callers reached a queue after waiting in another one?",
       "Сколько звонящих попали в очередь после ожидания в другой?",
       "queue", ("offered", "requeued"), ("queue",)),
    _r("area_codes", "Callers by area code", "Звонящие по кодам зон",
       "Where do callers call from, and are they served as well everywhere?",
       "Откуда звонят и одинаково ли хорошо обслуживают всех?",
       "area", ("offered", "answered", "abandoned", "answer_rate"), ("area",)),
    _r("area_codes_by_queue", "Area codes by queue", "Коды зон по очередям",
       "Which areas call which queue?", "Какие зоны звонят в какую очередь?",
       "area", ("offered", "answered", "abandoned", "answer_rate"), ("queue", "area"),
       chart="none"),
    _r("agent_performance", "Agent performance", "Показатели агентов",
       "How much did each agent handle, how long, and how often did they miss an offer?",
       "Сколько обработал каждый агент, сколько это заняло и как часто он пропускал звонки?",
       "agent", ("answered", "talk_time", "average_talk", "aht", "wrap_up_time",
                 "ring_no_answer", "offer_answer_rate"), ("agent",)),
    _r("agents_in_queue", "Agents in queue statistics", "Агенты в очередях",
       "Which agent answered how many calls of which queue (the queue-by-agent matrix)?",
       "Какой агент сколько звонков какой очереди принял (матрица очередь × агент)?",
       "agent", ("answered", "talk_time", "average_talk", "asa"), ("queue", "agent"),
       chart="none"),
    _r("agent_call_attempts", "Inbound ACD call attempts", "Попытки распределения звонков",
       "How often did each agent's phone ring, and how often was it not answered?",
       "Как часто звонил телефон каждого агента и сколько раз не ответили?",
       "agent", ("offers", "answered", "ring_no_answer", "offer_answer_rate", "average_ring"),
       ("agent",)),
    _r("agent_by_day", "Agent calls by day", "Звонки агентов по дням",
       "How many calls did each agent answer each day?",
       "Сколько звонков принял каждый агент в каждый день?",
       "agent", ("answered", "talk_time", "aht"), ("day", "agent"), chart="none"),
    _r("agent_activity", "Agent activity", "Активность агентов",
       "How long was each agent logged in, paused and busy (occupancy)?",
       "Сколько каждый агент был в системе, на паузе и занят (занятость)?",
       "sessions", ("sessions", "login_time", "pauses", "pause_time", "answered", "talk_time",
                    "occupancy"), ("agent",)),
    _r("pauses_by_reason", "Pauses by reason", "Паузы по причинам",
       "Why and for how long did agents pause?", "Почему и как долго агенты были на паузе?",
       "sessions", ("pauses", "pause_time"), ("agent", "reason")),
    _r("agent_login_history", "Agent login history", "История входов агентов",
       "When did each agent log in and out?", "Когда каждый агент входил и выходил?",
       "sessions", ("agent", "time", "ended", "duration"), shape="list", chart="none"),
    _r("call_detail", "Call details", "Детализация звонков",
       "What happened to each call, with its recording?",
       "Что произошло с каждым звонком, с записью разговора?",
       "calls", ("time", "call_id", "caller", "queue", "agent", "disposition", "wait", "talk",
                 "recording"), shape="list", chart="none"),
    _r("lost_calls", "Lost calls", "Потерянные звонки",
       "Which callers did we lose, to call them back?",
       "Каких звонящих мы потеряли, чтобы им перезвонить?",
       "calls", ("time", "call_id", "caller", "queue", "disposition", "wait"), shape="list",
       chart="none", dispositions=_LOST),
    _r("answered_calls", "Answered calls", "Отвеченные звонки",
       "Which calls were answered, by whom, after what wait?",
       "Какие звонки отвечены, кем и после какого ожидания?",
       "calls", ("time", "call_id", "caller", "queue", "agent", "wait", "talk"), shape="list",
       chart="none", dispositions=("answered",)),
    _r("failed_callbacks", "Failed callbacks", "Неудачные обратные звонки",
       "Which callers asked for a callback and never got through?",
       "Кто просил перезвонить и так и не дождался?",
       "callbacks", ("time", "call_id", "caller", "queue", "wait"), shape="list",
       chart="none"),
]  # fmt: skip
REPORTS: dict[str, Report] = {report.id: report for report in _LIST}
