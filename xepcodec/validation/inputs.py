"""What ``xepcodec validate`` reads: finding the files, and splitting each into stanzas.

Three shapes of input are told apart by their first element, never by their name:

* a **stanza** file: one top-level element (a stanza, or a payload on its own);
* a **stanza log**: many top-level elements one after the other, which is not a
  well-formed XML document but is what loggers and test fixtures write;
* a **stream capture**: ``<stream:stream ...>``, stanzas, ``</stream:stream>``, as
  seen on the wire, stream restarts (after STARTTLS or SASL) included.

All three go through :class:`~xepcodec.xml.stream.XmlStreamReader`, so the restricted-XML
rules and the :class:`~xepcodec.xml.reader.Limits` hold for every stanza, and memory
stays flat however big the input is: each stanza is handed over and dropped as soon as
it is complete.  A stanza file or log is read as the content of a stream whose header
the splitter makes up (``<stream:stream xmlns='jabber:client' ...>`` by default), so a
stanza written without ``xmlns`` is read as it would be on a client stream.  The made-up
header sits on the first line and adds no line, and the columns reported on that line
are corrected for it.

libxml2 records the line of each element but not its column, and stops counting
lines at 65535, so a second, cheap parser (expat, which does both) reads the same bytes
and notes where every element of each stanza starts.  If the two ever disagree, columns
are left out rather than guessed.

Broken XML.  The reader is a stream parser: once the XML breaks it cannot go on, and
the stanzas it completed in the same chunk go with it.  So the bytes from the last
stanza handed over are kept and read again, one stanza at a time, to hand over all
that came before the error and place the error in its stanza.  In a capture that is
the end (a stream error, as on the wire).  In a log the :class:`_Skipper` finds
where the next stanza starts, and reading goes on there with a new made-up stream.
"""

from __future__ import annotations

import fnmatch
import os
import pyexpat
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic, Literal, TypeVar

from lxml import etree

from xepcodec.errors import ParseError, XepCodecError
from xepcodec.xml import DEFAULT_LIMITS, Limits, StreamClosed, XmlStreamReader
from xepcodec.xml.paths import STREAM_NS, line_of, local_name
from xepcodec.xml.reader import declaration_end

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_INCLUDE",
    "STDIN_NAME",
    "InputError",
    "Placement",
    "Problem",
    "Resume",
    "Source",
    "StanzaSplitter",
    "discover",
    "read_chunks",
    "resolve_path",
    "stream_header",
]

#: Bytes read from a file at a time.
CHUNK_SIZE: Final = 64 * 1024
#: What a directory walk picks up unless told otherwise.
DEFAULT_INCLUDE: Final = ("*.xml",)
#: How standard input is named in reports.
STDIN_NAME: Final = "<stdin>"

T = TypeVar("T")


class InputError(XepCodecError):
    """Input the tool cannot read at all (missing, unreadable, empty, binary, not XML).

    Its message is one line, ``NAME: PROBLEM``.
    """

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"{name}: {problem}")


# ---------------------------------------------------------------------------------------
# Finding the inputs


@dataclass(frozen=True, slots=True)
class Source:
    """One input: a file, or standard input (``path`` is None)."""

    name: str
    path: Path | None = None
    size: int | None = None

    @property
    def is_stdin(self) -> bool:
        return self.path is None


def _matches(relative: str, name: str, patterns: Sequence[str],
             used: set[str] | None = None) -> bool:
    """A glob matches the path relative to the directory walked, or, when it has no
    ``/``, the name alone.  ``*`` matches ``/`` too, so ``fixtures/*.xml`` reaches
    every depth below ``fixtures``.  The patterns that match are added to ``used``."""
    for pattern in patterns:
        if fnmatch.fnmatchcase(relative, pattern) or (
                "/" not in pattern and fnmatch.fnmatchcase(name, pattern)):
            if used is not None:
                used.add(pattern)
            return True
    return False


def _walk(top: Path, label: str, include: Sequence[str], exclude: Sequence[str],
          errors: list[InputError], used: set[str] | None) -> list[Source]:
    found: list[Source] = []

    def failed(error: OSError) -> None:
        where = error.filename or str(top)
        errors.append(InputError(str(where), "cannot read the directory "
                                 f"({error.strerror or error})"))

    for folder, dirs, files in os.walk(top, onerror=failed):
        base = Path(folder)
        relative_base = base.relative_to(top).as_posix()
        relative_base = "" if relative_base == "." else relative_base + "/"
        # Hidden folders (.git, .venv, .tox...) hold other people's XML; pruned here,
        # sorted so that the order of the report does not depend on the file system.
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not _matches(relative_base + d, d, exclude, used))
        for name in sorted(files):
            relative = relative_base + name
            if not _matches(relative, name, include) or _matches(relative, name, exclude,
                                                                 used):
                continue
            path = base / name
            shown = str(Path(label) / relative) if label != "." else relative
            try:
                size: int | None = path.stat().st_size
            except OSError:
                size = None  # a dangling link: reading it says what is wrong
            found.append(Source(shown, path, size))
    return found


