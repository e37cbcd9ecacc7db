"""``xepcodec compliance``: disco#info answers (iq or bare query) and stream features in,
an XEP-0423 report out, and the exit status the command documents."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from xepcodec.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main

ROOT = Path(__file__).resolve().parents[2]
CLIENT_IQ = b"""<iq xmlns='jabber:client' type='result' id='d1' from='juliet@example.org/pc'>
  <query xmlns='http://jabber.org/protocol/disco#info'>
    <identity category='client' type='pc'/>
    <feature var='http://jabber.org/protocol/disco#info'/>
    <feature var='http://jabber.org/protocol/caps'/>
    <feature var='http://jabber.org/protocol/muc'/>
  </query>
</iq>"""
SERVER_QUERY = b"""<query xmlns='http://jabber.org/protocol/disco#info'>
  <identity category='server' type='im'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='urn:xmpp:carbons:2'/>
</query>"""
FEATURES = b"""<stream:features xmlns:stream='http://etherx.jabber.org/streams'>
  <sm xmlns='urn:xmpp:sm:3'/>
</stream:features>"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


def test_a_client_with_caps_meets_the_core_suite(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "compliance", "--role", "client",
                           write(tmp_path, "client.xml", CLIENT_IQ))
    assert (status, err) == (EXIT_OK, "")
    assert out.startswith("XMPP Compliance Suites 2020 (XEP-0423 1.0.1) as a client\n")
    assert "Core suite, Core Client: met as far as disco shows" in out
    assert "IM suite, Advanced Client: NOT met" in out
    assert "MISSING           Chat States" in out


def test_without_caps_a_client_fails_it(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    no_caps = CLIENT_IQ.replace(b"<feature var='http://jabber.org/protocol/caps'/>", b"")
    status, out, _ = run(capsys, "compliance", "--role", "client",
                         write(tmp_path, "client.xml", no_caps))
    assert status == EXIT_INVALID
    assert "Core suite, Core Client: NOT met" in out


def test_several_answers_and_stream_features_pooled_as_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "compliance", "--format", "json",
                         write(tmp_path, "server.xml", SERVER_QUERY),
                         write(tmp_path, "features.xml", FEATURES),
                         str(ROOT / "examples" / "disco-info-result.xml"))
    assert status == EXIT_OK
    data = json.loads(out)
    assert (data["role"], data["edition"]) == ("server", "1.0.1")
    assert data["stream_features"] == ["urn:xmpp:sm:3"]
    assert "http://jabber.org/protocol/muc" in data["features"]
    statuses = {(level["category"], level["level"], r["name"]): r["status"]
                for level in data["levels"] for r in level["requirements"]}
    assert statuses["IM", "core", "Outbound Message Synchronization"] == "met"
    assert statuses["Mobile", "core", "Stream Management"] == "met"
    assert statuses["Mobile", "core", "Client State Indication"] == "missing"
    assert statuses["Core", "core", "TLS"] == "not discoverable"


def test_the_protoxep_edition(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "compliance", "--edition", "0.0.1", "--format", "json",
                         write(tmp_path, "server.xml", SERVER_QUERY))
    assert status == EXIT_OK
    data = json.loads(out)
    assert data["edition"] == "0.0.1"
    names = {r["name"] for level in data["levels"] for r in level["requirements"]}
    assert "Session Resumption" in names and "File Upload" not in names


def test_standard_input(capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(SERVER_QUERY)))
    status, out, _ = run(capsys, "compliance", "-")
    assert status == EXIT_OK and "as a server" in out


@pytest.mark.parametrize(("data", "message"), [
    (b"<iq xmlns='jabber:client' type='get' id='g1'>"
     b"<query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
     "neither a disco#info result"),
    (b"<query xmlns='http://jabber.org/protocol/disco#info'/>",
     "is not a disco#info result: a disco#info result must hold at least one <identity/>"),
    (b"<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
     "neither a disco#info result"),
    (b"<query xmlns='http://jabber.org/protocol/disco#info'><feature/></query>",
     "in.xml: "),
    (b"not xml", "in.xml: not well-formed"),
])
def test_inputs_that_are_no_answer_are_usage_errors(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, message: str) -> None:
    status, out, err = run(capsys, "compliance", write(tmp_path, "in.xml", data))
    assert status == EXIT_USAGE and out == ""
    assert err.startswith("xepcodec: ") and message in err
    assert len(err.splitlines()) == 1


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "compliance", str(tmp_path / "missing.xml"))
    assert status == EXIT_USAGE and "missing.xml: cannot be read" in err
    features = write(tmp_path, "features.xml", FEATURES)
    status, _, err = run(capsys, "compliance", features)
    assert status == EXIT_USAGE and "no disco#info result among the inputs" in err
    status, _, err = run(capsys, "compliance", write(tmp_path, "s.xml", SERVER_QUERY),
                         features, features)
    assert status == EXIT_USAGE and "a second <stream:features/>" in err
    status, _, err = run(capsys, "compliance", "--role", "bot", features)
    assert status == EXIT_USAGE and "invalid choice: 'bot'" in err
