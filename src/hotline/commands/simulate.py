"""``hotline simulate``: run the ACD engine on a virtual clock and print its statistics.

One queue from flags (``--agents 20 --calls-per-hour 360 --handle-time 180``) or several from
a scenario file (``--scenario day.toml``). With ``--json`` it prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hotline.acd import QueueStats
from hotline.acd.scenario import ScenarioError, load_scenario
from hotline.acd.simulator import Scenario, SimulationResult, simulate, single_queue
from hotline.acd.strategies import strategy_names

# The figures a staffing table gives, named as in the flags' help.
_SUMMARY = (
    "offered", "answered", "abandoned", "timed_out", "p_wait", "asa_seconds",
    "service_level", "abandon_rate", "service_level_answered", "service_level_with_abandons",
    "short_abandoned", "average_handle_seconds", "estimate_mean_abs_error", "estimate_bias",
)  # fmt: skip


def _number(kind: Callable[[str], float], check: Callable[[float], bool], says: str) -> Any:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:  # not a number: refused with the same words
            value = math.nan
        if not (math.isfinite(value) and check(value)):
            raise argparse.ArgumentTypeError(f"{text} is not {says}")
        return value

    return parse


_count = _number(int, lambda value: value >= 1, "a whole number of at least 1")
_positive = _number(float, lambda value: value > 0, "a number above 0")
_not_negative = _number(float, lambda value: value >= 0, "a number of 0 or more")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="simulate queues and agents on a virtual clock",
        description="Run the ACD engine on simulated traffic and print its statistics.",
    )
    parser.add_argument("--scenario", type=Path, metavar="FILE", help="TOML scenario file")
    parser.add_argument("--agents", type=_count, default=10, help="agents (one-queue mode)")
    parser.add_argument("--calls-per-hour", type=_positive, default=100.0, help="arrival rate")
    parser.add_argument("--handle-time", type=_positive, default=180.0, help="mean handle, seconds")
    parser.add_argument("--handle-distribution", choices=["exponential", "lognormal"],
                        default="exponential")  # fmt: skip
    parser.add_argument("--patience", type=_positive, help="mean patience, seconds (exponential)")
    parser.add_argument("--sla", type=_positive, default=20.0, help="service level threshold, s")
    parser.add_argument("--strategy", default="longest_waiting", choices=strategy_names())
    parser.add_argument("--ring-delay", type=_not_negative, default=0.0, help="seconds to answer")
    parser.add_argument("--hours", type=_positive, help="simulated hours (default 8)")
    parser.add_argument("--warmup", type=_not_negative, default=0.0, help="hours not counted")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        scenario = _scenario(args)
    except (ScenarioError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    result = _run(scenario, args)
    summary = summarize(result, scenario)
    if args.json:
        print(json.dumps(summary, sort_keys=False))
    else:
        _print_table(summary, result)
    return 0


def _scenario(args: argparse.Namespace) -> Scenario:
    if args.scenario is not None:
        scenario = load_scenario(args.scenario)
        if args.hours is not None:
            scenario = _with_hours(scenario, args.hours)
        return scenario
    return single_queue(
        agents=args.agents,
        calls_per_hour=args.calls_per_hour,
        handle_seconds=args.handle_time,
        patience_seconds=args.patience,
        sla_seconds=args.sla,
        strategy=args.strategy,
        hours=8.0 if args.hours is None else args.hours,
        warmup_hours=args.warmup,
        handle_distribution=args.handle_distribution,
        ring_delay_seconds=args.ring_delay,
    )


def _with_hours(scenario: Scenario, hours: float) -> Scenario:
    from dataclasses import replace

    return replace(scenario, hours=hours)


def _run(scenario: Scenario, args: argparse.Namespace) -> SimulationResult:
    if args.json or not sys.stderr.isatty() or scenario.hours < 24:
        return simulate(scenario, seed=args.seed)
    from tqdm import tqdm

    with tqdm(total=round(scenario.hours), unit="h", desc="simulating") as bar:

        def update(hours: float) -> None:
            bar.update(round(hours) - bar.n)

        return simulate(scenario, seed=args.seed, progress=update)


def summarize(result: SimulationResult, scenario: Scenario) -> dict[str, Any]:
    """Totals over every queue, then each queue's own figures."""
    stats = list(result.queues.values())
    totals = _totals(stats)
    totals["hours"] = result.hours
    totals["agents"] = len(scenario.agents)
    totals["engine_events"] = result.events
    if len(stats) > 1:
        totals["queues"] = {s.queue: _totals([s]) for s in stats}
    return totals


def _totals(stats: list[QueueStats]) -> dict[str, Any]:
    offered = sum(s.offered for s in stats)
    answered = sum(s.answered for s in stats)
    abandoned = sum(s.abandoned for s in stats)
    within = sum(s.answered_within_sla for s in stats)

    def weighted(name: str, weight: Callable[[QueueStats], int]) -> float | None:
        total = sum(weight(s) for s in stats)
        values = [(getattr(s, name) or 0.0) * weight(s) for s in stats]
        return sum(values) / total if total else None

    return {
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "timed_out": sum(s.timed_out for s in stats),
        "short_abandoned": sum(s.short_abandoned for s in stats),
        "p_wait": weighted("p_wait", lambda s: s.offered),
        "asa_seconds": weighted("asa_seconds", lambda s: s.answered),
        "service_level": within / offered if offered else None,
        "service_level_answered": within / answered if answered else None,
        "service_level_with_abandons": weighted(
            "service_level_with_abandons", lambda s: s.answered + s.abandoned
        ),
        "abandon_rate": abandoned / offered if offered else None,
        "average_handle_seconds": weighted("average_handle_seconds", lambda s: s.answered),
        # How far the engine's estimated wait (given at join) was from the real wait.
        "estimate_mean_abs_error": weighted("estimate_mean_abs_error", lambda s: s.answered),
        "estimate_bias": weighted("estimate_bias", lambda s: s.answered),
    }


def _print_table(summary: dict[str, Any], result: SimulationResult) -> None:
    print(f"simulated {result.hours:g} h, {summary['agents']} agents")
    for name in _SUMMARY:
        value = summary[name]
        shown = "-" if value is None else f"{value:.4f}" if isinstance(value, float) else value
        print(f"  {name:<28} {shown}")
    for queue, figures in summary.get("queues", {}).items():
        print(f"queue {queue}: offered {figures['offered']}, answered {figures['answered']}, "
              f"abandoned {figures['abandoned']}, SL {figures['service_level']}")  # fmt: skip
