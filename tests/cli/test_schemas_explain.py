"""``xepcodec schemas list|export`` and ``xepcodec explain``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from xepcodec.cli import main
from xepcodec.validation import default_catalog
from xepcodec.validation.explain import protocol_of, render

GOOD = b"<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
BAD = b"<iq xmlns='jabber:client' type='get' id='p2'>\n<ping xmlns='urn:xmpp:ping'>x</ping></iq>"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_schemas_list_names_every_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAMESPACE", "FILE", "SPEC", "TITLE"]
    entries = default_catalog().entries
    assert len(lines) == len(entries) + 1
    for entry, line in zip(entries, lines[1:], strict=True):
        assert line.split()[:2] == [entry.namespace, entry.path.name]
    assert any("XEP-0199" in line and "urn:xmpp:ping" in line for line in lines)


def test_schemas_list_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    namespaces = [entry.namespace for entry in default_catalog().entries]
    assert [item["namespace"] for item in listed] == namespaces
    assert {"namespace": "urn:xmpp:ping", "file": "ping.xsd", "xep": 199, "rfc": None,
            "title": "XMPP Ping"} in listed


def test_schemas_export_gives_a_folder_other_tools_validate_with(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "schemas"
    assert main(["schemas", "export", str(target)]) == 0
    assert "xmllint --noout --schema" in capsys.readouterr().out
    exported = {path.name for path in target.iterdir()}
    assert {"catalog.xsd", "catalog.json"} <= exported
    assert {entry.path.name for entry in default_catalog().entries} <= exported
    # The exported folder stands alone: libxml2 (what xmllint runs) loads it from there.
    schema = etree.XMLSchema(file=str(target / "catalog.xsd"))
    assert schema.validate(etree.fromstring(GOOD))
    assert not schema.validate(etree.fromstring(BAD))


@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint is not installed here")
def test_xmllint_uses_the_exported_schemas(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schemas", "export", str(tmp_path)]) == 0
    good, bad = tmp_path / "good.xml", tmp_path / "bad.xml"
    good.write_bytes(GOOD)
    bad.write_bytes(BAD)
    schema = str(tmp_path / "catalog.xsd")
    assert subprocess.run(["xmllint", "--noout", "--schema", schema, str(good)],
                          capture_output=True, check=False).returncode == 0
    assert subprocess.run(["xmllint", "--noout", "--schema", schema, str(bad)],
                          capture_output=True, check=False).returncode != 0


def test_schemas_export_to_a_place_that_cannot_be_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["schemas", "export", str(blocker / "sub")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"xepcodec: {blocker / 'sub'}: cannot export the schemas there")


# -- explain --------------------------------------------------------------------------------


def test_explain_shows_typed_elements_and_their_protocols(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(EXAMPLES / "disco-info-result.xml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'Iq <iq xmlns="jabber:client"> · RFC 6120: Client-to-server stanzas'
    assert "├── type = IqType.RESULT" in lines
    assert "├── id = 'disco-1'" in lines
    assert ('└── extensions[0]: InfoQuery <query xmlns="http://jabber.org/protocol/disco#info"> '
            "· XEP-0030: Service Discovery (info)") in lines
    assert "    ├── identities[0]: Identity <identity>" in lines
    assert any(line.endswith('Form <x xmlns="jabber:x:data"> · XEP-0004: Data Forms')
               for line in lines)
    assert any("values[0] = 'http://jabber.org/network/serverinfo'" in line for line in lines)


def test_explain_shows_raw_xml_as_raw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.xml"
    path.write_bytes(b"<message><body>hi</body><x xmlns='urn:example:own'/></message>\n"
                     b"<presence><show>away</show></presence>")
    assert main(["explain", str(path)]) == 0
    out = capsys.readouterr().out
    first, second = out.split("\n\n")
    assert first.splitlines() == [
        'Message <message xmlns="jabber:client"> · RFC 6120: Client-to-server stanzas',
        "├── bodies[0]: Body <body>",
        "│   └── text = 'hi'",
        '└── extensions[0]: raw XML (not typed) <x xmlns="urn:example:own"> · no protocol '
        "known to xepcodec",
    ]
    assert "show = Show.AWAY" in second


def test_explain_a_stanza_that_breaks_a_rule(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(BAD)
    assert main(["explain", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}:2:1: error: <ping/> holds no text")


def test_explain_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(tmp_path / "missing.xml")]) == 2
    assert capsys.readouterr().err.strip().endswith("missing.xml: no such file or directory")
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    assert main(["explain", str(empty)]) == 2
    assert capsys.readouterr().err.strip() == f"xepcodec: {empty}: is empty"


def test_protocol_labels() -> None:
    assert protocol_of("urn:xmpp:ping") == "XEP-0199: XMPP Ping"
    assert protocol_of("jabber:client") == "RFC 6120: Client-to-server stanzas"
    assert protocol_of("http://etherx.jabber.org/streams") == "RFC 6120: XML streams"
    assert protocol_of("urn:example:nothing") == "no protocol known to xepcodec"


def test_render_a_typed_object() -> None:
    from xepcodec.core.stanzas import Presence, PresenceType

    lines = render(Presence(type=PresenceType.UNAVAILABLE, priority=5))
    assert lines == ['Presence <presence xmlns="jabber:client"> · RFC 6120: Client-to-server '
                     "stanzas", "├── type = PresenceType.UNAVAILABLE", "└── priority = 5"]
