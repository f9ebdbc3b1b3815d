"""``hotline serve`` started with the usual low soft limit of open files raises it to the hard
limit, for the media process too: every call holds sockets, and at 1024 calls past a couple of
hundred would get 503. A hard limit too low for the RTP port range is logged."""

from __future__ import annotations

import re
from pathlib import Path

from hotline.testing.harness import start_hotline


def _open_file_limits(pid: int) -> tuple[int, int]:
    text = Path(f"/proc/{pid}/limits").read_text()
    found = re.search(r"^Max open files\s+(\d+)\s+(\d+)", text, re.MULTILINE)
    assert found, text
    return int(found[1]), int(found[2])


def test_the_soft_limit_is_raised_to_the_hard_one_in_both_processes(tmp_path: Path) -> None:
    server = start_hotline(
        tmp_path,
        extra='[media]\nrtp_ports = "20000-29999"\nworker_process = true\n',
        open_files=(100, 1024),
    )
    try:
        media_pid = int(re.findall(r"media runs in process (\d+)", server.log_text())[0])
        assert _open_file_limits(server.process.pid) == (1024, 1024)
        assert _open_file_limits(media_pid) == (1024, 1024)
        log = server.log_text()
        assert "open-file limit 1024" in log
        # 10,000 ports are 2,500 calls; 1024 files hold about (1024 - 200) / 6.
        assert "the open-file limit (1024) holds about 137 calls, fewer than the RTP" in log
    finally:
        assert server.stop() == 0, server.log_text()
