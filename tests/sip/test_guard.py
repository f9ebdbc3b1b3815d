"""AuthGuard: failures per (address, user), backoff, scans and rates, bans listed and lifted."""

from __future__ import annotations

import itertools

import pytest

from hotline.sip.guard import AuthGuard, BanReason

OFFICE = "192.0.2.7"
_guesses = itertools.count()


def make_guard(*, kind: str = "sip", **overrides: float) -> AuthGuard:
    settings: dict[str, float] = {
        "max_failures": 3, "window": 60, "backoff": 30, "max_backoff": 100, "scan_users": 4,
        "max_address_failures": 10, "ban": 600,
    } | overrides  # fmt: skip
    return AuthGuard(
        max_failures=int(settings["max_failures"]), window=settings["window"],
        backoff=settings["backoff"], max_backoff=settings["max_backoff"],
        scan_users=int(settings["scan_users"]),
        max_address_failures=int(settings["max_address_failures"]), ban=settings["ban"],
        kind=kind,
    )  # fmt: skip


def fail(guard: AuthGuard, user: str, now: float, host: str = OFFICE) -> bool:
    """A fresh wrong guess (another response each time, as over fresh nonces)."""
    return guard.record_failure(host, user, now, guess=f"guess-{next(_guesses)}")


def test_a_user_is_blocked_from_its_address_and_nobody_else_is() -> None:
    guard = make_guard()
    assert [fail(guard, "101", at) for at in (0.0, 0.001, 0.002)] == [False, False, True]
    assert guard.user_blocked(OFFICE, "101", 1.0)
    assert not guard.user_blocked(OFFICE, "102", 1.0)
    assert not guard.user_blocked("192.0.2.8", "101", 1.0)
    assert not guard.address_banned(OFFICE, 1.0)
    # While blocked nothing counts: the requests are refused without being verified.
    assert fail(guard, "101", 2.0) is True
    assert not guard.address_banned(OFFICE, 2.0)


def test_blocks_back_off_doubling_up_to_the_cap_and_start_over_after_quiet() -> None:
    guard = make_guard()
    now, lengths = 0.0, []
    for _ in range(4):
        while not fail(guard, "101", now):
            now += 1
        start = now
        while guard.user_blocked(OFFICE, "101", now):
            now += 1
        lengths.append(now - start)
    assert lengths == [30, 60, 100, 100]
    now += 60 + 100 + 1  # quiet for the window and the longest backoff
    while not fail(guard, "101", now):
        now += 1
    assert guard.bans(now)[0].until == now + 30


def test_the_same_credentials_again_are_no_new_guess() -> None:
    guard = make_guard()
    for at in range(50):
        assert guard.record_failure(OFFICE, "101", float(at) / 100, guess="101/realm/abc") is False
    assert guard.failure_count(OFFICE, "101", 1.0) == 1
    assert not guard.user_blocked(OFFICE, "101", 1.0)


def test_failures_for_many_users_ban_the_address() -> None:
    guard = make_guard()
    assert [fail(guard, user, 1.0) for user in ("101", "102", "103", "104")] == [
        False, False, False, True,
    ]  # fmt: skip
    [ban] = guard.bans(2.0)
    assert (ban.user, ban.reason) == (None, BanReason.SCAN)
    assert guard.address_banned(OFFICE, 2.0) and guard.address_banned(OFFICE, 600.9)
    assert not guard.address_banned(OFFICE, 601.0)
    assert not guard.address_banned("192.0.2.8", 2.0)


def test_users_that_failed_long_ago_are_no_scan() -> None:
    guard = make_guard()
    for n, user in enumerate(("101", "102", "103", "104", "105")):
        assert fail(guard, user, n * 61.0) is False
    assert not guard.address_banned(OFFICE, 300.0)


def test_failing_faster_than_phones_do_bans_the_address() -> None:
    guard = make_guard(max_failures=5, scan_users=10, max_address_failures=12)
    outcomes = [fail(guard, user, 1.0) for user in ("101", "102", "103") for _ in range(4)]
    assert outcomes == [False] * 11 + [True]
    [ban] = guard.bans(1.0)
    assert (ban.user, ban.reason) == (None, BanReason.RATE)


def test_success_forgets_the_users_failures_not_the_addresses() -> None:
    guard = make_guard(scan_users=2)
    fail(guard, "101", 0.0)
    fail(guard, "101", 1.0)
    guard.record_success(OFFICE, "101")
    assert guard.failure_count(OFFICE, "101", 2.0) == 0
    assert fail(guard, "102", 3.0) is True  # 101's failures still count for a scan


