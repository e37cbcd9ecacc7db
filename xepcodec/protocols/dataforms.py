"""Data forms (XEP-0004, namespace ``jabber:x:data``) and FORM_TYPE (XEP-0068).

A data form is an ``<x/>`` element whose ``type`` says where it stands in an exchange:
``form`` (asking for data), ``submit`` (providing it), ``cancel`` (giving up) or
``result`` (reporting data).  It holds an optional title, any number of instruction
lines, and either a list of fields or a table: one ``<reported/>`` header naming the
columns and ``<item/>`` rows, each a list of fields.

A field is identified by its ``var``.  Its ``type`` is one of ten field types; when the
attribute is absent the field is a text-single one in a form of type ``form``, and in
other forms the receiver knows the type from context (so :attr:`Field.type` keeps
``None`` apart from an explicit ``text-single`` and the XML round-trips exactly).

What the XEP requires, and what this module therefore refuses, on parse (a
``bad-request`` ParseError naming the node) and on construction (``ValueError``):

* every field has a ``var``, except a field of type ``fixed``, for which it is optional;
* within one form, one reported header or one item, no two fields share a ``var``;
* only list-multi, jid-multi, text-multi and hidden fields hold several values;
* a boolean value is ``true``, ``false``, ``1`` or ``0``;
* a jid-single or jid-multi value is a valid JID (a malformed one is a
  ``jid-malformed`` error, as everywhere in xepcodec);
* only list-single and list-multi fields hold options, and a field's options have
  distinct labels and distinct values;
* an option holds exactly one value, and ``<required/>`` is empty;
* a form with a reported header or items holds no fields of its own, items come with
  a header, the header and every item hold at least one field, and every item has a
  field for each ``var`` of the header;
* the rules above apply to untyped fields too where the type is known without
  context: as text-single in a form of type ``form``, and with the type the reported
  header gives the column in an item;
* elements added to a form or a field by other specifications (XEP-0122 validation,
  XEP-0221 media, XEP-0241's encrypted content) are in other namespaces.

An empty ``<value/>`` is accepted in any field: XEP-0004 lets implementations send one
to mean "no value", so typed access reads it as absent for boolean and JID fields.
The XEP's recommendations (a cancelled form carries no fields, reported fields carry
no values, values of single-line types hold no newline, the reported header comes
before the items) are not errors.

XEP-0068 gives a form its context: the value of the field named ``FORM_TYPE``, which
counts when it is a hidden field, or, in a submitted form, any field of that name
(submitted fields often omit their type).  A FORM_TYPE field of another type in a form
of type ``form`` or ``result`` is an ordinary field.  :attr:`Form.form_type` applies
these rules.

Typed access: :attr:`Field.value` and :attr:`Field.typed_values` read booleans as
``bool`` and JIDs as :class:`~xepcodec.datatypes.jid.JID` (duplicate JIDs in a jid-multi
field are dropped, as the XEP asks receivers to ignore them); :attr:`Field.text` joins
the lines of a text-multi field.  :meth:`Field.of`, :meth:`Form.submit` and
:meth:`Form.fill` build fields and forms from Python values, writing booleans as
``true`` and ``false`` (the XEP allows ``1`` and ``0`` as well; both are read).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, JIDError
from xepcodec.model import (
    attr,
    child,
    children,
    element,
    extensions,
    flag,
    text_child,
    text_children,
)
from xepcodec.model.values import BOOLEAN

__all__ = [
    "DATA_FORMS",
    "FORM_TYPE",
    "LIST_TYPES",
    "MULTI_VALUED_TYPES",
    "Field",
    "FieldType",
    "Form",
    "FormType",
    "Item",
    "Option",
    "Reported",
]

#: The XEP-0004 namespace.
DATA_FORMS: Final = "jabber:x:data"
#: The name of the XEP-0068 field that gives a form its context.
FORM_TYPE: Final = "FORM_TYPE"


class FormType(enum.StrEnum):
    """What a form is for (XEP-0004 §3.1)."""

    FORM = "form"
    SUBMIT = "submit"
    CANCEL = "cancel"
    RESULT = "result"


class FieldType(enum.StrEnum):
    """The ten field types of XEP-0004 §3.3."""

    BOOLEAN = "boolean"
    FIXED = "fixed"
    HIDDEN = "hidden"
    JID_MULTI = "jid-multi"
    JID_SINGLE = "jid-single"
    LIST_MULTI = "list-multi"
    LIST_SINGLE = "list-single"
    TEXT_MULTI = "text-multi"
    TEXT_PRIVATE = "text-private"
    TEXT_SINGLE = "text-single"


#: The field types that may hold more than one value.
MULTI_VALUED_TYPES: Final = frozenset(
    {FieldType.LIST_MULTI, FieldType.JID_MULTI, FieldType.TEXT_MULTI, FieldType.HIDDEN}
)
#: The field types that may hold options.
LIST_TYPES: Final = frozenset({FieldType.LIST_SINGLE, FieldType.LIST_MULTI})
_JID_TYPES: Final = frozenset({FieldType.JID_SINGLE, FieldType.JID_MULTI})
# The members the checks run on every parse compare with.  Reading a member from its
# enum class is an attribute lookup through the class's metaclass, costlier than a
# module global; these run for every field of every form.
_BOOLEAN: Final = FieldType.BOOLEAN
_FIXED: Final = FieldType.FIXED
_TEXT_SINGLE: Final = FieldType.TEXT_SINGLE
_FORM: Final = FormType.FORM
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")


# -- value checks shared by fields and forms ------------------------------------------


def _name(var: str | None) -> str:
    return f"field {var!r}" if var is not None else "a field without var"


def _what(var: str | None, kind: FieldType, how: str) -> str:
    """The field and where its type comes from, for a message."""
    return f"{_name(var)} (type {kind}{how})"


def _blank(value: str) -> bool:
    return not value.strip()


def _check_values(var: str | None, kind: FieldType, values: tuple[str, ...],
                  options: tuple[Option, ...], how: str) -> None:
    """Raise if ``values`` and ``options`` break the rules of field type ``kind``.

    ``how`` tells the reader where the type comes from ("" when written on the field).
    Runs on every field parsed, so the message is only composed once there is an error.
    """
    if len(values) > 1 and kind not in MULTI_VALUED_TYPES:
        raise ValueError(f"{_what(var, kind, how)} holds {len(values)} values; only "
                         "list-multi, jid-multi, text-multi and hidden fields may hold "
                         "more than one")
    if options and kind not in LIST_TYPES:
        raise ValueError(f"{_what(var, kind, how)} holds options; only list-single and "
                         "list-multi fields may")
    if not values:
        return
    if kind is _BOOLEAN:
        for value in values:
            if not _blank(value):
                try:
                    BOOLEAN.parse(value)
                except ValueError:
                    raise ValueError(f"{_what(var, kind, how)} holds {value!r}; a boolean "
                                     "value is true, false, 1 or 0") from None
    elif kind in _JID_TYPES:
        for value in values:
            if value:
                try:
                    JID.parse(value)
                except JIDError as error:
                    raise JIDError(f"{_what(var, kind, how)} holds {value!r}, which is not "
                                   f"a valid JID: {error.message}") from None


def _check_options(var: str | None, options: tuple[Option, ...]) -> None:
    """Raise unless the options have distinct labels and distinct values."""
    labels: set[str] = set()
    values: set[str] = set()
    for option in options:
        label, value = option.label, option.value
        if label is not None:
            if label in labels:
                raise ValueError(f"{_name(var)} has two options labelled {label!r}; "
                                 "option labels must be unique")
            labels.add(label)
        if value in values:
            raise ValueError(f"{_name(var)} has two options with the value {value!r}; "
                             "option values must be unique")
        values.add(value)


def _typed(kind: FieldType, values: tuple[str, ...]) -> tuple[Any, ...]:
    """The values of a field of type ``kind`` as Python values."""
    if kind is _BOOLEAN:
        return tuple(BOOLEAN.parse(value) for value in values if not _blank(value))
    if kind in _JID_TYPES:
        jids: list[JID] = []
        for value in values:
            if value:
                jid = JID.parse(value)
                if jid not in jids:
                    jids.append(jid)
        return tuple(jids)
    return values


def _check_vars(fields: tuple[Field, ...], where: str) -> None:
    seen: set[str] = set()
    for field in fields:
        var = field.var
        if var is not None:
            if var in seen:
                raise ValueError(f"{where} holds two fields with var {var!r}; a var "
                                 "identifies one field")
            seen.add(var)


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, JID | int):
        return str(value)
    raise TypeError(f"a form value is a str, bool, int or JID, not {type(value).__name__}")


# -- elements ---------------------------------------------------------------------------


@element(DATA_FORMS, "option")
class Option:
    """One choice of a list-single or list-multi field: a value and an optional label."""

    label: str | None = attr(default=None)
    value: str = text_child("value")


@element(DATA_FORMS, "field")
class Field:
    """One field: its identity and type, a description, values and options.

    ``extensions`` keeps elements other specifications add to a field (XEP-0122
    validation, XEP-0221 media), typed when xepcodec has a module for their namespace.
    A field's XEP-0122 ``<validate/>`` is read with
    :func:`~xepcodec.protocols.data_validation.validation_of`, and
    :func:`~xepcodec.protocols.data_validation.validate_values` checks the values by
    it; values breaking it do not stop the form parsing, as they are the user's to
    correct.
    """

    var: str | None = attr(default=None)
    type: FieldType | None = attr(default=None)
    label: str | None = attr(default=None)
    desc: str | None = text_child("desc", default=None)
    required: bool = flag("required")
    values: tuple[str, ...] = text_children("value")
    options: tuple[Option, ...] = children(Option)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        var, kind, values, options = self.var, self.type, self.values, self.options
        if var is None and kind is not _FIXED:
            raise ValueError("a field needs a var unless it is of type fixed, and this one "
                             f"is of type {kind or 'text-single (none given)'}")
        if kind is not None and (values or options):
            _check_values(var, kind, values, options, "")
        if options:
            _check_options(var, options)

    @classmethod
    def of(cls, var: str | None, value: Any = None, *, type: FieldType | str | None = None,
           label: str | None = None, desc: str | None = None, required: bool = False,
           options: Iterable[Option | str] = ()) -> Field:
        """A field from Python values.

        ``value`` is None (no value), a str, bool, int or JID, or an iterable of those
        for several values.  Booleans are written ``true``/``false``.  For a text-multi
        field a single string is split into one value per line.  ``options`` are
        :class:`Option` objects or plain option values.
        """
        kind = FieldType(type) if type is not None else None
        if value is None:
            values: tuple[str, ...] = ()
        elif isinstance(value, str) and kind is FieldType.TEXT_MULTI:
            values = tuple(_LINE_BREAK.split(value))
        elif isinstance(value, Iterable) and not isinstance(value, str):
            values = tuple(_format(each) for each in value)
        else:
            values = (_format(value),)
        made = tuple(each if isinstance(each, Option) else Option(value=each)
                     for each in options)
        return cls(var=var, type=kind, label=label, desc=desc, required=required,
                   values=values, options=made)

    @property
    def effective_type(self) -> FieldType:
        """The type to read the field as: its own, or text-single when none is given."""
        return self.type if self.type is not None else FieldType.TEXT_SINGLE

    @property
    def typed_values(self) -> tuple[Any, ...]:
        """The values as Python values: ``bool`` for a boolean field, :class:`JID` for
        the JID types (duplicates dropped), ``str`` otherwise.  Empty values are skipped
        for boolean and JID fields, where they mean no value."""
        return _typed(self.effective_type, self.values)

    @property
    def value(self) -> Any:
        """The single typed value (see :attr:`typed_values`), or None when there is
        none; ``ValueError`` when the field holds several."""
        return _single(self.var, self.typed_values)

    @property
    def text(self) -> str:
        """The values joined with newlines: a text-multi field's lines as one text (and
        a single-valued field's value); ``""`` when there is no value."""
        return "\n".join(self.values)


