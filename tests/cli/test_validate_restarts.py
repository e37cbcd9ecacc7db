"""Stream restarts in a capture: a new stream (XML declaration included) may start only
right after the element that ends a STARTTLS or SASL negotiation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.protocols.test_stream_features import PLAINTEXT_SESSION
from xepcodec.validation.checking import check_bytes
from xepcodec.validation.inputs import Placement, Problem, StanzaSplitter

STREAM = (b"<?xml version='1.0'?>\n<stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
TLS = b"urn:ietf:params:xml:ns:xmpp-tls"
SASL = b"urn:ietf:params:xml:ns:xmpp-sasl"
CHUNKS = (1, 5, 64, 1 << 16)


def split(data: bytes, chunk: int) -> list[object]:
    def where(element: etree._Element, place: Placement
              ) -> tuple[str, int | None, int | None]:
        return (etree.QName(element).localname, *place.locate(element))

    splitter = StanzaSplitter(where)
    results: list[object] = []
    for start in range(0, len(data), chunk):
        results += splitter.feed(data[start : start + chunk])
    return results + splitter.close()


@pytest.mark.parametrize("chunk", CHUNKS)
def test_the_server_side_of_a_session_as_sent_is_accepted(chunk: int) -> None:
    # Each new stream with its own XML declaration, as a server sends it.
    capture = b"".join(flight for flight in PLAINTEXT_SESSION if flight is not None)
    assert capture.count(b"<?xml") == 2
    results = split(capture, chunk)
    assert [r[0] for r in results if isinstance(r, tuple)] == [
        "features", "challenge", "success", "features", "iq"]
    assert not [r for r in results if isinstance(r, Problem)]
    result = check_bytes(capture)
    assert result.ok and result.summary.kind == "capture"


@pytest.mark.parametrize("chunk", CHUNKS)
@pytest.mark.parametrize("before", [
    b"<proceed xmlns='" + TLS + b"'/>",
    b"<success xmlns='" + SASL + b"'>dj1h</success>",
    b"<starttls xmlns='" + TLS + b"'/>",
    b"<auth xmlns='" + SASL + b"' mechanism='PLAIN'>AGp1bGlldABy</auth>",
    b"<response xmlns='" + SASL + b"'>dj1h</response>",
])
def test_a_restart_after_the_end_of_a_negotiation(before: bytes, chunk: int) -> None:
    data = STREAM + b"\n" + before + b"\n" + STREAM + b"\n<presence/></stream:stream>"
    results = split(data, chunk)
    name = before[1:].split(b" ")[0].decode()
    # The second stream's lines and columns are the input's.
    assert results == [(name, 3, 1), ("presence", 6, 1)]


@pytest.mark.parametrize("chunk", CHUNKS)
@pytest.mark.parametrize("before", [
    b"<message/>",
    b"<challenge xmlns='" + SASL + b"'>dj1h</challenge>",
    b"<failure xmlns='" + SASL + b"'><not-authorized/></failure>",
    b"<proceed xmlns='urn:example'/>",
])
@pytest.mark.parametrize("declaration", [True, False])
def test_a_new_stream_anywhere_else_is_an_error(before: bytes, declaration: bool,
                                                chunk: int) -> None:
    second = STREAM if declaration else STREAM.partition(b"\n")[2]
    data = STREAM + b"\n" + before + b"\n" + second + b"\n<presence/></stream:stream>"
    results = split(data, chunk)
    assert len(results) == 2 and isinstance(results[1], Problem)
    problem = results[1]
    assert problem.severity == "error" and "does not restart" in problem.message
    assert (problem.line, problem.column) == (4, 1)
    assert not check_bytes(data).ok


def test_the_first_stream_element_of_a_capture_cannot_be_a_new_stream() -> None:
    results = split(STREAM + STREAM + b"</stream:stream>", 1 << 16)
    assert len(results) == 1 and isinstance(results[0], Problem)
    assert results[0].severity == "error"


def test_a_declaration_after_a_restart_element_must_open_a_stream() -> None:
    data = (STREAM + b"<success xmlns='" + SASL + b"'/><?xml version='1.0'?><message/>"
            b"</stream:stream>")
    results = split(data, 1 << 16)
    assert results[0] == ("success", 2, 1 + len(STREAM.partition(b"\n")[2]))
    assert isinstance(results[-1], Problem) and results[-1].severity == "error"
    assert not check_bytes(data).ok


@settings(max_examples=60)
@given(cuts=st.lists(st.integers(1, 120), min_size=1, max_size=12))
def test_how_a_restart_is_split_changes_nothing(cuts: list[int]) -> None:
    data = (STREAM + b"\n<message/><success xmlns='" + SASL + b"'/>\n" + STREAM +
            b"\n<iq type='get' id='b'><ping xmlns='urn:xmpp:ping'/></iq>"
            b"<challenge xmlns='" + SASL + b"'/>" + STREAM + b"</stream:stream>")
    expected = split(data, 1 << 16)
    assert expected[:3] == [("message", 3, 1), ("success", 3, 11), ("iq", 6, 1)]
    assert isinstance(expected[-1], Problem) and expected[-1].line == 6
    splitter = StanzaSplitter(lambda element, place: (
        etree.QName(element).localname, *place.locate(element)))
    results: list[object] = []
    position = 0
    for cut in cuts:
        results += splitter.feed(data[position : position + cut])
        position += cut
    results += splitter.feed(data[position:]) + splitter.close()
    assert results == expected
