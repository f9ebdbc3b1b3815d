"""The shipped prompt sets cover everything the call flows and say_* functions ask for."""

import pytest

from hotline.media import say_digits, say_duration, say_number
from hotline.media.player import PROMPTS_DIR, PromptLibrary

PHRASES = [
    "welcome",
    "caller_number",
    "estimated_wait",
    "all_busy",
    "press_1_callback",
    "your_number_is",
    "confirm_number",
    "enter_number",
    "callback_goodbye",
    "agent_logged_in",
    "agent_logged_out",
    "agent_paused",
    "agent_unpaused",
    "enter_pin",
    "invalid_entry",
]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_word_the_engine_can_say_exists(language) -> None:
    names = set(PHRASES) | set(say_digits("0123456789"))
    for number in range(1000):
        names.update(say_number(number, language))
    for seconds in [*range(1, 60), *range(60, 999 * 60, 60)]:
        names.update(say_duration(seconds, language))
    library = PromptLibrary()
    missing = sorted(name for name in names if not library.path(name, language).exists())
    assert missing == []


def test_prompts_are_small_8khz_and_audible() -> None:
    library = PromptLibrary()
    total = sum(path.stat().st_size for path in PROMPTS_DIR.rglob("*.wav"))
    assert total < 3_000_000
    moh = library.load(PROMPTS_DIR / "moh.wav")
    assert 15 * 8000 <= len(moh) <= 35 * 8000
    for language in ("en", "ru"):
        samples = library.load("welcome", language)
        assert 0.5 * 8000 < len(samples) < 5 * 8000 and abs(samples).max() > 5000
