"""The compiled encoder and decoder: what they settle once per class and place (the
namespace, the start tag, the children written in the parent's own code, looked-up
texts, objects built through a mutable twin) gives the same bytes, objects and errors
wherever an element is put."""

from __future__ import annotations

import copy
import dataclasses
import enum
import pickle

import pytest
from lxml import etree

from xepcodec.datatypes.jid import JID
from xepcodec.errors import SerializeError
from xepcodec.model import (
    XmlFragment,
    attr,
    children,
    decode,
    element,
    encode,
    extensions,
    text_child,
    text_children,
    xmlns,
)
from xepcodec.model.values import Integer

NS = "urn:xepcodec:test:encoder"
OTHER = "urn:xepcodec:test:encoder:other"


class Mood(enum.StrEnum):
    CALM = "calm"
    LOUD = "a<b"  # a member whose text needs escaping


@element((NS, OTHER), "pebble")
class Pebble:
    """Declared in two namespaces and recording none: it takes its parent's."""

    size: int | None = attr(default=None, value=Integer(minimum=0, maximum=2000))
    mood: Mood | None = attr(default=None)


@element((NS, OTHER), "stone")
class Stone:
    """Declared in two namespaces, recording the one it was read in."""

    namespace: str | None = xmlns(None)
    owner: JID | None = attr(default=None)


@element(NS, "heap")
class Heap:
    pebbles: tuple[Pebble, ...] = children(Pebble)
    stones: tuple[Stone, ...] = children(Stone)
    count: int | None = text_child("count", default=None, value=Integer(minimum=-5))
    moods: tuple[Mood, ...] = text_children("mood")
    more: tuple[object, ...] = extensions()


@element(OTHER, "pile")
class Pile:
    pebbles: tuple[Pebble, ...] = children(Pebble)
    more: tuple[object, ...] = extensions()


def test_a_child_takes_the_namespace_of_each_place() -> None:
    pebble = Pebble(size=3)
    assert encode(Heap(pebbles=(pebble,))) == (
        f'<heap xmlns="{NS}"><pebble size="3"/></heap>'.encode())
    assert encode(Pile(pebbles=(pebble,))) == (
        f'<pile xmlns="{OTHER}"><pebble size="3"/></pile>'.encode())
    assert encode(pebble) == f'<pebble xmlns="{NS}" size="3"/>'.encode()
    assert encode(pebble, parent_namespace=OTHER) == b'<pebble size="3"/>'


def test_a_recorded_namespace_is_declared_where_the_place_differs() -> None:
    stone = Stone(namespace=OTHER)
    written = encode(Heap(stones=(stone, Stone())))
    assert written == (f'<heap xmlns="{NS}"><stone xmlns="{OTHER}"/><stone/></heap>'.encode())
    assert encode(stone) == f'<stone xmlns="{OTHER}"/>'.encode()
    assert decode(etree.fromstring(encode(stone))) == stone


def test_looked_up_texts_are_the_texts_written_out() -> None:
    for size in (0, 1, 1023, 1024, 2000):
        assert encode(Pebble(size=size)) == f'<pebble xmlns="{NS}" size="{size}"/>'.encode()
    assert encode(Pebble(mood=Mood.LOUD)) == f'<pebble xmlns="{NS}" mood="a&lt;b"/>'.encode()
    for count in (-5, 0, 1023, 1024):
        assert encode(Heap(count=count)) == (
            f'<heap xmlns="{NS}"><count>{count}</count></heap>'.encode())
    assert encode(Heap(moods=(Mood.CALM, Mood.LOUD))) == (
        f'<heap xmlns="{NS}"><mood>calm</mood><mood>a&lt;b</mood></heap>'.encode())


def test_a_fragment_is_written_for_each_place_it_is_put() -> None:
    fragment = XmlFragment(f'<note xmlns="{NS}">hi</note>'.encode())
    # Written in one place, then another, then the first again: each time its
    # namespace is declared only where the place does not give it.
    assert encode(Heap(more=(fragment,))) == f'<heap xmlns="{NS}"><note>hi</note></heap>'.encode()
    assert encode(Pile(more=(fragment,))) == (
        f'<pile xmlns="{OTHER}"><note xmlns="{NS}">hi</note></pile>'.encode())
    assert encode(Heap(more=(fragment,))) == f'<heap xmlns="{NS}"><note>hi</note></heap>'.encode()


def test_a_copied_jid_is_written_as_the_one_it_copies() -> None:
    owner = JID.parse("Juliet@Capulet.example/Balcony 'east'")
    copied = pickle.loads(pickle.dumps(owner))
    expected = encode(Stone(owner=owner))
    assert b"&apos;east&apos;" in expected
    assert encode(Stone(owner=copied)) == expected
    assert encode(Stone(owner=copy.copy(owner))) == expected


def test_a_child_of_an_undeclared_class_is_refused_by_name() -> None:
    heap = Heap(pebbles=(Pebble(),))
    # Past the constructor, which would refuse it: the encoder still says what is wrong.
    object.__setattr__(heap, "pebbles", (Stone(),))
    with pytest.raises(SerializeError, match=r"'pebbles' holds Stone, not Pebble"):
        encode(heap)


def test_decoded_objects_are_frozen_instances_of_their_class() -> None:
    heap = decode(etree.fromstring(
        f'<heap xmlns="{NS}"><pebble size="7" mood="calm"/><count>2</count></heap>'.encode()))
    assert type(heap) is Heap and type(heap.pebbles[0]) is Pebble
    assert heap == Heap(pebbles=(Pebble(size=7, mood=Mood.CALM),), count=2)
    assert hash(heap) == hash(Heap(pebbles=(Pebble(size=7, mood=Mood.CALM),), count=2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        heap.count = 3  # type: ignore[misc]
