"""Hypothesis strategies for the XEP-0133 administration views.

A view is not an element: it is read from and written to a data form.  Its strategy
draws a value of the right Python type for each field the view declares, fields the
view does not define for ``extra`` (vars outside the view's, no FORM_TYPE), and foreign
elements for ``extensions``.  ``complete=True`` (the default) fills every required
field, so that the view can be written as a submission or a result.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

from hypothesis import strategies as st

from xepcodec.protocols import admin
from xepcodec.protocols.admin import AdminForm
from xepcodec.protocols.dataforms import FORM_TYPE, Field
from xepcodec.testing.dataforms import fields
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import foreign_elements, xml_text

__all__ = ["VIEWS", "admin_forms", "any_admin_form"]

V = TypeVar("V", bound=AdminForm)

#: Every view class the module defines.
VIEWS: tuple[type[AdminForm], ...] = tuple(
    sorted({view for pair in admin.COMMANDS.values() for view in pair if view is not None},
           key=lambda view: view.__name__))

_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=2)),
                          timezone(-timedelta(hours=5, minutes=30))])


def _lines() -> st.SearchStrategy[str]:
    # A text-multi field writes one value per line: no carriage return inside a line
    # (a line break is written as a new value), and the whole text is never empty.
    line = xml_text(max_size=16).map(lambda text: text.replace("\r", ""))
    return st.lists(line, min_size=1, max_size=4).map("\n".join).filter(bool)


def _value(kind: Any) -> st.SearchStrategy[Any]:
    """Values of one slot kind (never the empty value, which means "no value")."""
    made: dict[Any, st.SearchStrategy[Any]] = {
        admin._JID: jids(),
        admin._JIDS: st.lists(jids(), min_size=1, max_size=4, unique=True).map(tuple),
        admin._LINES: _lines(),
        admin._WORDS: st.lists(xml_text(min_size=1, max_size=12), min_size=1,
                               max_size=3).map(tuple),
        admin._COUNT: st.integers(0, 10**9),
        admin._SECONDS: st.integers(0, 10**9),
        admin._RATE: st.decimals(min_value=0, max_value=10**6, places=3),
        admin._WHEN: st.datetimes(min_value=datetime(1970, 1, 1),
                                  max_value=datetime(2200, 1, 1), timezones=_ZONES),
    }
    # The rest are text: a line, a password, one option.
    return made.get(kind, xml_text(min_size=1, max_size=16))


def _empty(kind: Any) -> Any:
    return () if kind.multi else None


def _slots(view: type[AdminForm]) -> list[tuple[str, str, Any, bool]]:
    found = []
    for field in dataclasses.fields(view):
        spec = field.metadata.get("admin")
        if spec is not None:
            var, kind, required = spec
            found.append((field.name, var, kind, required))
    return found


@st.composite
def _views(draw: st.DrawFn, view: type[V], complete: bool) -> V:
    slots = _slots(view)
    values: dict[str, Any] = {}
    for attribute, _var, kind, required in slots:
        if complete and required:
            values[attribute] = draw(_value(kind))
        else:
            values[attribute] = draw(st.just(_empty(kind)) | _value(kind))
    one_of = [slot for slot in slots if slot[1] in view._ONE_OF]
    if complete and one_of and all(values[slot[0]] == _empty(slot[2]) for slot in one_of):
        attribute, _var, kind, _required = draw(st.sampled_from(one_of))
        values[attribute] = draw(_value(kind))
    taken = {var for _attribute, var, _kind, _required in slots} | {FORM_TYPE}
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


def admin_forms(view: type[V], *, complete: bool = True) -> st.SearchStrategy[V]:
    """Views of class ``view``; with ``complete``, every required field holds a value."""
    return _views(view, complete)


def any_admin_form(*, complete: bool = True) -> st.SearchStrategy[AdminForm]:
    """Views of every class."""
    return st.sampled_from(VIEWS).flatmap(lambda view: admin_forms(view, complete=complete))
