"""Binary XMPP (XEP-0239): every bit of the XMPP bytes as an element of its own.

XEP-0239 is an April-first joke, implemented here exactly and safely.  Each byte of the
traditional XML is written as eight elements, most significant bit first: ``<zero/>``
for a 0 bit and ``<one/>`` for a 1 bit.  ``<presence/>`` begins with ``<`` (0x3C, bits
00111100), so its encoding begins ``<zero/><zero/><one/><one/><one/><one/><zero/><zero/>``.
There is no wrapper element and no stream header around the sequence: the elements
follow one another from the first byte of the connection on.  The schema puts the two
elements in ``urn:xmpp:bxmpp``, while the XEP's examples write them bare, in no
namespace; xepcodec writes them bare by default (byte for byte what the examples show)
and reads both spellings.

What is here:

* :class:`Zero` and :class:`One`, the two elements as declared classes (written in
  ``urn:xmpp:bxmpp``), and :func:`to_elements` / :func:`from_elements` between bytes and
  tuples of them;
* :func:`encode_bytes` / :func:`decode_bytes` between any bytes and the element
  sequence, and :func:`encode_stanza` / :func:`decode_stanza` for one stanza;
* :class:`BinaryDecoder`, a sans-IO incremental decoder: feed it the XML as it arrives
  and get back the original bytes (:class:`BytesDecoded`) and, once they make complete
  stanzas, the typed stanzas, as :class:`~xepcodec.StreamReader` events.

What the decoded bytes are (:class:`Framing`).  The XEP's example session carries a
whole XMPP stream in binary, stream header included, so by default the decoder reads the
decoded bytes as one XMPP stream (``Framing.STREAM``).  ``Framing.STANZAS`` reads them
as bare top-level stanzas with no stream header (what :func:`encode_stanza` writes), in
the content namespace given; ``Framing.BYTES`` only decodes bytes and reads nothing
into them.

Anything in the XML but ``<zero/>``, ``<one/>`` and whitespace between them is refused
with a :class:`~xepcodec.errors.ParseError` (stream level: the bits after it cannot be
trusted): another element or namespace (``unsupported-stanza-type``), an attribute, a
child element or text (``bad-format``), a comment, a processing instruction, a DTD or
an XML declaration (``restricted-xml`` or ``not-well-formed``).  The encoding is
canonical on the way out (no whitespace, no declarations); on the way in, the usual
XML spellings of the same element (``<zero />``, ``<zero></zero>``, a prefix bound to
``urn:xmpp:bxmpp``, whitespace or character references between elements) are read too.

Size.  The encoding takes about 52 bytes of XML per byte of XMPP.  The XEP claims zlib
brings it under 2% of the original size; ``python -m benchmarks.binary_zlib`` measures
it, and ``docs/binary-xmpp.md`` reports what it found.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Final, NoReturn

from lxml import etree

from xepcodec.core.namespaces import CLIENT
from xepcodec.errors import ParseError, ProtocolError
from xepcodec.model import decode, element, encode
from xepcodec.xml.paths import line_of, local_name
from xepcodec.xml.reader import (
    DEFAULT_LIMITS,
    PARSER_OPTIONS,
    Limits,
    markup_problem,
    parse_xml,
    syntax_error,
)
from xepcodec.xml.stream import (
    BrokenStreamError,
    Decoder,
    StanzaFailed,
    StanzaReceived,
    StreamClosed,
    StreamOpened,
    XmlStreamReader,
)
from xepcodec.xml.writer import stream_header

__all__ = [
    "NS_BXMPP",
    "BinaryDecoder",
    "BinaryEvent",
    "BytesDecoded",
    "Framing",
    "One",
    "Zero",
    "decode_bytes",
    "decode_stanza",
    "encode_bytes",
    "encode_stanza",
    "from_elements",
    "to_elements",
]

#: The namespace the XEP's schema gives ``<zero/>`` and ``<one/>``.
NS_BXMPP: Final = "urn:xmpp:bxmpp"


@element(NS_BXMPP, "zero")
class Zero:
    """A 0 bit: an empty element with no attributes."""

    bit: ClassVar[int] = 0


@element(NS_BXMPP, "one")
class One:
    """A 1 bit: an empty element with no attributes."""

    bit: ClassVar[int] = 1


_ZERO: Final = Zero()
_ONE: Final = One()

# ---------------------------------------------------------------------------------------
# Encoding: one table lookup per byte


def _table(zero: bytes, one: bytes) -> tuple[bytes, ...]:
    """The eight elements of every byte value, most significant bit first."""
    return tuple(b"".join(one if value >> shift & 1 else zero for shift in range(7, -1, -1))
                 for value in range(256))


_BARE_ZERO: Final = b"<zero/>"
_BARE_ONE: Final = b"<one/>"
_QUALIFIED_ZERO: Final = b'<zero xmlns="' + NS_BXMPP.encode() + b'"/>'
_QUALIFIED_ONE: Final = b'<one xmlns="' + NS_BXMPP.encode() + b'"/>'
_BARE: Final = _table(_BARE_ZERO, _BARE_ONE)
_QUALIFIED: Final = _table(_QUALIFIED_ZERO, _QUALIFIED_ONE)


def encode_bytes(data: bytes | bytearray | memoryview, *, namespaced: bool = False) -> bytes:
    """The Binary XMPP element sequence for ``data``: eight elements per byte, most
    significant bit first, nothing between them.

    By default the elements are written bare (``<zero/>``), as in the XEP's examples;
    ``namespaced=True`` writes each one with ``xmlns="urn:xmpp:bxmpp"``, which the
    XEP's schema validates, at about five times the size.
    """
    table = _QUALIFIED if namespaced else _BARE
    return b"".join(map(table.__getitem__, data))


def encode_stanza(obj: object, *, namespaced: bool = False) -> bytes:
    """A declared object (a stanza, usually) serialized, then encoded as Binary XMPP."""
    return encode_bytes(encode(obj), namespaced=namespaced)


def to_elements(data: bytes | bytearray | memoryview) -> tuple[Zero | One, ...]:
    """The element objects for ``data``, most significant bit of each byte first."""
    return tuple(_ONE if value >> shift & 1 else _ZERO
                 for value in data for shift in range(7, -1, -1))


def from_elements(elements: Iterable[Zero | One]) -> bytes:
    """The bytes a sequence of :class:`Zero` and :class:`One` stands for.

    Raises ValueError for anything else in the sequence, or when the number of elements
    is not a multiple of eight.
    """
    digits = bytearray()
    for position, item in enumerate(elements, 1):
        if not isinstance(item, Zero | One):
            raise ValueError(f"item {position} is a {type(item).__name__}, not a Zero or One")
        digits.append(0x30 + item.bit)
    if len(digits) % 8:
        raise ValueError(f"{len(digits)} bits are not a whole number of bytes "
                         f"({len(digits) % 8} left over)")
    return _bytes_of(bytes(digits))


def _bytes_of(digits: bytes) -> bytes:
    """Bytes from ASCII '0'/'1' digits, eight per byte; the count is a multiple of 8."""
    if not digits:
        return b""
    return int(digits, 2).to_bytes(len(digits) // 8, "big")


# ---------------------------------------------------------------------------------------
# Decoding, fast path: the canonical spellings, recognised by plain byte replacement

_XML_SPACE: Final = b" \t\r\n"
# Longest first does not matter for correctness (no token contains another), but the
# qualified spellings are only looked for when "xmlns" occurs at all.
_QUALIFIED_TOKENS: Final = (
    (_QUALIFIED_ZERO, b"0"),
    (_QUALIFIED_ONE, b"1"),
    (_QUALIFIED_ZERO.replace(b'"', b"'"), b"0"),
    (_QUALIFIED_ONE.replace(b'"', b"'"), b"1"),
)
_FAST_TOKENS: Final = (_BARE_ZERO, _BARE_ONE, *(token for token, _ in _QUALIFIED_TOKENS))
_LONGEST_TOKEN: Final = max(map(len, _FAST_TOKENS))
_CANONICAL: Final = re.compile(
    rb"(?:[ \t\r\n]*(?:" + b"|".join(re.escape(token) for token in _FAST_TOKENS) + rb"))*")


def _fast_digits(body: bytes) -> bytes | None:
    """'0'/'1' digits for ``body`` if it is made only of canonical tokens and XML
    whitespace; None if anything else is in it.

    Each replacement consumes a token the input really contains (no token contains a
    digit, so a digit written by one replacement never becomes part of another match),
    and digits already in the input send it to the slow path; so whatever is left
    besides digits and whitespace is something that is not a token.
    """
    if b"0" in body or b"1" in body:
        return None
    if b"xmlns" in body:
        for token, digit in _QUALIFIED_TOKENS:
            body = body.replace(token, digit)
    digits = body.replace(_BARE_ZERO, b"0").replace(_BARE_ONE, b"1").translate(None, _XML_SPACE)
    if digits.translate(None, b"01"):
        return None
    return digits


def _is_token_prefix(data: bytes) -> bool:
    return any(token.startswith(data) for token in _FAST_TOKENS)


# ---------------------------------------------------------------------------------------
# The incremental decoder


class Framing(enum.StrEnum):
    """What the decoded bytes are, for :class:`BinaryDecoder`."""

    #: A whole XMPP stream, stream header first (as in the XEP's example session).
    STREAM = "stream"
    #: Top-level stanzas with no stream header, in the decoder's ``namespace``.
    STANZAS = "stanzas"
    #: Just bytes: nothing is parsed out of them.
    BYTES = "bytes"


@dataclass(frozen=True, slots=True)
class BytesDecoded:
    """Original bytes, decoded from the elements of one :meth:`BinaryDecoder.feed`."""

    data: bytes


#: What :meth:`BinaryDecoder.feed` returns: decoded bytes first, then what the stream
#: reader made of them.
BinaryEvent = BytesDecoded | StreamOpened | StanzaReceived | StanzaFailed | StreamClosed

#: The invented element the slow path parses the sequence inside; never seen outside.
_WRAPPER: Final = b"<binary-xmpp-sequence>"
_WRAPPER_END: Final = b"</binary-xmpp-sequence>"
#: The slow path hands libxml2 at most this many bytes at a time, so that a refused
#: element is noticed before much more is parsed.
_SLICE: Final = 16 * 1024
#: Bytes allowed between two ">" in the slow path: no element of the sequence needs
#: more, and it bounds what libxml2 may buffer for one tag or one run of whitespace.
_MAX_GAP: Final = 4096
#: The digit of each name the two elements may have.
_DIGITS: Final = {"zero": 0x30, "one": 0x31, f"{{{NS_BXMPP}}}zero": 0x30,
                  f"{{{NS_BXMPP}}}one": 0x31}
#: Whether the tree holds an attribute, a nested element or text other than whitespace
#: (names are checked as each start tag arrives).  Cheap: a few per cent of the parse.
_SUSPECT: Final = ("*/@* or */* or text()[normalize-space()] or */text()[normalize-space()]")
#: The first node that is not an empty, attribute-free <zero/> or <one/>, or whitespace.
#: Ten times dearer than _SUSPECT, so only run once something is wrong.
_PROBLEM: Final = ("(*[not(self::zero or self::one or self::b:zero or self::b:one) or @* or *]"
                   " | text()[normalize-space()] | */text()[normalize-space()])[1]")


class BinaryDecoder:
    """Sans-IO decoder of a Binary XMPP sequence: XML bytes in, events out.

    ::

        decoder = BinaryDecoder(framing=Framing.STANZAS)
        for event in decoder.feed(chunk):       # chunk: whatever the socket gave
            match event:
                case BytesDecoded(data=data): ...        # the original bytes
                case StanzaReceived(stanza=stanza): ...  # a complete, typed stanza
                case StanzaFailed(error=error): ...      # answer with a stanza error

    The XML may be split anywhere, inside a tag or between the bits of a byte.  Each
    :meth:`feed` returns one :class:`BytesDecoded` with the bytes its elements
    completed (none if they completed no byte), followed by the events of a
    :class:`~xepcodec.StreamReader` reading those bytes: ``StreamOpened`` and
    ``StreamClosed`` with ``Framing.STREAM``, ``StanzaReceived`` and ``StanzaFailed``
    with both stream and stanza framing.  ``stanza_decoder`` and ``limits`` are
    passed to that reader.

    Errors work as in the stream reader: a fault in the sequence or in the decoded
    bytes ends the sequence, and :meth:`feed` and :meth:`close` raise
    :class:`~xepcodec.xml.stream.BrokenStreamError` (a
    :class:`~xepcodec.errors.ParseError`), which every later call raises again.  Its
    ``events`` are the events of the call that raised completed before the fault, in
    order: a :class:`BytesDecoded` with the bytes of the elements before it, then the
    stream reader's events for those bytes.  However the input was split, the stream
    reader's events handed over (returned, then carried by the error) and the error are
    the same, and with a fault in the sequence so are the bytes; with a fault in the
    decoded bytes, whose byte offset libxml2 does not report, the last
    :class:`BytesDecoded` holds all the bytes the call decoded.  Errors in the decoded
    bytes say so in their message; their path and line are those of the decoded XML.
    :meth:`close` says the input has ended and checks it did not end inside an element
    or between the bits of a byte.

    The canonical spellings (``<zero/>``, ``<one/>``, each with or without
    ``xmlns="urn:xmpp:bxmpp"``, whitespace between) are decoded by byte replacement;
    the first other spelling switches the decoder, for the rest of the input, to a
    restricted-XML parser that reads any spelling and says precisely what is wrong.
    """

    def __init__(self, *, framing: Framing = Framing.STREAM, namespace: str = CLIENT,
                 stanza_decoder: Decoder = decode,
                 limits: Limits = DEFAULT_LIMITS) -> None:
        self._framing = Framing(framing)
        self._reader: XmlStreamReader | None = None
        if self._framing is not Framing.BYTES:
            self._reader = XmlStreamReader(stanza_decoder, limits=limits)
            if self._framing is Framing.STANZAS:
                header = stream_header(namespace=namespace, version=None)
                self._reader.feed(header)  # its StreamOpened is not the peer's
        self._digits = b""  # bits read but not yet a whole byte
        self._bits = 0  # elements read so far
        self._carry = b""  # fast path: an incomplete token at the end of the last chunk
        self._newlines = 0  # fast path: line breaks consumed, for slow-path line numbers
        self._slow: _SlowPath | None = None
        self._salvaged = b""  # after _read raised: the digits read before the fault
        self._error: ParseError | None = None
        self._closed = False

    @property
    def framing(self) -> Framing:
        return self._framing

    @property
    def bits(self) -> int:
        """How many ``<zero/>`` and ``<one/>`` elements have been read."""
        return self._bits

    @property
    def pending_bits(self) -> int:
        """Bits read that do not make a whole byte yet (0 to 7)."""
        return len(self._digits)

    def feed(self, data: bytes) -> list[BinaryEvent]:
        """Take the next bytes of the XML; return the events they complete."""
        if self._error is not None:
            raise self._error
        if self._closed:
            raise ProtocolError("the decoder was closed; it takes no more input")
        events: list[BinaryEvent] = []
        try:
            try:
                digits = self._read(bytes(data))
            except ParseError:
                # The elements before the fault still make bytes, and stanzas; a fault
                # in those comes first, as it would had the input been split before.
                self._deliver(self._salvaged, events)
                raise
            self._deliver(digits, events)
        except ParseError as error:
            raise self._broken(error, events) from error
        return events

    def close(self) -> list[BinaryEvent]:
        """Say the input has ended; return any last events.

        Raises ParseError if the input ended inside an element or with bits left over
        that do not make a whole byte, and, with ``Framing.STANZAS``, inside a stanza.
        With ``Framing.STREAM`` an XMPP stream that was never closed is not an error
        here: whether ``StreamClosed`` arrived tells the caller.
        """
        if self._error is not None:
            raise self._error
        if self._closed:
            return []
        self._closed = True
        events: list[BinaryEvent] = []
        try:
            if self._slow is not None:
                self._slow.finish()
            elif self._carry:
                tag = self._carry.decode("utf-8", "replace")
                raise ParseError(f"the input ends inside a tag ({tag!r}, {_after(self._bits)})",
                                 condition="not-well-formed", stream=True)
            if self._digits:
                left = len(self._digits)
                raise ParseError(f"the sequence ends after {self._bits} bits, which is not a "
                                 f"whole number of bytes ({left} bit{'s' if left > 1 else ''} "
                                 "left over)",
                                 condition="bad-format", stream=True)
            if self._framing is Framing.STANZAS:
                self._inner(b"</stream:stream>", events, closing=True)
            return events
        except ParseError as error:
            raise self._broken(error, events) from error

    def _broken(self, error: ParseError, events: list[BinaryEvent]) -> BrokenStreamError:
        """Fail the decoder with *error*, carrying the *events* completed before it."""
        # BrokenStreamError types its events as the stream reader's; the decoder's
        # own BytesDecoded are among them here, as its documentation says.
        self._error = BrokenStreamError(error.message, condition=error.condition,
                                        path=error.path, line=error.line,
                                        events=tuple(events))  # type: ignore[arg-type]
        return self._error

    # -- the element sequence to digits ------------------------------------------------

    def _read(self, data: bytes) -> bytes:
        """Digits for the elements ``data`` completes.  On a ParseError,
        ``self._salvaged`` holds the digits of the elements before the fault."""
        self._salvaged = b""
        if self._slow is not None:
            return self._slow_feed(b"", data)
        buf = self._carry + data if self._carry else data
        end = buf.rfind(b">") + 1
        body = buf[:end]
        tail = buf[end:].lstrip(_XML_SPACE)
        digits = _fast_digits(body) if body else b""
        if digits is None:
            # Something other than a canonical token: decode what comes before it
            # here, and everything from it on in the slow path.
            match = _CANONICAL.match(body)
            stop = match.end() if match else 0
            digits = _fast_digits(body[:stop])
            assert digits is not None  # the regular expression only matched tokens
            self._newlines += body.count(b"\n", 0, stop)
            self._carry = b""
            self._slow = _SlowPath(bits=self._bits + len(digits), newlines=self._newlines)
            return self._slow_feed(digits, buf[stop:])
        self._newlines += buf.count(b"\n", 0, len(buf) - len(tail))
        if tail and (len(tail) >= _LONGEST_TOKEN or not _is_token_prefix(tail)):
            self._carry = b""
            self._slow = _SlowPath(bits=self._bits + len(digits), newlines=self._newlines)
            return self._slow_feed(digits, tail)
        self._carry = tail
        return digits

    def _slow_feed(self, before: bytes, data: bytes) -> bytes:
        """``before`` (digits this call already read) and the slow path's digits."""
        assert self._slow is not None
        try:
            return before + self._slow.feed(data)
        except ParseError:
            self._salvaged = before + self._slow.salvaged
            raise

    # -- digits to bytes to events -----------------------------------------------------

    def _deliver(self, digits: bytes, events: list[BinaryEvent]) -> None:
        """Append to ``events`` what ``digits`` complete: the bytes, then the stream
        reader's events for them (those before a fault too, before it is raised)."""
        self._bits += len(digits)
        if self._digits:
            digits = self._digits + digits
        whole = len(digits) - len(digits) % 8
        self._digits = digits[whole:]
        if not whole:
            return
        decoded = _bytes_of(digits[:whole])
        events.append(BytesDecoded(decoded))
        self._inner(decoded, events)

    def _inner(self, data: bytes, events: list[BinaryEvent], *, closing: bool = False) -> None:
        reader = self._reader
        if reader is None:
            return
        fault: ParseError | None = None
        try:
            read = reader.feed(data)
        except BrokenStreamError as broken:
            where = "at the end of the decoded stanzas" if closing else "in the decoded bytes"
            read = list(broken.events)
            fault = ParseError(f"{where}: {broken.message}", condition=broken.condition,
                               path=broken.path, line=broken.line, stream=True)
            fault.__cause__ = broken
        if self._framing is Framing.STANZAS:
            closed = next((n for n, e in enumerate(read) if isinstance(e, StreamClosed)), None)
            if closed is not None and not closing:
                events.extend(read[:closed])
                raise ParseError("the decoded bytes close a stream, but they are read as bare "
                                 "stanzas (Framing.STANZAS), which have no stream to close",
                                 condition="bad-format", stream=True)
            read = [e for e in read if not isinstance(e, StreamClosed)]
        events.extend(read)
        if fault is not None:
            raise fault


