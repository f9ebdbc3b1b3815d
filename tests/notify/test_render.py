"""What a notification's email says: the title of what happened, in the recipient's language."""

from __future__ import annotations

from hotline.notify.notices import Notice
from hotline.notify.render import render


def test_a_cleared_system_problem_says_it_is_over_in_both_languages() -> None:
    facts = {"check": "database", "problem": "the database refuses writes"}
    notice = Notice(kind="system", key="system:1", at=1.8e9, phase="cleared", facts=facts)
    english = render([notice], language="en", queue_names={}, public_url=None)
    russian = render([notice], language="ru", queue_names={}, public_url=None)
    assert english.subject == "[Hotline] System problem over"
    assert russian.subject == "[Hotline] Проблема в системе устранена"
    assert "the database refuses writes" in english.text
