"""Hotline's configuration: a TOML file validated into typed settings.

Every key is checked; a bad file is reported as a list of precise problems
(``extensions[1].password: field required``) and the server does not start.
Later issues add sections; old files keep working.
"""

from __future__ import annotations

import ipaddress
import tomllib
import zoneinfo
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hotline.access import Role, user_problems
from hotline.notify.notices import KINDS, Kind

__all__ = [
    "AgentsConfig",
    "Config",
    "ConfigError",
    "DatabaseConfig",
    "ExtensionConfig",
    "FeaturesConfig",
    "LimitsConfig",
    "MediaConfig",
    "NotificationRuleConfig",
    "NotificationsConfig",
    "QueueConfig",
    "ReportScheduleConfig",
    "SecurityConfig",
    "ServerConfig",
    "SmtpConfig",
    "TrunkConfig",
    "UserConfig",
    "WallboardColors",
    "WallboardConfig",
    "WallboardTile",
    "WebhookConfig",
    "load_config",
    "parse_config",
    "parse_host_port",
]


class ConfigError(Exception):
    """A configuration file that cannot be used; ``problems`` says each thing wrong."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))

    def __str__(self) -> str:
        lines = [f"invalid configuration {self.source}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


def parse_host_port(text: str) -> tuple[str, int]:
    """Split ``"127.0.0.1:5060"`` or ``"[::1]:5060"`` into host and port, validating both."""
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ValueError(f"expected [ipv6]:port, got {text!r}")
        port_text = rest[1:]
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep or ":" in host:
            raise ValueError(f"expected host:port, got {text!r}")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not host or not all(part.isalnum() or "-" in part for part in host.split(".")):
            raise ValueError(f"invalid host {host!r}") from None
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"invalid port {port_text!r} (expected 0 to 65535)")
    return host, int(port_text)


class _Section(BaseModel):
    # Unknown keys are refused: a typo must not silently fall back to a default.
    model_config = ConfigDict(extra="forbid", frozen=True)


HostPort = Annotated[str, Field(description="host:port, IPv6 as [addr]:port")]


class ServerConfig(_Section):
    sip_listen: HostPort = "127.0.0.1:5060"
    http_listen: HostPort = "127.0.0.1:8080"
    data_dir: str = "./hotline-data"
    domain: str = Field("hotline.local", min_length=1)
    # The address people open Hotline at (https://hotline.example.com): links in emails.
    public_url: str | None = Field(None, pattern=r"^https?://[^\s]+$")
    # The site's time zone (IANA name): reports' days start at its midnight.
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name: Europe/Moscow)") from None
        return value

    @field_validator("sip_listen", "http_listen")
    @classmethod
    def _check_address(cls, value: str) -> str:
        parse_host_port(value)
        return value


DialNumber = Annotated[str, Field(pattern=r"^[0-9]{2,15}$", description="digits dialled")]
FeatureCode = Annotated[str, Field(pattern=r"^\*[0-9]{1,4}$", description="* and digits")]


DigestAlgorithmName = Literal["MD5", "SHA-256", "SHA-512-256"]


class ExtensionConfig(_Section):
    number: DialNumber
    name: str = ""
    password: str = Field(min_length=6)
    # Offered to this extension instead of [security] digest_algorithms: a phone that takes
    # SHA-256 gets it without the phones that do not seeing it. (It tells whoever asks for
    # this number that it is configured: see the README.)
    digest_algorithms: list[DigestAlgorithmName] | None = Field(None, min_length=1)
    agent: bool = False  # may log into queues
    always_logged_in: bool = False  # a static member: logged in from start, cannot log out
    # A call to this extension that nobody answers ends after this long (the caller hears
    # 480 Temporarily Unavailable). Queue offers ring for the queue's own ring_timeout.
    ring_timeout: int = Field(60, ge=5, le=600)

    @model_validator(mode="after")
    def _static_members_are_agents(self) -> Self:
        if self.always_logged_in and not self.agent:
            raise ValueError("always_logged_in needs agent = true")
        return self


class TrunkConfig(_Section):
    """A carrier or PBX trusted by source address; its calls route by the number dialled."""

    name: str = Field(min_length=1)
    from_: list[str] = Field(alias="from", min_length=1, description="source networks (CIDR)")
    did: dict[str, str] = {}  # dialled number -> destination number

    @field_validator("from_")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)
        return value

    @property
    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(network, strict=False) for network in self.from_]


class FeaturesConfig(_Section):
    echo_test: FeatureCode = "*43"
    agent_login: FeatureCode = "*62"
    agent_logout: FeatureCode = "*63"
    agent_pause: FeatureCode = "*64"


EmailAddress = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", description="an email address")]
UserName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="sign-in name")]


class UserConfig(_Section):
    """A user of the web side, seeded into the database (see the README: the database wins
    once the user is there). Exactly one of ``password`` (hashed at start) and
    ``password_hash`` (from ``hotline hash-password``)."""

    name: UserName
    password: str | None = Field(None, min_length=8)
    password_hash: str | None = Field(None, pattern=r"^\$argon2(id|i|d)\$")
    role: Role
    extension: DialNumber | None = None
    queues: list[DialNumber] = []
    language: Literal["en", "ru"] = "en"
    email: EmailAddress | None = None  # where notifications for this user go

    @model_validator(mode="after")
    def _one_password(self) -> Self:
        if (self.password is None) == (self.password_hash is None):
            raise ValueError("give exactly one of password and password_hash")
        return self


PauseLabel = Annotated[str, Field(min_length=1, max_length=64)]


class AgentsConfig(_Section):
    # Reason codes an agent may give when pausing (the digit after *64, or in the web panel).
    pause_reasons: dict[str, str] = {"1": "break", "2": "lunch", "3": "training"}
    # What people read for a reason, by page language: [agents.pause_labels.ru] lunch = "Обед".
    # The name stays what is stored and sent; the pages' catalogs label the default reasons.
    pause_labels: dict[Literal["en", "ru"], dict[str, PauseLabel]] = {}

    @model_validator(mode="after")
    def _labels_name_reasons(self) -> Self:
        known = self.reason_names()
        for language, labels in self.pause_labels.items():
            unknown = sorted(set(labels) - known)
            if unknown:
                raise ValueError(
                    f"pause_labels.{language}: {', '.join(unknown)} is not a pause reason "
                    f"(one of: {', '.join(sorted(known))})"
                )
        return self

    def reason_names(self) -> frozenset[str]:
        """Every reason an agent can be paused with: the configured ones, the generic pause
        (no reason given) and the ACD's own (after missed offers)."""
        from hotline.acd import AUTO_PAUSE_REASON, GENERIC_PAUSE_REASON

        return frozenset({GENERIC_PAUSE_REASON, AUTO_PAUSE_REASON, *self.pause_reasons.values()})


