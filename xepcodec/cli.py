"""The ``xepcodec`` command (``python -m xepcodec`` is the same program).

::

    xepcodec validate [--format text|json|junit|github] [--strict] [--xep N]...
                      [--jobs N] [--schema-dir DIR]... [--include GLOB]...
                      [--exclude GLOB]... [--max-stanza-size BYTES]
                      [--json-schema DATATYPE=FILE]... [--output FILE] PATH...
    xepcodec schemas list [--format text|json]
    xepcodec schemas export DIR
    xepcodec explain PATH...
    xepcodec compliance [--role server|client] [--format text|json]
                        [--edition 1.0.1|0.0.1] FILE...

``validate`` exits 0 when everything is valid, 1 when something is not, and 2 for a
usage error or an input that cannot be read (missing, unreadable, empty, binary, not
XML), which is reported in one line naming the file; ``explain`` the same.
``compliance`` exits 0 when the entity meets the XEP-0423 Core suite at the Core level
for its role (as far as disco shows), 1 when it does not, and 2 the same way.  Every
error ends that way, never in a traceback.  docs/validate.md and docs/compliance.md have
the details.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any, Final

from lxml import etree

from xepcodec.errors import ParseError, XepCodecError
from xepcodec.validation.catalog import default_catalog, schema_dir
from xepcodec.validation.checking import (
    Checker,
    CheckOptions,
    FileSummary,
    Finding,
    schema_dir_warnings,
)
from xepcodec.validation.explain import explain_element
from xepcodec.validation.inputs import (
    DEFAULT_INCLUDE,
    InputError,
    Placement,
    Problem,
    Source,
    StanzaSplitter,
    discover,
    read_chunks,
    resolve_path,
)
from xepcodec.validation.pieces import (
    PIECE_SIZE,
    Merge,
    Piece,
    PieceResult,
    check_piece,
    cut,
    resume,
    stream_name,
)
from xepcodec.validation.reports import (
    FORMATS,
    Document,
    Sink,
    Totals,
    document,
    file_report,
    summary_line,
    text_line,
)
from xepcodec.xml import DEFAULT_LIMITS

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK: Final = 0
EXIT_INVALID: Final = 1
EXIT_USAGE: Final = 2
_EXIT_INTERRUPTED: Final = 130


class _UsageError(Exception):
    """Reported as ``xepcodec: MESSAGE``, exit status 2."""


def _error(message: str) -> None:
    print(f"xepcodec: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# validate: one input at a time, in this process


def _check(checker: Checker, source: Source, out: Sink, format_: str,
           progress: Callable[[int], None] | None) -> FileSummary:
    """Check one input, writing its part of the report; an unreadable input is
    recorded in the summary (and reported on standard error by the caller)."""
    check, events = checker.run(source, progress=progress)
    report = file_report(format_, out, source.name, time.time)
    with contextlib.suppress(InputError):  # recorded in check.summary
        for event in events:
            report.event(event)
    report.finish(check.summary)
    return check.summary


# ---------------------------------------------------------------------------------------
# validate --jobs N: inputs in parallel, in worker processes

_WORKER: Checker | None = None
_SPILL_LIMIT: Final = 1024 * 1024


def _start_worker(options: CheckOptions) -> None:
    global _WORKER
    _WORKER = Checker(options)


class _Spill:
    """A worker's part of the report: kept in memory while small, then in a file."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        self._parts: list[str] = []
        self._size = 0
        self._file: IO[str] | None = None

    def write(self, text: str) -> int:
        if self._file is not None:
            return self._file.write(text)
        self._parts.append(text)
        self._size += len(text)
        if self._size > _SPILL_LIMIT:
            self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in result()
                "w", encoding="utf-8", dir=self._folder, suffix=".part", delete=False)
            self._file.write("".join(self._parts))
            self._parts = []
        return len(text)

    def result(self) -> tuple[str, str | None]:
        """(text, None) or ("", the path of the file holding it)."""
        if self._file is None:
            return "".join(self._parts), None
        self._file.close()
        return "", self._file.name


