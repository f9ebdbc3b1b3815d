"""Feature: queue calls. The ACD engine's commands carried out over SIP and media, and what
happens on the phones fed back to it as events.

The caller is answered, hears the queue's welcome prompt and music on hold, and position and
wait announcements in the queue's language. Each ``Offer`` rings the chosen agents' phones
(several at once for ring-all and by-threes); the first 2xx is reported as ``OfferAnswered``
and the engine's ``Connect`` bridges it, its ``CancelOffer`` hangs up the others. ``Leave``
sends a caller who waited too long to the queue's failover: another queue, another feature's
destination (``failover_to``: extensions), or a goodbye prompt. The engine runs on the injected
clock's monotonic ``now``; its ``WakeAt`` becomes one timer. What the feature knows of a call
(the queue it waits in, the agent it was connected to, offers ringing, the prompt playing) it
keeps by call id.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from hotline import acd
from hotline.acd import AcdError, AgentId, CallerId, QueueId
from hotline.config import Config
from hotline.events import AgentStateChanged, QueueCallConnected, QueueEventLogged
from hotline.media import Language, PlaybackId, StopReason, say_duration, say_number
from hotline.pbx.b2bua import B2bua
from hotline.pbx.calls import Call
from hotline.pbx.clock import Timer
from hotline.pbx.features.queue_engine import build_engine
from hotline.pbx.legs import OutboundLeg
from hotline.pbx.moments import BranchAnswered, BranchFailed, Ended, PromptFinished
from hotline.pbx.routing import DestinationKind

__all__ = ["QUEUE", "QueueService"]

QUEUE = DestinationKind("queue", from_trunks=True)

log = logging.getLogger(__name__)

# Why a call ends through no choice of its caller (Call.end causes): a waiting caller lost so
# is dropped, not counted as an abandon.
_DROPPED_CAUSES = frozenset({"shutdown", "media_lost", "media_failure", "internal_error"})


class QueueService:
    """The ACD engine wired to calls. ``failover_to`` carries an answered caller to a
    failover destination of another feature's kind (an extension is rung)."""

    def __init__(
        self,
        pbx: B2bua,
        config: Config,
        *,
        failover_to: Mapping[DestinationKind, Callable[[Call, str], Coroutine[Any, Any, None]]]
        | None = None,
    ) -> None:
        self.pbx = pbx
        self.config = config
        self.clock = pbx.clock
        self.engine = build_engine(config)
        self.languages = {queue.number: queue.language for queue in config.queues}
        self._failover_to = dict(failover_to or {})
        self._callers: dict[CallerId, Call] = {}  # waiting in a queue
        self._queue_of: dict[str, str] = {}  # call id -> the queue it waits in
        self._agent_of: dict[str, AgentId] = {}  # call id -> the agent it was connected to
        self._offers: dict[tuple[CallerId, AgentId], list[OutboundLeg]] = {}
        self._prompts: dict[CallerId, PlaybackId] = {}
        self._events: deque[acd.Event] = deque()
        self._running = False
        self._timer: Timer | None = None
        pbx.dialplan.add(QUEUE, self.languages)
        pbx.on_route(QUEUE, self._route)
        moments = pbx.moments
        moments.subscribe(BranchAnswered, self._agent_answered)
        moments.subscribe(BranchFailed, self._branch_failed)
        moments.subscribe(PromptFinished, self._prompt_finished)
        moments.subscribe(Ended, self._call_ended)

    def now(self) -> float:
        return self.clock.now()

    def queue_of(self, call: Call) -> str | None:
        """The queue ``call`` waits in, if it waits."""
        return self._queue_of.get(call.id)

    def agent_of(self, call: Call) -> str | None:
        """The agent ``call`` was connected to by a queue."""
        return self._agent_of.get(call.id)

    async def _route(self, call: Call) -> None:
        if await call.answer() and not call.ended:
            self.join(call, call.destination.number)

    def start(self) -> None:
        for extension in self.config.extensions:
            if extension.always_logged_in:
                self.feed(acd.AgentLoggedIn(agent=AgentId(extension.number)))
                log.info("agent %s logged in (always_logged_in)", extension.number)
                change = AgentStateChanged(
                    agent=extension.number, change="logged_in", at=self.clock.wall()
                )
                self.pbx.bus.publish(change)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def feed(self, event: acd.Event) -> None:
        """Hand an event to the engine and carry out its commands. Events caused while
        commands run wait their turn, so the engine is never entered twice."""
        self._events.append(event)
        if self._running:
            return
        self._running = True
        try:
            while self._events:
                self._handle(self._events.popleft())
        finally:
            self._running = False

    def _handle(self, event: acd.Event) -> None:
        try:
            commands = self.engine.handle(event, self.now())
        except AcdError as error:
            log.info("ACD refused %s: %s", type(event).__name__, error)
            return
        for command in commands:
            self._execute(command)
        self._publish_records()

    def _publish_records(self) -> None:
        """The engine's queue-log records, on the bus for the store (times made wall-clock)."""
        records = self.engine.take_records()
        if not records:
            return
        offset = self.clock.wall() - self.now()
        for record in records:
            self.pbx.bus.publish(
                QueueEventLogged(
                    at=record.time + offset,
                    verb=record.verb.value,
                    call_id=record.caller and self.pbx.record_id(record.caller),
                    queue=record.queue,
                    agent=record.agent,
                    position=record.position,
                    original_position=record.original_position,
                    wait=record.wait,
                    talk=record.talk,
                    ring=record.ring,
                    reason=record.reason,
                    detail=record.detail,
                    explanation=record.explain() if record.reasons else None,
                )
            )

    def _execute(self, command: acd.Command) -> None:
        if isinstance(command, acd.Offer):
            self._offer(command)
        elif isinstance(command, acd.CancelOffer):
            self._cancel(command.caller, command.agents)
        elif isinstance(command, acd.Connect):
            self._connect(command)
        elif isinstance(command, acd.Leave):
            self._leave(command)
        elif isinstance(command, acd.PlayAnnouncement):
            self._announce(command)
        elif isinstance(command, acd.PauseAgent):
            log.info("agent %s paused by the ACD (%s)", command.agent, command.reason)
            self.pbx.bus.publish(
                AgentStateChanged(
                    agent=command.agent,
                    change="paused",
                    reason=command.reason,
                    at=self.clock.wall(),
                )
            )
        elif isinstance(command, acd.WakeAt):
            self._wake_at(command.at)
        else:
            log.info("ACD command not used by call control: %r", command)

    def _wake_at(self, at: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.clock.call_at(at, lambda: self.feed(acd.TimerFired()))

    # -- callers -----------------------------------------------------------------------------

    def join(self, call: Call, queue: str) -> None:
        """An answered caller enters ``queue``: welcome prompt, then music on hold."""
        caller = CallerId(call.id)
        self._queue_of[call.id] = queue
        self._callers[caller] = call
        log.info("queue %s: call %s from %s joined", queue, call.id, call.caller)
        self._play(call, ["welcome"])
        self.feed(acd.CallerJoined(caller=caller, queue=QueueId(queue), number=call.caller))

    def _play(self, call: Call, items: list[str]) -> None:
        media, queue = call.caller_media, self._queue_of.get(call.id)
        if media is None or queue is None:
            return
        language = self.languages.get(queue, "en")

        async def play() -> None:
            playback = await self.pbx.media.play(media, items, language=language)
            caller = CallerId(call.id)
            if caller in self._callers:  # not connected or gone meanwhile: then kept for ever
                self._prompts[caller] = playback

        call.spawn(play())

    def _prompt_finished(self, moment: PromptFinished) -> None:
        """After a prompt the waiting caller hears music again."""
        call, event = moment.call, moment.event
        caller = CallerId(call.id)
        if self._prompts.get(caller) != event.playback_id or event.reason is StopReason.STOPPED:
            return
        del self._prompts[caller]
        if caller in self._callers and call.caller_media is not None:
            call.spawn(self._moh(call))

    async def _moh(self, call: Call) -> None:
        media = call.caller_media
        if media is not None and not call.ended:
            await self.pbx.media.play_moh(media)

    def _announce(self, command: acd.PlayAnnouncement) -> None:
        call = self._callers.get(command.caller)
        queue = self._queue_of.get(call.id) if call is not None else None
        if call is None or queue is None:
            return
        language = self.languages.get(queue, "en")
        items: list[str] = []
        if command.position is not None:
            items += ["caller_number", *say_number(command.position, language)]
        if command.estimated_wait_seconds is not None:
            items += ["estimated_wait", *say_duration(command.estimated_wait_seconds, language)]
        if items:
            log.info(
                "queue %s: call %s hears position %s, estimated wait %s",
                queue, call.id, command.position, command.estimated_wait_seconds,
            )  # fmt: skip
            self._play(call, items)

    def _leave(self, command: acd.Leave) -> None:
        call = self._callers.pop(command.caller, None)
        self._prompts.pop(command.caller, None)
        if call is None or command.reason is acd.LeaveReason.ABANDON:
            return
        self._cancel_all(command.caller)
        log.info(
            "queue %s: call %s left (%s) after %.1f s, to %s",
            command.queue,
            call.id,
            command.reason.value,
            command.wait_seconds,
            command.destination or "hangup",
        )
        self._queue_of.pop(call.id, None)
        self.failover(call, command.destination, self.languages.get(command.queue, "en"))

    def failover(self, call: Call, destination: str | None, language: Language = "en") -> None:
        """Where a caller goes after the queue's maximum wait: another queue, an extension,
        or a goodbye prompt and hang-up."""
        target = self.pbx.dialplan.route(destination) if destination else None
        carry = self._failover_to.get(target.kind) if target is not None else None
        media = call.caller_media
        if target is not None and target.kind is QUEUE:
            self.join(call, target.number)
        elif target is not None and carry is not None:
            call.spawn(carry(call, target.number))
        elif media is not None:
            call.hang_up_after_playback = True

            async def goodbye() -> None:
                await self.pbx.media.play(media, ["all_busy"], language=language)

            call.spawn(goodbye())
        else:
            call.end("failover_hangup")

    # -- offers to agents ------------------------------------------------------------------

    def _offer(self, command: acd.Offer) -> None:
        """Ring the offered agents' phones. An agent without a registered phone cannot be
        reached: a missed offer, after which the engine leaves the agent alone for the
        queue's ``retry_after_miss`` (so this line is logged once per offer, not in a loop)."""
        call = self._callers.get(command.caller)
        ringing = []
        for agent in command.agents:
            if call is None or not self.pbx.contacts(agent):
                if call is not None:
                    log.info("queue %s: agent %s has no registered phone", command.queue, agent)
                self.feed(acd.OfferNotAnswered(caller=command.caller, agent=agent))
                continue
            log.info("queue %s: offering call %s to agent %s", command.queue, call.id, agent)
            self._offers[(command.caller, agent)] = []
            ringing.append(agent)
        if call is not None and ringing:
            call.spawn(self._ring(call, command.caller, ringing))

    async def _ring(self, call: Call, caller: CallerId, agents: list[AgentId]) -> None:
        targets = [(str(agent), b) for agent in agents for b in self.pbx.contacts(agent)]
        for leg in await call.ring(targets):
            legs = self._offers.get((caller, AgentId(leg.label)))
            if legs is not None:
                legs.append(leg)
            else:  # withdrawn while the legs were being set up
                call.withdraw(leg)

    def _cancel(self, caller: CallerId, agents: tuple[AgentId, ...]) -> None:
        call = self._callers.get(caller)
        for agent in agents:
            for leg in self._offers.pop((caller, agent), []):
                if call is not None and leg is call.peer:
                    continue
                if call is not None:
                    call.withdraw(leg)
                else:
                    leg.hang_up()

    def _cancel_all(self, caller: CallerId) -> None:
        agents = tuple(agent for (c, agent) in self._offers if c == caller)
        self._cancel(caller, agents)

    def _agent_answered(self, moment: BranchAnswered) -> bool:
        """An agent's phone answered first: accepted when the engine connects it (else the
        core withdraws the branch and hangs it up)."""
        call, leg = moment.call, moment.leg
        caller, agent = CallerId(call.id), AgentId(leg.label)
        if caller not in self._callers:
            return True  # not waiting in a queue: not ours to judge
        self.feed(acd.OfferAnswered(caller=caller, agent=agent))
        return self._agent_of.get(call.id) == agent

    def _connect(self, command: acd.Connect) -> None:
        call = self._callers.pop(command.caller, None)
        if call is None:
            return
        self._offers.pop((command.caller, command.agent), None)
        self._prompts.pop(command.caller, None)
        self._agent_of[call.id] = command.agent
        self._queue_of.pop(call.id, None)
        log.info(
            "queue %s: call %s connected to agent %s after %.1f s",
            command.queue,
            call.id,
            command.agent,
            command.wait_seconds,
        )
        self.pbx.bus.publish(
            QueueCallConnected(
                call_id=self.pbx.record_id(call.id),
                queue=command.queue,
                agent=command.agent,
                wait_seconds=command.wait_seconds,
                at=self.clock.wall(),
            )
        )

    def _branch_failed(self, moment: BranchFailed) -> None:
        """A ringing agent phone failed (busy, declined, timeout): when all of that agent's
        phones failed, the agent declined the offer."""
        call, leg, status = moment.call, moment.leg, moment.status
        caller, agent = CallerId(call.id), AgentId(leg.label)
        if caller not in self._callers:
            return
        legs = self._offers.get((caller, agent))
        if legs is None or not all(other.ended for other in legs):
            return
        del self._offers[(caller, agent)]
        log.info("call %s: agent %s did not take the offer (%d)", call.id, agent, status)
        self.feed(acd.OfferRejected(caller=caller, agent=agent))

    def _call_ended(self, moment: Ended) -> None:
        call, cause = moment.call, moment.cause
        caller = CallerId(call.id)
        queue = self._queue_of.pop(call.id, None)
        agent = self._agent_of.pop(call.id, None)
        if self._callers.pop(caller, None) is not None:
            self._prompts.pop(caller, None)
            self._cancel_all(caller)
            if cause in _DROPPED_CAUSES:
                log.info("queue %s: call %s dropped (%s)", queue, call.id, cause)
                self.feed(acd.CallerDropped(caller=caller, cause=cause))
            else:
                log.info("queue %s: call %s abandoned", queue, call.id)
                self.feed(acd.CallerAbandoned(caller=caller))
        elif agent is not None:
            self.feed(acd.CallEnded(agent=agent, by_agent=moment.by_peer))
