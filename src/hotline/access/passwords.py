"""Passwords, kept only as Argon2id hashes (argon2-cffi, with its recommended parameters).

Checking takes the same time whether the name exists or not: an unknown name is checked
against a hash of a password nobody has, so the answer's timing tells a guesser nothing.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["check_password", "hash_password", "is_password_hash"]

_hasher = PasswordHasher()
_NOBODY = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def is_password_hash(text: str) -> bool:
    """Whether ``text`` looks like a hash this module makes (for the configuration file)."""
    return text.startswith("$argon2")


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; ``None`` (no such user) takes as long
    and is always False."""
    try:
        return _hasher.verify(password_hash or _NOBODY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
