"""Tests for xepcodec.protocols.data_validation (XEP-0122 data forms validation).

The XML below is written for these tests; the configuration field is in the shape
Prosody's mod_muc sends.
"""

from __future__ import annotations

import pytest
from payloads import rejects, typed

import xepcodec
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.protocols.data_validation import (
    DEFAULT_DATATYPE,
    NS_XDATA_VALIDATE,
    Basic,
    ListRange,
    Open,
    Range,
    Regex,
    Validate,
    validate_form_values,
    validate_values,
    validation_of,
)
from xepcodec.protocols.dataforms import Field, FieldType, Form, Option

V = NS_XDATA_VALIDATE


def _field(inner: str, *, type_: str = "text-single", var: str = "f") -> Field:
    read = typed(f"<field xmlns='jabber:x:data' var='{var}' type='{type_}'>{inner}</field>")
    assert isinstance(read, Field)
    return read


def _rules(datatype: str | None = None, method: object = None,
           list_range: ListRange | None = None) -> Validate:
    return Validate(datatype=datatype, method=method, list_range=list_range)  # type: ignore[arg-type]


def _with(rules: Validate, *values: str, type_: FieldType = FieldType.TEXT_SINGLE,
          options: tuple[str, ...] = ()) -> Field:
    return Field(var="f", type=type_, values=values,
                 options=tuple(Option(value=option) for option in options),
                 extensions=(rules,))


# -- the elements -----------------------------------------------------------------------


def test_a_prosody_configuration_field_carries_its_rules_typed() -> None:
    xml = ("<x xmlns='jabber:x:data' type='form'>"
           "<field var='muc#roomconfig_historylength' type='text-single' "
           "label='Maximum number of history messages returned by room'>"
           f"<validate xmlns='{V}' datatype='xs:integer'/><value>20</value></field></x>")
    form = xepcodec.parse(xml)
    assert isinstance(form, Form)
    field = form.fields[0]
    assert field.extensions == (Validate(datatype="xs:integer"),)
    assert validation_of(field) == Validate(datatype="xs:integer")
    assert validate_values(field) == []
    data = xepcodec.serialize(form)
    assert xepcodec.validate(data).ok and xepcodec.parse(data) == form


def test_the_defaults_are_kept_apart_from_what_is_written() -> None:
    bare = typed(f"<validate xmlns='{V}'/>")
    assert bare == Validate() and bare.datatype is None and bare.method is None
    assert bare.effective_datatype == DEFAULT_DATATYPE == "xs:string"
    assert not bare.opens_list  # no method is <basic/>
    assert xepcodec.serialize(bare) == b'<validate xmlns="http://jabber.org/protocol/xdata-validate"/>'
    assert typed(f"<validate xmlns='{V}' datatype='xs:string'/>").datatype == "xs:string"


def test_every_method_and_a_list_range() -> None:
    assert typed(f"<validate xmlns='{V}' datatype='xs:date'><basic/></validate>").method == Basic()
    assert typed(f"<validate xmlns='{V}'><open/></validate>").opens_list
    ranged = typed(f"<validate xmlns='{V}' datatype='xs:dateTime'>"
                   "<range min='2003-10-05T00:00:00-07:00' max='2003-10-24T23:59:59-07:00'/>"
                   "</validate>")
    assert ranged.method == Range(min="2003-10-05T00:00:00-07:00",
                                  max="2003-10-24T23:59:59-07:00")
    pattern = typed(f"<validate xmlns='{V}'><regex>([0-9]{{3}})-([0-9]{{4}})</regex></validate>")
    assert pattern.method == Regex(pattern="([0-9]{3})-([0-9]{4})") and pattern.opens_list
    counted = typed(f"<validate xmlns='{V}'><basic/><list-range min='1' max='3'/></validate>")
    assert counted.list_range == ListRange(min=1, max=3)


def test_the_list_range_may_come_first_for_parse_and_schema_alike() -> None:
    xml = f"<validate xmlns='{V}'><list-range max='2'/><open/></validate>"
    assert typed(xml) == Validate(method=Open(), list_range=ListRange(max=2))
    assert xepcodec.validate(xml.encode()).ok


@pytest.mark.parametrize("datatype", ["xs:integer", "xs:anyURI", "xs:gYearMonth",
                                      "x:account-number", "x:_x.1", "pubsub:integer-or-max",
                                      "xsd:integer", "xs1:a", "X:a", "x-s:a"])
