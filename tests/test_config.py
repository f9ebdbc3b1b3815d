"""Configuration files: valid ones load, bad ones are refused with the key and the reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hotline.config import ConfigError, demo_config, parse_config, parse_host_port

GOOD = """
[server]
sip_listen = "[::1]:5070"
domain = "example.org"

[[extensions]]
number = "101"
password = "s3cret-101"
"""


def test_good_file_loads_with_defaults() -> None:
    config = parse_config(GOOD)
    assert config.server.domain == "example.org"
    assert parse_host_port(config.server.sip_listen) == ("::1", 5070)
    assert config.server.http_listen == "127.0.0.1:8080"
    assert [e.number for e in config.extensions] == ["101"]


def test_demo_config_has_shared_agents_and_a_priority_queue() -> None:
    config = demo_config()
    agents = [e.number for e in config.extensions if e.agent]
    assert len(agents) == 6
    support, vip = config.queues
    assert set(support.agents) & set(vip.agents)
    assert vip.priority > support.priority
    assert {support.language, vip.language} == {"en", "ru"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[server\n", "not valid TOML"),
        ('[server]\nsip_listen = "localhost"\n', "server.sip_listen"),
        ('[server]\nsip_listen = "1.2.3.4:99999"\n', "invalid port"),
        ('[server]\nsip_lisen = "1.2.3.4:5060"\n', "server.sip_lisen: Extra inputs"),
        ('[[extensions]]\nnumber = "101"\n', "extensions[0].password: Field required"),
        ('[[extensions]]\nnumber = "1x"\npassword = "abcdefgh"\n', "extensions[0].number"),
        (
            '[[extensions]]\nnumber = "101"\npassword = "abcdefgh"\n'
            '[[extensions]]\nnumber = "101"\npassword = "abcdefgh"\n',
            "number 101 is used by both extension and extension",
        ),
        ('[media]\nrtp_ports = "30000-20000"\n', "media.rtp_ports"),
        ('[security]\ndigest_algorithms = ["SHA-1"]\n', "security.digest_algorithms[0]"),
        ("[security]\nmin_register_expires = 7200\n", "min_register_expires <="),
        ('[[queues]]\nnumber = "800"\nstrategy = "fastest"\n', "unknown strategy 'fastest'"),
        ('[[queues]]\nnumber = "800"\nagents = ["101"]\n', "101 is not an agent extension"),
        ('[[queues]]\nnumber = "800"\nfailover = "999"\n', "failover 999 is unknown"),
        ('[[queues]]\nnumber = "800"\nlanguage = "fr"\n', "queues[0].language"),
        ('[[trunks]]\nname = "t"\nfrom = ["10.0.0.300/8"]\n', "trunks[0].from"),
        ('[[trunks]]\nname = "t"\nfrom = ["10.0.0.0/8"]\ndid = {"1" = "2"}\n', "unknown 2"),
        ('[features]\nagent_login = "62"\n', "features.agent_login"),
        (
            '[[extensions]]\nnumber = "800"\npassword = "abcdefgh"\n[[queues]]\nnumber = "800"\n',
            "number 800 is used by both extension and queue",
        ),
    ],
)
def test_bad_file_names_key_and_problem(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "test.toml")
    assert expected in str(caught.value)


def test_serve_refuses_bad_file_without_starting(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[server]\ndomain = ""\n')
    result = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "server.domain" in result.stderr


def test_serve_reports_missing_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "serve", "--config", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "cannot read" in result.stderr
