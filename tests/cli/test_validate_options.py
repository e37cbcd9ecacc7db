"""The options of ``xepcodec validate``: --strict, --xep, --schema-dir, --jobs, the
progress bar."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from xepcodec.cli import main
from xepcodec.validation.checking import CheckOptions, check_bytes, protocol_namespaces

ROOT = Path(__file__).resolve().parents[2]
INFO = "http://jabber.org/protocol/disco#info"
# A disco#info result carrying a data form whose type is not one of the four.
DISCO_BAD_FORM = (f"<iq type='result' id='d1'><query xmlns='{INFO}'>"
                  "<identity category='client' type='pc'/>"
                  "<x xmlns='jabber:x:data' type='sideways'/></query></iq>").encode()
PING = b"<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
OWN = b"<message><thing xmlns='urn:example:own' size='big'/></message>"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["validate", "--no-progress", *args])
    return status, capsys.readouterr().out


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# -- --strict -----------------------------------------------------------------------------


def test_strict_turns_unknown_namespaces_into_errors(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "own.xml", OWN)
    status, out = run(capsys, path)
    assert status == 0
    assert f"{path}:1:10: warning: no schema is known for the namespace 'urn:example:own'" in out
    status, out = run(capsys, "--strict", path)
    assert status == 1
    assert f"{path}:1:10: error: no schema is known for the namespace 'urn:example:own'" in out


# -- --xep --------------------------------------------------------------------------------


def test_protocol_namespaces_come_from_schemas_and_modules() -> None:
    assert protocol_namespaces(30) == {INFO, "http://jabber.org/protocol/disco#items"}
    assert protocol_namespaces(128) == protocol_namespaces(30)  # served by the disco module
    assert protocol_namespaces(4) == {"jabber:x:data"}
    assert protocol_namespaces(199) == {"urn:xmpp:ping"}
    with pytest.raises(LookupError, match="XEP-0999"):
        protocol_namespaces(999)


def test_xep_checks_only_the_selected_protocols(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "disco.xml", DISCO_BAD_FORM)
    status, out = run(capsys, path)
    assert status == 1 and "type='sideways'" in out
    # Disco alone: the form belongs to XEP-0004, not selected, so not checked.
    status, out = run(capsys, "--xep", "30", path)
    assert status == 0
    assert ("warning: the namespace 'jabber:x:data' belongs to a protocol not selected with "
            "--xep; its elements were not checked") in out
    # ... and under --strict a protocol outside the selection is an error.
    assert run(capsys, "--xep", "30", "--strict", path)[0] == 1
    # Data forms selected: the bad form is found again.
    status, out = run(capsys, "--xep", "XEP-0030", "--xep", "0004", path)
    assert status == 1 and "type='sideways'" in out


def test_a_fault_inside_an_unknown_payload_keeps_its_words_unless_its_protocol_is_left_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "wrapped.xml", b"<message xmlns='jabber:client'><x xmlns="
                 b"'urn:example'><ping xmlns='urn:xmpp:ping' bogus='1'/></x></message>")
    own_words = "warning: 'bogus' attribute not allowed"
    for selection in ((), ("--xep", "199")):  # ping checked: the fault is said as found
        status, out = run(capsys, *selection, path)
        assert status == 0 and own_words in out and "not selected" not in out
    status, out = run(capsys, "--xep", "30", path)  # ping left out: unchecked, and said so
    assert status == 0 and own_words not in out
    assert "the namespace 'urn:xmpp:ping' belongs to a protocol not selected" in out


def test_xep_leaves_the_envelope_checked(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "ping.xml", PING.replace(b"'get'", b"'fetch'"))
    status, out = run(capsys, "--xep", "30", path)
    assert status == 1
    assert "type='fetch'" in out
    good = write(tmp_path, "good.xml", PING)
    status, out = run(capsys, "--xep", "30", "--strict", good)
    assert status == 1 and "urn:xmpp:ping" in out
    assert run(capsys, "--xep", "199", "--strict", good)[0] == 0


def test_xep_drops_model_findings_of_unselected_protocols() -> None:
    # The form's type is checked by the schema and by the model; neither may report it.
    result = check_bytes(DISCO_BAD_FORM, CheckOptions(xeps=(30,)))
    assert result.ok
    assert not check_bytes(DISCO_BAD_FORM, CheckOptions(xeps=(30, 4))).ok


# -- --schema-dir -------------------------------------------------------------------------

OWN_XSD = """<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'
    targetNamespace='urn:example:own' elementFormDefault='qualified'>
  <xs:element name='thing'>
    <xs:complexType>
      <xs:attribute name='size' use='required'>
        <xs:simpleType><xs:restriction base='xs:string'>
          <xs:enumeration value='small'/><xs:enumeration value='big'/>
        </xs:restriction></xs:simpleType>
      </xs:attribute>
    </xs:complexType>
  </xs:element>
