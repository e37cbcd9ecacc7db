"""The xepcodec command: exit codes for every case, and bad input told in one line.

Formats, inputs, options and the other subcommands have their own files in tests/cli/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from xepcodec.cli import main

GOOD = b"<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
BAD = b"<iq xmlns='jabber:client' type='get' id='p2'>\n<ping xmlns='urn:xmpp:ping'>x</ping></iq>"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "good.xml").write_bytes(GOOD)
    (tmp_path / "sub" / "bad.xml").write_bytes(BAD)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- exit codes ------------------------------------------------------------------------


def test_exit_0_when_everything_is_valid(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "validate", str(tree / "good.xml"))
    assert status == 0
    assert out.strip() == "1 file, 1 stanza: 1 valid, 0 invalid; 0 errors, 0 warnings"
    assert err == ""


def test_exit_1_when_something_is_invalid(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "validate", str(tree / "good.xml"), str(tree / "sub" / "bad.xml"))[0] == 1
    assert run(capsys, "validate", str(tree))[0] == 1  # directories are walked


def test_exit_1_for_malformed_xml_that_starts_like_xml(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # A stanza that is broken XML is a finding about the stanza, not bad tool input.
    path = tmp_path / "broken.xml"
    path.write_bytes(b"<message><body>hi</message>")
    status, out, _ = run(capsys, "validate", str(path))
    assert status == 1
    assert re.match(rf"{re.escape(str(path))}:1:\d+: error: not well-formed XML", out)


@pytest.mark.parametrize("argv", [
    ["frobnicate"],
    [],
    ["validate"],
    ["validate", "--format", "yaml", "x.xml"],
    ["validate", "--jobs", "many", "x.xml"],
    ["validate", "--xep", "thirty", "x.xml"],
    ["schemas"],
    ["schemas", "list", "--format", "csv"],
])
def test_exit_2_for_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert "usage: xepcodec" in err


def test_exit_0_for_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "validate", "--help")
    assert status == 0 and "--strict" in out and "--xep" in out and "--jobs" in out
    status, out, _ = run(capsys, "--version")
    assert status == 0 and out.startswith("xepcodec ")


def test_exit_2_for_an_unknown_protocol(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "validate", "--xep", "9999", str(tree / "good.xml"))
    assert status == 2
    assert err.startswith("xepcodec: xepcodec knows no protocol XEP-9999")


def test_exit_2_for_a_schema_dir_that_is_not_one(tree: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "validate", "--schema-dir", str(tree / "nowhere"),
                         str(tree / "good.xml"))
    assert status == 2
    assert err.strip() == f"xepcodec: {tree / 'nowhere'}: not a directory of XML schemas"


def test_exit_2_for_a_schema_that_does_not_load(tree: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    own = tree / "xsd"
    own.mkdir()
    (own / "broken.xsd").write_text(
        "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema' targetNamespace='urn:x'>"
        "<xs:element name='a' type='nosuchtype'/></xs:schema>")
    status, _, err = run(capsys, "validate", "--schema-dir", str(own), str(tree / "good.xml"))
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and "schema" in err


def test_exit_2_when_the_report_cannot_be_written(tree: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "validate", "-o", str(tree / "no" / "such" / "dir" / "r.xml"),
                         str(tree / "good.xml"))
    assert status == 2
    assert "cannot be written" in err


def test_an_io_error_outranks_an_invalid_stanza(tree: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "validate", str(tree / "sub" / "bad.xml"),
                           str(tree / "missing.xml"))
    assert status == 2
    assert "error: character data" in out  # the rest was still checked
    assert err.strip() == f"xepcodec: {tree / 'missing.xml'}: no such file or directory"


# -- bad input: one line naming the file, never a traceback ----------------------------

BAD_INPUTS = [
    ("empty.xml", b"", "is empty"),
    ("blank.xml", b" \n\t\n", "is empty"),
    ("image.xml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file"),
    ("utf16.xml", "<message/>".encode("utf-16"), "is a binary file (it looks like UTF-16"),
    ("latin1.bin", b"caf\xe9 \xff\xfe\xfd" * 10, "is a binary file (not UTF-8 text)"),
    ("notes.xml", b"hello, world\n<message/>", "does not hold XML (it starts with 'hello, world')"),
    ("json.xml", b'{"message": 1}', "does not hold XML"),
    ("declaration.xml", b"<?xml version='1.0'?>\n", "holds no XML element"),
]


@pytest.mark.parametrize(("name", "data", "problem"), BAD_INPUTS,
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_one_line_naming_the_file(tmp_path: Path, name: str, data: bytes,
                                               problem: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    status, out, err = run(capsys, "validate", str(path))
    assert status == 2
    (line,) = err.strip().splitlines()
    assert line.startswith(f"xepcodec: {path}: {problem}")
    assert "Traceback" not in out + err


def test_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "validate", str(tmp_path / "missing.xml"))
    assert status == 2
    assert err.strip() == f"xepcodec: {tmp_path / 'missing.xml'}: no such file or directory"


def test_a_directory_without_matching_files(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("not a fixture")
    status, _, err = run(capsys, "validate", str(tmp_path))
    assert status == 2
    assert err.strip() == f"xepcodec: {tmp_path}: no file in this directory matches *.xml"


def test_an_unreadable_directory(tree: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests may run as root, whom permissions do not stop: the refusal is simulated
    # where the walk asks the system.
    real = os.scandir
    locked = str(tree / "sub")

    def scandir(path: str) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    status, _, err = run(capsys, "validate", str(tree))
    assert status == 2
    assert err.strip() == f"xepcodec: {locked}: cannot read the directory (Permission denied)"


def test_an_unreadable_file(tree: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.open
    locked = tree / "good.xml"

    def fake_open(file: object, *args: object, **kwargs: object) -> object:
        if Path(str(file)) == locked:
            raise PermissionError(13, "Permission denied", str(file))
        return real(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", fake_open)
    status, _, err = run(capsys, "validate", str(locked))
    assert status == 2
    assert err.strip() == f"xepcodec: {locked}: cannot be read (Permission denied)"


def test_a_directory_named_like_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "looks.xml"
    folder.mkdir()
    (folder / "inner.xml").write_bytes(GOOD)
    assert run(capsys, "validate", str(folder))[0] == 0


# -- the program ------------------------------------------------------------------------


def test_python_dash_m_is_the_same_program_and_reads_stdin() -> None:
    done = subprocess.run([sys.executable, "-m", "xepcodec", "validate", "-"], input=GOOD,
                          capture_output=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().strip().endswith("1 stanza: 1 valid, 0 invalid; 0 errors, "
                                                 "0 warnings")
    done = subprocess.run([sys.executable, "-m", "xepcodec", "validate", "-"], input=BAD,
                          capture_output=True, check=False, cwd=ROOT)
    assert done.returncode == 1
    assert done.stdout.decode().startswith("<stdin>:2:1: error: ")
    done = subprocess.run([sys.executable, "-m", "xepcodec", "validate", "-"], input=b"",
                          capture_output=True, check=False, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.decode().strip() == "xepcodec: <stdin>: is empty"


def test_a_closed_pipe_is_not_a_traceback(tree: Path) -> None:
    many = tree / "many.xml"
    many.write_bytes(BAD * 2000)
    done = subprocess.run(f"'{sys.executable}' -m xepcodec validate '{many}' | head -1",
                          shell=True, capture_output=True, check=False, cwd=ROOT)
    assert done.stdout.count(b"\n") == 1
    assert b"Traceback" not in done.stderr
