"""A PJSIP softphone (pjsua2) run as a process of its own, driven like baresip's ctrl_tcp.

Commands arrive on stdin, one JSON object a line (``{"command": "dial", "params": "..."}``:
dial, accept, sndcode, hold, resume, hangup); events leave on stdout, one JSON object a line,
with baresip's names (REGISTER_OK, CALL_INCOMING, CALL_ESTABLISHED, CALL_DTMF_START,
CALL_CLOSED ...), so a test drives both phones alike. pjsua2 runs without threads of its own:
this loop polls its events and stdin in turn.

Usage: pjsua_phone.py USER PASSWORD DOMAIN HOST PORT udp|tcp RTP_PORT RTP_PORT_RANGE
"""

from __future__ import annotations

import json
import os
import select
import sys

import pjsua2 as pj


def emit(kind: str, param: str = "") -> None:
    print(json.dumps({"event": True, "type": kind, "param": param}), flush=True)


# pjsua2's callbacks are methods of its classes to override, under their C++ names.
class Call(pj.Call):  # type: ignore[misc]
    def __init__(self, phone: Phone, call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(phone.account, call_id)
        self.phone = phone

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            emit("CALL_ESTABLISHED", info.remoteUri)
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            emit("CALL_CLOSED", f"{info.lastStatusCode} {info.lastReason}")
            self.phone.call = None

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                # A tone to the call, so RTP flows both ways with a null sound device.
                self.phone.tone.startTransmit(self.getAudioMedia(index))

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        emit("CALL_DTMF_START", prm.digit)


class Account(pj.Account):  # type: ignore[misc]
    def __init__(self, phone: Phone) -> None:
        super().__init__()
        self.phone = phone

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        if prm.code == 200 and prm.expiration > 0:
            emit("REGISTER_OK", str(prm.code))
        elif prm.code >= 300:
            emit("REGISTER_FAIL", f"{prm.code} {prm.reason}")

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = Call(self.phone, prm.callId)
        self.phone.call = call
        ringing = pj.CallOpParam()
        ringing.statusCode = 180
        call.answer(ringing)
        emit("CALL_INCOMING", call.getInfo().remoteUri)


class Phone:
    def __init__(
        self, user: str, password: str, domain: str, registrar: str, transport: str,
        rtp_ports: tuple[int, int],
    ) -> None:  # fmt: skip
        self.endpoint = pj.Endpoint()
        self.endpoint.libCreate()
        config = pj.EpConfig()
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = True
        config.logConfig.level = 0
        config.logConfig.consoleLevel = 0
        self.endpoint.libInit(config)
        kind = pj.PJSIP_TRANSPORT_TCP if transport == "tcp" else pj.PJSIP_TRANSPORT_UDP
        transport_config = pj.TransportConfig()
        transport_config.boundAddress = "127.0.0.1"
        transport_config.publicAddress = "127.0.0.1"
        self.endpoint.transportCreate(kind, transport_config)  # the only transport
        self.endpoint.libStart()
        self.endpoint.audDevManager().setNullDev()
        self.tone = pj.ToneGenerator()
        self.tone.createToneGenerator()
        tone = pj.ToneDesc()
        tone.freq1, tone.freq2, tone.on_msec, tone.off_msec, tone.volume = 440, 0, 1000, 0, 0
        tones = pj.ToneDescVector()
        tones.append(tone)
        self.tone.play(tones, True)
        suffix = ";transport=tcp" if transport == "tcp" else ""
        account_config = pj.AccountConfig()
        account_config.idUri = f"sip:{user}@{domain}"
        account_config.regConfig.registrarUri = f"sip:{registrar}{suffix}"
        account_config.sipConfig.proxies.append(f"sip:{registrar}{suffix};lr")
        account_config.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
        account_config.mediaConfig.transportConfig.port = rtp_ports[0]
        account_config.mediaConfig.transportConfig.portRange = rtp_ports[1]
        account_config.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", user, 0, password))
        self.account = Account(self)
        self.account.create(account_config)
        self.call: Call | None = None

    def command(self, name: str, params: str) -> None:
        call = self.call
        if name == "dial":
            call = self.call = Call(self)
            call.makeCall(params, pj.CallOpParam(True))
        elif call is None:
            emit("COMMAND_FAILED", f"{name}: no call")
        elif name == "accept":
            answer = pj.CallOpParam()
            answer.statusCode = 200
            call.answer(answer)
        elif name == "sndcode":
            call.dialDtmf(params)
        elif name == "hold":
            call.setHold(pj.CallOpParam(True))
        elif name == "resume":
            resume = pj.CallOpParam(True)
            resume.opt.flag = pj.PJSUA_CALL_UNHOLD
            call.reinvite(resume)
        elif name == "hangup":
            call.hangup(pj.CallOpParam(True))

    def run(self) -> None:
        while True:
            self.endpoint.libHandleEvents(20)
            ready, _, _ = select.select([sys.stdin], [], [], 0)
            if not ready:
                continue
            line = sys.stdin.readline()
            if not line:
                break  # the test closed our stdin: quit
            message = json.loads(line)
            try:
                self.command(message["command"], message.get("params", ""))
            except pj.Error as error:
                emit("COMMAND_FAILED", f"{message['command']}: {error.info()}")
        self.endpoint.hangupAllCalls()
        self.account.setRegistration(False)
        for _ in range(15):  # the BYE and the unREGISTER go out
            self.endpoint.libHandleEvents(20)
        # Not libDestroy: pjsua2's conference asserts when the Python objects go after it.
        os._exit(0)


if __name__ == "__main__":
    user, password, domain, host, port, transport, rtp_port, rtp_range = sys.argv[1:9]
    ports = (int(rtp_port), int(rtp_range))
    Phone(user, password, domain, f"{host}:{port}", transport, ports).run()
