"""baresip 1.0 (Debian's softphone) registers with the default configuration (issue 15): its
library answers no challenge set that holds an algorithm it does not know, so Hotline offers
MD5 alone unless configured otherwise. (The full baresip interop suite lives elsewhere.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hotline.testing.harness import HotlineProcess, baresip_ports, start_hotline

# Another extension on SHA-256 (per extension) changes nothing for 101's phone.
SHA_FOR_ANOTHER = """
[[extensions]]
number = "103"
password = "s3cret-103"
digest_algorithms = ["SHA-256", "MD5"]
"""


def baresip_register(config_dir: Path, hotline: HotlineProcess) -> str:
    """Start baresip as 101 for a few seconds; what it printed."""
    program = shutil.which("baresip")
    if program is None:
        pytest.skip("baresip is missing: apt-get install baresip-core (.ci/run does)")
    config_dir.mkdir()
    (config_dir / "config").write_text(
        f"poll_method epoll\nsip_listen 127.0.0.1:{baresip_ports()[0]}\n"
        "net_interface 127.0.0.1\nmodule_path /usr/lib/baresip/modules\n"
        "module g711.so\nmodule_app account.so\n"
    )
    (config_dir / "accounts").write_text(
        f'<sip:101@hotline.local>;auth_pass=s3cret-101;outbound="sip:127.0.0.1:'
        f'{hotline.sip_port}";regint=60\n'
    )
    command = [program, "-f", str(config_dir), "-t", "4"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    return done.stdout + done.stderr


def test_baresip_registers_with_the_default_digest(hotline: HotlineProcess, tmp_path: Path) -> None:
    output = baresip_register(tmp_path / "baresip", hotline)
    assert "101@hotline.local: {0/UDP/v4} 200 OK" in output, output


def test_sha256_for_another_extension_leaves_baresip_alone(tmp_path: Path) -> None:
    server = start_hotline(tmp_path, extra=SHA_FOR_ANOTHER)
    try:
        output = baresip_register(tmp_path / "baresip", server)
        assert "101@hotline.local: {0/UDP/v4} 200 OK" in output, output
    finally:
        assert server.stop() == 0, server.log_text()
