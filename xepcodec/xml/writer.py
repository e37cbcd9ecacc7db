"""Writing an XMPP stream: the header, the stanzas, the footer.

Sans-IO like the reader: every call returns the bytes to send and sends nothing.
The bytes are UTF-8; what :class:`~xepcodec.xml.stream.XmlStreamReader` reads back from
them is what was written (the tests feed one into the other).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Final, Protocol

from lxml import etree

from xepcodec.errors import ProtocolError, SerializeError
from xepcodec.xml.paths import STREAM_NS

__all__ = [
    "ATTRIBUTE_ESCAPES",
    "TEXT_ESCAPES",
    "Serializer",
    "XmlStreamWriter",
    "escape_attribute",
    "escape_text",
    "is_ncname",
    "stream_footer",
    "stream_header",
]


class Serializer(Protocol):
    """Turns a stanza object into its UTF-8 bytes, to be written inside a stream whose
    content namespace is *parent_namespace* (so the bytes need not declare it again)."""

    def __call__(self, stanza: Any, /, *, parent_namespace: str) -> bytes: ...


# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# In attribute values tab, newline and carriage return must be references, or the
# reader's attribute-value normalisation turns them into spaces; both quotes are
# escaped so the value is safe whichever quote surrounds it.
ATTRIBUTE_ESCAPES: Final = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;",
    "\t": "&#9;", "\n": "&#10;", "\r": "&#13;",
})
# In text a carriage return must be a reference or it reads back as a newline, and
# ">" is escaped so that "]]>" can never appear.
TEXT_ESCAPES: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
# XML 1.0 (fifth edition) §2.3 NameStartChar and NameChar, without the colon: an NCName.
_NAME_START: Final = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff"
    "\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
    "\U00010000-\U000effff"
)


@functools.cache
def _ncname() -> re.Pattern[str]:
    # Compiled on first use: these ranges cost more to compile than the rest of the
    # import, and most processes never write a name they were not given.
    return re.compile(
        f"[{_NAME_START}][{_NAME_START}\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040]*")


def is_ncname(name: object) -> bool:
    """Whether ``name`` is an XML NCName: a name an element or attribute can have
    without a prefix."""
    return isinstance(name, str) and _ncname().fullmatch(name) is not None


def _check_characters(value: str, what: str) -> None:
    bad = _NOT_XML.search(value)
    if bad is not None:
        raise SerializeError(f"{what} contains U+{ord(bad[0]):04X}, which XML 1.0 cannot carry")


# Most values need no escaping: one scan finds out, and only then is a copy made.
_ATTRIBUTE_SPECIAL: Final = re.compile("[&<>\"'\t\n\r]")
_TEXT_SPECIAL: Final = re.compile("[&<>\r]")


def escape_attribute(value: str) -> str:
    """*value* escaped for use inside a quoted attribute value (either quote)."""
    _check_characters(value, "an attribute value")
    return value.translate(ATTRIBUTE_ESCAPES) if _ATTRIBUTE_SPECIAL.search(value) else value


def escape_text(value: str) -> str:
    """*value* escaped for use as element text."""
    _check_characters(value, "a text")
    return value.translate(TEXT_ESCAPES) if _TEXT_SPECIAL.search(value) else value


def stream_header(*, to: str | None = None, from_: str | None = None, id: str | None = None,
                  version: str | None = "1.0", lang: str | None = None,
                  namespace: str = "jabber:client",
                  namespaces: Mapping[str, str] | None = None,
                  xml_declaration: bool = False) -> bytes:
    """The opening ``<stream:stream ...>`` tag (RFC 6120 §4.7).

    ``to``, ``from_`` and ``id`` are left out when None, as is ``version`` (for a
    pre-RFC peer) and ``xml:lang``.  *namespace* is the content namespace, declared as
    the default; *namespaces* maps further prefixes to namespaces declared on the
    stream element (server dialback's ``db``, say).  With *xml_declaration* the
    header is preceded by ``<?xml version='1.0'?>``.
    """
    parts = ["<?xml version='1.0'?>" if xml_declaration else "", "<stream:stream"]
    for name, value in (("from", from_), ("id", id), ("to", to), ("version", version),
                        ("xml:lang", lang)):
        if value is not None:
            parts.append(f" {name}='{escape_attribute(value)}'")
    parts.append(f" xmlns='{escape_attribute(namespace)}' xmlns:stream='{STREAM_NS}'")
    for prefix, uri in (namespaces or {}).items():
        if not is_ncname(prefix) or prefix in ("stream", "xml", "xmlns"):
            raise SerializeError(f"{prefix!r} cannot be declared as a namespace prefix on "
                                 "the stream element")
        parts.append(f" xmlns:{prefix}='{escape_attribute(uri)}'")
    parts.append(">")
    return "".join(parts).encode("utf-8")


def stream_footer() -> bytes:
    """The closing ``</stream:stream>`` tag."""
    return b"</stream:stream>"


class XmlStreamWriter:
    """Writes one stream: :meth:`open`, any number of :meth:`send`, then :meth:`close`.

    *serializer* turns a stanza object into bytes, told the stream's content namespace
    so that it is not declared again on every stanza; it is handed in because this
    package sits below the model (:class:`xepcodec.api.StreamWriter` is this writer with
    the model's encoder).  An lxml element is written as it is.  Calling :meth:`open`
    again restarts the stream (as after STARTTLS or SASL); sending before :meth:`open`
    or after :meth:`close` is a ProtocolError.
    """

    def __init__(self, serializer: Serializer) -> None:
        self._serializer = serializer
        self._namespace: str | None = None
        self._closed = False

    def open(self, *, to: str | None = None, from_: str | None = None, id: str | None = None,
             version: str | None = "1.0", lang: str | None = None,
             namespace: str = "jabber:client", namespaces: Mapping[str, str] | None = None,
             xml_declaration: bool = False) -> bytes:
        """The stream header; see :func:`stream_header`.  Called again, it opens the
        new stream of a restart (RFC 6120 §5.4.3.3 after STARTTLS, §6.4.6 after SASL):
        the old one is not closed, and what follows is sent in the new one."""
        if self._closed:
            raise ProtocolError("the stream is closed; open a new writer")
        header = stream_header(to=to, from_=from_, id=id, version=version, lang=lang,
                               namespace=namespace, namespaces=namespaces,
                               xml_declaration=xml_declaration)
        self._namespace = namespace
        return header

    def send(self, stanza: object) -> bytes:
        """The bytes of one stanza (or of any top-level element)."""
        if self._closed:
            raise ProtocolError("the stream is closed")
        if self._namespace is None:
            raise ProtocolError("the stream is not open yet: call open() first")
        if isinstance(stanza, etree._Element):
            return etree.tostring(stanza, encoding="utf-8")
        data = self._serializer(stanza, parent_namespace=self._namespace)
        if not isinstance(data, bytes):
            raise SerializeError(f"the serializer returned {type(data).__name__}, not bytes")
        return data

    def close(self) -> bytes:
        """The stream footer; the writer refuses everything after it."""
        if self._closed:
            raise ProtocolError("the stream is already closed")
        self._closed = True
        return stream_footer()
