"""xepcodec: sans-IO codecs, schemas and state machines for XMPP extension protocols.

The public surface::

    obj = xepcodec.parse(data)        # bytes | str | lxml element -> typed, frozen object
    data = xepcodec.serialize(obj)    # -> bytes (UTF-8, no XML declaration)
    rep = xepcodec.validate(data)     # -> ValidationReport (.ok, .errors); never raises
    reader = xepcodec.StreamReader()  # reader.feed(chunk) -> list of events

Protocol modules are importable by name (``xepcodec.protocols.disco``) and by number
(``xepcodec.xep(30)``).
"""

from xepcodec.api import parse, serialize
from xepcodec.errors import ParseError, ProtocolError, XepCodecError
from xepcodec.protocols import load_all, xep
from xepcodec.validation import ValidationReport, validate
from xepcodec.xml import StreamReader

__all__ = [
    "ParseError",
    "ProtocolError",
    "StreamReader",
    "ValidationReport",
    "XepCodecError",
    "parse",
    "serialize",
    "validate",
    "xep",
]

__version__ = "0.1.0"

load_all()  # every element class declared, so any payload parses typed
