"""``model.walk`` visits every element of a typed tree once, in document order, and
``model.is_element`` tells typed elements apart."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from payloads import library_classes

import xepcodec.testing  # noqa: F401 - registers the protocol strategies
from xepcodec.core.stanzas import Iq, IqType, Message
from xepcodec.errors import ArgumentTypeError
from xepcodec.model import XmlFragment, encode, is_element, walk
from xepcodec.model.codec import FLAG, TEXT_CHILD, TEXT_CHILDREN, codec_of
from xepcodec.protocols.disco import Feature, Identity, InfoQuery
from xepcodec.protocols.evil import Evil
from xepcodec.testing.strategies import for_class

CLASSES = library_classes()


def _elements_in(tree: etree._Element) -> int:
    return sum(1 for _ in tree.iter(etree.Element))


def _text_elements(obj: Any) -> int:
    """How many XML elements ``obj`` writes for its text children and flags, which are
    fields of ``obj`` rather than typed elements of their own."""
    count = 0
    for handler in codec_of(type(obj)).children:
        value = getattr(obj, handler.field)
        if handler.kind == TEXT_CHILDREN:
            count += len(value)
        elif handler.kind == TEXT_CHILD:
            count += value is not None
        elif handler.kind == FLAG:
            count += bool(value)
    return count


def _local_name(item: Any) -> str:
    if isinstance(item, XmlFragment):
        return item.name
    codec = codec_of(type(item))
    if codec.local_name is None:
        return codec.name
    return codec._local_name_of(item)


def _is_subsequence(wanted: list[str], within: list[str]) -> bool:
    rest = iter(within)
    return all(any(name == seen for seen in rest) for name in wanted)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
@settings(max_examples=25)
@given(data=st.data())
def test_walk_visits_every_written_element_once_in_document_order(
        cls: type, data: st.DataObject) -> None:
    obj: Any = data.draw(for_class(cls))
    visited = list(walk(obj))
    assert visited[0] is obj
    tree = etree.fromstring(encode(obj))
    # Every element the XML holds is a visited typed element, a text child or flag of
    # one, or inside a visited fragment: a missed or repeated element breaks the sum.
    counted = sum(_elements_in(item.element()) if isinstance(item, XmlFragment)
                  else 1 + _text_elements(item) for item in visited)
    assert counted == _elements_in(tree)
    names = [etree.QName(node).localname for node in tree.iter(etree.Element)]
    assert _is_subsequence([_local_name(item) for item in visited], names)
    assert all(is_element(item) != isinstance(item, XmlFragment) for item in visited)


def test_walk_yields_the_root_then_children_in_document_order() -> None:
    raw = XmlFragment(b"<a xmlns='urn:a'><evil xmlns='http://jabber.org/protocol/evil'/></a>")
    query = InfoQuery(identities=(Identity(category="client", type="pc"),),
                      features=(Feature(var="urn:x"), Feature(var="urn:y")),
                      extensions=(raw,))
    iq = Iq(type=IqType.RESULT, id="1", extensions=(query,))
    assert list(walk(iq)) == [iq, query, *query.identities, *query.features, raw]


def test_walk_does_not_descend_into_fragments() -> None:
    raw = XmlFragment(b"<a xmlns='urn:a'><evil xmlns='http://jabber.org/protocol/evil'/></a>")
    assert list(walk(raw)) == [raw]
    assert not any(isinstance(item, Evil) for item in walk(Message(extensions=(raw,))))


def test_an_element_held_twice_is_visited_twice() -> None:
    evil = Evil()
    message = Message(extensions=(evil, evil))
    assert list(walk(message)) == [message, evil, evil]


def test_walk_is_not_limited_by_the_recursion_limit() -> None:
    deep: Any = Evil()
    for _ in range(2500):
        deep = Message(extensions=(InfoQuery(extensions=(deep,)),))
    assert sum(1 for _ in walk(deep)) == 5001


@pytest.mark.parametrize("value", [None, "text", b"<a/>", (Evil(),), Evil, 3])
def test_walk_refuses_what_is_not_an_element(value: object) -> None:
    with pytest.raises(ArgumentTypeError, match="walk visits a typed element"):
        walk(value)


def test_is_element() -> None:
    assert is_element(Evil())
    assert is_element(Message())
    assert not is_element(Evil)
    assert not is_element(XmlFragment(b"<a/>"))
    assert not is_element(None)
    assert not is_element("<evil/>")
