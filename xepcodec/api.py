"""The entry points: bytes to typed objects and back."""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from xepcodec.model import decode, encode
from xepcodec.xml import Limits, parse_xml
from xepcodec.xml.reader import DEFAULT_LIMITS

__all__ = ["parse", "serialize"]


def parse(data: bytes | str | etree._Element, *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The typed, frozen object for one stanza or payload.

    Bytes and text are read as restricted XML (RFC 6120 §11.1) within ``limits``; an
    lxml element is copied and taken as it is.  Everything that cannot be accepted raises
    :class:`~xepcodec.errors.ParseError` with its RFC 6120 condition.
    """
    if isinstance(data, etree._Element):
        # The typed object may keep parts of the tree (unknown payloads): keep a private
        # copy, so that changing the caller's tree later cannot change the object.
        return decode(copy.deepcopy(data))
    return decode(parse_xml(data, limits))


def serialize(obj: Any) -> bytes:
    """UTF-8 XML for a typed object, without an XML declaration."""
    return encode(obj)
