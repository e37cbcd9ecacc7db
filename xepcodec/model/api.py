"""Decode an lxml element into its declared class; encode a declared object to bytes."""

from __future__ import annotations

from typing import Any

from lxml import etree

from xepcodec.errors import ParseError
from xepcodec.model import registry
from xepcodec.model.codec import Runner, codec_of, encode_into, runner_for
from xepcodec.xml.paths import line_of, path_of

__all__ = ["decode", "encode"]


def decode(element: etree._Element) -> Any:
    """The typed object for ``element``; ParseError if no class is declared for it or if
    it breaks its protocol's rules."""
    tag = element.tag
    if not isinstance(tag, str):
        raise ParseError("comments and processing instructions are not allowed in XMPP",
                         condition="restricted-xml")
    known = registry.derived.get(tag)
    if isinstance(known, Runner):
        return known.run(element)
    cls = registry.lookup(tag)
    if cls is None:
        namespace = tag[1:].partition("}")[0] if tag.startswith("{") else "no namespace"
        local = tag.rpartition("}")[2]
        raise ParseError(f"no protocol is known for <{local}/> in {namespace}",
                         condition="feature-not-implemented", path=path_of(element),
                         line=line_of(element))
    codec = codec_of(cls)
    if codec.follows:
        return codec.run(element)  # its namespace depends on the place: see decode_child
    runner = registry.derived[tag] = runner_for(codec, tag)
    return runner.run(element)


def encode(obj: Any, *, parent_namespace: str | None = None) -> bytes:
    """UTF-8 XML for a declared object, without an XML declaration.

    ``parent_namespace`` is the default namespace the bytes will be placed in (a stream's
    ``jabber:client``, say), so that it is not declared again.
    """
    out: list[str] = []
    codec = type(obj).__dict__.get("__xml_codec__")
    if codec is not None:
        codec.write(obj, out, parent_namespace)
    else:
        encode_into(obj, out, parent_namespace)  # a raw fragment, or what is refused
    return "".join(out).encode("utf-8")
