"""Tests for xepcodec.protocols.form_views, the typed views of data forms.

The view below is made up for these tests: one slot of every kind the module offers, so
that each kind's reading, writing and refusals are tested once, here, for every
protocol that declares its forms with it.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from xepcodec.datatypes.jid import JID
from xepcodec.errors import (
    ArgumentTypeError,
    ArgumentValueError,
    JIDError,
    ParseError,
    XepCodecError,
)
from xepcodec.model import decode, encode
from xepcodec.protocols import admin, load_all
from xepcodec.protocols.dataforms import FORM_TYPE, Field, FieldType, Form, FormType
from xepcodec.protocols.form_views import (
    BOOLEAN,
    CHOICE,
    CHOICES,
    COUNT,
    DATETIME,
    JIDS,
    LIMIT,
    LINES,
    ONE_JID,
    RATE,
    SECONDS,
    SECRET,
    TEXT,
    UNLIMITED,
    WORDS,
    FormView,
    Unlimited,
    one_of,
    slots,
    some_of,
    var,
)
from xepcodec.protocols.muc import forms as muc_forms
from xepcodec.testing.admin import VIEWS as ADMIN_VIEWS
from xepcodec.testing.form_views import form_views

EXAMPLE = "urn:example:settings"


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings(FormView):
    FORM_TYPE: ClassVar[str] = EXAMPLE
    _ONE_OF: ClassVar[tuple[str, ...]] = ("owner", "owners")

    owner: JID | None = dataclasses.field(default=None, metadata=var("owner", ONE_JID))
    owners: tuple[JID, ...] = dataclasses.field(default=(), metadata=var("owners", JIDS))
    name: str | None = dataclasses.field(default=None, metadata=var("name", TEXT,
                                                                    required=True))
    secret: str | None = dataclasses.field(default=None, metadata=var("secret", SECRET))
    motd: str | None = dataclasses.field(default=None, metadata=var("motd", LINES))
    tags: tuple[str, ...] = dataclasses.field(default=(), metadata=var("tags", WORDS))
    size: int | None = dataclasses.field(default=None, metadata=var("size", COUNT))
    rate: Decimal | None = dataclasses.field(default=None, metadata=var("rate", RATE))
    since: datetime | None = dataclasses.field(default=None, metadata=var("since", DATETIME))
    mode: str | None = dataclasses.field(default=None, metadata=var("mode", CHOICE))
    modes: tuple[str, ...] = dataclasses.field(default=(), metadata=var("modes", CHOICES))
    delay: int | None = dataclasses.field(default=None, metadata=var("delay", SECONDS))
    public: bool | None = dataclasses.field(default=None, metadata=var("public", BOOLEAN))
    limit: int | Unlimited | None = dataclasses.field(default=None,
                                                      metadata=var("limit", LIMIT))
    colour: Colour | None = dataclasses.field(default=None,
                                              metadata=var("colour", one_of(Colour)))
    colours: tuple[Colour, ...] = dataclasses.field(default=(),
                                                    metadata=var("colours", some_of(Colour)))


HEADER = f"<field var='FORM_TYPE' type='hidden'><value>{EXAMPLE}</value></field>"
BASE = "<field var='name'><value>n</value></field><field var='owner'><value>a@b</value></field>"


def _form(fields: str, kind: str = "submit", header: str = HEADER) -> Form:
    form = decode(etree.fromstring(f"<x xmlns='jabber:x:data' type='{kind}'>{header}"
                                   f"{fields}</x>"))
    assert isinstance(form, Form)
    return form


def _read(fields: str, kind: str = "submit") -> Settings:
    return Settings.from_form(_form(BASE + fields, kind))


# -- declaring --------------------------------------------------------------------------


def test_slots_are_the_declared_fields_in_order() -> None:
    declared = slots(Settings)
    assert [slot.var for slot in declared][:3] == ["owner", "owners", "name"]
    assert [slot.attribute for slot in declared if slot.required] == ["name"]
    assert slots(Settings(name="n")) == declared
    assert {slot.kind.writes for slot in declared if slot.var in ("colour", "colours")} == {
        FieldType.LIST_SINGLE, FieldType.LIST_MULTI}


# -- reading each kind ------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "attribute", "expected"), [
    ("<field var='owners' type='jid-multi'><value>c@d</value><value>e@f/r</value>"
     "<value>c@d</value></field>", "owners", (JID.parse("c@d"), JID.parse("e@f/r"))),
    # A list of JIDs as text-multi, one per line, as services send them.
    ("<field var='owners' type='text-multi'><value>c@d</value></field>", "owners",
     (JID.parse("c@d"),)),
    ("<field var='secret' type='text-private'><value> pass word </value></field>",
     "secret", " pass word "),
    ("<field var='motd' type='text-multi'><value>one</value><value></value>"
     "<value>three</value></field>", "motd", "one\n\nthree"),
    ("<field var='tags' type='list-multi'><value>a</value><value>b</value></field>",
     "tags", ("a", "b")),
    ("<field var='tags'><value>only</value></field>", "tags", ("only",)),
    ("<field var='size' type='text-single'><value> 42 </value></field>", "size", 42),
    ("<field var='rate'><value>0.25</value></field>", "rate", Decimal("0.25")),
    ("<field var='since'><value>2020-02-29T12:00:00+02:00</value></field>", "since",
     datetime(2020, 2, 29, 10, tzinfo=UTC)),
    ("<field var='mode' type='list-single'><value>fast</value>"
     "<option><value>fast</value></option></field>", "mode", "fast"),
    ("<field var='modes' type='list-multi'><value>x</value><value>y</value></field>",
     "modes", ("x", "y")),
    ("<field var='delay' type='list-multi'><value>30</value></field>", "delay", 30),
    ("<field var='public' type='boolean'><value>1</value></field>", "public", True),
    ("<field var='public' type='boolean'><value>false</value></field>", "public", False),
    ("<field var='public'><value>0</value></field>", "public", False),
    ("<field var='public' type='boolean'><value>true</value></field>", "public", True),
    # A boolean without a value is false, the type's default.
    ("<field var='public' type='boolean'><value/></field>", "public", False),
    ("<field var='public' type='boolean'/>", "public", False),
    ("<field var='limit' type='list-single'><value>100</value></field>", "limit", 100),
    ("<field var='limit' type='list-single'><value>none</value></field>", "limit",
     UNLIMITED),
    ("<field var='limit' type='text-single'><value>0</value></field>", "limit", 0),
    ("<field var='colour' type='list-single'><value>green</value></field>", "colour",
     Colour.GREEN),
    ("<field var='colours' type='list-multi'><value>red</value><value>green</value>"
     "</field>", "colours", (Colour.RED, Colour.GREEN)),
    # No value, and an empty one, mean no value.
    ("<field var='size' type='text-single'/>", "size", None),
    ("<field var='size' type='text-single'><value></value></field>", "size", None),
    ("<field var='secret' type='text-private'><value/></field>", "secret", None),
    ("<field var='colours' type='list-multi'/>", "colours", ()),
])
def test_each_kind_reads_its_values(fields: str, attribute: str, expected: Any) -> None:
    view = _read(fields)
    assert getattr(view, attribute) == expected
    assert view.extra == ()


def test_a_blank_form_with_options_and_descriptions_reads() -> None:
    view = Settings.from_form(_form(
        "<field type='fixed'><value>About the thing</value></field>"
        "<field var='name' type='text-single' label='Name'><desc>What to call it</desc>"
        "<required/></field>"
        "<field var='colour' type='list-single' label='Colour'><value>red</value>"
        "<option label='Red'><value>red</value></option>"
        "<option label='Green'><value>green</value></option></field>", "form"))
    # A blank form may leave a required field empty.
    assert view.name is None and view.colour is Colour.RED
    assert [field.type for field in view.extra] == [FieldType.FIXED]


# -- reading: refusals ------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "error", "words"), [
    ("<field var='owners' type='text-single'><value>a@b</value></field>", ParseError,
     ["'owners'", "has type text-single", "jid-multi or text-multi"]),
    ("<field var='size' type='text-single'><value>1</value><value>2</value></field>",
     ParseError, ["'size'", "2 values"]),
    ("<field var='size'><value>-3</value></field>", ParseError, ["'size'", "'-3'",
                                                                  "decimal integer"]),
    ("<field var='size'><value>1e3</value></field>", ParseError, ["decimal integer"]),
    ("<field var='rate'><value>1,5</value></field>", ParseError, ["'rate'", "decimal"]),
    ("<field var='since'><value>2020-02-29</value></field>", ParseError, ["'since'"]),
    ("<field var='public'><value>yes</value></field>", ParseError,
     ["'public'", "'yes'", "boolean"]),
    ("<field var='public' type='text-single'><value>1</value></field>", ParseError,
     ["'public'", "boolean"]),
    ("<field var='limit'><value>many</value></field>", ParseError,
     ["'limit'", "'many'", "'none'"]),
    ("<field var='limit'><value>None</value></field>", ParseError, ["'limit'"]),
    ("<field var='colour' type='list-single'><value>blue</value></field>", ParseError,
     ["'colour'", "'blue'", "'red', 'green'"]),
    ("<field var='colour' type='list-multi'><value>red</value></field>", ParseError,
     ["'colour'", "list-multi"]),
    ("<field var='colours' type='list-multi'><value>red</value><value>cyan</value>"
     "</field>", ParseError, ["'colours'", "'cyan'"]),
    ("<field var='mode' type='text-single'><value>x</value></field>", ParseError,
     ["'mode'", "list-single"]),
])
def test_a_value_its_kind_cannot_read_is_refused(fields: str, error: type[Exception],
                                                 words: list[str]) -> None:
    with pytest.raises(error) as caught:
        _read(fields)
    assert isinstance(caught.value, XepCodecError)
    for word in words:
        assert word in str(caught.value)


def test_a_malformed_jid_is_jid_malformed() -> None:
    with pytest.raises(JIDError, match="'owners'") as caught:
        _read("<field var='owners'><value>a@b@c</value></field>")
    assert caught.value.condition == "jid-malformed"


def test_another_form_type_is_refused_and_none_is_accepted() -> None:
    with pytest.raises(ParseError, match="FORM_TYPE 'urn:example:other'"):
        Settings.from_form(_form(BASE, header="<field var='FORM_TYPE' type='hidden'>"
                                             "<value>urn:example:other</value></field>"))
    assert Settings.from_form(_form(BASE, header="")).name == "n"


def test_required_values_in_a_submission_or_result() -> None:
    for kind in ("submit", "result"):
        with pytest.raises(ParseError, match="required field 'name'"):
            Settings.from_form(_form("<field var='owner'><value>a@b</value></field>", kind))
        with pytest.raises(ParseError, match="'owner' or 'owners'"):
            Settings.from_form(_form("<field var='name'><value>n</value></field>", kind))
    assert Settings.from_form(_form("", "form")) == Settings()


# -- extra fields and extensions ----------------------------------------------------------


def test_fields_the_view_does_not_define_are_kept_and_written_back() -> None:
    form = _form(BASE + "<field var='{urn:example}own' type='text-single' label='Own'>"
                 "<value>7</value></field><field type='fixed'><value>note</value></field>"
                 "<field var='public'><value>1</value></field>", "result")
    view = Settings.from_form(form)
    assert [field.var for field in view.extra] == ["{urn:example}own", None]
    written = view.to_form(FormType.RESULT)
    assert written.get("{urn:example}own") == form.get("{urn:example}own")
    assert [field.var for field in written.fields][-2:] == ["{urn:example}own", None]
    assert Settings.from_form(written) == view


def test_extra_may_not_hold_a_field_the_view_defines() -> None:
    for var_ in ("size", FORM_TYPE):
        with pytest.raises(ArgumentValueError, match=repr(var_)):
            Settings(extra=(Field(var=var_, values=("1",)),))


# -- writing ------------------------------------------------------------------------------


def test_each_kind_writes_its_type_and_values() -> None:
    view = Settings(
        owner=JID.parse("a@b"), owners=(JID.parse("c@d"),), name="n", secret="s",
        motd="one\r\ntwo", tags=("t",), size=3, rate=Decimal("1E+2"),
        since=datetime(2021, 1, 1, 8, tzinfo=timezone(timedelta(hours=1))), mode="m",
        modes=("x", "y"), delay=60, public=False, limit=UNLIMITED, colour=Colour.RED,
        colours=(Colour.GREEN,))
    form = view.to_form()
    assert form.fields[0] == Field(var=FORM_TYPE, type=FieldType.HIDDEN, values=(EXAMPLE,))
    written = {field.var: (field.type, field.values) for field in form.fields[1:]}
    assert written == {
        "owner": (FieldType.JID_SINGLE, ("a@b",)),
        "owners": (FieldType.JID_MULTI, ("c@d",)),
        "name": (FieldType.TEXT_SINGLE, ("n",)),
        "secret": (FieldType.TEXT_PRIVATE, ("s",)),
        "motd": (FieldType.TEXT_MULTI, ("one", "two")),
        "tags": (FieldType.TEXT_MULTI, ("t",)),
        "size": (FieldType.TEXT_SINGLE, ("3",)),
        "rate": (FieldType.TEXT_SINGLE, ("100",)),
        "since": (FieldType.TEXT_SINGLE, ("2021-01-01T08:00:00+01:00",)),
        "mode": (FieldType.LIST_SINGLE, ("m",)),
        "modes": (FieldType.LIST_MULTI, ("x", "y")),
        "delay": (FieldType.LIST_SINGLE, ("60",)),
        # Booleans are written as the dataforms module writes them.
        "public": (FieldType.BOOLEAN, ("false",)),
        "limit": (FieldType.LIST_SINGLE, ("none",)),
        "colour": (FieldType.LIST_SINGLE, ("red",)),
        "colours": (FieldType.LIST_MULTI, ("green",)),
    }
    assert Settings.from_form(form) == dataclasses.replace(view, motd="one\ntwo")


def test_empty_slots_are_left_out() -> None:
    form = Settings(name="n", owner=JID.parse("a@b"), public=None, tags=()).to_form()
    assert [field.var for field in form.fields] == [FORM_TYPE, "owner", "name"]


def test_a_submission_lacking_a_required_value_is_not_written() -> None:
    with pytest.raises(ArgumentValueError, match="'name'"):
        Settings(owner=JID.parse("a@b")).to_form()
    with pytest.raises(ArgumentValueError, match="'owner' or 'owners'"):
        Settings(name="n").to_form(FormType.RESULT)
    assert Settings().to_form(FormType.FORM).fields[0].var == FORM_TYPE


@pytest.mark.parametrize(("make", "error", "words"), [
    (lambda: Settings(public=1), ArgumentTypeError, ["Settings.public", "bool", "int"]),
    (lambda: Settings(public="true"), ArgumentTypeError, ["bool", "str"]),
    (lambda: Settings(size=True), ArgumentTypeError, ["int", "bool"]),
    (lambda: Settings(limit=True), ArgumentTypeError, ["Settings.limit", "bool"]),
    (lambda: Settings(limit="none"), ArgumentTypeError, ["int or Unlimited", "str"]),
    (lambda: Settings(limit=-1), ArgumentValueError, ["negative"]),
    (lambda: Settings(colour="red"), ArgumentTypeError, ["Colour", "str"]),
    (lambda: Settings(colours=[Colour.RED]), ArgumentTypeError, ["tuple of Colour", "list"]),
    (lambda: Settings(owners=(JID.parse("a@b"), "c@d")), ArgumentTypeError, ["JID", "str"]),
    (lambda: Settings(since=datetime(2020, 1, 1)), ArgumentValueError, ["naive"]),
    (lambda: Settings(rate=Decimal(-1)), ArgumentValueError, ["negative"]),
])
def test_a_view_refuses_values_it_cannot_write(make: Any, error: type[Exception],
                                               words: list[str]) -> None:
    with pytest.raises(error) as caught:
        make()
    for word in words:
        assert word in str(caught.value)


# -- properties ---------------------------------------------------------------------------


@given(view=form_views(Settings))
def test_view_to_form_to_xml_to_view(view: Settings) -> None:
    for kind in (FormType.SUBMIT, FormType.RESULT, FormType.FORM):
        form = view.to_form(kind)
        again = decode(etree.fromstring(encode(form)))
        assert again == form
        assert Settings.from_form(again) == view


@given(view=form_views(Settings, complete=False))
def test_any_view_as_a_blank_form_reads_back(view: Settings) -> None:
    assert Settings.from_form(view.to_form(FormType.FORM)) == view


def _declared_views() -> list[type[FormView]]:
    """Every view a protocol module declares (not this file's): the property below then
    covers each protocol's forms, those to come included, without a test of its own."""
    load_all()
    found: list[type[FormView]] = []
    pending = list(FormView.__subclasses__())
    while pending:
        view = pending.pop()
        pending.extend(view.__subclasses__())
        if view.__module__.startswith("xepcodec.protocols.") and "FORM_TYPE" in dir(view):
            found.append(view)
    return sorted(found, key=lambda view: f"{view.__module__}.{view.__qualname__}")


@pytest.mark.parametrize("view", _declared_views(), ids=lambda view: view.__qualname__)
@given(data=st.data())
def test_every_declared_view_survives_form_and_xml(view: type[FormView],
                                                   data: st.DataObject) -> None:
    drawn = data.draw(form_views(view))
    for kind in (FormType.SUBMIT, FormType.RESULT):
        form = drawn.to_form(kind)
        assert form.form_type == view.FORM_TYPE
        again = decode(etree.fromstring(encode(form)))
        assert again == form
        read = view.from_form(again)
        assert read == drawn
        assert read.to_form(kind) == form


# -- the registries of the protocols using the mechanism ----------------------------------


def _registered() -> list[tuple[type[FormView], dict[str, FieldType]]]:
    found: list[tuple[type[FormView], dict[str, FieldType]]] = [
        (view, dict(admin.FIELD_TYPES)) for view in ADMIN_VIEWS]
    for view in (muc_forms.RoomConfigForm, muc_forms.RoomInfoForm,
                 muc_forms.RegistrationForm, muc_forms.VoiceRequestForm):
        registry = dict(muc_forms.FIELD_TYPES[view.FORM_TYPE])
        if view is muc_forms.RoomInfoForm:
            # Room information may carry any room configuration field (XEP-0045 §6.4).
            registry |= muc_forms.FIELD_TYPES[muc_forms.ROOMCONFIG]
        found.append((view, registry))
    return found


@pytest.mark.parametrize(("view", "registry"), _registered(),
                         ids=lambda value: getattr(value, "__name__", ""))
def test_every_view_reads_the_registry_type_of_its_fields(
        view: type[FormView], registry: dict[str, FieldType]) -> None:
    checked = 0
    for slot in slots(view):
        if slot.var in registry:
            assert registry[slot.var] in slot.kind.accepts, (view.__name__, slot.var)
            checked += 1
    assert checked > 0
