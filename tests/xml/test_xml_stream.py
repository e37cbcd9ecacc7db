"""The stream reader: events, splitting, the decoder contract, errors, limits, memory."""

from __future__ import annotations

import gc
import os
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from xepcodec.api import StreamReader
from xepcodec.errors import ParseError
from xepcodec.xml import (
    Limits,
    StanzaFailed,
    StanzaReceived,
    StreamClosed,
    StreamOpened,
    XmlStreamReader,
    path_of,
    stream_footer,
    stream_header,
)
from xepcodec.xml.stream import Event

STREAM = "http://etherx.jabber.org/streams"
HEADER = stream_header(to="example.com", from_="juliet@example.com", id="s1", lang="en")


def c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n")


def read(data: bytes, decoder: Callable[[etree._Element], object] = c14n, *,
         chunk: int | None = None, limits: Limits | None = None) -> list[Event]:
    reader = XmlStreamReader(decoder, limits=limits) if limits else XmlStreamReader(decoder)
    if chunk is None:
        return reader.feed(data)
    events: list[Event] = []
    for start in range(0, len(data), chunk):
        events += reader.feed(data[start : start + chunk])
    return events


def refused(data: bytes, condition: str, *, chunk: int | None = None,
            limits: Limits | None = None,
            decoder: Callable[[etree._Element], object] = c14n) -> ParseError:
    with pytest.raises(ParseError) as caught:
        read(data, decoder, chunk=chunk, limits=limits)
    assert caught.value.condition == condition, str(caught.value)
    return caught.value


# -- events -----------------------------------------------------------------------------------


def test_events() -> None:
    events = read(HEADER + b"<message to='romeo@example.net'><body>hi</body></message>"
                  b"<iq id='1' type='get'/>" + stream_footer())
    opened, message, iq, closed = events
    assert opened == StreamOpened(
        {"to": "example.com", "from": "juliet@example.com", "id": "s1", "version": "1.0",
         "{http://www.w3.org/XML/1998/namespace}lang": "en"},
        "jabber:client", f"{{{STREAM}}}stream")
    assert isinstance(message, StanzaReceived) and isinstance(iq, StanzaReceived)
    assert message.stanza == (b'<message xmlns="jabber:client" xmlns:stream="' + STREAM.encode()
                              + b'" to="romeo@example.net"><body>hi</body></message>')
    assert message.element is not None and message.element.tag == "{jabber:client}message"
    assert closed == StreamClosed()


def test_events_come_as_soon_as_their_bytes_do() -> None:
    reader = XmlStreamReader(c14n)
    assert reader.feed(HEADER) == [StreamOpened(
        {"to": "example.com", "from": "juliet@example.com", "id": "s1", "version": "1.0",
         "{http://www.w3.org/XML/1998/namespace}lang": "en"}, "jabber:client")]
    assert reader.feed(b"<presence") == []
    assert reader.feed(b"/>") == [StanzaReceived(b'<presence xmlns="jabber:client" '
                                                 b'xmlns:stream="' + STREAM.encode()
                                                 + b'"></presence>')]
    assert reader.feed(b"<message><body>x</body>") == []
    assert len(reader.feed(b"</message>")) == 1
    assert reader.feed(b"</stream:stream>") == [StreamClosed()]
    assert reader.feed(b"\n  ") == []


def test_server_stream_namespace_and_prefixes() -> None:
    header = stream_header(namespace="jabber:server",
                           namespaces={"db": "jabber:server:dialback"})
    events = read(header + b"<db:result from='a' to='b'>key</db:result>", lambda e: e.tag)
    assert isinstance(events[0], StreamOpened) and events[0].namespace == "jabber:server"
    assert events[1] == StanzaReceived("{jabber:server:dialback}result")


