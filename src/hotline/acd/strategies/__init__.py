"""Distribution strategies, registered by name."""

from hotline.acd.strategies import builtin as _builtin  # noqa: F401  (registers the strategies)
from hotline.acd.strategies.base import (
    AgentView,
    CallerView,
    QueueView,
    Strategy,
    register_strategy,
    strategy_for,
    strategy_names,
)

__all__ = [
    "AgentView",
    "CallerView",
    "QueueView",
    "Strategy",
    "register_strategy",
    "strategy_for",
    "strategy_names",
]
