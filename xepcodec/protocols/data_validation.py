"""Data Forms Validation (XEP-0122, namespace ``http://jabber.org/protocol/xdata-validate``).

This module follows version 1.0 of the XEP.  The XEP's text is not among the project's
specification documents, so the module is written from the published version and its
examples are not run by the conformance test.

A form's author puts one ``<validate/>`` (:class:`Validate`) in a data form field to say
more about the values it expects than the field type can: their ``datatype`` (an XML
Schema built-in type written ``xs:integer``, ``xs:dateTime``..., or an ad-hoc one written
``x:name``, or one another specification registered, such as XEP-0060's
``pubsub:integer-or-max``; ``xs:string`` when absent), how to check them (at most one method:
:class:`Basic`, the datatype alone and the default; :class:`Open`, which lets a list
field take values beyond its options; :class:`Range`, bounds in the datatype;
:class:`Regex`, a pattern), and, for a list-multi field, how many values to pick
(:class:`ListRange`).  Being a child of another namespace in the field, the element is
kept typed in :attr:`~xepcodec.protocols.dataforms.Field.extensions`;
:func:`validation_of` finds it.

Rules checked on parse (a ``bad-request`` ParseError naming the node) and on
construction (``ValueError``):

* the datatype is ``xs:`` followed by one of XML Schema's built-in type names, or
  another prefix and a name: ``x:`` for an ad-hoc datatype, or a prefix registered
  since (XEP-0060's ``pubsub:integer-or-max``, which Prosody sends, is one);
* at most one method and one list range (the XEP writes the method first; either order
  is read), and ``<basic/>`` and ``<open/>`` are empty;
* a range does not apply to ``xs:string`` (§4.7), nor to the other datatypes this module
  knows to have no order (``xs:boolean``, ``xs:language``, ``xs:anyURI``); with a
  datatype this module knows to be ordered (the integer types, ``xs:decimal``,
  ``xs:double``, ``xs:float``, ``xs:date``, ``xs:dateTime``, ``xs:time``, and
  ``pubsub:integer-or-max``, whose ``max`` no bound excludes) its bounds are values of
  that datatype and ``min`` is not above ``max``;
* a list range counts values (a non-negative integer; the XEP's prose says positive,
  its schema unsigned, and a minimum of 0 means none) and its ``min`` is not above
  its ``max``.

Whether a field's *values* follow its rules is another matter: a form whose values
break them still parses, since the values are the user's to correct (and the XEP warns
that a submitted form may not have been checked at all).  :func:`validate_values` and
:func:`validate_form_values` report what is wrong, as sentences for the user.  They
read values by the datatype where this module knows it (an unknown one, as the XEP
says, is read as ``xs:string``), apply the method (a regex must match the whole value;
POSIX's named classes such as ``[:digit:]`` are read as their ASCII ranges, and a
pattern Python's engine cannot read is reported as a problem),
hold a list field's values to its options unless the method opens it, and count a
list-multi field's values against its list range.  Empty values, which XEP-0004 lets
mean "no value", are not checked.
"""

from __future__ import annotations

import math
import re
import urllib.parse
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from xepcodec.datatypes.dates import parse_date, parse_datetime, parse_time
from xepcodec.errors import ArgumentTypeError, ParseError
from xepcodec.model import attr, child, element, text
from xepcodec.model.values import BOOLEAN, Integer, String
from xepcodec.protocols.dataforms import LIST_TYPES, Field, FieldType, Form

__all__ = [
    "DEFAULT_DATATYPE",
    "NS_XDATA_VALIDATE",
    "Basic",
    "ListRange",
    "Open",
    "Range",
    "Regex",
    "Validate",
    "validate_form_values",
    "validate_values",
    "validation_of",
]

#: The XEP-0122 namespace, which is also the disco#info feature of an entity that
#: understands it.
NS_XDATA_VALIDATE: Final = "http://jabber.org/protocol/xdata-validate"
#: The datatype of a ``<validate/>`` without one.
DEFAULT_DATATYPE: Final = "xs:string"

# The built-in datatypes of XML Schema Part 2 (§3), which the "xs:" prefix names.
_XS_BUILT_INS: Final = (
    "string", "boolean", "decimal", "float", "double", "duration", "dateTime", "time",
    "date", "gYearMonth", "gYear", "gMonthDay", "gDay", "gMonth", "hexBinary",
    "base64Binary", "anyURI", "QName", "NOTATION", "normalizedString", "token", "language",
    "NMTOKEN", "NMTOKENS", "Name", "NCName", "ID", "IDREF", "IDREFS", "ENTITY", "ENTITIES",
    "integer", "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte",
    "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    "positiveInteger",
)