def test_xml_declaration_and_keepalives() -> None:
    data = (b"<?xml version='1.0' encoding='UTF-8'?>\n" + HEADER + b"\n \t<presence/>\r\n"
            b" <presence/>   ")
    for chunk in (None, 1, 2, 5):
        events = read(data, lambda e: e.tag, chunk=chunk)
        assert [type(event) for event in events] == [StreamOpened, StanzaReceived,
                                                     StanzaReceived]


def test_split_everywhere_including_inside_characters() -> None:
    data = (HEADER + "<message><body>h\u00e9llo \u4e16\u754c \U0001f600</body>"
            "<x xmlns='urn:x' a='&amp;&lt;&#x1F600;'><![CDATA[<!-- &c; ]]]]><![CDATA[>]]></x>"
            "</message>".encode() + stream_footer())
    whole = read(data)
    assert len(whole) == 3
    for chunk in range(1, 12):
        assert read(data, chunk=chunk) == whole
    for cut in range(len(data)):  # every two-piece split
        reader = XmlStreamReader(c14n)
        assert reader.feed(data[:cut]) + reader.feed(data[cut:]) == whole


def test_stanzas_are_detached_and_have_no_tail() -> None:
    events = read(HEADER + b"<a/>\n <b/>\n ", lambda e: e)
    for event in events[1:]:
        assert isinstance(event, StanzaReceived) and event.element is not None
        assert event.element.getparent() is None and event.element.tail is None
        assert event.stanza is event.element


def test_decoder_sees_stanza_relative_paths() -> None:
    paths: list[str] = []

    def decoder(element: etree._Element) -> None:
        paths.append(path_of(element[0]) if len(element) else path_of(element))

    read(HEADER + b"<message><body/></message><message><body/><body/></message><iq/>", decoder)
    assert paths == ["/message/body", "/message/body[1]", "/iq"]


def test_the_public_reader_decodes_with_the_model() -> None:
    events = StreamReader().feed(
        HEADER + b"<message to='romeo@example.net' type='chat' id='m1'><body>hi</body></message>")
    stanza: Any = events[1].stanza  # type: ignore[union-attr]
    assert type(stanza).__name__ == "Message"
    assert stanza.bodies[0].text == "hi"


def test_the_public_reader_is_the_xml_reader_and_takes_another_decoder() -> None:
    import xepcodec

    assert xepcodec.StreamReader is StreamReader and issubclass(StreamReader, XmlStreamReader)
    events = StreamReader(c14n).feed(HEADER + b"<presence/>")
    assert events[1] == StanzaReceived(c14n(etree.fromstring(
        HEADER + b"<presence/></stream:stream>")[0]))


# -- the decoder's errors -------------------------------------------------------------------


def strict(element: etree._Element) -> object:
    if element.get("bad") == "stanza":
        raise ParseError("the payload is nonsense", condition="bad-request",
                         path=path_of(element[0]) if len(element) else None)
    if element.get("bad") == "stream":
        raise ParseError("no such stanza", condition="unsupported-stanza-type")
    if element.tag.startswith(f"{{{STREAM}}}"):
        raise ParseError("unknown", condition="feature-not-implemented")
    return element.get("id")


def test_stanza_level_decoder_error_arrives_in_order_and_the_stream_goes_on() -> None:
    reader = XmlStreamReader(strict)
    events = reader.feed(HEADER + b"<iq id='1'/>\n<iq id='2' bad='stanza'>\n<q/></iq>"
                         b"<iq id='3'/>")
    assert [type(event) for event in events] == [StreamOpened, StanzaReceived, StanzaFailed,
                                                 StanzaReceived]
    failed = events[2]
    assert isinstance(failed, StanzaFailed)
    assert failed.error.condition == "bad-request" and not failed.error.stream
    assert failed.error.path == "/iq/q"
    assert failed.error.line == 2  # the decoder gave none: the stanza's own line
    assert isinstance(failed.error.__cause__, ParseError)
    assert failed.element is not None and failed.element.get("id") == "2"
    assert reader.feed(b"<iq id='4'/>") == [StanzaReceived("4")]


