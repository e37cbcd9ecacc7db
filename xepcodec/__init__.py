"""xepcodec: sans-IO codecs, schemas and state machines for XMPP extension protocols.

The public surface::

    obj = xepcodec.parse(data)        # bytes | str | lxml element -> typed, frozen object
    data = xepcodec.serialize(obj)    # -> bytes (UTF-8, no XML declaration)
    rep = xepcodec.validate(data)     # -> ValidationReport (.ok, .errors); never raises
    reader = xepcodec.StreamReader()  # reader.feed(chunk) -> list of events

Protocol modules are importable by name (``xepcodec.protocols.disco``) and by number
(``xepcodec.xep(30)``).  None is imported with ``xepcodec``: each is imported when its
namespace is first met (see :mod:`xepcodec.protocols`), and the names above are
imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from xepcodec.errors import ParseError, ProtocolError, XepCodecError
from xepcodec.protocols import xep

if TYPE_CHECKING:
    from xepcodec.api import StreamReader, parse, serialize
    from xepcodec.validation import ValidationReport, validate

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

# The module each name of the surface comes from, imported when the name is first used:
# the pytest plugin and the protocol modules live in this package, and loading them must
# not pay for the codec, the reader and the schemas.
_HOMES = {
    "parse": "xepcodec.api",
    "serialize": "xepcodec.api",
    "StreamReader": "xepcodec.api",
    "ValidationReport": "xepcodec.validation",
    "validate": "xepcodec.validation",
}

if not TYPE_CHECKING:  # type checkers see the imports above, and flag misspelt names

    def __getattr__(name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        globals()[name] = value  # found directly from now on
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_HOMES})
