"""Property tests and fuzzing for the XML layer."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from xepcodec.errors import ParseError
from xepcodec.xml import (
    StanzaReceived,
    XmlStreamReader,
    XmlStreamWriter,
    escape_attribute,
    escape_text,
    parse_xml,
    stream_header,
)
from xepcodec.xml.stream import Event

#: Every character XML 1.0 allows (§2.2), weighted towards the awkward ones.
xml_chars = st.one_of(
    st.sampled_from("\t\n\r &<>\"']]\u0085\u2028\ufeff\ufffd"),
    st.characters(min_codepoint=0x20, max_codepoint=0xD7FF),
    st.characters(min_codepoint=0xE000, max_codepoint=0xFFFD),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
)
xml_text = st.text(xml_chars, max_size=40)
short_text = st.text(xml_chars, max_size=8)
names = st.text("abcxyz", min_size=1, max_size=3)


@given(text=xml_text, value=xml_text, tail=xml_text)
def test_text_and_attributes_read_back_unchanged(text: str, value: str, tail: str) -> None:
    document = (f"<a v='{escape_attribute(value)}' w=\"{escape_attribute(value)}\">"
                f"{escape_text(text)}<b/>{escape_text(tail)}</a>")
    for data in (document, document.encode()):
        root = parse_xml(data)
        assert (root.text or "") == text
        assert root.get("v") == value and root.get("w") == value
        assert (root[0].tail or "") == tail


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> etree._Element:
    nsmap: Any = {None: "urn:x"} if draw(st.booleans()) else None  # stubs want str keys
    element = etree.Element(draw(names), nsmap=nsmap)
    for name in draw(st.lists(names, max_size=2, unique=True)):
        element.set(name, draw(short_text))
    element.text = draw(short_text) or None
    if depth < 2:
        for _ in range(draw(st.integers(0, 2))):
            child = draw(elements(depth + 1))
            child.tail = draw(short_text) or None
            element.append(child)
    return element


def _stanza(draw: st.DrawFn) -> bytes:
    element = draw(elements())
    data: bytes = etree.tostring(element, encoding="utf-8")
    text = element.text
    if text and "]]>" not in text and "\r" not in text and draw(st.booleans()):
        # Also send the first text as a CDATA section, as peers may.  lxml escapes
        # ">" in attribute values, so the first ">" ends the start tag.
        end = data.index(b">") + 1
        escaped = escape_text(text).encode()
        if data[end : end + len(escaped)] == escaped:
            data = data[:end] + b"<![CDATA[" + text.encode() + b"]]>" + data[end + len(escaped):]
    return data


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    writer = XmlStreamWriter(lambda stanza, parent_namespace: stanza)
    data = writer.open(to=draw(short_text), id=draw(short_text),
                       xml_declaration=draw(st.booleans()))
    for _ in range(draw(st.integers(0, 5))):
        data += draw(st.sampled_from([b"", b" ", b"\n", b"\r\n\t "]))
        data += writer.send(_stanza(draw))
    if draw(st.booleans()):
        data += writer.close()
    return data


def _decode(element: etree._Element) -> bytes:
    # C14N 1.0: lxml's C14N 2.0 refuses an element whose namespace is declared on an
    # ancestor, as a stanza's is, on the stream element.
    return etree.tostring(element, method="c14n")


def _feed(data: bytes, cuts: list[int]) -> list[Event]:
    reader = XmlStreamReader(_decode)
    events: list[Event] = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        events += reader.feed(data[start:cut])
        start = cut
    return events


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data(), stream=streams())
def test_any_split_reads_like_the_whole(data: st.DataObject, stream: bytes) -> None:
    whole = _feed(stream, [])
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=30))
    assert _feed(stream, cuts) == whole
    # And byte by byte, which cuts every multi-byte character.
    if len(stream) < 2000:
        assert _feed(stream, list(range(len(stream)))) == whole


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(stream=streams())
def test_stanzas_read_back_as_written(stream: bytes) -> None:
    events = _feed(stream, [])
    received = [event.stanza for event in events if isinstance(event, StanzaReceived)]
    parsed = parse_xml(stream + (b"" if stream.endswith(b"</stream:stream>")
                                 else b"</stream:stream>"))
    assert received == [_decode(child) for child in parsed]


# -- fuzzing: nothing but ParseError ever comes out ----------------------------------------

tokens = st.sampled_from([
    b"<", b">", b"</", b"/>", b"<a", b"<a>", b"</a>", b"<b x='1'>", b"</b>", b"=", b"'", b'"',
    b"&", b"&amp;", b"&amp", b"&lt;", b"&#", b"&#0;", b"&#x41;", b"&#xD800;", b"&foo;", b";",
    b"<!", b"<!--", b"-->", b"<![CDATA[", b"]]>", b"]", b"<?", b"?>", b"<?xml version='1.0'?>",
    b"<!DOCTYPE a [", b"<!ENTITY e 'x'>", b"%e;", b"]>", b"xmlns='urn:x'", b"xmlns:p='urn:p'",
    b"p:", b"xml:lang='en'", b" ", b"\n", b"\r", b"\t", b"\x00", b"\x01", b"\xff", b"\xc0\xaf",
    b"\xe2\x82", b"\xef\xbb\xbf", b"\xfe\xff", b"\xed\xa0\x80", "\U0001f600".encode(),
    b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    b"</stream:stream>", b"<message>", b"</message>", b"text",
])
xmlish = st.lists(tokens, max_size=40).map(b"".join)
fuzz_bytes = st.one_of(st.binary(max_size=300), xmlish)


@settings(max_examples=300, deadline=None)
@given(data=fuzz_bytes)
def test_parse_xml_raises_only_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_xml(data)
    with contextlib.suppress(ParseError):
        parse_xml(data.decode("utf-8", "surrogateescape"))


@settings(max_examples=300, deadline=None)
@given(data=fuzz_bytes, prefix=st.booleans(), cuts=st.lists(st.integers(0, 400), max_size=8))
def test_stream_reader_raises_only_parse_error(data: bytes, prefix: bool,
                                               cuts: list[int]) -> None:
    if prefix:
        data = stream_header() + data
    with contextlib.suppress(ParseError):
        _feed(data, [cut for cut in cuts if cut <= len(data)])
