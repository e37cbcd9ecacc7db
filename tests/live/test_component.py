"""XEP-0114 against the live server, element by element: the handshake a component
sends with the library's digest is acknowledged, a wrong one ends the stream with
``not-authorized``, and every byte the server sent reads back typed."""

from __future__ import annotations

import xepcodec
from xepcodec.core.streams import StreamCondition, StreamError
from xepcodec.protocols.component import Handshake
from xepcodec.xml import StreamClosed, StreamOpened

from .prosody import COMPONENT_HOST, COMPONENT_SECRET, Prosody
from .wire import COMPONENT_HEADER, Wire, has, read_until, replay, stanzas


def handshake(prosody: Prosody, secret: str) -> tuple[Wire, list[object]]:
    """Open a component stream and send the handshake for ``secret``; the events up to
    the server's answer (its acknowledgement, or its stream error and the end of the
    stream)."""
    wire = Wire(prosody.component_port)
    wire.send(COMPONENT_HEADER.format(to=COMPONENT_HOST).encode())
    reader = xepcodec.StreamReader()
    events = read_until(wire, reader, has(StreamOpened))
    (opened,) = events
    assert isinstance(opened, StreamOpened)
    wire.send(xepcodec.serialize(Handshake.of(opened.attributes["id"], secret)))
    return wire, read_until(wire, reader, lambda events: bool(stanzas(events)))


def test_handshake_with_the_secret_is_acknowledged(prosody: Prosody) -> None:
    wire, events = handshake(prosody, COMPONENT_SECRET)
    with wire:
        (answer,) = stanzas(events)
        assert isinstance(answer, Handshake) and answer.is_acknowledgement
        replay(wire.streams)


def test_wrong_secret_ends_in_not_authorized(prosody: Prosody) -> None:
    wire, events = handshake(prosody, "not the secret")
    with wire:
        (error,) = stanzas(events)
        assert isinstance(error, StreamError)
        assert error.condition is StreamCondition.NOT_AUTHORIZED
        # Then the server ends the stream and the connection.
        while not wire.closed:
            wire.receive()
        assert isinstance(replay(wire.streams)[-1], StreamClosed)