def _work(source: Source, format_: str, folder: str) -> tuple[FileSummary, str, str | None]:
    assert _WORKER is not None
    spill = _Spill(folder)
    summary = _check(_WORKER, source, spill, format_, None)
    text, path = spill.result()
    return summary, text, path


def _parallel(checker: Checker, sources: list[Source], jobs: int, format_: str,
              doc: Document, record: Callable[[FileSummary], None],
              progress: Callable[[int], None] | None) -> None:
    """Check files in ``jobs`` processes; the report keeps the order of ``sources``.
    Standard input is read here, in its turn."""
    window = jobs * 4  # inputs in flight at most, so results do not pile up
    with tempfile.TemporaryDirectory(prefix="xepcodec-") as folder, ProcessPoolExecutor(
            jobs, mp_context=get_context("spawn"), initializer=_start_worker,
            initargs=(checker.options,)) as pool:
        pending: deque[tuple[Source, Future[tuple[FileSummary, str, str | None]] | None]] = (
            deque())
        queue = iter(sources)

        def fill() -> None:
            while len(pending) < window:
                source = next(queue, None)
                if source is None:
                    return
                pending.append((source, None if source.is_stdin
                                else pool.submit(_work, source, format_, folder)))

        try:
            fill()
            while pending:
                source, future = pending.popleft()
                out = doc.next_file()
                if future is None:
                    summary = _check(checker, source, out, format_, progress)
                else:
                    summary, text, path = future.result()
                    if path is None:
                        out.write(text)
                    else:
                        with open(path, encoding="utf-8") as part:
                            shutil.copyfileobj(part, out)
                        os.unlink(path)
                    if progress is not None:
                        progress(source.size or 0)
                record(summary)
                fill()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


# ---------------------------------------------------------------------------------------
# validate --jobs N with one big log: its pieces in parallel (xepcodec.validation.pieces)


def _splittable(source: Source) -> bytes | None:
    """For a file big enough to be worth cutting, that starts like a stanza log or a
    capture: b"" or the capture's stream element name (see ``stream_name``)."""
    if source.path is None or (source.size or 0) < 2 * PIECE_SIZE:
        return None
    try:
        with open(source.path, "rb") as handle:
            return stream_name(handle.read(1024))
    except OSError:
        return None  # reading it again says what is wrong


def _work_piece(source: Source, piece: Piece, capture: bool, keep_clean: bool) -> PieceResult:
    assert _WORKER is not None
    return check_piece(_WORKER, source, piece, capture=capture, keep_clean=keep_clean)


def _split(checker: Checker, source: Source, stream: bytes, jobs: int, format_: str,
           out: Sink, progress: Callable[[int], None] | None) -> FileSummary:
    """Check one log or capture (``stream``: its stream element's name) in pieces in
    ``jobs`` processes; the report is the one :func:`_check` writes.  From the first
    piece whose cut was not between two stanzas on, the input is read here in one go."""
    capture = bool(stream)
    try:
        pieces = list(cut(source, PIECE_SIZE, stream))
        # Every stream header a piece is read in must read back (else no cutting).
        if any(resume(source, piece, capture=capture) is None for piece in pieces):
            return _check(checker, source, out, format_, progress)
    except InputError:
        return _check(checker, source, out, format_, progress)
    report = file_report(format_, out, source.name, time.time)
    merge = Merge(source.name, capture=capture)
    rest: Piece | None = None
    window = jobs * 2  # pieces in flight at most: memory stays flat
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_start_worker,
                             initargs=(checker.options,)) as pool:
        pending: deque[tuple[Piece, Future[PieceResult]]] = deque()
        queue = iter(pieces)
        try:
            while True:
                while len(pending) < window and (piece := next(queue, None)) is not None:
                    pending.append((piece, pool.submit(_work_piece, source, piece, capture,
                                                       format_ == "junit")))
                if not pending:
                    break
                piece, future = pending.popleft()
                result = future.result()
                if not result.clean:
                    rest = piece
                    break
                for event in merge.add(result.events, result.stanzas):
                    report.event(event)
                if progress is not None:
                    progress((piece.stop or source.size or 0) - piece.start)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    if rest is None:
        report.finish(merge.finish())
        return merge.summary
    if rest.first:  # nothing reported yet: the whole input, as without --jobs
        return _check(checker, source, out, format_, progress)
    try:
        how = resume(source, Piece(rest.start, None, rest.line, rest.header_at),
                     capture=capture)
        if how is None:
            raise InputError(source.name, "changed while it was being read")
        check = checker.start(source.name, resume=how)
        for event in merge.add(check.events(read_chunks(source, start=rest.start))):
            report.event(event)
    except InputError as error:
        report.finish(merge.finish(str(error)))
        return merge.summary
    report.finish(merge.finish())
    return merge.summary