def test_datatypes_of_xml_schema_and_of_other_prefixes(datatype: str) -> None:
    xml = f"<validate xmlns='{V}' datatype='{datatype}'/>"
    assert typed(xml).datatype == datatype
    assert xepcodec.validate(xml.encode()).ok


@pytest.mark.parametrize(("xml", "words"), [
    (f"<validate xmlns='{V}' datatype='integer'/>", ["'integer' is not a datatype"]),
    (f"<validate xmlns='{V}' datatype='xs:integr'/>", ["not a datatype"]),
    (f"<validate xmlns='{V}' datatype='xs:Integer'/>", ["not a datatype"]),
    (f"<validate xmlns='{V}' datatype='x:'/>", ["not a datatype"]),
    (f"<validate xmlns='{V}' datatype=':integer'/>", ["not a datatype"]),
    (f"<validate xmlns='{V}' datatype='x:a:b'/>", ["not a datatype"]),
    (f"<validate xmlns='{V}'><basic/><open/></validate>", ["open"]),
    (f"<validate xmlns='{V}'><regex>a</regex><range min='1'/></validate>", ["range"]),
    (f"<validate xmlns='{V}'><list-range/><list-range/></validate>", ["list-range"]),
    (f"<validate xmlns='{V}'><basic>x</basic></validate>", ["text"]),
    (f"<validate xmlns='{V}'><open kind='any'/></validate>", ["kind"]),
    (f"<validate xmlns='{V}'><regex><b/></regex></validate>", []),
    (f"<validate xmlns='{V}'><range min='1'/></validate>", ["xs:string", "§4.7"]),
    (f"<validate xmlns='{V}' datatype='xs:language'><range/></validate>", ["xs:language"]),
    (f"<validate xmlns='{V}' datatype='xs:integer'><range min='one'/></validate>",
     ["min 'one'", "xs:integer"]),
    (f"<validate xmlns='{V}' datatype='xs:byte'><range max='200'/></validate>",
     ["max '200'", "xs:byte"]),
    (f"<validate xmlns='{V}' datatype='xs:date'><range min='2024-02-01' max='2024-01-31'/>"
     "</validate>", ["above its max"]),
    (f"<validate xmlns='{V}'><list-range min='-1'/></validate>", ["min"]),
    (f"<validate xmlns='{V}'><list-range max='two'/></validate>", ["max"]),
    (f"<validate xmlns='{V}'><list-range min='3' max='2'/></validate>", ["at least 3"]),
])
def test_malformed_rules_are_refused_by_parse_and_validate(xml: str,
                                                           words: list[str]) -> None:
    rejects(xml, *words)
    assert not xepcodec.validate(xml.encode()).ok


def test_construction_follows_the_same_rules() -> None:
    with pytest.raises(ArgumentValueError, match="not a datatype"):
        Validate(datatype="number")
    with pytest.raises(ArgumentValueError, match="xs:string"):
        Validate(method=Range(max="9"))
    with pytest.raises(ArgumentValueError, match="not a value of xs:time"):
        Validate(datatype="xs:time", method=Range(min="noon"))
    with pytest.raises(ArgumentValueError, match="no selection"):
        ListRange(min=2, max=1)
    # The bounds of a datatype this module does not know are the form author's.
    assert Validate(datatype="x:colour", method=Range(min="red", max="blue")).method


def test_a_field_with_two_rule_sets_is_refused_when_read() -> None:
    field = _field(f"<validate xmlns='{V}'/><validate xmlns='{V}' datatype='xs:int'/>")
    with pytest.raises(ParseError, match="holds 2 <validate/>") as caught:
        validation_of(field)
    assert caught.value.condition == "bad-request"
    with pytest.raises(ParseError):
        validate_values(field)
    with pytest.raises(ArgumentTypeError):
        validation_of(Validate())  # type: ignore[arg-type]


# -- checking values --------------------------------------------------------------------


def test_a_field_without_rules_has_no_problems() -> None:
    assert validate_values(Field(var="f", values=("anything",))) == []
    assert validation_of(Field(var="f")) is None


