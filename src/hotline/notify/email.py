"""Email out through an SMTP server (aiosmtplib): the message built from an outbox row, its
Message-ID made from the row's idempotency key, so a message sent again after a crash in the
moment between the server's 250 and the row's mark is recognisably the same message."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

__all__ = ["Email", "SmtpSender", "SmtpSettings", "message_id"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "hotline@localhost"
    timeout: float = 15.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Email:
    """A message ready to send; ``attachments`` are (filename, MIME type, bytes)."""

    to: Sequence[str]
    subject: str
    text: str
    html: str | None = None
    attachments: Sequence[tuple[str, str, bytes]] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "to": list(self.to), "subject": self.subject, "text": self.text, "html": self.html,
            "attachments": [[name, kind, base64.b64encode(data).decode()]
                            for name, kind, data in self.attachments],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Email:
        attachments = [
            (str(name), str(kind), base64.b64decode(str(content)))
            for name, kind, content in data.get("attachments", [])  # type: ignore[attr-defined]
        ]
        return cls(
            to=[str(address) for address in data["to"]],  # type: ignore[attr-defined]
            subject=str(data["subject"]),
            text=str(data["text"]),
            html=None if data.get("html") is None else str(data["html"]),
            attachments=attachments,
        )


def message_id(key: str, sender: str) -> str:
    """The same key gives the same Message-ID (RFC 5322 §3.6.4), in the sender's domain."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    domain = sender.rpartition("@")[2] or "hotline.local"
    return f"<{digest}@{domain}>"


class SmtpSender:
    """Sends one message per call; raises on any refusal or network failure."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def build(self, email: Email, *, key: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = ", ".join(email.to)
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = message_id(key, self.settings.sender)
        message.set_content(email.text)
        if email.html is not None:
            message.add_alternative(email.html, subtype="html")
        for name, kind, data in email.attachments:
            main, _, sub = kind.partition("/")
            message.add_attachment(data, maintype=main, subtype=sub or "octet-stream",
                                   filename=name)  # fmt: skip
        return message

    async def send(self, email: Email, *, key: str) -> None:
        settings = self.settings
        await aiosmtplib.send(
            self.build(email, key=key),
            hostname=settings.host,
            port=settings.port,
            start_tls=settings.starttls,
            username=settings.username,
            password=settings.password,
            timeout=settings.timeout,
        )