def _single(var: str | None, typed: tuple[Any, ...]) -> Any:
    if len(typed) > 1:
        raise ValueError(f"{_name(var)} holds {len(typed)} values; read typed_values")
    return typed[0] if typed else None


@element(DATA_FORMS, "reported")
class Reported:
    """The header of a table of results: one field per column."""

    fields: tuple[Field, ...] = children(Field)

    def __post_init__(self) -> None:
        if not self.fields:
            raise ValueError("<reported/> must hold at least one field")
        _check_vars(self.fields, "<reported/>")


@element(DATA_FORMS, "item")
class Item:
    """One row of a table of results."""

    fields: tuple[Field, ...] = children(Field)

    def __post_init__(self) -> None:
        if not self.fields:
            raise ValueError("<item/> must hold at least one field")
        _check_vars(self.fields, "<item/>")

    def get(self, var: str) -> Field | None:
        """The field named ``var``, or None."""
        return _get(self.fields, var)


def _get(fields: tuple[Field, ...], var: str) -> Field | None:
    for field in fields:
        if field.var == var:
            return field
    return None


@element(DATA_FORMS, "x")
class Form:
    """A data form: its type, title, instructions, and fields or a table of items.

    ``extensions`` keeps elements of other namespaces that follow the form's content
    (XEP-0241 carries a form's encrypted content there).
    """

    type: FormType = attr()
    title: str | None = text_child("title", default=None)
    instructions: tuple[str, ...] = text_children("instructions")
    fields: tuple[Field, ...] = children(Field)
    reported: Reported | None = child(Reported, default=None)
    items: tuple[Item, ...] = children(Item)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        _check_vars(self.fields, "the form")
        if self.reported is not None or self.items:
            if self.fields:
                raise ValueError("a form with <reported/> or <item/> holds no fields of its "
                                 "own; put them in the items")
            if self.reported is None:
                raise ValueError("a form with <item/> elements needs a <reported/> header "
                                 "naming their fields")
            self._check_items(self.reported)
        if self.type is _FORM:
            for field in self.fields:
                if field.type is None:
                    _check_values(field.var, _TEXT_SINGLE, field.values,
                                  field.options, ", the default in a form of type form")

    def _check_items(self, reported: Reported) -> None:
        columns = {field.var: field.type for field in reported.fields if field.var is not None}
        for position, item in enumerate(self.items, 1):
            present = {field.var for field in item.fields}
            missing = [var for var in columns if var not in present]
            if missing:
                names = ", ".join(repr(var) for var in missing)
                raise ValueError(f"item {position} lacks the field(s) {names} that "
                                 "<reported/> announces; each item has every reported field")
            for field in item.fields:
                if field.type is not None or field.var is None:
                    continue
                kind = columns.get(field.var)
                if kind is not None:
                    _check_values(field.var, kind, field.values, field.options,
                                  ", from <reported/>")

    # -- building -------------------------------------------------------------------

    @classmethod
    def submit(cls, values: Mapping[str, Any] | None = None, *,
               form_type: str | None = None,
               types: Mapping[str, FieldType | str] | None = None) -> Form:
        """A form of type ``submit`` with one field per entry of ``values`` (see
        :meth:`Field.of` for the values allowed).

        ``form_type`` adds a hidden FORM_TYPE field first (XEP-0068).  ``types`` gives
        field types by var; fields without one are written without a type, which a
        submission may do.
        """
        kinds = types or {}
        fields: list[Field] = []
        if form_type is not None:
            fields.append(Field.of(FORM_TYPE, form_type, type=FieldType.HIDDEN))
        for var, value in (values or {}).items():
            fields.append(Field.of(var, value, type=kinds.get(var)))
        return cls(type=FormType.SUBMIT, fields=tuple(fields))

    def fill(self, values: Mapping[str, Any] | None = None) -> Form:
        """The submission answering this form, with ``values`` by var.

        Every field of this form with a var comes back with its type: with the value
        given, or else with the form's own (default) values, hidden fields (FORM_TYPE
        among them) unchanged.  Fixed fields are left out; values for vars this form
        does not have are added as untyped fields.  ``ArgumentValueError`` (a
        ``ValueError``) when a required field ends up without a value.
        """
        given = dict(values or {})
        fields: list[Field] = []
        missing: list[str] = []
        for field in self.fields:
            if field.var is None or field.type is FieldType.FIXED:
                continue
            if field.var in given:
                made = Field.of(field.var, given.pop(field.var), type=field.type)
            else:
                made = Field(var=field.var, type=field.type, values=field.values)
            if field.required and not made.values:
                missing.append(field.var)
            fields.append(made)
        if missing:
            raise ArgumentValueError("no value for the required field(s) "
                                     + ", ".join(repr(var) for var in missing))
        fields.extend(Field.of(var, value) for var, value in given.items())
        return Form(type=FormType.SUBMIT, fields=tuple(fields))

    # -- reading --------------------------------------------------------------------

    def get(self, var: str) -> Field | None:
        """The form's own field named ``var``, or None."""
        return _get(self.fields, var)

    def values(self) -> dict[str, Any]:
        """The form's fields by var, typed: a tuple for multi-valued types (and for an
        untyped field that holds several values), a single value or None otherwise.
        Fixed fields, which describe rather than carry data, are left out."""
        return {field.var: _read(field, field.type) for field in self.fields
                if field.var is not None and field.type is not FieldType.FIXED}

    def rows(self) -> tuple[dict[str, Any], ...]:
        """The items as dicts by var, typed like :meth:`values`; an untyped field is
        read with the type the reported header gives its column."""
        columns: dict[str, FieldType | None] = {}
        if self.reported is not None:
            columns = {field.var: field.type for field in self.reported.fields
                       if field.var is not None}
        return tuple(
            {field.var: _read(field, field.type or columns.get(field.var))
             for field in item.fields if field.var is not None}
            for item in self.items
        )

    @property
    def form_type(self) -> str | None:
        """The XEP-0068 FORM_TYPE: the first value of the field named FORM_TYPE when it
        is hidden, or, in a submitted form, whatever its type; None otherwise."""
        field = self.get(FORM_TYPE)
        if field is None or not field.values:
            return None
        if field.type is FieldType.HIDDEN or self.type is FormType.SUBMIT:
            return field.values[0]
        return None


def _read(field: Field, kind: FieldType | None) -> Any:
    typed = _typed(kind or _TEXT_SINGLE, field.values)
    if kind in MULTI_VALUED_TYPES or len(typed) > 1:
        return typed
    return typed[0] if typed else None
