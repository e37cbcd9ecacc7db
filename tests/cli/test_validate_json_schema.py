"""``xepcodec validate --json-schema DATATYPE=FILE``: XEP-0432 payloads checked against
the caller's JSON Schemas, and a bad JSON text refused whatever the option."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xepcodec.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from xepcodec.validation.checking import CheckOptions, check_bytes

GAME = "urn:example:game"
SCHEMA = {"type": "object", "required": ["level"],
          "properties": {"level": {"type": "integer", "maximum": 10}}}


def _message(datatype: str, text: str) -> bytes:
    return ("<message to='mm.game.example'>\n"
            f"  <payload xmlns='urn:xmpp:json-msg:0' datatype='{datatype}'>"
            f"<json xmlns='urn:xmpp:json:0'>{text}</json></payload>\n"
            "</message>\n").encode()


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["validate", "--no-progress", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def schema(tmp_path: Path) -> str:
    return write(tmp_path, "game.json", json.dumps(SCHEMA).encode())


def test_a_value_breaking_its_schema_is_an_error_at_its_payload(
        tmp_path: Path, schema: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "score.xml", _message(GAME, '{"level": 11}'))
    status, out, _ = run(capsys, path)
    assert status == EXIT_OK  # without the option, only the JSON syntax is checked
    status, out, _ = run(capsys, "--json-schema", f"{GAME}={schema}", path)
    assert status == EXIT_INVALID
    assert (f"{path}:2:3: error: the '{GAME}' value breaks its JSON Schema at '/level': "
            "11 is greater than the maximum of 10") in out


def test_only_payloads_of_the_named_datatype_are_checked(
        tmp_path: Path, schema: str, capsys: pytest.CaptureFixture[str]) -> None:
    other = write(tmp_path, "other.xml", _message("urn:example:other", "[11]"))
    good = write(tmp_path, "good.xml", _message(GAME, '{"level": 10}'))
    status, out, _ = run(capsys, "--json-schema", f"{GAME}={schema}", other, good)
    assert status == EXIT_OK, out


def test_the_option_works_in_worker_processes_too(
        tmp_path: Path, schema: str, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path, "bad.xml", _message(GAME, '{"level": "high"}'))
    good = write(tmp_path, "good.xml", _message(GAME, '{"level": 1}'))
    status, out, _ = run(capsys, "--jobs", "2", "--json-schema", f"{GAME}={schema}",
                         bad, good)
    assert status == EXIT_INVALID
    assert f"{bad}:2:3: error: the '{GAME}' value breaks its JSON Schema at '/level'" in out
    assert f"{good}:" not in out


def test_bad_json_is_refused_with_or_without_the_option(
        tmp_path: Path, schema: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "dup.xml", _message(GAME, '{"level": 1, "level": 2}'))
    for options in ([], ["--json-schema", f"{GAME}={schema}"]):
        status, out, _ = run(capsys, *options, path)
        assert status == EXIT_INVALID
        assert "an object names the member 'level' twice (at /message/payload/json)" in out
        assert "JSON Schema" not in out  # a value that does not decode is not checked


@pytest.mark.parametrize(("argument", "words"), [
    ("urn:example:game", "not DATATYPE=FILE"),
    ("urn:example:game=missing.json", "missing.json: cannot be read"),
    ("urn:example:game=broken.json", "broken.json: not a JSON document"),
    ("urn:example:game=wrong.json", "JSON Schema of 'urn:example:game' is not one"),
    ("game=game.json", "'game' is not a datatype"),
])
def test_a_schema_that_cannot_be_used_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        argument: str, words: str) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "game.json", json.dumps(SCHEMA).encode())
    write(tmp_path, "broken.json", b"{")
    write(tmp_path, "wrong.json", b'{"type": 5}')
    path = write(tmp_path, "score.xml", _message(GAME, "{}"))
    status, out, err = run(capsys, "--json-schema", argument, path)
    assert status == EXIT_USAGE
    assert words in err
    assert out == ""


def test_check_options_carry_the_schemas() -> None:
    options = CheckOptions(json_schemas=((GAME, SCHEMA),))
    result = check_bytes(_message(GAME, '{"level": 12}'), options)
    assert not result.ok
    (finding,) = result.all_findings()
    assert finding.namespace == "urn:xmpp:json-msg:0"
    assert finding.condition == "bad-request"
    assert finding.line == 2
