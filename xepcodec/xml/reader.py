"""Interim restricted-XML reader (being replaced by the full one)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from xepcodec.errors import ParseError


@dataclass(frozen=True)
class Limits:
    max_depth: int = 100


DEFAULT_LIMITS = Limits()
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse_xml(data: bytes | str, limits: Limits = DEFAULT_LIMITS) -> etree._Element:
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise ParseError(str(error), condition="not-well-formed") from None
