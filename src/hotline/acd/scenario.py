"""Simulator scenarios from TOML: queues with their traffic, agents (or groups) and shifts.

```toml
hours = 24
warmup_hours = 1
ring_delay_seconds = 2

[[queues]]
id = "sales"
strategy = "longest_waiting"
members = ["senior", "a9"]          # agent ids or group ids
calls_per_hour = 120
handle_seconds = 180
handle_distribution = "lognormal"  # or "exponential" (default)
patience_seconds = 90
sla_seconds = 20

[[agents]]
id = "senior"                       # a group: senior1 .. senior8
count = 8
shifts = [[8, 12], [13, 17]]        # hours of each day
skills = { fr = 2 }

[[agents]]
id = "a9"
```

Queue keys other than the traffic ones are QueueConfig fields (ring_seconds, priority,
wrap_up_seconds, max_wait_seconds, ...).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal

from hotline.acd.model import AgentConfig, AgentId, EngineOptions, Member, QueueConfig, QueueId
from hotline.acd.simulator import Scenario, Shift, Traffic

__all__ = ["ScenarioError", "load_scenario", "parse_scenario"]

_TRAFFIC_KEYS = {
    "calls_per_hour", "handle_seconds", "handle_distribution", "handle_sigma",
    "patience_seconds", "caller_skills",
}  # fmt: skip
_QUEUE_KEYS = {f.name for f in fields(QueueConfig)} - {"queue_id", "members", "announcements",
                                                        "callback"}  # fmt: skip
_TOP_KEYS = {"hours", "warmup_hours", "ring_delay_seconds", "order_by_sla", "queues", "agents"}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the entry and the key."""


def load_scenario(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"{path}: {error.strerror}") from error
    return parse_scenario(text, source=str(path))


def parse_scenario(text: str, *, source: str = "scenario") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{source}: {error}") from error
    _check_keys(data, _TOP_KEYS, source)
    groups, agents, shifts = _agents(data.get("agents", []), source)
    queues, traffic = _queues(data.get("queues", []), groups, source)
    if not queues:
        raise ScenarioError(f"{source}: no [[queues]]")
    return Scenario(
        queues=tuple(queues),
        agents=tuple(agents),
        traffic=tuple(traffic),
        shifts=shifts,
        hours=float(data.get("hours", 8.0)),
        warmup_hours=float(data.get("warmup_hours", 0.0)),
        ring_delay_seconds=float(data.get("ring_delay_seconds", 0.0)),
        options=EngineOptions(order_by_sla=bool(data.get("order_by_sla", False)),
                              keep_records=False),
    )  # fmt: skip


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown key {unknown[0]!r}")


def _agents(
    tables: list[dict[str, Any]], source: str
) -> tuple[dict[str, list[AgentId]], list[AgentConfig], dict[AgentId, tuple[Shift, ...]]]:
    groups: dict[str, list[AgentId]] = {}
    agents: list[AgentConfig] = []
    shifts: dict[AgentId, tuple[Shift, ...]] = {}
    for number, table in enumerate(tables, start=1):
        where = f"{source}: agents[{number}]"
        _check_keys(table, {"id", "count", "shifts", "skills", "name"}, where)
        if "id" not in table:
            raise ScenarioError(f"{where}: missing 'id'")
        name = str(table["id"])
        count = table.get("count")
        ids = [AgentId(name)] if count is None else [AgentId(f"{name}{i}")
                                                     for i in range(1, int(count) + 1)]  # fmt: skip
        groups[name] = ids
        agent_shifts = tuple(_shift(pair, where) for pair in table.get("shifts", []))
        for agent_id in ids:
            agents.append(AgentConfig(agent_id=agent_id, skills=dict(table.get("skills", {}))))
            if agent_shifts:
                shifts[agent_id] = agent_shifts
    return groups, agents, shifts


def _shift(pair: Any, where: str) -> Shift:
    if not (isinstance(pair, list) and len(pair) == 2 and pair[0] < pair[1]):
        raise ScenarioError(f"{where}: a shift is [start_hour, end_hour], got {pair!r}")
    return Shift(start_hour=float(pair[0]), end_hour=float(pair[1]))


def _queues(
    tables: list[dict[str, Any]], groups: dict[str, list[AgentId]], source: str
) -> tuple[list[QueueConfig], list[Traffic]]:
    queues, traffic = [], []
    for number, table in enumerate(tables, start=1):
        where = f"{source}: queues[{number}]"
        _check_keys(table, _QUEUE_KEYS | _TRAFFIC_KEYS | {"id", "members"}, where)
        for key in ("id", "calls_per_hour", "handle_seconds"):
            if key not in table:
                raise ScenarioError(f"{where}: missing {key!r}")
        members: list[Member] = []
        for name in table.get("members", []):
            if name not in groups:
                raise ScenarioError(f"{where}: member {name!r} is not an agent or group id")
            members.extend(Member(agent=agent_id) for agent_id in groups[name])
        settings = {k: v for k, v in table.items() if k in _QUEUE_KEYS}
        queue_id = QueueId(str(table["id"]))
        queues.append(QueueConfig(queue_id=queue_id, members=tuple(members), **settings))
        traffic.append(_traffic(queue_id, table, where))
    return queues, traffic


def _traffic(queue_id: QueueId, table: dict[str, Any], where: str) -> Traffic:
    distribution: Literal["exponential", "lognormal"]
    name = table.get("handle_distribution", "exponential")
    if name == "exponential":
        distribution = "exponential"
    elif name == "lognormal":
        distribution = "lognormal"
    else:
        raise ScenarioError(f"{where}: handle_distribution is exponential or lognormal")
    patience = table.get("patience_seconds")
    return Traffic(
        queue=queue_id,
        calls_per_hour=float(table["calls_per_hour"]),
        handle_seconds=float(table["handle_seconds"]),
        handle_distribution=distribution,
        handle_sigma=float(table.get("handle_sigma", 0.5)),
        patience_seconds=None if patience is None else float(patience),
        caller_skills=dict(table.get("caller_skills", {})),
    )
