"""Every element class the library declares: generated objects serialize to XML the
shipped schema accepts, and parse back equal.

This is the one round-trip property for every class (protocol test files add the
properties particular to their protocol), so no declared class is left without it,
including classes added later.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from payloads import library_classes

import xepcodec
import xepcodec.testing  # noqa: F401 - registers the protocol strategies
from xepcodec.model import decode, encode
from xepcodec.testing.strategies import for_class
from xepcodec.validation import default_catalog

CLASSES = library_classes()


def test_the_library_declares_classes() -> None:
    assert len(CLASSES) > 25


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
@settings(max_examples=60)
@given(data=st.data())
def test_round_trip_through_the_schema(cls: type, data: st.DataObject) -> None:
    obj: Any = data.draw(for_class(cls))
    written = encode(obj)
    tree = etree.fromstring(written)
    catalog = default_catalog()
    if tree.tag[1:].partition("}")[0] in catalog.namespaces:
        schema = catalog.libxml2()
        assert schema.validate(tree), f"{written!r}: {schema.error_log}"
    assert decode(tree) == obj
