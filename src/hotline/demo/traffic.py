"""Simulated callers and agents for ``hotline serve --demo``: real SIP calls over loopback.

Agents are softphones registered as the configuration's agent extensions; each logs in by
dialling the agent-login feature code, then answers the queue's offers after a random ring
(1 to 6 s) and talks for a log-normal time before hanging up. Callers arrive at random (a
Poisson stream per queue) through the trunk that trusts the caller address (127.0.0.2 in the
demo configuration), each with a number of its own, and hang up after their patience runs
out when no agent took them. Every phone plays audio, so RTP flows both ways.

How the composition root starts it, next to the server on the same loop::

    hotline = build(config)
    await hotline.start()
    demo = asyncio.create_task(run_demo_traffic(config, seed=None))
    ...                                      # serve until SIGINT/SIGTERM
    demo.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await demo                           # phones hang up and unregister first
    await hotline.close()

``run_demo_traffic`` logs the SIP address, the extensions with their passwords and the web
address first, so a person can register a softphone of their own. It runs until cancelled.
Against a server started on its own (``hotline serve --demo``), the same traffic runs from
another process: ``python -m hotline.demo [--seed N] [--calls-per-minute R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import math
import random
import secrets
from dataclasses import dataclass

from hotline.access import Role
from hotline.config import Config, ExtensionConfig, parse_host_port
from hotline.demo import demo_config
from hotline.demo.softphone import PhoneCall, Softphone
from hotline.media import MediaServer
from hotline.sip.address import Peer
from hotline.sip.aio.user_agent import CallFailed, RegistrationFailed
from hotline.web.accounts import Accounts, UserRefused

__all__ = ["DemoSettings", "Tally", "log_demo_banner", "open_demo_accounts", "run_demo_traffic"]

log = logging.getLogger("hotline.demo")


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoSettings:
    """How busy the simulated call center is."""

    calls_per_minute: float = 3.0  # per queue, Poisson arrivals
    ring_seconds: tuple[float, float] = (1.0, 6.0)  # agents answer after a uniform ring
    talk_median: float = 45.0  # seconds, log-normal
    talk_sigma: float = 0.35
    patience_median: float = 90.0  # seconds a caller waits for an agent, log-normal
    patience_sigma: float = 0.6
    caller_host: str = "127.0.0.2"  # the demo trunk trusts this source address
    rtp_ports: tuple[int, int] = (40000, 40999)  # the phones' own media ports
    # Agent extensions left for a person to register (None: every agent is simulated but
    # the last one).
    human_agents: tuple[str, ...] | None = None
    summary_every: float = 60.0
    register_expires: int = 300


def sip_address(config: Config) -> Peer:
    host, port = parse_host_port(config.server.sip_listen)
    return Peer(transport="UDP", host=host, port=port)


def log_demo_banner(config: Config, simulated: list[str]) -> None:
    """Say where to point a softphone, with which credentials, and where the web pages are."""
    server = config.server
    log.info("demo: SIP server %s (UDP and TCP), domain %s", server.sip_listen, server.domain)
    for extension in config.extensions:
        role = "agent" if extension.agent else "extension"
        who = "simulated" if extension.number in simulated else "free for you"
        log.info(
            "demo: %s %s %s, password %s (%s)",
            role, extension.number, extension.name, extension.password, who,
        )  # fmt: skip
    for queue in config.queues:
        log.info("demo: queue %s %s, agents %s", queue.number, queue.name, ", ".join(queue.agents))
    for trunk in config.trunks:
        for did, destination in trunk.did.items():
            log.info("demo: trunk %s: DID %s -> %s", trunk.name, did, destination)
    log.info("demo: web pages at http://%s/", server.http_listen)


# The demo's people on the web side: (name, role, extension); the first agent's panel shows
# a simulated agent at work, the supervisor's console every queue.
_DEMO_PEOPLE = (("admin", Role.ADMIN, None), ("supervisor", Role.SUPERVISOR, "200"),
                ("anna", Role.AGENT, "101"))  # fmt: skip


async def open_demo_accounts(accounts: Accounts, config: Config) -> None:
    """The demo's web users: ``admin``, a ``supervisor`` of every queue and the agent
    ``anna`` (101) with one fresh random password, logged once (the last run's is gone with
    its log), and a ``wallboard`` user whose token opens the boards on a TV. They are made on
    the first run and kept in the demo's database after."""
    password = secrets.token_urlsafe(12)
    queues = [queue.number for queue in config.queues]
    extensions = {e.number for e in config.extensions}
    people = [(n, r, e) for n, r, e in _DEMO_PEOPLE if e is None or e in extensions]
    for name, role, extension in people:
        scope = queues if role is Role.SUPERVISOR else []
        try:
            await accounts.create(
                name=name, password=password, role=role, extension=extension, queues=scope,
                language="en",
            )  # fmt: skip
        except UserRefused:  # made by an earlier run
            await accounts.change(name, {"password": password, "disabled": False})
    with contextlib.suppress(UserRefused):  # made by an earlier run
        await accounts.create(
            name="wallboard", password=secrets.token_urlsafe(16), role=Role.WALLBOARD,
            extension=None, queues=queues, language="en",
        )  # fmt: skip
    tv = await accounts.open_session("wallboard")
    web = f"http://{config.server.http_listen}"
    names = ", ".join(name for name, _, _ in people)
    log.info("demo: web sign-in at %s/: users %s, password %s (new at every start)",
             web, names, password)  # fmt: skip
    log.info("demo: wallboard for a TV: %s/wallboard?token=%s", web, tv.token)


