"""Hypothesis strategies for typed form views (:mod:`xepcodec.protocols.form_views`).

A view is not an element: it is read from and written to a data form.  Its strategy
draws a value of the right Python type for each field the view declares, fields the
view does not define for ``extra`` (vars outside the view's, no FORM_TYPE), and foreign
elements for ``extensions``.  ``complete=True`` (the default) fills every required
field, so that the view can be written as a submission or a result.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

from hypothesis import strategies as st

from xepcodec.protocols import form_views as fv
from xepcodec.protocols.dataforms import FORM_TYPE, Field
from xepcodec.protocols.form_views import FormView, Kind, slots
from xepcodec.testing.dataforms import fields
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import foreign_elements, xml_text

__all__ = ["form_views", "kind_values"]

V = TypeVar("V", bound=FormView)

_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=2)),
                          timezone(-timedelta(hours=5, minutes=30))])


def _lines() -> st.SearchStrategy[str]:
    # A text-multi field writes one value per line: no carriage return inside a line
    # (a line break is written as a new value), and the whole text is never empty.
    line = xml_text(max_size=16).map(lambda text: text.replace("\r", ""))
    return st.lists(line, min_size=1, max_size=4).map("\n".join).filter(bool)


def kind_values(kind: Kind) -> st.SearchStrategy[Any]:
    """Values of one slot kind (never the empty value, which means "no value")."""
    made: dict[Kind, st.SearchStrategy[Any]] = {
        fv.ONE_JID: jids(),
        fv.JIDS: st.lists(jids(), min_size=1, max_size=4, unique=True).map(tuple),
        fv.LINES: _lines(),
        fv.WORDS: st.lists(xml_text(min_size=1, max_size=12), min_size=1,
                           max_size=3).map(tuple),
        fv.CHOICES: st.lists(xml_text(min_size=1, max_size=12), min_size=1,
                             max_size=3).map(tuple),
        fv.COUNT: st.integers(0, 10**9),
        fv.SECONDS: st.integers(0, 10**9),
        fv.LIMIT: st.integers(0, 10**9) | st.just(fv.UNLIMITED),
        fv.INTEGER_OR_MAX: st.integers(0, 10**9) | st.just(fv.MAX),
        fv.RATE: st.decimals(min_value=0, max_value=10**6, places=3),
        fv.DATETIME: st.datetimes(min_value=datetime(1970, 1, 1),
                                  max_value=datetime(2200, 1, 1), timezones=_ZONES),
        fv.BOOLEAN: st.booleans(),
    }
    if kind in made:
        return made[kind]
    python = kind.python
    if isinstance(python, tuple):
        # A kind of a protocol's own taking a value of one of several types (a DateTime
        # or a word, say): a value of each.
        return st.one_of(*(_of_type(each) for each in python))
    if isinstance(python, type) and issubclass(python, enum.Enum):
        one = st.sampled_from(list(python))
        return st.lists(one, min_size=1, max_size=3).map(tuple) if kind.multi else one
    # The rest are text: a line, a password, one option.
    return xml_text(min_size=1, max_size=16)


def _of_type(python: type) -> st.SearchStrategy[Any]:
    if issubclass(python, enum.Enum):
        return st.sampled_from(list(python))
    if python is datetime:
        return kind_values(fv.DATETIME)
    if python is int:
        return kind_values(fv.COUNT)
    return xml_text(min_size=1, max_size=16)


def _empty(kind: Kind) -> Any:
    return () if kind.multi else None


@st.composite
def _views(draw: st.DrawFn, view: type[V], complete: bool) -> V:
    declared = slots(view)
    values: dict[str, Any] = {}
    for slot in declared:
        if complete and slot.required:
            values[slot.attribute] = draw(kind_values(slot.kind))
        else:
            values[slot.attribute] = draw(st.just(_empty(slot.kind)) | kind_values(slot.kind))
    one_of = [slot for slot in declared if slot.var in view._ONE_OF]
    if complete and one_of and all(values[slot.attribute] == _empty(slot.kind)
                                   for slot in one_of):
        chosen = draw(st.sampled_from(one_of))
        values[chosen.attribute] = draw(kind_values(chosen.kind))
    taken = {slot.var for slot in declared} | {FORM_TYPE}
    extra = draw(st.lists(fields(untyped_multi=False), max_size=3))
    kept: list[Field] = []
    for field in extra:
        if field.var is not None and field.var in taken:
            continue
        if field.var is not None:
            taken.add(field.var)
        kept.append(field)
    extensions = draw(st.lists(foreign_elements(), max_size=2).map(tuple))
    return view(extra=tuple(kept), extensions=extensions, **values)


def form_views(view: type[V], *, complete: bool = True) -> st.SearchStrategy[V]:
    """Views of class ``view``; with ``complete``, every required field holds a value."""
    return _views(view, complete)
