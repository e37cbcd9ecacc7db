"""Tests for xepcodec.protocols.json_containers (XEP-0335) and the strict JSON reader
behind it (xepcodec.datatypes.json_text).

The XML below is written for these tests.  Every refusal is checked to be the same in
parse, validate and a stream (one verdict), since the JSON rule is the model's, not the
schema's.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from lxml import etree
from payloads import rejects, schema_accepts, through_the_wire, typed
from test_one_verdict import disagreement

import xepcodec
from xepcodec.datatypes.json_text import (
    DEFAULT_JSON_LIMITS,
    JsonLimits,
    JsonTextError,
    dump_json,
    load_json,
)
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import encode
from xepcodec.protocols.json_containers import NS_JSON, JsonContainer
from xepcodec.testing.json_containers import json_containers, json_values


def _json(text: str) -> str:
    return f"<json xmlns='{NS_JSON}'>{text}</json>"


def _in_a_message(text: str) -> bytes:
    return (f"<message xmlns='jabber:client' to='a@example.org'><payload "
            f"xmlns='urn:xmpp:json-msg:0' datatype='urn:example:t'>{_json(text)}</payload>"
            "</message>").encode()


# -- keeping the text -------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    '{"a" : 1.0e0 }',
    '\n  { "name": "romeo", "age": "421" }\n  ',
    '[1E2, -0, 0.50, "\\u00e9", "é", "\\/"]',
    "true",
])
def test_the_text_is_written_back_exactly_as_received(text: str) -> None:
    read = typed(_json(text))
    assert read.text == text
    assert encode(read) == f'<json xmlns="{NS_JSON}">{text}</json>'.encode()


def test_the_value_is_what_the_text_spells() -> None:
    read = typed(_json('{"a" : 1.0e0, "b": [null, true, "\\ud83d\\ude00"] }'))
    assert read.value == {"a": 1.0, "b": [None, True, "\U0001f600"]}


def test_each_access_gives_a_value_of_its_own() -> None:
    read = typed(_json('{"list": [1]}'))
    first = read.value
    first["list"].append(2)
    assert read.value == {"list": [1]}


def test_of_writes_canonically() -> None:
    made = JsonContainer.of({"é": [1, 2.5, None, True], "b": "x y"})
    assert made.text == '{"é":[1,2.5,null,true],"b":"x y"}'
    assert through_the_wire(made).value == {"é": [1, 2.5, None, True], "b": "x y"}


def test_of_escapes_the_characters_xml_cannot_carry() -> None:
    made = JsonContainer.of(["\ufffe", "\uffff", "\x01"])
    assert made.text == '["\\ufffe","\\uffff","\\u0001"]'
    assert through_the_wire(made).value == ["\ufffe", "\uffff", "\x01"]


@given(json_values())
def test_a_value_comes_back_from_the_wire_unchanged(value: Any) -> None:
    data = xepcodec.serialize(JsonContainer.of(value))
    assert xepcodec.parse(data).value == value


@given(json_containers())
def test_generated_containers_keep_their_text_through_the_wire(made: JsonContainer) -> None:
    assert through_the_wire(made).text == made.text


# -- strictness -------------------------------------------------------------------------


STRICT_REFUSALS = [
    ("", "empty"),
    (" \n\t ", "empty"),
    ('{"a": 1, "a": 2}', "member 'a' twice"),
    ('{"x": {"a": 1, "b": 2, "a": 1}}', "member 'a' twice"),
    ("NaN", "NaN is not a JSON value"),
    ("[Infinity]", "Infinity is not a JSON value"),
    ('{"x": -Infinity}', "-Infinity is not a JSON value"),
    ('["\\ud800"]', "lone surrogate"),
    ('{"\\udc00": 1}', "lone surrogate"),
    ('"\\ud800\\ud800"', "lone surrogate"),
    ("[1,]", "not a JSON text"),
    ("{'a': 1}", "not a JSON text"),
    ("[1] [2]", "not a JSON text"),
    ("01", "not a JSON text"),
    ('"\\x41"', "not a JSON text"),
    ("[1] // a comment", "not a JSON text"),
]


@pytest.mark.parametrize(("text", "words"), STRICT_REFUSALS)
def test_what_is_not_strict_json_is_a_bad_request(text: str, words: str) -> None:
    error = rejects(_json(text), words)
    assert error.path == "/json"


@pytest.mark.parametrize(("text", "words"), STRICT_REFUSALS)
def test_parse_validate_and_the_stream_agree_on_the_refusal(text: str, words: str) -> None:
    data = _in_a_message(text)
    assert disagreement(data) is None
    assert not xepcodec.validate(data).ok


def test_the_refusal_names_the_rule() -> None:
    with pytest.raises(JsonTextError) as caught:
        load_json('{"a": 1, "a": 2}')
    assert caught.value.rule == "duplicate-member"
    assert caught.value.condition == "bad-request"


def test_escapes_that_only_look_like_a_lone_surrogate_are_text() -> None:
    # An escaped backslash followed by 'ud800' is six characters, no surrogate.
    assert typed(_json('"\\\\ud800"')).value == "\\ud800"


def test_the_schema_refuses_what_it_can_say(schema: etree.XMLSchema) -> None:
    assert schema_accepts(schema, _json("1"))
    assert not schema_accepts(schema, _json("  "))
    assert not schema_accepts(schema, _json("<x xmlns='urn:example:x'/>"))
    assert not schema_accepts(schema, f"<json xmlns='{NS_JSON}' kind='a'>1</json>")


def test_a_child_element_is_refused_by_the_model_too() -> None:
    with pytest.raises(ParseError):
        typed(_json("<x xmlns='urn:example:x'/>"))


# -- limits -----------------------------------------------------------------------------


def test_a_deep_bomb_is_a_policy_violation_not_a_recursion_error() -> None:
    bomb = "[" * 100_000 + "]" * 100_000
    error = rejects(_json(bomb), "more than 64 deep", condition="policy-violation")
    assert error.path == "/json"
    assert disagreement(_in_a_message(bomb)) is None


def test_depth_is_counted_on_arrays_and_objects_alike() -> None:
    limit = DEFAULT_JSON_LIMITS.max_depth
    at_limit = '{"a":' * (limit - 1) + "[1]" + "}" * (limit - 1)
    assert typed(_json(at_limit)).text == at_limit
    rejects(_json("[" + at_limit + "]"), "deep", condition="policy-violation")


def test_brackets_inside_strings_are_not_nesting() -> None:
    text = '["' + "[{" * 5000 + '", "\\"[[[["]'
    assert typed(_json(text)).value[1] == '"[[[['


def test_a_long_text_is_a_policy_violation() -> None:
    # Built as a tree, so that the XML layer's own text limit is not what refuses it.
    node = etree.Element(f"{{{NS_JSON}}}json")
    node.text = '"' + "a" * DEFAULT_JSON_LIMITS.max_length + '"'
    with pytest.raises(ParseError) as caught:
        xepcodec.parse(node)
    assert caught.value.condition == "policy-violation"
    assert "characters long" in caught.value.message


def test_a_number_too_long_to_convert_is_a_policy_violation() -> None:
    rejects(_json("1" * 5000), "number too long", condition="policy-violation")


def test_a_caller_may_hold_a_value_to_tighter_limits() -> None:
    read = typed(_json("[[[1]]]"))
    assert read.load(JsonLimits(max_depth=3)) == [[[1]]]
    with pytest.raises(JsonTextError) as caught:
        read.load(JsonLimits(max_depth=2))
    assert caught.value.condition == "policy-violation"
    with pytest.raises(JsonTextError, match="characters long"):
        load_json("[1, 2]", JsonLimits(max_length=3))
    with pytest.raises(ArgumentTypeError):
        read.load(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(("arguments", "error"), [
    ({"max_depth": 0}, ArgumentValueError),
    ({"max_length": -1}, ArgumentValueError),
    ({"max_depth": 2.0}, ArgumentTypeError),
    ({"max_length": True}, ArgumentTypeError),
])
def test_limits_are_positive_ints(arguments: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        JsonLimits(**arguments)


# -- making containers ------------------------------------------------------------------


@pytest.mark.parametrize(("value", "words"), [
    (float("nan"), "not JSON compliant"),
    ([float("inf")], "not JSON compliant"),
    (["\ud800"], "lone surrogate"),
    ([[[[1]]]], "deep"),
])
def test_of_refuses_what_a_receiver_would(value: Any, words: str) -> None:
    with pytest.raises(ArgumentValueError, match=words):
        JsonContainer.of(value, limits=JsonLimits(max_depth=3))


def test_of_refuses_a_cycle_and_a_value_too_deep_for_python() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ArgumentValueError, match=r"JsonContainer\.of"):
        JsonContainer.of(cycle)
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ArgumentValueError, match="deeper"):
        JsonContainer.of(deep)


def test_of_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(ArgumentTypeError, match=r"JsonContainer\.of"):
        JsonContainer.of({1, 2})
    with pytest.raises(ArgumentTypeError):
        dump_json(object())


def test_the_constructor_holds_the_text_to_the_same_rules() -> None:
    with pytest.raises(ArgumentValueError, match=r"JsonContainer\.text: an object names"):
        JsonContainer(text='{"a": 1, "a": 1}')
    with pytest.raises(ArgumentValueError, match="empty"):
        JsonContainer(text=" ")
    with pytest.raises(ArgumentTypeError):
        JsonContainer(text=b"[]")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError):
        load_json(b"[]")  # type: ignore[arg-type]