def discover(paths: Sequence[str], *, include: Sequence[str] = DEFAULT_INCLUDE,
             exclude: Sequence[str] = (), excluded: set[str] | None = None
             ) -> tuple[list[Source], list[InputError]]:
    """The inputs named by ``paths``, in order, and what could not be found.

    A path is a file (taken whatever its name), a directory (walked recursively for
    files matching ``include`` and not ``exclude``, hidden folders skipped), or ``-``
    for standard input.  A file reached twice is checked once.  The ``exclude``
    patterns that left something out are added to ``excluded``.
    """
    include = tuple(include) or DEFAULT_INCLUDE
    sources: list[Source] = []
    errors: list[InputError] = []
    seen: set[str] = set()

    def add(source: Source) -> None:
        key = STDIN_NAME if source.path is None else os.path.realpath(source.path)
        if key not in seen:
            seen.add(key)
            sources.append(source)

    for raw in paths:
        if raw == "-":
            add(Source(STDIN_NAME))
            continue
        path = Path(raw)
        try:
            is_dir = path.is_dir()
            exists = is_dir or path.exists() or path.is_symlink()
        except OSError as error:
            errors.append(InputError(raw, f"cannot be read ({error.strerror or error})"))
            continue
        if is_dir:
            before = len(errors)
            found = _walk(path, raw, include, exclude, errors, excluded)
            if not found and len(errors) == before:
                errors.append(InputError(
                    raw, f"no file in this directory matches {' or '.join(include)}"))
            for source in found:
                add(source)
        elif exists:
            try:
                size: int | None = path.stat().st_size
            except OSError:
                size = None
            add(Source(raw, path, size))
        else:
            errors.append(InputError(raw, "no such file or directory"))
    return sources, errors


def read_chunks(source: Source, size: int = CHUNK_SIZE, *, start: int = 0,
                stop: int | None = None) -> Iterator[bytes]:
    """The bytes of ``source`` in chunks; OSError becomes a one-line InputError.

    ``start`` and ``stop`` (byte offsets) read only that part of a file.
    """
    if source.path is None:
        stream = sys.stdin.buffer
        while chunk := stream.read(size):
            yield chunk
        return
    try:
        handle = open(source.path, "rb")  # noqa: SIM115 - closed below, errors reworded
    except IsADirectoryError:
        raise InputError(source.name, "is a directory") from None
    except OSError as error:
        raise InputError(source.name, f"cannot be read ({error.strerror or error})") \
            from None
    with handle:
        left = stop - start if stop is not None else None
        while left is None or left > 0:
            try:
                if start:
                    handle.seek(start)
                    start = 0
                chunk = handle.read(size if left is None else min(size, left))
            except OSError as error:
                raise InputError(source.name, "cannot be read "
                                 f"({error.strerror or error})") from None
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


# ---------------------------------------------------------------------------------------
# Splitting one input into stanzas


@dataclass(frozen=True, slots=True)
class Problem:
    """Something about the XML of an input rather than one of its stanzas: it breaks
    (a capture is not read further; a log is, from its next stanza), it ends inside a
    stanza, or a capture's stream is not closed."""

    severity: Literal["error", "warning"]
    message: str
    line: int | None = None
    column: int | None = None
    path: str | None = None
    condition: str | None = None


def resolve_path(root: etree._Element, path: str | None) -> etree._Element | None:
    """The element of ``root``'s tree that a path from an error message names, if the
    path can be followed (``/iq/query/item[2]``; a trailing ``/@attr`` or ``/text()``
    names its element; an elided path (``…``) cannot be followed)."""
    if not path or not path.startswith("/") or "…" in path:
        return None
    steps = path[1:].split("/")
    while steps and (steps[-1].startswith("@") or steps[-1] == "text()"):
        steps.pop()
    if not steps or steps[0].partition("[")[0] != local_name(str(root.tag)):
        return None
    node = root
    for step in steps[1:]:
        name, _, rest = step.partition("[")
        index = int(rest[:-1]) if rest.endswith("]") and rest[:-1].isdigit() else 1
        matches = [child for child in node
                   if isinstance(child.tag, str) and local_name(child.tag) == name]
        if len(matches) < index:
            return None
        node = matches[index - 1]
    return node


@dataclass(frozen=True, slots=True)
class Resume:
    """A piece of an input, read apart from the rest of it (``validate --jobs``).

    The piece starts at column 1 of ``line`` of the input, at the start of a stanza,
    or is the input's start (``line`` 1, no ``header``: read as any input is).  In a
    capture, ``header`` is the stream header in force there (the last one before it);
    ``cut_short`` says the input goes on after the piece, so a capture's stream may be
    left open at its end.
    """

    line: int = 1
    header: bytes | None = None
    cut_short: bool = False

    @property
    def starts_input(self) -> bool:
        return self.line == 1 and self.header is None


def stream_header(data: bytes) -> bytes | None:
    """The start tag at the start of ``data`` (a stream header), if it is whole there."""
    found = _TAG.match(data)
    return None if found is None or found[1] else found[0]


class _Restart(Exception):
    """A new stream header inside the stream: a stream restart, if one may stand there."""


_TLS: Final = "{urn:ietf:params:xml:ns:xmpp-tls}"
_SASL: Final = "{urn:ietf:params:xml:ns:xmpp-sasl}"
#: The top-level elements a new stream may follow (RFC 6120 §5.4.3.3, §6.4.6): the
#: server restarts after sending ``<proceed/>`` or ``<success/>``; the client after
#: receiving them, so in its own capture the new header follows its last word in the
#: negotiation, ``<starttls/>``, ``<auth/>`` or ``<response/>``.
_RESTART_AFTER: Final = frozenset({
    _TLS + "proceed", _SASL + "success", _TLS + "starttls", _SASL + "auth",
    _SASL + "response"})
_MISPLACED_DECLARATION: Final = pyexpat.errors.codes[pyexpat.errors.XML_ERROR_MISPLACED_XML_PI]


_START, _END, _END_CHILDLESS = range(3)  # the kinds of a careful segment's cuts


