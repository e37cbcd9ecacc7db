"""The stream writer, and that the reader reads back what it writes."""

from __future__ import annotations

import pytest
from lxml import etree

from xepcodec.api import StreamReader, StreamWriter
from xepcodec.errors import ProtocolError, SerializeError
from xepcodec.xml import (
    StanzaReceived,
    StreamClosed,
    StreamOpened,
    XmlStreamReader,
    XmlStreamWriter,
    escape_attribute,
    escape_text,
    parse_xml,
    stream_footer,
    stream_header,
)

STREAM = "http://etherx.jabber.org/streams"


def test_default_header() -> None:
    assert stream_header() == (b"<stream:stream version='1.0' xmlns='jabber:client' "
                               b"xmlns:stream='http://etherx.jabber.org/streams'>")
    assert stream_footer() == b"</stream:stream>"


def test_full_header() -> None:
    header = stream_header(to="example.com", from_="juliet@example.com",
                           id="++TR84Sm6A3hnt3Q065SnAbbk3Y=", lang="en", namespace="jabber:server",
                           namespaces={"db": "jabber:server:dialback"}, xml_declaration=True)
    assert header.startswith(b"<?xml version='1.0'?><stream:stream from='juliet@example.com' ")
    root = parse_xml(header + stream_footer())
    attributes = {str(name): value for name, value in root.attrib.items()}
    assert attributes == {"from": "juliet@example.com", "to": "example.com",
                          "id": "++TR84Sm6A3hnt3Q065SnAbbk3Y=", "version": "1.0",
                          "{http://www.w3.org/XML/1998/namespace}lang": "en"}
    assert root.nsmap == {None: "jabber:server", "stream": STREAM,
                          "db": "jabber:server:dialback"}


def test_header_without_version() -> None:
    assert b"version" not in stream_header(version=None)


def test_header_escapes_attribute_values() -> None:
    nasty = "a'b\"c<d>e&f\tg\nh\ri"
    root = parse_xml(stream_header(id=nasty) + stream_footer())
    assert root.get("id") == nasty


@pytest.mark.parametrize("prefix", ["stream", "xml", "xmlns", "1a", "a b", "a:b", ""])
def test_header_refuses_bad_prefixes(prefix: str) -> None:
    with pytest.raises(SerializeError):
        stream_header(namespaces={prefix: "urn:x"})


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1f", "\ud800", "\ufffe", "\uffff"])
def test_characters_xml_cannot_carry(char: str) -> None:
    with pytest.raises(SerializeError, match="U\\+"):
        escape_attribute("a" + char)
    with pytest.raises(SerializeError, match="U\\+"):
        escape_text(char)
    with pytest.raises(SerializeError):
        stream_header(to=char)


def test_escape_text() -> None:
    assert escape_text("a<b>c&d]]>\r\n\t'\"") == "a&lt;b&gt;c&amp;d]]&gt;&#13;\n\t'\""
    assert escape_attribute("a<b>c&d'\"\t\n\r") == "a&lt;b&gt;c&amp;d&apos;&quot;&#9;&#10;&#13;"


# -- the writer ---------------------------------------------------------------------------------


def test_writer_lifecycle() -> None:
    writer = XmlStreamWriter(lambda stanza, parent_namespace: b"<presence/>")
    with pytest.raises(ProtocolError):
        writer.send(object())
    assert writer.open(to="example.com") == stream_header(to="example.com")
    assert writer.send(object()) == b"<presence/>"
    assert writer.open(to="example.com") == stream_header(to="example.com")  # a restart
    assert writer.close() == stream_footer()
    with pytest.raises(ProtocolError):
        writer.send(object())
    with pytest.raises(ProtocolError):
        writer.close()
    with pytest.raises(ProtocolError):
        writer.open()


def test_writer_writes_elements_as_they_are() -> None:
    writer = XmlStreamWriter(lambda stanza, parent_namespace: b"never")
    writer.open()
    element = etree.fromstring(b"<message xmlns='jabber:client'><body>hi</body></message>")
    assert writer.send(element) == b'<message xmlns="jabber:client"><body>hi</body></message>'


def test_serializer_must_return_bytes() -> None:
    def text(stanza: object, parent_namespace: str) -> str:
        return "text"

    writer = XmlStreamWriter(text)  # type: ignore[arg-type]
    writer.open()
    with pytest.raises(SerializeError, match="str"):
        writer.send(object())


def test_the_public_writer_serializes_with_the_model() -> None:
    from xepcodec import parse

    message = parse(b"<message xmlns='jabber:client' to='romeo@example.net' type='chat'>"
                    b"<body>hi</body></message>")
    writer = StreamWriter()
    writer.open()
    data = writer.send(message)
    assert b"xmlns='jabber:client'" not in data and b'xmlns="jabber:client"' not in data
    events = StreamReader().feed(stream_header() + data)
    assert events[1] == StanzaReceived(message)


def test_what_the_writer_writes_the_reader_reads() -> None:
    stanzas = [
        etree.fromstring(b"<message xmlns='jabber:client' to='a@b'><body>x &amp; y \xc3\xa9"
                         b"</body></message>"),
        etree.fromstring(b"<iq xmlns='jabber:client' id='1' type='get'><query xmlns='urn:q'/>"
                         b"</iq>"),
        etree.fromstring(b"<stream:features xmlns:stream='http://etherx.jabber.org/streams'>"
                         b"<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"),
    ]
    writer = XmlStreamWriter(lambda stanza, parent_namespace: b"never")
    data = writer.open(to="example.com", from_="a@b", id="x'y", lang="de",
                       xml_declaration=True)
    for stanza in stanzas:
        data += writer.send(stanza) + b"\n"
    data += writer.close()

    def decode(element: etree._Element) -> bytes:
        return etree.tostring(element, method="c14n2")

    for chunk in (len(data), 1, 3):
        reader = XmlStreamReader(decode)
        events = []
        for start in range(0, len(data), chunk):
            events += reader.feed(data[start : start + chunk])
        assert events == [
            StreamOpened({"to": "example.com", "from": "a@b", "id": "x'y", "version": "1.0",
                          "{http://www.w3.org/XML/1998/namespace}lang": "de"},
                         "jabber:client"),
            *(StanzaReceived(etree.tostring(stanza, method="c14n2")) for stanza in stanzas),
            StreamClosed(),
        ]