class _SlowPath:
    """The element sequence read by libxml2 under the restricted-XML options, inside an
    invented wrapper element (the sequence itself has no root).

    Each start tag gives a digit; after each slice one XPath expression finds the first
    thing in the tree that is not an empty, attribute-free ``<zero/>`` or ``<one/>`` or
    whitespace, and the elements checked are dropped, so memory stays flat.  (Reading
    through libxml2 costs about twenty times the fast path: some ten milliseconds per
    kilobyte decoded.)
    """

    def __init__(self, *, bits: int, newlines: int) -> None:
        self._parser = etree.XMLPullParser(events=("start", "comment", "pi"), **PARSER_OPTIONS)
        self._parser.feed(_WRAPPER)
        root: etree._Element | None = None
        for _, node in self._parser.read_events():
            root = node  # type: ignore[assignment]
        assert root is not None
        self._root: etree._Element = root
        self._suspect = etree.XPath(_SUSPECT)
        self._problem = etree.XPath(_PROBLEM, namespaces={"b": NS_BXMPP})
        self._count = bits  # elements read, by the fast path before this one too
        self._dropped = bits  # elements before the root's first child
        self._line_offset = newlines  # lines before this path began
        self._since_gt = 0
        self._held = b""  # a "<" or "&" at the end of a chunk, for the guard to judge
        self._open_tag = False  # whether a "<" came after the last ">"
        self._read = bytearray()  # digits read in this call to feed, in order
        # Elements that began before the fault, when a fault says so; None: all read.
        self._good: int | None = None
        #: After feed raised: the digits of this call's elements before the fault.
        self.salvaged = b""

    def feed(self, data: bytes) -> bytes:
        """Digits for the elements ``data`` completes.  On a ParseError,
        :attr:`salvaged` holds those of the elements before the fault."""
        start = self._count
        self._read = bytearray()
        try:
            for offset in range(0, len(data), _SLICE):
                self._slice(data[offset : offset + _SLICE])
        except ParseError:
            self.salvaged = self._before_fault(start)
            raise
        return bytes(self._read)

    def _before_fault(self, start: int) -> bytes:
        """The digits of the elements after the first ``start`` and before the fault.

        The elements read give their digits; a syntax error may come after elements
        libxml2 put in the tree whose events were not read yet: their names give them.
        """
        read = start + len(self._read)
        good = read if self._good is None else self._good
        digits = bytes(self._read[: max(0, good - start)])
        for ordinal in range(read + 1, good + 1):
            digits += bytes((_DIGITS[self._root[ordinal - self._dropped - 1].tag],))
        return digits

    def finish(self) -> None:
        """The input has ended: the wrapper is closed, which fails if an element is
        still open or a tag is incomplete."""
        if self._held:
            self._slice(b"", final=True)
        self._parse(_WRAPPER_END, ending=True)
        self._settle(final=True)

    def _slice(self, chunk: bytes, *, final: bool = False) -> None:
        safe, markup = self._guard(chunk, final=final)
        last = safe.rfind(b">")
        self._since_gt = self._since_gt + len(safe) if last < 0 else len(safe) - last - 1
        opened = safe.rfind(b"<")
        if opened > last:
            self._open_tag = True
        elif last >= 0:
            self._open_tag = False
        # What comes before forbidden markup is read first, so that an earlier problem
        # is reported first, however the input was split.
        self._parse(safe)
        self._settle()
        if markup is not None:
            raise self._markup_error(markup)
        if self._since_gt > _MAX_GAP:
            raise ParseError(f"more than {_MAX_GAP} bytes without the end of a tag "
                             f"{_after(self._count)}; the elements of Binary XMPP are a few "
                             "bytes long", condition="policy-violation", stream=True)

    def _guard(self, chunk: bytes, *, final: bool) -> tuple[bytes, bytes | None]:
        """Split off markup that must not reach libxml2 (comments, processing
        instructions, DTDs, CDATA sections, entity references): none of it belongs in a
        sequence of two empty elements.  Returns the bytes that may be parsed and the
        forbidden markup, if any, from its first byte on.  Character references pass:
        they may stand for whitespace, and other characters are refused as text."""
        buf = self._held + chunk if self._held else chunk
        self._held = b""
        if buf.endswith(b"<") and not final:
            self._held = b"<"
            buf = buf[:-1]
        found = [pos for pos in (buf.find(b"<!"), buf.find(b"<?")) if pos >= 0]
        reference = _NAMED_REFERENCE.search(buf)
        if reference is not None:
            found.append(reference.start())
        if not found:
            return buf, None
        pos = min(found)
        if reference is not None and pos == reference.start():
            judged = reference[0].endswith(b";") or reference.end() < len(buf)
        else:
            judged = len(buf) - pos >= _JUDGED
        if not judged and not final:
            # Refused whatever follows, but the next bytes say with which condition:
            # "<!-" may become a comment or a DTD, "&am" a predefined entity or not.
            self._held = buf[pos:] + self._held
            return buf[:pos], None
        return buf[:pos], buf[pos:]

    def _markup_error(self, markup: bytes) -> ParseError:
        where = _after(self._count)
        if markup.startswith(b"&"):
            name = _NAMED_REFERENCE.match(markup)
            text = name[0].decode("utf-8", "replace") if name else "&"
            if text.rstrip(";") == "&":
                return ParseError(f"an '&' that starts no entity or character reference, "
                                  f"{where}", condition="not-well-formed", stream=True)
            if text[1:] in _PREDEFINED:
                return ParseError(f"entity reference {text} found {where}; it stands for text, "
                                  "and only <zero/>, <one/> and whitespace may appear",
                                  condition="bad-format", stream=True)
            return ParseError(f"entity reference {text} found {where}; XMPP allows only &amp; "
                              "&lt; &gt; &quot; &apos; and character references "
                              "(RFC 6120 §11.1)", condition="restricted-xml", stream=True)
        if _DECLARATION.match(markup):
            return ParseError(f"XML declaration found {where}; Binary XMPP is a bare sequence "
                              "of elements, with no document and so no declaration",
                              condition="not-well-formed", stream=True)
        problem = markup_problem(markup, 0)
        if problem is None:
            return ParseError(f"CDATA section found {where}; only <zero/>, <one/> and "
                              "whitespace between them may appear", condition="bad-format",
                              stream=True)
        condition, message = problem
        return ParseError(f"{message}, {where}", condition=condition, stream=True)

    def _parse(self, data: bytes, *, ending: bool = False) -> None:
        try:
            self._parser.feed(data)
            if ending:
                self._parser.close()
        except etree.XMLSyntaxError as error:
            self._check(force=True)  # a problem before the syntax error comes first
            # Every element in the tree began before the syntax error.
            self._good = self._dropped + len(self._root)
            placed = syntax_error(error, None)
            if ending and self._open_tag:
                message = "the input ends inside a tag"
            elif getattr(error, "code", 0) == _ERR_TAG_NAME_MISMATCH:
                message = ("the input ends inside an element" if ending else
                           "an end tag that closes no element of the sequence")
            else:
                # The column counts from where this path began, not from the start of
                # the line, so it is left out; the line is right.
                message = _COLUMN.sub("", placed.message).replace(_WRAPPER[1:-1].decode(),
                                                                  "(the sequence)")
                if ending:
                    message = f"at the end of the input: {message}"
            raise ParseError(f"{message}, {_after(self._count)}", condition=placed.condition,
                             stream=True, line=self._line(placed.line)) from None
        count = len(self._read)
        node: etree._Element
        for event, node in self._parser.read_events():  # type: ignore[assignment]
            digit = _DIGITS.get(node.tag) if event == "start" else None
            if digit is None:
                self._check(force=True)
                raise ParseError(f"{event} found {_after(self._count)}; only <zero/> and "
                                 "<one/> may appear", condition="restricted-xml", stream=True,
                                 line=self._line(line_of(node)))
            self._read.append(digit)
        self._count += len(self._read) - count

    def _settle(self, *, final: bool = False) -> None:
        """Refuse whatever is wrong in the tree; drop the elements that are done with."""
        root = self._root
        self._check()
        root.text = None
        # Every element but the last is complete, with the text after it.
        drop = len(root) - (0 if final else 1)
        if drop > 0:
            del root[:drop]
            self._dropped += drop

    def _check(self, *, force: bool = False) -> None:
        """Raise for the first problem in the tree, if there is one.

        A cheap test runs first unless ``force`` says something is surely wrong (an
        event that gave no digit, a syntax error), when the search runs at once.
        """
        if not force and not self._suspect(self._root):
            return
        found = self._problem(self._root)
        if not isinstance(found, list) or not found:
            return
        problem = found[0]
        if isinstance(problem, etree._Element):
            self._element_problem(problem)
        text = str(problem)
        parent = problem.getparent()  # type: ignore[union-attr]
        assert parent is not None
        if parent is self._root:
            # Text before the first element still in the tree.  (libxml2 records no
            # line for text, and the wrapper's would be wrong, so none is given.)
            self._good = self._dropped
            raise ParseError(f"text {_quote(text)} before element {self._dropped + 1}; only "
                             "whitespace may appear between <zero/> and <one/>",
                             condition="bad-format", stream=True)
        relation = "after" if problem.is_tail else "inside"  # type: ignore[union-attr]
        raise self._error(parent, "bad-format", f"text {_quote(text)} {relation} "
                          f"<{_name(parent)}/>; only whitespace may appear in or between "
                          "<zero/> and <one/>", began=True)

    def _element_problem(self, node: etree._Element) -> NoReturn:
        tag = node.tag
        if tag not in _DIGITS:
            namespace = tag[1:].partition("}")[0] if isinstance(tag, str) and \
                tag.startswith("{") else None
            what = f"in the namespace {namespace}" if namespace else "in no namespace"
            raise self._error(node, "unsupported-stanza-type",
                              f"<{_name(node)}/> {what}; Binary XMPP has only <zero/> and "
                              f"<one/> (bare or in {NS_BXMPP})")
        if len(node.attrib):
            name = str(next(iter(node.attrib)))
            raise self._error(node, "bad-format", f"attribute '{local_name(name)}' on "
                              f"<{_name(node)}/>; <zero/> and <one/> have no attributes",
                              attribute=name)
        raise self._error(node[0], "bad-format", f"an element inside <{_name(node)}/>; "
                          "<zero/> and <one/> are empty", began=True)

    def _error(self, node: etree._Element, condition: str, message: str, *,
               attribute: str | None = None, began: bool = False) -> ParseError:
        """The error for *node*; ``began`` says whether the element of the sequence it
        is in (or is) began before the fault: whether its start tag was whole."""
        steps = []
        current: etree._Element | None = node
        top = node
        while current is not None and current is not self._root:
            steps.append(_name(current))
            top = current
            current = current.getparent()
        path = "/" + "/".join(reversed(steps))
        if attribute is not None:
            path += "/@" + local_name(attribute)
        ordinal = self._dropped + self._root.index(top) + 1
        self._good = ordinal if began else ordinal - 1
        return ParseError(f"{message} (element {ordinal} of the sequence)", condition=condition,
                          stream=True, path=path, line=self._line(line_of(node)))

    def _line(self, line: int | None) -> int | None:
        return None if line is None else line + self._line_offset