</xs:schema>"""


def test_schema_dir_checks_the_users_own_namespace(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    schemas = tmp_path / "xsd"
    schemas.mkdir()
    (schemas / "own.xsd").write_text(OWN_XSD)
    good = write(tmp_path, "good.xml", OWN)
    bad = write(tmp_path, "bad.xml", OWN.replace(b"big", b"huge"))
    assert run(capsys, "--strict", good)[0] == 1  # no schema: unknown
    status, out = run(capsys, "--strict", "--schema-dir", str(schemas), good)
    assert status == 0, out
    status, out = run(capsys, "--schema-dir", str(schemas), bad)
    assert status == 1 and "huge" in out
    # The user's own namespace stays checked whatever protocols are selected.
    status, out = run(capsys, "--xep", "199", "--schema-dir", str(schemas), bad)
    assert status == 1 and "huge" in out


# -- --jobs ---------------------------------------------------------------------------------


@pytest.fixture
def many(tmp_path: Path) -> list[str]:
    paths = []
    for index in range(7):
        data = PING if index % 3 else DISCO_BAD_FORM + b"\n" + OWN
        paths.append(write(tmp_path, f"f{index}.xml", data))
    paths.append(write(tmp_path, "empty.xml", b""))
    return paths


@pytest.mark.parametrize("format_", ["text", "json", "junit", "github"])
def test_jobs_give_the_same_report_in_the_same_order(many: list[str], format_: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    single = main(["validate", "-f", format_, *many])
    one = capsys.readouterr()
    parallel = main(["validate", "-f", format_, "--jobs", "3", *many])
    three = capsys.readouterr()
    assert single == parallel == 2
    # The same, but for how long each part took (JUnit's times).
    untimed = re.compile(r' (?:time|timestamp)="[^"]*"')
    assert untimed.sub("", one.out) == untimed.sub("", three.out)
    assert one.err == three.err
    if format_ == "json":
        assert json.loads(three.out)["summary"]["files"] == 8


def test_jobs_zero_means_one_per_cpu_and_stdin_is_read_in_turn(many: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "xepcodec", "validate", "-j", "0", many[1],
                           "-", many[2]], input=DISCO_BAD_FORM, capture_output=True,
                          check=False, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith("<stdin>:1:")
    assert lines[-1].startswith("3 files, 3 stanzas: 2 valid, 1 invalid")


def test_a_huge_report_from_a_worker_spills_to_disk(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import xepcodec.cli

    monkeypatch.setattr(xepcodec.cli, "_SPILL_LIMIT", 100)
    spill = xepcodec.cli._Spill(str(tmp_path))
    for _ in range(50):
        spill.write("0123456789")
    text, path = spill.result()
    assert text == "" and path is not None
    assert Path(path).read_text() == "0123456789" * 50


# -- the progress bar ---------------------------------------------------------------------


def _run_on_a_terminal(args: list[str]) -> tuple[int, bytes, bytes]:
    """Run the command with standard error on a pseudo-terminal."""
    controller, terminal = pty.openpty()
    # A new pseudo-terminal is 0 columns wide, in which tqdm draws nothing.
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "xepcodec", *args], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL)
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the other side is closed
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    out = process.stdout.read() if process.stdout else b""
    status = process.wait()
    os.close(controller)
    return status, out, seen


def test_a_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    big = write(tmp_path, "big.xml", PING * 5000)
    status, out, terminal = _run_on_a_terminal(["validate", big])
    assert status == 0
    assert b"xepcodec validate" in terminal and b"B/s" in terminal  # tqdm drew its bar
    assert out.decode().strip().endswith("0 errors, 0 warnings")
    status, _, terminal = _run_on_a_terminal(["validate", "--no-progress", big])
    assert status == 0 and terminal == b""
    done = subprocess.run([sys.executable, "-m", "xepcodec", "validate", big], cwd=ROOT,
                          capture_output=True, check=False)
    assert done.returncode == 0 and done.stderr == b""  # not a terminal: no bar
