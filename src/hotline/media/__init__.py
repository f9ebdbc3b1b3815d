"""Hotline's media engine: RTP legs, G.711, DTMF, prompts, music on hold, recording, mixing.

Call control uses one async object, :class:`MediaServer`, and never touches a socket::

    media = MediaServer(rtp_address="192.0.2.10", port_range=(20000, 29999),
                        recordings_dir=Path("recordings"), rtp_timeout=30.0,
                        statistics_interval=None)   # seconds between LegStatistics events
    repaired = await media.start()      # repairs recordings a crash left open, starts the clock

    # Legs (RFC 3264 offer/answer)
    leg, answer_sdp = await media.open_leg(offer_sdp)     # OfferRefused -> answer 488
    leg, offer_sdp = await media.create_leg()             # outbound: send our offer ...
    await media.apply_answer(leg, answer_sdp)             # ... then apply the 200 OK's answer
    answer_sdp = await media.update_leg(leg, reinvite_sdp)  # hold / resume / new address
    stats = await media.close_leg(leg)                    # LegStatistics

    # Playing (prompt names from the en/ru prompt sets, or WAV paths of any PCM format)
    items = ["caller_number", *say_number(3, "ru")]
    playback = await media.play(leg, items, language="ru", interrupt_digits="1#")
    await media.play_moh(leg)                             # loops until stop_playback or play
    await media.stop_playback(leg)

    # Bridging, supervision, recording
    bridge = await media.bridge(caller_leg, agent_leg)
    await media.add_participant(bridge, supervisor_leg, Role.LISTEN)
    await media.set_role(bridge, supervisor_leg, Role.WHISPER)   # or Role.BARGE
    await media.remove_participant(bridge, supervisor_leg)
    recording = await media.record(bridge, Path("2026/call-42.wav"))  # caller left, agent right
    heard = await media.record_leg(leg, Path("heard.wav"))   # what one leg receives, mono
    await media.pause_recording(recording); await media.resume_recording(recording)
    path = await media.stop_recording(recording)
    await media.unbridge(bridge)

    # DTMF
    media.feed_info_digit(leg, "5")                       # digits from SIP INFO
    await media.send_dtmf(leg, "123#")                    # RFC 4733 events to the peer

    # Events: DtmfReceived, PlaybackFinished, RtpTimeout, RecordingFinished, LegStatistics
    async for event in media.events(): ...                # or media.subscribe(callback)
    event = await media.next_event()                      # one at a time

    media.metrics                                         # ticks, late ticks of the 20 ms clock
    await media.close()

``MediaWorker`` takes the same arguments and commands and runs the server in a child process
(spawned by ``start``), so the media clock has a core and a garbage collector of its own;
``MediaService`` is the protocol both satisfy (``service``).

A leg plays to its peer what a player gives it, else what its bridge gives it: the partner's
packets, or the supervisor mix. Two-party bridges relay each packet as it arrives (rewriting
SSRC, sequence and timestamp, and transcoding mu-law/A-law with a byte table); a recorded
bridge's packets are also copied, as they arrive, into the recording's tape by RTP timestamp
(``recorder``), which each recording writes out every half second, recordings spread over the
ticks. Prompts, music and supervisor mixing run on the single 20 ms clock, with each tick's
work batched across calls with numpy. The cores (``sdp``, ``negotiation``, ``rtp``, ``rtcp``,
``g711``, ``dtmf``, ``tone``, ``jitter``, ``mixer``, ``player``, ``recorder``, ``wav``,
``session``, ``engine``) take
explicit times and hold no sockets; ``hotline.media.aio`` owns the sockets and the clock. This
package imports nothing else of hotline.
"""

from .aio.clock import ClockMetrics
from .aio.server import MediaServer, UnknownId
from .aio.worker import MediaWorker, MediaWorkerGone
from .dtmf import DtmfSource
from .events import (
    BridgeId,
    DtmfReceived,
    LegId,
    LegStatistics,
    MediaEvent,
    MediaLost,
    PlaybackFinished,
    PlaybackId,
    RecordingFinished,
    RecordingId,
    RtpTimeout,
)
from .g711 import Law
from .mixer import Role
from .negotiation import OfferRefused
from .player import StopReason
from .say import Language, say_digits, say_duration, say_number
from .sdp import SdpError
from .service import MediaService
from .wav import repair_wav

__all__ = [
    "BridgeId",
    "ClockMetrics",
    "DtmfReceived",
    "DtmfSource",
    "Language",
    "Law",
    "LegId",
    "LegStatistics",
    "MediaEvent",
    "MediaLost",
    "MediaServer",
    "MediaService",
    "MediaWorker",
    "MediaWorkerGone",
    "OfferRefused",
    "PlaybackFinished",
    "PlaybackId",
    "RecordingFinished",
    "RecordingId",
    "Role",
    "RtpTimeout",
    "SdpError",
    "StopReason",
    "UnknownId",
    "repair_wav",
    "say_digits",
    "say_duration",
    "say_number",
]
