"""Tests for xepcodec.protocols.stream_management (XEP-0198 Stream Management).

The XML below is written for these tests; none of it is taken from the XEP.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conformance.examples import canonical, canonical_bytes, load_examples, parse_example, specs_dir
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from payloads import rejects, schema_accepts, typed

from xepcodec.api import parse, serialize
from xepcodec.core.stanza_errors import Condition
from xepcodec.core.streams import StreamCondition, StreamError
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols import xep
from xepcodec.protocols.stream_management import (
    H_MAX,
    H_MODULUS,
    NS_SM,
    A,
    Enable,
    Enabled,
    Failed,
    HandledCountTooHigh,
    R,
    Resume,
    Resumed,
    SmFeature,
    h_add,
    h_since,
)
from xepcodec.testing.stream_management import handled_counts

SM = f"xmlns='{NS_SM}'"
ERR = "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'"


def test_registry() -> None:
    assert xep(198).NS_SM == "urn:xmpp:sm:3"


@pytest.mark.parametrize(("xml", "expected"), [
    (f"<sm {SM}/>", SmFeature()),
    (f"<sm {SM}><optional/></sm>", SmFeature(optional=True)),
    (f"<sm {SM}><required/></sm>", SmFeature(required=True)),
    (f"<enable {SM}/>", Enable()),
    (f"<enable {SM} resume='1' max='300'/>", Enable(resume=True, max=300)),
    (f"<enabled {SM}/>", Enabled()),
    (f"<enabled {SM} id='sm-7' resume='true' max='600' location='[2001:db8::5]:5222'/>",
     Enabled(id="sm-7", resume=True, max=600, location="[2001:db8::5]:5222")),
    (f"<r {SM}/>", R()),
    (f"<a {SM} h='0'/>", A(h=0)),
    (f"<a {SM} h='4294967295'/>", A(h=H_MAX)),
    (f"<resume {SM} h='12' previd='sm-7'/>", Resume(h=12, previd="sm-7")),
    (f"<resumed {SM} h='3' previd='sm-7'/>", Resumed(h=3, previd="sm-7")),
    (f"<failed {SM}/>", Failed()),
    (f"<failed {SM} h='9'><item-not-found {ERR}/></failed>",
     Failed.of(Condition.ITEM_NOT_FOUND, h=9)),
    (f"<handled-count-too-high {SM} h='10' send-count='8'/>",
     HandledCountTooHigh(h=10, send_count=8)),
])
def test_reading(schema: etree.XMLSchema, xml: str, expected: object) -> None:
    assert typed(xml) == expected
    assert schema_accepts(schema, xml)
    assert typed(encode(expected).decode()) == expected


def test_failed_with_a_text() -> None:
    failed = typed(f"<failed {SM}><unexpected-request {ERR}/>"
                   f"<text {ERR} xml:lang='en'>already enabled</text></failed>")
    assert isinstance(failed, Failed)
    assert failed.condition == Condition.UNEXPECTED_REQUEST
    assert failed.description is not None and failed.description.text == "already enabled"
    assert Failed().condition is None


def test_writing() -> None:
    assert encode(A(h=5)) == b'<a xmlns="urn:xmpp:sm:3" h="5"/>'
    assert encode(Enable(resume=True)) == b'<enable xmlns="urn:xmpp:sm:3" resume="true"/>'
    assert encode(SmFeature(optional=True)) == b'<sm xmlns="urn:xmpp:sm:3"><optional/></sm>'
    assert encode(Failed.of("unexpected-request")) == (
        b'<failed xmlns="urn:xmpp:sm:3"><unexpected-request '
        b'xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>')


@pytest.mark.parametrize(("xml", "words"), [
    (f"<a {SM}/>", ["'h'"]),
    (f"<a {SM} h='-1'/>", ["minimum"]),
    (f"<a {SM} h='4294967296'/>", ["maximum"]),
    (f"<resume {SM} h='1'/>", ["previd"]),
    (f"<resumed {SM} previd='x'/>", ["'h'"]),
    (f"<enable {SM} max='0'/>", ["minimum"]),
    (f"<enable {SM} resume='yes'/>", ["boolean"]),
    (f"<r {SM}>now</r>", ["text"]),
    (f"<sm {SM}><required/><optional/></sm>", ["not both"]),
    (f"<failed {SM}><bogus {ERR}/></failed>", ["bogus"]),
    (f"<failed {SM}><item-not-found {ERR}/><gone {ERR}/></failed>", []),
])
def test_rejections(schema: etree.XMLSchema, xml: str, words: list[str]) -> None:
    rejects(xml, *words)
    assert not schema_accepts(schema, xml)


def test_a_stream_error_carries_handled_count_too_high() -> None:
    xml = (b"<stream:error xmlns:stream='http://etherx.jabber.org/streams'>"
           b"<undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
           b"<handled-count-too-high xmlns='urn:xmpp:sm:3' h='10' send-count='8'/>"
           b"</stream:error>")
    error = parse(xml)
    assert isinstance(error, StreamError)
    assert error.condition == StreamCondition.UNDEFINED_CONDITION
    assert error.application == (HandledCountTooHigh(h=10, send_count=8),)
    assert parse(serialize(error)) == error


def test_failed_of_refuses_what_is_no_condition() -> None:
    with pytest.raises(ArgumentValueError, match="not a stanza error condition"):
        Failed.of("no-such-thing")


# -- the wrapping count ---------------------------------------------------------------------


def test_the_count_wraps_at_32_bits() -> None:
    assert H_MODULUS == 2**32
    assert h_add(0) == 1
    assert h_add(H_MAX) == 0
    assert h_add(H_MAX, 3) == 2
    assert h_add(5, 0) == 5
    assert h_add(0, 3 * H_MODULUS + 1) == 1
    assert h_since(3, 10) == 7
    assert h_since(H_MAX, 1) == 2
    assert h_since(7, 7) == 0


@given(h=handled_counts(), n=st.integers(0, 2 * H_MODULUS))
def test_adding_and_measuring_agree(h: int, n: int) -> None:
    later = h_add(h, n)
    assert 0 <= later <= H_MAX
    assert h_since(h, later) == n % H_MODULUS
    # Adding in two steps is adding once.
    assert h_add(h_add(h, n // 2), n - n // 2) == later


@given(earlier=handled_counts(), later=handled_counts())
def test_measuring_then_adding_returns(earlier: int, later: int) -> None:
    assert h_add(earlier, h_since(earlier, later)) == later


@pytest.mark.parametrize(("call", "error"), [
    (lambda: h_add(-1), ArgumentValueError),
    (lambda: h_add(H_MODULUS), ArgumentValueError),
    (lambda: h_add(0, -1), ArgumentValueError),
    (lambda: h_add(True), ArgumentTypeError),
    (lambda: h_add("1"), ArgumentTypeError),
    (lambda: h_since(0, H_MODULUS), ArgumentValueError),
    (lambda: h_since(-1, 0), ArgumentValueError),
    (lambda: h_since(0, 1.0), ArgumentTypeError),
])
def test_counts_out_of_range_are_refused(call: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()


# -- the XEP's examples -------------------------------------------------------------------------


def _sm_examples() -> list[tuple[str, etree._Element]]:
    folder = specs_dir()
    if not (folder / "xep-0198.xml").is_file():
        pytest.skip(f"the specification sources are not beside the checkout ({folder})")
    found = []
    for example in load_examples(folder, (198,)):
        try:
            elements = parse_example(example).elements
        except etree.XMLSyntaxError:
            continue  # a stream header alone, opened and not closed in the example
        for element in elements:
            # Every element of the namespace, wherever the example puts it (SASL2's
            # <success/> carries <failed/>, Bind 2's <bound/> too).
            for node in element.iter(f"{{{NS_SM}}}*"):
                found.append((example.caption, copy.deepcopy(node)))
    return found


def test_the_xeps_examples_read_and_write_back() -> None:
    examples = _sm_examples()
    assert len(examples) > 20
    placeholders = 0
    for caption, element in examples:
        if element.get("h", "0").isdigit():
            obj = decode(element)
            assert canonical(element) == canonical_bytes(encode(obj)), caption
            continue
        # 'some-sequence-number' stands for a number: refused as the unsignedInt it is.
        placeholders += 1
        with pytest.raises(ParseError, match="not an integer"):
            decode(element)
    assert placeholders == 6
