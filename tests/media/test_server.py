"""MediaServer over real UDP on 127.0.0.1, with our own RTP peers."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os

import numpy as np
import pytest

from hotline.media import (
    DtmfReceived,
    DtmfSource,
    Law,
    LegStatistics,
    OfferRefused,
    PlaybackFinished,
    Role,
    RtpTimeout,
    StopReason,
)
from hotline.media.g711 import transcode_table
from hotline.media.rtcp import parse_compound
from hotline.media.rtp import build_rtp
from hotline.media.sdp import parse_sdp

from .conftest import connect, make_peer


async def _wait_for(predicate, timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def _events(server, kind, count: int = 1, timeout: float = 2.0) -> list:
    found = []
    async with asyncio.timeout(timeout):
        while len(found) < count:
            event = await server.next_event()
            if isinstance(event, kind):
                found.append(event)
    return found


async def test_bridged_call_relays_g711_exactly_both_ways(server) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    sent_by_caller = [os.urandom(160) for _ in range(20)]
    sent_by_agent = [os.urandom(240) for _ in range(20)]  # 30 ms packets pass untouched
    for one, two in zip(sent_by_caller, sent_by_agent, strict=True):
        caller.send_codes(one)
        agent.send_codes(two)
        await asyncio.sleep(0.002)
    await _wait_for(lambda: len(agent.received) == 20 and len(caller.received) == 20)
    assert [r.payload for r in agent.received] == sent_by_caller
    assert [r.payload for r in caller.received] == sent_by_agent
    # Each side sees one stream of ours: our SSRC, consecutive sequence numbers.
    sequences = [r.sequence for r in agent.received]
    assert sequences == [(sequences[0] + i) & 0xFFFF for i in range(20)]
    assert len({r.ssrc for r in agent.received}) == 1 and agent.received[0].ssrc != caller.ssrc


async def test_bridge_between_laws_transcodes(server) -> None:
    caller_leg, caller = await connect(server, Law.PCMU)
    agent_leg, agent = await connect(server, Law.PCMA)
    await server.bridge(caller_leg, agent_leg)
    codes = os.urandom(160)
    caller.send_codes(codes)
    await _wait_for(lambda: agent.received)
    assert agent.received[0].payload_type == 8
    assert agent.received[0].payload == codes.translate(transcode_table(Law.PCMU, Law.PCMA))


async def test_new_ssrc_and_sequence_jump_keep_audio_flowing(server) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    for _ in range(5):
        caller.send_codes(b"\x01" * 160)
    caller.ssrc, caller.sequence, caller.timestamp = 999, 40000, 123456789  # a re-INVITE
    for _ in range(5):
        caller.send_codes(b"\x02" * 160)
    await _wait_for(lambda: len(agent.received) == 10)
    stamps = [r.timestamp for r in agent.received]
    assert all((b - a) & 0xFFFFFFFF == 160 for a, b in itertools.pairwise(stamps))
    assert agent.received[5].marker and agent.received[5].payload == b"\x02" * 160


async def test_garbage_is_counted_and_the_leg_keeps_working(server) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    for junk in (b"\x80", b"\x00" * 40, b"\x8f" + bytes(11), b"\xff" * 3, os.urandom(1)):
        caller.send_raw(junk)
    caller.send_codes(b"\x05" * 160)
    await _wait_for(lambda: agent.received)
    assert server.statistics(caller_leg).bad_packets == 5


async def test_refused_offer_raises_for_488(server) -> None:
    peer = await make_peer()
    with pytest.raises(OfferRefused):
        await server.open_leg(peer.offer(laws="18"))


async def test_outbound_leg_offer_and_answer(server) -> None:
    peer = await make_peer(Law.PCMA)
    leg, offer = await server.create_leg()
    assert "m=audio" in offer and "PCMA/8000" in offer
    answer = peer.offer(laws="8").replace("o=peer", "o=callee")
    await server.apply_answer(leg, answer)
    peer.answered(offer)
    await server.play(leg, ["1"], language="en")
    await _wait_for(lambda: len(peer.received) > 5)
    assert peer.received[0].payload_type == 8 and peer.received[0].marker


async def test_prompt_plays_to_the_end_and_reports(server) -> None:
    leg, peer = await connect(server)
    playback = await server.play(leg, ["7"], language="ru")
    (finished,) = await _events(server, PlaybackFinished, timeout=3)
    assert finished.playback_id == playback and finished.reason is StopReason.FINISHED
    expected = len(server.prompts.load("7", "ru"))
    assert abs(len(peer.audio()) - expected) < 160 * 3
    assert np.abs(peer.audio()).max() > 3000


async def test_digit_interrupts_prompt_and_info_digits_are_reported(server) -> None:
    leg, _peer = await connect(server)
    await server.play(leg, ["welcome", "all_busy"], interrupt_digits="1")
    await asyncio.sleep(0.1)
    server.feed_info_digit(leg, "1")
    (digit,) = await _events(server, DtmfReceived)
    assert (digit.digit, digit.source) == ("1", DtmfSource.INFO)
    (finished,) = await _events(server, PlaybackFinished)
    assert (finished.reason, finished.digit) == (StopReason.INTERRUPTED, "1")


async def test_send_dtmf_as_rfc4733_events(server) -> None:
    leg, peer = await connect(server)
    await server.send_dtmf(leg, "42")
    await _wait_for(lambda: sum(r.payload[1] & 0x80 != 0 for r in peer.received) >= 6)
    events = [r for r in peer.received if r.payload_type == 101]
    starts = [r for r in events if r.marker]
    assert [r.payload[0] for r in starts] == [4, 2]
    assert len({r.timestamp for r in events}) == 2


async def test_inactivity_reported_and_statistics_on_close(server) -> None:
    leg, peer = await connect(server)
    peer.send_codes(b"\xff" * 160)
    (timeout,) = await _events(server, RtpTimeout, timeout=3)
    assert timeout.leg_id == leg and timeout.silent_for >= 0.6
    statistics = await server.close_leg(leg)
    assert isinstance(statistics, LegStatistics) and statistics.packets_received == 1


async def test_rtcp_reports_are_sent_and_read(server) -> None:
    leg, peer = await connect(server)
    await server.play(leg, ["welcome"])
    for _ in range(10):
        peer.send_codes(b"\xff" * 160)
        await asyncio.sleep(0.02)
    await _wait_for(lambda: peer.rtcp, timeout=3)
    (report,) = parse_compound(peer.rtcp[0])
    assert report.blocks and report.blocks[0].ssrc == peer.ssrc


async def test_loss_and_sequence_counted_on_the_inline_path(server) -> None:
    leg, peer = await connect(server)
    for index in range(12):
        if index in (3, 7):
            peer.sequence += 1  # lost on the way
            peer.timestamp += 160
            continue
        peer.send_codes(b"\xff" * 160)
    await _wait_for(lambda: server.statistics(leg).packets_received == 10)
    statistics = server.statistics(leg)
    assert statistics.packets_lost == 2 and statistics.bad_packets == 0


async def test_hold_stops_sending_and_resume_restarts(server) -> None:
    leg, peer = await connect(server)
    await server.play_moh(leg)
    await _wait_for(lambda: len(peer.received) > 3)
    # The phone puts us on hold (RFC 3264 §8.4): it only sends, so we only receive.
    held = await server.update_leg(leg, peer.offer(laws="0", direction="sendonly"))
    assert "a=recvonly" in held
    assert parse_sdp(held).session_version == 1  # a new description of the same session
    await asyncio.sleep(0.05)
    count = len(peer.received)
    await asyncio.sleep(0.25)
    assert len(peer.received) == count  # they asked for no media: nothing is sent
    inactive = await server.update_leg(leg, peer.offer(laws="0", direction="inactive"))
    assert "a=inactive" in inactive
    await server.update_leg(leg, peer.offer(laws="0"))
    await _wait_for(lambda: len(peer.received) > count + 3)
    resumed = peer.received[count]
    assert resumed.marker  # a new talk-spurt after the pause


async def test_music_on_hold_loops_until_stopped(server) -> None:
    leg, peer = await connect(server)
    playback = await server.play_moh(leg)
    await asyncio.sleep(0.2)
    await server.stop_playback(leg)
    (finished,) = await _events(server, PlaybackFinished)
    assert (finished.playback_id, finished.reason) == (playback, StopReason.STOPPED)
    assert np.abs(peer.audio()).max() > 1000


async def test_unknown_ids_and_misuse_are_refused(server) -> None:
    from hotline.media import UnknownId

    leg, _ = await connect(server)
    with pytest.raises(UnknownId):
        await server.close_leg(9999)
    with pytest.raises(ValueError):
        await server.bridge(leg, leg)
    with pytest.raises(ValueError):
        server.feed_info_digit(leg, "x")
    with pytest.raises(FileNotFoundError):
        await server.play(leg, ["no_such_prompt"])
    other, _ = await connect(server)
    bridge = await server.bridge(leg, other)
    with pytest.raises(UnknownId):
        await server.set_role(bridge, leg, Role.BARGE)  # a party, not a participant
    with pytest.raises(ValueError):
        await server.apply_answer(leg, "v=0")  # we made no offer on this leg


async def test_closing_a_leg_releases_its_ports(server) -> None:
    import re
    import socket

    peer = await make_peer()
    leg, answer = await server.open_leg(peer.offer())
    port = int(re.search(r"m=audio (\d+)", answer).group(1))
    await server.close_leg(leg)
    for number in (port, port + 1):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", number))  # would fail if the leg's socket were still open
        probe.close()


async def test_periodic_leg_statistics(tmp_path) -> None:
    from hotline.media import MediaServer

    seen: list[LegStatistics] = []
    media = MediaServer(rtp_address="127.0.0.1", port_range=(41000, 41999), statistics_interval=0.2)
    media.subscribe(lambda event: seen.append(event) if isinstance(event, LegStatistics) else None)
    async with media:
        leg, peer = await connect(media)
        peer.send_codes(b"\xff" * 160)
        await _wait_for(lambda: any(s.leg_id == leg and s.packets_received for s in seen))


async def test_relay_resumes_forward_in_time_after_a_prompt(server, seen) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    await server.play(agent_leg, ["0"])  # "this call may be recorded", to the agent only
    sent = 0
    while not any(isinstance(e, PlaybackFinished) for e in seen):
        caller.send_codes(b"\x11" * 160)  # the caller talks over the prompt
        sent += 1
        await asyncio.sleep(0.02)
        assert sent < 200
    for _ in range(5):
        caller.send_codes(b"\x22" * 160)
        await asyncio.sleep(0.02)
    stamps = [r.timestamp for r in agent.received]
    steps = [(b - a) & 0xFFFFFFFF for a, b in itertools.pairwise(stamps)]
    assert all(0 < step < 8000 for step in steps)  # never backwards, never a wild jump
    relayed = [r for r in agent.received if r.payload == b"\x22" * 160]
    assert len(relayed) == 5  # caller's voice relayed again once the prompt ended


async def test_ipv6_leg_on_loopback() -> None:
    import socket

    from hotline.media import MediaServer

    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    loop = asyncio.get_running_loop()
    received: list[bytes] = []

    class Phone(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: object) -> None:
            received.append(data)

    transport, _ = await loop.create_datagram_endpoint(Phone, local_addr=("::1", 0))
    port = transport.get_extra_info("sockname")[1]
    offer = (
        f"v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\n"
    )
    async with MediaServer(rtp_address="::1", port_range=(41000, 41999)) as media:
        leg, answer = await media.open_leg(offer)
        assert "c=IN IP6 ::1" in answer
        await media.play(leg, ["1"])
        await _wait_for(lambda: len(received) > 3)
        # A packet from the phone latches its (IPv6) address: the prompt goes on over the
        # socket connected to it.
        leg_port = int(answer.split("m=audio ")[1].split()[0])
        transport.sendto(
            build_rtp(
                payload_type=0, sequence=1, timestamp=0, ssrc=5, payload=bytes(160), marker=False
            ),
            ("::1", leg_port),
        )
        await _wait_for(lambda: media.statistics(leg).packets_received == 1)
        assert media._sockets[leg][0].connected
        count = len(received)
        await _wait_for(lambda: len(received) > count + 3)
    transport.close()


async def test_send_dtmf_in_band_when_no_telephone_event(server) -> None:
    from hotline.media.tone import InbandDetector, classify

    peer = await make_peer()
    offer = (
        peer.offer()
        .replace(" 101\r\n", "\r\n")
        .replace("a=rtpmap:101 telephone-event/8000\r\n", "")
        .replace("a=fmtp:101 0-16\r\n", "")
    )
    leg, answer = await server.open_leg(offer)
    assert "telephone-event" not in answer
    peer.answered(answer)
    await server.send_dtmf(leg, "73")
    await _events(server, PlaybackFinished)
    samples = peer.audio()
    detector = InbandDetector()
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    presses = [detector.feed(d) for d in [*classify(frames), None]]
    assert [p.digit for p in presses if p] == ["7", "3"]


async def test_exhausted_port_range_raises_oserror() -> None:
    from hotline.media import MediaServer

    peer = await make_peer()
    async with MediaServer(rtp_address="127.0.0.1", port_range=(41950, 41954)) as media:
        await media.open_leg(peer.offer())
        await media.open_leg(peer.offer())
        with pytest.raises(OSError):
            await media.open_leg(peer.offer())


async def test_strangers_are_dropped_once_the_peer_is_latched(server) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    caller.send_codes(b"\x01" * 160)  # the first packet latches the caller's address
    await _wait_for(lambda: len(agent.received) == 1)
    stale = await make_peer()  # a stale call's bleed: its own stream
    stale.remote, stale.ssrc = caller.remote, 0x5678
    injector = await make_peer()  # RTP injection with the caller's SSRC, blind to its sequence
    injector.remote, injector.sequence = caller.remote, caller.sequence + 5000
    for _ in range(5):
        stale.send_codes(b"\x09" * 160)
        injector.send_codes(b"\x08" * 160)
    caller.send_codes(b"\x02" * 160)
    agent.send_codes(b"\x03" * 160)
    await _wait_for(lambda: len(agent.received) == 2 and caller.received)
    await _wait_for(lambda: server.statistics(caller_leg).strangers == 10)
    await asyncio.sleep(0.05)
    assert [r.payload for r in agent.received] == [b"\x01" * 160, b"\x02" * 160]
    assert [r.payload for r in caller.received] == [b"\x03" * 160]
    assert not stale.received and not injector.received
    statistics = server.statistics(caller_leg)
    assert (statistics.packets_received, statistics.strangers) == (2, 10)
    assert statistics.peer_moves == 0


async def test_a_peer_whose_nat_mapping_changes_is_followed_to_its_new_address(server) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    caller.send_codes(b"\x01" * 160)  # latched
    await _wait_for(lambda: len(agent.received) == 1)
    # The caller's NAT now maps its stream to another port: same SSRC, the next packets.
    moved = await make_peer()
    moved.remote, moved.ssrc = caller.remote, caller.ssrc
    moved.sequence, moved.timestamp = caller.sequence + 2, caller.timestamp + 320  # one lost
    moved.send_codes(b"\x02" * 160)
    await _wait_for(lambda: len(agent.received) == 2)
    agent.send_codes(b"\x03" * 160)
    await _wait_for(lambda: moved.received)
    moved.send_codes(b"\x04" * 160)  # now straight to the leg's socket
    caller.send_codes(b"\x05" * 160)  # still in flight from the old mapping: older, dropped
    await _wait_for(lambda: len(agent.received) == 3)
    await _wait_for(lambda: server.statistics(caller_leg).strangers == 1)
    await asyncio.sleep(0.05)
    assert [r.payload for r in agent.received] == [bytes([n]) * 160 for n in (1, 2, 4)]
    assert [r.payload for r in moved.received] == [b"\x03" * 160] and not caller.received
    statistics = server.statistics(caller_leg)
    assert (statistics.peer_moves, statistics.strangers, statistics.packets_received) == (1, 1, 3)


async def test_after_a_reinvite_the_leg_learns_the_new_address(server) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    caller.send_codes(b"\x01" * 160)
    await _wait_for(lambda: len(agent.received) == 1)
    moved = await make_peer()  # the caller's phone now sends from another port (a new stream)
    moved.ssrc = 0x5678
    moved.answered(await server.update_leg(caller_leg, moved.offer(laws="0")))
    moved.send_codes(b"\x02" * 160)
    await _wait_for(lambda: len(agent.received) == 2)
    agent.send_codes(b"\x03" * 160)
    await _wait_for(lambda: moved.received)
    caller.send_codes(b"\x04" * 160)  # the old address is a stranger now
    await asyncio.sleep(0.05)
    assert [r.payload for r in agent.received] == [b"\x01" * 160, b"\x02" * 160]
    assert [r.payload for r in moved.received] == [b"\x03" * 160] and not caller.received


async def test_a_peer_behind_nat_is_answered_where_its_packets_come_from(server) -> None:
    named = await make_peer()  # the address its SDP names (a private one, behind the NAT)
    natted = await make_peer()  # where its packets come from
    caller_leg, answer = await server.open_leg(named.offer(laws="0"))
    natted.answered(answer)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    natted.send_codes(b"\x01" * 160)
    await _wait_for(lambda: agent.received)
    agent.send_codes(b"\x02" * 160)
    await _wait_for(lambda: natted.received)
    assert [r.payload for r in natted.received] == [b"\x02" * 160] and not named.received


async def test_legs_leave_no_socket_open_whatever_their_peers_did() -> None:
    from hotline.media import MediaServer

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    peers = [await make_peer() for _ in range(5)]  # opened before the count
    peers, moved = peers[:4], peers[4]
    async with MediaServer(rtp_address="127.0.0.1", port_range=(41960, 41979)) as media:
        before = open_files()
        legs = []
        for peer in peers:
            leg, answer = await media.open_leg(peer.offer(laws="0"))
            peer.answered(answer)
            legs.append(leg)
        await media.bridge(legs[0], legs[1])
        await media.bridge(legs[2], legs[3])
        for peer in peers:
            peer.send_codes(b"\x01" * 160)  # latched: each leg watches for strangers too
        await _wait_for(lambda: all(p.received for p in peers))
        assert open_files() == before + 4 * 3  # RTP, RTCP and the strangers' socket a leg
        # The first peer's NAT moves its stream: followed, the sockets stay.
        moved.remote, moved.ssrc, moved.sequence = peers[0].remote, peers[0].ssrc, peers[0].sequence
        moved.send_codes(b"\x02" * 160)
        await _wait_for(lambda: media.statistics(legs[0]).peer_moves == 1)
        await media.update_leg(legs[2], peers[2].offer(laws="0"))  # unlatched: learns anew
        for leg in legs:
            await media.close_leg(leg)
        assert open_files() == before


async def test_a_closed_call_leaves_no_leg_or_socket_behind(server) -> None:
    """A leg and its sockets hold each other (they feed it, it sends through them): once
    closed, reference counting must free them, since the media process's collector runs its
    full passes rarely and a busy node closes dozens of legs a second."""
    from hotline.media.aio.transport import RtcpSocket, RtpSocket
    from hotline.media.engine import Leg

    def alive() -> int:
        kinds = (Leg, RtpSocket, RtcpSocket)
        return sum(isinstance(o, kinds) for o in gc.get_objects())

    gc.collect()
    gc.disable()
    try:
        before = alive()
        for _ in range(3):
            await _bridged_call_closed(server)
        assert alive() == before
    finally:
        gc.enable()


async def _bridged_call_closed(server) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    await server.bridge(caller_leg, agent_leg)
    caller.send_codes(os.urandom(160))  # each socket latches to its phone
    agent.send_codes(os.urandom(160))
    await _wait_for(lambda: len(agent.received) > 0 and len(caller.received) > 0)
    await server.play(caller_leg, ["welcome"])
    for leg in (caller_leg, agent_leg):
        await server.close_leg(leg)
