"""Tests for xepcodec.protocols.json_messaging (XEP-0432 Simple JSON Messaging).

The XML below is written for these tests, in the shape of the XEP's one example.
"""

from __future__ import annotations

import sys

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, through_the_wire, typed

import xepcodec
from xepcodec.core.stanzas import Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError, XepCodecError
from xepcodec.protocols.disco import Feature, Identity, InfoQuery
from xepcodec.protocols.json_containers import JsonContainer
from xepcodec.protocols.json_messaging import (
    NS_JSON_MESSAGING,
    JsonDatatypes,
    JsonPayload,
    JsonSchemaError,
    JsonSchemas,
    JsonSchemaUnavailableError,
    datatype_feature,
    json_message,
    json_values,
    peer_datatypes,
    read_json_payloads,
)

GAME = "urn:example:game"
CHAT = "urn:example:chat"


def _payload(datatype: str, json: str) -> str:
    return (f"<payload xmlns='{NS_JSON_MESSAGING}' datatype='{datatype}'>"
            f"<json xmlns='urn:xmpp:json:0'>{json}</json></payload>")


def _message(*payloads: str) -> Message:
    stanza = xepcodec.parse(
        "<message xmlns='jabber:client' from='gamer@game.example' to='mm.game.example' "
        f"id='m1'>{''.join(payloads)}</message>")
    assert isinstance(stanza, Message)
    return stanza


# -- the element ------------------------------------------------------------------------


def test_a_payload_names_its_datatype_and_keeps_its_json() -> None:
    text = '\n  {\n    "level": 11\n  }\n'
    read = typed(_payload(GAME, text))
    assert read == JsonPayload(datatype=GAME, json=JsonContainer(text=text))
    assert read.value == {"level": 11}
    assert xepcodec.serialize(read) == (
        f'<payload xmlns="{NS_JSON_MESSAGING}" datatype="{GAME}">'
        f'<json xmlns="urn:xmpp:json:0">{text}</json></payload>').encode()


@pytest.mark.parametrize(("xml", "words"), [
    (f"<payload xmlns='{NS_JSON_MESSAGING}'><json xmlns='urn:xmpp:json:0'>1</json></payload>",
     "datatype"),
    (_payload("game", "1"), "not a datatype"),
    (_payload("urn:example:a b", "1"), "not a datatype"),
    (f"<payload xmlns='{NS_JSON_MESSAGING}' datatype='{GAME}'/>", "<json/>"),
    (f"<payload xmlns='{NS_JSON_MESSAGING}' datatype='{GAME}'>"
     "<json xmlns='urn:xmpp:json:0'>1</json><json xmlns='urn:xmpp:json:0'>2</json></payload>",
     "json"),
    (f"<payload xmlns='{NS_JSON_MESSAGING}' datatype='{GAME}'>{{\"a\": 1}}</payload>",
     "text"),
    (_payload(GAME, '{"a": 1, "a": 1}'), "twice"),
])
def test_what_the_xep_does_not_allow_is_refused(xml: str, words: str) -> None:
    rejects(xml, words)


def test_the_schema_says_the_same(schema: etree.XMLSchema) -> None:
    assert schema_accepts(schema, _payload(GAME, "1"))
    assert not schema_accepts(schema, _payload("game", "1"))
    assert not schema_accepts(schema, f"<payload xmlns='{NS_JSON_MESSAGING}' datatype='{GAME}'/>")
    assert not schema_accepts(
        schema, f"<payload xmlns='{NS_JSON_MESSAGING}' datatype='{GAME}'>"
        "<other xmlns='urn:example:x'/></payload>")


def test_a_datatype_is_an_identifier_compared_whole() -> None:
    message = _message(_payload("urn:example:game", "1"), _payload("urn:example:game2", "2"),
                       _payload("URN:example:game", "3"))
    assert json_values(message, GAME) == (1,)
    assert set(read_json_payloads(message)) == {GAME, "urn:example:game2", "URN:example:game"}


# -- sending and reading ----------------------------------------------------------------


def test_json_message_sends_a_value_under_a_datatype() -> None:
    message = json_message("mm.game.example", GAME, {"level": 11}, id="m2",
                           type=MessageType.CHAT, body="a score")
    assert message.to == JID.parse("mm.game.example")
    assert message.body == "a score"
    assert message.find_all(JsonPayload) == (JsonPayload.of(GAME, {"level": 11}),)
    back = through_the_wire(message)
    assert json_values(back, GAME) == ({"level": 11},)


def test_json_message_refuses_what_it_cannot_send() -> None:
    with pytest.raises(ArgumentValueError, match="not a datatype"):
        json_message("a@example.org", "game", 1)
    with pytest.raises(ArgumentValueError):
        json_message("a@example.org", GAME, float("nan"))
    with pytest.raises(XepCodecError):
        json_message("@example.org", GAME, 1)


def test_a_message_s_values_are_read_by_datatype_in_order() -> None:
    message = _message(_payload(GAME, "[1]"), _payload(CHAT, '"hi"'), _payload(GAME, "[2]"),
                       "<body>hello</body>")
    assert dict(read_json_payloads(message)) == {GAME: ([1], [2]), CHAT: ("hi",)}
    assert json_values(message, GAME) == ([1], [2])
    assert json_values(message, "urn:example:other") == ()
    assert dict(read_json_payloads(_message("<body>hello</body>"))) == {}