_TEXT_SPACE: Final = " \t\r\n"
_NAMED_REFERENCE: Final = re.compile(rb"&(?!#)[^\s;<>&'\"]{0,40};?")
#: Bytes after a forbidden "<!", "<?" or "&" that are enough to name what it is.
_JUDGED: Final = 12
_PREDEFINED: Final = frozenset({"amp;", "lt;", "gt;", "quot;", "apos;"})
_DECLARATION: Final = re.compile(rb"<\?xml(?:[ \t\r\n?]|\Z)")
#: libxml2's XML_ERR_TAG_NAME_MISMATCH: an end tag that does not close the open element.
_ERR_TAG_NAME_MISMATCH: Final = 76
_COLUMN: Final = re.compile(r" \(column \d+\)")


def _after(count: int) -> str:
    if count == 0:
        return "before the first element"
    return f"after {count} element{'s' if count > 1 else ''}"


def _name(node: etree._Element | None) -> str:
    tag = node.tag if node is not None else None
    return local_name(tag) if isinstance(tag, str) else "?"


def _quote(text: str) -> str:
    stripped = text.strip(_TEXT_SPACE)
    return repr(stripped if len(stripped) <= 40 else stripped[:40] + "…")


# ---------------------------------------------------------------------------------------
# Whole sequences


def decode_bytes(xml: bytes) -> bytes:
    """The bytes a complete Binary XMPP sequence stands for.

    Raises ParseError for anything but ``<zero/>``, ``<one/>`` and whitespace, or when
    the number of elements is not a multiple of eight.
    """
    digits = _fast_digits(xml)
    if digits is not None and len(digits) % 8 == 0:
        return _bytes_of(digits)
    decoder = BinaryDecoder(framing=Framing.BYTES)
    events = [*decoder.feed(xml), *decoder.close()]
    return b"".join(event.data for event in events if isinstance(event, BytesDecoded))


def decode_stanza(xml: bytes, *, limits: Limits = DEFAULT_LIMITS) -> object:
    """The typed object (a stanza, usually) a complete Binary XMPP sequence encodes.

    The decoded bytes are read as restricted XML within ``limits``, like
    :func:`xepcodec.parse` reads any input.
    """
    return decode(parse_xml(decode_bytes(xml), limits))
