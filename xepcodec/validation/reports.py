"""The reports of ``xepcodec validate``: ``text``, ``json``, ``junit`` and ``github``.

Every format is written as the check goes, input by input, so that a capture of a
million stanzas is reported in constant memory: a :class:`Document` frames the report
and hands out, for each input in turn, the stream its :class:`FileReport` writes to.
Where a format needs counts before the content they count (JUnit's attributes), the
content goes to a temporary file that spills to disk, and is copied after.

The reports read no clock of their own: the command passes one in (:data:`Clock`),
so that the library stays free of clocks and its reports can be reproduced.

``text``
    ``FILE:LINE:COLUMN: error: MESSAGE (at PATH) [CONDITION]`` per finding, as
    compilers print, then one summary line.  The column is 1-based; it is 1 when only
    the line is known.  A finding about a whole input without a line is
    ``FILE: error: MESSAGE``.
``json``
    One object: ``files`` (one object per input: ``file``, ``findings``, ``kind``,
    counts, ``valid``, and ``error`` when it could not be read) and ``summary``.
``junit``
    ``<testsuites>`` with one ``<testsuite>`` per input and one ``<testcase>`` per
    stanza, failed with its errors; problems of the input as a whole are a test case
    named ``input``; an input that cannot be read is a test case with an ``<error>``.
    Given a clock, suites carry ``timestamp`` and ``time``, test cases ``time``.
``github``
    Workflow commands, one per finding:
    ``::error file=F,line=L,col=C,title=T::MESSAGE`` (``::warning`` for warnings).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Final, Protocol

from xepcodec.validation.checking import FileEvent, FileSummary, Finding, StanzaOutcome
from xepcodec.xml.writer import escape_attribute, escape_text

__all__ = [
    "FORMATS",
    "Clock",
    "Document",
    "FileReport",
    "Sink",
    "Totals",
    "describe",
    "document",
    "file_report",
    "github_line",
    "summary_line",
    "text_line",
]

FORMATS: Final = ("text", "json", "junit", "github")
_SPILL: Final = 4 * 1024 * 1024  # bytes a spooled part keeps in memory before disk

#: The time now in seconds since the epoch (``time.time``), read where a report needs it.
Clock = Callable[[], float]


class Sink(Protocol):
    """Where a report is written: anything with ``write(str)``."""

    def write(self, text: str, /) -> object: ...


@dataclass(slots=True)
class Totals:
    """Counts over every input of a run."""

    files: int = 0
    invalid_files: int = 0
    unreadable: int = 0
    stanzas: int = 0
    invalid_stanzas: int = 0
    errors: int = 0
    warnings: int = 0

    def add(self, summary: FileSummary) -> None:
        self.files += 1
        if summary.input_error is not None:
            self.unreadable += 1
        elif not summary.valid:
            self.invalid_files += 1
        self.stanzas += summary.stanzas
        self.invalid_stanzas += summary.invalid
        self.errors += summary.errors
        self.warnings += summary.warnings

    @property
    def valid(self) -> bool:
        return self.unreadable == 0 and self.invalid_files == 0


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def summary_line(totals: Totals) -> str:
    """``3 files, 12 stanzas: 11 valid, 1 invalid; 2 errors, 1 warning``."""
    line = (f"{_plural(totals.files, 'file')}, {_plural(totals.stanzas, 'stanza')}: "
            f"{totals.stanzas - totals.invalid_stanzas} valid, {totals.invalid_stanzas} "
            f"invalid; {_plural(totals.errors, 'error')}, "
            f"{_plural(totals.warnings, 'warning')}")
    if totals.unreadable:
        line += f"; {_plural(totals.unreadable, 'file')} could not be read"
    return line


def describe(finding: Finding) -> str:
    """The message with its path and condition: ``MESSAGE (at PATH) [CONDITION]``."""
    text = finding.message
    if finding.path:
        text += f" (at {finding.path})"
    if finding.condition:
        text += f" [{finding.condition}]"
    return text


def _findings(event: FileEvent) -> list[Finding]:
    if isinstance(event, StanzaOutcome):
        return [*event.errors, *event.warnings]
    return [event]


class FileReport(ABC):
    """The part of a report about one input."""

    def __init__(self, out: Sink, name: str, clock: Clock | None = None) -> None:
        self.out = out
        self.name = name
        self.clock = clock

    @abstractmethod
    def event(self, event: FileEvent) -> None:
        """A stanza checked, or a finding about the input."""

    @abstractmethod
    def finish(self, summary: FileSummary) -> None:
        """The input is done (read to its end, or found unreadable)."""


class Document:
    """A whole report: the frame around the inputs' parts."""

    def __init__(self, out: Sink, clock: Clock | None = None) -> None:
        self.out = out
        self.clock = clock

    def begin(self) -> None:
        """Before the first input."""

    def next_file(self) -> Sink:
        """Where the next input's part goes."""
        return self.out

    #: The class of the parts about each input.
    part: type[FileReport]

    def file_report(self, out: Sink, name: str) -> FileReport:
        """A part for one input, written to ``out`` (from :meth:`next_file`, or a
        worker's buffer copied there later)."""
        return self.part(out, name, self.clock)

    def end(self, totals: Totals) -> None:
        """After the last input."""


