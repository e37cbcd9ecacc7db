"""The compiled decoder and the careful decoder build equal objects.

Every class has two decoders (``xepcodec/model/compiler.py``): the compiled one, which
handles valid input only, and the careful one (``Codec.explain``), which the compiled
one hands an element over to at its first surprise and which must then build the very
object the compiled one would have.  Valid input never reaches the careful decoder in
normal use, so this test runs it on purpose: on generated instances of every class it
decodes the serialized XML once through the compiled decoders at every level, once
through the careful ones at every level, and compares.

Both paths are observed rather than assumed: a profiler hook counts the calls of
``Codec.explain``, which must be none on the compiled path (else it would compare the
careful decoder with itself) and one per typed element on the careful path.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from payloads import library_classes

import xepcodec.testing  # noqa: F401 - registers the protocol strategies
from xepcodec.model import encode, is_element, walk
from xepcodec.model.codec import CHILD, CHILDREN, Codec, codec_of
from xepcodec.model.registry import registered
from xepcodec.testing.strategies import for_class

CLASSES = library_classes()
_EXPLAIN = Codec.explain.__code__


def _every_codec() -> list[Codec]:
    """The codec of every class a decode can reach: the registered ones and the
    classes their child fields name (which need not be registered)."""
    seen: dict[type, Codec] = {}
    pending = [cls for _, cls in registered()]
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        codec = seen[cls] = codec_of(cls)
        for handler in codec.children:
            if handler.kind in (CHILD, CHILDREN):
                pending.extend(handler.classes)
    return list(seen.values())


class _Calls:
    count = 0


@contextmanager
def _counting_careful_calls() -> Iterator[_Calls]:
    """Count the calls of ``Codec.explain`` however they are made: the compiled
    decoders hold it bound in their own scope, where no patch would reach."""
    calls = _Calls()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is _EXPLAIN:
            calls.count += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(previous)


@contextmanager
def _careful_everywhere() -> Iterator[None]:
    """Every codec decodes with its careful decoder, children and open slots included
    (they are decoded through ``codec.run``)."""
    codecs = _every_codec()
    kept = [(codec, codec.run) for codec in codecs]
    for codec in codecs:
        codec.run = codec.explain
    try:
        yield
    finally:
        for codec, run in kept:
            codec.run = run


def test_both_decoders_are_reached_from_every_codec() -> None:
    codecs = _every_codec()
    assert {codec.cls for codec in codecs} >= set(CLASSES)
    with _careful_everywhere():
        assert all(codec.run == codec.explain for codec in codecs)
    assert all(codec.run != codec.explain for codec in codecs)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
@settings(max_examples=30)
@given(data=st.data())
def test_the_compiled_and_the_careful_decoder_build_equal_objects(
        cls: type, data: st.DataObject) -> None:
    obj: Any = data.draw(for_class(cls))
    codec = codec_of(cls)
    written = encode(obj)
    typed = sum(1 for item in walk(obj) if is_element(item))

    tree = etree.fromstring(written)
    codec.run(tree)  # compiled on first use, outside the count
    tree = etree.fromstring(written)
    with _counting_careful_calls() as calls:
        compiled = codec.run(tree)
    assert calls.count == 0, f"the compiled decoder handed valid input over: {written!r}"

    tree = etree.fromstring(written)
    with _careful_everywhere(), _counting_careful_calls() as calls:
        careful = codec.run(tree)
    assert calls.count == typed

    assert careful == compiled
    assert compiled == obj
