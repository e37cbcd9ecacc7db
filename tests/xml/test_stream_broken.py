"""Bytes that break the stream: what arrived whole before them is not lost.

A chunk may hold good stanzas and then the fault; the reader raises
BrokenStreamError carrying the events of the bytes before the fault, and the events
and the error are the same however the bytes were split.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from xepcodec.errors import ParseError
from xepcodec.xml import (
    BrokenStreamError,
    Limits,
    StanzaReceived,
    StreamClosed,
    StreamOpened,
    XmlStreamReader,
    stream_header,
)
from xepcodec.xml.stream import Event

HEADER = stream_header()
LIMITS = Limits(max_depth=4, max_attributes=3)


def name(element: etree._Element) -> object:
    """The decoder: a stanza's id; a stanza named <refuse/> is one no protocol knows."""
    if etree.QName(element).localname == "refuse":
        raise ParseError("no class", condition="feature-not-implemented")
    return element.get("id")


def stanza(number: int) -> bytes:
    # Over several lines, with a nested child, so that lines and paths are exercised.
    return f"<message id='m{number}'>\n<body>hello {number}</body></message>\n".encode()


#: Bytes that break the stream, and the condition they break it with.
FAULTS: dict[str, tuple[bytes, str]] = {
    "syntax": (b"<<message/>", "not-well-formed"),
    "mismatched end tag": (b"<message><body></message>", "not-well-formed"),
    "duplicate attribute": (b"<message a='1' a='2'/>", "not-well-formed"),
    "invalid UTF-8": (b"<message>\xff</message>", "unsupported-encoding"),
    "comment": (b"<message><!-- no --></message>", "restricted-xml"),
    "comment between stanzas": (b"<!-- no -->", "restricted-xml"),
    "processing instruction": (b"<?pi here?>", "restricted-xml"),
    "entity": (b"<message>&nbsp;</message>", "restricted-xml"),
    "doctype": (b"<!DOCTYPE message>", "restricted-xml"),
    "bare ampersand": (b"<message>a & b</message>", "not-well-formed"),
    "undeclared prefix": (b"<message><p:x/></message>", "bad-namespace-prefix"),
    "undeclared prefix on a stanza": (b"<p:message/>", "bad-namespace-prefix"),
    "text in the stream": (b"hello<message/>", "bad-format"),
    "unknown stanza": (b"<refuse/>", "unsupported-stanza-type"),
    "too deep": (b"<message><a><b><c><d/></c></b></a></message>", "policy-violation"),
    "too many attributes": (b"<message a='1' b='2' c='3' d='4'/>", "policy-violation"),
    "after the end": (b"</stream:stream><message/>", "not-well-formed"),
}


def read(data: bytes, cuts: list[int]) -> tuple[list[Event], BrokenStreamError | None]:
    """Everything the reader hands over for *data* cut at *cuts*: the events returned
    and those the error carries, and the error."""
    reader = XmlStreamReader(name, limits=LIMITS)
    events: list[Event] = []
    start = 0
    try:
        for cut in [*sorted(set(cuts)), len(data)]:
            events += reader.feed(data[start:cut])
            start = cut
    except BrokenStreamError as broken:
        return events + list(broken.events), broken
    return events, None


def ids(events: list[Event]) -> list[Any]:
    return [event.stanza if isinstance(event, StanzaReceived) else type(event).__name__
            for event in events]


def described(error: ParseError | None) -> tuple[Any, ...] | None:
    if error is None:
        return None
    return (type(error), error.message, error.condition, error.path, error.line, error.stream)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_stanzas_before_a_fault_in_the_same_chunk_are_not_lost(fault: str,
                                                                   count: int) -> None:
    garbage, condition = FAULTS[fault]
    data = HEADER + b"".join(stanza(n) for n in range(count)) + garbage
    reader = XmlStreamReader(name, limits=LIMITS)
    with pytest.raises(BrokenStreamError) as caught:
        reader.feed(data)
    broken = caught.value
    assert isinstance(broken, ParseError) and broken.stream
    assert broken.condition == condition
    expected = ["StreamOpened", *(f"m{n}" for n in range(count))]
    if fault == "after the end":
        expected.append("StreamClosed")
    assert ids(list(broken.events)) == expected
    assert isinstance(broken.events[0], StreamOpened)


