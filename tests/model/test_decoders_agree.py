"""The compiled decoder and the careful decoder build equal objects.

Every class has two decoders (``xepcodec/model/compiler.py``): the compiled one, which
handles valid input only, and the careful one (``Codec.explain``), which the compiled
one hands an element over to at its first surprise and which must then build the very
object the compiled one would have.  Valid input never reaches the careful decoder in
normal use, so this test runs it on purpose: on generated instances of every class it
decodes the serialized XML once through the compiled decoders at every level, once
through the careful ones at every level, and compares.

Both paths are observed rather than assumed: a profile hook counts the calls of each
decoder, and each path must have decoded every typed element with its own decoder and
none with the other (else it would compare the careful decoder with itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from decoder_calls import counting
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


@contextmanager
def _careful_everywhere() -> Iterator[None]:
    """Every codec decodes with its careful decoder, children and open slots included
    (they are decoded through ``codec.run`` or the codec's runners)."""
    codecs = _every_codec()
    kept = [(codec, codec.run) for codec in codecs]
    # A parent's compiled decoder calls a child's decoder for the namespace it matched.
    runners = [(runner, runner.run) for codec in codecs for runner in codec.runners.values()]
    for codec in codecs:
        codec.run = codec.explain
    for runner, _ in runners:
        runner.run = runner.codec.explain
    try:
        yield
    finally:
        for codec, run in kept:
            codec.run = run
        for runner, run in runners:
            runner.run = run


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
    with counting() as visits:
        compiled = codec.run(tree)
    assert (visits.fast, visits.careful) == (typed, 0), \
        f"the compiled decoders handed valid input over: {written!r}"

    tree = etree.fromstring(written)
    with _careful_everywhere(), counting() as visits:
        careful = codec.run(tree)
    assert (visits.fast, visits.careful) == (0, typed)

    assert careful == compiled
    assert compiled == obj
