"""Checking whole inputs stanza by stanza: what ``xepcodec validate`` and the pytest
plugin run.

:class:`Checker` holds what a run was asked for (:class:`CheckOptions`: strictness, the
protocols selected with ``--xep``, the user's own schemas); :meth:`Checker.start` gives
a :class:`FileCheck` for one input, fed bytes and returning a :class:`StanzaOutcome` per
stanza and a :class:`Finding` for whatever concerns the input as a whole.  Each
stanza is validated with :func:`xepcodec.validation.validate` while it is still in its
stream; the findings get the input's line and column.

Rules of the report:

* A namespace without a schema is a warning, given once per input (the first stanza
  where it appears); with ``strict`` it is an error in every stanza it appears in.
* With a selection of protocols (``xeps``) only their namespaces are checked, besides
  the envelope every stanza needs (RFC 6120 stanzas and stanza errors, the XML
  namespace) and the user's own schemas; a namespace of another protocol is treated as
  one without a schema.
* Top-level elements of the stream namespace (``stream:features``,
  ``stream:error``) are part of a capture, not unknown: only what they carry is
  checked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from lxml import etree

from xepcodec.core.namespaces import COMPONENT, STANZA_NAMESPACES, STANZAS, XML
from xepcodec.errors import ParseError, SchemaError, UnknownProtocolError
from xepcodec.model import decode, registry
from xepcodec.protocols import MODULES
from xepcodec.validation.catalog import Catalog, default_catalog
from xepcodec.validation.inputs import (
    InputError,
    Placement,
    Problem,
    Resume,
    Source,
    StanzaSplitter,
    read_chunks,
    resolve_path,
)
from xepcodec.validation.validator import Issue, no_schema_message, validate_tree
from xepcodec.xml import DEFAULT_LIMITS
from xepcodec.xml.paths import STREAM_NS, line_of, local_name, path_of

if TYPE_CHECKING:
    from xepcodec.protocols.json_messaging import JsonSchemas

__all__ = [
    "CORE_NAMESPACES",
    "CheckOptions",
    "Checker",
    "FileCheck",
    "FileEvent",
    "FileSummary",
    "Finding",
    "StanzaOutcome",
    "check_bytes",
    "protocol_namespaces",
    "schema_dir_warnings",
]

#: The envelope: always checked, whatever protocols are selected.
CORE_NAMESPACES: Final = frozenset({XML, STANZAS, *STANZA_NAMESPACES, COMPONENT})

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong (or worth a warning), placed in its input."""

    severity: Severity
    message: str
    line: int | None = None
    column: int | None = None  # 1-based, in characters
    path: str | None = None
    namespace: str | None = None
    condition: str | None = None
    #: The 1-based number of the stanza it is about; None when about the input itself.
    stanza: int | None = None


@dataclass(frozen=True, slots=True)
class StanzaOutcome:
    """The verdict on one top-level element of an input."""

    index: int
    name: str  # local name: message, iq, presence, features...
    id: str | None
    line: int | None
    column: int | None
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


FileEvent = StanzaOutcome | Finding


@dataclass(slots=True)
class FileSummary:
    """Counts for one input, final once its check is closed."""

    name: str
    kind: str | None = None  # "stanza", "log" or "capture"
    stanzas: int = 0
    invalid: int = 0  # stanzas with errors
    errors: int = 0  # every error finding, the input's own included
    warnings: int = 0
    problems: int = 0  # errors about the input as a whole (its XML ends, is cut short)
    input_error: str | None = None  # the input could not be read at all

    @property
    def valid(self) -> bool:
        return self.input_error is None and self.invalid == 0 and self.problems == 0