class _Segment:
    """One stream of the input: a stream reader and an expat parser fed the same bytes.

    Its coordinates map to the input's: ``line_offset`` lines were before it, and on
    its line ``shift_line`` its columns are ``shift`` off (a made-up header, an XML
    declaration that was set aside, or a restart in the middle of a line).

    The reader is fed whole chunks.  When it finds the XML broken, the stanzas it
    completed in that chunk are lost with it (a stream error ends the parser), so the
    bytes since the start of the oldest stanza it has not handed over are kept, and
    read again by a *careful* segment that feeds its reader one stanza at a time
    (cut where expat saw each top-level element start and end): everything before
    the error is then handed over, and the error is placed in its stanza.
    """

    def __init__(self, owner: StanzaSplitter[Any], *, line_offset: int, shift_line: int,
                 shift: int, synthetic: bool = False, careful: bool = False,
                 quiet: int = 0) -> None:
        self.owner = owner
        self.synthetic = synthetic  # the stream header is made up (a stanza file or log)
        self.line_offset = line_offset
        self.shift_line = shift_line
        self.shift = shift
        self.reader = XmlStreamReader(self._decode, limits=owner.limits)
        self.closed = False
        # Element starts, from expat: one list of (line, column) per top-level
        # element, in document order, until the reader has handed that element over.
        self.pending: deque[list[tuple[int, int]]] = deque()
        self.positions: list[tuple[int, int]] = []  # the open stanza's, in pending
        self.depth = 0
        self.open_start: tuple[int, int] | None = None  # where the open stanza began
        self.open_name = ""
        self.fed = 0
        self.restart_at: int | None = None
        self.restart_where = (1, 1)
        self.last_tag: str | None = None  # the last top-level element handed over
        self.held = b""  # what may start a new stream's declaration (see _read)
        self.tail = b""  # what was fed since the last "<", to cut a restart out
        self.text_at: tuple[int, int] | None = None  # text found directly in the stream
        # -- for reading again (see the class documentation) --
        # (byte index, (line, column)) of each top-level element not handed over yet.
        self.starts: deque[tuple[int, tuple[int, int]]] = deque()
        # Where to read again from: the last element handed over (read again
        # quietly), or, in a log, the start of its stanzas.
        self.anchor: tuple[int, tuple[int, int], int] | None = None
        self.window: bytes | None = b""  # the bytes fed from window_at on
        self.window_at = 0
        self.header: bytes | None = None  # the stream header, to read again with
        self.first: int | None = None  # where the first element starts
        self.careful = careful
        self.quiet = quiet  # elements to read again without handing them over
        # A careful segment's cuts: (byte index, (line, column), _START) where an
        # element starts, (..., _END or _END_CHILDLESS) where expat ends it (see
        # _feed_carefully); where the piece being
        # read starts, whether it is between elements, and (in a log) its bytes, to
        # skip a malformed stanza.
        self.cuts: deque[tuple[int, tuple[int, int], int]] = deque()
        self.childless = False  # the element that ends now has no child
        self.piece_start: tuple[int, int] | None = None
        self.between = False
        self.piece: bytearray | None = None
        self.error: Problem | None = None
        self.expat: pyexpat.XMLParserType | None = pyexpat.ParserCreate()
        expat = self.expat
        expat.ordered_attributes = True  # unread: a list is cheaper to build than a dict
        expat.StartElementHandler = self._start
        expat.EndElementHandler = self._end
        expat.CharacterDataHandler = self._text  # only between stanzas, see _start
        expat.StartDoctypeDeclHandler = self._doctype  # never expand a DTD's entities
        disable = getattr(expat, "SetReparseDeferralEnabled", None)
        if disable is not None:
            disable(False)  # every complete tag is reported at once

    def begin(self, header: bytes) -> None:
        """Feed a made-up stream header: the stanzas start after it."""
        self.feed(header)
        expat = self.expat
        if expat is not None:
            self.anchor = (self.fed, (expat.CurrentLineNumber,
                                      expat.CurrentColumnNumber + 1), 0)
            self.window, self.window_at = b"", self.fed
        self.header = self.owner._header

    # -- coordinates ------------------------------------------------------------------

    def line(self, line: int | None) -> int | None:
        return None if line is None else line + self.line_offset

    def column(self, line: int, column: int) -> int:
        """A 1-based input column for a 1-based column on ``line`` of this segment."""
        return column + self.shift if line == self.shift_line else column

    # -- expat ------------------------------------------------------------------------

    def _start(self, name: str, _attributes: object) -> None:
        expat = self.expat
        assert expat is not None
        self.depth += 1
        where = (expat.CurrentLineNumber, expat.CurrentColumnNumber + 1)
        if self.depth == 2:
            if name.rpartition(":")[2] == "stream":
                self.restart_at = expat.CurrentByteIndex
                self.restart_where = where
                raise _Restart
            start = (expat.CurrentByteIndex, where)
            self.starts.append(start)
            if self.first is None:
                self.first = start[0]
            if self.careful:
                self.cuts.append((*start, _START))
            expat.CharacterDataHandler = None
            self.open_start = where
            self.open_name = name.rpartition(":")[2]
            self.positions = [where]
            self.pending.append(self.positions)
            if not self.careful:
                # Inside the stanza only the places of its elements are wanted: leaner
                # handlers (they run for every element) until it ends.
                expat.StartElementHandler = self._inner_start
                expat.EndElementHandler = self._inner_end
        elif self.depth > 2:
            self.pending[-1].append(where)
        self.childless = True

    def _inner_start(self, _name: str, _attributes: object) -> None:
        self.depth += 1
        expat = self.expat
        assert expat is not None
        self.positions.append((expat.CurrentLineNumber, expat.CurrentColumnNumber + 1))

    def _inner_end(self, _name: str) -> None:
        self.depth -= 1
        if self.depth == 1:
            expat = self.expat
            assert expat is not None
            expat.StartElementHandler = self._start
            expat.EndElementHandler = self._end
            expat.CharacterDataHandler = self._text

    def _end(self, _name: str) -> None:
        self.depth -= 1
        childless, self.childless = self.childless, False
        expat = self.expat
        if self.depth == 1 and expat is not None:
            expat.CharacterDataHandler = self._text
            if self.careful:
                self.cuts.append((expat.CurrentByteIndex, (
                    expat.CurrentLineNumber, expat.CurrentColumnNumber + 1),
                    _END_CHILDLESS if childless else _END))

    def _text(self, data: str) -> None:
        expat = self.expat
        if self.text_at is None and expat is not None and not data.isspace():
            self.text_at = (expat.CurrentLineNumber, expat.CurrentColumnNumber + 1)

    def _doctype(self, *_args: object) -> None:
        raise ValueError("no DTD")  # the reader refuses it; expat must not expand it

    def _track(self, data: bytes) -> bytes | None:
        """Feed expat; if a restart header begins, return the bytes from its "<" on
        (which may have started in an earlier chunk)."""
        expat = self.expat
        if expat is None:
            return None
        try:
            expat.Parse(data, False)
        except (_Restart, pyexpat.ExpatError) as error:
            self.expat = None
            if isinstance(error, pyexpat.ExpatError):
                if (error.code != _MISPLACED_DECLARATION or self.depth != 1
                        or self.synthetic):
                    return None  # as below: the reader decides what is wrong
                # An XML declaration between two elements of the stream: the new
                # stream of a restart starts there (the new segment reads it).
                self.restart_at = expat.ErrorByteIndex
                self.restart_where = (expat.ErrorLineNumber, expat.ErrorColumnNumber + 1)
            assert self.restart_at is not None
            cut = self.restart_at - self.fed
            if cut >= 0:
                return data[cut:]
            # A start tag holds no "<", so the header began at the last "<" before
            # this chunk, which is where the tail starts.
            return self.tail[len(self.tail) + cut :] + data
        except Exception:
            # expat gave up where libxml2 may not have: no more columns for this
            # segment, the reader decides what is wrong.  (The elements it placed
            # keep their places.)
            self.expat = None
            return None
        self.fed += len(data)
        last = data.rfind(b"<")
        if last >= 0:
            self.tail = data[last:]
        elif len(self.tail) <= self.owner.limits.max_size + len(data):
            self.tail += data
        return None

    # -- the reader -------------------------------------------------------------------

    def _decode(self, element: etree._Element) -> None:
        positions = self.pending.popleft() if self.pending else None
        self.last_tag = str(element.tag)
        if self.starts:
            self.anchor = (*self.starts.popleft(), 1)
        if self.quiet:  # handed over before, by the segment this one reads again for
            self.quiet -= 1
            return
        self.owner._count += 1
        place = Placement(self, element, self.owner._count, positions)
        self.owner._results.append(self.owner._handle(element, place))

    def feed(self, data: bytes) -> bytes | None:
        """Feed both parsers; return the bytes the owner goes on with: from a restart
        header on, or, when the XML broke, from where it is read again (by the
        segment that replaces this one) or skipped (by the owner's skipper)."""
        base, before = self.fed, self.tail
        rest = self._track(data)
        head = data if rest is None else data[: max(0, len(data) - len(rest))]
        if rest is not None and len(rest) > len(data):
            # The new stream started in an earlier chunk, at the last "<" before this
            # one, where what is held starts: it goes with the rest.
            self.held = b""
        if self.careful:
            return self._feed_carefully(head, base, before, rest)
        window = self.window
        if window is not None:
            window += head
        if self._read(head):
            self._keep(window)
            return self._restart(rest)
        return self._read_again(window)

    def _restart(self, rest: bytes | None) -> bytes | None:
        """The bytes of a new stream (``rest``), if a restart may stand where it starts:
        right after an element that ends a STARTTLS or SASL negotiation
        (``_RESTART_AFTER``).  Anywhere else a new stream is an error that ends the
        capture, as it ends the stream on the wire."""
        if rest is None or self.last_tag in _RESTART_AFTER:
            return rest
        line, column = self.restart_where
        self.owner._stop(Problem(
            "error", "a new stream starts where the stream does not restart (it restarts "
            "only right after <proceed/> or <success/>, or, on the client's side, "
            "<starttls/>, <auth/> or <response/>)", self.line(line),
            self.column(line, column), None, "bad-format"))
        return None

    def _keep(self, window: bytes | None) -> None:
        """Keep the bytes from the next place to read again from."""
        if self.anchor is not None:
            point: int | None = self.anchor[0]
        else:
            point = self.starts[0][0] if self.starts else None
        if window is not None and point is not None:
            if self.header is None and self.first is not None:
                self.header = window[: self.first - self.window_at]
            window = window[point - self.window_at :]
            self.window_at = point
        if window is not None and len(window) > 2 * self.owner.limits.max_size + 2 * CHUNK_SIZE:
            window = None  # the reader refuses so much: nothing to recount
        self.window = window

    def _read_again(self, window: bytes | None) -> bytes | None:
        """The reader failed on this chunk: read it again carefully, from the last
        element handed over (quietly: the error may lie just after it), or the first."""
        if self.anchor is not None:
            index, where, quiet = self.anchor
        elif self.starts:
            index, where = self.starts[0]
            quiet = 0
        else:
            return self._failed(b"")
        header = self.header
        if header is None and window is not None and self.first is not None:
            header = window[: self.first - self.window_at]  # the first chunk broke
        if window is None or header is None or index < self.window_at:
            return self._failed(b"")
        line, column = where
        start_line = self.line(line)
        assert start_line is not None
        # The header goes on one line before the element, so that only that
        # line's columns need shifting.
        flat = header.replace(b"\r", b" ").replace(b"\n", b" ")
        shift = self.column(line, column) - 1 - _characters(flat)
        again = _Segment(self.owner, line_offset=start_line - 1, shift_line=1, shift=shift,
                         synthetic=self.synthetic, careful=True, quiet=quiet)
        again.feed(flat)
        again.header = header
        # It reads from an element's start, or (a log's first stanza was the problem)
        # from before the first.
        again._piece((1, _characters(flat) + 1), b"", between=self.anchor is not None
                     and not quiet)
        self.owner._segment = again
        return window[index - self.window_at :]

    def _feed_carefully(self, head: bytes, base: int, before: bytes,
                        rest: bytes | None) -> bytes | None:
        start = 0
        while self.cuts:
            index, (line, column), kind = self.cuts.popleft()
            offset = index - base
            if kind != _START:  # cut after the element's last tag
                if offset < start:
                    continue
                # expat ends an element where its end tag starts, and an empty one
                # (which has no child) just after its tag.
                just_before = (head[offset - 2 : offset] if offset >= 2
                               else (before[-2:] + head[:offset])[-2:])
                if kind == _END or just_before != b"/>":
                    last = _TAG.match(head, offset)
                    if last is None:
                        continue
                    tag = last[0]
                    newlines = tag.count(b"\n")
                    line += newlines
                    column = (1 if newlines else column) + _characters(
                        tag[tag.rfind(b"\n") + 1 :])
                    offset = last.end()
                if not self._read(head[start:offset]):
                    return self._failed(head[offset:])
                start = offset
                self._piece((line, column), b"", between=True)
                continue
            if offset > start:
                if not self._read(head[start:offset]):
                    return self._failed(head[offset:])
                start = offset
            # A start tag split across chunks began in the tail of the last one.
            self._piece((line, column), before[len(before) + offset :] if offset < 0 else b"",
                        between=False)
        if not self._read(head[start:]):
            return self._failed(b"")
        return self._restart(rest)

    def _piece(self, where: tuple[int, int], data: bytes, *, between: bool) -> None:
        """A new piece starts at ``where`` with ``data``: an element, or what is
        between two."""
        self.piece_start = where
        self.between = between
        if self.synthetic:
            self.piece = bytearray(data)

    def _read(self, data: bytes) -> bool:
        """Feed the reader; False when it found the XML broken (``self.error``)."""
        piece = self.piece
        if piece is not None:
            piece += data
            if len(piece) > 2 * self.owner.limits.max_size + CHUNK_SIZE:
                self.piece = None  # the reader has refused it by now anyway
        data, self.held = self.held + data, b""
        last = data.rfind(b"<")
        if (not self.synthetic and self.expat is not None and self.depth == 1
                and last >= 0 and b">" not in data[last:]
                and b"<?xml".startswith(data[last : last + 5])):
            # Maybe the XML declaration of a new stream, which the reader would refuse
            # before expat sees it whole and cuts the restart out: held back until then.
            data, self.held = data[:last], data[last:]
        try:
            for event in self.reader.feed(data):
                if isinstance(event, StreamClosed):
                    self.closed = True
        except ParseError as error:
            self.error = self._problem(error)
            return False
        return True

    def _failed(self, unread: bytes) -> bytes | None:
        """The reader failed: a capture stops there; a log goes on after the stanza."""
        assert self.error is not None
        owner = self.owner
        if not self.synthetic or self.piece is None or self.piece_start is None:
            owner._stop(self.error)
            return None
        line, column = self.piece_start
        start_line = self.line(line)
        assert start_line is not None
        where = (start_line, self.column(line, column))
        # Reading went on from here and broke at once: whatever the error said, the
        # element here is the broken one, and it has been reported.
        again = where == owner._resumed_at
        if not (again and self.error == owner._last_problem):
            owner._results.append(self.error)
        owner._last_problem = self.error
        # Between two elements the next one is the malformed one, unless the error
        # is about what lies between them (text, a comment).
        # (Text in the stream fails it before the element after the text arrives, so
        # it may show up as this element's error: it lies outside all the same.)
        outside = not again and (self.error.path == "/stream" or (self.between and (
            self.error.condition == "restricted-xml" and self.error.path is None)))
        owner._skip_from(*where, outside)
        return bytes(self.piece) + unread

    def _problem(self, error: ParseError, prefix: str = "") -> Problem:
        message = error.message
        if self.line_offset:
            # libxml2 names lines in its messages too, counted from this segment's start.
            message = _LINE_IN_MESSAGE.sub(
                lambda found: f"{found[1]}{int(found[2]) + self.line_offset}", message)
        line, column = self.line(error.line), None
        found = _COLUMN.search(message)
        if found is not None:
            message = message[: found.start()]
            if error.line is not None:
                column = self.column(error.line, int(found[1]))
        start = self.piece_start if self.careful else self.open_start
        if line is None and error.path == "/stream" and self.text_at is not None:
            line, column = self.line(self.text_at[0]), self.column(*self.text_at)
        elif start is not None and (line is None or line < start[0] + self.line_offset):
            # No line, or libxml2's capped one (it stops counting at 65535): the
            # start of the stanza being read, which expat placed.
            line, column = self.line(start[0]), self.column(*start)
        return Problem("error", prefix + message, line, column, error.path,
                       error.condition)

    def finish(self) -> Problem | None:
        """The input has ended: is anything left open?"""
        if self.expat is not None and self.depth >= 2 and self.open_start is not None:
            line, column = self.open_start
            return Problem("error", f"the input ends inside <{self.open_name}> (the stanza "
                           f"that starts on line {self.line(line)} is incomplete)",
                           self.line(line), self.column(line, column), None, "bad-format")
        if self.synthetic:
            # Close the made-up stream: whatever is still pending (a tag cut short)
            # shows up now.
            try:
                events = self.reader.feed(b"</stream:stream>")
            except ParseError as error:
                cut_short = error.condition == "not-well-formed"
                return self._problem(error, "the input ends with incomplete XML: "
                                     if cut_short else "")
            if any(isinstance(event, StreamClosed) for event in events):
                return None
            # Still inside a tag: an attribute value whose quote never closes.
            return Problem("error", "the input ends inside a tag (a quoted attribute value "
                           "that never closes?)", *self._last_start(), None, "bad-format")
        if not self.closed and not self.owner.cut_short:
            return Problem("warning", "the stream is not closed (no </stream:stream>); the "
                           "capture may have been cut short", *self._here())
        return None

    def unclosed(self) -> tuple[bytes, tuple[int, int]] | None:
        """The bytes of the element still open at the end, and where it starts."""
        if self.depth < 2 or self.expat is None:
            return None
        if self.careful:
            where = self.piece_start
            data = None if self.piece is None or self.between else bytes(self.piece)
        elif self.starts and self.window is not None:
            index, where = self.starts[0]
            data = self.window[index - self.window_at :]
        else:
            return None
        if data is None or where is None:
            return None
        line = self.line(where[0])
        assert line is not None
        return data, (line, self.column(*where))

    def _here(self) -> tuple[int | None, int | None]:
        """Where expat is (the end of what was read), if it still reads."""
        expat = self.expat
        if expat is None:
            return self._last_start()
        line = expat.CurrentLineNumber
        return self.line(line), self.column(line, expat.CurrentColumnNumber + 1)

    def _last_start(self) -> tuple[int | None, int | None]:
        """Where the last element expat saw starts (or the stanzas do)."""
        where = self.open_start or (None if self.anchor is None else self.anchor[1])
        if where is None:
            return None, None
        return self.line(where[0]), self.column(*where)