_NAME_CHARACTER: Final = r"[A-Za-z0-9_.\-]"
# A prefix other than "xs" (whose names are XML Schema's), spelt without the look-ahead
# the schema's regular expressions lack: one character, or two or more not "xs" at first.
_OTHER_PREFIX: Final = (rf"[A-Za-wyz_]{_NAME_CHARACTER}*|x|x[A-Za-rt-z0-9_.\-]"
                        rf"{_NAME_CHARACTER}*|xs{_NAME_CHARACTER}+")


@dataclass(frozen=True, slots=True)
class _Datatype(String):
    """A datatype name: ``xs:`` and a built-in type, or another prefix and a name,
    written so that Python and the pattern facet of schemas/xdata-validate.xsd read it
    alike."""

    pattern: str | None = (rf"xs:({'|'.join(_XS_BUILT_INS)})"
                           rf"|({_OTHER_PREFIX}):[A-Za-z_]{_NAME_CHARACTER}*")
    description = "a datatype name"

    def _check(self, text: str) -> None:
        if re.fullmatch(self.pattern or "", text) is None:
            raise ValueError(f"{text!r} is not a datatype: one is 'xs:' and a built-in XML "
                             "Schema type (xs:integer, xs:dateTime...), or another prefix "
                             "and a name (x:name, pubsub:integer-or-max) (XEP-0122 §3.1)")


_DATATYPE: Final = _Datatype()
_COUNT: Final = Integer(minimum=0)


# -- elements ---------------------------------------------------------------------------


@element(NS_XDATA_VALIDATE, "basic")
class Basic:
    """Check the values against the datatype and the field type only (the default)."""


@element(NS_XDATA_VALIDATE, "open")
class Open:
    """Let a list field take values beyond its options (each checked against the
    datatype), or have a text-multi field's lines checked one by one."""


@element(NS_XDATA_VALIDATE, "range")
class Range:
    """Bounds for the values, written in the datatype; either may be absent."""

    min: str | None = attr(default=None)
    max: str | None = attr(default=None)


@element(NS_XDATA_VALIDATE, "regex")
class Regex:
    """A pattern each value matches (POSIX extended syntax, says the XEP)."""

    pattern: str = text()


@element(NS_XDATA_VALIDATE, "list-range")
class ListRange:
    """How many values a list-multi field takes: at least ``min``, at most ``max``."""

    min: int | None = attr(default=None, value=_COUNT)
    max: int | None = attr(default=None, value=_COUNT)

    def __post_init__(self) -> None:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"a <list-range/> asks for at least {self.min} and at most "
                             f"{self.max} values, which no selection satisfies")


@element(NS_XDATA_VALIDATE, "validate")
class Validate:
    """A field's validation: its datatype, method and list range.

    ``datatype`` is None when the attribute is absent (read as :data:`DEFAULT_DATATYPE`,
    see :attr:`effective_datatype`), and ``method`` None when no method is given (read
    as :class:`Basic`), so that the XML round-trips exactly.
    """

    datatype: str | None = attr(default=None, value=_DATATYPE)
    method: Basic | Open | Range | Regex | None = child(Basic, Open, Range, Regex,
                                                        default=None)
    list_range: ListRange | None = child(ListRange, default=None)

    def __post_init__(self) -> None:
        if isinstance(self.method, Range):
            _check_range(self.effective_datatype, self.method)

    @property
    def effective_datatype(self) -> str:
        """The datatype the values are read as: the one given, or ``xs:string``."""
        return self.datatype if self.datatype is not None else DEFAULT_DATATYPE

    @property
    def opens_list(self) -> bool:
        """Whether a list field may take values beyond its options: any method but
        :class:`Basic` does so (§3.2)."""
        return self.method is not None and not isinstance(self.method, Basic)


# -- datatypes --------------------------------------------------------------------------