# ---------------------------------------------------------------------------------------
# validate: the command


def _progress_bar(sources: list[Source], enabled: bool) -> Any:
    """A tqdm bar on standard error, only when it is a terminal."""
    if not enabled or not sys.stderr.isatty():
        return None
    # Imported by name: the bar is only driven through its documented methods, and
    # tqdm ships no type information.
    tqdm = importlib.import_module("tqdm").tqdm
    sizes = [source.size for source in sources]
    total = None if any(size is None for size in sizes) else sum(s or 0 for s in sizes)
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                desc="xepcodec validate", file=sys.stderr, leave=False,
                dynamic_ncols=True, mininterval=0.25)


class _AroundBar:
    """Writes to the terminal without tearing the progress bar."""

    def __init__(self, out: Sink, bar: Any) -> None:
        self._out = out
        self._bar = bar

    def write(self, text: str) -> int:
        with self._bar.external_write_mode(file=sys.stdout):
            self._out.write(text)
            flush = getattr(self._out, "flush", None)
            if flush is not None:
                flush()
        return len(text)


def _validate(args: argparse.Namespace) -> int:
    options = CheckOptions(strict=args.strict, xeps=tuple(args.xep),
                           schema_dirs=tuple(args.schema_dir),
                           default_namespace=args.default_namespace,
                           max_stanza_size=args.max_stanza_size,
                           json_schemas=tuple(args.json_schema))
    try:
        checker = Checker(options)
    except XepCodecError as error:  # an unknown --xep, a schema that is none
        raise _UsageError(str(error)) from None
    for warning in schema_dir_warnings(options.schema_dirs):
        _error(f"warning: {warning}")
    excluded: set[str] = set()
    sources, missing = discover(args.paths, include=args.include or DEFAULT_INCLUDE,
                                exclude=args.exclude, excluded=excluded)
    for pattern in args.exclude:
        if pattern not in excluded:
            _error(f"warning: --exclude {pattern!r} matches nothing")
    for problem in missing:
        _error(str(problem))
    if args.output:
        try:
            stream: IO[str] = open(args.output, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise _UsageError(f"{args.output}: cannot be written "
                              f"({error.strerror or error})") from None
    else:
        stream = sys.stdout
    bar = _progress_bar(sources, not args.no_progress)
    out: Sink = _AroundBar(stream, bar) if bar is not None and stream.isatty() else stream
    totals = Totals()
    doc = document(args.format, out, time.time)

    def record(summary: FileSummary) -> None:
        totals.add(summary)
        if summary.input_error is not None:
            _error(summary.input_error)

    progress = None if bar is None else bar.update
    try:
        doc.begin()
        for problem in missing:  # in machine reports too, as inputs that failed
            summary = FileSummary(problem.name, input_error=str(problem))
            report = doc.file_report(doc.next_file(), summary.name)
            report.finish(summary)
            totals.add(summary)
        jobs = args.jobs or os.cpu_count() or 1
        files = sum(not source.is_stdin for source in sources)
        if jobs > 1 and files > 1:
            _parallel(checker, sources, min(jobs, files), args.format, doc, record, progress)
        else:
            for source in sources:
                cuttable = _splittable(source) if jobs > 1 else None
                if cuttable is not None:
                    record(_split(checker, source, cuttable, jobs, args.format,
                                  doc.next_file(), progress))
                else:
                    record(_check(checker, source, doc.next_file(), args.format, progress))
        doc.end(totals)
    finally:
        if bar is not None:
            bar.close()
        if stream is not sys.stdout:
            stream.close()
        else:
            stream.flush()
    if args.format == "github":
        print(summary_line(totals), file=sys.stderr)
    if missing or totals.unreadable:
        return EXIT_USAGE
    return EXIT_OK if totals.valid else EXIT_INVALID


# ---------------------------------------------------------------------------------------
# schemas


def _schemas_list(args: argparse.Namespace) -> int:
    entries = default_catalog().entries
    if args.format == "json":
        import json

        print(json.dumps([{"namespace": e.namespace, "file": e.path.name, "xep": e.xep,
                           "rfc": e.rfc, "title": e.title} for e in entries], indent=2))
        return EXIT_OK
    rows = [(e.namespace, e.path.name,
             f"XEP-{e.xep:04d}" if e.xep else f"RFC {e.rfc}" if e.rfc else "", e.title)
            for e in entries]
    header = ("NAMESPACE", "FILE", "SPEC", "TITLE")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
              + "  " + row[3])
    return EXIT_OK