@pytest.mark.parametrize("fault", FAULTS)
def test_byte_by_byte_reads_like_one_chunk(fault: str) -> None:
    data = HEADER + stanza(1) + stanza(2) + FAULTS[fault][0]
    events, error = read(data, [])
    assert error is not None
    one_by_one, error_too = read(data, list(range(len(data))))
    assert ids(one_by_one) == ids(events)
    assert described(error_too) == described(error)


@settings(deadline=None, max_examples=150)
@given(data=st.data(), fault=st.sampled_from(sorted(FAULTS)),
       count=st.integers(0, 4), trailer=st.sampled_from([b"", b"<message id='late'/>", b"\n"]))
def test_any_split_gives_the_same_stanzas_then_the_same_error(
        data: st.DataObject, fault: str, count: int, trailer: bytes) -> None:
    garbage, condition = FAULTS[fault]
    stream = HEADER + b"".join(stanza(n) for n in range(count)) + garbage + trailer
    whole, error = read(stream, [])
    assert error is not None and error.condition == condition
    stanzas = [event for event in whole if isinstance(event, StanzaReceived)]
    assert [event.stanza for event in stanzas] == [f"m{n}" for n in range(count)]
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12), label="cuts")
    split, split_error = read(stream, cuts)
    assert ids(split) == ids(whole)
    assert described(split_error) == described(error)


def test_a_later_call_raises_the_same_error_with_the_same_events() -> None:
    reader = XmlStreamReader(name)
    reader.feed(HEADER)
    with pytest.raises(BrokenStreamError) as caught:
        reader.feed(stanza(1) + b"<!-- no -->")
    assert ids(list(caught.value.events)) == ["m1"]
    with pytest.raises(BrokenStreamError) as again:
        reader.feed(stanza(2))
    assert again.value is caught.value
    with pytest.raises(BrokenStreamError) as restarted:
        reader.restart()
    assert restarted.value is caught.value


def test_the_events_of_earlier_calls_are_not_carried_again() -> None:
    reader = XmlStreamReader(name)
    assert ids(reader.feed(HEADER + stanza(1))) == ["StreamOpened", "m1"]
    assert ids(reader.feed(stanza(2) + b"<<")) == ["m2"]  # the fault is not complete yet
    with pytest.raises(BrokenStreamError) as caught:
        reader.feed(b">" + stanza(3))
    assert caught.value.condition == "not-well-formed" and caught.value.events == ()


def test_a_fault_in_the_stream_header_carries_no_events() -> None:
    reader = XmlStreamReader(name, limits=LIMITS)
    header = HEADER.replace(b">", b" a='1' b='2' c='3' d='4'>", 1)
    with pytest.raises(BrokenStreamError) as caught:
        reader.feed(header + stanza(1))
    assert caught.value.condition == "policy-violation" and caught.value.events == ()


def test_the_stream_end_before_bytes_after_it_is_handed_over() -> None:
    events, error = read(HEADER + stanza(1) + b"</stream:stream>junk<", [])
    assert ids(events) == ["StreamOpened", "m1", "StreamClosed"]
    assert isinstance(events[-1], StreamClosed)
    assert error is not None and error.message.startswith("data after the end of the stream")


def test_a_decoder_bug_stops_the_reader_and_the_events_before_it_come_with_its_error() -> None:
    def buggy(element: etree._Element) -> object:
        if element.get("id") == "bug":
            raise KeyError("oops")
        return element.get("id")

    reader = XmlStreamReader(buggy)
    with pytest.raises(KeyError):
        reader.feed(HEADER + stanza(1) + b"<iq id='bug'/>")
    with pytest.raises(BrokenStreamError) as caught:
        reader.feed(b"<iq/>")
    assert caught.value.condition == "internal-server-error"
    assert ids(list(caught.value.events)) == ["StreamOpened", "m1"]


def test_the_error_keeps_the_decoders_error_as_its_cause() -> None:
    reader = XmlStreamReader(name)
    with pytest.raises(BrokenStreamError) as caught:
        reader.feed(HEADER + b"<refuse/>")
    assert isinstance(caught.value.__cause__, ParseError)
    assert caught.value.__cause__.condition == "feature-not-implemented"