@pytest.mark.parametrize(("datatype", "good", "bad"), [
    ("xs:integer", ["42", "-7", "+0", "123456789012345678901234567890"], ["4.2", "x", "1e3"]),
    ("xs:byte", ["-128", "127"], ["128", "-129"]),
    ("xs:unsignedShort", ["0", "65535"], ["-1", "65536"]),
    ("xs:positiveInteger", ["1"], ["0"]),
    ("xs:decimal", ["3.14", "-.5", "10"], ["1e2", "3,14"]),
    ("xs:double", ["1e-3", "INF", "-INF", "NaN", "2.5"], ["inf", "1e", "e3"]),
    ("xs:boolean", ["true", "0"], ["yes", "TRUE"]),
    ("xs:date", ["2024-02-29"], ["2023-02-29", "29/02/2024"]),
    ("xs:dateTime", ["2003-10-06T11:22:00-07:00", "2003-10-06T11:22:00"],
     ["2003-10-06 11:22:00", "2003-10-06"]),
    ("xs:time", ["11:22:00", "23:59:59Z"], ["25:00:00", "11:22"]),
    ("xs:language", ["en", "de-CH", "zh-Hant-TW"], ["english language", "en_GB", "-en"]),
    ("xs:anyURI", ["https://example.org/a?b=c", "urn:xmpp:occupant-id:0", "#frag"],
     ["http://exa mple.org", "http://[::1/"]),
    ("xs:string", ["anything at all"], []),
    ("x:colour", ["not checked"], []),
    ("pubsub:integer-or-max", ["max", "10", "-1"], ["maximum", "ten", "MAX"]),
    ("xs:gYear", ["not checked either: a datatype this module does not read"], []),
])
def test_values_are_read_by_the_datatype(datatype: str, good: list[str],
                                         bad: list[str]) -> None:
    rules = Validate(datatype=datatype)
    for value in good:
        assert validate_values(_with(rules, value)) == [], value
    for value in bad:
        problems = validate_values(_with(rules, value))
        assert len(problems) == 1, (value, problems)
        assert problems[0].startswith(f"field 'f': {value!r} is not a value of {datatype}")


def test_empty_values_mean_no_value_and_are_not_checked() -> None:
    assert validate_values(_with(Validate(datatype="xs:integer"), "", "  ",
                                 type_=FieldType.TEXT_MULTI)) == []


def test_a_range_bounds_the_values_in_the_datatypes_order() -> None:
    rules = Validate(datatype="xs:int", method=Range(min="1", max="10"))
    assert validate_values(_with(rules, "1")) == validate_values(_with(rules, "10")) == []
    assert validate_values(_with(rules, "0")) == ["field 'f': '0' is below the minimum '1'"]
    assert validate_values(_with(rules, "11")) == ["field 'f': '11' is above the maximum '10'"]
    # Numbers, not strings: "9" is below "10".
    assert validate_values(_with(rules, "9")) == []
    late = Validate(datatype="xs:dateTime",
                    method=Range(max="2003-10-24T23:59:59-07:00"))
    # The same instant written in another zone is inside; a zoneless one counts as UTC.
    assert validate_values(_with(late, "2003-10-25T06:59:59Z")) == []
    assert validate_values(_with(late, "2003-10-25T07:00:00")) != []
    one_sided = Validate(datatype="xs:double", method=Range(min="0"))
    assert validate_values(_with(one_sided, "1e300")) == []
    assert validate_values(_with(one_sided, "NaN")) == [
        "field 'f': 'NaN' is not a number, so it is in no range"]
    noon = Validate(datatype="xs:time", method=Range(max="12:00:00+02:00"))
    assert validate_values(_with(noon, "10:00:00Z")) == []
    assert validate_values(_with(noon, "11:00:00Z")) != []


def test_prosodys_pubsub_max_items_field() -> None:
    field = _field(f"<validate xmlns='{V}' datatype='pubsub:integer-or-max'>"
                   "<range min='1' max='256'/></validate><value>max</value>",
                   var="pubsub#max_items")
    rules = validation_of(field)
    assert rules == Validate(datatype="pubsub:integer-or-max", method=Range(min="1", max="256"))
    # "max", the most the service allows, is within any range; numbers are held to it.
    assert validate_values(field) == []
    assert validate_values(_with(rules, "256")) == []
    assert validate_values(_with(rules, "0")) == ["field 'f': '0' is below the minimum '1'"]
    assert validate_values(_with(rules, "257")) != []
    rejects(f"<validate xmlns='{V}' datatype='pubsub:integer-or-max'><range min='one'/>"
            "</validate>", "min 'one'")


def test_a_range_of_an_unknown_datatype_is_not_applied() -> None:
    rules = Validate(datatype="x:colour", method=Range(min="red", max="blue"))
    assert validate_values(_with(rules, "green")) == []


