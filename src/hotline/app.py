"""The composition root: builds Hotline's parts from a Config and runs them on one loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import resource
import secrets
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import uvloop

from hotline.agent_phones import AgentPhones
from hotline.config import Config, parse_host_port
from hotline.events import EventBus
from hotline.media import MediaServer, MediaService, MediaWorker
from hotline.notifications import Notifications, build_notifications
from hotline.pbx import CallControl, LoopClock, RememberedLogin, build_call_control, restore_logins
from hotline.persistent_day_statistics import PersistentDayStatistics
from hotline.persistent_location import PersistentLocation
from hotline.report_schedules import ReportSchedules
from hotline.sip.aio.endpoint import SipEndpoint
from hotline.sip.auth import DigestAlgorithm, DigestAuthenticator
from hotline.sip.guard import AuthGuard
from hotline.sip.registrar import Registrar
from hotline.sip.timers import TimerSettings
from hotline.store import Store
from hotline.web.accounts import Accounts
from hotline.web.app import create_app
from hotline.web.server import WebServer
from hotline.web.services import WebServices

__all__ = ["Hotline", "build", "raise_open_file_limit", "serve", "tune_garbage_collector"]

log = logging.getLogger("hotline")


@dataclass(slots=True)
class Hotline:
    """The running parts of one Hotline node."""

    config: Config
    sip: SipEndpoint
    location: PersistentLocation
    media: MediaService
    pbx: CallControl
    bus: EventBus
    phones: AgentPhones
    store: Store | None = field(default=None)
    web: WebServer | None = field(default=None)
    accounts: Accounts | None = field(default=None)
    # Users made at start besides the file's (the demo's admin), before the web side serves.
    more_users: Callable[[Accounts], Awaitable[None]] | None = field(default=None)
    day_statistics: PersistentDayStatistics | None = field(default=None)
    notifications: Notifications | None = field(default=None)
    report_schedules: ReportSchedules | None = field(default=None)

    async def start(self) -> None:
        self.store = await Store.open(
            self.config.database.url,
            data_dir=Path(self.config.server.data_dir),
            now=time.time(),
            timezone=self.config.server.timezone,
        )
        self.store.start(self.bus)  # before call control, so its first events are kept
        self.accounts = Accounts(self.config, self.store.database)
        await self.accounts.seed()  # the file's users the database lacks
        if self.more_users is not None:
            await self.more_users(self.accounts)
        await self.accounts.warn_if_closed()
        self.notifications = build_notifications(
            self.config, self.store, self.bus, self.pbx.queues, self.media, self.accounts,
            wall=time.time,
        )  # fmt: skip
        await self.notifications.start(self.store)  # the outbox left by a previous run goes
        # The web app follows the bus from before the first call; it serves once all runs.
        services = WebServices.of(self.config, self.pbx, self.store, self.accounts)
        services.notifications = self.notifications
        app = create_app(services)
        self.web = WebServer(app, self.config.server.http_listen)
        try:
            self.web.bind()  # an address in use stops the start before any call is taken
        except OSError:
            await self.store.close()
            raise
        # Phones registered before a restart are reachable before SIP serves the first call.
        await self.location.load(self.store.database, now=time.time())
        self.location.start()
        # Agents without a phone left are unavailable before SIP serves the first call.
        self.phones.start()
        repaired = await self.media.start()
        for path in repaired:
            log.info("repaired recording %s", path)
        self.pbx.install()
        await self.sip.start()
        self.pbx.start()
        remembered = [
            RememberedLogin(agent=a.agent, queues=a.queues, pause_reason=a.pause_reason)
            for a in await self.store.logged_in_agents()
        ]
        restore_logins(self.pbx.queues, remembered)  # each to the queues it was logged in to
        # Today's counts go on from before the restart (wallboard, fairness strategies).
        self.day_statistics = PersistentDayStatistics(self.pbx.queues.engine)
        await self.day_statistics.load(self.store.database)
        self.day_statistics.start()
        log.info(
            "SIP listening on %s port %d (UDP and TCP), domain %s",
            self.sip.transport.host,
            self.sip.port,
            self.config.server.domain,
        )
        await self.web.start()
        self.report_schedules = ReportSchedules(
            self.config, self.store.database, self.notifications.outbox, app.state.reports
        )
        self.report_schedules.start(time.time)

    async def close(self) -> None:
        if self.report_schedules is not None:
            await self.report_schedules.close()
        if self.web is not None:
            await self.web.close()  # WebSocket clients told first; no request during the stop
        self.phones.close()
        await self.pbx.close()  # BYE and CANCEL go out while the transport is still open
        if self.day_statistics is not None:
            await self.day_statistics.close()  # the counters with the last calls in them
        await self.sip.close()
        await self.location.close()  # the last registrations, before the database closes
        await self.media.close()
        if self.notifications is not None:
            await self.notifications.stop()  # the last notices written to the outbox
        if self.store is not None:
            await self.store.close()  # after the calls' last events


def build(config: Config, *, sip_timers: TimerSettings | None = None) -> Hotline:
    """Wire the parts; nothing is bound until ``start``. ``sip_timers``: T1, T2, T4 other than
    RFC 3261's defaults (tests shorten them)."""
    passwords = {extension.number: extension.password for extension in config.extensions}
    security = config.security
    authenticator = DigestAuthenticator(
        config.server.domain,
        passwords.get,
        secret=secrets.token_bytes(32),
        nonce_lifetime=security.nonce_lifetime_seconds,
        algorithms=[DigestAlgorithm(name) for name in security.digest_algorithms],
        user_algorithms={
            extension.number: [DigestAlgorithm(name) for name in extension.digest_algorithms]
            for extension in config.extensions
            if extension.digest_algorithms is not None
        },
    )
    guard = AuthGuard(
        max_failures=security.max_auth_failures,
        window=security.failure_window_seconds,
        backoff=security.backoff_seconds,
        max_backoff=security.ban_seconds,
        scan_users=security.scan_users,
        max_address_failures=security.max_address_failures,
        ban=security.ban_seconds,
    )
    location = PersistentLocation(domain=config.server.domain)
    host, port = parse_host_port(config.server.sip_listen)
    registrar = Registrar(
        config.server.domain,
        authenticator,
        location,
        guard,
        min_expires=security.min_register_expires,
        max_expires=security.max_register_expires,
        default_expires=security.default_register_expires,
        aliases=[host],  # phones set up with the server's address instead of the domain
    )
    sip = SipEndpoint(host, port, registrar, timers=sip_timers)
    kind = MediaWorker if config.media.worker_process else MediaServer
    media = kind(
        rtp_address=config.media.rtp_address,
        port_range=config.media.port_range,
        recordings_dir=Path(config.server.data_dir) / "recordings",
        rtp_timeout=config.media.rtp_timeout_seconds,
    )
    bus = EventBus()
    clock = LoopClock()
    pbx = build_call_control(
        config, sip, media, location, authenticator, guard, bus=bus, clock=clock
    )
    agents = [extension.number for extension in config.extensions if extension.agent]
    phones = AgentPhones(agents, location, pbx.queues.feed, clock=clock)
    return Hotline(
        config=config, sip=sip, location=location, media=media, pbx=pbx, bus=bus, phones=phones
    )


