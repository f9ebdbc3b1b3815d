"""The demo: ``hotline serve --demo``'s configuration (``hotline.toml`` beside this file), its
simulated callers and agents making real SIP calls (``traffic``), and the softphone they use
(``softphone``: Hotline's user agent with RTP and audio files). None of it serves calls; the
product runs without it. ``python -m hotline.demo`` runs the traffic against a demo server
started on its own."""

from __future__ import annotations

from importlib.resources import files

from hotline.config import Config, parse_config

__all__ = ["DEMO_CONFIG", "demo_config"]

#: The demo configuration's TOML text.
DEMO_CONFIG = files(__package__).joinpath("hotline.toml").read_text(encoding="utf-8")


def demo_config() -> Config:
    """The built-in configuration of ``hotline serve --demo``."""
    return parse_config(DEMO_CONFIG, "<demo>")
