"""Elements that hold nothing take whitespace, in the schema as in the model.

The model reads whitespace as nothing in an element with no text and no children (as
it does around any element's children), so ``parse`` accepts ``<ping> </ping>``.  The
schemas say the same of every such element (the ``Blank`` content of
common-types.xsd), so that ``validate`` gives the same verdict.  This holds for every
class the library declares with neither text nor children, and for every flag child
(an empty element a class reads as a boolean), including those added later.

Error conditions are the exception, in both: their text is an address (gone,
redirect, see-other-host), so whitespace in any other condition is text both refuse.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from lxml import etree
from payloads import library_classes

import xepcodec
import xepcodec.testing  # registers the protocol strategies
from xepcodec.errors import ParseError, XepCodecError
from xepcodec.model import codec as machinery
from xepcodec.model import encode
from xepcodec.testing.strategies import for_class
from xepcodec.validation import default_catalog


def _holds_nothing(cls: type) -> bool:
    codec = machinery.codec_of(cls)
    return codec.text is None and not codec.children and codec.extensions is None


EMPTY = [cls for cls in library_classes() if _holds_nothing(cls)]
FLAGS = [(cls, handler.field, handler.name)
         for cls in library_classes()
         for handler in machinery.codec_of(cls).children if handler.kind == machinery.FLAG]

# What goes inside: XML's whitespace characters, alone and as an indented line.
BLANKS = [" ", "\t", "\r\n", "\n    ", "\n  \t \n"]


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0]


def _one_verdict_accepts(tree: etree._Element, obj: Any) -> None:
    written = etree.tostring(tree)
    assert xepcodec.parse(written) == obj
    report = xepcodec.validate(written)
    assert report.ok, f"{written!r}: {report}"


def test_some_classes_and_flags_hold_nothing() -> None:
    # ping, the negotiation answers, the disco features, the stream management acks...
    assert len(EMPTY) > 20
    # data forms' required, the command actions, the negotiation flags...
    assert len(FLAGS) > 5


@pytest.mark.parametrize("cls", EMPTY, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
@settings(max_examples=10)
@given(data=st.data(), blank=st.sampled_from(BLANKS))
def test_whitespace_in_an_element_that_holds_nothing(cls: type, data: st.DataObject,
                                                     blank: str) -> None:
    obj: Any = data.draw(for_class(cls))
    tree = etree.fromstring(encode(obj))
    assert _namespace(tree.tag) in default_catalog().namespaces, tree.tag
    tree.text = blank
    _one_verdict_accepts(tree, obj)


@pytest.mark.parametrize(("cls", "field", "name"), FLAGS,
                         ids=[f"{cls.__name__}.{field}" for cls, field, _ in FLAGS])
@settings(max_examples=10)
@given(data=st.data(), blank=st.sampled_from(BLANKS))
def test_whitespace_in_a_flag(cls: type, field: str, name: str, data: st.DataObject,
                              blank: str) -> None:
    drawn: Any = data.draw(for_class(cls))
    try:
        obj = dataclasses.replace(drawn, **{field: True})
    except XepCodecError:
        reject()  # the flag excludes something drawn (sm: required or optional)
    tree = etree.fromstring(encode(obj))
    flags = tree.findall(f"{{{_namespace(tree.tag)}}}{name}")
    assert len(flags) == 1, etree.tostring(tree)
    flags[0].text = blank
    _one_verdict_accepts(tree, obj)


@pytest.mark.parametrize("xml", [
    "<error xmlns='jabber:client' type='cancel'>"
    "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>{}</item-not-found>"
    "</error>",
    "<failed xmlns='urn:xmpp:sm:3'>"
    "<unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>{}"
    "</unexpected-request></failed>",
    "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>"
    "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'>{}</conflict></stream:error>",
])
@pytest.mark.parametrize("blank", BLANKS)
def test_whitespace_in_an_error_condition_is_refused_by_both(xml: str, blank: str) -> None:
    written = xml.format(blank)
    with pytest.raises(ParseError):
        xepcodec.parse(written)
    assert not xepcodec.validate(written).ok
    assert xepcodec.validate(xml.format("")).ok


@pytest.mark.parametrize("space", ["\u00a0", "\u2003", "\u3000"])
@pytest.mark.parametrize("xml", [
    "<ping xmlns='urn:xmpp:ping'>{}</ping>",
    "<query xmlns='http://jabber.org/protocol/disco#info'><feature var='a'/>{}</query>",
], ids=["empty element", "between children"])
def test_a_space_xml_does_not_call_whitespace_is_refused_by_both(xml: str, space: str) -> None:
    written = xml.format(space)
    assert not xepcodec.validate(written).ok
    with pytest.raises(ParseError):
        xepcodec.parse(written)
    assert xepcodec.parse(xml.format(" \t\r\n")) is not None
