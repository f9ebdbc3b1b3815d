"""AuthFailureLimiter: bans after N failures in a window, lifts after the cool-down."""

from __future__ import annotations

import logging

import pytest

from hotline.sip.security import AuthFailureLimiter


def make_limiter(**overrides: int) -> AuthFailureLimiter:
    settings = {"max_failures": 3, "window": 60, "ban": 300} | overrides
    return AuthFailureLimiter(**settings)


def test_bans_on_the_nth_failure_within_the_window(caplog: pytest.LogCaptureFixture) -> None:
    limiter = make_limiter()
    with caplog.at_level(logging.WARNING, logger="hotline.sip.security"):
        assert limiter.record_failure("192.0.2.7", 0.0) is False
        assert limiter.record_failure("192.0.2.7", 10.0) is False
        assert not limiter.is_banned("192.0.2.7", 10.0)
        assert limiter.record_failure("192.0.2.7", 20.0) is True
    assert limiter.is_banned("192.0.2.7", 20.0)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "192.0.2.7" in caplog.records[0].getMessage()


def test_failures_spread_beyond_the_window_do_not_ban() -> None:
    limiter = make_limiter()
    for at in (0.0, 40.0, 80.0, 120.0, 160.0):
        assert limiter.record_failure("192.0.2.7", at) is False
    assert not limiter.is_banned("192.0.2.7", 160.0)
    assert limiter.failure_count("192.0.2.7", 160.0) == 2


def test_ban_lifts_after_the_cool_down_with_a_fresh_budget() -> None:
    limiter = make_limiter()
    for at in (0.0, 1.0, 2.0):
        limiter.record_failure("192.0.2.7", at)
    assert limiter.is_banned("192.0.2.7", 301.9)
    assert not limiter.is_banned("192.0.2.7", 302.0)
    assert limiter.record_failure("192.0.2.7", 303.0) is False
    assert not limiter.is_banned("192.0.2.7", 303.0)


def test_failures_while_banned_do_not_extend_or_retrigger() -> None:
    limiter = make_limiter()
    for at in (0.0, 1.0, 2.0):
        limiter.record_failure("192.0.2.7", at)
    assert limiter.record_failure("192.0.2.7", 100.0) is False
    assert not limiter.is_banned("192.0.2.7", 302.0)


def test_other_addresses_are_not_affected() -> None:
    limiter = make_limiter()
    for at in (0.0, 1.0, 2.0):
        limiter.record_failure("192.0.2.7", at)
    assert not limiter.is_banned("192.0.2.8", 3.0)
    assert not limiter.is_banned("2001:db8::1", 3.0)


def test_success_does_not_reset_a_brute_force_budget() -> None:
    limiter = make_limiter()
    limiter.record_failure("192.0.2.7", 0.0)
    limiter.record_failure("192.0.2.7", 1.0)
    limiter.record_success("192.0.2.7", 2.0)
    assert limiter.record_failure("192.0.2.7", 3.0) is True


def test_success_forgets_failures_that_left_the_window() -> None:
    limiter = make_limiter()
    limiter.record_failure("192.0.2.7", 0.0)
    limiter.record_success("192.0.2.7", 100.0)
    assert limiter.failure_count("192.0.2.7", 100.0) == 0


def test_ipv6_sources_share_a_budget_per_64() -> None:
    limiter = make_limiter()
    limiter.record_failure("2001:db8:1:2::1", 0.0)
    limiter.record_failure("2001:db8:1:2::beef", 1.0)
    assert limiter.record_failure("[2001:db8:1:2:ffff::9]", 2.0) is True
    assert limiter.is_banned("2001:db8:1:2::77", 3.0)
    assert not limiter.is_banned("2001:db8:1:3::1", 3.0)


def test_ipv4_mapped_ipv6_is_the_ipv4_address() -> None:
    limiter = make_limiter()
    for at in (0.0, 1.0, 2.0):
        limiter.record_failure("::ffff:192.0.2.7", at)
    assert limiter.is_banned("192.0.2.7", 3.0)


def test_memory_stays_bounded_under_a_flood_of_addresses() -> None:
    limiter = AuthFailureLimiter(max_failures=2, window=60, ban=300, max_tracked=100, max_banned=10)
    for n in range(10_000):
        host = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        limiter.record_failure(host, 0.0)
        limiter.record_failure(host, 0.5)
    assert len(limiter._failures) <= 100
    assert len(limiter._banned_until) <= 10
    # The most recent offenders are still refused.
    assert limiter.is_banned("10.0.39.15", 1.0)


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        AuthFailureLimiter(max_failures=0, window=60, ban=300)
