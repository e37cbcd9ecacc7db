"""The element machinery, on classes declared here for the purpose."""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from lxml import etree

from xepcodec.core.namespaces import XML_LANG
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError, SerializeError
from xepcodec.model import (
    ANY_NAME,
    XmlFragment,
    attr,
    child,
    children,
    decode,
    element,
    encode,
    extensions,
    flag,
    local_name,
    lookup,
    text,
    text_child,
    text_children,
    xmlns,
)
from xepcodec.model.values import Integer, String
from xepcodec.testing.strategies import for_class

NS = "urn:xepcodec:test:model"
OTHER = "urn:xepcodec:test:other"


class Colour(enum.StrEnum):
    RED = "red"
    GREEN = "green"


@element(NS, "leaf")
class Leaf:
    name: str = attr()
    count: int | None = attr(default=None)
    on: bool | None = attr(default=None)
    at: datetime | None = attr(default=None)
    who: JID | None = attr(default=None)
    colour: Colour | None = attr(default=None)
    lang: str | None = attr(XML_LANG, default=None)
    words: str = text(default="")


@element(NS, "tree")
class Tree:
    id: str = attr(value=String(min_length=1))
    title: str | None = text_child("title", default=None)
    notes: tuple[str, ...] = text_children("note")
    size: int | None = text_child("size", default=None, value=Integer(minimum=0))
    urgent: bool = flag("urgent")
    first: Leaf | None = child(Leaf, default=None)


@element(NS, "forest")
class Forest:
    leaves: tuple[Leaf, ...] = children(Leaf)
    more: tuple[object, ...] = extensions()


@element((NS, OTHER), "shared")
class Shared:
    namespace: str = xmlns(NS)
    value: str = attr()


@element(NS, ("alpha", "beta"))
class Named:
    which: str = local_name()


@element(OTHER, ANY_NAME)
class Anything:
    name: str = local_name()
    value: str = text(default="")


@element(OTHER, "bag")
class Bag:
    label: str | None = text_child("label", default=None)
    things: tuple[Anything, ...] = children(Anything)


def xml(body: str) -> etree._Element:
    return etree.fromstring(body.encode())


def test_a_field_without_a_mapping_is_refused_at_declaration() -> None:
    with pytest.raises(TypeError, match="does not say how it maps"):

        @element(NS, "broken")
        class Broken:
            plain: int = 3


def test_every_attribute_kind_reads_and_writes() -> None:
    source = (f'<leaf xmlns="{NS}" name="n" count="-7" on="1" at="2020-02-02T10:00:00.250+02:00"'
              ' who="Juliet@Capulet.lit/Balcony" colour="green" xml:lang="en">hi &amp; bye</leaf>')
    leaf = decode(xml(source))
    assert leaf == Leaf(name="n", count=-7, on=True,
                        at=datetime(2020, 2, 2, 10, 0, 0, 250000,
                                    tzinfo=timezone(timedelta(hours=2))),
                        who=JID.parse("juliet@capulet.lit/Balcony"), colour=Colour.GREEN,
                        lang="en", words="hi & bye")
    written = encode(leaf)
    assert b'on="true"' in written  # booleans are written in their canonical form
    assert b'at="2020-02-02T10:00:00.250+02:00"' in written
    assert decode(etree.fromstring(written)) == leaf


@pytest.mark.parametrize(("attribute", "value", "words"), [
    ("count", "seven", "integer"),
    ("on", "yes", "boolean"),
    ("at", "2020-02-02T10:00:00", "XEP-0082"),
    ("colour", "blue", "red, green"),
])
def test_bad_attribute_values_name_the_attribute(attribute: str, value: str, words: str) -> None:
    with pytest.raises(ParseError) as caught:
        decode(xml(f'<leaf xmlns="{NS}" name="n" {attribute}="{value}"/>'))
    assert caught.value.condition == "bad-request"
    assert caught.value.path == f"/leaf/@{attribute}"
    assert words in caught.value.message


def test_a_malformed_jid_attribute_is_jid_malformed_with_its_path() -> None:
    with pytest.raises(ParseError) as caught:
        decode(xml(f'<leaf xmlns="{NS}" name="n" who="a@@b"/>'))
    assert caught.value.condition == "jid-malformed"
    assert caught.value.path == "/leaf/@who"


