"""Emails of a running node follow each user's scope as it is now: a supervisor moved to
another queue through the API stops hearing of the old one and hears of the new one; a
disabled user hears nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from hotline.store import OutboxMessage
from hotline.testing.mail import SmtpReceiver

from .support import eventually, running_node, sign_in
from .test_notifications import lose


def extra(port: int) -> str:
    return f"""
[[users]]
name = "maria"
password = "password-maria"
role = "supervisor"
queues = ["800"]
email = "maria@example.com"
language = "ru"

[smtp]
port = {port}

[notifications]
min_interval = 0.1

[[notifications.rules]]
kinds = ["lost_call"]
users = ["maria"]
"""


def numbers(smtp: SmtpReceiver) -> list[str]:
    return [
        line.split(": ", 1)[1]
        for message in smtp.messages
        for line in message.get_body(("plain",)).get_content().splitlines()  # type: ignore[union-attr]
        if line.startswith("Абонент: ")
    ]


async def test_emails_follow_the_scope_as_an_admin_changes_it(
    tmp_path: Path, smtp: SmtpReceiver
) -> None:
    async with running_node(tmp_path, extra=extra(smtp.port)) as node:
        lose(node, "800", "mail-1", "+74950001001")
        lose(node, "801", "mail-2", "+74950001002")
        await eventually(lambda: _async(numbers(smtp) == ["+74950001001"]))
        assert smtp.messages[0]["X-Envelope-To"] == "maria@example.com"
        assert "Потерянный звонок" in str(smtp.messages[0]["Subject"])

        moved = await node.http.patch("/api/users/maria", json={"queues": ["801"]})
        assert moved.status_code == 200, moved.text
        lose(node, "800", "mail-3", "+74950001003")
        lose(node, "801", "mail-4", "+74950001004")
        await eventually(lambda: _async("+74950001004" in numbers(smtp)))
        assert "+74950001003" not in numbers(smtp)

        disabled = await node.http.patch("/api/users/maria", json={"disabled": True})
        assert disabled.status_code == 200, disabled.text
        lose(node, "801", "mail-5", "+74950001005")
        lose(node, "801", "mail-6", "+74950001006")
        # A message is written with its notification: once listed, none is on its way.
        assert await eventually(lambda: _listed(node, "+74950001006"))
        async with node.hotline.store.database.session() as session:  # type: ignore[union-attr]
            rows = await session.scalar(
                select(func.count()).where(OutboxMessage.recipient == "maria@example.com")
            )
        assert rows == 2
        assert numbers(smtp) == ["+74950001001", "+74950001004"]


async def _async(value: bool) -> bool:
    return value


async def _listed(node: object, number: str) -> bool:
    answer = await node.http.get("/api/notifications?kind=lost_call")  # type: ignore[attr-defined]
    return any(item["facts"]["number"] == number for item in answer.json()["items"])


async def test_a_supervisor_made_through_the_api_gets_its_emails_where_the_admin_says(
    tmp_path: Path, smtp: SmtpReceiver
) -> None:
    """The email a user has is the one stored: set at creation, changed, shown, validated."""
    async with running_node(tmp_path, extra=extra(smtp.port)) as node:
        bad = {"name": "olga", "password": "password-olga", "role": "supervisor",
               "queues": ["800"], "email": "not an address"}  # fmt: skip
        assert (await node.http.post("/api/users", json=bad)).status_code == 422
        made = await node.http.post("/api/users", json=bad | {"email": "olga@example.com"})
        assert made.status_code == 201, made.text
        assert made.json()["email"] == "olga@example.com"
        rule = {"kinds": ["lost_call"], "users": ["olga"]}
        put = await node.http.put("/api/notifications/rules", json={"rules": [rule]})
        assert put.status_code == 200, put.text  # a user made through the API may be named
        lose(node, "800", "api-1", "+74950002001")
        await eventually(lambda: _async(len(smtp.messages) == 1))
        assert smtp.messages[0]["X-Envelope-To"] == "olga@example.com"
        assert "Lost call" in str(smtp.messages[0]["Subject"])

        moved = await node.http.patch("/api/users/olga", json={"email": "o.k@example.org"})
        assert moved.status_code == 200, moved.text
        listed = (await node.http.get("/api/users")).json()
        assert {u["name"]: u["email"] for u in listed}["olga"] == "o.k@example.org"
        token = await sign_in(node.http, "olga")
        me = await node.http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["email"] == "o.k@example.org"
        lose(node, "800", "api-2", "+74950002002")
        await eventually(lambda: _async(len(smtp.messages) == 2))
        assert smtp.messages[1]["X-Envelope-To"] == "o.k@example.org"

        cleared = await node.http.patch("/api/users/olga", json={"email": None})
        assert cleared.json()["email"] is None
        lose(node, "800", "api-3", "+74950002003")
        assert await eventually(lambda: _listed(node, "+74950002003"))
        assert len(smtp.messages) == 2