def test_bans_are_listed_and_lifted_one_by_one() -> None:
    guard = make_guard()
    for _ in range(3):
        fail(guard, "101", 0.0)
        fail(guard, "102", 5.0, host="198.51.100.1")
    bans = guard.bans(10.0)
    assert [(b.source, b.user, b.reason, b.until) for b in bans] == [
        ("198.51.100.1", "102", BanReason.FAILURES, 35.0),
        (OFFICE, "101", BanReason.FAILURES, 30.0),
    ]
    assert len({b.id for b in bans}) == 2 and guard.lift("no-such-ban", 10.0) is None
    lifted = guard.lift(bans[1].id, 10.0)
    assert lifted == bans[1]
    assert not guard.user_blocked(OFFICE, "101", 10.0)
    assert guard.user_blocked("198.51.100.1", "102", 10.0)
    assert fail(guard, "101", 11.0) is False  # a fresh budget
    assert guard.bans(40.0) == []


def test_an_address_ban_is_lifted_with_a_fresh_count() -> None:
    guard = make_guard()
    for user in ("101", "102", "103", "104"):
        fail(guard, user, 0.0)
    [ban] = guard.bans(1.0)
    assert guard.lift(ban.id, 1.0) == ban
    assert not guard.address_banned(OFFICE, 1.0)
    assert fail(guard, "105", 2.0) is False


def test_ipv6_sources_share_a_budget_per_64() -> None:
    guard = make_guard()
    fail(guard, "101", 0.0, host="2001:db8:1:2::1")
    fail(guard, "101", 0.0, host="2001:db8:1:2::beef")
    assert fail(guard, "101", 0.0, host="[2001:db8:1:2:ffff::9]") is True
    assert guard.user_blocked("2001:db8:1:2::77", "101", 1.0)
    assert not guard.user_blocked("2001:db8:1:3::1", "101", 1.0)
    assert guard.bans(1.0)[0].source == "2001:db8:1:2::/64"


def test_ipv4_mapped_ipv6_is_the_ipv4_address() -> None:
    guard = make_guard()
    for at in (0.0, 1.0, 2.0):
        fail(guard, "101", at, host="::ffff:192.0.2.7")
    assert guard.user_blocked("192.0.2.7", "101", 3.0)


def test_refused_for_tells_the_longer_of_a_block_and_a_ban() -> None:
    guard = make_guard()
    assert guard.refused_for(OFFICE, "101", 0.0) == 0.0
    for at in (0.0, 1.0, 2.0):
        fail(guard, "101", at)
    assert guard.refused_for(OFFICE, "101", 12.0) == 20.0  # blocked at 2.0 for 30 s
    assert guard.refused_for(OFFICE, "102", 12.0) == 0.0
    for user in ("102", "103", "104"):  # four users in the window: a scan
        fail(guard, user, 13.0)
    assert guard.refused_for(OFFICE, "101", 13.0) == guard.refused_for(OFFICE, "105", 13.0)
    assert guard.refused_for(OFFICE, "105", 13.0) == 600.0


def test_two_kinds_of_guard_name_their_bans_apart() -> None:
    sip, web = make_guard(), make_guard(kind="web")
    for guard in (sip, web):
        for at in (0.0, 1.0, 2.0):
            fail(guard, "101", at)
    [sip_ban], [web_ban] = sip.bans(3.0), web.bans(3.0)
    assert (sip_ban.kind, web_ban.kind) == ("sip", "web")
    assert sip_ban.id != web_ban.id
    assert sip.lift(web_ban.id, 3.0) is None and web.lift(web_ban.id, 3.0) == web_ban


def test_memory_stays_bounded_under_a_flood() -> None:
    guard = AuthGuard(
        max_failures=2, window=60, backoff=30, max_backoff=600, scan_users=2,
        max_address_failures=5, ban=600, max_tracked=100,
    )  # fmt: skip
    for n in range(5_000):
        host = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        guard.record_failure(host, "101", 0.0, guess="a")
        guard.record_failure(host, "102", 0.5, guess="b")
    assert len(guard._users) <= 100 and len(guard._addresses) <= 100
    assert len(guard._banned) <= 100
    assert guard.address_banned("10.0.19.135", 1.0)  # the most recent offenders still are


@pytest.mark.parametrize(
    "settings",
    [{"max_failures": 0}, {"scan_users": 0}, {"window": 0}, {"backoff": 200}, {"ban": 0}],
)
def test_rejects_nonsense_settings(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        make_guard(**settings)