_COLUMN: Final = re.compile(r" \(column (\d+)\)$")
_LINE_IN_MESSAGE: Final = re.compile(r"(\w line )(\d+)\b")


class Placement:
    """Where a stanza, and any element inside it, is in the input."""

    __slots__ = ("_positions", "_segment", "index", "root")

    def __init__(self, segment: _Segment, root: etree._Element, index: int,
                 positions: list[tuple[int, int]] | None) -> None:
        self._segment = segment
        self._positions = positions
        self.root = root
        #: 1-based number of this top-level element in the input.
        self.index = index

    def line(self, line: int | None) -> int | None:
        """An input line for a line libxml2 recorded (``sourceline``)."""
        return self._segment.line(line)

    def locate(self, node: etree._Element) -> tuple[int | None, int | None]:
        """(line, column) where ``node``'s start tag begins; column None if unknown.

        expat's count is taken when libxml2's agrees with it, or when libxml2 has
        none (it stops counting lines at 65535).  Failing both, the stanza's start.
        """
        raw_line = line_of(node)
        positions = self._positions
        segment = self._segment
        if positions:
            index = 0 if node is self.root else next(
                (i for i, candidate in enumerate(self.root.iter(etree.Element))
                 if candidate is node), len(positions))
            if index < len(positions):
                line, column = positions[index]
                if raw_line is None or line == raw_line:
                    return segment.line(line), segment.column(line, column)
        if raw_line is None and node is not self.root:
            return self.locate(self.root)
        return segment.line(raw_line), None


