"""Hotline's configuration: a TOML file validated into typed settings.

Every key is checked; a bad file is reported as a list of precise problems
(``extensions[1].password: field required``) and the server does not start.
Later issues add sections; old files keep working.
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "Config",
    "ConfigError",
    "ExtensionConfig",
    "MediaConfig",
    "SecurityConfig",
    "ServerConfig",
    "demo_config",
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

    @field_validator("sip_listen", "http_listen")
    @classmethod
    def _check_address(cls, value: str) -> str:
        parse_host_port(value)
        return value


class ExtensionConfig(_Section):
    number: str = Field(pattern=r"^[0-9]{2,15}$", description="digits dialled to reach it")
    name: str = ""
    password: str = Field(min_length=6)


class SecurityConfig(_Section):
    """Brute-force protection for digest authentication."""

    max_auth_failures: int = Field(10, ge=1)
    failure_window_seconds: float = Field(60.0, gt=0)
    ban_seconds: float = Field(600.0, gt=0)
    nonce_lifetime_seconds: float = Field(300.0, gt=0)
    # Offered in this order. Many phones (and SIPp) answer only the first challenge and know
    # only MD5, so MD5 leads by default; put "SHA-256" first where every phone supports it.
    digest_algorithms: list[Literal["MD5", "SHA-256"]] = Field(["MD5", "SHA-256"], min_length=1)
    min_register_expires: int = Field(60, ge=1)
    max_register_expires: int = Field(3600, ge=1)
    default_register_expires: int = Field(3600, ge=1)

    @model_validator(mode="after")
    def _ordered_expiries(self) -> Self:
        if not (
            self.min_register_expires <= self.default_register_expires <= self.max_register_expires
        ):
            raise ValueError(
                "need min_register_expires <= default_register_expires <= max_register_expires"
            )
        return self


class MediaConfig(_Section):
    rtp_address: str = "127.0.0.1"
    rtp_ports: str = Field("20000-29999", pattern=r"^[0-9]{1,5}-[0-9]{1,5}$")

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


class Config(_Section):
    server: ServerConfig = ServerConfig()
    security: SecurityConfig = SecurityConfig()
    media: MediaConfig = MediaConfig()
    extensions: list[ExtensionConfig] = []

    @model_validator(mode="after")
    def _unique_numbers(self) -> Self:
        seen: set[str] = set()
        for extension in self.extensions:
            if extension.number in seen:
                raise ValueError(f"extension number {extension.number} is defined twice")
            seen.add(extension.number)
        return self


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


DEMO_CONFIG = """
[server]
sip_listen = "127.0.0.1:5060"
http_listen = "127.0.0.1:8080"
data_dir = "./hotline-data"
domain = "hotline.local"

[[extensions]]
number = "101"
name = "Support desk 1"
password = "s3cret-101"

[[extensions]]
number = "102"
name = "Support desk 2"
password = "s3cret-102"

[[extensions]]
number = "103"
name = "Sales desk 1"
password = "s3cret-103"

[[extensions]]
number = "200"
name = "Supervisor"
password = "s3cret-200"
"""


def demo_config() -> Config:
    """The built-in configuration of ``hotline serve --demo``."""
    return parse_config(DEMO_CONFIG, "<demo>")
