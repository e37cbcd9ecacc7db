"""The command's odd cases: directories for explain, user schemas that break, shadow
or add nothing, excludes that match nothing, JUnit timing, and odd inputs that must
end in a status and one line naming the file, never a traceback."""

from __future__ import annotations

import io
import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from xepcodec.cli import main
from xepcodec.validation.checking import FileSummary, StanzaOutcome
from xepcodec.validation.reports import Totals, document

ROOT = Path(__file__).resolve().parents[2]
PING = b"<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
XS = "http://www.w3.org/2001/XMLSchema"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- explain takes paths as validate does -------------------------------------------------


def test_explain_a_directory_explains_each_file(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.xml").write_bytes(b"<message><body>hi</body></message>")
    (tmp_path / "sub" / "b.xml").write_bytes(PING)
    (tmp_path / "notes.txt").write_bytes(b"not taken")
    status, out, err = run(capsys, "explain", str(tmp_path))
    assert status == 0 and err == ""
    assert out.splitlines()[0] == f"==> {tmp_path / 'a.xml'} <=="
    assert f"==> {tmp_path / 'sub' / 'b.xml'} <==" in out.splitlines()
    assert "Message <message" in out and "Ping <ping" in out and "not taken" not in out


def test_explain_reports_every_unusable_path_and_explains_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.xml"
    good.write_bytes(PING)
    empty_dir = tmp_path / "nothing"
    empty_dir.mkdir()
    status, out, err = run(capsys, "explain", str(tmp_path / "missing.xml"), str(empty_dir),
                           str(good))
    assert status == 2
    assert err.splitlines() == [
        f"xepcodec: {tmp_path / 'missing.xml'}: no such file or directory",
        f"xepcodec: {empty_dir}: no file in this directory matches *.xml"]
    assert "Ping <ping" in out


# -- --schema-dir ---------------------------------------------------------------------------


def schema(namespace: str, body: str) -> str:
    return (f"<xs:schema xmlns:xs='{XS}' targetNamespace='{namespace}' "
            f"elementFormDefault='qualified'>{body}</xs:schema>")


def test_a_broken_schema_is_named_in_one_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "xsd"
    folder.mkdir()
    (folder / "fine.xsd").write_text(schema("urn:example:fine", "<xs:element name='a'/>"))
    (folder / "broken.xsd").write_text(schema("urn:example:broken",
                                              "<xs:element name='b' type='nothing'/>"))
    stanza = tmp_path / "s.xml"
    stanza.write_bytes(PING)
    status, out, err = run(capsys, "validate", "--schema-dir", str(folder), str(stanza))
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"xepcodec: {folder / 'broken.xsd'}:1: not a usable XML schema (")


