"""Restricted XML reading (RFC 6120 §11), the incremental stream reader, the writer.

This package sits below the model and imports nothing of it: the stream reader and
writer are handed the decoder and the serializer.  :mod:`xepcodec.api` wires in the
model's (``xepcodec.StreamReader``, ``xepcodec.api.StreamWriter``).
"""

from xepcodec.xml.paths import STREAM_NS, XML_NS, path_of
from xepcodec.xml.reader import DEFAULT_LIMITS, Limits, parse_xml
from xepcodec.xml.stream import (
    BrokenStreamError,
    Decoder,
    Event,
    StanzaFailed,
    StanzaReceived,
    StreamClosed,
    StreamOpened,
    XmlStreamReader,
)
from xepcodec.xml.writer import (
    Serializer,
    XmlStreamWriter,
    escape_attribute,
    escape_text,
    stream_footer,
    stream_header,
)

__all__ = [
    "DEFAULT_LIMITS",
    "STREAM_NS",
    "XML_NS",
    "BrokenStreamError",
    "Decoder",
    "Event",
    "Limits",
    "Serializer",
    "StanzaFailed",
    "StanzaReceived",
    "StreamClosed",
    "StreamOpened",
    "XmlStreamReader",
    "XmlStreamWriter",
    "escape_attribute",
    "escape_text",
    "parse_xml",
    "path_of",
    "stream_footer",
    "stream_header",
]
