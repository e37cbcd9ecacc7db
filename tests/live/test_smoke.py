"""The server answers in raw bytes, and what it sends reads back through a default
``StreamReader``: before any machine of the library takes part."""

from __future__ import annotations

import xepcodec
from xepcodec.xml import StreamOpened

from .prosody import COMPONENT_HOST, PLAIN_HOST, TLS_HOST, Prosody
from .wire import C2S_HEADER, COMPONENT_HEADER, Wire, has, read_until, replay, stanzas


def features_of(prosody: Prosody, host: str) -> Wire:
    """A client stream opened to ``host``, read up to its features."""
    wire = Wire(prosody.c2s_port)
    wire.send(C2S_HEADER.format(to=host).encode())
    reader = xepcodec.StreamReader()
    events = read_until(wire, reader, lambda events: len(stanzas(events)) >= 1)
    opened = [event for event in events if isinstance(event, StreamOpened)]
    assert len(opened) == 1
    assert opened[0].namespace == "jabber:client"
    assert opened[0].attributes["from"] == host
    assert opened[0].attributes["id"]
    return wire


def test_client_stream_opens_with_features(prosody: Prosody) -> None:
    with features_of(prosody, PLAIN_HOST) as wire:
        data = bytes(wire.streams[0])
    assert b"<stream:features>" in data
    assert b"urn:ietf:params:xml:ns:xmpp-sasl" in data
    assert b"urn:ietf:params:xml:ns:xmpp-tls" not in data  # this host does not offer TLS


def test_tls_host_offers_starttls(prosody: Prosody) -> None:
    with features_of(prosody, TLS_HOST) as wire:
        assert b"urn:ietf:params:xml:ns:xmpp-tls" in wire.streams[0]


def test_component_stream_opens(prosody: Prosody) -> None:
    with Wire(prosody.component_port) as wire:
        wire.send(COMPONENT_HEADER.format(to=COMPONENT_HOST).encode())
        reader = xepcodec.StreamReader()
        events = read_until(wire, reader, has(StreamOpened))
    (opened,) = events
    assert opened.namespace == "jabber:component:accept"
    assert opened.attributes["from"] == COMPONENT_HOST
    assert opened.attributes["id"]


def test_received_bytes_replay(prosody: Prosody) -> None:
    """What the server sent, as it sent it, read in one piece by a new reader: the
    header and the features, typed, valid and round-tripping."""
    for host in (PLAIN_HOST, TLS_HOST):
        with features_of(prosody, host) as wire:
            events = replay(wire.streams)
        assert len(stanzas(events)) == 1
