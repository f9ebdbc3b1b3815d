"""Numbers, digits and durations as prompt names, in English and Russian.

The prompt sets hold one file per word: ``0`` to ``19``, the tens ``20`` to ``90``, the
hundreds ``100`` to ``900``; Russian adds the feminine ``1f`` (одна) and ``2f`` (две) used with
минута and секунда, and three plural forms per unit: ``minute_one`` (1 минута), ``minute_few``
(2 минуты) and ``minute_many`` (5 минут).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Language", "say_digits", "say_duration", "say_number"]

Language = Literal["en", "ru"]


def say_number(number: int, language: Language = "en", *, feminine: bool = False) -> list[str]:
    """Prompt names that say ``number`` (0 to 999; larger numbers are said digit by digit)."""
    if number < 0:
        raise ValueError("cannot say a negative number")
    if number > 999:
        return say_digits(str(number))
    if number == 0:
        return ["0"]
    words: list[str] = []
    hundreds, rest = divmod(number, 100)
    if hundreds:
        words.append(f"{hundreds}00")
    if rest >= 20:
        tens, rest = divmod(rest, 10)
        words.append(f"{tens}0")
    if rest:
        words.append(f"{rest}f" if feminine and language == "ru" and rest in (1, 2) else str(rest))
    return words


def say_digits(digits: str) -> list[str]:
    """One prompt per digit ("your number is 4 9 5 ..."); other characters are skipped."""
    return [digit for digit in digits if digit.isdigit()]


def _russian_form(number: int) -> str:
    if number % 10 == 1 and number % 100 != 11:
        return "one"
    if 2 <= number % 10 <= 4 and not 12 <= number % 100 <= 14:
        return "few"
    return "many"


def _unit(number: int, unit: str, language: Language) -> str:
    if language == "ru":
        return f"{unit}_{_russian_form(number)}"
    return unit if number == 1 else f"{unit}s"


def say_duration(seconds: float, language: Language = "en") -> list[str]:
    """Say a wait as whole minutes, rounded up ("about 4 minutes"), or seconds below one minute.

    Russian picks the feminine numeral and the plural form: 1 минута, 2 минуты, 5 минут,
    21 минута.
    """
    if seconds < 60:
        amount, unit = max(1, round(seconds)), "second"
    else:
        amount, unit = -(-int(seconds) // 60), "minute"
    return [*say_number(amount, language, feminine=True), _unit(amount, unit, language)]
