"""A board's settings: ``[wallboard]`` overridden by URL parameters, bad ones named in notes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from hotline.config import WallboardConfig, parse_config
from hotline.web.i18n import Translator
from hotline.web.wallboard import (
    BoardQueue,
    board_settings,
    client_settings,
    parse_queue_list,
    sla_note,
    tile_grid,
)

CONFIGURED = WallboardConfig(waiting_warning=2, waiting_alert=4, title="Floor 2")
NAMES = [*WallboardConfig.model_fields, "color_alert", "color_on_call", "color_x", "queue", ""]


@given(
    st.lists(
        st.tuples(
            st.one_of(st.sampled_from(NAMES), st.text(max_size=8)),
            st.one_of(
                st.sampled_from(["0", "-1", "5", "1e999", "nan", "inf", "light", "#fff", "a,b"]),
                st.text(max_size=12),
            ),
        ),
        max_size=6,
    )
)
def test_any_parameters_give_valid_settings_and_a_note_per_refusal(
    params: list[tuple[str, str]],
) -> None:
    board = board_settings(CONFIGURED, params)
    WallboardConfig.model_validate(board.settings.model_dump())  # still valid as a whole
    assert len(board.notes) <= len(params)
    if not board.notes:
        assert board.settings.logo == CONFIGURED.logo  # never set from a URL


def test_no_parameters_keep_the_configuration() -> None:
    board = board_settings(CONFIGURED, [])
    assert board.settings == CONFIGURED and board.notes == []


def test_each_bad_parameter_is_named_and_the_good_ones_apply() -> None:
    board = board_settings(
        CONFIGURED,
        [("theme", "light"), ("waiting_alert", "x"), ("zoom", "2"), ("color_paused", "#123")],
    )
    assert board.settings.theme == "light"
    assert board.settings.colors.paused == "#123"
    assert board.settings.waiting_alert == 4
    assert board.notes == [
        "unknown parameter 'zoom' ignored",
        "waiting_alert='x' ignored: Input should be a valid integer, unable to parse string as an"
        " integer",
    ]


def test_threshold_pairs_are_checked_against_what_is_kept() -> None:
    raised = board_settings(CONFIGURED, [("waiting_warning", "7"), ("waiting_alert", "9")])
    assert (raised.settings.waiting_warning, raised.settings.waiting_alert, raised.notes) == (
        7,
        9,
        [],
    )
    crossed = board_settings(CONFIGURED, [("waiting_warning", "7")])
    assert crossed.settings.waiting_warning == 2
    assert crossed.notes == [
        "waiting_warning='7' ignored: need waiting_warning <= waiting_alert, got 7 > 4"
    ]


def test_a_logo_gone_since_the_start_does_not_break_the_board(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG")
    configured = WallboardConfig(logo=str(logo))
    logo.unlink()
    board = board_settings(configured, [("theme", "light"), ("waiting_alert", "x")])
    assert (board.settings.theme, board.settings.logo) == ("light", str(logo))
    assert len(board.notes) == 1


def test_colours_may_be_given_without_the_hash() -> None:
    board = board_settings(CONFIGURED, [("color_alert", "C00000"), ("color_ok", "#0f0")])
    assert (board.settings.colors.alert, board.settings.colors.ok) == ("#C00000", "#0f0")


def test_queue_lists_name_the_unknown_numbers() -> None:
    config = parse_config(
        '[[queues]]\nnumber = "800"\nname = "Support"\n[[queues]]\nnumber = "801"\n'
    )
    queues, unknown = parse_queue_list("801,800,801,999", config)
    assert [(q.number, q.name) for q in queues] == [("801", "801"), ("800", "Support")]
    assert unknown == ["999"]


def test_tiles_fill_one_row_up_to_six_then_two_or_three() -> None:
    assert [tile_grid(n) for n in (1, 3, 6, 7, 12, 13, 17)] == [
        (1, 1), (3, 1), (6, 1), (4, 2), (6, 2), (5, 3), (6, 3),
    ]  # fmt: skip


def test_script_settings_name_the_feed_and_thresholds() -> None:
    queues = [BoardQueue("800", "Support", 20.0), BoardQueue("801", "VIP", 10.0)]
    settings = client_settings(CONFIGURED, queues)
    assert settings["events"] == "/ws/events?queue=800&queue=801"
    assert settings["thresholds"] == {
        "waiting_warning": 2,
        "waiting_alert": 4,
        "longest_wait_warning": 30.0,
        "longest_wait_alert": 60.0,
        "service_level_target": 80.0,
    }
    assert sla_note(CONFIGURED, queues, Translator("en")) == "target 80 % in 20/10 s"
    assert sla_note(CONFIGURED, queues, Translator("ru")) == "цель 80 % за 20/10 с"
