"""SIP timer names and values (RFC 3261 §17.1.1.1, §17.1.2.1, §17.2 and Table 4 of Appendix A).

The transaction machines never read a clock: each armed timer is an absolute deadline computed
from the ``now`` the caller passed in, and the caller fires it by calling ``handle_timer(now)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Timer", "TimerSettings"]


class Timer(Enum):
    """The transaction timers of RFC 3261 Table 4 and timer L of RFC 6026, plus the 200 ms
    delay before 100 Trying and the wait for a final response after CANCEL."""

    TIMER_A = "A"  # INVITE request retransmission, UDP only (§17.1.1.2)
    TIMER_B = "B"  # INVITE transaction timeout
    TIMER_D = "D"  # wait for response retransmissions after a non-2xx final (client INVITE)
    TIMER_E = "E"  # non-INVITE request retransmission, UDP only (§17.1.2.2)
    TIMER_F = "F"  # non-INVITE transaction timeout
    TIMER_G = "G"  # INVITE final response retransmission, UDP only (§17.2.1)
    TIMER_H = "H"  # wait for the ACK to a non-2xx final
    TIMER_I = "I"  # wait for ACK retransmissions (server INVITE, Confirmed)
    TIMER_J = "J"  # wait for request retransmissions (server non-INVITE, Completed)
    TIMER_K = "K"  # wait for response retransmissions (client non-INVITE, Completed)
    TIMER_L = "L"  # RFC 6026 §7.1: absorb INVITE retransmissions after a 2xx (Accepted)
    # §17.2.1: a server INVITE transaction answers 100 Trying itself unless the TU answers
    # within 200 ms; this is that delay, not one of the lettered timers.
    TRYING = "100 Trying delay"
    # §9.1: an INVITE with no final response 64*T1 after its CANCEL is given up (the callee's
    # phone died while ringing); the RFC names no timer for it.
    AFTER_CANCEL = "64*T1 after CANCEL"


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerSettings:
    """T1 (RTT estimate), T2 (maximum retransmit interval) and T4 (time a message may linger
    in the network), RFC 3261 §17.1.1.1 and Appendix A. All in seconds."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    trying_delay: float = 0.2
    # Table 4: timer D is "> 32 s" over UDP, whatever T1; only a test on loopback waits less.
    timer_d: float = 32.0

    def initial(self, timer: Timer, *, reliable: bool) -> float:
        """The first duration of ``timer``; zero where RFC 3261 Table 4 says "0s for TCP"."""
        match timer:
            case Timer.TIMER_A | Timer.TIMER_E | Timer.TIMER_G:
                return self.t1
            case Timer.TIMER_B | Timer.TIMER_F | Timer.TIMER_H | Timer.TIMER_L | Timer.AFTER_CANCEL:
                return 64 * self.t1
            case Timer.TIMER_D:
                # "at least 32 seconds" for unreliable transports
                return 0.0 if reliable else max(self.timer_d, 64 * self.t1)
            case Timer.TIMER_I | Timer.TIMER_K:
                return 0.0 if reliable else self.t4
            case Timer.TIMER_J:
                return 0.0 if reliable else 64 * self.t1
            case Timer.TRYING:
                return self.trying_delay

    def backoff(self, interval: float) -> float:
        """The next retransmission interval after ``interval``: doubled, capped at T2
        (timers E and G; §17.1.2.2, §17.2.1). Timer A doubles without a cap."""
        return min(2 * interval, self.t2)