def test_stream_level_decoder_error_ends_the_stream() -> None:
    reader = XmlStreamReader(strict)
    with pytest.raises(ParseError) as caught:
        reader.feed(HEADER + b"<iq id='1'/>\n\n<foo bad='stream'/>")
    assert caught.value.condition == "unsupported-stanza-type"
    assert caught.value.path == "/foo" and caught.value.line == 3
    with pytest.raises(ParseError) as again:
        reader.feed(b"<iq id='2'/>")
    assert again.value is caught.value


def test_unknown_stream_elements_arrive_raw() -> None:
    events = read(HEADER + b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                  b"</stream:features><stream:error><conflict xmlns='urn:ietf:params:xml:ns:"
                  b"xmpp-streams'/></stream:error>", strict)
    features, error = events[1:]
    assert isinstance(features, StanzaReceived) and isinstance(error, StanzaReceived)
    assert features.stanza is features.element
    assert isinstance(features.stanza, etree._Element)
    assert features.stanza.tag == f"{{{STREAM}}}features"
    assert isinstance(error.stanza, etree._Element) and error.stanza.tag == f"{{{STREAM}}}error"


def test_decoder_bug_propagates_and_stops_the_reader() -> None:
    def buggy(element: etree._Element) -> object:
        raise KeyError("oops")

    reader = XmlStreamReader(buggy)
    reader.feed(HEADER)
    with pytest.raises(KeyError):
        reader.feed(b"<iq/>")
    with pytest.raises(ParseError) as caught:
        reader.feed(b"<iq/>")
    assert caught.value.condition == "internal-server-error" and caught.value.stream


# -- XML errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [None, 1, 3])
def test_dead_reader_raises_the_same_error(chunk: int | None) -> None:
    reader = XmlStreamReader(c14n)
    data = HEADER + b"<message><!-- no --></message>"
    with pytest.raises(ParseError) as caught:
        for start in range(0, len(data), chunk or len(data)):
            reader.feed(data[start : start + (chunk or len(data))])
    assert caught.value.condition == "restricted-xml"
    assert caught.value.path == "/message"
    for _ in range(2):
        with pytest.raises(ParseError) as again:
            reader.feed(b"<presence/>")
        assert again.value is caught.value


@pytest.mark.parametrize(("tail", "condition", "word"), [
    (b"<message><!-- x --></message>", "restricted-xml", "comment"),
    (b"<message><?php ?></message>", "restricted-xml", "processing instruction"),
    (b"<message><!DOCTYPE x></message>", "restricted-xml", "DTD"),
    (b"<message><!ENTITY x 'y'></message>", "restricted-xml", "entity declaration"),
    (b"<message>&xxe;</message>", "restricted-xml", "&xxe;"),
    (b"<message a='&lol9;'/>", "restricted-xml", "&lol9;"),
    (b"<message>&amp &lt;</message>", "not-well-formed", "&"),
    # among allowed references, "?" and "!" in text (the scan that skips the search)
    (b"<message a='&quot;'>Why? Now! &lt;&#x41;&gt;&apos; &nbsp;</message>",
     "restricted-xml", "&nbsp;"),
    (b"<message>Why? &amp;&amp;&lt;&;</message>", "not-well-formed", "&"),
    (b"<message><![CDAT[x]]></message>", "not-well-formed", "CDATA"),
    (b"<message>\xc0\xaf</message>", "unsupported-encoding", "UTF-8"),
    (b"<message>\xe2\x82</message>", "unsupported-encoding", "UTF-8"),
    (b"<message>&#0;</message>", "not-well-formed", "char"),
    (b"<message>\x0c</message>", "not-well-formed", "char"),
    (b"<message></iq>", "not-well-formed", "mismatch"),
    (b"<message/>text<iq/>", "bad-format", "text"),
    (b"<?xml version='1.0'?>", "not-well-formed", "declaration"),
])
def test_restricted_xml_in_the_stream(tail: bytes, condition: str, word: str) -> None:
    for chunk in (None, 1, 2, 7):
        error = refused(HEADER + tail, condition, chunk=chunk)
        assert word.lower() in error.message.lower(), str(error)
        assert error.stream