def test_a_pattern_matches_the_whole_value() -> None:
    rules = Validate(method=Regex(pattern="([0-9]{3})-([0-9]{2})-([0-9]{4})"))
    assert validate_values(_with(rules, "123-12-1234")) == []
    assert validate_values(_with(rules, "x123-12-1234y")) == [
        "field 'f': 'x123-12-1234y' does not match the pattern "
        "'([0-9]{3})-([0-9]{2})-([0-9]{4})'"]
    # The datatype is checked too, before the pattern.
    typed_pattern = Validate(datatype="xs:integer", method=Regex(pattern="[0-9]+"))
    assert validate_values(_with(typed_pattern, "-5"))[0].endswith("does not match the "
                                                                     "pattern '[0-9]+'")


def test_posix_named_classes_are_read() -> None:
    rules = Validate(method=Regex(pattern="[[:upper:]][[:digit:]]{2}[[:space:]]?"))
    assert validate_values(_with(rules, "A12")) == validate_values(_with(rules, "B34 ")) == []
    assert validate_values(_with(rules, "a12")) != []
    assert validate_values(_with(rules, "A1x")) != []


@pytest.mark.parametrize("pattern", ["([0-9]", "[[:nosuch:]]", "a{2,1}"])
def test_a_pattern_python_cannot_read_is_reported_not_raised(pattern: str) -> None:
    rules = Validate(method=Regex(pattern=pattern))
    assert validate_values(_with(rules, "abc", "def", type_=FieldType.TEXT_MULTI)) == [
        f"field 'f': its pattern {pattern!r} cannot be applied"]


def test_a_list_field_keeps_to_its_options_unless_its_rules_open_it() -> None:
    options = ("holiday", "reminder")
    basic = Validate(method=Basic())
    assert validate_values(_with(basic, "holiday", type_=FieldType.LIST_SINGLE,
                                 options=options)) == []
    assert validate_values(_with(basic, "party", type_=FieldType.LIST_SINGLE,
                                 options=options)) == [
        "field 'f': 'party' is not one of its options"]
    assert validate_values(_with(Validate(), "party", type_=FieldType.LIST_SINGLE,
                                 options=options)) != []
    opened = Validate(method=Open())
    assert validate_values(_with(opened, "party", type_=FieldType.LIST_SINGLE,
                                 options=options)) == []
    # A submitted field carries no options: nothing to keep to.
    assert validate_values(_with(basic, "party", type_=FieldType.LIST_SINGLE)) == []
    # A text field's options are none of this rule's business.
    assert validate_values(_with(basic, "party")) == []


def test_a_list_range_counts_the_values_of_a_list_multi_field() -> None:
    rules = Validate(method=Open(), list_range=ListRange(min=1, max=2))
    multi = FieldType.LIST_MULTI
    assert validate_values(_with(rules, "a", type_=multi)) == []
    assert validate_values(_with(rules, type_=multi)) == [
        "field 'f': 0 value(s) chosen, fewer than the 1 asked for"]
    assert validate_values(_with(rules, "a", "b", "c", type_=multi)) == [
        "field 'f': 3 value(s) chosen, more than the 2 allowed"]
    # The XEP has the list range ignored for other field types.
    assert validate_values(_with(rules, "a", "b", "c", type_=FieldType.TEXT_MULTI)) == []


def test_a_form_whose_values_break_its_rules_still_parses_and_is_reported() -> None:
    xml = ("<x xmlns='jabber:x:data' type='form'>"
           f"<field var='age' type='text-single'><validate xmlns='{V}' datatype='xs:integer'>"
           "<range min='0' max='150'/></validate><value>-3</value></field>"
           f"<field var='lang' type='text-single'><validate xmlns='{V}' datatype='xs:language'/>"
           "<value>en</value></field>"
           "<field var='note' type='text-single'><value>free</value></field></x>")
    form = xepcodec.parse(xml)
    assert isinstance(form, Form)
    assert xepcodec.validate(xml.encode()).ok
    assert validate_form_values(form) == {"age": ["field 'age': '-3' is below the minimum '0'"]}
    with pytest.raises(ArgumentTypeError):
        validate_form_values(form.fields[0])  # type: ignore[arg-type]


def test_the_fields_of_a_forms_items_are_checked_too() -> None:
    rules = Validate(datatype="xs:integer")
    form = xepcodec.parse(
        "<x xmlns='jabber:x:data' type='result'><reported><field var='n'/></reported>"
        f"<item><field var='n'><validate xmlns='{V}' datatype='xs:integer'/><value>1</value>"
        f"</field></item><item><field var='n'><validate xmlns='{V}' datatype='xs:integer'/>"
        "<value>one</value></field></item></x>")
    assert isinstance(form, Form)
    assert form.items[0].fields[0].extensions == (rules,)
    assert list(validate_form_values(form)) == ["n"]
