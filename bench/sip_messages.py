"""SIP message layer throughput: messages parsed and serialized per second on one core.

Parses (with full validation) and serializes a typical INVITE with an SDP body and a typical
REGISTER with digest credentials, as a phone sends them. Goal: 30,000 a second or more.

    uv run python bench/sip_messages.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from hotline.sip.message import parse_message

INVITE = (
    b"INVITE sip:102@hotline.local SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-524287-1---8a5c1e6b2f0d7e91;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b'Contact: <sip:101@192.0.2.10:5062;transport=udp;ob>;+sip.instance="<urn:uuid:3f2d>"\r\n'
    b"To: <sip:102@hotline.local>\r\n"
    b'From: "Support desk 1" <sip:101@hotline.local>;tag=7c1e4b52\r\n'
    b"Call-ID: 9f1c6d0a2b7e4c3d8e5f60718293a4b5\r\n"
    b"CSeq: 2 INVITE\r\n"
    b"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Supported: replaces, norefersub, extended-refer, timer, outbound, path\r\n"
    b"User-Agent: Linphone/5.2.0 (belle-sip/5.2.0)\r\n"
    b"Allow-Events: presence, kpml, talk\r\n"
    b"Content-Length: 223\r\n"
    b"\r\n"
    b"v=0\r\n"
    b"o=101 8000 8000 IN IP4 192.0.2.10\r\n"
    b"s=Talk\r\n"
    b"c=IN IP4 192.0.2.10\r\n"
    b"t=0 0\r\n"
    b"m=audio 7078 RTP/AVP 0 8 101\r\n"
    b"a=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
    b"a=fmtp:101 0-15\r\n"
    b"a=sendrecv\r\n"
    b"a=ptime:20\r\n"
)

REGISTER = (
    b"REGISTER sip:hotline.local SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-524287-1---33f0a1c9e2d4b6a8;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"Contact: <sip:101@192.0.2.10:5062;rinstance=4a1b2c3d4e5f6071;transport=udp>;expires=3600\r\n"
    b"To: <sip:101@hotline.local>\r\n"
    b"From: <sip:101@hotline.local>;tag=2b9e0f44\r\n"
    b"Call-ID: 6a0e8c2d4f1b3a5c7e9d0f2a4c6e8b0d\r\n"
    b"CSeq: 2 REGISTER\r\n"
    b"Expires: 3600\r\n"
    b"Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n"
    b"User-Agent: MicroSIP/3.21.3\r\n"
    b'Authorization: Digest username="101",realm="hotline.local",'
    b'nonce="5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99",uri="sip:hotline.local",'
    b'response="0d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f",algorithm=MD5,cnonce="a1b2c3d4",qop=auth,'
    b"nc=00000001\r\n"
    b"Content-Length: 0\r\n"
    b"\r\n"
)


def rate(work: Callable[[], object], seconds: float) -> float:
    """Calls of ``work`` per second, measured over about ``seconds``."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            work()
        count += 200
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    for name, data in (("INVITE", INVITE), ("REGISTER", REGISTER)):
        message = parse_message(data)
        parsed = rate(lambda data=data: parse_message(data), args.seconds)
        serialized = rate(message.to_bytes, args.seconds)
        both = rate(lambda data=data: parse_message(data).to_bytes(), args.seconds)
        print(
            f"{name:9} {len(data):4} bytes  parsed {parsed:9,.0f}/s"
            f"  serialized {serialized:9,.0f}/s  parsed+serialized {both:9,.0f}/s"
        )


if __name__ == "__main__":
    main()
