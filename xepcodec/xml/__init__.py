"""Restricted XML reading (RFC 6120 §11), the incremental stream reader, the writer."""

from xepcodec.xml.paths import STREAM_NS, XML_NS, path_of
from xepcodec.xml.reader import DEFAULT_LIMITS, Limits, parse_xml
from xepcodec.xml.stream import (
    Decoder,
    Event,
    StanzaFailed,
    StanzaReceived,
    StreamClosed,
    StreamOpened,
    StreamReader,
)
from xepcodec.xml.writer import (
    StreamWriter,
    escape_attribute,
    escape_text,
    stream_footer,
    stream_header,
)

__all__ = [
    "DEFAULT_LIMITS",
    "STREAM_NS",
    "XML_NS",
    "Decoder",
    "Event",
    "Limits",
    "StanzaFailed",
    "StanzaReceived",
    "StreamClosed",
    "StreamOpened",
    "StreamReader",
    "StreamWriter",
    "escape_attribute",
    "escape_text",
    "parse_xml",
    "path_of",
    "stream_footer",
    "stream_header",
]
