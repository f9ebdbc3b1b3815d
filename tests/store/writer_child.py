"""A process that runs the event writer under steady traffic until it is killed.

Run by ``test_kill.py``: ``python writer_child.py <database url> <journal file>``. Each call
goes through a queue and ends at once; after publishing, the child notes in the journal
what it published and when (``E call_id time`` for a call ended, ``Q serial time`` for a
queue event), written line by line so the journal survives the SIGKILL the store must
survive too.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from hotline.events import CallEnded, CallStarted, EventBus, QueueCallConnected, QueueEventLogged
from hotline.store import Store


def publish_call(bus: EventBus, serial: int, journal: TextIO) -> None:
    call_id, now = f"call-{serial}", time.time()
    bus.publish(CallStarted(call_id=call_id, caller="0601", destination="500", at=now))
    for verb in ("ENTERQUEUE", "CONNECT"):
        bus.publish(QueueEventLogged(at=now, verb=verb, call_id=call_id, queue="sales",
                                     detail=f"{serial}-{verb}"))  # fmt: skip
        journal.write(f"Q {serial}-{verb} {now}\n")
    bus.publish(QueueCallConnected(call_id=call_id, queue="sales", agent="201",
                                   wait_seconds=0.0, at=now))  # fmt: skip
    bus.publish(CallEnded(call_id=call_id, cause="normal", at=now))
    journal.write(f"E {call_id} {now}\n")


async def main(url: str, journal_path: str) -> None:
    store = await Store.open(url, now=time.time())
    bus = EventBus()
    store.start(bus)
    with open(journal_path, "w", buffering=1) as journal:
        journal.write("ready\n")
        serial = 0
        while True:
            publish_call(bus, serial, journal)
            serial += 1
            await asyncio.sleep(0.002)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