def test_reading_takes_a_message() -> None:
    with pytest.raises(ArgumentTypeError, match="Message"):
        read_json_payloads(JsonPayload.of(GAME, 1))  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="datatype"):
        json_values(_message(), 1)  # type: ignore[arg-type]


# -- disco ------------------------------------------------------------------------------


def test_the_features_advertise_the_datatypes_a_caller_registers() -> None:
    empty = JsonDatatypes()
    registry = empty.with_datatypes(GAME, CHAT)
    assert empty.datatypes == frozenset()  # a registry never changes
    assert GAME in registry and GAME not in empty
    assert registry.features == (NS_JSON_MESSAGING, f"{NS_JSON_MESSAGING}#{CHAT}",
                                 f"{NS_JSON_MESSAGING}#{GAME}")
    assert datatype_feature(GAME) == "urn:xmpp:json-msg:0#urn:example:game"


def test_a_registry_takes_datatypes_only() -> None:
    with pytest.raises(ArgumentValueError, match="not a datatype"):
        JsonDatatypes().with_datatypes("game")
    with pytest.raises(ArgumentTypeError):
        JsonDatatypes({GAME})  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError):
        datatype_feature(3)  # type: ignore[arg-type]


def test_a_peer_s_datatypes_are_read_from_its_disco_answer() -> None:
    mine = JsonDatatypes().with_datatypes(GAME, CHAT)
    answer = InfoQuery(identities=(Identity(category="client", type="bot"),),
                       features=tuple(Feature(var=var) for var in mine.features))
    back = xepcodec.parse(xepcodec.serialize(answer))
    assert back.has_feature(NS_JSON_MESSAGING)
    assert peer_datatypes(back) == {GAME, CHAT}


def test_features_that_name_no_datatype_are_not_taken_for_one() -> None:
    answer = InfoQuery(identities=(Identity(category="client", type="bot"),),
                       features=(Feature(var=NS_JSON_MESSAGING),
                                 Feature(var=f"{NS_JSON_MESSAGING}#"),
                                 Feature(var=f"{NS_JSON_MESSAGING}#no-scheme"),
                                 Feature(var="urn:xmpp:json-msg:1#urn:example:x"),
                                 Feature(var=f"{NS_JSON_MESSAGING}#{GAME}")))
    assert peer_datatypes(answer) == {GAME}
    with pytest.raises(ArgumentTypeError):
        peer_datatypes(_message())  # type: ignore[arg-type]


# -- JSON Schema ------------------------------------------------------------------------

LEVEL = {"type": "object", "required": ["level"],
         "properties": {"level": {"type": "integer", "maximum": 10},
                        "a/b~c": {"type": "array", "items": {"type": "string"}}}}


def test_values_are_checked_against_their_datatype_s_schema() -> None:
    schemas = JsonSchemas({GAME: LEVEL})
    assert schemas.datatypes == {GAME}
    good = _message(_payload(GAME, '{"level": 3}'), _payload(CHAT, "[1, 2]"))
    assert schemas.errors(good) == ()
    schemas.check(good)
    bad = _message(_payload(CHAT, "1"), _payload(GAME, '{"level": 11, "a/b~c": ["x", 2]}'))
    errors = schemas.errors(bad)
    assert [(error.datatype, error.pointer) for error in errors] == [
        (GAME, "/a~1b~0c/1"), (GAME, "/level")]
    assert all(error.condition == "bad-request" for error in errors)
    assert errors[1].path == "/message/payload[2]"
    assert "11 is greater than the maximum of 10" in errors[1].message
    with pytest.raises(JsonSchemaError) as caught:
        schemas.check(bad)
    assert isinstance(caught.value, ParseError)
    assert caught.value.pointer == "/a~1b~0c/1"


def test_a_failure_at_the_root_has_the_empty_pointer() -> None:
    (error,) = JsonSchemas({GAME: LEVEL}).errors([JsonPayload.of(GAME, [1])])
    assert error.pointer == "" and error.path is None
    assert "at 'its root'" in error.message


def test_a_schema_that_is_none_is_refused_when_given() -> None:
    with pytest.raises(ArgumentValueError, match="JSON Schema of 'urn:example:game'"):
        JsonSchemas({GAME: {"type": 5}})
    with pytest.raises(ArgumentTypeError):
        JsonSchemas({GAME: [1]})  # type: ignore[dict-item]
    with pytest.raises(ArgumentValueError, match="not a datatype"):
        JsonSchemas({"game": {}})
    with pytest.raises(ArgumentTypeError):
        JsonSchemas({GAME: {}}).errors([1])  # type: ignore[list-item]


def test_without_jsonschema_the_error_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # an import of it now fails
    with pytest.raises(JsonSchemaUnavailableError, match=r"xepcodec\[json\]") as caught:
        JsonSchemas({GAME: LEVEL})
    assert isinstance(caught.value, XepCodecError)


def test_validate_refuses_bad_json_in_a_payload_as_parse_does() -> None:
    data = (f"<message xmlns='jabber:client' to='a@example.org'>"
            f"{_payload(GAME, '[NaN]')}</message>").encode()
    report = xepcodec.validate(data)
    assert [issue.condition for issue in report.errors] == ["bad-request"]
    assert report.errors[0].path == "/message/payload/json"
    with pytest.raises(ParseError, match="NaN"):
        xepcodec.parse(data)