class QueueConfig(_Section):
    number: DialNumber
    name: str = ""
    strategy: str = "ring_all"
    agents: list[DialNumber] = []  # in priority order
    ring_timeout: float = Field(15.0, gt=0)
    max_wait: float | None = Field(300.0, gt=0)
    failover: str = "hangup"  # "hangup", an extension or a queue number
    wrap_up: float = Field(5.0, ge=0)
    priority: int = 0  # higher is served first when agents are shared
    sla_seconds: float = Field(20.0, gt=0)
    language: Literal["en", "ru"] = "en"
    announce_position_every: float | None = Field(30.0, gt=0)
    announce_estimated_wait: bool = True
    max_callers: int = Field(0, ge=0)  # 0: no limit
    join_empty: bool = True
    leave_when_empty: bool = False
    auto_pause_after_misses: int | None = Field(None, ge=1)
    # Seconds an agent who missed an offer (rang out, rejected, no phone) is offered nothing.
    retry_after_miss: float = Field(5.0, ge=0)
    # A caller hanging up before this many seconds is not a lost call (a wrong number).
    short_abandon_seconds: float = Field(5.0, ge=0)

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        from hotline.acd import strategy_names

        names = sorted(strategy_names())
        if value not in names:
            raise ValueError(f"unknown strategy {value!r}; one of: {', '.join(names)}")
        return value