def _schemas_export(args: argparse.Namespace) -> int:
    target = Path(args.directory)
    source = schema_dir()
    files = sorted(p for p in source.iterdir()
                   if p.is_file() and (p.suffix == ".xsd" or p.name == "catalog.json"))
    try:
        target.mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.copyfile(path, target / path.name)
    except OSError as error:
        raise _UsageError(f"{target}: cannot export the schemas there "
                          f"({error.strerror or error})") from None
    print(f"exported {len(files)} files to {target}; for example:\n"
          f"  xmllint --noout --schema {target / 'catalog.xsd'} stanza.xml")
    return EXIT_OK


# ---------------------------------------------------------------------------------------
# explain


def _explain(args: argparse.Namespace) -> int:
    """Explain every input, files and directories as ``validate`` takes them; inputs
    that cannot be read are one line each on standard error, and status 2."""
    sources, missing = discover(args.paths, include=args.include or DEFAULT_INCLUDE)
    for problem in missing:
        _error(str(problem))
    status = EXIT_USAGE if missing else EXIT_OK
    for number, source in enumerate(sources):
        if len(sources) > 1:
            print(("\n" if number else "") + f"==> {source.name} <==")
        result = _explain_one(source, args.default_namespace)
        status = max(status, result)
    return status


def _explain_one(source: Source, default_namespace: str) -> int:
    def show(element: etree._Element, place: Placement) -> tuple[bool, list[str]]:
        """(explained, the lines to print)."""
        try:
            return True, explain_element(element)
        except ParseError as error:
            node = resolve_path(element, error.path)
            line, column = place.locate(node if node is not None else element)
            finding = Finding("error", error.message, line, column, error.path, None,
                              error.condition, place.index)
            return False, [text_line(source.name, finding)]

    splitter: StanzaSplitter[tuple[bool, list[str]]] = StanzaSplitter(
        show, default_namespace=default_namespace, name=source.name)
    failed = False
    first = True

    def emit(results: list[tuple[bool, list[str]] | Problem]) -> None:
        nonlocal failed, first
        for result in results:
            if isinstance(result, Problem):
                failed = failed or result.severity == "error"
                print(text_line(source.name, Finding(result.severity, result.message,
                                                     result.line, result.column,
                                                     result.path, None, result.condition)))
                continue
            explained, lines = result
            failed = failed or not explained
            if not first:
                print()
            first = False
            print("\n".join(lines))

    try:
        for chunk in read_chunks(source):
            emit(splitter.feed(chunk))
        emit(splitter.close())
    except InputError as error:
        _error(str(error))
        return EXIT_USAGE
    return EXIT_INVALID if failed else EXIT_OK


# ---------------------------------------------------------------------------------------
# compliance


