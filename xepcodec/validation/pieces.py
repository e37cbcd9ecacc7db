"""One big stanza log checked in pieces, side by side: what ``validate --jobs N`` does
with a single file.

A log is cut where a line starts with a start tag (``\\n<name``), at most every
:data:`PIECE_SIZE` bytes: in a log of one stanza a line, or of stanzas that start at
the start of a line, that is where stanzas start.  The scan is cheap and does not read
the XML, so a cut may fall inside a stanza (a child written at the start of a line, a
line of an attribute value or CDATA section); such a cut shows itself, as the piece
before it then ends inside an element and the one after starts with a stray end tag or
out of place.  So a piece counts only when its check is *clean*: no finding about the
XML of the input itself (see :class:`~xepcodec.validation.inputs.Problem`), and read
as a log.  After a clean piece the cut was between two stanzas, where reading a log
holds no state but the warnings already given, so the piece's outcomes are the ones
reading the whole log would give; its stanzas are renumbered and its warnings given
once per input by :class:`Merge`.  From the first piece that is not clean on, the rest
of the log is read in one go, as without ``--jobs``.  Either way the report is the
same, byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Final

from xepcodec.validation.checking import (
    Checker,
    FileEvent,
    FileSummary,
    Finding,
)
from xepcodec.validation.inputs import InputError, Source, read_chunks

__all__ = ["PIECE_SIZE", "Merge", "Piece", "PieceResult", "check_piece", "cut",
           "looks_like_log"]

#: The least size of a piece, in bytes (the last may be smaller).
PIECE_SIZE: Final = 2 * 1024 * 1024
_BLOCK: Final = 1024 * 1024
_NOT_A_START: Final = frozenset(b"/!?")


@dataclass(frozen=True, slots=True)
class Piece:
    """Bytes ``start`` to ``stop`` (None: the end) of a file; the first starts on
    ``line``, column 1."""

    start: int
    stop: int | None
    line: int

    @property
    def first(self) -> bool:
        return self.start == 0


def looks_like_log(head: bytes) -> bool:
    """Whether the first bytes of an input start a stanza log (not a capture, whose
    stream header and restarts tie its stanzas together)."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith(b"<?xml"):
        end = text.find(b"?>")
        if end < 0:
            return False
        text = text[end + 2 :]
    text = text.lstrip(b" \t\r\n")
    if not text.startswith(b"<") or text[1:2] in (b"/", b"!", b"?", b""):
        return False
    name = text[1:].split(None, 1)[0].split(b">", 1)[0].split(b"/", 1)[0]
    return name.rpartition(b":")[2] != b"stream"


def cut(source: Source, size: int = PIECE_SIZE) -> Iterator[Piece]:
    """The pieces of the file ``source``, each at least ``size`` bytes but the last,
    cut where a line starts with a start tag.  Reads the file once, a block at a time."""
    start, line = 0, 1
    tail = b""
    base = 0  # file offset of buf[0]
    lines = 0  # newlines in the file before base
    for block in read_chunks(source, _BLOCK):
        buf = tail + block
        at = max(0, start + size - 1 - base)
        while True:
            found = buf.find(b"\n<", at)
            if found < 0 or found + 2 >= len(buf):
                break
            at = found + 1
            if buf[found + 2] in _NOT_A_START:
                continue
            stop = base + found + 1
            yield Piece(start, stop, line)
            start, line = stop, 1 + lines + buf.count(b"\n", 0, found + 1)
            at = max(at, start + size - 1 - base)
        keep = min(2, len(buf))
        lines += buf.count(b"\n", 0, len(buf) - keep)
        base += len(buf) - keep
        tail = buf[len(buf) - keep :]
    yield Piece(start, None, line)


@dataclass(frozen=True, slots=True)
class PieceResult:
    """What checking one piece found.  ``events`` leaves out the stanzas without a
    finding unless asked to keep them; ``stanzas`` counts them all."""

    clean: bool
    stanzas: int
    events: tuple[FileEvent, ...]


def check_piece(checker: Checker, source: Source, piece: Piece, *,
                keep_clean: bool) -> PieceResult:
    """Check one piece of a log (see the module documentation for *clean*)."""
    check = checker.start(source.name, resume_at=None if piece.first else (piece.line, 1))
    events: list[FileEvent] = []
    try:
        for event in check.events(read_chunks(source, start=piece.start, stop=piece.stop)):
            if isinstance(event, Finding):
                return PieceResult(False, 0, ())
            if keep_clean or event.errors or event.warnings:
                events.append(event)
    except InputError:
        return PieceResult(False, 0, ())
    if check.summary.kind not in ("log", "stanza"):
        return PieceResult(False, 0, ())
    return PieceResult(True, check.summary.stanzas, tuple(events))


class Merge:
    """The events of a log's pieces, in order, made what one check of the whole log
    gives: stanzas numbered through, each warning given once per input (each piece
    gave it once), and the input's summary."""

    def __init__(self, name: str) -> None:
        self.summary = FileSummary(name, kind="log")
        self._offset = 0
        self._warned: set[tuple[str | None, str]] = set()

    def add(self, events: Iterable[FileEvent], stanzas: int | None = None
            ) -> Iterator[FileEvent]:
        """The events of the next piece, as one check would give them; or, with
        ``stanzas`` None, of the rest of the log read in one go (every stanza is
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
        summary.kind = None if input_error else "stanza" if summary.stanzas == 1 else "log"
        return summary