class SecurityConfig(_Section):
    """Brute-force protection for digest authentication and web sign-ins (the same limits,
    counted apart), and how long a web sign-in lasts."""

    # SIP digest: a user that fails max_auth_failures times within failure_window_seconds
    # from one address is refused from that address (only) for backoff_seconds, doubled at
    # each new block up to ban_seconds; the address as a whole is banned for ban_seconds when
    # it fails for scan_users distinct users, or max_address_failures times, in the window.
    # Web sign-ins are counted apart, by the same per-user rules and numbers; the address as
    # a whole by web_scan_users and web_max_address_failures, as how many people sign in from
    # one office address is not how many phones fail there.
    max_auth_failures: int = Field(10, ge=1)
    failure_window_seconds: float = Field(60.0, gt=0)
    backoff_seconds: float = Field(30.0, gt=0)
    ban_seconds: float = Field(600.0, gt=0)
    scan_users: int = Field(10, ge=2)
    max_address_failures: int = Field(50, ge=1)
    web_scan_users: int = Field(10, ge=2)
    web_max_address_failures: int = Field(50, ge=1)
    nonce_lifetime_seconds: float = Field(300.0, gt=0)
    # Offered in this order, each in its own challenge (RFC 8760). MD5 alone by default:
    # baresip 1.0 refuses a challenge set holding an algorithm it does not know, and SIPp
    # answers only the first. Add "SHA-256" where every phone takes it (README).
    digest_algorithms: list[DigestAlgorithmName] = Field(["MD5"], min_length=1)
    min_register_expires: int = Field(60, ge=1)
    max_register_expires: int = Field(3600, ge=1)
    default_register_expires: int = Field(3600, ge=1)
    # Web sign-ins (the token or the browser's session) last this long; a wallboard's longer,
    # as a TV has nobody to sign it in again.
    web_session_seconds: int = Field(43_200, ge=60)
    wallboard_session_seconds: int = Field(30 * 86_400, ge=60)

    @model_validator(mode="after")
    def _backoff_within_ban(self) -> Self:
        if self.backoff_seconds > self.ban_seconds:
            raise ValueError("need backoff_seconds <= ban_seconds (the longest backoff)")
        return self

    @model_validator(mode="after")
    def _ordered_expiries(self) -> Self:
        if not (
            self.min_register_expires <= self.default_register_expires <= self.max_register_expires
        ):
            raise ValueError(
                "need min_register_expires <= default_register_expires <= max_register_expires"
            )
        return self


class LimitsConfig(_Section):
    """How many calls Hotline takes (0: no limit). Past a limit a new call gets 503 with
    Retry-After, so that the calls in progress keep their audio; feature codes (agents
    logging in and out) always pass."""

    max_calls: int = Field(0, ge=0)  # calls in progress at once
    max_calls_per_second: float = Field(0.0, ge=0)  # new calls a second, in bursts of a second


class MediaConfig(_Section):
    rtp_address: str = "127.0.0.1"
    rtp_ports: str = Field("20000-29999", pattern=r"^[0-9]{1,5}-[0-9]{1,5}$")
    # A call whose RTP stays silent this long is dead (a crashed phone, a lost NAT binding):
    # Hotline hangs up both legs.
    rtp_timeout_seconds: float = Field(30.0, gt=0)
    # Media (RTP, prompts, music, recording) runs in a child process with a core, a loop and
    # a garbage collector of its own: audio keeps its 20 ms pace whatever signalling does, and
    # the main process keeps its core for SIP and call control (twice the call rate on two
    # cores). false: everything in one process (one core).
    worker_process: bool = True

    @field_validator("rtp_ports")
    @classmethod
    def _check_range(cls, value: str) -> str:
        low, high = (int(part) for part in value.split("-"))
        if not 1024 <= low < high <= 65535:
            raise ValueError("expected LOW-HIGH with 1024 <= LOW < HIGH <= 65535")
        return value

    @property
    def port_range(self) -> tuple[int, int]:
        low, high = (int(part) for part in self.rtp_ports.split("-"))
        return low, high


