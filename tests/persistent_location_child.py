"""A process that registers and unregisters phones until it is killed.

Run by ``test_persistent_location.py``:
``python persistent_location_child.py <data dir> <journal file>``.
It registers a new AOR every 2 ms and unregisters every third one a little later, noting in
the journal what it did and when (``R aor time``, ``U aor time``), line by line so the
journal survives the SIGKILL the bindings must survive too.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from hotline.persistent_location import PersistentLocation
from hotline.sip import Binding, NameAddress, Peer
from hotline.store import Database

DOMAIN = "hotline.local"
SOURCE = Peer(transport="UDP", host="192.0.2.10", port=5060)


def binding(serial: int, now: float) -> Binding:
    return Binding(
        aor=f"sip:{serial}@{DOMAIN}", contact=NameAddress.parse(f"<sip:{serial}@192.0.2.10>"),
        expires_at=now + 3600, call_id=f"reg-{serial}", cseq=1, q=1.0, source=SOURCE,
        registered_at=now,
    )  # fmt: skip


async def main(data_dir: str, journal_path: str) -> None:
    database = await Database.open(data_dir=Path(data_dir))
    location = PersistentLocation(domain=DOMAIN)
    await location.load(database, now=time.time())
    location.start()
    with open(journal_path, "w", buffering=1) as journal:
        journal.write("ready\n")
        serial = 0
        while True:
            now = time.time()
            new = binding(serial, now)
            location.apply(new.aor, upserts=[new], removals=())
            journal.write(f"R {new.aor} {now}\n")
            if serial % 3 == 0 and serial >= 30:
                gone = f"sip:{serial - 30}@{DOMAIN}"
                location.remove_all(gone)
                journal.write(f"U {gone} {now}\n")
            serial += 1
            await asyncio.sleep(0.002)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