def _simulated_agents(config: Config, settings: DemoSettings) -> list[ExtensionConfig]:
    queued = {number for queue in config.queues for number in queue.agents}
    agents = [e for e in config.extensions if e.agent and e.number in queued]
    human = settings.human_agents
    if human is None:
        human = (agents[-1].number,) if len(agents) > 1 else ()
    return [agent for agent in agents if agent.number not in human]


def caller_routes(config: Config, host: str) -> list[tuple[str, str]]:
    """(number to dial, queue) for each queue reachable by a trunk trusting ``host``."""
    address = ipaddress.ip_address(host)
    queues = {queue.number for queue in config.queues}
    routes = []
    for trunk in config.trunks:
        if any(address in network for network in trunk.networks):
            routes += [(did, to) for did, to in trunk.did.items() if to in queues]
    return routes


async def run_demo_traffic(
    config: Config,
    *,
    settings: DemoSettings = DemoSettings(),
    seed: int | None = None,
    tally: Tally | None = None,
) -> None:
    """Run simulated agents and callers against the server of ``config`` until cancelled.

    Needs the server listening already. Calls go over real SIP and RTP on loopback; the phones
    have a MediaServer of their own on ``settings.rtp_ports``. On cancel every phone hangs up
    and unregisters before this returns (raising CancelledError).
    """
    rng = random.Random(seed)
    tally = tally if tally is not None else Tally()
    agents = _simulated_agents(config, settings)
    log_demo_banner(config, [agent.number for agent in agents])
    media = MediaServer(rtp_address=config.media.rtp_address, port_range=settings.rtp_ports)
    await media.start()
    phones: list[Softphone] = []
    waiting: dict[str, asyncio.Event] = {}
    try:
        async with asyncio.TaskGroup() as group:
            for agent in agents:
                simulated = SimulatedAgent(config, agent, media, settings, rng, tally, waiting)
                phones.append(simulated.phone)
                group.create_task(simulated.run())
            callers = _callers(config, media, settings, rng, tally, waiting)
            if callers is not None:
                phones.append(callers.phone)
                group.create_task(callers.run())
            group.create_task(_summaries(tally, settings.summary_every))
    finally:
        for phone in phones:
            with contextlib.suppress(OSError):
                await phone.close()
        await media.close()


