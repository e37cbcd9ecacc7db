"""Namespace well-formedness: parse_xml and StreamReader refuse the same faults alike.

libxml2 reports namespace faults without stopping, so neither way in may rely on the
parser raising: each must find them itself, with the same condition, path and line,
however a stream's bytes are split.
"""

from __future__ import annotations

import pytest

from xepcodec.api import StreamReader
from xepcodec.errors import ParseError
from xepcodec.xml import stream_header
from xepcodec.xml.reader import parse_xml

HEADER = stream_header()
HEADER_LINES = HEADER.count(b"\n")

# (stanza as sent in a jabber:client stream, condition, path)
FAULTS = [
    (b"<message><foo:bar/></message>", "bad-namespace-prefix", "/message/foo:bar"),
    (b"<message><x xmlns='urn:x' a:b='1'/></message>", "bad-namespace-prefix", "/message/x"),
    (b"<message><body>hi</body><x xmlns='urn:x' a:b='1'/></message>", "bad-namespace-prefix",
     "/message/x"),
    (b"<: a='1'/>", "not-well-formed", "/:"),
    (b"<message><a:/></message>", "not-well-formed", "/message/a:"),
    (b"<message xmlns:m=' '/>", "not-well-formed", "/message"),
    (b"<message><body>hi</body><x xmlns='a b'/></message>", "not-well-formed", "/message/x"),
    # A relative namespace URI after the fault draws a warning, which must not hide it.
    (b"<iq type='get' id='1' xmlns:m=' '><y xmlns='-'/></iq>", "not-well-formed", "/iq"),
    (b"<message>\n<x xmlns='urn:x' xmlns:m='urn:y' xmlns:n='urn:y' m:a='1' n:a='2'/></message>",
     "not-well-formed", "/message/x"),
    # The first fault decides, even when a fatal one follows.
    (b"<message><foo:bar/><body></message>", "bad-namespace-prefix", "/message/foo:bar"),
]


def alone(stanza: bytes) -> bytes:
    """The stanza as a document of its own, in the content namespace."""
    name_end = min(i for i in (stanza.find(b" "), stanza.find(b">"), stanza.find(b"/>"))
                   if i > 0)
    return stanza[:name_end] + b" xmlns='jabber:client'" + stanza[name_end:]


def from_stream(stanza: bytes, chunk: int) -> ParseError:
    reader = StreamReader()
    data = HEADER + stanza
    with pytest.raises(ParseError) as caught:
        for start in range(0, len(data), chunk):
            reader.feed(data[start : start + chunk])
    return caught.value


@pytest.mark.parametrize(("stanza", "condition", "path"), FAULTS)
def test_parse_refuses_namespace_faults(stanza: bytes, condition: str, path: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_xml(alone(stanza))
    assert (caught.value.condition, caught.value.path) == (condition, path), str(caught.value)
    assert caught.value.line == 1 + stanza.count(b"\n")


@pytest.mark.parametrize("chunk", [1, 3, 10_000])
@pytest.mark.parametrize(("stanza", "condition", "path"), FAULTS)
def test_stream_refuses_namespace_faults_like_parse(stanza: bytes, condition: str, path: str,
                                                    chunk: int) -> None:
    with pytest.raises(ParseError) as caught:
        parse_xml(alone(stanza))
    alone_error = caught.value
    error = from_stream(stanza, chunk)
    assert error.stream
    assert (error.condition, error.path) == (alone_error.condition, alone_error.path) == (
        condition, path), str(error)
    assert error.line == (alone_error.line or 0) + HEADER_LINES


def test_stream_refuses_a_fault_in_its_header() -> None:
    header = HEADER.replace(b"<stream:stream ", b"<stream:stream xmlns:m=' ' ")
    with pytest.raises(ParseError) as caught:
        StreamReader().feed(header)
    assert caught.value.condition == "not-well-formed"
    assert caught.value.path == "/stream"


def test_well_formed_namespaces_still_pass() -> None:
    stanza = b"<message><x xmlns='-'/><p:y xmlns:p='urn:p' p:a='1'/></message>"
    assert parse_xml(alone(stanza)) is not None
    reader = StreamReader()
    events = reader.feed(HEADER + stanza * 3)
    assert len(events) == 4