_CONTINUATION: Final = bytes(range(0x80, 0xC0))  # UTF-8 bytes that start no character
_TAG: Final = re.compile(rb"<(/?)([^\s/>]*)(?:[^>'\"/]++|'[^']*+'|\"[^\"]*+\"|/(?!>))*+(/?)>")
_SPECIAL: Final = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"), (b"<!", b">"))


def _characters(data: bytes) -> int:
    """How many characters UTF-8 ``data`` holds."""
    return len(data.translate(None, _CONTINUATION))


class _Skipper:
    """Passes over a malformed stanza of a log, to where the next stanza starts.

    It reads tags only (quoted attribute values, comments, CDATA sections and
    processing instructions are stepped over), keeping the names of the open
    elements: an end tag closes the innermost open element of its name and every
    element inside it, an end tag that names no open element is ignored, so a
    missing or misspelt end tag does not hide where the stanza ends.  The stanza
    also ends at a start tag with its own name at the very start of a line (its end
    tag never came).  The next stanza is the first start tag after that, whatever
    lies between.  An end tag before any start tag is itself what broke: the next
    start tag is the next stanza.
    """

    def __init__(self, line: int, column: int, limit: int, *, done: bool = False) -> None:
        self.line = line  # where the next unread byte is
        self.column = column
        self.limit = limit  # a tag longer than this is not waited for
        self.carry = b""
        self.open: list[bytes] = []
        self.root: bytes | None = None  # the malformed stanza's name, once read
        self.done = done  # the malformed stanza has ended (or there is none)
        self.newline = False  # the last byte passed over was a newline

    def scan(self, data: bytes) -> tuple[bytes, int, int] | None:
        """The bytes from the next stanza's start on, with its line and column; None
        when ``data`` ends before it."""
        buf = self.carry + data
        pos = 0
        while True:
            lt = buf.find(b"<", pos)
            if lt < 0:
                self._pass(buf, len(buf))
                return None
            end, tag = self._token(buf, lt)
            if end < 0:  # incomplete: wait for more
                self._pass(buf, lt)
                return None
            if tag is not None and self._next_stanza(buf, lt, tag):
                self._pass(buf, lt)
                return buf[lt:], self.line, self.column
            pos = end

    def _token(self, buf: bytes, lt: int) -> tuple[int, re.Match[bytes] | None]:
        """(where the markup at ``lt`` ends, the tag if it is one); (-1, None) when
        the bytes end first."""
        if len(buf) - lt < len(b"<![CDATA[") and b">" not in buf[lt:]:
            return -1, None
        for opening, closing in _SPECIAL:
            if buf.startswith(opening, lt):
                end = buf.find(closing, lt + len(opening))
                return (-1, None) if end < 0 else (end + len(closing), None)
        tag = _TAG.match(buf, lt)
        if tag is not None:
            return tag.end(), tag
        if len(buf) - lt > self.limit:
            return lt + 1, None  # a stray "<" in text
        return -1, None

    def _next_stanza(self, buf: bytes, lt: int, tag: re.Match[bytes]) -> bool:
        closing, name, empty = tag[1], tag[2], tag[3]
        open_ = self.open
        if closing:
            if self.root is None:
                self.done = True  # an end tag before any start tag: it is what broke
            elif name in open_:
                del open_[len(open_) - 1 - open_[::-1].index(name) :]
                self.done = self.done or not open_
            return False
        if self.done:
            return True
        if self.root is None:
            self.root = name
        elif name == self.root and (buf[lt - 1 : lt] == b"\n" if lt else self.newline):
            return True
        if not empty:
            open_.append(name)
        elif not open_:
            self.done = True
        return False

    def _pass(self, buf: bytes, end: int) -> None:
        """Count the lines and columns of ``buf[:end]``; keep the rest for later."""
        passed = buf[:end]
        self.carry = buf[end:]
        newlines = passed.count(b"\n")
        if newlines:
            self.line += newlines
            self.column = 1 + _characters(passed[passed.rfind(b"\n") + 1 :])
        else:
            self.column += _characters(passed)
        if passed:
            self.newline = passed.endswith(b"\n")


