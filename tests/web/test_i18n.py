"""The pages' two languages: the same keys and fields in both catalogs, every key a page or
script uses present, and the language each request gets."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import get_args

import pytest

from hotline.config import WallboardTile
from hotline.web.i18n import CATALOGS, Translator, choose, negotiate
from hotline.web.schemas import AgentStateName, LiveCallState

WEB = Path(__file__).resolve().parents[2] / "src" / "hotline" / "web"
ENGLISH, RUSSIAN = CATALOGS["en"], CATALOGS["ru"]


def _fields(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def test_both_catalogs_have_the_same_keys_and_fields() -> None:
    assert set(ENGLISH) == set(RUSSIAN)
    for key, message in ENGLISH.items():
        assert _fields(message) == _fields(RUSSIAN[key]), key


def test_every_key_the_pages_use_is_in_the_catalogs() -> None:
    """Keys written out in templates and scripts, and those built from a state's name."""
    namespaces = {key.split(".")[0] for key in ENGLISH}
    used: set[str] = set()
    for path in [*WEB.glob("templates/**/*.html"), *WEB.glob("static/*.js")]:
        for key in re.findall(r'"([a-z]+\.[a-z_]+)"', path.read_text()):
            namespace, name = key.split(".")
            if namespace in namespaces and name not in ("html", "js", "css"):  # not a file
                used.add(key)
    used |= {f"state.{state}" for state in get_args(AgentStateName)}
    used |= {f"call.{state}" for state in get_args(LiveCallState)}
    used |= {f"tile.{tile}" for tile in get_args(WallboardTile)}
    assert len(used) > 100
    assert used - set(ENGLISH) == set()


def test_messages_are_filled_in() -> None:
    assert Translator("en")("summary.available", available=2, logged_in=5) == (
        "2 of 5 agents available"
    )
    assert Translator("ru")("summary.available", available=2, logged_in=5) == (
        "свободно агентов: 2 из 5"
    )


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
        ("en-GB,en;q=0.9,ru;q=0.8", "en"),
        ("de-DE,de;q=0.9,ru;q=0.5,en;q=0.4", "ru"),
        ("ru;q=0, en;q=0.1", "en"),
        ("RU", "ru"),
        ("fr, de", None),
        ("", None),
        ("ru;q=bad, en", "en"),
    ],
)
def test_the_browsers_preference(header: str, language: str | None) -> None:
    assert negotiate(header) == language


def test_the_switch_wins_then_the_cookie_then_the_user_then_the_browser() -> None:
    browser = "ru"
    assert choose(switch="en", cookie="ru", user="ru", accept_language=browser) == "en"
    assert choose(switch="xx", cookie="en", user="ru", accept_language=browser) == "en"
    assert choose(switch=None, cookie=None, user="en", accept_language=browser) == "en"
    assert choose(switch=None, cookie=None, user=None, accept_language=browser) == "ru"
    assert choose(switch=None, cookie=None, user=None, accept_language="fr") == "en"
