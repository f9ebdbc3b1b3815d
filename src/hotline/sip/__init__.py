"""Hotline's SIP stack (RFC 3261): sans-IO messages, transactions, dialogs, digest auth and the
registrar, with an asyncio shell in ``hotline.sip.aio`` (transport and endpoint).

This package imports nothing else of hotline.
"""

from hotline.sip.address import Peer, Transport
from hotline.sip.auth import AuthOutcome, AuthStatus, DigestAlgorithm, DigestAuthenticator
from hotline.sip.dialog import Dialog, DialogId
from hotline.sip.errors import LocalProtocolError, RemoteProtocolError, SipError, SipParseError
from hotline.sip.guard import AuthGuard, Ban, BanReason
from hotline.sip.headers import CSeq, Headers, Via
from hotline.sip.location import Binding, InMemoryLocationService, LocationService
from hotline.sip.message import (
    MAX_MESSAGE_SIZE,
    Request,
    Response,
    make_response,
    new_branch,
    new_call_id,
    new_tag,
)
from hotline.sip.parser import StreamFramer, parse_message
from hotline.sip.registrar import Registrar
from hotline.sip.transaction_layer import TransactionId, TransactionLayer
from hotline.sip.uri import NameAddress, SipUri, uri_equal

__all__ = [
    "MAX_MESSAGE_SIZE",
    "AuthGuard",
    "AuthOutcome",
    "AuthStatus",
    "Ban",
    "BanReason",
    "Binding",
    "CSeq",
    "Dialog",
    "DialogId",
    "DigestAlgorithm",
    "DigestAuthenticator",
    "Headers",
    "InMemoryLocationService",
    "LocalProtocolError",
    "LocationService",
    "NameAddress",
    "Peer",
    "Registrar",
    "RemoteProtocolError",
    "Request",
    "Response",
    "SipError",
    "SipParseError",
    "SipUri",
    "StreamFramer",
    "TransactionId",
    "TransactionLayer",
    "Transport",
    "Via",
    "make_response",
    "new_branch",
    "new_call_id",
    "new_tag",
    "parse_message",
    "uri_equal",
]
