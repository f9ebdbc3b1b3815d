"""Webhooks out: a JSON POST signed with HMAC-SHA256 (the receiver checks it with the
webhook's secret), with a timestamp inside the signature against replays, and the outbox
key as ``Idempotency-Key`` so a receiver can drop a repeat."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import httpx

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Webhook",
    "WebhookSender",
    "sign",
    "verify",
]

TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"
TOLERANCE = 300.0  # seconds a receiver accepts between the timestamp and its clock


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    name: str
    url: str
    secret: str


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``<timestamp>.<body>`` under ``secret``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, signature: str, body: bytes, *, now: float) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


class WebhookSender:
    """POSTs one body per call; raises on a network failure or an answer other than 2xx.
    One HTTP client for the sender's life keeps connections to receivers open between
    messages (a digest a minute to the same CRM is the common case); ``close`` ends it."""

    def __init__(self, *, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(self, webhook: Webhook, body: bytes, *, key: str, now: float) -> None:
        timestamp = int(now)
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(webhook.secret, timestamp, body),
            "Idempotency-Key": key,
        }
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        response = await self._client.post(webhook.url, content=body, headers=headers)
        response.raise_for_status()