async def _serve(config: Config, demo: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    hotline = build(config)
    if demo:
        from hotline.demo.traffic import open_demo_accounts

        hotline.more_users = lambda accounts: open_demo_accounts(accounts, config)
    await hotline.start()
    tune_garbage_collector()
    log.info("hotline ready")
    traffic = asyncio.create_task(_demo_traffic(config)) if demo else None
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        if traffic is not None:
            traffic.cancel()  # the simulated phones hang up and unregister first
            with contextlib.suppress(asyncio.CancelledError):
                await traffic
        await hotline.close()


async def _demo_traffic(config: Config) -> None:
    from hotline.demo.traffic import run_demo_traffic

    try:
        await run_demo_traffic(config)
    except Exception:
        # The demo is a show, not the service: if it breaks, the server keeps serving.
        log.exception("demo traffic stopped")


def tune_garbage_collector() -> None:
    """Each SIP message makes many short-lived objects; with the default thresholds the cyclic
    collector ran often enough to take a sixth of the server's CPU under REGISTER load and to
    pause the loop for a few hundred milliseconds. What exists at start-up (configuration,
    modules, prompt cache) is frozen out of collection, and collections run less often."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)


# Open files a call takes: per leg its RTP and RTCP sockets and, once the phone's address is
# latched, the socket that sees strangers (two legs a call); with room for SIP, the web and
# the database besides.
_FILES_PER_CALL = 6
_FILES_BESIDES_CALLS = 200
# Where the hard limit is unlimited, as many as the kernel's usual per-process ceiling.
_MOST_FILES = 1 << 20


def raise_open_file_limit(port_range: tuple[int, int] | None = None) -> int:
    """Raise this process's soft limit of open files to its hard limit; return the limit.

    Every call holds sockets, and the usual soft limit (1024, what a login shell or systemd
    gives a service) runs out at under 200 calls, and the next callers get 503. The hard limit is
    what the administrator allows; the media process inherits the raised limit. With
    ``port_range``, warn when the limit still holds fewer calls than the range has ports for.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _MOST_FILES if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as error:
            log.warning("cannot raise the open-file limit from %d: %s", soft, error)
    if port_range is not None and soft != resource.RLIM_INFINITY:
        calls = (port_range[1] - port_range[0] + 1) // 4  # two legs, each an RTP/RTCP pair
        room = max(0, (soft - _FILES_BESIDES_CALLS) // _FILES_PER_CALL)
        if room < calls:
            log.warning(
                "the open-file limit (%d) holds about %d calls, fewer than the RTP ports hold "
                "(%d): raise the hard limit (ulimit -Hn, LimitNOFILE= in a systemd unit)",
                soft,
                room,
                calls,
            )
    return soft


def serve(config: Config, *, demo: bool = False) -> int:
    """Run until SIGINT or SIGTERM; return the process exit status. ``demo`` adds simulated
    callers and agents making real SIP calls (``hotline serve --demo``)."""
    limit = raise_open_file_limit(config.media.port_range)
    log.info("open-file limit %d", limit)
    try:
        uvloop.run(_serve(config, demo))
    except OSError as error:
        log.error("cannot start: %s", error)
        return 1
    log.info("stopped")
    return 0
