"""Tests for xepcodec.protocols.binary (XEP-0239 Binary XMPP).

The XML below is written for these tests; none of it is taken from the XEP.  One test
reads the XEP source at test time (when it is beside the checkout) and checks that each
of its Binary XMPP examples decodes to the traditional XML shown before it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conformance.examples import specs_dir
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from xepcodec.core.namespaces import CLIENT, SERVER
from xepcodec.core.stanzas import Body, Message, MessageType, Presence
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError, ProtocolError
from xepcodec.model import decode, encode
from xepcodec.protocols.binary import (
    NS_BXMPP,
    BinaryDecoder,
    BinaryEvent,
    BytesDecoded,
    Framing,
    One,
    Zero,
    decode_bytes,
    decode_stanza,
    encode_bytes,
    encode_stanza,
    from_elements,
    to_elements,
)
from xepcodec.protocols.ping import ping_request
from xepcodec.testing.binary import spellings
from xepcodec.testing.stanzas import iqs, messages, presences
from xepcodec.testing.strategies import for_class
from xepcodec.xml import Limits, StanzaFailed, StanzaReceived, StreamClosed, StreamOpened

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "binary.xsd"
ZERO, ONE = b"<zero/>", b"<one/>"


@pytest.fixture(scope="module")
def binary_schema() -> etree.XMLSchema:
    return etree.XMLSchema(file=str(SCHEMA_FILE))


def bits(pattern: str) -> bytes:
    """The canonical sequence for a string of 0s and 1s (spaces ignored)."""
    return b"".join(ONE if c == "1" else ZERO for c in pattern if c in "01")


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def run(decoder: BinaryDecoder, chunks: list[bytes]) -> list[BinaryEvent]:
    events: list[BinaryEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return events


def decoded(events: list[BinaryEvent]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, BytesDecoded))


def stanzas_of(events: list[BinaryEvent]) -> list[object]:
    return [e.stanza for e in events if isinstance(e, StanzaReceived)]


def refused(xml: bytes) -> ParseError:
    with pytest.raises(ParseError) as caught:
        decode_bytes(xml)
    return caught.value


# ---------------------------------------------------------------------------------------
# The element classes


@pytest.mark.parametrize("cls", [Zero, One])
@given(data=st.data())
def test_generated_elements_are_schema_valid_and_round_trip(
        binary_schema: etree.XMLSchema, cls: type, data: st.DataObject) -> None:
    obj = data.draw(for_class(cls))
    document = etree.fromstring(encode(obj))
    assert binary_schema.validate(document), binary_schema.error_log
    assert decode(document) == obj


def test_the_elements() -> None:
    assert NS_BXMPP == "urn:xmpp:bxmpp"
    assert encode(Zero()) == b'<zero xmlns="urn:xmpp:bxmpp"/>'
    assert encode(One()) == b'<one xmlns="urn:xmpp:bxmpp"/>'
    assert (Zero.bit, One.bit) == (0, 1)
    assert decode(etree.fromstring(b"<one xmlns='urn:xmpp:bxmpp'>\n </one>")) == One()
    assert decode(etree.fromstring(b"<b:zero xmlns:b='urn:xmpp:bxmpp'/>")) == Zero()


@pytest.mark.parametrize(("xml", "word"), [
    (b"<zero xmlns='urn:xmpp:bxmpp' n='1'/>", "n"),
    (b"<one xmlns='urn:xmpp:bxmpp'>1</one>", "no text"),
    (b"<one xmlns='urn:xmpp:bxmpp'><zero/></one>", "does not allow"),
])
def test_element_rejections(xml: bytes, word: str) -> None:
    with pytest.raises(ParseError) as caught:
        decode(etree.fromstring(xml))
    assert caught.value.condition == "bad-request"
    assert word in str(caught.value)


@pytest.mark.parametrize(("xml", "valid"), [
    (b"<zero xmlns='urn:xmpp:bxmpp'/>", True),
    (b"<one xmlns='urn:xmpp:bxmpp'>  </one>", True),
    (b"<one xmlns='urn:xmpp:bxmpp'>0</one>", False),
    (b"<zero xmlns='urn:xmpp:bxmpp' a='b'/>", False),
    (b"<zero xmlns='urn:xmpp:bxmpp'><one/></zero>", False),
    (b"<two xmlns='urn:xmpp:bxmpp'/>", False),
])
def test_schema(binary_schema: etree.XMLSchema, xml: bytes, valid: bool) -> None:
    assert binary_schema.validate(etree.fromstring(xml)) is valid


def test_to_and_from_elements() -> None:
    assert to_elements(b"\xa0") == (One(), Zero(), One(), Zero(), Zero(), Zero(), Zero(), Zero())
    assert to_elements(b"") == ()
    assert from_elements([Zero(), One(), Zero(), Zero(), Zero(), Zero(), Zero(), One()]) == b"A"
    assert from_elements(iter(to_elements(b"xmpp"))) == b"xmpp"


def test_from_elements_refuses() -> None:
    with pytest.raises(ValueError, match="7 bits are not a whole number of bytes"):
        from_elements([Zero()] * 7)
    with pytest.raises(ValueError, match="item 2 is a str"):
        from_elements([Zero(), "1"])  # type: ignore[list-item]


@given(data=st.binary(max_size=64))
def test_elements_round_trip(data: bytes) -> None:
    elements = to_elements(data)
    assert len(elements) == 8 * len(data)
    assert from_elements(elements) == data
    assert b"".join(encode(e) for e in elements) == encode_bytes(data, namespaced=True)


# ---------------------------------------------------------------------------------------
# Encoding


def test_most_significant_bit_first() -> None:
    # "<" is 0x3C: 0011 1100.
    assert encode_bytes(b"<") == bits("0011 1100")
    assert encode_bytes(b"\x80") == ONE + ZERO * 7
    assert encode_bytes(b"\x01") == ZERO * 7 + ONE
    assert encode_bytes(b"\x00\xff") == ZERO * 8 + ONE * 8
    assert encode_bytes(b"") == b""


def test_encoding_is_bare_and_unbroken_by_default() -> None:
    out = encode_bytes(b"<presence/>")
    assert out.startswith(bits("0011 1100 0111 0000"))  # "<", "p" (0x70)
    assert re.fullmatch(rb"(?:<zero/>|<one/>)+", out)
    assert out.count(b"<") == 88


def test_namespaced_encoding() -> None:
    out = encode_bytes(b"\x40", namespaced=True)
    assert out == (b'<zero xmlns="urn:xmpp:bxmpp"/><one xmlns="urn:xmpp:bxmpp"/>'
                   + b'<zero xmlns="urn:xmpp:bxmpp"/>' * 6)
    assert decode_bytes(out) == b"\x40"


def test_encoding_accepts_any_bytes_like() -> None:
    assert encode_bytes(bytearray(b"ab")) == encode_bytes(b"ab")
    assert encode_bytes(memoryview(b"ab")) == encode_bytes(b"ab")


def test_encode_stanza() -> None:
    stanza = Presence()
    assert encode_stanza(stanza) == encode_bytes(encode(stanza))
    assert decode_bytes(encode_stanza(stanza)) == b'<presence xmlns="jabber:client"/>'
    assert decode_stanza(encode_stanza(stanza, namespaced=True)) == stanza


@given(data=st.binary(max_size=300), namespaced=st.booleans())
def test_any_bytes_round_trip(data: bytes, namespaced: bool) -> None:
    xml = encode_bytes(data, namespaced=namespaced)
    assert decode_bytes(xml) == data
    assert xml.count(b"/>") == 8 * len(data)


@given(pair=st.binary(max_size=24).flatmap(lambda d: st.tuples(st.just(d), spellings(d))))
def test_every_spelling_decodes(pair: tuple[bytes, bytes]) -> None:
    data, xml = pair
    assert decode_bytes(xml) == data


@settings(max_examples=50)
@given(stanza=st.one_of(messages(), presences(), iqs()), namespaced=st.booleans())
def test_generated_stanzas_round_trip(stanza: object, namespaced: bool) -> None:
    assert decode_stanza(encode_stanza(stanza, namespaced=namespaced)) == stanza


# ---------------------------------------------------------------------------------------
# The incremental decoder


@given(data=st.binary(max_size=80), cuts=st.lists(st.integers(0, 10**6), max_size=30))
def test_random_split_points_give_the_same_bytes(data: bytes, cuts: list[int]) -> None:
    xml = encode_bytes(data)
    decoder = BinaryDecoder(framing=Framing.BYTES)
    events = run(decoder, split(xml, cuts))
    assert decoded(events) == data
    assert all(isinstance(e, BytesDecoded) and e.data for e in events)
    assert decoder.bits == 8 * len(data)
    assert decoder.pending_bits == 0


@given(pair=st.binary(max_size=16).flatmap(lambda d: st.tuples(st.just(d), spellings(d))),
       cuts=st.lists(st.integers(0, 10**6), max_size=30))
def test_random_split_points_of_other_spellings(pair: tuple[bytes, bytes],
                                                cuts: list[int]) -> None:
    data, xml = pair
    assert decoded(run(BinaryDecoder(framing=Framing.BYTES), split(xml, cuts))) == data


@settings(max_examples=40)
@given(stanzas=st.lists(st.one_of(messages(), presences(), iqs()), min_size=1, max_size=3),
       cuts=st.lists(st.integers(0, 10**7), max_size=25))
def test_stanzas_reassembled_at_random_split_points(stanzas: list[object],
                                                    cuts: list[int]) -> None:
    xml = b"".join(encode_stanza(stanza) for stanza in stanzas)
    events = run(BinaryDecoder(framing=Framing.STANZAS), split(xml, cuts))
    assert stanzas_of(events) == stanzas
    assert decoded(events) == b"".join(encode(stanza) for stanza in stanzas)


_PIECES = [ZERO, ONE, b"<zero />", b"<one></one>", b" ", b"\n", b"&#32;", b"<", b">", b"/",
           b"&", b"!", b"?", b"x", b"-", b"'", b"=", b"zero", b"&lt;", b"<!--", b"-->",
           b"<![CDATA[", b"<?xml ", b"</zero>", b"<two/>", b" a='1'", b"\xff"]


def _verdict(chunks: list[bytes]) -> tuple[str, bytes | str]:
    decoder = BinaryDecoder(framing=Framing.BYTES)
    try:
        return "ok", decoded(run(decoder, chunks))
    except ParseError as error:
        return "refused", error.condition


@settings(max_examples=300)
@given(xml=st.lists(st.sampled_from(_PIECES), max_size=30).map(b"".join),
       cuts=st.lists(st.integers(0, 10**6), max_size=10))
def test_the_verdict_does_not_depend_on_the_split_points(xml: bytes, cuts: list[int]) -> None:
    # Valid or not, the input gives the same bytes or the same error condition.
    assert _verdict(split(xml, cuts)) == _verdict([xml])


def test_one_element_at_a_time() -> None:
    xml = encode_bytes(b"AB")
    decoder = BinaryDecoder(framing=Framing.BYTES)
    seen: list[list[BinaryEvent]] = []
    for element in re.findall(rb"<[^>]*>", xml):
        seen.append(decoder.feed(element))
    # Each byte arrives with its eighth element, and not before.
    assert [i for i, events in enumerate(seen) if events] == [7, 15]
    assert seen[7] == [BytesDecoded(b"A")] and seen[15] == [BytesDecoded(b"B")]
    assert decoder.close() == []


def test_pending_bits() -> None:
    decoder = BinaryDecoder(framing=Framing.BYTES)
    assert decoder.feed(ZERO * 3 + b"<on") == []
    assert (decoder.bits, decoder.pending_bits) == (3, 3)
    assert decoder.feed(b"e/>" + ZERO * 4) == [BytesDecoded(b"\x10")]
    assert (decoder.bits, decoder.pending_bits) == (8, 0)


def test_bytes_come_before_the_stanza_they_complete() -> None:
    stanza = Message(to=JID.parse("romeo@montague.example"), type=MessageType.CHAT,
                     bodies=(Body(text="By any other word"),))
    decoder = BinaryDecoder(framing=Framing.STANZAS)
    xml = encode(stanza)
    head = decoder.feed(encode_bytes(xml[:-1]))  # all but the last byte
    assert [type(e) for e in head] == [BytesDecoded]
    tail = decoder.feed(encode_bytes(xml[-1:]))
    assert tail[0] == BytesDecoded(b">")
    assert isinstance(tail[1], StanzaReceived) and tail[1].stanza == stanza


def test_stream_framing_reads_a_whole_session() -> None:
    session = (b"<stream:stream xmlns='jabber:client' "
               b"xmlns:stream='http://etherx.jabber.org/streams' to='capulet.example' "
               b"version='1.0'>\n"
               + encode(ping_request(id="p1")) + b"\n</stream:stream>")
    events = run(BinaryDecoder(), [encode_bytes(session)])
    kinds = [type(e) for e in events if not isinstance(e, BytesDecoded)]
    assert kinds == [StreamOpened, StanzaReceived, StreamClosed]
    opened = next(e for e in events if isinstance(e, StreamOpened))
    assert opened.namespace == CLIENT and opened.attributes["to"] == "capulet.example"
    assert stanzas_of(events) == [ping_request(id="p1")]
    assert decoded(events) == session


def test_stanza_framing_namespace() -> None:
    # A stanza without its own xmlns takes the framing's namespace, as in a stream.
    decoder = BinaryDecoder(framing=Framing.STANZAS, namespace=SERVER)
    events = run(decoder, [encode_bytes(b"<presence from='a.example' to='b.example'/>")])
    [presence] = stanzas_of(events)
    assert isinstance(presence, Presence) and presence.namespace == SERVER


def test_stanza_level_failures_arrive_as_events() -> None:
    bad = b"<message xmlns='jabber:client' to='a@b@c'/>"
    good = encode(Presence())
    events = run(BinaryDecoder(framing=Framing.STANZAS), [encode_bytes(bad + good)])
    failed = [e for e in events if isinstance(e, StanzaFailed)]
    assert len(failed) == 1 and failed[0].error.condition == "jid-malformed"
    assert stanzas_of(events) == [Presence()]


def test_custom_stanza_decoder() -> None:
    decoder = BinaryDecoder(framing=Framing.STANZAS,
                            stanza_decoder=lambda element: element.tag)
    events = run(decoder, [encode_bytes(b"<x xmlns='urn:example:anything'/>")])
    assert stanzas_of(events) == ["{urn:example:anything}x"]


def test_bytes_framing_reads_nothing_into_the_bytes() -> None:
    events = run(BinaryDecoder(framing=Framing.BYTES), [encode_bytes(b"\x00\xffnot xml <")])
    assert events == [BytesDecoded(b"\x00\xffnot xml <")]


def test_framing_by_name() -> None:
    assert BinaryDecoder(framing="bytes").framing is Framing.BYTES  # type: ignore[arg-type]
    assert BinaryDecoder().framing is Framing.STREAM


# ---------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(("xml", "condition", "words", "path"), [
    (ZERO + b"<two/>", "unsupported-stanza-type", ["<two/>", "no namespace", "element 2"],
     "/two"),
    (b"<zero xmlns='jabber:client'/>", "unsupported-stanza-type",
     ["namespace jabber:client"], "/zero"),
    (b"<b:zero/>", "unsupported-stanza-type", ["<b:zero/>"], "/b:zero"),
    (ZERO * 9 + b"<one id='x'/>", "bad-format", ["attribute 'id'", "element 10"], "/one/@id"),
    (b"<zero xmlns='urn:xmpp:bxmpp' xmlns:a='urn:a' a:b='c'/>", "bad-format",
     ["attribute 'b'"], "/zero/@b"),
    (ZERO + b"<one><zero/></one>", "bad-format", ["inside <one/>", "element 2"], "/one/zero"),
    (b"<zero>7</zero>", "bad-format", ["text '7' inside <zero/>"], "/zero"),
    (ZERO + b" <one/>eight", "bad-format", ["text 'eight' before element 3"], None),
    (b"<zero /><one/>eight", "bad-format", ["text 'eight' after <one/>", "element 2"], "/one"),
    (b"0110", "bad-format", ["text '0110' before element 1"], None),
    (ZERO * 2 + b"&#65;", "bad-format", ["text 'A' before element 3"], None),
    (ZERO + b"&lt;", "bad-format", ["&lt;", "stands for text"], None),
    (ZERO + b"&nbsp;", "restricted-xml", ["&nbsp;"], None),
    (ZERO + b"<!-- note -->", "restricted-xml", ["comment"], None),
    (ZERO + b"<?pi x?>", "restricted-xml", ["processing instruction"], None),
    (b"<!DOCTYPE zero>" + ZERO, "restricted-xml", ["DTD"], None),
    (b"<?xml version='1.0'?>" + ZERO * 8, "not-well-formed", ["XML declaration"], None),
    (ZERO + b"<![CDATA[ ]]>", "bad-format", ["CDATA"], None),
    (ZERO + b"</zero>", "not-well-formed", ["end tag that closes no element"], None),
    (ZERO + b"<zero>", "not-well-formed", ["ends inside an element"], None),
    (ZERO + b"<zero a='", "not-well-formed", ["ends inside a tag"], None),
    (ZERO + b"<ze", "not-well-formed", ["ends inside a tag", "'<ze'"], None),
    (ZERO + b"&", "not-well-formed", ["an '&' that starts no"], None),
    (ZERO + b"\xff", "unsupported-encoding", ["UTF-8"], None),
    (ZERO * 7, "bad-format", ["7 bits", "not a whole number of bytes"], None),
    (ZERO * 12, "bad-format", ["12 bits", "4 bits left over"], None),
])
def test_rejections(xml: bytes, condition: str, words: list[str], path: str | None) -> None:
    error = refused(xml)
    assert error.condition == condition
    assert error.stream
    for word in words:
        assert word in error.message
    assert error.path == path


def test_error_lines_count_the_lines_before_the_slow_path() -> None:
    error = refused(ZERO + b"\n" + ZERO + b"\n\n" + ONE + b"\n<one a='1'/>")
    assert error.line == 5 and error.path == "/one/@a"


def test_the_first_problem_is_reported() -> None:
    # Both in the same slice: the attribute on element 2 comes before the unknown name.
    assert refused(b"<zero /><one a='x'/><two/>").path == "/one/@a"
    assert refused(b"<zero /><one/><two/><one a='x'/>").path == "/two"


@pytest.mark.parametrize(("markup", "condition"), [
    (b"<!-- hidden -->", "restricted-xml"),
    (b"<!DOCTYPE zero>", "restricted-xml"),
    (b"<![CDATA[ ]]>", "bad-format"),
    (b"&nbsp;", "restricted-xml"),
    (b"&amp;", "bad-format"),
])
@pytest.mark.parametrize("cut", range(16))
def test_forbidden_markup_split_across_chunks(markup: bytes, condition: str, cut: int) -> None:
    xml = ZERO + markup + ZERO * 7
    decoder = BinaryDecoder(framing=Framing.BYTES)
    with pytest.raises(ParseError) as caught:
        run(decoder, [xml[: len(ZERO) + cut], xml[len(ZERO) + cut :]])
    assert caught.value.condition == condition


def test_character_references_split_across_chunks() -> None:
    xml = b"<zero />&#32;" + ZERO * 7
    for cut in range(len(xml)):
        assert decoded(run(BinaryDecoder(framing=Framing.BYTES), split(xml, [cut]))) == b"\0"


def test_long_runs_without_a_tag_are_refused() -> None:
    # Whitespace between canonical elements is consumed as it comes; in the slow path,
    # where libxml2 would hold it, a long run is refused.
    assert decode_bytes(ZERO + b" " * 5000 + ZERO * 7) == b"\0"
    for start in (b"<zero />", b"<zero "):  # between elements, inside a tag
        decoder = BinaryDecoder(framing=Framing.BYTES)
        decoder.feed(start)
        for _ in range(4):
            decoder.feed(b" " * 1000)
        with pytest.raises(ParseError, match="without the end of a tag") as caught:
            decoder.feed(b" " * 1000)
        assert caught.value.condition == "policy-violation"


def test_the_error_is_sticky_and_close_ends_input() -> None:
    decoder = BinaryDecoder(framing=Framing.BYTES)
    with pytest.raises(ParseError) as first:
        decoder.feed(ZERO + b"<x/>")
    with pytest.raises(ParseError) as again:
        decoder.feed(ZERO)
    assert again.value is first.value
    with pytest.raises(ParseError):
        decoder.close()

    closed = BinaryDecoder(framing=Framing.BYTES)
    assert closed.close() == []
    assert closed.close() == []
    with pytest.raises(ProtocolError):
        closed.feed(ZERO)


def test_errors_in_the_decoded_bytes_say_so() -> None:
    with pytest.raises(ParseError) as caught:
        run(BinaryDecoder(), [encode_bytes(b"<message/>")])
    assert caught.value.condition == "bad-format"
    assert caught.value.message.startswith("in the decoded bytes: ")
    assert "stream" in caught.value.message


def test_stanza_framing_refuses_a_stream_end_and_a_truncated_stanza() -> None:
    with pytest.raises(ParseError, match="close a stream"):
        BinaryDecoder(framing=Framing.STANZAS).feed(encode_bytes(b"</stream:stream>"))
    decoder = BinaryDecoder(framing=Framing.STANZAS)
    decoder.feed(encode_bytes(b"<presence xmlns='jabber:client'>"))
    with pytest.raises(ParseError, match="at the end of the decoded stanzas") as caught:
        decoder.close()
    assert caught.value.condition == "not-well-formed"


def test_stream_framing_does_not_require_the_stream_to_be_closed() -> None:
    header = (b"<stream:stream xmlns='jabber:client' "
              b"xmlns:stream='http://etherx.jabber.org/streams'>")
    events = run(BinaryDecoder(), [encode_bytes(header)])
    assert [type(e) for e in events] == [BytesDecoded, StreamOpened]


def test_decode_stanza_reads_restricted_xml() -> None:
    with pytest.raises(ParseError) as caught:
        decode_stanza(encode_bytes(b"<!DOCTYPE x><presence xmlns='jabber:client'/>"))
    assert caught.value.condition == "restricted-xml"


@pytest.mark.parametrize("depth", [2, 50, 300])  # 300: past libxml2's own depth limit
def test_nesting_is_refused_at_the_first_child(depth: int) -> None:
    error = refused(b"<zero>" * depth + b"</zero>" * depth)
    assert error.condition == "bad-format"
    assert error.path == "/zero/zero"


def test_the_slow_path_keeps_no_tree() -> None:
    decoder = BinaryDecoder(framing=Framing.BYTES)
    decoder.feed(b"<zero />")
    for _ in range(50):
        decoder.feed(b"<one /><zero></zero>" * 400)
    root = decoder._slow._root  # type: ignore[union-attr]
    assert len(root) <= 1
    assert decoder.bits == 1 + 50 * 800


def test_decode_stanza_limits() -> None:
    nested = b"<message xmlns='jabber:client'><a xmlns='urn:x'><b><c/></b></a></message>"
    with pytest.raises(ParseError) as caught:
        decode_stanza(encode_bytes(nested), limits=Limits(max_depth=3))
    assert caught.value.condition == "policy-violation"


def test_empty_input() -> None:
    assert decode_bytes(b"") == b""
    assert decode_bytes(b" \n ") == b""


# ---------------------------------------------------------------------------------------
# The XEP's own examples, read from its source at test time


def _example_pairs() -> Iterator[tuple[str, str, str]]:
    """(caption, traditional XML, Binary XMPP) for each binary example of XEP-0239."""
    source = specs_dir() / "xep-0239.xml"
    if not source.is_file():
        return
    parser = etree.XMLParser(load_dtd=False, resolve_entities=False, no_network=True)
    examples = etree.parse(str(source), parser).getroot().iter("example")
    previous: tuple[str, str] | None = None
    for example in examples:
        caption, text = example.get("caption") or "", example.text or ""
        if "<zero/>" in text and previous is not None and previous[1].lstrip().startswith("<"):
            yield previous[0], previous[1], text
        previous = (caption, text)


EXAMPLES = list(_example_pairs())


@pytest.mark.skipif(not EXAMPLES, reason="the XEP-0239 source is not beside the checkout")
@pytest.mark.parametrize(("caption", "traditional", "binary"), EXAMPLES,
                         ids=[caption for caption, _, _ in EXAMPLES])
def test_spec_examples_decode_to_the_xml_shown_before_them(caption: str, traditional: str,
                                                           binary: str) -> None:
    data = decode_bytes(binary.encode())
    # The binary examples encode CRLF line ends and other indentation than the
    # traditional XML they follow shows: compare with whitespace runs collapsed.
    assert data.decode().split() == traditional.split()
    # The canonical encoding is the example with its line breaks taken out.
    assert encode_bytes(data) == re.sub(rb"\s+", b"", binary.encode())


@pytest.mark.skipif(not EXAMPLES, reason="the XEP-0239 source is not beside the checkout")
def test_spec_client_session_through_the_decoder() -> None:
    client = [binary for caption, _, binary in EXAMPLES if caption.startswith("Client sends")]
    assert len(client) == 2  # the stream header, then STARTTLS
    decoder = BinaryDecoder(stanza_decoder=lambda element: element.tag)
    events = run(decoder, [part.encode() for part in client])
    opened = [e for e in events if isinstance(e, StreamOpened)]
    assert len(opened) == 1 and opened[0].attributes["to"] == "example.com"
    assert stanzas_of(events) == ["{urn:ietf:params:xml:ns:xmpp-tls}starttls"]
