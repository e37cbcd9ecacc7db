"""Restricted XML reading (RFC 6120 §11), the incremental stream reader, the writer."""

from xepcodec.xml.paths import STREAM_NS, XML_NS, path_of
from xepcodec.xml.reader import DEFAULT_LIMITS, Limits, parse_xml

try:
    from xepcodec.xml.stream import StreamReader
except ImportError:  # interim, while the stream reader is written
    StreamReader = None  # type: ignore[assignment,misc]

__all__ = ["DEFAULT_LIMITS", "STREAM_NS", "XML_NS", "Limits", "StreamReader", "parse_xml", "path_of"]