def protocol_namespaces(number: int) -> frozenset[str]:
    """The namespaces of XEP ``number``: its schemas' and its module's element classes'."""
    catalog = default_catalog()
    found = {entry.namespace for entry in catalog.entries if entry.xep == number}
    module = MODULES.get(number)
    if module is not None:
        name = f"xepcodec.protocols.{module}"
        found.update(tag[1:].partition("}")[0] for tag, cls in registry.registered()
                     if cls.__module__ == name and tag.startswith("{"))
    if not found and module is None:
        known = sorted({*MODULES, *(e.xep for e in catalog.entries if e.xep is not None)})
        raise UnknownProtocolError(f"xepcodec knows no protocol XEP-{number:04d} (it knows "
                                   f"{', '.join(str(n) for n in known)})")
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What a run checks.  Plain data, so it travels to worker processes."""

    strict: bool = False
    xeps: tuple[int, ...] = ()
    schema_dirs: tuple[str, ...] = ()
    #: The namespace of top-level elements written without one (stanza files, logs).
    default_namespace: str = "jabber:client"
    #: Bytes one stanza may take; a bigger one is refused (``policy-violation``).
    max_stanza_size: int = DEFAULT_LIMITS.max_size
    #: JSON Schemas for XEP-0432 datatypes, as (datatype, schema) pairs with the schema
    #: decoded from JSON: every payload of such a datatype is checked against it.
    json_schemas: tuple[tuple[str, Any], ...] = ()


@functools.cache
def _catalog(xeps: tuple[int, ...],
             schema_dirs: tuple[str, ...]) -> tuple[Catalog, frozenset[str] | None]:
    """The catalog for a selection, and the namespaces checked (None: all of them)."""
    base = default_catalog()
    selected: frozenset[str] | None = None
    if xeps:
        chosen = set(CORE_NAMESPACES)
        for number in xeps:
            chosen |= protocol_namespaces(number)
        selected = frozenset(chosen)
        base = Catalog([entry for entry in base.entries if entry.namespace in selected])
    catalog = base
    if schema_dirs:
        for folder in schema_dirs:
            if not Path(folder).is_dir():
                raise SchemaError(f"{folder}: not a directory of XML schemas")
        shipped = default_catalog().namespaces
        own = Catalog([]).extended(Path(folder) for folder in schema_dirs)
        catalog = Catalog([*base.entries, *(entry for entry in own.entries
                                            if entry.namespace not in shipped)])
        if selected is not None:
            selected = selected | (catalog.namespaces - base.namespaces)
    try:
        catalog.libxml2()  # a schema that does not load is a usage error, found now
    except SchemaError as error:
        raise SchemaError(_broken_schema(catalog) or str(error)) from None
    return catalog, selected


def _broken_schema(catalog: Catalog) -> str | None:
    """``FILE:LINE: ...`` for the first schema file libxml2 refuses, if it says which."""
    try:
        etree.XMLSchema(etree.fromstring(catalog.combined_source()))
    except etree.XMLSchemaParseError as error:
        shown = {entry.path.resolve().as_uri(): entry.path for entry in catalog.entries}
        for entry in error.error_log:
            if entry.filename:
                name = shown.get(entry.filename) or entry.filename.removeprefix("file://")
                message = " ".join(entry.message.split())
                return f"{name}:{entry.line}: not a usable XML schema ({message})"
    return None


def schema_dir_warnings(folders: Iterable[str]) -> list[str]:
    """What is odd about a user's schema folders, one line each: a folder that adds
    no schema, and a schema for a namespace xepcodec ships one for (the shipped one
    is used, so that every run checks a protocol the same way)."""
    shipped = default_catalog().namespaces
    warnings = []
    for folder in folders:
        entries = Catalog([]).extended([Path(folder)]).entries
        if not entries:
            warnings.append(f"{folder}: holds no XML schema (no *.xsd with a targetNamespace, "
                            "no catalog.json); it adds nothing")
        warnings.extend(f"{entry.path}: its namespace {entry.namespace!r} has a schema "
                        "shipped with xepcodec, which is used instead"
                        for entry in entries if entry.namespace in shipped)
    return warnings


class Checker:
    """Validation as configured by :class:`CheckOptions`.

    Building it loads the schemas, so a user's schema that does not load raises
    :class:`~xepcodec.errors.SchemaError` here, and a ``--xep`` number xepcodec does
    not know raises :class:`~xepcodec.errors.UnknownProtocolError`.
    """

    def __init__(self, options: CheckOptions | None = None) -> None:
        self.options = options or CheckOptions()
        self.catalog, self.selected = _catalog(tuple(self.options.xeps),
                                               tuple(self.options.schema_dirs))
        self._all_known = default_catalog().namespaces | self.catalog.namespaces
        self.json_schemas: JsonSchemas | None = None
        if self.options.json_schemas:
            # Imported here: a run without JSON Schemas needs neither the protocol
            # nor the optional jsonschema package.
            from xepcodec.protocols.json_messaging import JsonSchemas

            self.json_schemas = JsonSchemas(dict(self.options.json_schemas))

    def start(self, name: str, *, resume: Resume | None = None) -> FileCheck:
        """A check of one input, to be fed its bytes; with ``resume``, of a piece of it
        (see :class:`~xepcodec.validation.inputs.Resume`)."""
        return FileCheck(self, name, resume=resume)

    def run(self, source: Source, *, progress: Callable[[int], None] | None = None
            ) -> tuple[FileCheck, Iterator[FileEvent]]:
        """Check ``source``: the FileCheck (its ``summary`` is final once the events are
        exhausted) and the events, read lazily; ``progress`` is told how many bytes
        each chunk had.  An unreadable input raises :class:`InputError` while the
        events are read."""
        check = self.start(source.name)
        return check, check.events(read_chunks(source), progress)


class FileCheck:
    """The check of one input: feed it bytes, then close it."""

    def __init__(self, checker: Checker, name: str, *,
                 resume: Resume | None = None) -> None:
        self.checker = checker
        self.summary = FileSummary(name)
        self._warned: set[tuple[str | None, str]] = set()
        # Namespaces without a schema whose warning this input has had (see _stanza).
        self._reported: set[str] = set()
        options = checker.options
        self._splitter: StanzaSplitter[StanzaOutcome] = StanzaSplitter(
            self._stanza, default_namespace=options.default_namespace, name=name,
            limits=replace(DEFAULT_LIMITS, max_size=options.max_stanza_size),
            resume=resume)

    # -- feeding ----------------------------------------------------------------------

    def feed(self, data: bytes) -> list[FileEvent]:
        return self._events(self._splitter.feed(data))

    def close(self) -> list[FileEvent]:
        events = self._events(self._splitter.close())
        summary = self.summary
        if self._splitter.mode == "capture":
            summary.kind = "capture"
        elif self._splitter.mode == "log":
            summary.kind = "stanza" if summary.stanzas == 1 else "log"
        return events

    def events(self, chunks: Iterable[bytes],
               progress: Callable[[int], None] | None = None) -> Iterator[FileEvent]:
        """Feed every chunk and close; InputError is recorded in the summary too."""
        try:
            for chunk in chunks:
                yield from self.feed(chunk)
                if progress is not None:
                    progress(len(chunk))
            yield from self.close()
        except InputError as error:
            self.summary.input_error = str(error)
            raise

    def _events(self, results: list[StanzaOutcome | Problem]) -> list[FileEvent]:
        events: list[FileEvent] = []
        summary = self.summary
        for result in results:
            if isinstance(result, StanzaOutcome):
                summary.stanzas += 1
                summary.invalid += not result.ok
                summary.errors += len(result.errors)
                summary.warnings += len(result.warnings)
                events.append(result)
                continue
            finding = Finding(result.severity, result.message, result.line, result.column,
                              result.path, None, result.condition)
            if result.severity == "error":
                summary.problems += 1
                summary.errors += 1
            else:
                summary.warnings += 1
            events.append(finding)
        return events

    # -- one stanza -------------------------------------------------------------------

    def _stanza(self, element: etree._Element, place: Placement) -> StanzaOutcome:
        checker = self.checker
        options = checker.options
        tag = str(element.tag)
        namespace = _namespace(tag)
        try:
            # Without strict, the warning for a namespace without a schema is given
            # once per input: later stanzas need not find and place it again.
            report = validate_tree(element, checker.catalog,
                                   reported=() if options.strict else self._reported)
            errors, warnings = list(report.errors), list(report.warnings)
        except Exception as error:  # a bug in xepcodec: reported, and the run goes on
            errors = [Issue(f"xepcodec failed while checking this stanza: {error!r}",
                            condition="internal-server-error")]
            warnings = []
        if checker.json_schemas is not None:
            errors += _json_schema_issues(checker.json_schemas, element)
        if namespace == STREAM_NS:
            # stream:features, stream:error: the capture's own elements.
            warnings = [issue for issue in warnings if issue.namespace != STREAM_NS]
            if registry.lookup(tag) is not None and not errors:
                try:
                    decode(element)
                except ParseError as error:
                    errors.append(Issue(error.message, error.path, error.line, STREAM_NS,
                                        error.condition))
        line, column = place.locate(element)
        index = place.index
        found_errors = []
        for issue in errors:
            finding = self._place(issue, "error", element, place)
            if checker.selected is None or finding.namespace is None or (
                    finding.namespace in checker.selected):
                found_errors.append(finding)
        found_warnings = []
        for issue in warnings:
            node = self._node(issue, element)
            reported_in = self._namespace_of(issue, node)
            message = issue.message
            if (checker.selected is not None and reported_in in checker._all_known
                    and reported_in not in checker.selected):
                # The catalog was cut to the selection, so this namespace went
                # unchecked.  Any other warning keeps its own words (a fault found
                # inside a payload of a namespace without a schema, say).
                message = (f"the namespace {reported_in!r} belongs to a protocol not "
                           "selected with --xep; its elements were not checked")
            if not options.strict:
                if reported_in is not None and reported_in == issue.namespace and (
                        issue.message == no_schema_message(reported_in)):
                    self._reported.add(reported_in)
                key = (reported_in, message)
                if key in self._warned:  # once per input is enough: not even placed
                    continue
                self._warned.add(key)
            finding = self._place(issue, "warning", element, place, node)
            if message is not issue.message:
                finding = _replace_message(finding, message)
            if options.strict:
                found_errors.append(_as_error(finding))
            else:
                found_warnings.append(finding)
        ident = element.get("id")
        return StanzaOutcome(index, local_name(tag), ident, line, column,
                             tuple(found_errors), tuple(found_warnings))

    @staticmethod
    def _node(issue: Issue, root: etree._Element) -> etree._Element | None:
        """The element a finding is about, when its path (or line) says."""
        node = resolve_path(root, issue.path)
        if node is None and issue.path is None and (issue.line is None
                                                     or issue.line == line_of(root)):
            node = root
        return node

    @staticmethod
    def _namespace_of(issue: Issue, node: etree._Element | None) -> str | None:
        """The namespace a finding is reported in: its element's, unless the issue
        names one and no path."""
        if node is not None and (issue.namespace is None or issue.path is not None):
            return _namespace(str(node.tag)) or None
        return issue.namespace

    def _place(self, issue: Issue, severity: Severity, root: etree._Element,
               place: Placement, node: etree._Element | None = None) -> Finding:
        if node is None:
            node = self._node(issue, root)
        if node is not None:
            line, column = place.locate(node)
        else:
            line, column = place.line(issue.line), None
        return Finding(severity, issue.message, line, column, issue.path,
                       self._namespace_of(issue, node), issue.condition, place.index)


def _json_schema_issues(schemas: JsonSchemas, element: etree._Element) -> list[Issue]:
    """What the XEP-0432 payloads in ``element`` break of their datatypes' JSON
    Schemas.  A payload that does not decode is left out: validate reported it."""
    from xepcodec.protocols.json_messaging import NS_JSON_MESSAGING

    issues = []
    for node in element.iter(f"{{{NS_JSON_MESSAGING}}}payload"):
        if node.get("datatype") not in schemas.datatypes:
            continue
        try:
            payload = decode(node)
        except ParseError:
            continue
        issues += [Issue(error.message, path_of(node), line_of(node), NS_JSON_MESSAGING,
                         error.condition) for error in schemas.errors([payload])]
    return issues


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _replace_message(finding: Finding, message: str) -> Finding:
    return Finding(finding.severity, message, finding.line, finding.column, finding.path,
                   finding.namespace, finding.condition, finding.stanza)


def _as_error(finding: Finding) -> Finding:
    return Finding("error", finding.message, finding.line, finding.column, finding.path,
                   finding.namespace, finding.condition or "bad-request", finding.stanza)


@dataclass(slots=True)
class CheckResult:
    """Everything found in one input held in memory (for small inputs: tests, the
    pytest helpers)."""

    summary: FileSummary
    stanzas: list[StanzaOutcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # about the input itself

    @property
    def ok(self) -> bool:
        return self.summary.valid

    def all_findings(self) -> list[Finding]:
        """Every finding, stanza by stanza and in order of position."""
        found = list(self.findings)
        for outcome in self.stanzas:
            found.extend(outcome.errors)
            found.extend(outcome.warnings)
        return sorted(found, key=lambda f: (f.line or 0, f.column or 0))


def check_bytes(data: bytes, options: CheckOptions | None = None, *,
                name: str = "<bytes>", checker: Checker | None = None) -> CheckResult:
    """Check an input held in memory; InputError if it is not XML at all."""
    checker = checker or Checker(options)
    check = checker.start(name)
    result = CheckResult(check.summary)
    for event in check.events([data]):
        if isinstance(event, StanzaOutcome):
            result.stanzas.append(event)
        else:
            result.findings.append(event)
    return result