def _compliance(args: argparse.Namespace) -> int:
    """Report an entity's XEP-0423 compliance from its disco#info answers (and, if given,
    its stream features); status 0 when the Core suite is met at the Core level."""
    import json

    from xepcodec.api import parse
    from xepcodec.core.stanzas import Iq, IqType
    from xepcodec.errors import XepCodecError
    from xepcodec.protocols.compliance import Level, report
    from xepcodec.protocols.disco import InfoQuery
    from xepcodec.protocols.stream_features import StreamFeatures

    infos: list[InfoQuery] = []
    features: StreamFeatures | None = None
    for name in args.files:
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as error:
            raise _UsageError(f"{name}: cannot be read ({error.strerror or error})") from None
        try:
            read = parse(data)
        except XepCodecError as error:
            raise _UsageError(f"{name}: {error}") from None
        if isinstance(read, Iq) and read.type is IqType.RESULT:
            read = read.find(InfoQuery)
        if isinstance(read, StreamFeatures):
            if features is not None:
                raise _UsageError(f"{name}: a second <stream:features/>; give one")
            features = read
        elif isinstance(read, InfoQuery):
            infos.append(read)
        else:
            raise _UsageError(f"{name}: neither a disco#info result (an <iq type='result'/> "
                              "or its <query/>) nor <stream:features/>")
    if not infos:
        raise _UsageError("no disco#info result among the inputs")
    try:
        found = report(infos, role=args.role, suites=args.edition, stream_features=features)
    except XepCodecError as error:
        raise _UsageError(str(error)) from None
    if args.format == "json":
        print(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
    else:
        print(found.text(), end="")
    return EXIT_OK if found.level("Core", Level.CORE).met else EXIT_INVALID


# ---------------------------------------------------------------------------------------
# arguments


def _xep_number(text: str) -> int:
    digits = text.lower().removeprefix("xep-").removeprefix("xep")
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"not a XEP number: {text!r}")
    return int(digits)


