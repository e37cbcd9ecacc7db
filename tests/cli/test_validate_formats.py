"""Each report format, checked by parsing what it printed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from xepcodec.cli import main
from xepcodec.validation.checking import Finding
from xepcodec.validation.reports import github_line, summary_line, text_line

GOOD = b"<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
BAD = b"<iq xmlns='jabber:client' type='get' id='p2'>\n<ping xmlns='urn:xmpp:ping'>x</ping></iq>"
# A stanza log: five stanzas, the third and fifth invalid, an unknown namespace in the
# second and fourth (warned about once).
LOG = (b"<message id='m1'><body>one</body></message>\n"
       b"<message id='m2'><body>two</body><x xmlns='urn:example:own'/></message>\n"
       b"<presence id='p3'><priority>300</priority></presence>\n"
       b"<message id='m4'><x xmlns='urn:example:own'/></message>\n"
       b"<iq type='get' id='i5'/>\n")

# GitHub's workflow command syntax: ::LEVEL key=value,key=value::message, with ':' and
# ',' escaped in values and newlines escaped everywhere.
GITHUB = re.compile(r"::(error|warning|notice)"
                    r" file=[^,:\n]+(?:,line=\d+(?:,col=\d+)?)?(?:,title=[^,:\n]+)?::[^\n]+")
TEXT = re.compile(r"(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<level>error|warning): "
                  r"(?P<message>.+)")


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    paths = [tmp_path / "a-good.xml", tmp_path / "b-bad.xml", tmp_path / "c-log.xml",
             tmp_path / "d-empty.xml"]
    for path, data in zip(paths, [GOOD, BAD, LOG, b""], strict=True):
        path.write_bytes(data)
    return paths


def output(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["validate", *args])
    return status, capsys.readouterr().out


def test_text_is_file_line_column_message_then_a_summary(
        files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    status, out = output(capsys, *map(str, files[:3]))
    assert status == 1
    lines = out.splitlines()
    assert lines[-1] == "3 files, 7 stanzas: 4 valid, 3 invalid; 3 errors, 1 warning"
    found = [TEXT.fullmatch(line) for line in lines[:-1]]
    assert all(found), lines
    where = [(m["file"], int(m["line"]), int(m["col"]), m["level"]) for m in found if m]
    bad, log = str(files[1]), str(files[2])
    assert where == [
        (bad, 2, 1, "error"),
        (log, 2, 34, "warning"),  # <x xmlns='urn:example:own'/> in the second message
        (log, 3, 19, "error"),  # <priority>
        (log, 5, 1, "error"),  # the iq get without payload
    ]
    assert lines[1].endswith("(at /message/x)")
    assert lines[2].endswith("(at /presence/priority) [bad-request]")


def test_json_loads_and_its_counts_match(files: list[Path],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    status, out = output(capsys, "--format", "json", *map(str, files))
    assert status == 2  # the empty file
    report = json.loads(out)
    by_name = {Path(entry["file"]).name: entry for entry in report["files"]}
    assert list(by_name) == ["a-good.xml", "b-bad.xml", "c-log.xml", "d-empty.xml"]
    good, bad, log, empty = by_name.values()
    assert good == {"file": str(files[0]), "findings": [], "kind": "stanza", "error": None,
                    "stanzas": 1, "invalid_stanzas": 0, "errors": 0, "warnings": 0,
                    "valid": True}
    assert bad["valid"] is False and bad["errors"] == 1
    assert {f["line"] for f in bad["findings"]} == {2}
    assert log["kind"] == "log" and log["stanzas"] == 5 and log["invalid_stanzas"] == 2
    assert [f["stanza"] for f in log["findings"]] == [2, 3, 5]
    assert [f["severity"] for f in log["findings"]] == ["warning", "error", "error"]
    first = log["findings"][1]
    assert set(first) == {"severity", "message", "line", "column", "path", "namespace",
                          "condition", "stanza"}
    assert (first["path"], first["namespace"], first["condition"]) == (
        "/presence/priority", "jabber:client", "bad-request")
    assert empty["valid"] is False and empty["error"].endswith("is empty")
    summary = report["summary"]
    assert summary == {"files": 4, "invalid_files": 2, "unreadable_files": 1, "stanzas": 7,
                       "invalid_stanzas": 3, "errors": 3, "warnings": 1, "valid": False}
    assert summary["errors"] == sum(e["errors"] for e in report["files"])
    assert summary["errors"] == sum(f["severity"] == "error" for e in report["files"]
                                    for f in e["findings"])


def test_json_of_nothing_but_errors_still_loads(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    status, out = output(capsys, "--format", "json", str(tmp_path / "missing.xml"))
    assert status == 2
    report = json.loads(out)
    assert report["summary"]["unreadable_files"] == 1
    assert report["files"][0]["error"].endswith("no such file or directory")


def test_junit_parses_and_its_counts_match(files: list[Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    status, out = output(capsys, "--format", "junit", *map(str, files))
    assert status == 2
    root = etree.fromstring(out.encode())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [Path(s.get("name", "")).name for s in suites] == [p.name for p in files]
    for suite in [root, *suites]:
        cases = suite.findall(".//testcase")
        assert int(suite.get("tests", "")) == len(cases)
        assert int(suite.get("failures", "")) == len(suite.findall(".//testcase/failure"))
        assert int(suite.get("errors", "")) == len(suite.findall(".//testcase/error"))
    # One test case per stanza.
    assert [len(s.findall("testcase")) for s in suites] == [1, 1, 5, 1]
    log = suites[2]
    names = [case.get("name") for case in log.findall("testcase")]
    assert names[0] == "stanza 1: message id=m1 (line 1)"
    assert [case.find("failure") is not None for case in log.findall("testcase")] == [
        False, False, True, False, True]
    failure = log.findall("testcase")[2].find("failure")
    assert failure is not None and failure.get("type") == "bad-request"
    assert "c-log.xml:3:19: error:" in (failure.text or "")
    warned = log.findall("testcase")[1].find("system-out")
    assert warned is not None and "urn:example:own" in (warned.text or "")
    error = suites[3].find("testcase/error")
    assert error is not None and error.get("message", "").endswith("is empty")


def test_junit_reports_a_broken_stream_as_a_failing_case(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cut.xml"
    path.write_bytes(b"<message><body>a</body></message><message><body>cut")
    status, out = output(capsys, "--format", "junit", str(path))
    assert status == 1
    suite = etree.fromstring(out.encode()).find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert cases[1].get("name") == "input"
    assert "ends inside <message>" in (cases[1].find("failure").text or "")  # type: ignore[union-attr]


def test_github_lines_match_the_documented_syntax(files: list[Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["validate", "--format", "github", *map(str, files)])
    assert status == 2
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 5  # 3 errors, 1 warning, 1 unreadable file
    for line in lines:
        assert GITHUB.fullmatch(line), line
    assert lines[0].startswith(f"::error file={files[1]},line=2,col=1,title=xepcodec bad-request::")
    assert any(line.startswith("::warning ") for line in lines)
    assert lines[-1] == f"::error file={files[3]},title=xepcodec::{files[3]}: is empty"
    # The summary is for people reading the log: on standard error, not an annotation.
    assert captured.err.splitlines()[-1] == ("4 files, 7 stanzas: 4 valid, 3 invalid; "
                                             "3 errors, 1 warning; 1 file could not be read")


def test_github_escapes_what_would_end_a_command() -> None:
    finding = Finding("error", "50% off\nnext line", 3, 4, "/iq", None, "bad-request")
    line = github_line("dir,with:odd/na%me.xml", finding)
    assert line == ("::error file=dir%2Cwith%3Aodd/na%25me.xml,line=3,col=4,"
                    "title=xepcodec bad-request::50%25 off%0Anext line (at /iq)")
    assert "\n" not in line


def test_text_line_without_a_position_names_the_file_only() -> None:
    assert text_line("f.xml", Finding("warning", "the stream is not closed")) == (
        "f.xml: warning: the stream is not closed")
    assert text_line("f.xml", Finding("error", "m", 3, None, "/iq", None, "bad-request")) == (
        "f.xml:3:1: error: m (at /iq) [bad-request]")


def test_summary_line_counts_and_plurals() -> None:
    from xepcodec.validation.reports import Totals

    totals = Totals(files=1, stanzas=1, errors=1, warnings=2, unreadable=2)
    assert summary_line(totals) == ("1 file, 1 stanza: 1 valid, 0 invalid; 1 error, "
                                    "2 warnings; 2 files could not be read")


def test_the_report_goes_to_the_output_file(files: list[Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.xml"
    status = main(["validate", "-f", "junit", "-o", str(target), str(files[0])])
    assert status == 0
    assert capsys.readouterr().out == ""
    assert etree.parse(str(target)).getroot().get("tests") == "1"


def test_control_characters_in_messages_keep_junit_well_formed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A file name with a quote and an ampersand, and an error quoting odd text.
    path = tmp_path / 'q"u&ote.xml'
    path.write_bytes(b"<message><body>a</body><body>b\x01</body></message>")
    status, out = output(capsys, "--format", "junit", str(path))
    assert status == 1
    root = etree.fromstring(out.encode())
    assert root.find("testsuite").get("name") == str(path)  # type: ignore[union-attr]