# The integer types of XML Schema and their bounds.
_INTEGERS: Final[Mapping[str, tuple[int | None, int | None]]] = {
    "xs:integer": (None, None),
    "xs:nonNegativeInteger": (0, None),
    "xs:positiveInteger": (1, None),
    "xs:nonPositiveInteger": (None, 0),
    "xs:negativeInteger": (None, -1),
    "xs:long": (-2**63, 2**63 - 1),
    "xs:int": (-2**31, 2**31 - 1),
    "xs:short": (-2**15, 2**15 - 1),
    "xs:byte": (-2**7, 2**7 - 1),
    "xs:unsignedLong": (0, 2**64 - 1),
    "xs:unsignedInt": (0, 2**32 - 1),
    "xs:unsignedShort": (0, 2**16 - 1),
    "xs:unsignedByte": (0, 2**8 - 1),
}
_DECIMAL: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_FLOAT: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|-?INF|NaN")
_LANGUAGE: Final = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
_ZONED: Final = re.compile(r".*(Z|[+-]\d{2}:\d{2})")


def _integer(low: int | None, high: int | None) -> Callable[[str], int]:
    return Integer(minimum=low, maximum=high).parse


def _decimal(value: str) -> Decimal:
    if _DECIMAL.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not a decimal number")
    return Decimal(value)


def _float(value: str) -> float:
    if _FLOAT.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not a floating-point number")
    return float(value.replace("INF", "inf"))


def _datetime(value: str) -> datetime:
    # XML Schema lets a date-time go without its zone; it is then compared as UTC.
    if _ZONED.fullmatch(value) is None:
        return parse_datetime(value + "Z")
    return parse_datetime(value)


def _time(value: str) -> datetime:
    # A time is compared as the instant it is on a fixed day, UTC when it has no zone.
    read = parse_time(value)
    zone = read.tzinfo or UTC
    return datetime.combine(date(2000, 1, 3), read.replace(tzinfo=zone)).astimezone(UTC)


def _language(value: str) -> str:
    if _LANGUAGE.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not a language tag")
    return value


def _uri(value: str) -> str:
    if any(character.isspace() for character in value):
        raise ValueError(f"{value!r} is not a URI: it holds white space")
    urllib.parse.urlsplit(value)  # refuses a malformed IPv6 host, say
    return value


def _integer_or_max(value: str) -> int | None:
    # XEP-0060's datatype: an integer, or "max" for the most the service allows, which
    # no range excludes (the range applies to the integer, says XEP-0060).
    return None if value == "max" else Integer().parse(value)


def _boolean(value: str) -> bool:
    return BOOLEAN.parse(value)


#: Datatype -> a reader returning a value that compares in the datatype's order (or None
#: for one above every bound).
_ORDERED: Final[Mapping[str, Callable[[str], Any]]] = {
    **{name: _integer(low, high) for name, (low, high) in _INTEGERS.items()},
    "xs:decimal": _decimal,
    "xs:double": _float,
    "xs:float": _float,
    "xs:date": parse_date,
    "xs:dateTime": _datetime,
    "xs:time": _time,
    "pubsub:integer-or-max": _integer_or_max,
}
#: Datatype -> a reader that only checks the value: these have no order.
_UNORDERED: Final[Mapping[str, Callable[[str], Any]]] = {
    "xs:string": str,
    "xs:boolean": _boolean,
    "xs:language": _language,
    "xs:anyURI": _uri,
}


def _check_range(datatype: str, bounds: Range) -> None:
    if datatype in _UNORDERED:
        raise ValueError(f"a <range/> applies to datatypes whose values are ordered, not "
                         f"to {datatype} (XEP-0122 §4.7)")
    read = _ORDERED.get(datatype)
    if read is None:
        return  # a datatype this module does not know: its bounds are the author's
    low = _bound(read, datatype, "min", bounds.min)
    high = _bound(read, datatype, "max", bounds.max)
    if low is not None and high is not None and low > high:
        raise ValueError(f"the <range/> min {bounds.min!r} is above its max "
                         f"{bounds.max!r}, which no value satisfies")


def _bound(read: Callable[[str], Any], datatype: str, name: str,
           value: str | None) -> Any:
    if value is None:
        return None
    try:
        return read(value)
    except ValueError as error:
        raise ValueError(f"the <range/> {name} {value!r} is not a value of {datatype}: "
                         f"{error}") from None


# -- reading and checking values --------------------------------------------------------


def validation_of(field: Field) -> Validate | None:
    """The ``<validate/>`` of ``field``, or None when it has none.

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) when the field holds
    several: a field has one set of validation rules.
    """
    if not isinstance(field, Field):
        raise ArgumentTypeError(f"validation_of reads a Field, not {type(field).__name__}")
    found = [each for each in field.extensions if isinstance(each, Validate)]
    if len(found) > 1:
        raise ParseError(f"field {field.var!r} holds {len(found)} <validate/> elements; a "
                         "field has one (XEP-0122 §3)", path="/x/field/validate")
    return found[0] if found else None


