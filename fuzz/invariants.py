"""What every input must keep, whatever its bytes.

* Only :class:`~xepcodec.errors.XepCodecError` escapes the library: anything else
  propagates out of these checks untouched, so a fuzzer reports it as a crash with its
  traceback.
* What ``parse`` accepts, ``serialize`` writes, and reading that back gives an equal
  object whose serialization is the same bytes (one round makes a fixed point).
* ``parse`` and ``validate`` give one verdict: ``parse`` succeeds exactly when
  ``validate(...).ok``, except for a namespace no protocol of the library knows, which
  ``parse`` refuses as ``feature-not-implemented`` and ``validate`` only warns about.
* ``parse`` and a :class:`~xepcodec.StreamReader` fed the same bytes as the only
  stanza of a stream, in pieces cut anywhere, give one verdict and equal objects that
  serialize to the same bytes.  (An element in the streams namespace is not a stanza:
  the reader hands it over as it is, for the caller to judge, so it is not compared.)

A broken invariant raises :class:`Broken`, naming the invariant (one of
:data:`INVARIANTS`) and what differed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from lxml import etree

import xepcodec
from xepcodec.api import StreamReader
from xepcodec.errors import ParseError, XepCodecError
from xepcodec.validation import ValidationReport
from xepcodec.xml import StanzaFailed, StanzaReceived, StreamClosed

__all__ = ["INVARIANTS", "Broken", "Verdict", "check", "read", "stream_read"]

ROUND_TRIP: Final = "round trip"
FIXED_POINT: Final = "fixed point"
PARSE_VALIDATE: Final = "parse/validate"
PARSE_STREAM: Final = "parse/stream"
STREAM_BYTES: Final = "parse/stream bytes"
INVARIANTS: Final = (ROUND_TRIP, FIXED_POINT, PARSE_VALIDATE, PARSE_STREAM, STREAM_BYTES)

# A prefix for the stream element that no input is likely to use for anything else: the
# stanza sees the stream's declarations, and a common prefix would bind one of its own.
_STREAM_OPEN: Final = (b"<xepcodecfuzz:stream xmlns:xepcodecfuzz='http://etherx.jabber.org/"
                       b"streams' xmlns='jabber:client' version='1.0'>")
_STREAM_CLOSE: Final = b"</xepcodecfuzz:stream>"
_PLAIN: Final = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                huge_tree=False)


class Broken(AssertionError):
    """An invariant does not hold for ``data``."""

    def __init__(self, invariant: str, data: bytes, detail: str) -> None:
        self.invariant = invariant
        self.data = data
        self.detail = detail
        super().__init__(f"{invariant}: {detail}\n  input: {data!r}")


class Verdict:
    """What one way in made of an input: the object, or the refusal."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any = None, error: XepCodecError | None = None) -> None:
        self.value = value
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None

    def __repr__(self) -> str:
        return f"accepted {self.value!r}" if self.ok else f"refused: {self.error}"


def read(data: bytes) -> Verdict:
    """``parse``'s verdict on ``data``."""
    try:
        return Verdict(xepcodec.parse(data))
    except XepCodecError as error:
        return Verdict(error=error)


def stream_read(data: bytes, cuts: Iterable[int] = ()) -> Verdict:
    """The verdict of a StreamReader given ``data`` as a stream's content, fed in pieces
    cut at ``cuts``: accepted when it yields exactly one stanza and then the stream's
    end."""
    reader = StreamReader()
    events: list[Any] = []
    stream = _STREAM_OPEN + data + _STREAM_CLOSE
    start = 0
    try:
        for cut in sorted({len(_STREAM_OPEN) + c for c in cuts if 0 < c < len(data)}):
            events += reader.feed(stream[start:cut])
            start = cut
        events += reader.feed(stream[start:])
    except XepCodecError as error:
        return Verdict(error=error)
    if not any(isinstance(event, StreamClosed) for event in events):
        # the input left something open, which swallowed the stream's end tag
        return Verdict(error=ParseError("the input never ends", condition="not-well-formed"))
    stanzas = [event for event in events if isinstance(event, StanzaReceived | StanzaFailed)]
    if len(stanzas) != 1:
        return Verdict(error=ParseError(f"{len(stanzas)} stanzas, not one",
                                        condition="not-well-formed"))
    event = stanzas[0]
    if isinstance(event, StanzaFailed):
        return Verdict(error=event.error)
    return Verdict(event.stanza)


def _plain_root(data: bytes) -> etree._Element | None:
    """``data`` read as plain XML, or None when it is not well-formed."""
    try:
        return etree.fromstring(data, _PLAIN)
    except etree.XMLSyntaxError:
        return None


def _in_no_namespace(data: bytes) -> bool:
    """Whether ``data`` has an element in no namespace (inside a stream it would be in
    the stream's, so it is another document there)."""
    root = _plain_root(data)
    return root is not None and any(isinstance(node.tag, str) and not node.tag.startswith("{")
                                    for node in root.iter())


def _unknown_namespace(parsed: Verdict, report: ValidationReport) -> bool:
    """Whether ``parse`` refused only for a namespace ``validate`` warned it has no schema
    for: the one disagreement the two are allowed."""
    error = parsed.error
    return (report.ok and bool(report.warnings) and isinstance(error, ParseError)
            and error.condition == "feature-not-implemented")


def check(data: bytes, cuts: Sequence[int] = (), *, skip: Iterable[str] = ()) -> Verdict:
    """Check every invariant on ``data`` but those named in ``skip``; return ``parse``'s
    verdict.  Raises :class:`Broken`; lets anything but a XepCodecError through."""
    skipped = frozenset(skip)
    parsed = read(data)
    if parsed.ok:
        written = xepcodec.serialize(parsed.value)
        again = xepcodec.parse(written)
        if ROUND_TRIP not in skipped and again != parsed.value:
            raise Broken(ROUND_TRIP, data, f"{parsed.value!r} came back as {again!r}")
        rewritten = xepcodec.serialize(again)
        if FIXED_POINT not in skipped and rewritten != written:
            raise Broken(FIXED_POINT, data, f"{written!r} was written again as {rewritten!r}")
    if PARSE_VALIDATE not in skipped:
        report = xepcodec.validate(data)
        if report.ok != parsed.ok and not _unknown_namespace(parsed, report):
            raise Broken(PARSE_VALIDATE, data, f"parse {parsed!r}; validate {report.errors!r}")
    if PARSE_STREAM in skipped or _in_no_namespace(data):
        return parsed
    streamed = stream_read(data, cuts)
    if isinstance(streamed.value, etree._Element):
        return parsed  # a stream-level element (features, error): the caller's to judge
    if streamed.ok != parsed.ok or (parsed.ok and streamed.value != parsed.value):
        raise Broken(PARSE_STREAM, data, f"parse {parsed!r}; stream {streamed!r}")
    if (STREAM_BYTES not in skipped and parsed.ok
            and xepcodec.serialize(streamed.value) != xepcodec.serialize(parsed.value)):
        raise Broken(STREAM_BYTES, data, f"parse writes {xepcodec.serialize(parsed.value)!r}; "
                     f"the stream's stanza {xepcodec.serialize(streamed.value)!r}")
    return parsed
