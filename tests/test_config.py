"""Configuration files: valid ones load, bad ones are refused with the key and the reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hotline.acd import QueueId
from hotline.config import ConfigError, parse_config, parse_host_port
from hotline.demo import demo_config
from hotline.pbx.features.queue_engine import build_engine

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


def test_queue_retry_after_miss_defaults_to_5_and_reaches_the_engine() -> None:
    config = parse_config(
        '[[queues]]\nnumber = "800"\n[[queues]]\nnumber = "801"\nretry_after_miss = 0\n'
    )
    assert [q.retry_after_miss for q in config.queues] == [5.0, 0.0]
    engine = build_engine(config)
    assert engine.queue_config(QueueId("801")).retry_after_miss == 0.0
    assert engine.queue_config(QueueId("800")).retry_after_miss == 5.0


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
        (
            '[[extensions]]\nnumber = "101"\npassword = "abcdefgh"\nring_timeout = 2\n',
            "extensions[0].ring_timeout: Input should be greater than or equal to 5",
        ),
        ('[media]\nrtp_ports = "30000-20000"\n', "media.rtp_ports"),
        ("[media]\nworker_process = 3\n", "media.worker_process"),
        ('[security]\ndigest_algorithms = ["SHA-1"]\n', "security.digest_algorithms[0]"),
        ("[security]\nmin_register_expires = 7200\n", "min_register_expires <="),
        ("[security]\nbackoff_seconds = 700\n", "backoff_seconds <= ban_seconds"),
        ("[security]\nscan_users = 1\n", "security.scan_users"),
        (
            '[[extensions]]\nnumber = "101"\npassword = "abcdefgh"\ndigest_algorithms = []\n',
            "extensions[0].digest_algorithms",
        ),
        ('[[queues]]\nnumber = "800"\nstrategy = "fastest"\n', "unknown strategy 'fastest'"),
        ('[[queues]]\nnumber = "800"\nagents = ["101"]\n', "101 is not an agent extension"),
        ('[[queues]]\nnumber = "800"\nfailover = "999"\n', "failover 999 is unknown"),
        ('[[queues]]\nnumber = "800"\nlanguage = "fr"\n', "queues[0].language"),
        (
            '[[queues]]\nnumber = "800"\nretry_after_miss = -1\n',
            "queues[0].retry_after_miss: Input should be greater than or equal to 0",
        ),
        ('[[trunks]]\nname = "t"\nfrom = ["10.0.0.300/8"]\n', "trunks[0].from"),
        ('[[trunks]]\nname = "t"\nfrom = ["10.0.0.0/8"]\ndid = {"1" = "2"}\n', "unknown 2"),
        ('[features]\nagent_login = "62"\n', "features.agent_login"),
        ("[limits]\nmax_calls = -1\n", "limits.max_calls: Input should be greater than"),
        ('[limits]\nmax_calls_per_second = "fast"\n', "limits.max_calls_per_second"),
        ("[limits]\nmax_cals = 10\n", "limits.max_cals: Extra inputs"),
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


def test_wallboard_section_is_optional_and_old_files_keep_working() -> None:
    wallboard = parse_config(GOOD).wallboard
    assert wallboard.theme == "dark"
    assert wallboard.tiles[:3] == ["waiting", "longest_wait", "service_level"]
    assert wallboard.waiting_warning <= wallboard.waiting_alert
    assert wallboard.logo is None


def test_wallboard_section_loads_every_key(tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    config = parse_config(
        f'[wallboard]\ntitle = "Acme support"\nlogo = "{logo}"\ntheme = "light"\n'
        'tiles = ["service_level", "waiting"]\nshow_agents = false\n'
        "waiting_warning = 2\nwaiting_alert = 2\nlongest_wait_warning = 15\n"
        "longest_wait_alert = 45.5\nservice_level_target = 90\n"
        '[wallboard.colors]\nalert = "#C00"\non_call = "#1e90ff"\n'
    )
    wallboard = config.wallboard
    assert (wallboard.title, wallboard.logo) == ("Acme support", str(logo))
    assert wallboard.theme == "light"
    assert wallboard.tiles == ["service_level", "waiting"]
    assert not wallboard.show_agents
    assert (wallboard.waiting_alert, wallboard.longest_wait_alert) == (2, 45.5)
    assert wallboard.service_level_target == 90
    assert (wallboard.colors.alert, wallboard.colors.on_call) == ("#C00", "#1e90ff")
    assert wallboard.colors.available == "#2fbf71"  # unset colours keep their default


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('theme = "blue"', "wallboard.theme: Input should be 'dark' or 'light'"),
        ('tiles = ["waiting", "queue_depth"]', "wallboard.tiles[1]: Input should be 'waiting'"),
        ('tiles = ["waiting", "waiting"]', "wallboard.tiles: Value error, tile listed twice"),
        ("tiles = []", "wallboard.tiles: List should have at least 1 item"),
        ("waiting_warning = 0", "wallboard.waiting_warning: Input should be greater than or"),
        ("waiting_warning = 9\nwaiting_alert = 4", "need waiting_warning <= waiting_alert, got 9"),
        ("longest_wait_warning = 90", "need longest_wait_warning <= longest_wait_alert"),
        ("longest_wait_alert = -1", "wallboard.longest_wait_alert: Input should be greater"),
        ("service_level_target = 0.8", "a percentage from 1 to 100 (80 means 80 %), got 0.8"),
        ("service_level_target = 120", "wallboard.service_level_target: Input should be less"),
        ('logo = "missing.png"', "wallboard.logo: Value error, no such file: 'missing.png'"),
        ('logo = "notes.txt"', "expected an image file (.png, .jpg, .jpeg, .gif, .svg, .webp)"),
        ("title = '" + "x" * 81 + "'", "wallboard.title: String should have at most 80"),
        ('fonts = "Comic"', "wallboard.fonts: Extra inputs are not permitted"),
        ('[wallboard.colors]\nalert = "red"', "wallboard.colors.alert: String should match"),
        ('[wallboard.colors]\nidle = "#fff"', "wallboard.colors.idle: Extra inputs"),
    ],
)
def test_bad_wallboard_section_names_key_and_problem(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"[wallboard]\n{text}\n", "test.toml")
    assert expected in str(caught.value)


def _hotline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", *args], capture_output=True, text=True, timeout=30
    )


def test_check_sums_up_a_good_file_and_hides_the_database_password(tmp_path: Path) -> None:
    path = tmp_path / "hotline.toml"
    path.write_text(
        GOOD + '[database]\nurl = "postgresql+asyncpg://hotline:pa55word@db.example/hotline"\n'
        '[[extensions]]\nnumber = "102"\npassword = "s3cret-102"\nagent = true\n'
        '[[queues]]\nnumber = "800"\nname = "Support"\nagents = ["102"]\n'
        '[[users]]\nname = "root"\npassword = "long-enough"\nrole = "admin"\n'
        '[[users]]\nname = "sue"\npassword = "long-enough"\nrole = "supervisor"\n'
        'queues = ["800"]\n'
    )
    result = _hotline("check", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert "2 web users (admin, supervisor)" in result.stdout
    assert "valid" in result.stdout
    assert "2 extensions (1 agents), 1 queues, 0 trunks" in result.stdout
    assert "queue 800 Support: ring_all, 1 agents, priority 0" in result.stdout
    assert "db.example" in result.stdout and "pa55word" not in result.stdout


def test_check_reports_a_bad_file_key_by_key(tmp_path: Path) -> None:
    path = tmp_path / "hotline.toml"
    path.write_text('[server]\ndomain = ""\n[limits]\nmax_calls = -5\n')
    result = _hotline("check", "--config", str(path))
    assert result.returncode == 2 and not result.stdout
    assert "server.domain" in result.stderr and "limits.max_calls" in result.stderr


USER_CONFIG = """
[[extensions]]
number = "101"
password = "s3cret-101"
agent = true

