"""The entry points: bytes to typed objects and back, and streams of them.

The XML layer below does not know the model; this is where the two meet: the stream
reader and writer here are those of :mod:`xepcodec.xml` with the model's decoder and
encoder handed in.
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from xepcodec.errors import ArgumentValueError
from xepcodec.lazy import LazyStanza, parse_lazy
from xepcodec.model import decode, encode
from xepcodec.xml import (
    DEFAULT_LIMITS,
    Decoder,
    Limits,
    Serializer,
    XmlStreamReader,
    XmlStreamWriter,
    parse_xml,
)

__all__ = ["StreamReader", "StreamWriter", "parse", "serialize"]


def parse(data: bytes | str | etree._Element, *, limits: Limits = DEFAULT_LIMITS,
          lazy: bool = False, validate: bool = False) -> Any:
    """The typed, frozen object for one stanza or payload.

    Bytes and text are read as restricted XML (RFC 6120 §11.1) within ``limits``; an
    lxml element is copied and taken as it is.  Everything that cannot be accepted raises
    :class:`~xepcodec.errors.ParseError` with its RFC 6120 condition.

    ``lazy=True`` is for routers: a message, presence or iq comes back as a
    :class:`~xepcodec.lazy.LazyStanza`, its addressing typed and checked now, its content
    decoded (and refused, with the same error) when first read; ``validate=True`` with it
    checks the content now and raises there instead (see :mod:`xepcodec.lazy`).
    """
    if validate and not lazy:
        raise ArgumentValueError("validate=True goes with lazy=True: the eager parse "
                                 "checks everything already")
    # The typed object may keep parts of a tree it is given (unknown payloads): it gets a
    # private copy, so that changing the caller's tree later cannot change the object.
    root = copy.deepcopy(data) if isinstance(data, etree._Element) else parse_xml(data, limits)
    if lazy:
        return parse_lazy(root, validate=validate)
    return decode(root)


def serialize(obj: Any) -> bytes:
    """UTF-8 XML for a typed object (a lazy stanza: its typed stanza's), without an XML
    declaration."""
    if type(obj) is LazyStanza:
        obj = obj.stanza
    return encode(obj)


class StreamReader(XmlStreamReader):
    """The sans-IO reader of one XMPP stream (see :mod:`xepcodec.xml.stream`), each
    stanza decoded to its typed object by :func:`xepcodec.model.decode` unless another
    *decoder* is given.  :meth:`~xepcodec.xml.stream.XmlStreamReader.restart` where
    RFC 6120 restarts the stream (after STARTTLS and SASL).  Bytes that break the
    stream raise :class:`~xepcodec.xml.stream.BrokenStreamError`, whose ``events``
    hold what arrived whole before them."""

    def __init__(self, decoder: Decoder = decode, *, limits: Limits = DEFAULT_LIMITS) -> None:
        super().__init__(decoder, limits=limits)


class StreamWriter(XmlStreamWriter):
    """The sans-IO writer of one XMPP stream (see :mod:`xepcodec.xml.writer`), each
    stanza written by :func:`xepcodec.model.encode` unless another *serializer* is
    given.  :meth:`~xepcodec.xml.writer.XmlStreamWriter.open` again restarts the
    stream."""

    def __init__(self, serializer: Serializer = encode) -> None:
        super().__init__(serializer)