# ---------------------------------------------------------------------------------------
# text


def text_line(name: str, finding: Finding) -> str:
    """One compiler-style line for a finding in ``name``."""
    where = name if finding.line is None else f"{name}:{finding.line}:{finding.column or 1}"
    return f"{where}: {finding.severity}: {describe(finding)}"


class _TextFile(FileReport):
    def event(self, event: FileEvent) -> None:
        for finding in _findings(event):
            self.out.write(text_line(self.name, finding) + "\n")

    def finish(self, summary: FileSummary) -> None:
        pass  # an unreadable input is reported on standard error by the command


class _TextDocument(Document):
    part = _TextFile


    def end(self, totals: Totals) -> None:
        self.out.write(summary_line(totals) + "\n")


# ---------------------------------------------------------------------------------------
# github


def _command_value(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    """Escape a workflow command's property value."""
    return _command_value(text).replace(":", "%3A").replace(",", "%2C")


def github_line(name: str, finding: Finding) -> str:
    properties = [f"file={_command_property(name)}"]
    if finding.line is not None:
        properties.append(f"line={finding.line}")
        if finding.column is not None:
            properties.append(f"col={finding.column}")
    title = "xepcodec" + (f" {finding.condition}" if finding.condition else "")
    properties.append(f"title={_command_property(title)}")
    message = finding.message + (f" (at {finding.path})" if finding.path else "")
    return f"::{finding.severity} {','.join(properties)}::{_command_value(message)}"


class _GithubFile(FileReport):
    def event(self, event: FileEvent) -> None:
        for finding in _findings(event):
            self.out.write(github_line(self.name, finding) + "\n")

    def finish(self, summary: FileSummary) -> None:
        if summary.input_error is not None:
            self.out.write(github_line(self.name, Finding("error", summary.input_error)) + "\n")


class _GithubDocument(Document):
    part = _GithubFile



# ---------------------------------------------------------------------------------------
# json


def finding_json(finding: Finding) -> dict[str, object]:
    return {"severity": finding.severity, "message": finding.message, "line": finding.line,
            "column": finding.column, "path": finding.path, "namespace": finding.namespace,
            "condition": finding.condition, "stanza": finding.stanza}


class _JsonFile(FileReport):
    def __init__(self, out: Sink, name: str, clock: Clock | None = None) -> None:
        super().__init__(out, name, clock)
        self._started = False
        self._count = 0

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self.out.write(f'    {{"file": {json.dumps(self.name)}, "findings": [')

    def event(self, event: FileEvent) -> None:
        self._start()
        for finding in _findings(event):
            self.out.write(("," if self._count else "") + "\n      "
                           + json.dumps(finding_json(finding), ensure_ascii=False))
            self._count += 1

    def finish(self, summary: FileSummary) -> None:
        self._start()
        self.out.write(("\n    " if self._count else "") + "], ")
        rest = {"kind": summary.kind, "error": summary.input_error,
                "stanzas": summary.stanzas, "invalid_stanzas": summary.invalid,
                "errors": summary.errors, "warnings": summary.warnings,
                "valid": summary.valid}
        self.out.write(json.dumps(rest, ensure_ascii=False)[1:] + "")


class _JsonDocument(Document):
    part = _JsonFile

    def __init__(self, out: Sink, clock: Clock | None = None) -> None:
        super().__init__(out, clock)
        self._files = 0

    def begin(self) -> None:
        self.out.write('{\n  "tool": "xepcodec validate",\n  "files": [')

    def next_file(self) -> Sink:
        self.out.write(",\n" if self._files else "\n")
        self._files += 1
        return self.out


    def end(self, totals: Totals) -> None:
        summary = {"files": totals.files, "invalid_files": totals.invalid_files,
                   "unreadable_files": totals.unreadable, "stanzas": totals.stanzas,
                   "invalid_stanzas": totals.invalid_stanzas, "errors": totals.errors,
                   "warnings": totals.warnings, "valid": totals.valid}
        self.out.write(("\n  " if self._files else "") + "],\n  \"summary\": "
                       + json.dumps(summary) + "\n}\n")


# ---------------------------------------------------------------------------------------
# junit


def _spool() -> IO[str]:
    return tempfile.SpooledTemporaryFile(_SPILL, mode="w+", encoding="utf-8")


def _copy(part: IO[str], out: Sink) -> None:
    part.seek(0)
    shutil.copyfileobj(part, out)
    part.close()


def _xml_text(text: str) -> str:
    """Text safe in XML 1.0 (control characters a message might quote are dropped)."""
    return "".join(c for c in text if c in "\t\n\r" or " " <= c < "\ufffe")


def quoteattr(text: str) -> str:
    """An attribute value, always in double quotes (so no count can be faked by a
    file name), control characters dropped."""
    return '"' + escape_attribute(_xml_text(text)) + '"'


class _JunitFile(FileReport):
    def __init__(self, out: Sink, name: str, clock: Clock | None = None) -> None:
        super().__init__(out, name, clock)
        self._cases = _spool()
        self._tests = 0
        self._failures = 0
        self._problems: list[Finding] = []
        self._notes: list[Finding] = []
        # When the input's check began, and when its last test case ended.
        self._began = self._last = clock() if clock is not None else 0.0

    def _elapsed(self) -> str:
        """`` time="S"``: seconds since the last test case (the time to check this
        one, as the check runs while the report is written); empty without a clock."""
        if self.clock is None:
            return ""
        now = self.clock()
        elapsed, self._last = max(0.0, now - self._last), now
        return f' time="{elapsed:.3f}"'

    def _case(self, name: str, line: int | None, failures: list[Finding],
              notes: list[Finding]) -> None:
        self._tests += 1
        attributes = (f"classname={quoteattr(self.name)} "
                      f"name={quoteattr(name)} "
                      f"file={quoteattr(self.name)}"
                      + (f' line="{line}"' if line is not None else "") + self._elapsed())
        if not failures and not notes:
            self._cases.write(f"    <testcase {attributes}/>\n")
            return
        self._cases.write(f"    <testcase {attributes}>")
        if failures:
            self._failures += 1
            body = "\n".join(text_line(self.name, f) for f in failures)
            first = failures[0]
            self._cases.write(f"<failure message={quoteattr(first.message)} "
                              f"type={quoteattr(first.condition or 'invalid')}>"
                              f"{escape_text(_xml_text(body))}</failure>")
        if notes:
            body = "\n".join(text_line(self.name, f) for f in notes)
            self._cases.write(f"<system-out>{escape_text(_xml_text(body))}</system-out>")
        self._cases.write("</testcase>\n")

    def event(self, event: FileEvent) -> None:
        if isinstance(event, StanzaOutcome):
            label = f"stanza {event.index}: {event.name}"
            if event.id is not None:
                label += f" id={event.id}"
            if event.line is not None:
                label += f" (line {event.line})"
            self._case(label, event.line, list(event.errors), list(event.warnings))
        elif event.severity == "error":
            self._problems.append(event)
        else:
            self._notes.append(event)

    def finish(self, summary: FileSummary) -> None:
        errors = 0
        if summary.input_error is not None:
            self._tests += 1
            errors = 1
            self._cases.write(f"    <testcase classname={quoteattr(self.name)} "
                              f"name=\"read\"{self._elapsed()}><error message="
                              f"{quoteattr(summary.input_error)}/></testcase>\n")
        elif self._problems or self._notes:
            line = (self._problems or self._notes)[0].line
            self._case("input", line, self._problems, self._notes)
        timing = ""
        if self.clock is not None:
            # JUnit's timestamp is ISO 8601 without a time zone; it is UTC here.
            began = datetime.fromtimestamp(self._began, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            timing = (f' timestamp="{began}" '
                      f'time="{max(0.0, self.clock() - self._began):.3f}"')
        out = self.out
        out.write(f"  <testsuite name={quoteattr(self.name)} tests=\"{self._tests}\""
                  f" failures=\"{self._failures}\" errors=\"{errors}\" skipped=\"0\""
                  f"{timing}>\n")
        _copy(self._cases, out)
        out.write("  </testsuite>\n")


class _JunitDocument(Document):
    """The suites go to a spool first: the root's counts come before them."""

    part = _JunitFile

    def __init__(self, out: Sink, clock: Clock | None = None) -> None:
        super().__init__(out, clock)
        self._suites = _spool()

    def next_file(self) -> Sink:
        return self._suites


    def end(self, totals: Totals) -> None:
        # Recount from the suites written: every testcase and failure is in them.
        self._suites.seek(0)
        tests = failures = errors = 0
        seconds = 0.0
        for line in self._suites:
            if line.startswith("  <testsuite "):
                tests += int(_attribute(line, "tests"))
                failures += int(_attribute(line, "failures"))
                errors += int(_attribute(line, "errors"))
                if self.clock is not None:
                    seconds += float(_attribute(line, "time"))
        timing = "" if self.clock is None else f' time="{seconds:.3f}"'
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                       f'<testsuites name="xepcodec validate" tests="{tests}" '
                       f'failures="{failures}" errors="{errors}"{timing}>\n')
        _copy(self._suites, self.out)
        self.out.write("</testsuites>\n")


def _attribute(line: str, name: str) -> str:
    start = line.index(f' {name}="') + len(name) + 3
    return line[start : line.index('"', start)]


_DOCUMENTS: Final[dict[str, type[Document]]] = {
    "text": _TextDocument,
    "json": _JsonDocument,
    "junit": _JunitDocument,
    "github": _GithubDocument,
}


def document(format_: str, out: Sink, clock: Clock | None = None) -> Document:
    """The report writer for ``format_`` (one of :data:`FORMATS`); ``clock`` times the
    inputs and stanzas where the format records it."""
    try:
        return _DOCUMENTS[format_](out, clock)
    except KeyError:
        raise ValueError(f"unknown report format {format_!r}") from None


def file_report(format_: str, out: Sink, name: str, clock: Clock | None = None) -> FileReport:
    """The part of a ``format_`` report about the input ``name``, written to ``out``;
    the same as ``document(format_, ..., clock).file_report(out, name)``."""
    return _DOCUMENTS[format_].part(out, name, clock)