def test_an_empty_schema_dir_is_warned_about(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "xsd"
    folder.mkdir()
    (folder / "README").write_text("schemas go here")
    stanza = tmp_path / "s.xml"
    stanza.write_bytes(PING)
    status, _, err = run(capsys, "validate", "--schema-dir", str(folder), str(stanza))
    assert status == 0
    assert err == (f"xepcodec: warning: {folder}: holds no XML schema (no *.xsd with a "
                   "targetNamespace, no catalog.json); it adds nothing\n")


def test_a_schema_for_a_shipped_namespace_is_warned_about_and_not_used(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "xsd"
    folder.mkdir()
    # This ping would need an attribute the real one does not have.
    (folder / "ping.xsd").write_text(schema("urn:xmpp:ping", (
        "<xs:element name='ping'><xs:complexType><xs:attribute name='must' "
        "use='required'/></xs:complexType></xs:element>")))
    stanza = tmp_path / "s.xml"
    stanza.write_bytes(PING)
    status, _, err = run(capsys, "validate", "--schema-dir", str(folder), str(stanza))
    assert status == 0  # the shipped schema checked it
    assert err == (f"xepcodec: warning: {folder / 'ping.xsd'}: its namespace 'urn:xmpp:ping' "
                   "has a schema shipped with xepcodec, which is used instead\n")


# -- --exclude ------------------------------------------------------------------------------


def test_an_exclude_that_matches_nothing_is_warned_about(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "x.xml").write_bytes(b"<message><body>hi</message>")
    (tmp_path / "a.xml").write_bytes(PING)
    status, _, err = run(capsys, "validate", "--exclude", "old", "--exclude", "*.bak",
                         "--exclude", "olds", str(tmp_path))
    assert status == 0  # old/ was left out
    assert err.splitlines() == ["xepcodec: warning: --exclude '*.bak' matches nothing",
                                "xepcodec: warning: --exclude 'olds' matches nothing"]


# -- JUnit timing ---------------------------------------------------------------------------


def test_junit_carries_the_time_it_is_given() -> None:
    ticks = itertools.count(1_790_000_000.0, 0.25)  # a quarter of a second per reading
    out = io.StringIO()
    doc = document("junit", out, lambda: next(ticks))
    doc.begin()
    report = doc.file_report(doc.next_file(), "log.xml")
    for index in (1, 2):
        report.event(StanzaOutcome(index, "message", None, index, 1))
    summary = FileSummary("log.xml", "log", stanzas=2)
    report.finish(summary)
    totals = Totals()
    totals.add(summary)
    doc.end(totals)
    root = etree.fromstring(out.getvalue().encode())
    suite = root.find("testsuite")
    assert suite is not None
    # UTC, written without a zone as JUnit has it.
    assert suite.get("timestamp") == "2026-09-21T14:13:20"
    assert suite.get("time") == "0.750"  # started, two cases, finished: three readings
    assert [case.get("time") for case in suite.iter("testcase")] == ["0.250", "0.250"]
    assert root.get("time") == "0.750"


def test_junit_without_a_clock_has_no_times() -> None:
    out = io.StringIO()
    doc = document("junit", out)
    doc.begin()
    report = doc.file_report(doc.next_file(), "a.xml")
    report.event(StanzaOutcome(1, "iq", "p1", 1, 1))
    report.finish(FileSummary("a.xml", "stanza", stanzas=1))
    doc.end(Totals())
    assert "time" not in out.getvalue()


def test_the_command_times_junit_reports(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(PING + b"\n" + PING.replace(b"p1", b"p2"))
    status, out, _ = run(capsys, "validate", "--format", "junit", str(path))
    assert status == 0
    root = etree.fromstring(out.encode())
    suite = root.find("testsuite")
    assert suite is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp", ""))
    times = [float(case.get("time", "")) for case in suite.iter("testcase")]
    assert len(times) == 2 and all(t >= 0 for t in times)
    assert float(suite.get("time", "")) >= 0


# -- odd inputs: a status and one line, never a traceback ----------------------------------


def test_odd_inputs_never_end_in_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "a.xml").write_bytes(PING)
    (folder / "b.xml").write_bytes(b"<presence/>")
    loop = tmp_path / "loop.xml"
    loop.symlink_to(loop)  # unreadable, even by root: the link leads to itself
    broken_xsd = tmp_path / "xsd"
    broken_xsd.mkdir()
    (broken_xsd / "bad.xsd").write_text(schema("urn:x", "<xs:element name='b' type='no'/>"))
    not_xml_xsd = tmp_path / "xsd2"
    not_xml_xsd.mkdir()
    (not_xml_xsd / "bad.xsd").write_text("<xs:schema")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(bytes(range(256)) * 4)
    zero = tmp_path / "zero.xml"
    zero.write_bytes(b"")
    cut = tmp_path / "cut.xml"
    cut.write_bytes(PING * 3 + PING[:30])
    stanza = tmp_path / "s.xml"
    stanza.write_bytes(PING)
    cases: list[tuple[list[str], int, Path]] = [
        (["explain", str(folder)], 0, folder),
        (["explain", str(loop)], 2, loop),
        (["validate", str(loop)], 2, loop),
        (["validate", "--schema-dir", str(broken_xsd), str(stanza)], 2, broken_xsd / "bad.xsd"),
        (["validate", "--schema-dir", str(not_xml_xsd), str(stanza)], 2,
         not_xml_xsd / "bad.xsd"),
        (["validate", str(empty_dir)], 2, empty_dir),
        (["explain", str(empty_dir)], 2, empty_dir),
        (["validate", str(garbage)], 2, garbage),
        (["explain", str(garbage)], 2, garbage),
        (["validate", str(zero)], 2, zero),
        (["explain", str(zero)], 2, zero),
        (["validate", str(cut)], 1, cut),
        (["explain", str(cut)], 1, cut),
        (["validate", "--format", "junit", str(garbage), str(cut)], 2, garbage),
    ]
    for argv, expected, named in cases:
        done = subprocess.run([sys.executable, "-m", "xepcodec", *argv], capture_output=True,
                              check=False, cwd=ROOT, text=True)
        assert "Traceback" not in done.stderr + done.stdout, argv
        assert done.returncode == expected, (argv, done.stderr)
        if expected == 2:
            lines = done.stderr.splitlines()
            assert len(lines) == 1 and str(named) in lines[0], (argv, done.stderr)
        elif expected == 1:  # the broken XML is a finding, placed in the file
            assert re.search(rf"^{re.escape(str(named))}:\d+:\d+: error: ", done.stdout,
                             re.M), argv


@pytest.mark.parametrize("argv", [["validate", "-"], ["explain", "-"], ["schemas", "list"],
                                  ["validate", "--output", "/dev/full", "-"]])
def test_a_report_that_cannot_be_written_is_one_line(argv: list[str]) -> None:
    # /dev/full refuses every write, as a full disk would.
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "xepcodec", *argv], input=PING,
                              stdout=full if "--output" not in argv else None,
                              stderr=subprocess.PIPE, check=False, cwd=ROOT)
    err = done.stderr.decode()
    assert "Traceback" not in err
    assert done.returncode == 2
    where = "/dev/full" if "--output" in argv else "standard output"
    assert err == f"xepcodec: {where}: cannot be written (No space left on device)\n"
