"""What ``xepcodec validate`` reads: finding the files, and splitting each into stanzas.

Three shapes of input are told apart by their first element, never by their name:

* a **stanza** file: one top-level element (a stanza, or a payload on its own);
* a **stanza log**: many top-level elements one after the other, which is not a
  well-formed XML document but is what loggers and test fixtures write;
* a **stream capture**: ``<stream:stream ...>``, stanzas, ``</stream:stream>``, as
  seen on the wire, stream restarts (after STARTTLS or SASL) included.

All three go through :class:`~xepcodec.xml.stream.StreamReader`, so the restricted-XML
rules and the :class:`~xepcodec.xml.reader.Limits` hold for every stanza, and memory
stays flat however big the input is: each stanza is handed over and dropped as soon as
it is complete.  A stanza file or log is read as the content of a stream whose header
the splitter makes up (``<stream:stream xmlns='jabber:client' ...>`` by default), so a
stanza written without ``xmlns`` is read as it would be on a client stream.  The made-up
header sits on the first line and adds no line, and the columns reported on that line
are corrected for it.

libxml2 records the line of each element but not its column, so a second, cheap
parser (expat, which does) reads the same bytes and notes where every element of each
stanza starts.  If the two ever disagree, columns are left out rather than guessed.
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
from xepcodec.xml import DEFAULT_LIMITS, Limits, StreamClosed, StreamReader
from xepcodec.xml.paths import STREAM_NS, line_of, local_name
from xepcodec.xml.reader import declaration_end

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_INCLUDE",
    "STDIN_NAME",
    "InputError",
    "Placement",
    "Problem",
    "Source",
    "StanzaSplitter",
    "discover",
    "read_chunks",
    "resolve_path",
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


def _matches(relative: str, name: str, patterns: Sequence[str]) -> bool:
    """A glob matches the path relative to the directory walked, or, when it has no
    ``/``, the name alone.  ``*`` matches ``/`` too, so ``fixtures/*.xml`` reaches
    every depth below ``fixtures``."""
    return any(fnmatch.fnmatchcase(relative, pattern)
               or ("/" not in pattern and fnmatch.fnmatchcase(name, pattern))
               for pattern in patterns)


def _walk(top: Path, label: str, include: Sequence[str], exclude: Sequence[str],
          errors: list[InputError]) -> list[Source]:
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
                         and not _matches(relative_base + d, d, exclude))
        for name in sorted(files):
            relative = relative_base + name
            if not _matches(relative, name, include) or _matches(relative, name, exclude):
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
             exclude: Sequence[str] = ()) -> tuple[list[Source], list[InputError]]:
    """The inputs named by ``paths``, in order, and what could not be found.

    A path is a file (taken whatever its name), a directory (walked recursively for
    files matching ``include`` and not ``exclude``, hidden folders skipped), or ``-``
    for standard input.  A file reached twice is checked once.
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
            found = _walk(path, raw, include, exclude, errors)
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


def read_chunks(source: Source, size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The bytes of ``source`` in chunks; OSError becomes a one-line InputError."""
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
        while True:
            try:
                chunk = handle.read(size)
            except OSError as error:
                raise InputError(source.name, "cannot be read "
                                 f"({error.strerror or error})") from None
            if not chunk:
                return
            yield chunk


# ---------------------------------------------------------------------------------------
# Splitting one input into stanzas


@dataclass(frozen=True, slots=True)
class Problem:
    """Something about an input as a whole rather than one of its stanzas: its XML
    stops being readable (nothing after that point is checked), it ends inside a
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


class _Restart(Exception):
    """A new stream header inside the stream: a stream restart."""


class _Segment:
    """One stream of the input: a StreamReader and an expat parser fed the same bytes.

    Its coordinates map to the input's: ``line_offset`` lines were before it, and on
    its line ``shift_line`` its columns are ``shift`` off (a made-up header, an XML
    declaration that was set aside, or a restart in the middle of a line).
    """

    def __init__(self, owner: StanzaSplitter[Any], *, line_offset: int, shift_line: int,
                 shift: int, synthetic: bool = False) -> None:
        self.owner = owner
        self.synthetic = synthetic  # the stream header is made up (a stanza file or log)
        self.line_offset = line_offset
        self.shift_line = shift_line
        self.shift = shift
        self.reader = StreamReader(self._decode, limits=owner.limits)
        self.closed = False
        # Element starts, from expat: one list of (line, column) per top-level
        # element, in document order, until the reader has handed that element over.
        self.pending: deque[list[tuple[int, int]]] = deque()
        self.depth = 0
        self.open_start: tuple[int, int] | None = None  # where the open stanza began
        self.open_name = ""
        self.fed = 0
        self.restart_at: int | None = None
        self.restart_where = (1, 1)
        self.tail = b""  # what was fed since the last "<", to cut a restart out
        self.expat: pyexpat.XMLParserType | None = pyexpat.ParserCreate()
        expat = self.expat
        expat.StartElementHandler = self._start
        expat.EndElementHandler = self._end
        expat.StartDoctypeDeclHandler = self._doctype  # never expand a DTD's entities
        disable = getattr(expat, "SetReparseDeferralEnabled", None)
        if disable is not None:
            disable(False)  # every complete tag is reported at once

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
            self.pending.append([])
            self.open_start = where
            self.open_name = name.rpartition(":")[2]
        if self.depth >= 2:
            self.pending[-1].append(where)

    def _end(self, _name: str) -> None:
        self.depth -= 1

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
        except _Restart:
            self.expat = None
            assert self.restart_at is not None
            cut = self.restart_at - self.fed
            if cut >= 0:
                return data[cut:]
            # A start tag holds no "<", so the header began at the last "<" before
            # this chunk, which is where the tail starts.
            return self.tail[len(self.tail) + cut :] + data
        except Exception:
            # expat gave up where libxml2 may not have: no more columns for this
            # segment, the reader decides what is wrong.
            self.expat = None
            self.pending.clear()
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
        self.owner._count += 1
        place = Placement(self, element, self.owner._count, positions)
        self.owner._results.append(self.owner._handle(element, place))

    def feed(self, data: bytes) -> bytes | None:
        """Feed both parsers; return the bytes from a restart on, if one came."""
        rest = self._track(data)
        head = data if rest is None else data[: max(0, len(data) - len(rest))]
        try:
            for event in self.reader.feed(head):
                if isinstance(event, StreamClosed):
                    self.closed = True
        except ParseError as error:
            self.owner._stop(self._problem(error))
            return None
        return rest

    def _problem(self, error: ParseError, prefix: str = "") -> Problem:
        message = error.message
        column = None
        found = _COLUMN.search(message)
        if found is not None:
            message = message[: found.start()]
            if error.line is not None:
                column = self.column(error.line, int(found[1]))
        return Problem("error", prefix + message, self.line(error.line), column, error.path,
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
                self.reader.feed(b"</stream:stream>")
            except ParseError as error:
                cut_short = error.condition == "not-well-formed"
                return self._problem(error, "the input ends with incomplete XML: "
                                     if cut_short else "")
            return None
        if not self.closed:
            return Problem("warning", "the stream is not closed (no </stream:stream>); the "
                           "capture may have been cut short")
        return None


_COLUMN: Final = re.compile(r" \(column (\d+)\)$")


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
        """(line, column) where ``node``'s start tag begins; column None if unknown."""
        raw_line = line_of(node)
        positions = self._positions
        if positions and node is self.root:
            line, column = positions[0]
            if line == raw_line:
                return self._segment.line(line), self._segment.column(line, column)
        elif positions is not None:
            for index, candidate in enumerate(self.root.iter(etree.Element)):
                if candidate is node:
                    if index < len(positions) and positions[index][0] == raw_line:
                        line, column = positions[index]
                        return self._segment.line(line), self._segment.column(line, column)
                    break
        return self._segment.line(raw_line), None


_BOM: Final = b"\xef\xbb\xbf"
_WIDE_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_SPACE: Final = b" \t\r\n"
_NAME_END: Final = re.compile(rb"[\s/>]")


class StanzaSplitter(Generic[T]):
    """Sans-IO: the bytes of one input in, one result per top-level element out.

    ``handle(element, placement)`` is called for each stanza while it is still inside
    its stream (so its namespace declarations are in scope); what it returns comes
    out of :meth:`feed` and :meth:`close`, in order, together with :class:`Problem`
    reports.  After an error that ends the XML nothing more is read.

    :class:`InputError` is raised when the start of the input shows it is not XML at
    all: empty, binary (NUL bytes: UTF-16 or not text), or starting with something
    other than ``<``.
    """

    def __init__(self, handle: Callable[[etree._Element, Placement], T], *,
                 default_namespace: str = "jabber:client",
                 limits: Limits = DEFAULT_LIMITS, name: str = "the input") -> None:
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
        #: "capture" when the input starts with a stream header, "log" otherwise
        #: (a stanza file is a log of one).
        self.mode: Literal["log", "capture"] | None = None

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
        segment = self._segment
        if not self._stopped and segment is not None:
            problem = segment.finish()
            if problem is not None:
                self._results.append(problem)
        self._stopped = True
        return self._take()

    # -- internals --------------------------------------------------------------------

    def _stop(self, problem: Problem) -> None:
        self._results.append(problem)
        self._stopped = True

    def _take(self) -> list[T | Problem]:
        results, self._results = self._results, []
        return results

    def _feed(self, data: bytes) -> None:
        """Feed the current segment, starting a new one at each stream restart."""
        while data and not self._stopped:
            segment = self._segment
            assert segment is not None
            rest = segment.feed(data)
            if rest is None:
                return
            # A new stream header: the next stream starts there, placed where expat
            # saw it.
            raw_line, raw_column = segment.restart_where
            line = segment.line(raw_line)
            assert line is not None
            column = segment.column(raw_line, raw_column)
            self._segment = _Segment(self, line_offset=line - 1, shift_line=1,
                                     shift=column - 1)
            data = rest

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
        padding = self._header + b"\n" * newlines
        self._feed(padding)
        self._feed(text[end:])
