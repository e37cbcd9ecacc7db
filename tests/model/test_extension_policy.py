"""The declared extension policy, ``extensions(foreign_only=True)``: an open slot that
holds elements of other namespaces only, refused alike by the constructor, the
compiled decoder and the careful decoder."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from lxml import etree

from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import XmlFragment, attr, element, extensions, xmlns
from xepcodec.model.codec import EXTENSIONS, codec_of
from xepcodec.model.fields import SPEC, ExtensionsSpec
from xepcodec.protocols.archive import Entry
from xepcodec.protocols.commands import Command
from xepcodec.protocols.dataforms import Field, Form
from xepcodec.protocols.disco import InfoQuery, Item, ItemsQuery

NS = "urn:example:policy"
OTHER = "urn:example:policy:other"


@element((NS, OTHER), "box", register=False)
class Box:
    label: str | None = attr(default=None)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        if self.label == "refused":
            raise ValueError("the label 'refused' is refused")


@element(NS, "inner", register=False)
class Inner:
    pass


@element((NS, OTHER), "envelope", register=False)
class Envelope:
    """Declared in two namespaces, recording the one it is in, as stanzas do."""

    namespace: str = xmlns(NS)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)


@element((NS, OTHER), "follower", register=False)
class Follower:
    """Declared in two namespaces, taking its parent's (a stanza's <body/>)."""


@element(NS, "open", register=False)
class Open:
    extensions: tuple[Any, ...] = extensions()


def _fragment(xml: str) -> XmlFragment:
    return XmlFragment(xml.encode())


def _decode(xml: str) -> Any:
    """Decode with the compiled decoder and, separately, with the careful one, and
    check that both give the same object or the same error."""
    tree = etree.fromstring(xml.encode())
    codec = codec_of(Box)
    try:
        fast = codec.run(tree)
    except ParseError as error:
        with pytest.raises(ParseError) as careful:
            codec.explain(tree)
        assert (careful.value.message, careful.value.condition, careful.value.path) == (
            error.message, error.condition, error.path)
        raise
    assert codec.explain(tree) == fast
    return fast


def test_foreign_elements_are_kept() -> None:
    foreign = _fragment("<x xmlns='urn:elsewhere'/>")
    assert Box(extensions=(foreign,)).extensions == (foreign,)
    decoded = _decode(f"<box xmlns='{NS}'><x xmlns='urn:elsewhere'/></box>")
    assert decoded == Box(extensions=(foreign,))


@pytest.mark.parametrize(("item", "words"), [
    (f"<thing xmlns='{NS}'/>", ["<thing/>", f"of {NS}", "one of its own namespaces"]),
    (f"<thing xmlns='{OTHER}'/>", ["<thing/>", f"of {OTHER}", "one of its own namespaces"]),
    ("<thing xmlns=''/>", ["<thing/>", "in no namespace", "has no namespace"]),
])
def test_the_owners_namespaces_and_no_namespace_are_refused(item: str, words: list[str]) -> None:
    with pytest.raises(ArgumentValueError) as made:
        Box(extensions=(_fragment(item),))
    assert str(made.value).startswith("Box: <box/> does not allow the child")
    for word in [*words, "only elements of other namespaces"]:
        assert word in str(made.value)


@pytest.mark.parametrize(("item", "words"), [
    (f"<thing xmlns='{NS}'/>", ["<thing/>", f"of {NS}", "one of its own namespaces"]),
    ("<thing xmlns=''/>", ["<thing/>", "in no namespace", "has no namespace"]),
])
def test_decoding_refuses_them_naming_the_owner(item: str, words: list[str]) -> None:
    with pytest.raises(ParseError) as read:
        _decode(f"<box xmlns='{NS}'>{item}</box>")
    assert read.value.condition == "bad-request"
    assert read.value.path == "/box"
    for word in [*words, "only elements of other namespaces"]:
        assert word in read.value.message


def test_an_undeclared_name_of_a_declared_namespace_is_refused_before_the_policy() -> None:
    # Reading, an element of a namespace some class is declared in, under a name none
    # declares, is refused where it stands, before the owner is built.
    with pytest.raises(ParseError) as read:
        _decode(f"<box xmlns='{NS}'><thing xmlns='{OTHER}'/></box>")
    assert (read.value.condition, read.value.path) == ("bad-request", "/box/thing")


def test_an_owner_that_records_its_namespace_owns_that_one_only() -> None:
    other = _fragment(f"<thing xmlns='{OTHER}'/>")
    assert Envelope(extensions=(other,)).extensions == (other,)
    assert Envelope(extensions=(Envelope(namespace=OTHER),)).extensions[0].namespace == OTHER
    for refused in (_fragment(f"<thing xmlns='{NS}'/>"), Follower(), Envelope()):
        with pytest.raises(ArgumentValueError, match=f"of {NS}, an element of its own "
                                                      "namespace: only elements of other"):
            Envelope(extensions=(refused,))
    with pytest.raises(ArgumentValueError, match=f"of {OTHER}, an element of its own"):
        Envelope(namespace=OTHER, extensions=(other,))


def test_a_typed_element_of_the_owners_namespace_is_refused() -> None:
    with pytest.raises(ArgumentValueError, match="child <inner/> of urn:example:policy"):
        Box(extensions=(Inner(),))


def test_dataclasses_replace_is_checked_too() -> None:
    box = Box()
    with pytest.raises(ArgumentValueError, match="its own namespaces"):
        dataclasses.replace(box, extensions=(_fragment(f"<a xmlns='{NS}'/>"),))


def test_the_class_rules_run_first() -> None:
    own = _fragment(f"<a xmlns='{NS}'/>")
    with pytest.raises(ArgumentValueError, match="'refused' is refused"):
        Box(label="refused", extensions=(own,))
    with pytest.raises(ParseError, match="'refused' is refused"):
        _decode(f"<box xmlns='{NS}' label='refused'><a/></box>")


def test_without_the_policy_the_slot_takes_any_element() -> None:
    own = _fragment(f"<a xmlns='{NS}'/>")
    bare = _fragment("<a/>")
    assert Open(extensions=(own, bare)).extensions == (own, bare)


def _policy(cls: type) -> bool:
    codec = codec_of(cls)
    slot = next(handler for handler in codec.children if handler.kind == EXTENSIONS)
    spec = next(field for field in dataclasses.fields(cls)
                if field.name == slot.field).metadata[SPEC]
    assert isinstance(spec, ExtensionsSpec)
    return spec.foreign_only


@pytest.mark.parametrize("cls", [InfoQuery, Item, ItemsQuery, Field, Form, Entry, Command])
def test_the_protocols_declare_the_policy(cls: type) -> None:
    assert _policy(cls)
    assert codec_of(cls).foreign_only
