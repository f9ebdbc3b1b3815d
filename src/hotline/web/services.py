"""What the web application reads and drives: the parts of a running node it is given."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.config import Config
from hotline.pbx import Pbx
from hotline.store import Store

__all__ = ["WebServices"]


@dataclass(slots=True)
class WebServices:
    """Handed to ``create_app``; routes reach it as ``request.app.state.services``."""

    config: Config
    pbx: Pbx
    store: Store