def test_text_with_references_question_and_exclamation_marks_is_read() -> None:
    text = b"Why? Now! &lt;b&gt; &amp; &quot;&apos; &#x41;&#66;"
    data = HEADER + b"<message><body>" + text + b"</body></message>"
    for chunk in (None, 1, 2, 5):
        events = read(data, lambda e: e[0].text, chunk=chunk)
        assert events[1] == StanzaReceived("Why? Now! <b> & \"' AB")


def test_cdata_in_the_stream_may_contain_anything() -> None:
    data = HEADER + b"<message><body><![CDATA[<!-- &x; <?y?> <!DOCTYPE ]] ]>]]></body></message>"
    for chunk in (None, 1, 2, 3, 4):
        events = read(data, lambda e: e[0].text, chunk=chunk)
        assert events[1] == StanzaReceived("<!-- &x; <?y?> <!DOCTYPE ]] ]>")


def test_line_numbers_of_guard_errors() -> None:
    error = refused(HEADER + b"\n<message>\n<body>\n<!-- x --></body></message>", "restricted-xml",
                    chunk=5)
    assert error.line == 4 and error.path == "/message/body"


@pytest.mark.parametrize(("start", "condition"), [
    (b"\xef\xbb\xbf", "not-well-formed"),
    (b"\xff\xfe", "unsupported-encoding"),
    (b"\xfe\xff", "unsupported-encoding"),
    (b"\x00<", "unsupported-encoding"),
])
def test_byte_order_marks_and_wide_encodings(start: bytes, condition: str) -> None:
    for chunk in (None, 1):
        refused(start + HEADER, condition, chunk=chunk)


def test_utf16_stream_is_refused() -> None:
    refused(HEADER.decode().encode("utf-16"), "unsupported-encoding")
    refused(b"<?xml version='1.0' encoding='UTF-16'?>" + HEADER, "unsupported-encoding", chunk=3)


@pytest.mark.parametrize(("data", "condition"), [
    (b"<message/>", "bad-format"),
    (b"<stream xmlns='jabber:client'>", "invalid-namespace"),
    (b"<stream:stream xmlns:stream='" + STREAM.encode() + b"'>", "invalid-namespace"),
])
def test_bad_stream_headers(data: bytes, condition: str) -> None:
    refused(data + b" ", condition)


def test_data_after_the_stream() -> None:
    reader = XmlStreamReader(c14n)
    reader.feed(HEADER + stream_footer() + b"\n")
    with pytest.raises(ParseError) as caught:
        reader.feed(b"<message/>")
    assert caught.value.condition == "not-well-formed"
    assert "after the end of the stream" in caught.value.message


# -- limits --------------------------------------------------------------------------------


SMALL = Limits(max_depth=3, max_attribute_length=10, max_text_length=20, max_attributes=3,
               max_children=4, max_size=2000)
BARE = stream_header()  # one attribute, within SMALL


@pytest.mark.parametrize(("stanza", "word", "path"), [
    (b"<m><a><b><c/></b></a></m>", "deep", "/m/a/b/c"),
    (b"<m><a x='01234567890'/></m>", "attribute value", "/m/a/@x"),
    (b"<m><a>" + b"x" * 21 + b"</a></m>", "text", "/m/a/text()"),
    (b"<m><a w='' x='' y='' z=''/></m>", "attributes", "/m/a"),
    (b"<m>" + b"<a/>" * 5 + b"</m>", "child", "/m"),
    (b"<m>" + b"<a>xxxxxxxxxx</a>" * 200 + b"</m>", "grown past", None),
], ids=["depth", "attribute length", "text length", "attributes", "children", "size"])
def test_limits_apply_per_stanza(stanza: bytes, word: str, path: str | None) -> None:
    ok = b"<m><a><b/></a><a x='0123456789' y='' z=''>" + b"x" * 20 + b"</a><a/><a/></m>"
    # Many small stanzas together are fine, however large the whole stream grows.
    assert len(read(BARE + ok * 100, limits=SMALL, chunk=1000)) == 101
    limits = Limits(max_size=2000) if word == "grown past" else SMALL
    for chunk in (None, 1, 7, 64):
        error = refused(BARE + ok + stanza, "policy-violation", chunk=chunk, limits=limits)
        assert word in error.message and error.stream
        if path is None:  # where the stanza is when it outgrows the limit depends on chunks
            assert error.path is not None and error.path.startswith("/m")
        else:
            assert error.path == path