def _jobs(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a number of jobs: {text!r}")
    return int(text)


def _size(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a number of bytes: {text!r}")
    return int(text)


def _json_schema(text: str) -> tuple[str, Any]:
    """``DATATYPE=FILE``: the datatype and the JSON Schema the file holds."""
    datatype, equals, name = text.rpartition("=")
    if not equals or not datatype or not name:
        raise argparse.ArgumentTypeError(f"not DATATYPE=FILE: {text!r}")
    try:
        with open(name, encoding="utf-8") as source:
            return datatype, json.load(source)
    except OSError as error:
        raise argparse.ArgumentTypeError(f"{name}: cannot be read "
                                         f"({error.strerror or error})") from None
    except ValueError as error:  # not UTF-8, or not JSON
        raise argparse.ArgumentTypeError(f"{name}: not a JSON document ({error})") from None


def _parser() -> argparse.ArgumentParser:
    from xepcodec import __version__

    parser = argparse.ArgumentParser(
        prog="xepcodec", description="Codecs, schemas and validation for XMPP extensions.")
    parser.add_argument("--version", action="version", version=f"xepcodec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "validate", help="validate stanza files, stanza logs and stream captures",
        description="Validate stanzas against the protocols' schemas and rules. Exit "
        "status: 0 all valid, 1 something invalid, 2 usage or input error.")
    check.set_defaults(run=_validate)
    check.add_argument("paths", nargs="+", metavar="PATH",
                       help="a file (one stanza, a stanza log or a stream capture), a "
                       "directory (walked for --include files), or - for standard input")
    check.add_argument("-f", "--format", choices=FORMATS, default="text",
                       help="report format (default: text)")
    check.add_argument("-o", "--output", metavar="FILE",
                       help="write the report to FILE instead of standard output")
    check.add_argument("--strict", action="store_true",
                       help="namespaces without a schema are errors, not warnings")
    check.add_argument("--xep", type=_xep_number, action="append", default=[], metavar="N",
                       help="check only this protocol (repeatable); the stanza envelope "
                       "is always checked, other namespaces are treated as unknown")
    check.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                       help="check N files, or the pieces of one big stanza log, in "
                       "parallel processes (0: one per CPU)")
    check.add_argument("--schema-dir", action="append", default=[], metavar="DIR",
                       help="a folder of your own XSDs (its catalog.json, or each XSD's "
                       "targetNamespace), merged into the catalog (repeatable)")
    check.add_argument("--include", action="append", default=[], metavar="GLOB",
                       help="files to take from directories (repeatable; default *.xml)")
    check.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                       help="files or folders to skip in directories (repeatable)")
    check.add_argument("--default-namespace", default="jabber:client", metavar="NS",
                       help="namespace of top-level elements written without one in "
                       "stanza files and logs (default: jabber:client)")
    check.add_argument("--max-stanza-size", type=_size, default=DEFAULT_LIMITS.max_size,
                       metavar="BYTES", help="refuse a stanza bigger than this "
                       f"(default: {DEFAULT_LIMITS.max_size}, the library's limit)")
    check.add_argument("--json-schema", type=_json_schema, action="append", default=[],
                       metavar="DATATYPE=FILE",
                       help="check the values of every XEP-0432 payload of DATATYPE "
                       "against the JSON Schema in FILE (repeatable; needs the jsonschema "
                       "package: pip install 'xepcodec[json]')")
    check.add_argument("--no-progress", action="store_true",
                       help="no progress bar, even on a terminal")

    schemas = commands.add_parser("schemas", help="list or export the shipped XSDs")
    actions = schemas.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the namespaces and their schemas")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(run=_schemas_list)
    export = actions.add_parser("export", help="copy the XSDs (and catalog.xsd) to DIR")
    export.add_argument("directory", metavar="DIR")
    export.set_defaults(run=_schemas_export)

    explain = commands.add_parser(
        "explain", help="show a stanza as a tree of typed elements and their protocols")
    explain.add_argument("paths", nargs="+", metavar="PATH",
                         help="a stanza file, log or capture, a directory (walked for "
                         "--include files, each explained in turn), or - for standard input")
    explain.add_argument("--include", action="append", default=[], metavar="GLOB",
                         help="files to take from directories (repeatable; default *.xml)")
    explain.add_argument("--default-namespace", default="jabber:client", metavar="NS")
    explain.set_defaults(run=_explain)

    compliance = commands.add_parser(
        "compliance", help="an entity's XEP-0423 compliance, from its disco#info answers",
        description="Hold disco#info answers (and stream features) against the XMPP "
        "Compliance Suites 2020 (XEP-0423). Exit status: 0 the Core suite is met at the "
        "Core level as far as disco shows, 1 it is not, 2 usage or input error.")
    compliance.add_argument(
        "files", nargs="+", metavar="FILE",
        help="a disco#info result (<iq type='result'/> or its <query/>): the entity's, "
        "and for a server also an account's and its services'; or the server's "
        "<stream:features/>; - for standard input")
    compliance.add_argument("--role", choices=("server", "client"), default="server",
                            help="whose compliance (default: server)")
    compliance.add_argument("--format", choices=("text", "json"), default="text")
    compliance.add_argument("--edition", choices=("1.0.1", "0.0.1"), default="1.0.1",
                            help="the XEP's version 1.0.1 (default) or the ProtoXEP 0.0.1")
    compliance.set_defaults(run=_compliance)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_OK
    try:
        status: int = args.run(args)
        return status
    except _UsageError as error:
        _error(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("interrupted")
        return _EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (| head): nothing more to say, and nowhere to say it.
        _drop_stdout()
        return EXIT_USAGE
    except OSError as error:
        # Inputs that cannot be read are reported where they are read: what is left
        # is the report that cannot be written (a full disk, /dev/full).
        if error.filename:
            _error(f"{error.filename}: {error.strerror or error}")
        else:
            target = getattr(args, "output", None) or "standard output"
            _error(f"{target}: cannot be written ({error.strerror or error})")
        _drop_stdout()
        return EXIT_USAGE


def _drop_stdout() -> None:
    """Send what is left for standard output nowhere, so that the interpreter's last
    flush at exit fails no more."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
