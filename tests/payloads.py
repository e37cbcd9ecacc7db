"""Reading protocol payloads in the table tests: parse one element by itself, expect a
refusal, ask the catalog's schema, send an object through the wire; every class the
library declares."""

from __future__ import annotations

from typing import Any, TypeVar

import pytest
from lxml import etree

from xepcodec import parse, validate
from xepcodec.errors import ParseError
from xepcodec.model import decode, encode
from xepcodec.model.registry import registered


def typed(xml: str) -> Any:
    """The typed object for one element written out in a test (no stanza around it)."""
    return decode(etree.fromstring(xml.encode("utf-8")))


def rejects(xml: str, *words: str, condition: str = "bad-request") -> ParseError:
    """The ParseError ``xml`` gives, checked to carry ``condition`` and, in its message,
    each of ``words``."""
    with pytest.raises(ParseError) as caught:
        typed(xml)
    error = caught.value
    assert error.condition == condition, error
    for word in words:
        assert word in error.message, (word, error.message)
    return error


T = TypeVar("T")


def through_the_wire(obj: T) -> T:
    """``obj`` read back from its XML, after checking that validate accepts that XML, that
    parse gives ``obj`` again and that writing it again gives the same XML."""
    data = encode(obj)
    report = validate(data)
    assert report.ok, report.errors
    back = parse(data)
    assert back == obj
    assert encode(back) == data
    return back  # type: ignore[no-any-return]


def schema_accepts(schema: etree.XMLSchema, xml: str | bytes) -> bool:
    """Whether ``schema`` accepts ``xml``."""
    data = xml.encode() if isinstance(xml, str) else xml
    return bool(schema.validate(etree.fromstring(data)))


def library_classes() -> list[type]:
    """Every element class xepcodec declares, once each (a class may have several tags)."""
    seen: dict[type, None] = {}
    for _, cls in registered():
        if cls.__module__.startswith("xepcodec."):
            seen[cls] = None
    return list(seen)
