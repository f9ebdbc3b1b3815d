"""AddressTurns: one sign-in check at a time per address, other addresses not held up, and
nothing kept once nobody waits."""

from __future__ import annotations

import asyncio

import pytest

from hotline.web.turns import AddressTurns

pytestmark = pytest.mark.asyncio


async def test_one_turn_at_a_time_per_address_and_none_kept_after() -> None:
    turns = AddressTurns()
    release = asyncio.Event()
    order: list[str] = []

    async def check(address: str, name: str, hold: bool) -> None:
        async with turns.turn(address):
            order.append(f"{name} in")
            if hold:
                await release.wait()
            order.append(f"{name} out")

    first = asyncio.create_task(check("192.0.2.7", "first", hold=True))
    second = asyncio.create_task(check("192.0.2.7", "second", hold=False))
    await asyncio.sleep(0)
    await check("198.51.100.1", "elsewhere", hold=False)  # not held up by 192.0.2.7
    assert order == ["first in", "elsewhere in", "elsewhere out"]
    assert len(turns) == 1
    release.set()
    await asyncio.gather(first, second)
    assert order[3:] == ["first out", "second in", "second out"]
    assert len(turns) == 0


async def test_a_failing_check_gives_its_turn_up() -> None:
    turns = AddressTurns()
    with pytest.raises(RuntimeError):
        async with turns.turn("192.0.2.7"):
            raise RuntimeError("the database went away")
    async with turns.turn("192.0.2.7"):
        assert len(turns) == 1
    assert len(turns) == 0