[[extensions]]
number = "200"
password = "s3cret-200"

[[queues]]
number = "800"
agents = ["101"]
"""


@pytest.mark.parametrize(
    ("users", "problem"),
    [
        ('name = "a"\nrole = "admin"', "give exactly one of password and password_hash"),
        ('name = "a"\nrole = "admin"\npassword = "long-enough"\npassword_hash = "$argon2id$x"',
         "give exactly one of password and password_hash"),
        ('name = "a"\nrole = "admin"\npassword = "short"', "at least 8 characters"),
        ('name = "a"\nrole = "admin"\npassword_hash = "plain"', "should match pattern"),
        ('name = "a"\nrole = "boss"\npassword = "long-enough"', "users[0].role"),
        ('name = "a"\nrole = "agent"\nextension = "200"\npassword = "long-enough"',
         "user a: extension 200 is not an agent extension"),
        ('name = "a"\nrole = "supervisor"\nqueues = ["801"]\npassword = "long-enough"',
         "user a: unknown queue 801"),
        ('name = "a"\nrole = "wallboard"\npassword = "long-enough"',
         "user a: a wallboard needs at least one queue"),
        ('name = "a b"\nrole = "admin"\npassword = "long-enough"', "users[0].name"),
    ],
)  # fmt: skip
def test_users_are_checked_against_the_configuration(users: str, problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(USER_CONFIG + "[[users]]\n" + users + "\n")
    assert problem in str(error.value)


def test_a_user_name_is_listed_once() -> None:
    user = '[[users]]\nname = "a"\nrole = "admin"\npassword = "long-enough"\n'
    with pytest.raises(ConfigError, match="user a is listed twice"):
        parse_config(USER_CONFIG + user + user)


def test_notifications_default_to_five_minutes_and_no_rules() -> None:
    config = parse_config(GOOD)
    assert config.notifications.min_interval == 300
    assert config.notifications.rules == []
    assert config.smtp.port == 25 and config.server.public_url is None


def test_short_abandon_seconds_reach_the_engine() -> None:
    config = parse_config('[[queues]]\nnumber = "800"\nshort_abandon_seconds = 8\n')
    assert build_engine(config).queue_config(QueueId("800")).short_abandon_seconds == 8.0


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ('queues = ["801"]', "notifications.rules[0]: unknown queue 801"),
        ('users = ["nobody"]', "notifications.rules[0]: unknown user nobody"),
        ('webhooks = ["crm"]', "notifications.rules[0]: unknown webhook crm"),
        ('kinds = ["lost_cal"]', "notifications.rules[0].kinds[0]"),
        ('emails = ["not an address"]', "notifications.rules[0].emails[0]"),
    ],
)
def test_notification_rules_are_checked_against_the_configuration(rule: str, problem: str) -> None:
    text = f'[[queues]]\nnumber = "800"\n\n[[notifications.rules]]\n{rule}\n'
    with pytest.raises(ConfigError) as error:
        parse_config(text)
    assert problem in str(error.value)


def test_a_webhook_needs_a_long_secret() -> None:
    hook = 'name = "crm"\nurl = "https://crm.example.com/h"\nsecret = "x"\n'
    with pytest.raises(ConfigError, match=r"notifications\.webhooks\[0\]\.secret"):
        parse_config("[[notifications.webhooks]]\n" + hook)


PAUSE_LABELS = """
[agents]
pause_reasons = { "2" = "lunch", "4" = "smoke" }

