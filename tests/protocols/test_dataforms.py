"""Data forms (XEP-0004) and FORM_TYPE (XEP-0068).

The XML documents here are written for these tests; the names in them echo the kind
of forms the XEPs discuss (bot configuration, search results) without being copies.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from lxml import etree

import xepcodec.testing.dataforms as form_strategies
from xepcodec.datatypes.jid import JID
from xepcodec.errors import JIDError, ParseError
from xepcodec.model import XmlFragment, decode, encode
from xepcodec.protocols.dataforms import (
    DATA_FORMS,
    FORM_TYPE,
    LIST_TYPES,
    MULTI_VALUED_TYPES,
    Field,
    FieldType,
    Form,
    FormType,
    Item,
    Option,
    Reported,
)
from xepcodec.testing.strategies import for_class

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
X = f"xmlns='{DATA_FORMS}'"



def read(xml: str) -> Any:
    return decode(etree.fromstring(xml.encode("utf-8"), PARSER))


def form(body: str, type_: str = "form") -> str:
    return f"<x {X} type='{type_}'>{body}</x>"


def rejected(xml: str) -> ParseError:
    with pytest.raises(ParseError) as caught:
        read(xml)
    return caught.value


# -- round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Form, Field, Option, Reported, Item])
def test_generated_objects_are_schema_valid_and_round_trip(
        cls: type, schema: etree.XMLSchema) -> None:
    assert form_strategies.forms is not None  # the overrides are registered on import

    @settings(max_examples=100, deadline=None)
    @given(for_class(cls))
    def check(obj: Any) -> None:
        data = encode(obj)
        tree = etree.fromstring(data, PARSER)
        assert schema.validate(tree), (data, schema.error_log)
        assert decode(tree) == obj

    check()


@given(form_strategies.forms(form_type=FormType.FORM))
@settings(max_examples=60, deadline=None)
def test_generated_forms_of_type_form_respect_the_text_single_default(obj: Form) -> None:
    for field in obj.fields:
        if field.type is None:
            assert len(field.values) <= 1 and not field.options


def test_every_field_type_round_trips_exactly(schema: etree.XMLSchema) -> None:
    xml = (
        f"<x {X} type='form'><title>Bot setup</title>"
        "<instructions>Fill this in.</instructions><instructions>Then send it.</instructions>"
        "<field var='FORM_TYPE' type='hidden'><value>urn:example:bot</value></field>"
        "<field type='fixed'><value>Part one</value></field>"
        "<field var='note' type='fixed'><value>Part two</value></field>"
        "<field var='name' type='text-single' label='Name'><desc>What to call it</desc>"
        "<required/><value>Helper</value></field>"
        "<field var='secret' type='text-private'><value>s3cret</value></field>"
        "<field var='about' type='text-multi'><value>line one</value><value>line two</value>"
        "</field>"
        "<field var='public' type='boolean'><value>1</value></field>"
        "<field var='owner' type='jid-single'><value>owner@example.org</value></field>"
        "<field var='friends' type='jid-multi'><value>a@example.org</value>"
        "<value>b@example.org/desk</value></field>"
        "<field var='size' type='list-single'><value>20</value>"
        "<option label='Twenty'><value>20</value></option>"
        "<option label='Forty'><value>40</value></option></field>"
        "<field var='topics' type='list-multi'><value>news</value><value>sport</value>"
        "<option><value>news</value></option><option><value>sport</value></option></field>"
        "<field var='untyped'><value>plain</value></field>"
        "</x>"
    )
    obj = read(xml)
    assert isinstance(obj, Form)
    kinds = [field.type for field in obj.fields]
    assert set(kinds) == {*FieldType, None}
    assert obj.fields[-1].type is None  # an absent type stays absent
    out = encode(obj)
    assert schema.validate(etree.fromstring(out, PARSER))
    assert etree.tostring(etree.fromstring(out), method="c14n2") == etree.tostring(
        etree.fromstring(xml.encode()), method="c14n2")


def test_field_parts_are_read(schema: etree.XMLSchema) -> None:
    field = read(f"<field {X} var='size' type='list-single' label='Size'><desc>How big</desc>"
                 "<required/><value>2</value><option label='Two'><value>2</value></option>"
                 "<option><value>3</value></option></field>")
    assert field == Field(var="size", type=FieldType.LIST_SINGLE, label="Size", desc="How big",
                          required=True, values=("2",),
                          options=(Option(label="Two", value="2"), Option(value="3")))


def test_options_before_values_are_accepted_and_written_after() -> None:
    field = read(f"<field {X} var='v' type='list-single'><option><value>a</value></option>"
                 "<value>a</value></field>")
    assert field.values == ("a",)
    assert encode(field) == (b'<field xmlns="jabber:x:data" var="v" type="list-single">'
                             b"<value>a</value><option><value>a</value></option></field>")


def test_title_after_instructions_is_accepted() -> None:
    obj = read(form("<instructions>one</instructions><title>T</title>"
                    "<instructions>two</instructions>"))
    assert obj.title == "T" and obj.instructions == ("one", "two")


def test_empty_form_types() -> None:
    for kind in FormType:
        obj = read(f"<x {X} type='{kind}'/>")
        assert obj == Form(type=kind)
        assert encode(obj) == f'<x xmlns="jabber:x:data" type="{kind}"/>'.encode()


def test_cancel_form_with_fields_is_only_discouraged() -> None:
    obj = read(form("<field var='a'><value>1</value></field>", "cancel"))
    assert obj.type is FormType.CANCEL and obj.get("a") is not None


def test_table_of_results_round_trips(schema: etree.XMLSchema) -> None:
    xml = (f"<x {X} type='result'><title>Results</title>"
           "<reported><field var='name' label='Name' type='text-single'/>"
           "<field var='who' type='jid-single'/><field var='tags' type='list-multi'/></reported>"
           "<item><field var='name'><value>First</value></field>"
           "<field var='who'><value>one@example.org</value></field>"
           "<field var='tags'><value>a</value><value>b</value></field></item>"
           "<item><field var='name'><value/></field><field var='who'/>"
           "<field var='tags'/><field var='extra'><value>x</value></field></item></x>")
    obj = read(xml)
    assert obj.reported == Reported(fields=(
        Field(var="name", label="Name", type=FieldType.TEXT_SINGLE),
        Field(var="who", type=FieldType.JID_SINGLE),
        Field(var="tags", type=FieldType.LIST_MULTI)))
    assert len(obj.items) == 2 and obj.fields == ()
    assert obj.items[1].get("extra") == Field(var="extra", values=("x",))
    assert obj.items[1].get("missing") is None
    assert obj.rows() == (
        {"name": "First", "who": JID.parse("one@example.org"), "tags": ("a", "b")},
        {"name": "", "who": None, "tags": (), "extra": "x"},
    )
    out = encode(obj)
    assert schema.validate(etree.fromstring(out, PARSER))
    assert read(out.decode()) == obj


def test_items_before_reported_are_tolerated() -> None:
    obj = read(form("<item><field var='a'/></item><reported><field var='a'/></reported>",
                    "result"))
    assert encode(obj).index(b"<reported>") < encode(obj).index(b"<item>")


def test_foreign_children_are_kept_in_order(schema: etree.XMLSchema) -> None:
    xml = (f"<x {X} type='submit'><field var='age' type='text-single'>"
           "<validate xmlns='urn:example:validate' datatype='xs:integer'><range min='0'/>"
           "</validate><value>3</value><media xmlns='urn:example:media'/></field>"
           "<secret xmlns='urn:example:enc'>abc</secret></x>")
    obj = read(xml)
    field = obj.fields[0]
    assert [ext.tag for ext in field.extensions] == ["{urn:example:validate}validate",
                                                    "{urn:example:media}media"]
    assert isinstance(obj.extensions[0], XmlFragment)
    assert obj.extensions[0].name == "secret"
    out = encode(obj)
    assert schema.validate(etree.fromstring(out, PARSER))
    assert read(out.decode()) == obj


# -- rejections on parse -------------------------------------------------------------------

REJECTIONS = [
    # (xml, words the message must contain, condition)
    (f"<x {X}/>", "lacks its required attribute 'type'", "bad-request"),
    (f"<x {X} type='error'/>", "'error' is not one of", "bad-request"),
    (form("<field var='a' type='number'/>"), "'number' is not one of", "bad-request"),
    (form("<field type='text-single'/>"), "needs a var unless it is of type fixed",
     "bad-request"),
    (form("<field><value>v</value></field>"), "needs a var unless it is of type fixed",
     "bad-request"),
    (form("<field var='a'/><field var='a' type='fixed'/>"), "two fields with var 'a'",
     "bad-request"),
    (form("<field var='a' type='text-single'><value>1</value><value>2</value></field>"),
     "holds 2 values", "bad-request"),
    (form("<field var='a' type='boolean'><value>1</value><value>0</value></field>"),
     "holds 2 values", "bad-request"),
    (form("<field var='a' type='jid-single'><value>a@b</value><value>c@d</value></field>"),
     "holds 2 values", "bad-request"),
    (form("<field var='a'><value>1</value><value>2</value></field>"),
     "the default in a form of type form", "bad-request"),
    (form("<field var='a' type='boolean'><value>yes</value></field>"),
     "a boolean value is true, false, 1 or 0", "bad-request"),
    (form("<field var='a' type='jid-single'><value>@example.org</value></field>"),
     "not a valid JID", "jid-malformed"),
    (form("<field var='a' type='jid-multi'><value>ok@example.org</value>"
          "<value>bad@@example.org</value></field>"), "not a valid JID", "jid-malformed"),
    (form("<field var='a' type='text-single'><option><value>x</value></option></field>"),
     "holds options", "bad-request"),
    (form("<field var='a'><option><value>x</value></option></field>"),
     "holds options", "bad-request"),
    (form("<field var='a' type='list-multi'><option label='L'><value>1</value></option>"
          "<option label='L'><value>2</value></option></field>"),
     "two options labelled 'L'", "bad-request"),
    (form("<field var='a' type='list-single'><option label='A'><value>1</value></option>"
          "<option label='B'><value>1</value></option></field>"),
     "two options with the value '1'", "bad-request"),
    (form("<field var='a' type='list-single'><option label='A'/></field>"),
     "lacks its required child", "bad-request"),
    (form("<field var='a' type='list-single'><option><value>1</value><value>2</value>"
          "</option></field>"), "allows only one <value/>", "bad-request"),
    (form("<field var='a'><required>yes</required></field>"), "must be empty", "bad-request"),
    (form("<field var='a'><desc>one</desc><desc>two</desc></field>"),
     "allows only one <desc/>", "bad-request"),
    (form("<title>a</title><title>b</title>"), "allows only one <title/>", "bad-request"),
    (form("<field var='a'><value><b/></value></field>"), "holds text only", "bad-request"),
    (form("<field var='a' size='3'/>"), "no attribute 'size'", "bad-request"),
    (form("<field var='a'><hint/></field>"), "does not allow the child <hint/> of jabber:x:data",
     "bad-request"),
    (form("<field var='a'><hint xmlns=''/></field>"), "<hint/> in no namespace", "bad-request"),
    (form("<note/>"), "does not allow the child <note/> of jabber:x:data", "bad-request"),
    (form("<field var='a'><x type='form'/></field>"),
     "does not allow the child <x/> of jabber:x:data", "bad-request"),
    (form("<reported/>", "result"), "<reported/> must hold at least one field", "bad-request"),
    (form("<reported><field var='a'/></reported><item/>", "result"),
     "<item/> must hold at least one field", "bad-request"),
    (form("<reported><field var='a'/><field var='a'/></reported>", "result"),
     "<reported/> holds two fields with var 'a'", "bad-request"),
    (form("<reported><field var='a'/></reported><item><field var='a'/><field var='a'/></item>",
          "result"), "<item/> holds two fields with var 'a'", "bad-request"),
    (form("<reported><field var='a'/></reported><reported><field var='b'/></reported>",
          "result"), "allows only one", "bad-request"),
    (form("<field var='b'/><reported><field var='a'/></reported>", "result"),
     "holds no fields of its own", "bad-request"),
    (form("<item><field var='a'/></item>", "result"), "needs a <reported/> header",
     "bad-request"),
    (form("<reported><field var='a'/><field var='b'/></reported>"
          "<item><field var='a'/><field var='b'/></item><item><field var='a'/></item>",
          "result"), "item 2 lacks the field(s) 'b'", "bad-request"),
    (form("<reported><field var='a' type='boolean'/></reported>"
          "<item><field var='a'><value>maybe</value></field></item>", "result"),
     "from <reported/>", "bad-request"),
    (form("<reported><field var='a' type='jid-single'/></reported>"
          "<item><field var='a'><value>x@y</value><value>z@y</value></field></item>",
          "result"), "holds 2 values", "bad-request"),
]


@pytest.mark.parametrize(("xml", "words", "condition"), REJECTIONS)
def test_rejections(xml: str, words: str, condition: str) -> None:
    error = rejected(xml)
    assert words in error.message
    assert error.condition == condition
    assert error.path is not None and error.path.startswith("/x")


def test_rejection_path_names_the_field() -> None:
    error = rejected(form("<field var='a'/><field var='b' type='boolean'><value>no</value>"
                          "</field>"))
    assert error.path == "/x/field[2]"
    assert "field 'b' (type boolean)" in error.message


# -- what the XEP allows ------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(MULTI_VALUED_TYPES))
def test_multi_valued_types_hold_several_values(kind: FieldType) -> None:
    values = ("a@example.org", "b@example.org") if kind is FieldType.JID_MULTI else ("a", "b")
    field = Field(var="v", type=kind, values=values)
    assert read(encode(field).decode()) == field


@pytest.mark.parametrize("kind", sorted(set(FieldType) - MULTI_VALUED_TYPES))
def test_single_valued_types_refuse_two_values(kind: FieldType) -> None:
    with pytest.raises(ValueError, match="holds 2 values"):
        Field(var="v", type=kind, values=("1", "0"))


@pytest.mark.parametrize("kind", sorted(set(FieldType) - LIST_TYPES))
def test_only_list_types_have_options(kind: FieldType) -> None:
    with pytest.raises(ValueError, match="holds options"):
        Field(var="v", type=kind, options=(Option(value="1"),))


def test_untyped_fields_outside_forms_of_type_form_may_hold_several_values() -> None:
    xml = form("<field var='tags'><value>a</value><value>b</value></field>", "submit")
    obj = read(xml)
    assert obj.values() == {"tags": ("a", "b")}
    assert read(form("<field var='t'><option><value>a</value></option></field>",
                     "result")).get("t") is not None


def test_fixed_field_may_lack_a_var() -> None:
    assert Field(type=FieldType.FIXED, values=("Heading",)).var is None


def test_empty_values_are_allowed_for_every_type() -> None:
    for kind in FieldType:
        field = read(f"<field {X} var='v' type='{kind}'><value/></field>")
        assert field.values == ("",)


def test_boolean_spellings() -> None:
    for text, meaning in [("true", True), ("1", True), ("false", False), ("0", False)]:
        field = read(f"<field {X} var='b' type='boolean'><value>{text}</value></field>")
        assert field.value is meaning


def test_duplicate_option_labels_absent_are_fine() -> None:
    field = Field(var="v", type=FieldType.LIST_MULTI,
                  options=(Option(value="1"), Option(value="2")))
    assert len(field.options) == 2


def _message(build: Any) -> str:
    with pytest.raises((ValueError, JIDError)) as caught:
        build()
    return str(caught.value)


def test_rule_messages_in_full() -> None:
    # Every part of the message: the field, its type and where the type comes from.
    assert _message(lambda: Form(type=FormType.FORM, fields=(
        Field(var="a", values=("1", "2")),))) == (
        "Form: field 'a' (type text-single, the default in a form of type form) holds 2 values; "
        "only list-multi, jid-multi, text-multi and hidden fields may hold more than one")
    assert _message(lambda: Field(type=FieldType.FIXED, options=(Option(value="x"),))) == (
        "Field: a field without var (type fixed) holds options; only list-single and list-multi "
        "fields may")
    assert _message(lambda: Field(var="b", type=FieldType.BOOLEAN, values=("", "on"))) == (
        "Field: field 'b' (type boolean) holds 2 values; only list-multi, jid-multi, text-multi "
        "and hidden fields may hold more than one")
    assert _message(lambda: Field(var="b", type=FieldType.BOOLEAN, values=(" on ",))) == (
        "Field: field 'b' (type boolean) holds ' on '; a boolean value is true, false, 1 or 0")
    assert _message(lambda: Field(var="j", type=FieldType.JID_MULTI,
                                  values=("", "a@b", "a@@b"))).startswith(
        "field 'j' (type jid-multi) holds 'a@@b', which is not a valid JID: the ")


def test_the_first_repeated_option_is_named() -> None:
    # A repeated value before a repeated label: the value is reported, and the other
    # way round; labels absent on several options are no repetition.
    value_first = (Option(value="1"), Option(value="1", label="L"), Option(value="2", label="L"))
    label_first = (Option(value="1", label="L"), Option(value="2", label="L"), Option(value="2"))
    assert _message(lambda: Field(var="v", type=FieldType.LIST_SINGLE,
                                  options=value_first)) == (
        "Field: field 'v' has two options with the value '1'; option values must be unique")
    assert _message(lambda: Field(var="v", type=FieldType.LIST_SINGLE,
                                  options=label_first)) == (
        "Field: field 'v' has two options labelled 'L'; option labels must be unique")


# -- construction ------------------------------------------------------------------------


def test_construction_applies_the_same_rules() -> None:
    with pytest.raises(ValueError, match="needs a var"):
        Field(type=FieldType.BOOLEAN)
    with pytest.raises(ValueError, match="a boolean value is true, false, 1 or 0"):
        Field(var="b", type=FieldType.BOOLEAN, values=("on",))
    with pytest.raises(JIDError, match="not a valid JID"):
        Field(var="j", type=FieldType.JID_MULTI, values=("a@b", "@b"))
    with pytest.raises(ValueError, match="the default in a form of type form"):
        Form(type=FormType.FORM, fields=(Field(var="a", values=("1", "2")),))
    with pytest.raises(ValueError, match="holds no fields of its own"):
        Form(type=FormType.RESULT, fields=(Field(var="x"),),
             reported=Reported(fields=(Field(var="a"),)))
    with pytest.raises(ValueError, match="only elements of other namespaces"):
        Field(var="a", extensions=(Field(var="b"),))
    with pytest.raises(ValueError, match="only elements of other namespaces"):
        Form(type=FormType.FORM,
             extensions=(XmlFragment(b'<x xmlns="jabber:x:data" type="form"/>'),))


# -- typed access ------------------------------------------------------------------------


def test_typed_values_by_type() -> None:
    assert Field(var="b", type=FieldType.BOOLEAN, values=("0",)).value is False
    assert Field(var="b", type=FieldType.BOOLEAN).value is None
    assert Field(var="b", type=FieldType.BOOLEAN, values=("",)).value is None
    assert Field(var="j", type=FieldType.JID_SINGLE, values=("Romeo@Example.org/Home",)
                 ).value == JID("romeo", "example.org", "Home")
    assert Field(var="j", type=FieldType.JID_SINGLE, values=("",)).typed_values == ()
    multi = Field(var="j", type=FieldType.JID_MULTI,
                  values=("a@example.org", "A@EXAMPLE.org", "b@example.org", ""))
    assert multi.typed_values == (JID.parse("a@example.org"), JID.parse("b@example.org"))
    assert Field(var="t", type=FieldType.LIST_MULTI, values=("x", "y")).typed_values == (
        "x", "y")
    assert Field(var="t", values=("",)).value == ""
    assert Field(var="t").value is None


def test_value_refuses_several_values() -> None:
    with pytest.raises(ValueError, match="holds 2 values; read typed_values"):
        _ = Field(var="t", type=FieldType.TEXT_MULTI, values=("a", "b")).value
    assert Field(var="t", type=FieldType.TEXT_MULTI, values=("a",)).value == "a"


def test_effective_type() -> None:
    assert Field(var="a").effective_type is FieldType.TEXT_SINGLE
    assert Field(var="a", type=FieldType.HIDDEN).effective_type is FieldType.HIDDEN


def test_text_joins_lines() -> None:
    field = read(f"<field {X} var='about' type='text-multi'><value>one</value><value/>"
                 "<value>three</value></field>")
    assert field.text == "one\n\nthree"
    assert Field(var="a").text == ""
    assert Field(var="a", values=("only",)).text == "only"


def test_form_get_and_values() -> None:
    obj = read(form(
        "<field var='FORM_TYPE' type='hidden'><value>urn:example:bot</value></field>"
        "<field type='fixed'><value>Heading</value></field>"
        "<field var='fixed-with-var' type='fixed'><value>Heading</value></field>"
        "<field var='on' type='boolean'><value>true</value></field>"
        "<field var='who' type='jid-single'/>"
        "<field var='friends' type='jid-multi'><value>a@example.org</value></field>"
        "<field var='name'><value>Bot</value></field>"))
    assert obj.get("on") == Field(var="on", type=FieldType.BOOLEAN, values=("true",))
    assert obj.get("nothing") is None
    assert obj.values() == {
        "FORM_TYPE": ("urn:example:bot",),
        "on": True,
        "who": None,
        "friends": (JID.parse("a@example.org"),),
        "name": "Bot",
    }


# -- FORM_TYPE (XEP-0068) ---------------------------------------------------------------

FORM_TYPES = [
    ("form", "hidden", "urn:example:a"),
    ("result", "hidden", "urn:example:a"),
    ("submit", "hidden", "urn:example:a"),
    ("submit", None, "urn:example:a"),
    ("submit", "text-single", "urn:example:a"),
    ("form", "text-single", None),
    ("result", "text-single", None),
    ("form", None, None),
    ("result", None, None),
]


@pytest.mark.parametrize(("form_kind", "field_kind", "expected"), FORM_TYPES)
def test_form_type(form_kind: str, field_kind: str | None, expected: str | None) -> None:
    type_attr = f" type='{field_kind}'" if field_kind else ""
    obj = read(form(f"<field var='FORM_TYPE'{type_attr}><value>urn:example:a</value></field>",
                    form_kind))
    assert obj.form_type == expected


def test_form_type_absent_or_empty() -> None:
    assert Form(type=FormType.FORM).form_type is None
    assert Form(type=FormType.FORM, fields=(
        Field(var=FORM_TYPE, type=FieldType.HIDDEN),)).form_type is None
    assert Form(type=FormType.FORM, fields=(
        Field(var=FORM_TYPE, type=FieldType.HIDDEN, values=("urn:a", "urn:b")),)
    ).form_type == "urn:a"


# -- builders ---------------------------------------------------------------------------


def test_field_of_formats_python_values() -> None:
    assert Field.of("b", True, type="boolean") == Field(
        var="b", type=FieldType.BOOLEAN, values=("true",))
    assert Field.of("b", False).values == ("false",)
    assert Field.of("n", 50, type=FieldType.LIST_SINGLE, options=["50", Option(
        label="Hundred", value="100")]) == Field(
        var="n", type=FieldType.LIST_SINGLE, values=("50",),
        options=(Option(value="50"), Option(label="Hundred", value="100")))
    jid = JID.parse("a@example.org/r")
    assert Field.of("j", jid, type=FieldType.JID_SINGLE).values == ("a@example.org/r",)
    assert Field.of("j", [jid, "b@example.org"], type=FieldType.JID_MULTI).values == (
        "a@example.org/r", "b@example.org")
    assert Field.of("t", "one\r\ntwo\nthree\rfour", type=FieldType.TEXT_MULTI).values == (
        "one", "two", "three", "four")
    assert Field.of("t", "one\ntwo").values == ("one\ntwo",)
    assert Field.of("t", None, label="L", desc="D", required=True) == Field(
        var="t", label="L", desc="D", required=True)
    with pytest.raises(TypeError, match="not float"):
        Field.of("f", 1.5)
    with pytest.raises(ValueError, match="a boolean value"):
        Field.of("b", "yes", type=FieldType.BOOLEAN)


def test_text_multi_round_trip_through_text() -> None:
    text = "first\n\nthird\n"
    assert Field.of("t", text, type=FieldType.TEXT_MULTI).text == text


def test_submit_builder(schema: etree.XMLSchema) -> None:
    obj = Form.submit({"public": False, "friends": ["a@example.org"], "name": "Bot"},
                      form_type="urn:example:bot", types={"public": "boolean",
                                                          "friends": FieldType.JID_MULTI})
    assert obj.type is FormType.SUBMIT
    assert obj.form_type == "urn:example:bot"
    assert obj.fields[0] == Field(var=FORM_TYPE, type=FieldType.HIDDEN,
                                  values=("urn:example:bot",))
    assert obj.values() == {"FORM_TYPE": ("urn:example:bot",), "public": False,
                            "friends": (JID.parse("a@example.org"),), "name": "Bot"}
    assert schema.validate(etree.fromstring(encode(obj), PARSER))
    assert Form.submit() == Form(type=FormType.SUBMIT)


def test_fill_answers_a_form() -> None:
    asked = read(form(
        "<field var='FORM_TYPE' type='hidden'><value>urn:example:bot</value></field>"
        "<field type='fixed'><value>About</value></field>"
        "<field var='name' type='text-single'><required/></field>"
        "<field var='public' type='boolean'><value>1</value></field>"
        "<field var='about' type='text-multi'/>"))
    answer = asked.fill({"name": "Bot", "about": "a\nb", "extra": 3})
    assert answer == Form(type=FormType.SUBMIT, fields=(
        Field(var=FORM_TYPE, type=FieldType.HIDDEN, values=("urn:example:bot",)),
        Field(var="name", type=FieldType.TEXT_SINGLE, values=("Bot",)),
        Field(var="public", type=FieldType.BOOLEAN, values=("1",)),
        Field(var="about", type=FieldType.TEXT_MULTI, values=("a", "b")),
        Field(var="extra", values=("3",)),
    ))
    assert answer.form_type == "urn:example:bot"
    with pytest.raises(ValueError, match="no value for the required field\\(s\\) 'name'"):
        asked.fill({"public": True})
