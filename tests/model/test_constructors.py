"""Constructors check their arguments: what has one obvious conversion is converted,
the rest is refused with an error that names the class and the field."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from payloads import library_classes

import xepcodec
from xepcodec.core.stanzas import Body, Iq, IqType, Message, Presence, Thread
from xepcodec.datatypes.jid import JID
from xepcodec.errors import (
    ArgumentTypeError,
    ArgumentValueError,
    JIDError,
    XepCodecError,
)
from xepcodec.model import attr, child, constructor, decode, element, encode, text, text_children
from xepcodec.model.codec import CHILD, CHILDREN, codec_of
from xepcodec.model.raw import XmlFragment
from xepcodec.protocols.archive import Note
from xepcodec.protocols.dataforms import Field, FieldType, Option
from xepcodec.protocols.ping import Ping
from xepcodec.protocols.xmlenc import CipherData
from xepcodec.testing.strategies import for_class

NS = "urn:xepcodec:test:constructors"


@element(NS, "day", register=False)
class Day:
    on: date = attr()
    note: str = text(default="")


@element(NS, "holder", register=False)
class Holder:
    day: Day | None = child(Day, default=None)


_STRANGER = Day(on=date(2020, 1, 1))  # declared as no library class's child


# -- the three reported cases -------------------------------------------------------------


def test_a_str_is_not_split_into_values() -> None:
    with pytest.raises(ArgumentTypeError, match=r"Field\.values") as caught:
        Field(var="x", values="abc")  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, XepCodecError)


def test_a_list_for_a_tuple_field_is_kept_as_a_tuple() -> None:
    field = Field(var="x", type=FieldType.LIST_MULTI, values=["a", "b"],  # type: ignore[arg-type]
                  options=[Option(value="a"), Option(value="b")])  # type: ignore[arg-type]
    assert field.values == ("a", "b") and type(field.values) is tuple
    assert type(field.options) is tuple
    hash(field)  # a list inside would make it unhashable
    items = iter(["one", "two"])  # any iterable, read once
    assert Field(var="y", type=FieldType.TEXT_MULTI, values=items).values == (  # type: ignore[arg-type]
        "one", "two")


def test_a_str_for_a_jid_field_is_parsed_where_it_is_given() -> None:
    message = Message(to="Juliet@Example.com")  # type: ignore[arg-type]
    assert message.to == JID.parse("juliet@example.com") and type(message.to) is JID
    assert xepcodec.parse(xepcodec.serialize(message)) == message
    with pytest.raises(JIDError, match=r"Message\.to: ") as caught:
        Message(to="@example.com")  # type: ignore[arg-type]
    assert caught.value.condition == "jid-malformed"
    with pytest.raises(ArgumentTypeError, match=r"Message\.from_"):
        Message(from_=42)  # type: ignore[arg-type]


# -- each value kind ----------------------------------------------------------------------


def test_an_enum_field_takes_the_str_of_a_member() -> None:
    iq = Iq(type="get", id="1", extensions=(Ping(),))  # type: ignore[arg-type]
    assert iq.type is IqType.GET
    with pytest.raises(ArgumentValueError, match=r"Iq\.type: 'fetch' is not one of"):
        Iq(type="fetch", id="1", extensions=(Ping(),))  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"Iq\.type"):
        Iq(type=1, id="1", extensions=(Ping(),))  # type: ignore[arg-type]


@pytest.mark.parametrize("priority", [True, "5", 5.0])
def test_an_int_field_refuses_what_is_not_an_int(priority: Any) -> None:
    with pytest.raises(ArgumentTypeError, match=r"Presence\.priority: expected an int"):
        Presence(priority=priority)


def test_an_int_field_keeps_to_its_bounds() -> None:
    assert Presence(priority=-128).priority == -128
    with pytest.raises(ArgumentValueError, match=r"Presence\.priority: 128 is above"):
        Presence(priority=128)


@pytest.mark.parametrize("value", [b"hi", 5, None])
def test_a_text_field_takes_a_str_only(value: Any) -> None:
    with pytest.raises(ArgumentTypeError, match=r"Body\.text: expected a str"):
        Body(text=value)


def test_a_constrained_str_is_checked() -> None:
    with pytest.raises(ArgumentValueError, match=r"Thread\.id: the value is empty"):
        Thread(id="")


def test_a_datetime_needs_its_zone_and_a_date_no_time() -> None:
    assert Note(text="n", utc=datetime(2020, 1, 2, tzinfo=UTC)).utc is not None
    with pytest.raises(ArgumentValueError, match=r"Note\.utc: .*naive"):
        Note(text="n", utc=datetime(2020, 1, 2))
    with pytest.raises(ArgumentTypeError, match=r"Note\.utc: expected a datetime"):
        Note(text="n", utc="2020-01-02T00:00:00Z")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"Day\.on: expected a date, not datetime"):
        Day(on=datetime(2020, 1, 2, tzinfo=UTC))


def test_a_mutable_buffer_is_kept_as_bytes() -> None:
    data = bytearray(b"secret")
    cipher = CipherData(value=data)  # type: ignore[arg-type]
    data[0] = 0
    assert cipher.value == b"secret" and type(cipher.value) is bytes


def test_a_flag_is_a_bool() -> None:
    with pytest.raises(ArgumentTypeError, match=r"Field\.required: expected a bool"):
        Field(var="x", required=1)  # type: ignore[arg-type]


def test_an_element_of_several_namespaces_takes_one_of_them() -> None:
    assert Message(namespace="jabber:server").namespace == "jabber:server"
    with pytest.raises(ArgumentValueError, match=r"Message\.namespace: 'urn:x' is not"):
        Message(namespace="urn:x")


# -- children, the open slot, missing and unknown arguments -------------------------------


def test_a_child_field_takes_its_declared_class_only() -> None:
    with pytest.raises(ArgumentTypeError, match=r"Message\.thread: expected Thread, not Body"):
        Message(thread=Body(text="hi"))  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"Message\.bodies: item 1: expected Body"):
        Message(bodies=(Body(text="a"), Thread(id="t")))  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"Holder\.day: expected Day, not str"):
        Holder(day="2020-01-01")  # type: ignore[arg-type]


def test_the_open_slot_takes_elements_only() -> None:
    fragment = XmlFragment.from_element(etree.fromstring(b"<x xmlns='urn:x'/>"))
    assert Message(extensions=[fragment, Ping()]).extensions == (fragment, Ping())  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"Message\.extensions: item 0: expected an "
                                                r"element"):
        Message(extensions=(etree.fromstring(b"<x xmlns='urn:x'/>"),))


def test_a_missing_argument_names_the_field() -> None:
    with pytest.raises(ArgumentTypeError, match=r"Iq\.id is required"):
        Iq(type=IqType.RESULT)  # type: ignore[call-arg]


def test_an_unknown_argument_names_the_class_and_its_fields() -> None:
    with pytest.raises(ArgumentTypeError, match=r"Message has no field 'body' \(its fields: "
                                                r"namespace, .*bodies"):
        Message(body="hi")  # type: ignore[call-arg]


def test_a_broken_protocol_rule_is_an_argument_error_naming_the_class() -> None:
    with pytest.raises(ArgumentValueError, match=r"Iq: an iq of type 'get' must carry "
                                                 "exactly one payload"):
        Iq(type=IqType.GET, id="1")


def test_replace_is_checked_too() -> None:
    message = Message(to=JID.parse("a@b"))
    assert dataclasses.replace(message, to="c@d").to == JID.parse("c@d")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"Message\.bodies"):
        dataclasses.replace(message, bodies="hello")  # type: ignore[arg-type]


def test_the_signature_is_the_declared_one() -> None:
    parameters = inspect.signature(Presence).parameters
    assert list(parameters) == [field.name for field in dataclasses.fields(Presence)]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())


def test_a_class_without_fields_constructs() -> None:
    assert Ping() == decode(etree.fromstring(encode(Ping())))
    with pytest.raises(ArgumentTypeError, match="Ping has no field 'id'"):
        Ping(id="1")  # type: ignore[call-arg]


def test_values_of_the_right_type_take_no_check(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = constructor._checker

    def counting(cls: type, field: str, check: Any, *, optional: bool) -> Any:
        inner = real(cls, field, check, optional=optional)

        def count(value: Any) -> Any:
            checked.append(field)
            return inner(value)

        return count

    monkeypatch.setattr(constructor, "_checker", counting)

    @element(NS, "sample", register=False)
    class Sample:
        who: JID | None = attr(default=None)
        count: int = attr()
        names: tuple[str, ...] = text_children("name")
        day: Day | None = child(Day, default=None)

    sample = Sample(who=JID.parse("a@b"), count=1, names=("x", "y"), day=_STRANGER)
    decoded = codec_of(Sample).run(etree.fromstring(encode(sample)))
    assert decoded == sample  # decoding checks nothing again
    assert checked == []
    assert Sample(who="a@b", count=1, names=["x", "y"]) == dataclasses.replace(sample, day=None)  # type: ignore[arg-type]
    assert checked == ["who", "names"]


# -- every declared class -----------------------------------------------------------------


CLASSES = library_classes()


def _arguments(obj: Any) -> dict[str, Any]:
    return {field.name: getattr(obj, field.name) for field in dataclasses.fields(obj)}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
@settings(max_examples=15)
@given(data=st.data())
def test_every_class_checks_its_arguments(cls: type, data: st.DataObject) -> None:
    obj: Any = data.draw(for_class(cls))
    decoded = decode(etree.fromstring(encode(obj)))
    assert cls(**_arguments(obj)) == decoded
    codec = codec_of(cls)
    for index in codec.repeated:
        name = codec.field_names[index]
        as_list = dataclasses.replace(obj, **{name: list(getattr(obj, name))})
        assert type(getattr(as_list, name)) is tuple and as_list == obj
        with pytest.raises(ArgumentTypeError, match=rf"{cls.__name__}\.{name}: "):
            dataclasses.replace(obj, **{name: "ab"})
    for handler in codec.children:
        if handler.kind in (CHILD, CHILDREN):
            wrong = _STRANGER if handler.kind == CHILD else (_STRANGER,)
            with pytest.raises(ArgumentTypeError, match=rf"{cls.__name__}\.{handler.field}: "):
                dataclasses.replace(obj, **{handler.field: wrong})
