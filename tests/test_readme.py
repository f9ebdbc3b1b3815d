"""README.md stays true: its configuration examples, taken together, are a file Hotline
accepts, and every key Hotline accepts is shown there."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from hotline.config import Config, parse_config

README = Path(__file__).resolve().parents[1] / "README.md"


def _configuration_examples() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```toml\n(.*?)```", section, re.DOTALL))


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every key a configuration file may hold, dotted (``queues.ring_timeout``)."""
    keys = set()
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            keys |= _keys(inner, key + ".")
        else:
            keys.add(key)
    return keys


def test_the_configuration_examples_make_a_valid_file() -> None:
    # The logo must exist: the README's stands for the reader's own.
    logo = README.parent / "docs" / "wallboard-dark.png"
    text = _configuration_examples().replace("/etc/hotline/logo.svg", str(logo))
    config = parse_config(text, "README.md")
    assert config.queues and config.extensions and config.trunks


def test_every_configuration_key_is_shown_in_the_readme() -> None:
    examples = _configuration_examples()
    shown = {match for match in re.findall(r"^([a-z_]+)\s*=", examples, re.MULTILINE)}
    missing = sorted(key for key in _keys(Config) if key.rsplit(".", 1)[-1] not in shown)
    assert not missing, f"keys missing from README.md's configuration examples: {missing}"
