"""Hypothesis strategies for the XEP-0133 administration views.

The views are form views: :mod:`xepcodec.testing.form_views` draws them.  ``complete=True``
(the default) fills every required field, so that the view can be written as a
submission or a result.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from typing import TypeVar

from hypothesis import strategies as st

from xepcodec.protocols import admin
from xepcodec.protocols.admin import AdminForm
from xepcodec.testing.form_views import form_views

__all__ = ["VIEWS", "admin_forms", "any_admin_form"]

V = TypeVar("V", bound=AdminForm)

#: Every view class the module defines.
VIEWS: tuple[type[AdminForm], ...] = tuple(
    sorted({view for pair in admin.COMMANDS.values() for view in pair if view is not None},
           key=lambda view: view.__name__))


def admin_forms(view: type[V], *, complete: bool = True) -> st.SearchStrategy[V]:
    """Views of class ``view``; with ``complete``, every required field holds a value."""
    return form_views(view, complete=complete)


def any_admin_form(*, complete: bool = True) -> st.SearchStrategy[AdminForm]:
    """Views of every class."""
    return st.sampled_from(VIEWS).flatmap(lambda view: admin_forms(view, complete=complete))
