"""Password hashes and the ``hotline hash-password`` command."""

from __future__ import annotations

import subprocess
import sys

from hotline.access import check_password, hash_password, is_password_hash, new_token, token_digest


def test_a_hash_checks_its_password_only() -> None:
    stored = hash_password("correct horse")
    assert is_password_hash(stored) and "correct horse" not in stored
    assert check_password(stored, "correct horse")
    assert not check_password(stored, "correct horsE")
    assert not check_password(None, "correct horse")  # no such user: never a match
    assert not check_password("not a hash", "correct horse")


def test_tokens_are_random_and_stored_by_digest() -> None:
    first, second = new_token(), new_token()
    assert first != second and len(first) >= 43
    assert token_digest(first) == token_digest(first) != token_digest(second)
    assert first not in token_digest(first)


def _hash_password(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", "hash-password"],
        input=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_hash_password_command_prints_a_hash_of_standard_input() -> None:
    result = _hash_password("my password 1\n")
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip()
    assert printed.startswith("$argon2id$") and "\n" not in printed
    assert check_password(printed, "my password 1")  # the newline is not part of it


def test_hash_password_command_refuses_a_short_password() -> None:
    result = _hash_password("short\n")
    assert result.returncode == 2 and result.stdout == ""
    assert "at least 8 characters" in result.stderr