def test_attribute_count_across_chunk_boundaries() -> None:
    limits = Limits(max_attributes=3)
    stanza = b"<m a='1' b='2' c='3' d='4'/>"
    for cut in range(1, len(stanza)):
        reader = XmlStreamReader(c14n, limits=limits)
        reader.feed(BARE + stanza[:cut])
        with pytest.raises(ParseError) as caught:
            reader.feed(stanza[cut:])
        assert "attributes" in caught.value.message


def test_stream_header_limits() -> None:
    refused(stream_header(to="x" * 11), "policy-violation", limits=SMALL)
    refused(HEADER, "policy-violation", limits=SMALL)  # five attributes


def test_a_stanza_that_never_ends_is_refused_early() -> None:
    reader = XmlStreamReader(c14n, limits=Limits(max_size=100_000))
    reader.feed(HEADER + b"<message><body>")
    fed = 0
    with pytest.raises(ParseError) as caught:
        while fed < 10_000_000:
            reader.feed(b"x" * 4096)
            fed += 4096
    assert caught.value.condition == "policy-violation"
    assert fed < 150_000


def test_whitespace_between_stanzas_never_adds_up() -> None:
    reader = XmlStreamReader(c14n, limits=Limits(max_size=1000))
    reader.feed(HEADER)
    for _ in range(100):
        reader.feed(b"<presence/>" + b" " * 500)


def test_keepalives_alone_do_not_grow_anything() -> None:
    reader = XmlStreamReader(c14n)
    reader.feed(HEADER)
    for _ in range(10_000):
        assert reader.feed(b" ") == []
    root = reader._root
    assert root is not None and root.text is None and len(root) == 0


# -- memory ----------------------------------------------------------------------------------


def _rss() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def test_memory_stays_flat_over_many_stanzas() -> None:
    reader = XmlStreamReader(lambda element: None)
    reader.feed(HEADER)
    batch = b"".join(b"<message id='%d' to='romeo@example.net'><body>hello &amp; bye</body>"
                     b"</message>\n " % i for i in range(1000))
    for _ in range(10):  # warm up caches and allocator pools
        reader.feed(batch)
    gc.collect()
    rss_before = _rss()
    tracemalloc.start()
    try:
        count = 0
        for _ in range(200):
            count += len(reader.feed(batch))
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    # Python-side: nothing accumulates (a batch of events is a few hundred kB).
    assert peak < 5 * 1024 * 1024 and current < 512 * 1024
    # libxml2-side, which tracemalloc cannot see: the tree holds nothing.
    root = reader._root
    assert root is not None and len(root) == 0 and root.text is None
    rss_after = _rss()
    if rss_before is not None and rss_after is not None and sys.platform.startswith("linux"):
        # 200k stanzas kept would be hundreds of MB; allow for allocator noise.
        assert rss_after - rss_before < 30 * 1024 * 1024


def test_an_unknown_top_level_element_is_unsupported_stanza_type() -> None:
    reader = StreamReader()
    reader.feed(b"<stream:stream xmlns='jabber:client' "
                b"xmlns:stream='http://etherx.jabber.org/streams'>")
    with pytest.raises(ParseError) as caught:
        reader.feed(b"<gossip xmlns='urn:example:gossip'/>")
    assert caught.value.condition == "unsupported-stanza-type"
    assert caught.value.stream is True