def test_unknown_and_missing_attributes_are_errors() -> None:
    with pytest.raises(ParseError, match="no attribute 'extra'"):
        decode(xml(f'<leaf xmlns="{NS}" name="n" extra="1"/>'))
    with pytest.raises(ParseError, match="required attribute 'name'") as caught:
        decode(xml(f'<forest xmlns="{NS}"><leaf/></forest>'))
    assert caught.value.path == "/forest/leaf"
    assert caught.value.line == 1


def test_text_children_flags_and_children() -> None:
    source = (f'<tree xmlns="{NS}" id="t"><title>T</title><note>a</note><note></note>'
              '<size>3</size><urgent/><leaf name="x"/></tree>')
    tree = decode(xml(source))
    assert tree.title == "T"
    assert tree.notes == ("a", "")
    assert tree.size == 3
    assert tree.urgent is True
    assert tree.first == Leaf(name="x")
    assert encode(tree) == (f'<tree xmlns="{NS}" id="t"><title>T</title><note>a</note><note/>'
                            '<size>3</size><urgent/><leaf name="x"/></tree>').encode()


@pytest.mark.parametrize(("body", "message"), [
    ("<title>a</title><title>b</title>", "only one <title/>"),
    ("<leaf name='a'/><leaf name='b'/>", "only one <leaf/>"),
    ("<urgent>now</urgent>", "must be empty"),
    ("<size>-1</size>", "below the minimum"),
    ("<title a='1'>x</title>", "text only"),
    ("<other/>", "does not allow the child <other/>"),
    ("stray", "holds no text"),
    ("<urgent/>stray", "no text between"),
])
def test_closed_content_is_enforced(body: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        decode(xml(f'<tree xmlns="{NS}" id="t">{body}</tree>'))
    assert caught.value.condition == "bad-request"
    assert caught.value.path is not None and caught.value.path.startswith("/tree")


def test_extensions_keep_unknown_xml_unchanged_and_in_order() -> None:
    source = (f'<forest xmlns="{NS}"><x:one xmlns:x="urn:a" k="v"><deep>1</deep></x:one>'
              f'<leaf name="kept"/><two xmlns="urn:b"/><shared value="typed"/></forest>')
    forest = decode(xml(source))
    assert forest.leaves == (Leaf(name="kept"),)
    first, second, third = forest.more
    assert isinstance(first, XmlFragment) and first.tag == "{urn:a}one"
    assert isinstance(second, XmlFragment) and second.name == "two"
    assert third == Shared(namespace=NS, value="typed")  # a registered class comes out typed
    # The fragment carries the declarations it needs: <deep/> inherited the forest's.
    assert first.element()[0].tag == f"{{{NS}}}deep"
    again = encode(forest)
    assert again.index(b"<one") < again.index(b"<two") < again.index(b"<shared")
    assert decode(etree.fromstring(again)) == forest


def test_a_fragment_in_no_namespace_keeps_no_namespace() -> None:
    forest = decode(xml(f'<forest xmlns="{NS}"><bare xmlns=""/></forest>'))
    assert forest.more[0].tag == "bare"
    assert b'<bare xmlns=""' in encode(forest)
    assert decode(etree.fromstring(encode(forest))) == forest


def test_an_element_in_several_namespaces_remembers_which() -> None:
    other = decode(xml(f'<shared xmlns="{OTHER}" value="v"/>'))
    assert other.namespace == OTHER
    assert encode(other) == f'<shared xmlns="{OTHER}" value="v"/>'.encode()
    assert lookup(f"{{{OTHER}}}shared") is Shared


def test_an_element_under_several_names_remembers_which() -> None:
    assert decode(xml(f'<beta xmlns="{NS}"/>')) == Named(which="beta")
    assert encode(Named(which="alpha")) == f'<alpha xmlns="{NS}"/>'.encode()
    with pytest.raises(ArgumentValueError, match="gamma"):
        Named(which="gamma")


def test_an_element_under_several_names_is_blamed_by_the_name_it_came_with() -> None:
    with pytest.raises(ParseError, match=r"^<beta/> holds no text") as text:
        decode(xml(f'<beta xmlns="{NS}">words</beta>'))
    assert text.value.path == "/beta"
    with pytest.raises(ParseError, match=r"^<beta/> has no attribute 'colour'"):
        decode(xml(f'<beta xmlns="{NS}" colour="red"/>'))


def test_values_are_frozen_hashable_and_replaceable() -> None:
    leaf = Leaf(name="a", count=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        leaf.name = "b"  # type: ignore[misc]
    assert hash(leaf) == hash(Leaf(name="a", count=1))
    assert {leaf, Leaf(name="a", count=1)} == {leaf}
    assert dataclasses.replace(leaf, count=2).count == 2


def test_serialization_escapes_what_must_be_escaped() -> None:
    leaf = Leaf(name='quote " tab\t nl\n amp & lt <', words="a < b & c > d\r")
    written = encode(leaf)
    assert b"&quot;" in written and b"&#9;" in written and b"&#10;" in written
    assert b"&#13;" in written
    assert decode(etree.fromstring(written)) == leaf


def test_unwritable_values_are_serialize_errors() -> None:
    # Which characters XML can carry is the writer's check; wrong types and naive
    # datetimes are refused earlier, by the constructor (test_constructors.py).
    with pytest.raises(SerializeError, match="Leaf"):
        encode(Leaf(name="nul\x00"))


def test_a_comment_inside_a_tree_is_restricted_xml() -> None:
    with pytest.raises(ParseError) as caught:
        decode(xml(f'<forest xmlns="{NS}"><!-- no --></forest>'))
    assert caught.value.condition == "restricted-xml"


def test_an_unknown_root_is_feature_not_implemented() -> None:
    with pytest.raises(ParseError) as caught:
        decode(xml('<nothing xmlns="urn:nobody"/>'))
    assert caught.value.condition == "feature-not-implemented"


@given(for_class(Leaf))
def test_leaves_round_trip(leaf: Leaf) -> None:
    assert decode(etree.fromstring(encode(leaf))) == leaf


@given(for_class(Forest))
def test_forests_round_trip(forest: Forest) -> None:
    assert decode(etree.fromstring(encode(forest))) == forest


def test_utc_is_written_as_z() -> None:
    assert b'at="2021-05-06T07:08:09Z"' in encode(
        Leaf(name="x", at=datetime(2021, 5, 6, 7, 8, 9, tzinfo=UTC)))


def test_fragments_compare_by_information_not_spelling() -> None:
    import xepcodec

    spelled = [
        b"<message xmlns='jabber:client'><f:x xmlns:f='urn:f' b='2' a='1'><inner/></f:x></message>",
        b"<c:message xmlns:c='jabber:client'><x xmlns='urn:f' a='1' b='2'>"
        b"<c:inner/></x></c:message>",
    ]
    first, second = (xepcodec.parse(data) for data in spelled)
    assert first == second and hash(first) == hash(second)
    reader = xepcodec.StreamReader()
    events = reader.feed(b"<stream:stream xmlns='jabber:client' "
                         b"xmlns:stream='http://etherx.jabber.org/streams'><message>"
                         + spelled[0].partition(b">")[2])
    assert events[-1].stanza == first  # read from a stream, detached: still equal
    different = xepcodec.parse(spelled[0].replace(b"a='1'", b"a='9'"))
    assert different != first


def test_a_class_for_any_name_takes_what_exact_names_leave() -> None:
    bag = decode(xml(f'<bag xmlns="{OTHER}"><label>L</label><flavour>mint</flavour>'
                     '<size.x_y-z>2</size.x_y-z></bag>'))
    assert bag.label == "L"
    assert bag.things == (Anything(name="flavour", value="mint"),
                          Anything(name="size.x_y-z", value="2"))
    assert decode(etree.fromstring(encode(bag))) == bag
    assert lookup(f"{{{OTHER}}}flavour") is None  # reached through its container only
    with pytest.raises(ParseError, match="does not allow"):
        decode(xml(f'<bag xmlns="{OTHER}"><x xmlns="urn:elsewhere"/></bag>'))


@pytest.mark.parametrize("name", ["1st", "with space", "colon:name", ""])
def test_a_name_that_is_not_an_ncname_cannot_be_written(name: str) -> None:
    with pytest.raises(ArgumentValueError, match="NCName"):
        Anything(name=name)


@given(for_class(Bag))
def test_bags_round_trip(bag: Bag) -> None:
    assert decode(etree.fromstring(encode(bag))) == bag
