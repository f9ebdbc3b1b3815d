"""``hotline hash-password``: read a password from standard input, print its Argon2 hash for
``password_hash`` of a ``[[users]]`` entry (so the file need not hold the password itself).

    hotline hash-password < password.txt
    read -rs password; printf '%s' "$password" | hotline hash-password
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hotline.access import hash_password

MIN_LENGTH = 8


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "hash-password",
        help="print the hash of a password read from standard input",
        description="Read a password from standard input (its first line) and print its "
        "Argon2 hash, for password_hash in [[users]].",
    )
    parser.set_defaults(run=run)


def run(_args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_LENGTH:
        sys.stderr.write(f"a password needs at least {MIN_LENGTH} characters\n")
        return 2
    sys.stdout.write(hash_password(password) + "\n")
    return 0
