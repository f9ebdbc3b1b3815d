"""Session tokens: opaque random strings; the database keeps only their SHA-256.

A stolen copy of the database then holds no usable token, and ending a session (sign-out, a
disabled user) is deleting its row: the next request with the token is refused at once.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["new_token", "token_digest"]


def new_token() -> str:
    """A fresh token: 256 random bits, URL-safe (it may travel in ``?token=``)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores and looks a token up by. A plain hash suffices: the token
    is random, so nothing can be guessed from it, unlike a password."""
    return hashlib.sha256(token.encode()).hexdigest()
