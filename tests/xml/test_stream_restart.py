"""Stream restarts (RFC 6120 §5.4.3.3 after STARTTLS, §6.4.6 after SASL): the reader's
restart() and the writer's second open()."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from xepcodec.errors import ParseError, ProtocolError
from xepcodec.xml import (
    StanzaReceived,
    StreamOpened,
    XmlStreamReader,
    XmlStreamWriter,
    stream_header,
)
from xepcodec.xml.stream import Event

SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
FIRST = (stream_header(from_="example.com", id="s1", namespace="jabber:client")
         + b"<stream:features><mechanisms xmlns='" + SASL.encode()
         + b"'><mechanism>PLAIN</mechanism></mechanisms></stream:features>")
SUCCESS = b"<success xmlns='" + SASL.encode() + b"'/>"
SECOND = (stream_header(from_="example.com", id="s2", namespace="jabber:client")
          + b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
          b"</stream:features>\n<iq type='result' id='b1'/>")


def name(element: etree._Element) -> str:
    return etree.QName(element).localname


def feed_in_chunks(reader: XmlStreamReader, data: bytes, cuts: list[int]) -> list[Event]:
    events: list[Event] = []
    start = 0
    for cut in sorted({0, *cuts, len(data)}):
        events += reader.feed(data[start:cut])
        start = cut
    return events


def summary(events: list[Event]) -> list[str]:
    out = []
    for event in events:
        if isinstance(event, StreamOpened):
            out.append("open " + event.attributes["id"])
        elif isinstance(event, StanzaReceived):
            out.append(str(event.stanza))
        else:
            out.append(type(event).__name__)
    return out


def test_a_restart_reads_a_new_stream_header() -> None:
    reader = XmlStreamReader(name)
    assert summary(reader.feed(FIRST + SUCCESS)) == ["open s1", "features", "success"]
    reader.restart()
    assert summary(reader.feed(SECOND)) == ["open s2", "features", "iq"]


def test_without_a_restart_the_new_header_is_a_stanza_that_never_ends() -> None:
    # What the restart is for: the old parser takes the new header for an element
    # inside the old stream, and never reports it.
    reader = XmlStreamReader(name)
    reader.feed(FIRST + SUCCESS)
    assert reader.feed(SECOND) == []


@given(st.lists(st.integers(0, len(FIRST + SUCCESS))),
       st.lists(st.integers(0, len(SECOND))))
def test_restarts_do_not_depend_on_how_the_bytes_are_split(old: list[int],
                                                           new: list[int]) -> None:
    reader = XmlStreamReader(name)
    before = feed_in_chunks(reader, FIRST + SUCCESS, old)
    reader.restart()
    after = feed_in_chunks(reader, SECOND, new)
    assert summary(before) == ["open s1", "features", "success"]
    assert summary(after) == ["open s2", "features", "iq"]


def test_the_new_stream_may_start_with_a_declaration_and_restart_again() -> None:
    reader = XmlStreamReader(name)
    reader.feed(FIRST)
    for n in range(3):
        reader.restart()
        header = stream_header(id=f"r{n}", xml_declaration=True)
        assert summary(reader.feed(header + b" <presence/> ")) == [f"open r{n}", "presence"]


def test_a_restart_before_anything_was_read_changes_nothing() -> None:
    reader = XmlStreamReader(name)
    reader.restart()
    assert summary(reader.feed(FIRST)) == ["open s1", "features"]


def test_the_new_stream_is_judged_from_its_start() -> None:
    # A byte order mark is refused at the start of a stream, so at the start of the
    # restarted one too; and a stanza in place of the header is not a stream.
    for start, condition in ((b"\xef\xbb\xbf" + SECOND, "not-well-formed"),
                             (b"<iq type='get' id='x'/>", "bad-format")):
        reader = XmlStreamReader(name)
        reader.feed(FIRST + SUCCESS)
        reader.restart()
        with pytest.raises(ParseError) as caught:
            reader.feed(start)
        assert caught.value.condition == condition


def test_line_numbers_count_from_the_new_header() -> None:
    reader = XmlStreamReader(name)
    reader.feed(FIRST + b"\n\n\n" + SUCCESS + b"\n")
    reader.restart()
    with pytest.raises(ParseError) as caught:
        reader.feed(stream_header() + b"\n<message><!-- no --></message>")
    assert caught.value.line == 2


@pytest.mark.parametrize("tail", [b"<iq type='get'>", b"<iq type='get'", b"<",
                                  b"<i", b"<iq><query xmlns='jabber:iq:roster'/>"])
def test_no_restart_where_bytes_of_the_new_stream_were_read(tail: bytes) -> None:
    reader = XmlStreamReader(name)
    reader.feed(FIRST + SUCCESS + tail)
    with pytest.raises(ProtocolError, match="cannot restart"):
        reader.restart()


def test_no_restart_in_the_middle_of_a_header() -> None:
    reader = XmlStreamReader(name)
    reader.feed(b"<?xm")
    with pytest.raises(ProtocolError):
        reader.restart()


def test_whitespace_after_the_element_does_not_prevent_a_restart() -> None:
    reader = XmlStreamReader(name)
    reader.feed(FIRST + SUCCESS + b" \n\t ")
    reader.restart()
    assert summary(reader.feed(SECOND)) == ["open s2", "features", "iq"]


def test_a_failed_stream_does_not_restart() -> None:
    reader = XmlStreamReader(name)
    with pytest.raises(ParseError) as caught:
        reader.feed(FIRST + b"<a>&xxe;</a>")
    with pytest.raises(ParseError) as again:
        reader.restart()
    assert again.value is caught.value


def test_the_writer_opens_the_new_stream_and_the_reader_reads_both() -> None:
    writer = XmlStreamWriter(lambda stanza, parent_namespace: f"<{stanza}/>".encode())
    reader = XmlStreamReader(name)
    first = reader.feed(writer.open(to="example.com") + writer.send("auth"))
    assert [type(e).__name__ for e in first] == ["StreamOpened", "StanzaReceived"]
    assert isinstance(first[1], StanzaReceived) and first[1].stanza == "auth"
    reader.restart()
    second = writer.open(to="example.com", namespace="jabber:server") + writer.send("iq")
    events = reader.feed(second)
    opened = events[0]
    assert isinstance(opened, StreamOpened) and opened.namespace == "jabber:server"
    assert [e.stanza for e in events[1:] if isinstance(e, StanzaReceived)] == ["iq"]
