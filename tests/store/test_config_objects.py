"""Configuration objects: JSON by kind and key, with a version that refuses stale writes."""

from __future__ import annotations

import pytest

from hotline.store import ConfigObjects, Database, JsonValue, StaleVersion

QUEUE: JsonValue = {"name": "Support", "strategy": "longest-idle", "members": ["201", "202"],
                    "service_level": {"seconds": 20, "target": 0.8}, "music": None}  # fmt: skip


async def test_put_creates_at_version_one_and_get_reads_it_back(database: Database) -> None:
    async with database.session() as session:
        stored = await ConfigObjects(session).put("queue", "support", QUEUE, version=None, now=10.0)
    assert (stored.version, stored.created_at, stored.updated_at) == (1, 10.0, 10.0)
    async with database.session() as session:  # another session: it was committed
        read = await ConfigObjects(session).get("queue", "support")
    assert read is not None
    assert (read.kind, read.key, read.value, read.version) == ("queue", "support", QUEUE, 1)


async def test_a_put_at_the_current_version_replaces_and_counts_it(database: Database) -> None:
    async with database.session() as session:
        objects = ConfigObjects(session)
        await objects.put("queue", "support", QUEUE, version=None, now=10.0)
        read = await objects.get("queue", "support")
        assert read is not None
        stored = await objects.put("queue", "support", {"name": "Help"}, version=1, now=12.5)
        assert read.value == {"name": "Help"}  # an object read before shows the new value
    assert (stored.value, stored.version, stored.created_at, stored.updated_at) == (
        {"name": "Help"}, 2, 10.0, 12.5,
    )  # fmt: skip


async def test_a_put_with_a_stale_version_is_refused_and_changes_nothing(
    database: Database,
) -> None:
    async with database.session() as session:
        objects = ConfigObjects(session)
        await objects.put("queue", "support", QUEUE, version=None, now=10.0)
        await objects.put("queue", "support", {"name": "First editor"}, version=1, now=11.0)
        with pytest.raises(StaleVersion) as refused:
            await objects.put("queue", "support", {"name": "Second editor"}, version=1, now=12.0)
    assert (refused.value.expected, refused.value.current, refused.value.status_code) == (1, 2, 409)
    assert refused.value.details == {"kind": "queue", "key": "support", "expected": 1, "current": 2}
    async with database.session() as session:
        stored = await ConfigObjects(session).get("queue", "support")
    assert stored is not None
    assert (stored.value, stored.version) == ({"name": "First editor"}, 2)


async def test_creating_what_exists_or_updating_what_does_not_is_refused(
    database: Database,
) -> None:
    async with database.session() as session:
        objects = ConfigObjects(session)
        await objects.put("queue", "support", QUEUE, version=None, now=10.0)
        with pytest.raises(StaleVersion) as exists:
            await objects.put("queue", "support", {}, version=None, now=11.0)
        with pytest.raises(StaleVersion) as missing:
            await objects.put("queue", "sales", {}, version=1, now=11.0)
        # The session is still usable after a refusal.
        assert [o.key for o in await objects.list("queue")] == ["support"]
    assert (exists.value.expected, exists.value.current) == (None, 1)
    assert (missing.value.expected, missing.value.current) == (1, None)


async def test_list_holds_one_kind_by_key_and_any_json_value(database: Database) -> None:
    values: dict[str, JsonValue] = {"b": [1, 2.5, "x"], "a": "text", "c": None, "d": True}
    async with database.session() as session:
        objects = ConfigObjects(session)
        for key, value in values.items():
            await objects.put("ivr", key, value, version=None, now=1.0)
        await objects.put("queue", "a", QUEUE, version=None, now=1.0)
    async with database.session() as session:
        listed = await ConfigObjects(session).list("ivr")
        assert await ConfigObjects(session).list("extension") == []
    assert [(o.key, o.value) for o in listed] == sorted(values.items())


async def test_delete_needs_the_current_version(database: Database) -> None:
    async with database.session() as session:
        objects = ConfigObjects(session)
        await objects.put("queue", "support", QUEUE, version=None, now=10.0)
        await objects.put("queue", "support", QUEUE, version=1, now=11.0)
        with pytest.raises(StaleVersion):
            await objects.delete("queue", "support", version=1)
        assert await objects.get("queue", "support") is not None
        await objects.delete("queue", "support", version=2)
    async with database.session() as session:
        objects = ConfigObjects(session)
        assert await objects.get("queue", "support") is None
        with pytest.raises(StaleVersion) as gone:
            await objects.delete("queue", "support", version=2)
        # Deleted, the key can be created anew, from version 1.
        again = await objects.put("queue", "support", {}, version=None, now=20.0)
    assert gone.value.current is None
    assert (again.version, again.created_at) == (1, 20.0)
