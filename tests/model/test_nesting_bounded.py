"""Nested bad input costs work in proportion to its size, whatever the nesting.

The compiled decoder hands an element to the careful one (``Codec.explain``) at its own
first surprise; a child's error is already precise and is passed up as it is.  If every
level handed a child's error over again, each level would decode its subtree twice:
2**depth decodes for a few hundred bytes.  These tests count the decodes (each call of a
compiled decoder and of the careful one is one visit of one node) through a profile
hook, for every way into the model, rather than timing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from decoder_calls import Visits, counting
from hypothesis import given, settings
from hypothesis import strategies as st

import xepcodec
from xepcodec.api import StreamReader
from xepcodec.errors import ParseError
from xepcodec.model import decode, encode
from xepcodec.model.registry import registered
from xepcodec.testing.strategies import for_class
from xepcodec.validation.explain import explain_element
from xepcodec.xml import parse_xml, stream_header

DEPTHS = (5, 10, 20, 40)
# Each node is decoded at most by its parent's fast pass and once more by the careful
# pass of the element that failed, plus that element's own careful pass.
PER_NODE = 3


@dataclass(frozen=True)
class Shape:
    """Elements nested ``depth`` deep inside an outer one: ``outer`` and ``inner``
    opening tags (the closing tags are derived)."""

    name: str
    outer: str
    inner: str

    def document(self, depth: int) -> str:
        def closing(tag: str) -> str:
            return f"</{tag[1:].split()[0].rstrip('>')}>"

        return (self.outer + self.inner * depth + closing(self.inner) * depth
                + closing(self.outer))


SHAPES = [
    Shape("iq", "<iq xmlns='jabber:client' type='get' id='x'>", "<iq>"),
    Shape("field", "<x xmlns='jabber:x:data' type='form'>", "<field var='v'>"),
    Shape("query", "<query xmlns='http://jabber.org/protocol/disco#info'>", "<query>"),
    Shape("command", "<command xmlns='http://jabber.org/protocol/commands' node='n'>",
          "<command node='n'>"),
    Shape("error", "<error xmlns='jabber:client' type='cancel'>", "<error type='cancel'>"),
    Shape("archive to", "<to xmlns='urn:xmpp:archive' secs='1'>", "<to secs='1'>"),
]


def _refused_within_bound(call: Callable[[], Any], nodes: int) -> Visits:
    with counting() as visits:
        call()
    assert visits.careful <= PER_NODE, visits
    assert visits.total <= PER_NODE * nodes, (visits, nodes)
    return visits


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.name)
def test_parse_visits_each_node_a_bounded_number_of_times(shape: Shape, depth: int) -> None:
    data = shape.document(depth)

    def parse() -> None:
        with pytest.raises(ParseError):
            xepcodec.parse(data)

    _refused_within_bound(parse, depth + 1)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.name)
def test_the_error_names_the_deepest_fault_as_before(shape: Shape) -> None:
    # The error a deep input gets is the one its faulty element gets alone, placed.
    with pytest.raises(ParseError) as caught:
        xepcodec.parse(shape.document(12))
    assert caught.value.path is not None
    assert caught.value.path.count("/") >= 12
    assert caught.value.line == 1


def test_validate_visits_each_node_a_bounded_number_of_times() -> None:
    shape = SHAPES[0]
    xepcodec.validate(shape.document(1))  # load the schemas outside the count
    for depth in DEPTHS:
        data = shape.document(depth)

        def validate(data: str = data) -> None:
            assert not xepcodec.validate(data).ok

        _refused_within_bound(validate, depth + 1)


def test_stream_reader_visits_each_node_a_bounded_number_of_times() -> None:
    for shape in SHAPES[:1]:
        for depth in DEPTHS:
            data = stream_header() + shape.document(depth).encode()

            def read(data: bytes = data) -> None:
                events = StreamReader().feed(data)
                assert type(events[-1]).__name__ == "StanzaFailed", events

            _refused_within_bound(read, depth + 1)


def test_explain_visits_each_node_a_bounded_number_of_times() -> None:
    shape = SHAPES[0]
    for depth in DEPTHS:
        tree = parse_xml(shape.document(depth))

        def explain(tree: Any = tree) -> None:
            with pytest.raises(ParseError):
                explain_element(tree)

        _refused_within_bound(explain, depth + 1)


def test_valid_deep_input_is_decoded_once_per_node() -> None:
    # Nested valid payloads (a message carrying a message of the other stanza namespace,
    # carrying ...): no careful pass.
    depth = 30
    data = ("<message xmlns='jabber:client'><message xmlns='jabber:server'>" * (depth // 2)
            + "<body>hi</body>" + "</message>" * depth)
    with counting() as visits:
        xepcodec.parse(data)
    assert visits.careful == 0
    assert visits.fast == depth + 1  # the messages and the body


def _library_classes() -> list[type]:
    return list(dict.fromkeys(cls for _, cls in registered()
                              if cls.__module__.startswith("xepcodec.")))


@pytest.mark.parametrize("cls", _library_classes(),
                         ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
@settings(max_examples=10)
@given(data=st.data())
def test_valid_input_never_takes_the_careful_path(cls: type, data: st.DataObject) -> None:
    # The bound above rests on this: the careful decoder runs only for input that is
    # wrong, so it raises, and nothing above it decodes again.
    obj = data.draw(for_class(cls))
    tree = parse_xml(encode(obj))
    with counting() as visits:
        assert decode(tree) == obj
    assert visits.careful == 0
