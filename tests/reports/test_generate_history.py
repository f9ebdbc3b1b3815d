"""``hotline generate-history`` fills the configured database through the store: calls, the
queue log, agents' sessions and the rollups, the same for the same seed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hotline.cli import main

from .sites import site

CONFIG = site("Europe/Moscow", 2, {"800": ["201", "202"]}, extra='data_dir = "{data}"\n')


def _counts(database: Path) -> tuple[int, ...]:
    with sqlite3.connect(database) as connection:
        return tuple(
            connection.execute(sql).fetchone()[0]
            for sql in ("SELECT count(*) FROM call_records", "SELECT count(*) FROM queue_events",
                        "SELECT count(*) FROM agent_sessions WHERE reason = 'lunch'",
                        "SELECT sum(offered) FROM rollup_queue",
                        "SELECT sum(offered) FROM rollup_queue_day")
        )  # fmt: skip


def test_generated_history_is_written_through_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    counts = []
    for run in ("a", "b"):
        config = tmp_path / f"{run}.toml"
        config.write_text(CONFIG.replace("{data}", str(tmp_path / run)))
        argv = ["generate-history", "--config", str(config), "--days", "2",
                "--calls-per-day", "200", "--seed", "5"]  # fmt: skip
        assert main(argv) == 0
        counts.append(_counts(tmp_path / run / "hotline.db"))
    calls, lines, lunches, offered, offered_by_day = counts[0]
    assert 300 <= calls <= 500 and lines > 3 * calls and lunches == 2 * 2
    assert offered == offered_by_day == calls
    assert counts[0] == counts[1]  # the seed decides
    assert "calls over 2 days written" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.replace("{data}", str(tmp_path / "c")).replace("[[queues]]", "[[x]]"))
    assert main(["generate-history", "--config", str(bad)]) == 2
