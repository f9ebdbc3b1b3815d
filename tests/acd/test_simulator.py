"""The simulator's mechanics and the ``hotline simulate`` command (fast checks; the
agreement with queueing theory is in test_erlang.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.acd import QueueId
from hotline.acd.scenario import ScenarioError, parse_scenario
from hotline.acd.simulator import simulate, single_queue
from hotline.cli import main

SCENARIO = """
hours = 30
warmup_hours = 1

[[queues]]
id = "sales"
strategy = "longest_waiting"
members = ["day", "flex"]
calls_per_hour = 40
handle_seconds = 240
handle_distribution = "lognormal"
patience_seconds = 300
priority = 1

[[queues]]
id = "support"
strategy = "round_robin"
members = ["flex", "night"]
calls_per_hour = 20
handle_seconds = 300
wrap_up_seconds = 30

[[agents]]
id = "day"
count = 4
shifts = [[8, 18]]

[[agents]]
id = "night"
count = 2
shifts = [[18, 24], [0, 8]]

[[agents]]
id = "flex"
count = 2
"""


def test_same_seed_same_result_and_another_seed_differs() -> None:
    scenario = single_queue(agents=5, calls_per_hour=80, handle_seconds=180, hours=4)
    assert simulate(scenario, seed=3) == simulate(scenario, seed=3)
    assert simulate(scenario, seed=3) != simulate(scenario, seed=4)


def test_every_caller_is_answered_or_abandons_or_still_waits() -> None:
    scenario = single_queue(
        agents=4, calls_per_hour=100, handle_seconds=180, patience_seconds=60, hours=10
    )
    stats = simulate(scenario, seed=1).queues[QueueId("main")]
    assert stats.offered == stats.answered + stats.abandoned + stats.waiting
    assert stats.abandoned > 0 and stats.answered > 0


def test_ring_delay_delays_every_answer() -> None:
    scenario = single_queue(
        agents=50, calls_per_hour=100, handle_seconds=60, hours=2, ring_delay_seconds=4
    )
    stats = simulate(scenario, seed=1).queues[QueueId("main")]
    assert stats.asa_seconds == pytest.approx(4.0)


def test_progress_is_reported_every_simulated_hour() -> None:
    hours: list[float] = []
    scenario = single_queue(agents=3, calls_per_hour=30, handle_seconds=180, hours=5)
    simulate(scenario, seed=1, progress=hours.append)
    assert [round(h) for h in hours] == [1, 2, 3, 4, 5]


def test_scenario_file_with_groups_shifts_and_two_queues() -> None:
    scenario = parse_scenario(SCENARIO)
    assert [q.queue_id for q in scenario.queues] == ["sales", "support"]
    assert [m.agent for m in scenario.queues[1].members] == ["flex1", "flex2", "night1", "night2"]
    result = simulate(scenario, seed=2)
    sales, support = result.queues["sales"], result.queues["support"]  # type: ignore[index]
    assert sales.offered > 900 and support.offered > 450
    assert support.average_handle_seconds and support.average_talk_seconds
    # Handle time is talk plus wrap-up: support's 30 s show, sales has none.
    handle_minus_talk = support.average_handle_seconds - support.average_talk_seconds
    assert handle_minus_talk == pytest.approx(30, abs=3)
    assert sales.average_handle_seconds == pytest.approx(sales.average_talk_seconds, abs=3)


def test_scenario_errors_name_the_entry_and_key() -> None:
    with pytest.raises(ScenarioError, match=r"queues\[1\]: member 'ghost'"):
        parse_scenario('[[queues]]\nid="q"\ncalls_per_hour=1\nhandle_seconds=1\nmembers=["ghost"]')
    with pytest.raises(ScenarioError, match=r"queues\[1\]: unknown key 'colour'"):
        parse_scenario('[[queues]]\nid="q"\ncalls_per_hour=1\nhandle_seconds=1\ncolour=2')
    with pytest.raises(ScenarioError, match="shift"):
        parse_scenario('[[agents]]\nid="a"\nshifts=[[9, 8]]')


def test_simulate_command_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["simulate", "--agents", "20", "--calls-per-hour", "360", "--handle-time", "180",
            "--patience", "120", "--sla", "20", "--strategy", "longest_waiting",
            "--hours", "3", "--seed", "1", "--json"]  # fmt: skip
    assert main(argv) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in ("offered", "answered", "abandoned", "p_wait", "asa_seconds", "service_level",
                "abandon_rate"):  # fmt: skip
        assert key in figures
    still_waiting = figures["offered"] - figures["answered"] - figures["abandoned"]
    assert 0 <= still_waiting <= 20  # at most the callers in line when the run stops
    assert figures["abandon_rate"] == figures["abandoned"] / figures["offered"]


def test_simulate_command_reads_a_scenario_and_prints_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "day.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    assert main(["simulate", "--scenario", str(path), "--hours", "12"]) == 0
    out = capsys.readouterr().out
    assert "queue sales:" in out and "queue support:" in out and "service_level" in out


def test_simulate_command_rejects_a_bad_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("hours = [", encoding="utf-8")
    assert main(["simulate", "--scenario", str(path)]) == 2
    assert "bad.toml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--agents", "0", "not a whole number of at least 1"),
        ("--agents", "2.5", "not a whole number of at least 1"),
        ("--calls-per-hour", "-10", "not a number above 0"),
        ("--handle-time", "inf", "not a number above 0"),
        ("--hours", "-3", "not a number above 0"),
        ("--hours", "nan", "not a number above 0"),
        ("--patience", "0", "not a number above 0"),
        ("--warmup", "-1", "not a number of 0 or more"),
        ("--ring-delay", "soon", "not a number of 0 or more"),
    ],
)
def test_simulate_command_refuses_impossible_figures(
    flag: str, value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["simulate", flag, value, "--json"])
    assert stopped.value.code == 2
    assert f"argument {flag}: {value} is {says}" in capsys.readouterr().err
