"""The xepcodec command: formats, exit codes, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from xepcodec.cli import main

GOOD = b"<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
BAD = b"<iq xmlns='jabber:client' type='get' id='p2'>\n<ping xmlns='urn:xmpp:ping'>x</ping></iq>"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    good, bad = tmp_path / "good.xml", tmp_path / "sub" / "bad.xml"
    bad.parent.mkdir()
    good.write_bytes(GOOD)
    bad.write_bytes(BAD)
    return good, bad


def test_exit_codes(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = files
    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(good), str(bad)]) == 1
    assert main(["validate", str(good.parent)]) == 1  # directories are walked
    assert main(["validate", str(good.parent / "missing.xml")]) == 2
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "missing.xml: no such file or directory" in err


def test_text_output_is_file_line_message(files: tuple[Path, Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, bad = files
    main(["validate", str(bad)])
    lines = capsys.readouterr().out.splitlines()
    assert re.match(rf"{re.escape(str(bad))}:2: error: .+ \(at /iq/ping\)$", lines[0])
    assert lines[-1] == "1 checked, 0 valid, 1 invalid"


def test_json_output_loads(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = files
    main(["validate", "--format", "json", str(good), str(bad)])
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    assert [f["valid"] for f in data["files"]] == [True, False]
    assert data["files"][1]["errors"][0]["line"] == 2


def test_junit_output_parses_and_counts(files: tuple[Path, Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = files
    main(["validate", "--format", "junit", str(good), str(bad)])
    suite = etree.fromstring(capsys.readouterr().out.encode())
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    assert len(suite.findall("testcase")) == 2
    assert len(suite.findall("testcase/failure")) == 1


def test_github_annotations(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, bad = files
    main(["validate", "--format", "github", str(bad)])
    lines = capsys.readouterr().out.splitlines()
    assert lines
    for line in lines:
        assert re.fullmatch(rf"::error file={re.escape(str(bad))},line=2::.+", line)


def test_an_empty_file_is_a_one_line_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    assert main(["validate", str(empty)]) == 2
    assert capsys.readouterr().err.strip() == f"xepcodec: {empty}: the file is empty"


def test_python_dash_m_reads_stdin() -> None:
    done = subprocess.run([sys.executable, "-m", "xepcodec", "validate", "-"], input=GOOD,
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert b"1 checked, 1 valid, 0 invalid" in done.stdout