class DatabaseConfig(_Section):
    """Unset: SQLite at ``<data_dir>/hotline.db``. PostgreSQL: ``postgresql+asyncpg://...``."""

    url: str | None = Field(None, pattern=r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://")


WallboardTile = Literal[
    "waiting",
    "longest_wait",
    "available",
    "ringing",
    "on_call",
    "wrap_up",
    "paused",
    "unavailable",
    "logged_in",
    "offered",
    "answered",
    "abandoned",
    "abandon_rate",
    "service_level",
    "average_wait",
    "average_talk",
    "estimated_wait",
    "callbacks",
]
DEFAULT_TILES: tuple[WallboardTile, ...] = (
    "waiting",
    "longest_wait",
    "service_level",
    "available",
    "on_call",
    "wrap_up",
    "paused",
    "logged_in",
    "answered",
    "abandoned",
    "average_wait",
    "average_talk",
)
CssColor = Annotated[
    str, Field(pattern=r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", description="#rgb or #rrggbb")
]
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")


class WallboardColors(_Section):
    """Colors that signal: thresholds crossed, and each agent state (the same in both themes)."""

    ok: CssColor = "#2fbf71"
    warning: CssColor = "#f5a524"
    alert: CssColor = "#ef4444"
    available: CssColor = "#2fbf71"
    ringing: CssColor = "#facc15"
    on_call: CssColor = "#3b9eff"
    busy_elsewhere: CssColor = "#22b8cf"
    wrap_up: CssColor = "#a78bfa"
    paused: CssColor = "#ef6f6c"
    unavailable: CssColor = "#b08968"
    logged_out: CssColor = "#7c8591"


class WallboardConfig(_Section):
    """The wall display: URL parameters of a board override these keys one by one."""

    # inf would reach the page as JSON it cannot parse.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    title: str = Field("Hotline", max_length=80)
    logo: str | None = None  # an image file, served at /wallboard/logo
    theme: Literal["dark", "light"] = "dark"
    tiles: list[WallboardTile] = Field(list(DEFAULT_TILES), min_length=1)
    show_agents: bool = True
    waiting_warning: int = Field(3, ge=1)  # callers waiting
    waiting_alert: int = Field(6, ge=1)
    longest_wait_warning: float = Field(30.0, gt=0)  # seconds
    longest_wait_alert: float = Field(60.0, gt=0)
    service_level_target: float = Field(80.0, le=100)  # percent answered within the SLA
    colors: WallboardColors = WallboardColors()

    @field_validator("tiles")
    @classmethod
    def _distinct_tiles(cls, value: list[WallboardTile]) -> list[WallboardTile]:
        repeated = sorted({tile for tile in value if value.count(tile) > 1})
        if repeated:
            raise ValueError(f"tile listed twice: {', '.join(repeated)}")
        return value

    @field_validator("logo")
    @classmethod
    def _readable_image(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.lower().endswith(LOGO_SUFFIXES):
            raise ValueError(f"expected an image file ({', '.join(LOGO_SUFFIXES)}), got {value!r}")
        if not Path(value).is_file():
            raise ValueError(f"no such file: {value!r}")
        return value

    @field_validator("service_level_target")
    @classmethod
    def _percent(cls, value: float) -> float:
        if value < 1:
            raise ValueError(f"a percentage from 1 to 100 (80 means 80 %), got {value}")
        return value

    @model_validator(mode="after")
    def _warning_before_alert(self) -> Self:
        for name in ("waiting", "longest_wait"):
            warning, alert = getattr(self, f"{name}_warning"), getattr(self, f"{name}_alert")
            if warning > alert:
                raise ValueError(f"need {name}_warning <= {name}_alert, got {warning} > {alert}")
        return self


class SmtpConfig(_Section):
    """The SMTP server mail (notifications, scheduled reports) is sent through."""

    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    from_: EmailAddress = Field("hotline@localhost", alias="from")


class WebhookConfig(_Section):
    """A URL notifications are POSTed to, signed with ``secret`` (HMAC-SHA256)."""

    name: str = Field(min_length=1, max_length=64)
    url: str = Field(pattern=r"^https?://[^\s]+$")
    secret: str = Field(min_length=16)


class NotificationRuleConfig(_Section):
    """Who gets which notices by email or webhook: ``kinds`` about ``queues`` (none: all)."""

    kinds: list[Kind] = list(KINDS)
    queues: list[DialNumber] = []
    users: list[UserName] = []  # by their email, in their language, their queues only
    emails: list[EmailAddress] = []
    webhooks: list[str] = []  # names of [[notifications.webhooks]]
    language: Literal["en", "ru"] = "en"  # of the emails to ``emails``


class NotificationsConfig(_Section):
    # At most one message per recipient and kind this often (seconds); the rest is a digest.
    min_interval: float = Field(300.0, gt=0)
    service_level_target: float = Field(80.0, gt=0, le=100)  # percent within the SLA
    service_level_window: float = Field(900.0, gt=0)  # seconds
    disk_min_free_mb: int = Field(500, ge=0)  # below this under data_dir: a system notice
    # Sent messages and notifications older than this are deleted (never an unsent message);
    # at least a day, well past the lost calls a start looks back at (RECOVERY_WINDOW).
    keep_days: float = Field(90.0, ge=1)
    rules: list[NotificationRuleConfig] = []
    webhooks: list[WebhookConfig] = []


class ReportScheduleConfig(_Section):
    """A report mailed ``every`` so often over the period just ended (see the README)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    report: str
    every: str
    to: list[EmailAddress] = Field(min_length=1)
    format: Literal["pdf", "xlsx"] = "pdf"
    queues: list[DialNumber] = []
    language: Literal["en", "ru"] = "en"
    interval: Literal["15min", "hour", "day", "week", "month"] = "day"

    @field_validator("report")
    @classmethod
    def _known_report(cls, value: str) -> str:
        from hotline.reports import REPORTS

        if value not in REPORTS:
            raise ValueError(f"unknown report {value!r}; one of: {', '.join(REPORTS)}")
        return value

    @field_validator("every")
    @classmethod
    def _known_every(cls, value: str) -> str:
        from hotline.reports.schedules import parse_every

        parse_every(value)
        return value


class Config(_Section):
    server: ServerConfig = ServerConfig()
    database: DatabaseConfig = DatabaseConfig()
    security: SecurityConfig = SecurityConfig()
    media: MediaConfig = MediaConfig()
    limits: LimitsConfig = LimitsConfig()
    features: FeaturesConfig = FeaturesConfig()
    agents: AgentsConfig = AgentsConfig()
    extensions: list[ExtensionConfig] = []
    queues: list[QueueConfig] = []
    trunks: list[TrunkConfig] = []
    users: list[UserConfig] = []
    wallboard: WallboardConfig = WallboardConfig()
    smtp: SmtpConfig = SmtpConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    report_schedules: list[ReportScheduleConfig] = []

    @model_validator(mode="after")
    def _consistent_numbers(self) -> Self:
        owners: dict[str, str] = {}
        named = [("extension", e.number) for e in self.extensions]
        named += [("queue", q.number) for q in self.queues]
        named += [(f"feature {name}", code) for name, code in self.features]
        for kind, number in named:
            if number in owners:
                raise ValueError(f"number {number} is used by both {owners[number]} and {kind}")
            owners[number] = kind
        agents = {e.number for e in self.extensions if e.agent}
        for queue in self.queues:
            for agent in queue.agents:
                if agent not in agents:
                    raise ValueError(f"queue {queue.number}: {agent} is not an agent extension")
            if queue.failover != "hangup" and queue.failover not in owners:
                raise ValueError(f"queue {queue.number}: failover {queue.failover} is unknown")
        for trunk in self.trunks:
            for did, destination in trunk.did.items():
                if destination not in owners:
                    raise ValueError(f"trunk {trunk.name}: DID {did} goes to unknown {destination}")
        self._check_users(agents)
        self._check_notifications()
        return self

    def _check_notifications(self) -> None:
        hooks = [hook.name for hook in self.notifications.webhooks]
        if len(hooks) != len(set(hooks)):
            raise ValueError("notifications.webhooks: a name is listed twice")
        problems = self.rule_problems(self.notifications.rules)
        if problems:
            raise ValueError("; ".join(problems))

    def rule_problems(
        self, rules: list[NotificationRuleConfig], users: Collection[str] = ()
    ) -> list[str]:
        """What is wrong with notification ``rules`` here: queues, users, webhooks unknown.
        ``users``: names known besides the file's (those made through the API)."""
        known = {
            "queue": {q.number for q in self.queues},
            "user": {u.name for u in self.users} | set(users),
            "webhook": {h.name for h in self.notifications.webhooks},
        }
        problems = []
        for index, rule in enumerate(rules):
            for kind, names in (("queue", rule.queues), ("user", rule.users),
                                ("webhook", rule.webhooks)):  # fmt: skip
                unknown = sorted(set(names) - known[kind])
                if unknown:
                    problems.append(
                        f"notifications.rules[{index}]: unknown {kind} {', '.join(unknown)}"
                    )
        return problems

    def _check_users(self, agents: set[str]) -> None:
        names: set[str] = set()
        for user in self.users:
            if user.name in names:
                raise ValueError(f"user {user.name} is listed twice")
            names.add(user.name)
            problems = user_problems(
                role=user.role, extension=user.extension, queues=user.queues,
                extensions={e.number for e in self.extensions}, agents=agents,
                known_queues={q.number for q in self.queues},
            )  # fmt: skip
            if problems:
                raise ValueError(f"user {user.name}: {'; '.join(problems)}")

    def queues_of(self, agent: str) -> frozenset[str]:
        """The queues ``agent`` is a member of."""
        return frozenset(q.number for q in self.queues if agent in q.agents)


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def parse_config(text: str, source: str = "<string>") -> Config:
    """Parse and validate TOML text; raise ConfigError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(source, [f"not valid TOML: {error}"]) from None
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        problems = [f"{_location(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise ConfigError(source, problems) from None


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), [f"cannot read: {error}"]) from None
    return parse_config(text, str(path))
