"""What the web application reads and drives: the parts of a running node it is given."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from hotline.config import Config
from hotline.pbx import Pbx
from hotline.store import Store
from hotline.web.accounts import Accounts

__all__ = ["WebServices"]


@dataclass(slots=True)
class WebServices:
    """Handed to ``create_app``; routes reach it as ``request.app.state.services``."""

    config: Config
    pbx: Pbx
    store: Store
    accounts: Accounts
    started_at: float = field(default_factory=time.monotonic)  # for the uptime
