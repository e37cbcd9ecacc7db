"""A TCP connection to the live server that keeps every byte it receives, and the checks
every received element must pass.

Every read has a timeout, so a server that never answers fails the test instead of
hanging it.  The bytes received are kept one list item per stream: STARTTLS and SASL
restart the stream (RFC 6120 §5.4.3.3, §6.4.6), and :func:`replay` restarts its reader
at the same places.
"""

from __future__ import annotations

import dataclasses
import re
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

import xepcodec
from xepcodec.model.raw import XmlFragment
from xepcodec.protocols.stream_features import StreamFeatures
from xepcodec.xml import StanzaFailed, StanzaReceived, StreamClosed, StreamOpened

from .prosody import LOOPBACK

#: Seconds any one read may wait.  A live exchange answers in milliseconds; the margin
#: is for a loaded machine.
READ_TIMEOUT = 10.0

#: The header a client opens its stream with (RFC 6120 §4.7).
C2S_HEADER = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' to='{to}'>")
#: The header a component opens its stream with (XEP-0114 §3).
COMPONENT_HEADER = ("<stream:stream xmlns='jabber:component:accept' "
                    "xmlns:stream='http://etherx.jabber.org/streams' to='{to}'>")


class Wire:
    """One connection; ``streams`` holds the bytes received, one item per stream."""

    def __init__(self, port: int) -> None:
        self.sock: socket.socket = socket.create_connection((LOOPBACK, port),
                                                            timeout=READ_TIMEOUT)
        self.streams: list[bytearray] = [bytearray()]
        self.closed = False

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        """Send ``data``; nothing when the server has closed the connection already
        (the closing tag a session writes after the server's stream error, say): the
        next :meth:`receive` says so."""
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True

    def receive(self) -> bytes:
        """What the server sent next (waits at most ``READ_TIMEOUT``); ``b""`` once it
        has closed the connection (a reset, answering bytes sent after it closed,
        included)."""
        if self.closed:
            return b""
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed = True
        self.streams[-1] += data
        return data

    def restart(self) -> None:
        """What arrives from now on belongs to a new stream."""
        self.streams.append(bytearray())

    def starttls(self, host: str, certificate: Path) -> None:
        """Wrap the connection in TLS, trusting only ``certificate`` and checking that it
        names ``host``; the stream restarts."""
        context = ssl.create_default_context(cafile=str(certificate))
        self.sock = context.wrap_socket(self.sock, server_hostname=host)
        self.restart()


#: Says when a wait is over, from the events that arrived since it began.
Done = Callable[[list[Any]], bool]


def read_until(wire: Wire, reader: xepcodec.StreamReader, done: Done) -> list[Any]:
    """Feed ``reader`` what arrives until ``done(events so far)``; fails when the server
    closes the connection first (or a read times out)."""
    events: list[Any] = []
    while not done(events):
        data = wire.receive()
        if not data:
            raise AssertionError(f"the server closed the connection; events so far: {events}")
        events += reader.feed(data)
    return events


def stanzas(events: list[Any]) -> list[Any]:
    """The typed objects of the ``StanzaReceived`` events."""
    return [event.stanza for event in events if isinstance(event, StanzaReceived)]


def has(kind: type) -> Done:
    """A ``done``: an event of that class arrived, or an event carrying a stanza of it."""
    def found(events: list[Any]) -> bool:
        return any(isinstance(event, kind) or isinstance(getattr(event, "stanza", None), kind)
                   for event in events)
    return found


def raw_parts(obj: object, path: str = "") -> list[tuple[str, XmlFragment]]:
    """The raw XML kept anywhere inside a typed object, with where it sits, except in
    the stream features' ``others`` (features no protocol of the library describes, kept
    opaque on purpose: Prosody's ``urn:xmpp:sm:2`` and ``pre-approval``, say)."""
    if isinstance(obj, XmlFragment):
        return [(path, obj)]
    if isinstance(obj, tuple):
        return [found for item in obj for found in raw_parts(item, path)]
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return []
    name = type(obj).__name__
    return [found for field in dataclasses.fields(obj)
            if not (isinstance(obj, StreamFeatures) and field.name == "others")
            for found in raw_parts(getattr(obj, field.name), f"{path}/{name}.{field.name}")]


def check_typed(stanza: object) -> None:
    """A received element is a typed object, its payloads too, that validates and
    round-trips."""
    assert not isinstance(stanza, XmlFragment | etree._Element), (
        f"left as raw XML at its root: {stanza!r}")
    raw = raw_parts(stanza)
    assert not raw, [(where, xepcodec.serialize(part)) for where, part in raw]
    data = xepcodec.serialize(stanza)
    report = xepcodec.validate(data)
    assert report.ok, (data, report.errors)
    assert xepcodec.parse(data) == stanza, data


#: Where a stream a session wrote begins: its header, after an XML declaration or not.
_HEADER = re.compile(rb"(?:<\?xml[^>]*\?>)?<stream:stream[\s>]")


def streams_of(data: bytes) -> list[bytearray]:
    """What one side wrote, cut where it opened a new stream (a restart)."""
    starts = [match.start() for match in _HEADER.finditer(data)]
    assert starts and starts[0] == 0, data[:200]
    return [bytearray(data[start:end]) for start, end in zip(starts, [*starts[1:], len(data)],
                                                             strict=True)]


#: The size of the pieces the replay also feeds: a prime, so that the cuts fall
#: everywhere (inside tags, names, UTF-8 characters) from one stanza to the next.
PIECE = 13


def read_again(streams: list[bytearray], piece: int | None = None) -> list[Any]:
    """The events of a new default ``StreamReader`` fed ``streams``, restarting it
    between them; each stream in one piece, or in pieces of ``piece`` bytes."""
    reader = xepcodec.StreamReader()
    events: list[Any] = []
    for number, data in enumerate(streams):
        if number:
            reader.restart()
        size = piece or max(len(data), 1)
        for start in range(0, len(data), size):
            events += reader.feed(bytes(data[start:start + size]))
    return events


def replay(streams: list[bytearray]) -> list[Any]:
    """Every byte received, read again by a default ``StreamReader``, in one piece per
    stream, restarting it where the protocol restarted; raises the reader's stream error
    if there is one, fails on a stanza it refused, and checks each element typed.  Fed
    in small pieces, the same bytes make the same events."""
    events = read_again(streams)
    assert read_again(streams, PIECE) == events
    for event in events:
        assert not isinstance(event, StanzaFailed), (event.error, event.element)
        if isinstance(event, StanzaReceived):
            check_typed(event.stanza)
    opened = sum(isinstance(event, StreamOpened) for event in events)
    assert opened == len(streams), (opened, len(streams))
    assert sum(isinstance(event, StreamClosed) for event in events) <= 1
    return events
