"""One big stanza log or stream capture checked in pieces, side by side: what
``validate --jobs N`` does with a single file.

The input is cut where a line starts with a start tag (``\n<name``), at most every
:data:`PIECE_SIZE` bytes: in a log or capture of one stanza a line, or of stanzas that
start at the start of a line, that is where stanzas start.  A capture is not cut before
a stream header (a restart), and each of its pieces is read inside the stream header in
force where it starts, the last one before it.  The scan is cheap and does not read
the XML, so a cut may fall inside a stanza (a child written at the start of a line, a
line of a CDATA section); such a cut shows itself, as the piece before it then ends
inside an element and the one after starts out of place.  So a piece counts only when
its check is *clean*: no finding about the XML of the input itself (see
:class:`~xepcodec.validation.inputs.Problem`), and read as the kind of input it was
cut from.  After a clean piece the cut was between two stanzas, where reading holds no
state but the warnings already given and the stream header, so the piece's outcomes
are the ones reading the whole input gives; its stanzas are renumbered and its
warnings given once per input by :class:`Merge`.  From the first piece that is not
clean on, the rest of the input is read in one go, as without ``--jobs``.  Either way
the report is the same, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Final

from xepcodec.validation.checking import Checker, FileEvent, FileSummary, Finding
from xepcodec.validation.inputs import InputError, Resume, Source, read_chunks, stream_header

__all__ = ["PIECE_SIZE", "Merge", "Piece", "PieceResult", "check_piece", "cut", "resume",
           "stream_name"]

#: The least size of a piece, in bytes (the last may be smaller).
PIECE_SIZE: Final = 2 * 1024 * 1024
_BLOCK: Final = 1024 * 1024
_NOT_A_START: Final = frozenset(b"/!?")
#: How long a stream header may be.
_MAX_HEADER: Final = 64 * 1024
_NAME_END: Final = re.compile(rb"[\s/>]")
_AFTER_NAME: Final = frozenset(b" \t\r\n/>")


@dataclass(frozen=True, slots=True)
class Piece:
    """Bytes ``start`` to ``stop`` (None: the end) of a file; the first starts on
    ``line``, column 1.  In a capture, ``header_at`` is where the stream header in
    force there starts (None for the first piece, which holds it)."""

    start: int
    stop: int | None
    line: int
    header_at: int | None = None

    @property
    def first(self) -> bool:
        return self.start == 0


def stream_name(head: bytes) -> bytes | None:
    """From the first bytes of an input: b"" for a stanza log, the stream element's
    qualified name (``stream:stream``) for a capture, None when they do not say."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith(b"<?xml"):
        end = text.find(b"?>")
        if end < 0:
            return None
        text = text[end + 2 :]
    text = text.lstrip(b" \t\r\n")
    if not text.startswith(b"<") or text[1:2] in (b"/", b"!", b"?", b""):
        return None
    found = _NAME_END.search(text, 1)
    if found is None:
        return None
    name = text[1 : found.start()]
    return name if name.rpartition(b":")[2] == b"stream" else b""


def cut(source: Source, size: int = PIECE_SIZE, stream: bytes = b"") -> Iterator[Piece]:
    """The pieces of the file ``source``, each at least ``size`` bytes but the last,
    cut where a line starts with a start tag; in a capture (``stream``: the stream
    element's qualified name) never before a stream header.  Reads the file once, a
    block at a time."""
    opening = b"<" + stream if stream else b""
    start, line = 0, 1
    header_at: int | None = None
    keep = len(opening) + 2  # bytes carried to the next block: a cut or header may span
    tail = b""
    base = 0  # file offset of buf[0]
    lines = 0  # newlines in the file before base
    for block in read_chunks(source, _BLOCK):
        buf = tail + block
        at = max(0, start + size - 1 - base)
        while True:
            found = buf.find(b"\n<", at)
            if found < 0 or found + keep >= len(buf):
                break
            at = found + 1
            if buf[found + 2] in _NOT_A_START or (opening and _opens(buf, found + 1, opening)):
                continue
            stop = base + found + 1
            if opening:
                header_at = _last_header(buf, base, opening, found + 1, header_at)
            yield Piece(start, stop, line, None if start == 0 else header_at)
            start, line = stop, 1 + lines + buf.count(b"\n", 0, found + 1)
            at = max(at, start + size - 1 - base)
        kept = min(keep, len(buf))
        if opening:
            header_at = _last_header(buf, base, opening, len(buf) - kept, header_at)
        lines += buf.count(b"\n", 0, len(buf) - kept)
        base += len(buf) - kept
        tail = buf[len(buf) - kept :]
    yield Piece(start, None, line, None if start == 0 else header_at)


