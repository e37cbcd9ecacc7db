"""Typed views of XEP-0004 data forms that carry a known XEP-0068 FORM_TYPE.

Many protocols exchange data forms whose FORM_TYPE and field vars a registry fixes
(XEP-0133's administration forms, XEP-0045's room configuration, room information,
registration and voice request forms…).  A :class:`FormView` subclass names its
FORM_TYPE and declares one dataclass attribute per field var, made with :func:`var` and
a value :class:`Kind` saying how the field's values read as a Python value and how that
value is written back::

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Settings(FormView):
        FORM_TYPE: ClassVar[str] = "urn:example:settings"

        name: str | None = dataclasses.field(default=None, metadata=var("name", TEXT))
        public: bool | None = dataclasses.field(default=None, metadata=var("public", BOOLEAN))

``Settings.from_form(form)`` reads a form, ``view.to_form(type)`` writes one.  An
attribute holds None (a tuple kind: ``()``) when the form has no value for its field.

Reading is strict where a registry is precise and lenient where deployed services
differ from it; each refusal is a ParseError naming the field and the rule:

* a form whose FORM_TYPE is another one is refused (no FORM_TYPE at all is accepted);
* a field with a declared type must have one of the types its kind accepts (an untyped
  field, as submissions often send, is always accepted);
* a field of a single-valued kind holds at most one value;
* a value must read as the kind's Python value: a JID (a ``jid-malformed``
  :class:`~xepcodec.errors.JIDError` otherwise), a decimal integer, an XEP-0004 boolean,
  one of an enumeration's values…;
* in a submitted or result form, a field the view requires must hold a value (a form of
  type ``form`` is a blank form, whose required fields may be empty).

An empty ``<value/>`` means no value (XEP-0004), and so does a blank one where the
value is parsed rather than taken as text; a boolean field without a value is false,
the default XEP-0004 gives the type.  Fields a view does not define (fixed fields
among them) are kept in its ``extra`` and written back; elements of other namespaces the
form carries are kept in ``extensions``.  Writing refuses a view lacking a required
value in a submission or a result (ArgumentValueError); building a view refuses values
its kinds cannot write (ArgumentTypeError, ArgumentValueError).
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Final, TypeVar

from xepcodec.datatypes.dates import format_datetime, parse_datetime
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, JIDError, ParseError
from xepcodec.model.values import BOOLEAN as _XS_BOOLEAN
from xepcodec.protocols.dataforms import FORM_TYPE, Field, FieldType, Form, FormType

__all__ = [
    "BOOLEAN",
    "CHOICE",
    "CHOICES",
    "COUNT",
    "DATETIME",
    "INTEGER_OR_MAX",
    "JIDS",
    "LIMIT",
    "LINES",
    "MAX",
    "ONE_JID",
    "RATE",
    "SECONDS",
    "SECRET",
    "TEXT",
    "UNLIMITED",
    "WORDS",
    "FormView",
    "Kind",
    "Maximum",
    "Slot",
    "Unlimited",
    "one_of",
    "slots",
    "some_of",
    "var",
]

V = TypeVar("V", bound="FormView")
E = TypeVar("E", bound=enum.Enum)

_T = FieldType
_INTEGER: Final = re.compile(r"[0-9]+")
_DECIMAL: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
#: The metadata key under which :func:`var` stores a slot's declaration.
_METADATA: Final = "xepcodec.form_view"


class Unlimited(enum.Enum):
    """The word a limit field writes instead of a number: no limit at all."""

    UNLIMITED = "none"


#: No limit (XEP-0045's ``muc#roomconfig_maxusers`` offers ``none``).
UNLIMITED: Final = Unlimited.UNLIMITED


class Maximum(enum.Enum):
    """The word an ``integer-or-max`` field writes instead of a number: as many as the
    service allows, whatever its own ceiling is (not "no limit")."""

    MAX = "max"


#: The service's own maximum (XEP-0060's ``pubsub#max_items`` and
#: ``pubsub#item_expire`` take ``max``).
MAX: Final = Maximum.MAX


@dataclasses.dataclass(frozen=True, slots=True)
class Kind:
    """How one slot's Python value is read from a field's values and written back."""

    #: What the field holds, in words, for error messages.
    name: str
    #: The type written on the field when building a form.
    writes: FieldType
    #: The declared types accepted when reading (an untyped field is always accepted).
    accepts: frozenset[FieldType]
    #: Whether the slot holds a tuple of values rather than one value.
    multi: bool
    #: The Python type(s) of the value (of each value, for a multi-valued kind).
    python: type | tuple[type, ...]
    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    #: Whether the field's values are the lines of one text (a text-multi field).
    lines: bool = False
    #: The value of a field the form holds without a value (None: no value).
    unset: Any = None

    @property
    def types(self) -> tuple[type, ...]:
        """The Python types a value may have."""
        return self.python if isinstance(self.python, tuple) else (self.python,)

    def check(self, owner: str, value: Any) -> None:
        """ArgumentTypeError or ArgumentValueError when ``value`` cannot be written."""
        if _empty(value):
            return
        names = " or ".join(each.__name__ for each in self.types)
        if self.multi and not isinstance(value, tuple):
            raise ArgumentTypeError(f"{owner} is a tuple of {names}, not "
                                    f"{type(value).__name__}")
        for each in value if self.multi else (value,):
            # bool is an int: a count must not take True, a boolean must not take 1.
            if (not isinstance(each, self.types)
                    or isinstance(each, bool) is not (bool in self.types)):
                raise ArgumentTypeError(f"{owner} holds {self.name}: a {names}, not "
                                        f"{type(each).__name__}")
            if isinstance(each, int | Decimal) and not isinstance(each, bool) and each < 0:
                raise ArgumentValueError(f"{owner} holds {self.name}, which is not "
                                         f"negative; {each} is")
            if isinstance(each, datetime) and each.utcoffset() is None:
                raise ArgumentValueError(f"{owner} holds an XEP-0082 DateTime, which "
                                         "has a time zone; this datetime is naive")


def _integer(text: str) -> int:
    if not _INTEGER.fullmatch(text.strip()):
        raise ValueError("a number of the form is a decimal integer, such as 123")
    return int(text)


def _decimal(text: str) -> Decimal:
    if not _DECIMAL.fullmatch(text.strip()):
        raise ValueError("a rate of the form is a decimal number, such as 0.1 or 3")
    return Decimal(text.strip())


def _format_decimal(value: Decimal) -> str:
    # Fixed-point notation: the forms' rates are never written with an exponent.
    return format(value, "f")


def _limit(text: str) -> int | Unlimited:
    if text.strip() == UNLIMITED.value:
        return UNLIMITED
    try:
        return _integer(text)
    except ValueError:
        raise ValueError("a limit is a decimal integer or 'none' for no limit") from None


def _integer_or_max(text: str) -> int | Maximum:
    if text.strip() == MAX.value:
        return MAX
    try:
        return _integer(text)
    except ValueError:
        raise ValueError("the value is a decimal integer or 'max' for the service's "
                         "maximum") from None


def _format_limit(value: int | enum.Enum) -> str:
    # A number, or the word that stands for one (none, max).
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


def _kind(name: str, python: type | tuple[type, ...], writes: FieldType,
          *accepts: FieldType, multi: bool = False, parse: Callable[[str], Any] = str,
          format: Callable[[Any], str] = str, lines: bool = False, unset: Any = None) -> Kind:
    return Kind(name, writes, frozenset({writes, *accepts}), multi, python, parse, format,
                lines, unset)


#: One JID (jid-single).
ONE_JID: Final = _kind("a JID", JID, _T.JID_SINGLE, parse=JID.parse)
#: JIDs (jid-multi; services send them as text-multi too, one per line, as Prosody
#: does); duplicates are dropped, as XEP-0004 asks.
JIDS: Final = _kind("JIDs", JID, _T.JID_MULTI, _T.TEXT_MULTI, multi=True, parse=JID.parse)
#: One line of text (text-single).
TEXT: Final = _kind("text", str, _T.TEXT_SINGLE)
#: A password (text-private).
SECRET: Final = _kind("a password", str, _T.TEXT_PRIVATE)
#: A text of several lines (text-multi), one ``str`` joined with newlines.
LINES: Final = _kind("lines of text", str, _T.TEXT_MULTI, lines=True)
#: Several free values (text-multi; services send them as list-multi or text-single too).
WORDS: Final = _kind("several values", str, _T.TEXT_MULTI, _T.LIST_MULTI, _T.TEXT_SINGLE,
                     multi=True)
#: A non-negative decimal integer (text-single).
COUNT: Final = _kind("a count", int, _T.TEXT_SINGLE, parse=_integer)
#: A non-negative decimal number (text-single).
RATE: Final = _kind("a rate", Decimal, _T.TEXT_SINGLE, parse=_decimal, format=_format_decimal)
#: An XEP-0082 DateTime (text-single).
DATETIME: Final = _kind("a DateTime", datetime, _T.TEXT_SINGLE, parse=parse_datetime,
                        format=format_datetime)
#: One of the options a list-single field offers, as written there.
CHOICE: Final = _kind("one option", str, _T.LIST_SINGLE)
#: Some of the options a list-multi field offers, as written there.
CHOICES: Final = _kind("some options", str, _T.LIST_MULTI, multi=True)
#: A number of seconds chosen from a list (list-single; list-multi in XEP-0133's registry).
SECONDS: Final = _kind("a number of seconds", int, _T.LIST_SINGLE, _T.LIST_MULTI,
                       parse=_integer)
#: An XEP-0004 boolean: ``true``, ``false``, ``1`` or ``0`` read, written as
#: :mod:`~xepcodec.protocols.dataforms` writes every boolean, ``true`` or ``false``.  A
#: boolean field without a value is false, the type's default (XEP-0004 §3.3; Prosody
#: sends false that way); a form without the field leaves the slot None.
BOOLEAN: Final = _kind("a boolean", bool, _T.BOOLEAN, parse=_XS_BOOLEAN.parse,
                       format=_XS_BOOLEAN.format, unset=False)
#: A non-negative integer or :data:`UNLIMITED` (list-single, as XEP-0045 offers a room's
#: maximum of occupants; text-single accepted).
LIMIT: Final = _kind("a number or 'none'", (int, Unlimited), _T.LIST_SINGLE, _T.TEXT_SINGLE,
                     parse=_limit, format=_format_limit)
#: A non-negative integer or :data:`MAX`: the ``integer-or-max`` datatype XEP-0060
#: registers for XEP-0122 (text-single).
INTEGER_OR_MAX: Final = _kind("a number or 'max'", (int, Maximum), _T.TEXT_SINGLE,
                              parse=_integer_or_max, format=_format_limit)


def _enum_parser(options: type[E]) -> Callable[[str], E]:
    def parse(text: str) -> E:
        try:
            return options(text)
        except ValueError:
            allowed = ", ".join(repr(each.value) for each in options)
            raise ValueError(f"the options are {allowed}") from None
    return parse


def _enum_format(value: enum.Enum) -> str:
    return str(value.value)


def one_of(options: type[enum.Enum]) -> Kind:
    """The kind of a list-single field whose options are the values of ``options``."""
    return _kind(f"one {options.__name__} value", options, _T.LIST_SINGLE,
                 parse=_enum_parser(options), format=_enum_format)


def some_of(options: type[enum.Enum]) -> Kind:
    """The kind of a list-multi field whose options are the values of ``options``."""
    return _kind(f"{options.__name__} values", options, _T.LIST_MULTI, multi=True,
                 parse=_enum_parser(options), format=_enum_format)


@dataclasses.dataclass(frozen=True, slots=True)
class Slot:
    """One declared field of a view: the attribute holding it, its var and kind."""

    attribute: str
    var: str
    kind: Kind
    required: bool


def var(name: str, kind: Kind, *, required: bool = False) -> Mapping[str, Any]:
    """The dataclass field metadata that makes a view's attribute the field ``name``
    holding ``kind`` values (``required``: a submission or result must give one)."""
    return {_METADATA: (name, kind, required)}


def slots(view: type[FormView] | FormView) -> tuple[Slot, ...]:
    """The fields a view class declares, in declaration order."""
    found = []
    for field in dataclasses.fields(view):
        spec = field.metadata.get(_METADATA)
        if spec is not None:
            name, kind, required = spec
            found.append(Slot(field.name, name, kind, required))
    return tuple(found)


@dataclasses.dataclass(frozen=True, kw_only=True)
class FormView:
    """The typed view of one form; subclasses set :attr:`FORM_TYPE` and declare fields.

    ``extra`` holds the form's fields this view does not define (not FORM_TYPE), and
    ``extensions`` the elements of other namespaces the form carries, both written back
    as they are.
    """

    #: The XEP-0068 FORM_TYPE of the forms this view reads and writes.
    FORM_TYPE: ClassVar[str]

    extra: tuple[Field, ...] = ()
    extensions: tuple[Any, ...] = ()

    #: Vars of which at least one must hold a value in a submitted or result form
    #: (where services disagree on which of them a form uses).
    _ONE_OF: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        declared = slots(type(self))
        for slot in declared:
            slot.kind.check(f"{type(self).__name__}.{slot.attribute}",
                            getattr(self, slot.attribute))
        mine = {slot.var for slot in declared} | {FORM_TYPE}
        for field in self.extra:
            if field.var in mine:
                raise ArgumentValueError(f"{type(self).__name__}.extra holds a field "
                                         f"{field.var!r}, which the view defines itself")

    # -- reading ----------------------------------------------------------------------

    @classmethod
    def from_form(cls: type[V], form: Form) -> V:
        """The view of ``form``; ParseError naming the field and the rule it breaks."""
        where = f"the {cls.__name__} form"
        if form.form_type not in (None, cls.FORM_TYPE):
            raise ParseError(f"{where} has FORM_TYPE {form.form_type!r}; {cls.__name__} "
                             f"forms have {cls.FORM_TYPE!r}")
        declared = {slot.var: slot for slot in slots(cls)}
        values: dict[str, Any] = {}
        extra: list[Field] = []
        for field in form.fields:
            slot = declared.get(field.var or "")
            if slot is not None:
                values[slot.attribute] = _read(field, slot, where)
            elif field.var != FORM_TYPE:
                extra.append(field)
        view = cls(extra=tuple(extra), extensions=form.extensions, **values)
        if form.type in (FormType.SUBMIT, FormType.RESULT):
            missing = view.missing()
            if missing:
                raise ParseError(f"{where} ({form.type}) lacks a value for the required "
                                 f"field {missing}")
        return view

    def missing(self) -> str | None:
        """What a submitted or result form of this view must hold and does not (the
        required fields), or None when it is complete."""
        declared = slots(type(self))
        for slot in declared:
            if slot.required and _empty(getattr(self, slot.attribute)):
                return repr(slot.var)
        if self._ONE_OF and all(_empty(getattr(self, slot.attribute))
                                for slot in declared if slot.var in self._ONE_OF):
            return " or ".join(repr(name) for name in self._ONE_OF)
        return None

    # -- writing ----------------------------------------------------------------------

    def to_form(self, form_type: FormType | str = FormType.SUBMIT) -> Form:
        """This view as a form of ``form_type`` (a submission by default): FORM_TYPE first,
        then the view's fields that hold a value, each with the type its kind writes,
        then ``extra``.  ArgumentValueError when a submission or a result lacks a
        required value."""
        kind = FormType(form_type)
        if kind in (FormType.SUBMIT, FormType.RESULT):
            missing = self.missing()
            if missing:
                raise ArgumentValueError(f"{type(self).__name__} needs a value for "
                                         f"{missing} in a form of type {kind}")
        fields = [Field(var=FORM_TYPE, type=_T.HIDDEN, values=(self.FORM_TYPE,))]
        for slot in slots(type(self)):
            value = getattr(self, slot.attribute)
            if _empty(value):
                continue
            fields.append(Field(var=slot.var, type=slot.kind.writes,
                                values=_write(value, slot.kind)))
        fields.extend(self.extra)
        return Form(type=kind, fields=tuple(fields), extensions=self.extensions)


def _empty(value: Any) -> bool:
    return value is None or value == () or value == ""


def _read(field: Field, slot: Slot, where: str) -> Any:
    kind = slot.kind
    name = f"field {slot.var!r} of {where}"
    if field.type is not None and field.type not in kind.accepts:
        allowed = " or ".join(sorted(kind.accepts))
        raise ParseError(f"{name} has type {field.type}; it holds {kind.name}, so its "
                         f"type is {allowed}, or it has none")
    if kind.lines:
        # A text-multi field's values are the lines of one text.
        return "\n".join(field.values) or None
    # An empty <value/> means no value (XEP-0004); a blank one too where text is parsed.
    values = tuple(value for value in field.values
                   if (value.strip() if kind.parse is not str else value))
    if len(values) > 1 and not kind.multi:
        raise ParseError(f"{name} holds {len(values)} values; it holds {kind.name}")
    parsed: list[Any] = []
    for value in values:
        try:
            parsed.append(kind.parse(value))
        except JIDError as error:
            raise JIDError(f"{name} holds {value!r}, which is not a valid JID: "
                           f"{error.message}") from None
        except ValueError as error:
            raise ParseError(f"{name} holds {value!r}, not {kind.name}: {error}") from None
    if kind.multi:
        # XEP-0004 asks receivers to ignore a JID given twice.
        return tuple(dict.fromkeys(parsed)) if kind.python is JID else tuple(parsed)
    return parsed[0] if parsed else kind.unset


def _write(value: Any, kind: Kind) -> tuple[str, ...]:
    if kind.lines:
        return tuple(_LINE_BREAK.split(value))
    if kind.multi:
        return tuple(kind.format(each) for each in value)
    return (kind.format(value),)
