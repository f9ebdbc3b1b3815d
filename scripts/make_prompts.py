"""Build Hotline's prompt sets (English and Russian) and its music on hold.

Speech comes from espeak-ng, converted with sox to 8 kHz mono 16-bit WAV with the silence at
both ends trimmed; the music on hold is a slow progression of soft synthesized chords, so it is
free of any rights. Run from the repository root:

    uv run python scripts/make_prompts.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "src" / "hotline" / "media" / "prompts"
RATE = 8000

PHRASES = {
    "welcome": ("Welcome, and thank you for calling.", "Здравствуйте! Спасибо за звонок."),
    "caller_number": ("You are caller number", "Ваш номер в очереди"),
    "estimated_wait": ("The estimated wait time is about", "Примерное время ожидания"),
    "all_busy": (
        "All our agents are busy. Please stay on the line.",
        "Все операторы заняты. Пожалуйста, оставайтесь на линии.",
    ),
    "press_1_callback": ("Press 1 to be called back.", "Нажмите 1, чтобы мы вам перезвонили."),
    "your_number_is": ("Your number is", "Ваш номер"),
    "confirm_number": (
        "Press 1 to confirm, or 2 to enter another number.",
        "Нажмите 1 для подтверждения или 2, чтобы ввести другой номер.",
    ),
    "enter_number": (
        "Enter the number, followed by the hash key.",
        "Введите номер и нажмите решётку.",
    ),
    "callback_goodbye": ("We will call you back. Goodbye.", "Мы вам перезвоним. До свидания."),
    "agent_logged_in": ("Agent logged in.", "Оператор вошёл в систему."),
    "agent_logged_out": ("Agent logged out.", "Оператор вышел из системы."),
    "agent_paused": ("Agent paused.", "Оператор на паузе."),
    "agent_unpaused": ("Agent unpaused.", "Пауза снята."),
    "enter_pin": (
        "Enter your agent PIN, followed by the hash key.",
        "Введите ПИН-код оператора и нажмите решётку.",
    ),
    "invalid_entry": ("Invalid entry.", "Неверный ввод."),
}

UNITS_EN = {"minute": "minute", "minutes": "minutes", "second": "second", "seconds": "seconds"}
UNITS_RU = {
    "minute_one": "минута",
    "minute_few": "минуты",
    "minute_many": "минут",
    "second_one": "секунда",
    "second_few": "секунды",
    "second_many": "секунд",
}
RU_FEMININE = {"1f": "одна", "2f": "две"}


def number_names() -> list[int]:
    """0-19, the tens and the hundreds: enough to say 0 to 999 word by word."""
    return [*range(20), *range(20, 100, 10), *range(100, 1000, 100)]


def speak(text: str, voice: str, target: Path, work: Path) -> None:
    """Speak ``text`` with espeak-ng and store it trimmed as 8 kHz mono 16-bit."""
    raw = work / "raw.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "170", "-w", str(raw), text], check=True)
    trim = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"]
    subprocess.run(
        [
            "sox",
            "-G",
            str(raw),
            "-r",
            str(RATE),
            "-c",
            "1",
            "-b",
            "16",
            str(target),
            *trim,
            "pad",
            "0",
            "0.1",
        ],
        check=True,
    )


def language_texts(index: int) -> dict[str, str]:
    texts = {name: pair[index] for name, pair in PHRASES.items()}
    texts.update({str(n): str(n) for n in number_names()})
    texts.update(UNITS_RU if index else UNITS_EN)
    if index:
        texts.update(RU_FEMININE)
    return texts


def music_on_hold(seconds: float = 20.0) -> np.ndarray:
    """Soft sustained triads (I-vi-IV-V in C), each fading in and out, as a seamless loop."""
    chords = [
        (261.63, 329.63, 392.0),
        (220.0, 261.63, 329.63),
        (174.61, 220.0, 261.63),
        (196.0, 246.94, 293.66),
    ]
    length = int(seconds * RATE / len(chords))
    t = np.arange(length) / RATE
    envelope = np.sin(np.pi * np.arange(length) / length) ** 0.5
    parts = []
    for chord in chords:
        wave_sum = sum(np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t) for f in chord)
        parts.append(wave_sum * envelope)
    signal = np.concatenate(parts)
    return (signal / np.max(np.abs(signal)) * 6000).astype(np.int16)


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.astype("<i2").tobytes())


def main() -> int:
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        for index, (language, voice) in enumerate([("en", "en-us"), ("ru", "ru")]):
            folder = OUT / language
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in language_texts(index).items():
                speak(text, voice, folder / f"{name}.wav", work)
    write_wav(OUT / "moh.wav", music_on_hold())
    total = sum(path.stat().st_size for path in OUT.rglob("*.wav"))
    sys.stdout.write(f"prompts written to {OUT.name}/: {total / 1e6:.2f} MB\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