def validate_values(field: Field) -> list[str]:
    """What is wrong with the values of ``field`` by its ``<validate/>``: one sentence
    per problem, the empty list when the values are fine or the field has no rules.

    See the module docstring for what is checked.  Raises
    :class:`~xepcodec.errors.ParseError` as :func:`validation_of` does.
    """
    rules = validation_of(field)
    if rules is None:
        return []
    name = f"field {field.var!r}" if field.var is not None else "a field without var"
    datatype = rules.effective_datatype
    read = _ORDERED.get(datatype) or _UNORDERED.get(datatype) or str
    method = rules.method
    pattern = _compiled(method.pattern) if isinstance(method, Regex) else None
    problems: list[str] = []
    if isinstance(method, Regex) and pattern is None:
        problems.append(f"{name}: its pattern {method.pattern!r} cannot be applied")
    values = [value for value in field.values if value.strip()]
    kind = field.effective_type
    choices = {option.value for option in field.options}
    for value in values:
        try:
            typed = read(value)
        except ValueError as error:
            problems.append(f"{name}: {value!r} is not a value of {datatype} ({error})")
            continue
        if kind in LIST_TYPES and choices and not rules.opens_list and value not in choices:
            problems.append(f"{name}: {value!r} is not one of its options")
        if isinstance(method, Range):
            problems.extend(_outside(name, value, typed, datatype, method))
        if pattern is not None and pattern.fullmatch(value) is None:
            problems.append(f"{name}: {value!r} does not match the pattern "
                            f"{pattern.pattern!r}")
    if kind is FieldType.LIST_MULTI and rules.list_range is not None:
        problems.extend(_miscounted(name, len(values), rules.list_range))
    return problems


def validate_form_values(form: Form) -> dict[str, list[str]]:
    """The problems :func:`validate_values` finds, by var, for each field of ``form``
    (its own fields and the fields of its items) that has any."""
    if not isinstance(form, Form):
        raise ArgumentTypeError(f"validate_form_values reads a Form, not "
                                f"{type(form).__name__}")
    found: dict[str, list[str]] = {}
    fields = [*form.fields, *(field for item in form.items for field in item.fields)]
    for field in fields:
        problems = validate_values(field)
        if problems and field.var is not None:
            found.setdefault(field.var, []).extend(problems)
    return found


# POSIX bracket expressions' named classes, as the ranges Python's engine reads inside
# brackets (ASCII ones: Python has no set item for "any letter").
_POSIX_CLASSES: Final = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z",
    "lower": "a-z", "space": r"\s", "blank": r" \t", "xdigit": "0-9A-Fa-f",
    "punct": r"!-/:-@\[-`{-~", "cntrl": r"\x00-\x1f\x7f", "print": r"\x20-\x7e",
    "graph": r"\x21-\x7e",
}
_POSIX_CLASS: Final = re.compile(r"\[:([a-z]+):\]")


def _compiled(pattern: str) -> re.Pattern[str] | None:
    """The XEP's POSIX extended pattern in Python's syntax, which shares its common
    forms; None for one Python cannot read or would read otherwise (a FutureWarning)."""
    python = _POSIX_CLASS.sub(
        lambda found: _POSIX_CLASSES.get(found[1], found[0]), pattern)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        try:
            return re.compile(python)
        except (re.error, FutureWarning):
            return None


def _outside(name: str, value: str, typed: Any, datatype: str, bounds: Range) -> list[str]:
    read = _ORDERED.get(datatype)
    if read is None or typed is None:
        return []  # a datatype this module cannot order, or a value above every bound
    if isinstance(typed, float) and math.isnan(typed):
        return [f"{name}: {value!r} is not a number, so it is in no range"]
    low = read(bounds.min) if bounds.min is not None else None
    high = read(bounds.max) if bounds.max is not None else None
    problems = []
    if low is not None and typed < low:
        problems.append(f"{name}: {value!r} is below the minimum {bounds.min!r}")
    if high is not None and typed > high:
        problems.append(f"{name}: {value!r} is above the maximum {bounds.max!r}")
    return problems


def _miscounted(name: str, count: int, bounds: ListRange) -> list[str]:
    if bounds.min is not None and count < bounds.min:
        return [f"{name}: {count} value(s) chosen, fewer than the {bounds.min} asked for"]
    if bounds.max is not None and count > bounds.max:
        return [f"{name}: {count} value(s) chosen, more than the {bounds.max} allowed"]
    return []
