"""Hypothesis strategies for data forms (XEP-0004).

A field's values must suit its type, a field's options need distinct labels and
values, vars are unique within a form, and items must carry every column the reported
header names: none of which a field-by-field strategy can know, so the strategies of
:mod:`xepcodec.protocols.dataforms` are written here and registered.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from xepcodec.protocols.dataforms import (
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
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import foreign_elements, register, xml_text

__all__ = ["fields", "forms", "items", "options", "reported", "values_for", "vars_"]

_NAMES = st.sampled_from([FORM_TYPE, "botname", "muc#roomconfig_roomname", "public",
                          "{http://example.com/pubsub}time_restrictions", "x-custom", ""])


def vars_() -> st.SearchStrategy[str]:
    """Field names: some from the specs' examples, some arbitrary text."""
    return _NAMES | xml_text(min_size=1, max_size=16)


def values_for(kind: FieldType | None, *, multi: bool | None = None
               ) -> st.SearchStrategy[tuple[str, ...]]:
    """The values a field of type ``kind`` may hold (``None``: untyped).

    ``multi`` says whether several values are allowed; by default they are for the
    multi-valued types only.
    """
    if multi is None:
        multi = kind in MULTI_VALUED_TYPES
    one: st.SearchStrategy[str]
    if kind is FieldType.BOOLEAN:
        one = st.sampled_from(["true", "false", "1", "0", ""])
    elif kind in (FieldType.JID_SINGLE, FieldType.JID_MULTI):
        one = jids().map(str) | st.just("")
    else:
        one = xml_text()
    return st.lists(one, max_size=3 if multi else 1).map(tuple)


def options() -> st.SearchStrategy[tuple[Option, ...]]:
    """Options with distinct labels and distinct values."""

    def distinct(found: Sequence[Option]) -> tuple[Option, ...]:
        labels: set[str] = set()
        made: list[Option] = []
        for option in found:
            label = option.label
            if label is not None and label in labels:
                label = None
            if label is not None:
                labels.add(label)
            made.append(Option(label=label, value=option.value))
        return tuple(made)

    one = st.builds(Option, label=st.none() | xml_text(max_size=8), value=xml_text(max_size=8))
    return st.lists(one, max_size=4, unique_by=lambda option: option.value).map(distinct)


@st.composite
def fields(draw: st.DrawFn, *, kind: Any = ..., var: Any = ...,
           untyped_multi: bool = True) -> Field:
    """Fields whose values and options suit their type.

    ``kind`` and ``var`` fix the type and the name; ``untyped_multi`` lets untyped
    fields hold several values (allowed outside forms of type ``form``).
    """
    chosen: FieldType | None = (draw(st.none() | st.sampled_from(list(FieldType)))
                                if kind is ... else kind)
    if var is ...:
        name: str | None = draw(vars_())
        if chosen is FieldType.FIXED:
            name = draw(st.none() | st.just(name))
    else:
        name = var
    multi = untyped_multi if chosen is None else None
    return Field(
        var=name,
        type=chosen,
        label=draw(st.none() | xml_text(max_size=12)),
        desc=draw(st.none() | xml_text(max_size=12)),
        required=draw(st.booleans()),
        values=draw(values_for(chosen, multi=multi)),
        options=draw(options()) if chosen in LIST_TYPES else (),
        extensions=draw(st.lists(foreign_elements(), max_size=2).map(tuple)),
    )


def _unique(found: Sequence[Field]) -> tuple[Field, ...]:
    seen: set[str] = set()
    kept: list[Field] = []
    for field in found:
        if field.var is not None:
            if field.var in seen:
                continue
            seen.add(field.var)
        kept.append(field)
    return tuple(kept)


def _field_lists(*, min_size: int = 0, untyped_multi: bool = True
                 ) -> st.SearchStrategy[tuple[Field, ...]]:
    return st.lists(fields(untyped_multi=untyped_multi), min_size=min_size,
                    max_size=4).map(_unique)


def reported() -> st.SearchStrategy[Reported]:
    """Reported headers: at least one field, distinct vars."""
    return _field_lists(min_size=1).map(lambda found: Reported(fields=found))


def items() -> st.SearchStrategy[Item]:
    """Items on their own (not tied to a header)."""
    return _field_lists(min_size=1).map(lambda found: Item(fields=found))


@st.composite
def _table(draw: st.DrawFn) -> tuple[Reported, tuple[Item, ...]]:
    header = draw(reported())
    columns = [field for field in header.fields if field.var is not None]
    rows: list[Item] = []
    for _ in range(draw(st.integers(0, 3))):
        cells: list[Field] = []
        for column in columns:
            # A cell repeats its column's type or leaves it to the header.
            kind = draw(st.sampled_from([None, column.type]))
            cell = draw(fields(kind=kind, var=column.var, untyped_multi=False))
            if kind is None:
                cell = Field(var=column.var, values=draw(values_for(column.type)),
                             label=cell.label, extensions=cell.extensions)
            cells.append(cell)
        if not cells:
            cells.append(draw(fields(var="extra")))
        rows.append(Item(fields=tuple(cells)))
    return header, tuple(rows)


@st.composite
def forms(draw: st.DrawFn, *, form_type: FormType | None = None) -> Form:
    """Forms of every kind: plain fields, or a reported header with items."""
    kind = draw(st.sampled_from(list(FormType))) if form_type is None else form_type
    common: dict[str, Any] = {
        "type": kind,
        "title": draw(st.none() | xml_text(max_size=16)),
        "instructions": draw(st.lists(xml_text(max_size=16), max_size=2).map(tuple)),
        "extensions": draw(st.lists(foreign_elements(), max_size=2).map(tuple)),
    }
    if draw(st.integers(0, 3)) == 0:
        header, rows = draw(_table())
        return Form(reported=header, items=rows, **common)
    found = draw(_field_lists(untyped_multi=kind is not FormType.FORM))
    return Form(fields=found, **common)


register(Field)(fields)
register(Reported)(reported)
register(Item)(items)
register(Form)(forms)
