"""How many calls Hotline takes: calls at once and new calls a second (sans-IO).

Past its capacity a call center must refuse new calls cleanly rather than take them all and
let every call's audio break up (the media clock falls behind) or the SIP stack lag. These are
FreeSWITCH's max-sessions and sessions-per-second, Asterisk's maxcalls. The rate is a token
bucket: a second's worth of calls may come at once, then they are let in at the rate.
"""

from __future__ import annotations

__all__ = ["CallCapacity"]


class CallCapacity:
    """Admission by load; 0 for a limit means none."""

    def __init__(self, max_calls: int = 0, max_calls_per_second: float = 0.0) -> None:
        self.max_calls = max_calls
        self.rate = max_calls_per_second
        self._burst = max(max_calls_per_second, 1.0)
        self._tokens = self._burst
        self._last = float("-inf")
        self.refused = 0

    def admit(self, calls: int, now: float) -> str | None:
        """Whether a new call may start while ``calls`` are in progress: None if so, else
        what is exceeded (the call is then refused and counted)."""
        if self.max_calls and calls >= self.max_calls:
            self.refused += 1
            return f"{calls} calls in progress (max_calls {self.max_calls})"
        if self.rate:
            self._tokens = min(self._burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1.0:
                self.refused += 1
                return f"more than {self.rate:g} new calls a second (max_calls_per_second)"
            self._tokens -= 1.0
        return None