[agents.pause_labels.ru]
smoke = "Перекур"
pause = "Другое"

[agents.pause_labels.en]
lunch = "Lunch break"
"""


def test_pause_labels_load_by_language() -> None:
    agents = parse_config(PAUSE_LABELS).agents
    assert agents.pause_labels == {
        "ru": {"smoke": "Перекур", "pause": "Другое"},
        "en": {"lunch": "Lunch break"},
    }
    assert agents.reason_names() == {"lunch", "smoke", "pause", "auto"}
    assert parse_config(GOOD).agents.pause_labels == {}


@pytest.mark.parametrize(
    ("labels", "problem"),
    [
        (
            '[agents.pause_labels.ru]\nsmoke = "Перекур"\n',
            "agents: Value error, pause_labels.ru: smoke is not a pause reason "
            "(one of: auto, break, lunch, pause, training)",
        ),
        ('[agents.pause_labels.de]\nlunch = "Mittag"\n', "agents.pause_labels.de.[key]"),
        ('[agents.pause_labels.ru]\nlunch = ""\n', "agents.pause_labels.ru.lunch"),
        ('[agents.pause_labels]\nru = "Обед"\n', "agents.pause_labels.ru"),
    ],
)
def test_pause_labels_name_a_language_and_a_configured_reason(labels: str, problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(labels)
    assert problem in str(error.value)
