"""The sans-IO XMPP stream reader: bytes in, events out.

::

    reader = XmlStreamReader(decoder)
    for event in reader.feed(chunk):        # chunk: whatever the socket gave
        match event:
            case StreamOpened(attributes=attrs, namespace=ns): ...
            case StanzaReceived(stanza=stanza): ...
            case StanzaFailed(error=error, element=element): ...   # answer with a stanza error
            case StreamClosed(): ...

Bytes may be split anywhere, in the middle of a tag or of a UTF-8 character.  Each
complete child of ``stream:stream`` is handed to the decoder and then detached from the
parser's tree, so memory stays flat however long the stream runs.  The decoder is handed
in because this package sits below the model: :class:`xepcodec.StreamReader` is this
reader with the model's decoder, each stanza arriving as its typed object.  Whitespace
between stanzas (keep-alives) is dropped; any other text directly inside the stream is a
``bad-format`` error.

The restricted-XML rules of :func:`~xepcodec.xml.reader.parse_xml` hold here too, and
because nothing may reach libxml2 before it is checked, a small guard scans the
bytes first for DTDs, comments, processing instructions and entity references,
carrying its state (inside a CDATA section or not, an incomplete ``<!`` or ``&amp``
at the end of a chunk) from one chunk to the next.  :class:`Limits` apply to every
stanza and to the stream header's attributes.  ``max_size`` bounds the bytes of one
stanza (and of anything between two stanzas); as libxml2 does not report byte
offsets, it holds to within an eighth of itself (or 16 KiB).

Unlike :func:`parse_xml`, the reader refuses a leading U+FEFF: RFC 6120 §11.6 forbids
sending a byte order mark and says a received U+FEFF is a character, which before the
stream header makes the stream not well-formed.

Errors.  Everything wrong with the XML itself, any limit exceeded, and any
stream-level condition the decoder raises, ends the stream:
:meth:`XmlStreamReader.feed` raises :class:`BrokenStreamError` (a
:class:`~xepcodec.errors.ParseError`), and every later call raises that same error
again, because the stream cannot be resynchronised (RFC 6120 §4.9: stream errors are
unrecoverable).  Nothing that arrived before the fault is lost: the error's
``events`` are the events the bytes before the fault completed in the call that
raised, so handle them, then the error::

    try:
        events = reader.feed(chunk)
    except BrokenStreamError as broken:
        handle(broken.events)        # the stanzas that arrived whole, in order
        answer(broken.condition)     # then the stream error
    else:
        handle(events)

However the bytes were split, the events handed over (returned, then carried by the
error) and the error are the same; only ``max_size`` is noticed a little earlier or
later (see above), and a namespace fault that leaves no trace on its element (a
misused ``xml`` or ``xmlns`` declaration, which libxml2 drops) is placed by line
only, so elements on its line before it arrive only when they came in an earlier
call.  A stanza-level condition from the decoder (a malformed JID, an
unknown payload...) does not end the stream: it arrives in order as
:class:`StanzaFailed`, with the error (its path and line placed in the stream) and
the element, whose ``id``, ``from`` and ``to`` are needed to answer with a stanza
error.  An element of the stream namespace the decoder has no class for arrives as
:class:`StanzaReceived` carrying the raw element; one it has a class for
(``stream:features``, ``stream:error``) and refuses arrives as :class:`StanzaFailed`.

Restarts.  Where RFC 6120 restarts the stream (after STARTTLS ``<proceed/>``,
§5.4.3.3, and after SASL ``<success/>``, §6.4.6), call :meth:`XmlStreamReader.restart`
once the element that restarts it has arrived (or, on the receiving side, once it has
been sent): the reader forgets the old stream and reads the next bytes as a new one,
starting with its ``<stream:stream>`` header.  Both sides stay silent between that
element and the new header, so no byte of the new stream can have been read as part
of the old one; the reader refuses to restart when one may have been.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, cast

from lxml import etree

from xepcodec.errors import ArgumentTypeError, ParseError, ProtocolError
from xepcodec.xml.paths import STREAM_NS, STREAM_TAG, line_of, local_name, path_of, shorten
from xepcodec.xml.reader import (
    DEFAULT_LIMITS,
    PARSER_OPTIONS,
    Limits,
    check_encoding_start,
    check_tree,
    declaration_end,
    first_error,
    has_equals_run,
    is_namespace_error,
    markup_problem,
    namespace_culprit,
    namespace_error,
    skeleton,
    syntax_error,
)

__all__ = [
    "BrokenStreamError",
    "Decoder",
    "Event",
    "StanzaFailed",
    "StanzaReceived",
    "StreamClosed",
    "StreamOpened",
    "XmlStreamReader",
]

#: Turns one complete top-level element into its typed object; raises ParseError.
Decoder = Callable[[etree._Element], object]


@dataclass(frozen=True, slots=True)
class StreamOpened:
    """The stream header arrived.

    ``attributes`` uses Clark notation for namespaced names
    (``{http://www.w3.org/XML/1998/namespace}lang``); ``namespace`` is the content
    namespace declared as the default (``jabber:client``, ``jabber:server``, ...).
    """

    attributes: Mapping[str, str] = field(hash=False)
    namespace: str
    tag: str = STREAM_TAG


@dataclass(frozen=True, slots=True)
class StanzaReceived:
    """A complete top-level element and what the decoder made of it.

    ``element`` is the lxml element, detached from the stream; the decoder saw it
    while it was still inside the stream, with the stream's namespace declarations
    in scope.  (After detaching, lxml re-declares the content namespace with a
    generated prefix, so serialize what you keep of it during decoding.)
    """

    stanza: object = field(hash=False)
    element: etree._Element | None = field(default=None, compare=False, hash=False,
                                           repr=False)


@dataclass(frozen=True, slots=True)
class StanzaFailed:
    """The decoder refused a stanza with a stanza-level condition; the stream goes on.

    Answer with a stanza error built from ``error.condition`` and the ``id``,
    ``from`` and ``to`` of ``element`` (RFC 6120 §8.3).
    """

    error: ParseError = field(hash=False)
    element: etree._Element | None = field(default=None, compare=False, hash=False,
                                           repr=False)


@dataclass(frozen=True, slots=True)
class StreamClosed:
    """``</stream:stream>`` arrived."""


Event = StreamOpened | StanzaReceived | StanzaFailed | StreamClosed


class BrokenStreamError(ParseError):
    """The stream is broken: the error :meth:`XmlStreamReader.feed` raises.

    ``events`` are the events decoded from the bytes before the fault that no call
    returned: those of the call that raised, in order (a stream header, stanzas that
    arrived whole), to be handled before the error itself.  A reader that failed raises
    this same error again on every later call, ``events`` included: they were handed
    over the first time.
    """

    def __init__(self, message: str, *, condition: str, path: str | None = None,
                 line: int | None = None, events: tuple[Event, ...] = ()) -> None:
        super().__init__(message, condition=condition, path=path, line=line, stream=True)
        self.events = events

    @classmethod
    def after(cls, error: ParseError, events: list[Event]) -> BrokenStreamError:
        """*error* (a stream-level condition) with the *events* decoded before it."""
        return cls(error.message, condition=error.condition, path=error.path,
                   line=error.line, events=tuple(events))

# ---------------------------------------------------------------------------------------
# The guard: restricted-XML markup found in the bytes before libxml2 sees them

# Proper prefixes of "[CDATA[" after "<!", and of the predefined entity names after
# "&": at the end of a chunk they might still become something allowed, so they are
# held back until the next chunk says.
_CDATA_PREFIX: Final = rb"(?:\[(?:C(?:D(?:A(?:T(?:A)?)?)?)?)?)?"
_ENTITY_PREFIX: Final = rb"(?:a(?:m(?:p)?|p(?:o(?:s)?)?)?|l(?:t)?|g(?:t)?|q(?:u(?:o(?:t)?)?)?)?"
_GUARD: Final = re.compile(
    rb"<!\[CDATA\["                                   # a CDATA section opens
    rb"|<\?"                                          # a processing instruction
    rb"|<!(?!" + _CDATA_PREFIX + rb"\Z)"               # "<!" that cannot become CDATA
    rb"|&(?!amp;|lt;|gt;|quot;|apos;|#|" + _ENTITY_PREFIX + rb"\Z)"  # other references
)
_GUARD_TAIL: Final = re.compile(rb"(?:<(?:!" + _CDATA_PREFIX + rb")?|&" + _ENTITY_PREFIX
                                + rb")\Z")
_ENTITY_NAME: Final = re.compile(rb"&([^\s;<>&'\"]{1,40});")
_ENTITY_OPEN: Final = re.compile(rb"&[^\s;<>&'\"]{0,40}\Z")
# What the guard needs to see in full to name the problem it found.
_KEYWORDS: Final = (b"<!--", b"<!DOCTYPE", b"<!ENTITY", b"<!ELEMENT", b"<!ATTLIST",
                    b"<!NOTATION", b"<?xml ")
_LONGEST_KEYWORD: Final = max(len(keyword) for keyword in _KEYWORDS)
_KEYWORD_PREFIX: Final = re.compile(
    b"(?:" + b"|".join(sorted({re.escape(keyword[:n]) for keyword in _KEYWORDS
                               for n in range(2, len(keyword))})) + rb")\Z")
# A processing instruction whose target (named in the error, up to 40 bytes) may go on.
_PI_OPEN: Final = re.compile(rb"<\?[^ \t\r\n?]{0,40}\Z")
_BOM_UTF8: Final = b"\xef\xbb\xbf"

_ALLOWED_REFERENCES: Final = (b"&amp;", b"&lt;", b"&gt;", b"&quot;", b"&apos;", b"&#")


def _all_references_allowed(buf: bytes) -> bool:
    """Whether every "&" of ``buf`` starts a predefined entity or a character reference
    (each "&" starts at most one of them, so the counts add up exactly then)."""
    return buf.count(b"&") == sum(buf.count(reference) for reference in _ALLOWED_REFERENCES)


#: Input is handed to libxml2 in slices of at most this many bytes (and at most an
#: eighth of max_size), so that the per-stanza size accounting stays tight and
#: limits are noticed early.
_SLICE: Final = 16 * 1024
_MIN_SLICE: Final = 256
#: How long an XML declaration at the start of a stream may be.
_MAX_DECLARATION: Final = 1024


class XmlStreamReader:
    """Incremental reader for one XMPP stream (see the module documentation).

    *decoder* turns each complete top-level element into the object the events carry;
    *limits* apply to each stanza.
    """

    def __init__(self, decoder: Decoder, *, limits: Limits = DEFAULT_LIMITS) -> None:
        self._decoder = decoder
        self._limits = limits
        self._slice = min(_SLICE, max(_MIN_SLICE, limits.max_size // 8))
        self._error: BaseException | None = None
        self._start()

    def _start(self) -> None:
        """Set up the state of one stream: a new parser, nothing read yet."""
        self._parser = etree.XMLPullParser(events=("start", "end", "comment", "pi"),
                                           **PARSER_OPTIONS)
        self._root: etree._Element | None = None
        self._depth = 0  # open elements, the stream element included
        self._closed = False
        # Bytes held back until the start of the stream can be judged; None after.
        self._head: bytes | None = b""
        # The guard's state across chunks.
        self._carry = b""
        self._in_cdata = False
        self._newlines = 0  # in everything handed to libxml2, for error lines
        self._logged = 0  # entries of the parser's error log already looked at
        # Size accounting.  libxml2 does not say where in the bytes an element began,
        # so the reader keeps upper bounds instead: bytes since the last "<" (where
        # the next stanza can begin at the earliest) and the "=" among them (the
        # attributes of a tag still being read); for the open stanza, its bytes,
        # its elements, and whether one of its tags may have too many attributes.
        self._since_lt = 0
        self._equals = 0
        self._span = 0
        self._elements = 0
        self._attributes_suspect = False
        # The same bounds for a stanza that starts within the slice being parsed.
        self._slice_span = 0
        self._slice_suspect = False
        # Whether the bytes read so far stop inside a tag or with text after the last
        # one: then a restart would lose them.
        self._unfinished = False

    # -- public ----------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Event]:
        """Take the next bytes of the stream; return the events they complete.

        Raises :class:`BrokenStreamError` when the bytes break the stream; its
        ``events`` are those the bytes before the fault completed.  Events and error
        do not depend on how the bytes were split between calls.
        """
        if self._error is not None:
            raise self._error
        if isinstance(data, bytearray | memoryview):
            data = bytes(data)
        elif not isinstance(data, bytes):
            raise ArgumentTypeError(f"a stream is fed bytes, not {type(data).__name__}")
        events: list[Event] = []
        try:
            if self._head is not None:
                data = self._judge_start(data)
            step = self._slice
            for offset in range(0, len(data), step):
                self._feed_slice(data[offset : offset + step], events)
        except ParseError as error:
            self._error = BrokenStreamError.after(error, events)
            raise self._error from error.__cause__
        except BaseException as error:
            # A bug (most likely in a decoder): the tree is in an unknown state, so
            # the reader stops, with an error a caller can answer the peer with (and
            # the events that the bug kept this call from returning).
            self._error = BrokenStreamError(f"the stream reader failed: {error!r}",
                                            condition="internal-server-error",
                                            events=tuple(events))
            raise
        return events

    def restart(self) -> None:
        """Forget the stream read so far; the next bytes open a new one.

        For the stream restarts of RFC 6120 (after STARTTLS ``<proceed/>`` and SASL
        ``<success/>``): the next bytes fed must start with a stream header, which
        arrives as a new :class:`StreamOpened`.  A reader whose stream failed raises
        its error again.  Raises :class:`~xepcodec.errors.ProtocolError` when the
        bytes already read went past the end of the last complete element (a partial
        tag, an element still open, text): those bytes would belong to the new stream,
        and the peer sent them before it could know the stream restarts.
        """
        if self._error is not None:
            raise self._error
        if self._depth >= 2 or self._unfinished or self._carry or self._head:
            raise ProtocolError("the stream cannot restart here: bytes after the last "
                                "complete element were read as part of the old stream "
                                "(a peer sends nothing between the element that restarts "
                                "the stream and the new stream header)")
        self._start()

    # -- the start of the stream -------------------------------------------------------

    def _judge_start(self, data: bytes) -> bytes:
        head = (self._head or b"") + data
        if len(head) < 6 and b">" not in head:
            self._head = head  # too little to tell a BOM or "<?xml " from a stanza
            return b""
        if head.startswith(_BOM_UTF8):
            raise ParseError("the stream starts with U+FEFF (a byte order mark): RFC 6120 §11.6 "
                             "forbids sending one and makes it a character, and there is no "
                             "text before the stream header", condition="not-well-formed",
                             stream=True, line=1)
        check_encoding_start(head)
        start = 0
        if head.startswith(b"<?xml"):
            if head.find(b"?>") < 0:
                if len(head) > _MAX_DECLARATION:
                    raise ParseError("the XML declaration does not end",
                                     condition="not-well-formed", stream=True, line=1)
                self._head = head
                return b""
            start = declaration_end(head, 0)
        self._head = None
        if start:
            # The declaration is checked; it goes to libxml2 unscanned, because the
            # guard would take its "<?" for a processing instruction.
            self._feed_parser(head[:start], [])
        return head[start:]

    # -- one slice -------------------------------------------------------------------------

    def _feed_slice(self, chunk: bytes, events: list[Event]) -> None:
        safe, fault = self._guard(chunk)
        if safe:
            self._read(safe, events)
        if fault is not None:
            # What the bytes before the forbidden markup completed arrives first (a
            # fault among them is reported instead, being the earlier one).
            raise self._guard_error(*fault)

    def _read(self, safe: bytes, events: list[Event]) -> None:
        """Parse *safe*, bytes the guard let through, into *events*."""
        limits = self._limits
        size = len(safe)
        shape = skeleton(safe)
        probe = b"=" * self._equals + shape if self._equals else shape
        suspect = has_equals_run(probe, limits.max_attributes + 1)
        # A stanza whose start event comes in this slice began at the last "<"
        # before it at the earliest (its start tag may have been split).
        self._slice_span = self._since_lt + size
        self._slice_suspect = suspect
        if self._depth >= 2:  # the open stanza goes on into this slice
            self._span += size
            self._attributes_suspect = self._attributes_suspect or suspect
        last_lt = shape.rfind(b"<")
        if last_lt >= 0:
            self._since_lt = size - safe.rfind(b"<")
            self._equals = min(len(shape) - last_lt - 1, limits.max_attributes + 1)
        else:
            self._since_lt += size
            self._equals = min(self._equals + len(shape), limits.max_attributes + 1)
        self._feed_parser(safe, events)
        self._process(events)
        self._check_stream_text()
        # Checked once the slice is parsed, so a stanza (or a tag, or text between
        # stanzas) is refused once it has grown past max_size.  A stanza that ends
        # in this slice is not checked: its bound is too loose to refuse it on, so
        # the limit holds to within a slice (an eighth of max_size at most).
        if (self._span if self._depth >= 2 else self._since_lt) > limits.max_size:
            raise ParseError(f"a stanza has grown past the {limits.max_size} bytes allowed",
                             condition="policy-violation", stream=True,
                             path=self._open_path(self._depth))

    def _feed_parser(self, data: bytes, events: list[Event]) -> None:
        """Hand *data* to libxml2; on a fault, raise it once the events of the bytes
        before it are in *events*, as they would be had the bytes come one by one."""
        try:
            self._parser.feed(data)
        except etree.XMLSyntaxError as error:
            fault = self._new_fault()
            if is_namespace_error(fault):
                raise self._namespace_error(fault, events) from None
            # libxml2 queued the events of everything before the fault.
            self._process(events)
            self._check_stream_text()
            raise self._syntax_error(error) from None
        fault = self._new_fault()
        if fault is not None:
            raise self._namespace_error(fault, events)
        self._newlines += data.count(b"\n")
        # A tag's last byte is ">" (one inside an attribute value is taken for the end
        # of its tag: a restart may then be allowed where it loses bytes).
        last = data.rstrip(b" \t\r\n")
        if last:
            self._unfinished = not last.endswith(b">")

    def _new_fault(self) -> object | None:
        """The first error libxml2 logged during the last feed, if any.

        Namespace errors (an undeclared prefix, a malformed name, an invalid namespace
        URI) do not stop libxml2; only its log shows them.  Warnings stay in the log
        (libxml2 keeps at most a hundred), so only entries not seen before are read.
        """
        log = self._parser.feed_error_log
        seen = self._logged
        if len(log) == seen:
            return None
        self._logged = len(log)
        return first_error(log[seen:])

    def _namespace_error(self, fault: object, events: list[Event]) -> ParseError:
        # libxml2 reads on past a namespace error, so the events queued go beyond it.
        # The culprit's start tag was read in this feed, so its start event is among
        # them; the events before it are processed, those from it on are not (read
        # byte by byte, the stream would have failed there).  The stream element is
        # the culprit only when nothing else started.
        queued = [(event, cast(etree._Element, node))
                  for event, node in self._parser.read_events()]
        started = [node for event, node in queued if event == "start"]
        stanzas = [node for node in started if node.getparent() is not None]
        culprit = namespace_culprit(fault, stanzas or started)
        before = next((index for index, (event, node) in enumerate(queued)
                       if event == "start" and node is culprit), len(queued))
        self._process(events, queued[:before])
        self._check_stream_text()
        # Named once the stanzas before it are detached, as in a stream read in pieces.
        return namespace_error(fault, [] if culprit is None else [culprit])

    def _process(self, events: list[Event],
                 queued: Iterable[tuple[str, etree._Element]] | None = None) -> None:
        """Act on the events libxml2 queued (or on *queued*, some of them)."""
        limits = self._limits
        if queued is None:
            queued = cast(Iterable[tuple[str, etree._Element]], self._parser.read_events())
        for event, element in queued:
            # (start, end, comment and pi events always carry a node.)
            if event == "start":
                if self._depth == 1:
                    # Text before a stanza fails the stream before the stanza arrives.
                    self._check_stream_text()
                self._depth += 1
                if self._depth == 1:
                    self._open_stream(element, events)
                elif self._depth == 2:
                    self._elements = 1
                    self._span = self._slice_span
                    self._attributes_suspect = self._slice_suspect
                else:
                    self._elements += 1
                    if self._depth - 1 > limits.max_depth:
                        raise ParseError(f"elements are nested more than {limits.max_depth} "
                                         "deep", condition="policy-violation", stream=True,
                                         path=shorten(path_of(element)),
                                         line=line_of(element))
            elif event == "end":
                if self._depth == 1:
                    self._check_stream_text()
                self._depth -= 1
                if self._depth == 1:
                    self._finish_stanza(element, events)
                elif self._depth == 0:
                    self._closed = True
                    events.append(StreamClosed())
            else:
                # The guard stops comments and PIs before libxml2 sees them; this is
                # the second line of defence.
                raise ParseError(f"{event} found; XMPP forbids comments and processing "
                                 "instructions (RFC 6120 §11.1)", condition="restricted-xml",
                                 stream=True, path=self._open_path(self._depth))

    def _open_stream(self, element: etree._Element, events: list[Event]) -> None:
        tag = element.tag
        if tag != STREAM_TAG:
            name = local_name(tag) if isinstance(tag, str) else "?"
            if name == "stream":
                raise ParseError(f"the stream element is {tag}, not in the namespace "
                                 f"{STREAM_NS}", condition="invalid-namespace", stream=True, line=1)
            raise ParseError(f"the stream starts with <{name}>, not <stream:stream>",
                             condition="bad-format", stream=True, path="/" + name,
                             line=line_of(element))
        namespace = element.nsmap.get(None)
        if not namespace:
            raise ParseError("the stream header declares no content namespace (such as "
                             "xmlns='jabber:client')", condition="invalid-namespace", stream=True,
                             path="/stream", line=line_of(element))
        attributes: dict[str, str] = {str(k): str(v) for k, v in element.attrib.items()}
        limits = self._limits
        if len(attributes) > limits.max_attributes:
            raise ParseError(f"the stream header has {len(attributes)} attributes, more than "
                             f"the {limits.max_attributes} allowed",
                             condition="policy-violation", stream=True, path="/stream",
                             line=line_of(element))
        for name, value in attributes.items():
            if len(value) > limits.max_attribute_length:
                raise ParseError(f"a stream header attribute is {len(value)} characters "
                                 f"long, more than the {limits.max_attribute_length} allowed",
                                 condition="policy-violation", stream=True,
                                 path=path_of(element, name), line=line_of(element))
        self._root = element
        events.append(StreamOpened(MappingProxyType(attributes), namespace, tag))

    def _finish_stanza(self, element: etree._Element, events: list[Event]) -> None:
        limits = self._limits
        span = self._span
        if (self._attributes_suspect or self._elements > limits.max_children + 1
                or span > limits.max_attribute_length or span > limits.max_text_length):
            check_tree(element, limits, size=span, elements=self._elements,
                       attributes_suspect=self._attributes_suspect, check_depth=False)
        events.append(self._decode(element))
        # Detach the stanza so the tree does not grow.  Its tail (the whitespace
        # after it) is dropped first so that it does not travel with the element,
        # then the stream's own text before it.
        tail = element.tail
        if tail is not None:
            self._drop_stream_text(tail)
            element.tail = None
        root = self._root
        assert root is not None  # a stanza ends only inside the stream element
        root.remove(element)
        if root.text is not None:
            self._drop_stream_text(root.text)
            root.text = None

    def _decode(self, element: etree._Element) -> Event:
        try:
            return StanzaReceived(self._decoder(element), element)
        except ParseError as error:
            tag = element.tag
            no_class = error.condition == "feature-not-implemented" and error.path in (
                None, path_of(element))
            if no_class and isinstance(tag, str) and tag.startswith("{" + STREAM_NS + "}"):
                # An element of the stream namespace the decoder has no class for: the
                # caller decides.  (One it has a class for and refuses fails below.)
                return StanzaReceived(element, element)
            if no_class:
                # No protocol knows the top-level element itself: RFC 6120 §4.9.3.24
                # makes that a stream error, not a stanza error.
                unknown = ParseError(f"{error.message}; it is not a stanza this stream "
                                     "carries", condition="unsupported-stanza-type",
                                     stream=True, path=path_of(element),
                                     line=line_of(element))
                raise unknown from error
            placed = ParseError(error.message, condition=error.condition,
                                path=error.path or path_of(element),
                                line=error.line if error.line is not None else line_of(element),
                                stream=error.stream)
            placed.__cause__ = error
            if placed.stream:
                raise placed from error
            return StanzaFailed(placed, element)

    def _check_stream_text(self) -> None:
        """Refuse text the stream element holds between stanzas (keep-alive
        whitespace is dropped)."""
        root = self._root
        if self._depth <= 1 and root is not None and root.text is not None:
            self._drop_stream_text(root.text)
            root.text = None

    def _drop_stream_text(self, text: str) -> None:
        if not text.isspace():
            raise ParseError(f"text {text.strip()[:40]!r} directly inside the stream; only "
                             "whitespace may appear between stanzas", condition="bad-format",
                             stream=True, path="/stream")

    # -- the guard -------------------------------------------------------------------------

    def _guard(self, chunk: bytes) -> tuple[bytes, tuple[str, str] | None]:
        """Check *chunk* for forbidden markup; return the part that may be parsed, and
        the condition and message of the forbidden markup that ends it, if any.

        A few bytes at the end that could still become something allowed ("<!" may
        open a CDATA section, "&am" may become "&amp;") are held back for the next
        chunk; they never delay an event, since nothing can complete inside them.
        """
        buf = self._carry + chunk if self._carry else chunk
        if not self._in_cdata and b"<!" not in buf and b"<?" not in buf and (
                b"&" not in buf or _all_references_allowed(buf)):
            # Nothing here can be forbidden markup, or start some at the end but a "<"
            # (a scan in C: the search below costs more than the parse on text with
            # "&" or "?" in it).
            if buf.endswith(b"<"):
                self._carry = b"<"
                return buf[:-1], None
            self._carry = b""
            return buf, None
        size = len(buf)
        pos = 0
        while True:
            if self._in_cdata:
                end = buf.find(b"]]>", pos)
                if end < 0:
                    # "]]>" may be split; keep a trailing "]" or "]]" for next time.
                    keep = 2 if buf.endswith(b"]]") else 1 if buf.endswith(b"]") else 0
                    cut = max(pos, size - keep)
                    break
                pos = end + 3
                self._in_cdata = False
                continue
            match = _GUARD.search(buf, pos)
            if match is None:
                tail = _GUARD_TAIL.search(buf, max(pos, size - 8))
                cut = tail.start() if tail is not None else size
                break
            if match.end() - match.start() == 9:  # "<![CDATA["
                self._in_cdata = True
                pos = match.end()
                continue
            start = match.start()
            if (size - start < _LONGEST_KEYWORD and _KEYWORD_PREFIX.match(buf, start)) or (
                    _ENTITY_OPEN.match(buf, start)) or _PI_OPEN.match(buf, start):
                # "<!DOC", "&nbs" or "<?targ" at the end: refused either way, but the
                # next bytes say whether as a DTD (an entity, which target) or as
                # something else, so wait.
                cut = start
                break
            self._carry = b""
            return buf[:start], self._markup_fault(buf, start)
        self._carry = buf[cut:]
        return buf[:cut], None

    @staticmethod
    def _markup_fault(buf: bytes, pos: int) -> tuple[str, str]:
        """The condition and message for the forbidden markup at *pos*."""
        if buf.startswith(b"&", pos):
            name = _ENTITY_NAME.match(buf, pos)
            if name is not None:
                text = name[1].decode("utf-8", "replace")
                condition, message = ("restricted-xml", f"entity reference &{text}; found; "
                                      "XMPP allows only &amp; &lt; &gt; &quot; &apos; and "
                                      "character references (RFC 6120 §11.1)")
            else:
                condition, message = ("not-well-formed", "'&' that starts no entity or "
                                      "character reference (write &amp;)")
        else:
            problem = markup_problem(buf, pos)
            condition, message = problem or ("not-well-formed", "malformed '<!'")
        return condition, message

    def _guard_error(self, condition: str, message: str) -> ParseError:
        """The error for forbidden markup, once the bytes before it are read."""
        return ParseError(message, condition=condition, stream=True,
                          path=self._open_path(self._drain()), line=1 + self._newlines)

    # -- errors ----------------------------------------------------------------------------

    def _open_path(self, depth: int) -> str | None:
        """The path of the innermost open element below the stream element."""
        node = self._root
        if node is None or depth < 2:
            return None
        for _ in range(depth - 1):
            if len(node) == 0:
                break
            node = node[-1]
        return shorten(path_of(node))

    def _drain(self) -> int:
        """Count the events libxml2 queued but nobody processed; return the depth.

        Only called once the stream has failed: the events are not acted on, they
        only tell which element was open.
        """
        depth = self._depth
        for event, node in self._parser.read_events():
            if event == "start":
                depth += 1
                if self._root is None:
                    self._root = cast(etree._Element, node)
            elif event == "end":
                depth -= 1
                if depth == 0:
                    self._closed = True
        return depth

    def _syntax_error(self, error: etree.XMLSyntaxError) -> ParseError:
        placed = syntax_error(error, self._open_path(self._drain()))
        if self._closed:
            return ParseError(f"data after the end of the stream: {placed.message}",
                              condition=placed.condition, stream=True, line=placed.line)
        return placed