def _opens(buf: bytes, at: int, opening: bytes) -> bool:
    """Whether a stream header starts at ``buf[at]`` (its name is followed by what
    ends a name; the caller leaves room for that byte)."""
    end = at + len(opening)
    return buf.startswith(opening, at) and end < len(buf) and buf[end] in _AFTER_NAME


def _last_header(buf: bytes, base: int, opening: bytes, end: int,
                 known: int | None) -> int | None:
    """The file offset of the last stream header that starts in ``buf`` before
    ``end``, or ``known`` when none does after it."""
    at = end
    while (at := buf.rfind(opening, 0, at)) >= 0:
        if known is not None and base + at <= known:
            break
        if _opens(buf, at, opening):
            return base + at
    return known


@dataclass(frozen=True, slots=True)
class PieceResult:
    """What checking one piece found.  ``events`` leaves out the stanzas without a
    finding unless asked to keep them; ``stanzas`` counts them all."""

    clean: bool
    stanzas: int
    events: tuple[FileEvent, ...]


_NOT_CLEAN: Final = PieceResult(False, 0, ())


def resume(source: Source, piece: Piece, *, capture: bool) -> Resume | None:
    """How to read ``piece`` apart from the rest of its input; None when the stream
    header in force there cannot be read back."""
    header = None
    if capture and not piece.first:
        if piece.header_at is None:
            return None
        header = stream_header(b"".join(read_chunks(source, start=piece.header_at,
                                                    stop=piece.header_at + _MAX_HEADER)))
        if header is None:
            return None
    return Resume(piece.line, header, cut_short=piece.stop is not None)


def check_piece(checker: Checker, source: Source, piece: Piece, *, capture: bool,
                keep_clean: bool) -> PieceResult:
    """Check one piece of a log or (``capture``) of a capture; see the module
    documentation for *clean*."""
    events: list[FileEvent] = []
    try:
        how = resume(source, piece, capture=capture)
        if how is None:
            return _NOT_CLEAN
        check = checker.start(source.name, resume=how)
        for event in check.events(read_chunks(source, start=piece.start, stop=piece.stop)):
            if isinstance(event, Finding):
                return _NOT_CLEAN
            if keep_clean or event.errors or event.warnings:
                events.append(event)
    except InputError:
        return _NOT_CLEAN
    if check.summary.kind not in (("capture",) if capture else ("log", "stanza")):
        return _NOT_CLEAN
    return PieceResult(True, check.summary.stanzas, tuple(events))


class Merge:
    """The events of an input's pieces, in order, made what one check of the whole
    input gives: stanzas numbered through, each warning given once per input (each piece
    gave it once), and the input's summary."""

    def __init__(self, name: str, *, capture: bool = False) -> None:
        self.summary = FileSummary(name, kind="log")
        self._capture = capture
        self._offset = 0
        self._warned: set[tuple[str | None, str]] = set()

    def add(self, events: Iterable[FileEvent], stanzas: int | None = None
            ) -> Iterator[FileEvent]:
        """The events of the next piece, as one check would give them; or, with
        ``stanzas`` None, of the rest of the input read in one go (every stanza is
        among the events).  Read it to its end before the next piece."""
        summary = self.summary
        offset = self._offset
        counted = 0
        for event in events:
            if isinstance(event, Finding):
                if event.stanza is not None:
                    event = replace(event, stanza=event.stanza + offset)
                if event.severity == "error":
                    summary.problems += 1
                    summary.errors += 1
                else:
                    summary.warnings += 1
                yield event
                continue
            counted += 1
            if stanzas is None:
                summary.stanzas += 1
            warnings = event.warnings
            if warnings:
                warnings = tuple(finding for finding in warnings
                                 if self._first((finding.namespace, finding.message)))
            if offset or len(warnings) != len(event.warnings):
                index = event.index + offset
                event = replace(
                    event, index=index,
                    errors=tuple(replace(f, stanza=index) for f in event.errors),
                    warnings=tuple(replace(f, stanza=index) for f in warnings))
            summary.invalid += not event.ok
            summary.errors += len(event.errors)
            summary.warnings += len(event.warnings)
            yield event
        if stanzas is not None:
            summary.stanzas += stanzas
        self._offset += counted if stanzas is None else stanzas

    def _first(self, key: tuple[str | None, str]) -> bool:
        """Whether a warning is given for the first time in this input."""
        if key in self._warned:
            return False
        self._warned.add(key)
        return True

    def finish(self, input_error: str | None = None) -> FileSummary:
        """The summary, final."""
        summary = self.summary
        summary.input_error = input_error
        # An input that could not be read to its end has no kind, as in one check.
        summary.kind = (None if input_error else "capture" if self._capture
                        else "stanza" if summary.stanzas == 1 else "log")
        return summary