_BOM: Final = b"\xef\xbb\xbf"
_WIDE_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_SPACE: Final = b" \t\r\n"
_NAME_END: Final = re.compile(rb"[\s/>]")


class StanzaSplitter(Generic[T]):
    """Sans-IO: the bytes of one input in, one result per top-level element out.

    ``handle(element, placement)`` is called for each stanza while it is still inside
    its stream (so its namespace declarations are in scope); what it returns comes
    out of :meth:`feed` and :meth:`close`, in order, together with :class:`Problem`
    reports.  After an error that ends the XML nothing more of a capture is read; a
    log goes on with its next stanza.

    :class:`InputError` is raised when the start of the input shows it is not XML at
    all: empty, binary (NUL bytes: UTF-16 or not text), or starting with something
    other than ``<``.

    ``resume`` reads the bytes as a piece of a bigger input (see :class:`Resume`):
    lines and columns are the whole input's, and the piece's first stanza is numbered
    1 (``validate --jobs`` checks the pieces of one input apart and renumbers them).
    """

    def __init__(self, handle: Callable[[etree._Element, Placement], T], *,
                 default_namespace: str = "jabber:client",
                 limits: Limits = DEFAULT_LIMITS, name: str = "the input",
                 resume: Resume | None = None) -> None:
        if not default_namespace or "'" in default_namespace or "<" in default_namespace:
            raise ValueError(f"unusable default namespace {default_namespace!r}")
        self._handle = handle
        self.limits = limits
        self.name = name
        self._header = (f"<stream:stream xmlns='{default_namespace}' "
                        f"xmlns:stream='{STREAM_NS}'>").encode()
        self._head: bytes | None = b""  # bytes held until the input is judged
        self._segment: _Segment | None = None
        self._results: list[T | Problem] = []
        self._count = 0
        self._stopped = False
        self._skipper: _Skipper | None = None  # passing over a malformed stanza
        self._resumed_at: tuple[int, int] | None = None  # where the last skipper stopped
        self._last_problem: Problem | None = None  # the last one a log's stanza had
        #: "capture" when the input starts with a stream header, "log" otherwise
        #: (a stanza file is a log of one).
        self.mode: Literal["log", "capture"] | None = None
        #: The input goes on after these bytes: a capture's stream may be left open.
        self.cut_short = resume is not None and resume.cut_short
        if resume is not None and not resume.starts_input:
            # A piece from a stanza's start, its earlier stanzas read elsewhere: a log
            # is read on as the skipper resumes one, a capture with its stream header.
            self._head = None
            if resume.header is None:
                self.mode = "log"
                self._resume(resume.line, 1)
            else:
                self.mode = "capture"
                self._header = resume.header.replace(b"\r", b" ").replace(b"\n", b" ")
                self._segment = _Segment(self, line_offset=resume.line - 1, shift_line=1,
                                         shift=-_characters(self._header))
                self._segment.begin(self._header)

    @property
    def stanzas(self) -> int:
        """How many top-level elements have been handed over so far."""
        return self._count

    def feed(self, data: bytes) -> list[T | Problem]:
        """Take the next bytes; return the results they complete."""
        if not self._stopped and data:
            if self._head is not None:
                self._judge(self._head + data, final=False)
            else:
                self._feed(data)
        return self._take()

    def close(self) -> list[T | Problem]:
        """The input has ended; return the last results."""
        if not self._stopped and self._head is not None:
            self._judge(self._head, final=True)
        while not self._stopped and self._skipper is None and self._segment is not None:
            segment = self._segment
            problem = segment.finish()
            if problem is None:
                break
            self._results.append(problem)
            # A log's stanza whose end tag never came: the stanzas after it may
            # still be found (see _Skipper).
            unclosed = segment.unclosed() if segment.synthetic else None
            if unclosed is None:
                break
            data, (line, column) = unclosed
            self._skip_from(line, column, False)
            self._feed(data)
        self._stopped = True
        return self._take()

    # -- internals --------------------------------------------------------------------

    def _stop(self, problem: Problem) -> None:
        self._results.append(problem)
        self._stopped = True

    def _take(self) -> list[T | Problem]:
        results, self._results = self._results, []
        return results

    def _skip_from(self, line: int, column: int, outside: bool) -> None:
        """A log's stanza starting at (line, column) is malformed: pass over it (or,
        ``outside`` any stanza, over what comes before the next)."""
        self._skipper = _Skipper(line, column, self.limits.max_size, done=outside)

    def _feed(self, data: bytes) -> None:
        """Feed the current segment, starting a new one at each stream restart and
        after each malformed stanza of a log."""
        while data and not self._stopped:
            skipper = self._skipper
            if skipper is not None:
                found = skipper.scan(data)
                if found is None:
                    return
                data, at_line, at_column = found
                self._skipper = None
                self._resumed_at = (at_line, at_column)
                self._resume(at_line, at_column)
                continue
            segment = self._segment
            assert segment is not None
            rest = segment.feed(data)
            if rest is None:
                return
            if self._skipper is not None or self._segment is not segment:
                data = rest  # skipped, or read again
                continue
            # A new stream header: the next stream starts there, placed where expat
            # saw it.
            raw_line, raw_column = segment.restart_where
            line = segment.line(raw_line)
            assert line is not None
            column = segment.column(raw_line, raw_column)
            self._segment = _Segment(self, line_offset=line - 1, shift_line=1,
                                     shift=column - 1)
            data = rest

    def _resume(self, line: int, column: int) -> None:
        """Go on with a log from a stanza that starts at (line, column): a new made-up
        stream, placed so that its first byte is there."""
        self._segment = _Segment(self, line_offset=line - 1, shift_line=1,
                                 shift=column - 1 - _characters(self._header), synthetic=True)
        self._segment.begin(self._header)

    def _judge(self, head: bytes, *, final: bool) -> None:
        """Once the first element's name is in, decide what the input is and start
        feeding it; until then keep the bytes."""
        self._head = head
        if b"\x00" in head[:4096] or head.startswith(_WIDE_BOMS):
            wide = head.startswith(_WIDE_BOMS) or head[:4].replace(b"\x00", b"") in (
                b"<", b"<?", b"<?x")
            raise InputError(self.name, "is a binary file" + (
                " (it looks like UTF-16 or UTF-32 text; XMPP allows only UTF-8)"
                if wide else ""))
        if not final and len(head) < 3 and _BOM.startswith(head):
            return
        # A byte order mark is fine in a file (XML 1.0 §4.3.3); it takes no column.
        text = head[3:] if head.startswith(_BOM) else head
        end = 0
        if text.startswith(b"<?xml"):
            if b"?>" not in text[:1024] and not final and len(text) <= 1024:
                return
            try:
                end = declaration_end(text, 0)
            except ParseError as error:
                self._head = None
                self._stop(Problem("error", error.message, 1, None, None, error.condition))
                return
        pos = end
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        if pos == len(text):
            if final:
                self._head = None
                raise InputError(self.name, "holds no XML element" if end else "is empty")
            return
        if text[pos] != 0x3C:  # "<"
            self._head = None
            try:
                text[:4096].decode("utf-8")
            except UnicodeDecodeError as error:
                if error.start < min(len(text), 4096) - 4:
                    raise InputError(self.name, "is a binary file (not UTF-8 text)") \
                        from None
            start = text[pos : pos + 24].decode("utf-8", "replace").split("\n")[0]
            raise InputError(self.name, f"does not hold XML (it starts with {start!r})")
        name_end = _NAME_END.search(text, pos + 1)
        if name_end is None and not final and len(text) - pos < 1024:
            return
        self._head = None
        name = text[pos + 1 : name_end.start() if name_end else len(text)]
        if name.rpartition(b":")[2] == b"stream":
            self.mode = "capture"
            self._segment = _Segment(self, line_offset=0, shift_line=0, shift=0)
            self._feed(text)
            return
        # A stanza file or log: the content of a made-up stream.  The declaration is
        # set aside (it was checked above); its lines are kept as blank lines.
        self.mode = "log"
        declaration = text[:end]
        newlines = declaration.count(b"\n")
        line_start = declaration.rfind(b"\n") + 1
        shift = (end - line_start) - (len(self._header) if newlines == 0 else 0)
        self._segment = _Segment(self, line_offset=0, shift_line=newlines + 1, shift=shift,
                                 synthetic=True)
        self._segment.begin(self._header + b"\n" * newlines)
        self._feed(text[end:])
