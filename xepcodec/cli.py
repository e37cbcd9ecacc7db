"""The ``xepcodec`` command: ``xepcodec validate [--format F] [--strict] PATH...``.

Exit status: 0 when everything is valid, 1 when something is not, 2 for a usage or
input/output error.  Each path is a file holding one stanza or payload, a directory
(its ``*.xml`` files, recursively), or ``-`` for standard input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from xepcodec.validation import Issue, ValidationReport, validate

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _InputError(Exception):
    """A path that cannot be read; reported in one line, exit status 2."""


@dataclass(frozen=True, slots=True)
class _Result:
    name: str
    report: ValidationReport


def _inputs(paths: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    for raw in paths:
        if raw == "-":
            yield "<stdin>", sys.stdin.buffer.read()
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.xml") if p.is_file())
        elif path.exists():
            files = [path]
        else:
            raise _InputError(f"{raw}: no such file or directory")
        for file in files:
            try:
                data = file.read_bytes()
            except OSError as error:
                raise _InputError(f"{file}: cannot be read ({error.strerror})") from None
            if not data.strip():
                raise _InputError(f"{file}: the file is empty")
            yield str(file), data


def _text(results: list[_Result]) -> str:
    lines = []
    for result in results:
        for issue in result.report.errors:
            lines.append(f"{result.name}:{issue.line or 0}: error: {_describe(issue)}")
        for issue in result.report.warnings:
            lines.append(f"{result.name}:{issue.line or 0}: warning: {_describe(issue)}")
    bad = sum(not r.report.ok for r in results)
    lines.append(f"{len(results)} checked, {len(results) - bad} valid, {bad} invalid")
    return "\n".join(lines)


def _describe(issue: Issue) -> str:
    return f"{issue.message} (at {issue.path})" if issue.path else issue.message


def _issue_json(issue: Issue) -> dict[str, object]:
    return {"message": issue.message, "path": issue.path, "line": issue.line,
            "namespace": issue.namespace, "condition": issue.condition}


def _json(results: list[_Result]) -> str:
    return json.dumps({
        "valid": all(r.report.ok for r in results),
        "files": [{"file": r.name, "valid": r.report.ok,
                   "errors": [_issue_json(i) for i in r.report.errors],
                   "warnings": [_issue_json(i) for i in r.report.warnings]}
                  for r in results],
    }, indent=2)


def _junit(results: list[_Result]) -> str:
    failures = sum(not r.report.ok for r in results)
    cases = []
    for result in results:
        name = quoteattr(result.name)
        if result.report.ok:
            cases.append(f"  <testcase classname=\"xepcodec.validate\" name={name}/>")
            continue
        body = escape("\n".join(str(issue) for issue in result.report.errors))
        message = quoteattr(result.report.errors[0].message)
        cases.append(f"  <testcase classname=\"xepcodec.validate\" name={name}>"
                     f"<failure message={message}>{body}</failure></testcase>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="xepcodec validate" '
            f'tests="{len(results)}" failures="{failures}" errors="0">\n'
            + "\n".join(cases) + "\n</testsuite>")


def _github(results: list[_Result]) -> str:
    def clean(text: str) -> str:  # workflow commands end at a newline; % must be escaped
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    lines = []
    for result in results:
        for level, issues in (("error", result.report.errors),
                              ("warning", result.report.warnings)):
            for issue in issues:
                lines.append(f"::{level} file={clean(result.name)},line={issue.line or 1}::"
                             f"{clean(_describe(issue))}")
    return "\n".join(lines)


_FORMATS = {"text": _text, "json": _json, "junit": _junit, "github": _github}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xepcodec",
                                     description="Codecs and validation for XMPP extensions.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("validate", help="validate stanza files against the schemas")
    check.add_argument("paths", nargs="+", metavar="PATH",
                       help="files, directories (their *.xml files) or - for stdin")
    check.add_argument("--format", choices=sorted(_FORMATS), default="text")
    check.add_argument("--strict", action="store_true",
                       help="namespaces without a schema are errors, not warnings")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_OK
    try:
        results = [_Result(name, validate(data, strict=args.strict))
                   for name, data in _inputs(args.paths)]
    except _InputError as error:
        print(f"xepcodec: {error}", file=sys.stderr)
        return EXIT_USAGE
    output = _FORMATS[args.format](results)
    if output:
        print(output)
    return EXIT_OK if all(r.report.ok for r in results) else EXIT_INVALID


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