def _callers(
    config: Config,
    media: MediaServer,
    settings: DemoSettings,
    rng: random.Random,
    tally: Tally,
    waiting: dict[str, asyncio.Event],
) -> SimulatedCallers | None:
    routes = caller_routes(config, settings.caller_host)
    if not routes:
        log.warning("demo: no trunk trusts %s, so no simulated callers", settings.caller_host)
        return None
    return SimulatedCallers(config, routes, media, settings, rng, tally, waiting)


async def _summaries(tally: Tally, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        log.info("demo: %s", tally)


@dataclass(slots=True)
class Tally:
    """What the simulated phones saw."""

    agents_logged_in: int = 0
    calls_placed: int = 0
    calls_answered_by_agents: int = 0
    calls_abandoned: int = 0
    calls_failed: int = 0
    calls_completed: int = 0

    def __str__(self) -> str:
        return (
            f"{self.agents_logged_in} agents logged in; calls placed {self.calls_placed}, "
            f"answered by agents {self.calls_answered_by_agents}, completed "
            f"{self.calls_completed}, abandoned {self.calls_abandoned}, failed {self.calls_failed}"
        )


async def _ended_within(call: PhoneCall, seconds: float) -> bool:
    """Wait up to ``seconds`` for the call to end; whether it did."""
    try:
        await asyncio.wait_for(call.wait_ended(), seconds)
    except TimeoutError:
        return False
    return True


def _phone(config: Config, media: MediaServer, host: str, number: str, password: str) -> Softphone:
    return Softphone(
        media, host, username=number, password=password, domain=config.server.domain,
        registrar=sip_address(config),
    )  # fmt: skip


class SimulatedAgent:
    """One agent's phone: register, log in with the feature code, take offered calls."""

    def __init__(
        self,
        config: Config,
        extension: ExtensionConfig,
        media: MediaServer,
        settings: DemoSettings,
        rng: random.Random,
        tally: Tally,
        waiting: dict[str, asyncio.Event],
    ) -> None:
        self.config = config
        self.waiting = waiting  # caller number -> set when an agent answers that caller
        self.extension = extension
        self.settings = settings
        self.rng = rng
        self.tally = tally
        self.phone = _phone(config, media, "127.0.0.1", extension.number, extension.password)
        self.phone.on_incoming = self._offered
        self.busy = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        await self.phone.start()
        try:
            await self.phone.register(self.settings.register_expires)
        except RegistrationFailed as error:
            log.error("demo: agent %s cannot register: %s", self.extension.number, error)
            return
        if not self.extension.always_logged_in:
            await self._log_in()
        self.tally.agents_logged_in += 1
        try:
            await asyncio.Event().wait()  # calls arrive through on_incoming until cancelled
        finally:
            _cancel_all(self._tasks)

    async def _log_in(self) -> None:
        """Dial the agent-login code; Hotline confirms with a prompt and hangs up."""
        try:
            call = await self.phone.call(self.config.features.agent_login)
            await asyncio.wait_for(call.wait_answered(), 10)
            if not await _ended_within(call, 15):
                await call.hangup()
        except (CallFailed, TimeoutError) as error:
            log.warning("demo: agent %s login failed: %s", self.extension.number, error)
            return
        log.info("demo: agent %s logged in", self.extension.number)

    def _offered(self, call: PhoneCall) -> None:
        task = asyncio.get_running_loop().create_task(self._take(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _take(self, call: PhoneCall) -> None:
        if self.busy:
            await call.reject(486)
            return
        self.busy = True
        try:
            await self._talk(call)
        except CallFailed as error:
            log.debug("demo: agent %s lost a call: %s", self.extension.number, error)
        finally:
            self.busy = False

    async def _talk(self, call: PhoneCall) -> None:
        await call.ring()
        if await _ended_within(call, self.rng.uniform(*self.settings.ring_seconds)):
            return  # the caller gave up, or the offer went to another agent
        await call.answer()
        self.tally.calls_answered_by_agents += 1
        connected = self.waiting.get(call.caller)
        if connected is not None:
            connected.set()
        await call.play(list(self.extension.number), loop=True)  # "one zero one ..."
        talk = self.rng.lognormvariate(_mu(self.settings.talk_median), self.settings.talk_sigma)
        if not await _ended_within(call, talk):
            await call.hangup()
        self.tally.calls_completed += 1


def _cancel_all(tasks: set[asyncio.Task[None]]) -> None:
    """Stop the phone's calls in progress; closing the phone then hangs them up."""
    for task in list(tasks):
        task.cancel()


def _mu(median: float) -> float:
    """The log-normal's mu for a median (the median of exp(N(mu, sigma)) is exp(mu))."""
    return math.log(median)


class SimulatedCallers:
    """Callers arriving through the trunk, each with a number of its own, one phone for all."""

    def __init__(
        self,
        config: Config,
        routes: list[tuple[str, str]],
        media: MediaServer,
        settings: DemoSettings,
        rng: random.Random,
        tally: Tally,
        waiting: dict[str, asyncio.Event],
    ) -> None:
        self.routes = routes
        self.settings = settings
        self.rng = rng
        self.tally = tally
        self.phone = _phone(config, media, settings.caller_host, "trunk", "unused-password")
        self.waiting = waiting
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        await self.phone.start()
        try:
            async with asyncio.TaskGroup() as group:
                for dialled, queue in self.routes:
                    group.create_task(self._arrivals(dialled, queue))
        finally:
            _cancel_all(self._tasks)

    async def _arrivals(self, dialled: str, queue: str) -> None:
        rate = self.settings.calls_per_minute / 60.0
        while True:
            await asyncio.sleep(self.rng.expovariate(rate))
            number = f"7495{self.rng.randrange(10**7):07d}"
            task = asyncio.get_running_loop().create_task(self._call(dialled, queue, number))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _call(self, dialled: str, queue: str, number: str) -> None:
        self.tally.calls_placed += 1
        try:
            call = await self.phone.call(dialled, caller_id=number)
            await asyncio.wait_for(call.wait_answered(), 30)
        except (CallFailed, TimeoutError) as error:
            self.tally.calls_failed += 1
            log.warning("demo: caller %s to queue %s failed: %s", number, queue, error)
            return
        await call.play_tone(350.0 + self.rng.randrange(8) * 25, seconds=1.0)
        connected = self.waiting[number] = asyncio.Event()
        try:
            await self._wait_for_agent(call, connected)
        finally:
            del self.waiting[number]

    async def _wait_for_agent(self, call: PhoneCall, connected: asyncio.Event) -> None:
        """Until an agent takes the call, the caller's patience runs out, or Hotline ends it
        (maximum wait); once connected, until the agent hangs up."""
        mu, sigma = _mu(self.settings.patience_median), self.settings.patience_sigma
        patience = self.rng.lognormvariate(mu, sigma)
        agent = asyncio.ensure_future(connected.wait())
        ended = asyncio.ensure_future(call.wait_ended())
        try:
            await asyncio.wait({agent, ended}, timeout=patience, return_when="FIRST_COMPLETED")
        finally:
            agent.cancel()
            ended.cancel()
        if not connected.is_set() and not call.sip.ended:
            self.tally.calls_abandoned += 1
            await call.hangup()
            return
        await _ended_within(call, 3600.0)


def main() -> None:
    """Demo traffic against ``hotline serve --demo`` running in another process."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--calls-per-minute", type=float, default=3.0, help="per queue")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = DemoSettings(calls_per_minute=args.calls_per_minute)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_demo_traffic(demo_config(), settings=settings, seed=args.seed))
