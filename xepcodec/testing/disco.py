"""Hypothesis strategies for service discovery (XEP-0030, XEP-0128) and entity
capabilities (XEP-0115).

A disco#info query may not hold two identities of the same category, type and
language with different names, and a caps element's attributes are name tokens and a
URI; the derived strategies cannot know either, so these are registered instead.
:func:`well_formed_infos` draws the answers XEP-0115 accepts for hashing (no duplicate
identities, features or FORM_TYPEs), for tests of the verification string.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from xepcodec.protocols.caps import HASH_FUNCTIONS, Caps
from xepcodec.protocols.dataforms import FORM_TYPE, Field, FieldType, Form, FormType
from xepcodec.protocols.disco import Feature, Identity, InfoQuery
from xepcodec.testing.dataforms import fields
from xepcodec.testing.strategies import for_class, foreign_elements, register, xml_text

__all__ = ["caps", "identities", "info_queries", "well_formed_infos"]

_LANGS = st.sampled_from(["en", "de", "el", "fr-CA", "en-GB"])
_NODES = st.none() | xml_text(min_size=1, max_size=16)


def _consistent(found: Sequence[Identity]) -> tuple[Identity, ...]:
    """Keep the first identity of each category/type/language, so names agree."""
    seen: set[tuple[str, str, str | None]] = set()
    kept: list[Identity] = []
    for identity in found:
        key = (identity.category, identity.type, identity.lang)
        if key not in seen:
            seen.add(key)
            kept.append(identity)
    return tuple(kept)


def identities(*, min_size: int = 0, max_size: int = 4) -> st.SearchStrategy[tuple[Identity, ...]]:
    """Identity lists a query may hold: one name per category, type and language.
    Categories and types are drawn from a few short words as well as any text, so that
    clashes (and their resolution) actually happen."""
    words = st.sampled_from(["client", "pc", "server", "im", "conference", "text"])
    one = st.builds(
        Identity,
        category=words | xml_text(min_size=1, max_size=8),
        type=words | xml_text(min_size=1, max_size=8),
        name=st.none() | xml_text(max_size=12),
        lang=st.none() | _LANGS,
    )
    return st.lists(one, min_size=min_size, max_size=max_size).map(_consistent)


@register(InfoQuery)
def info_queries() -> st.SearchStrategy[InfoQuery]:
    """disco#info queries: requests and results, with forms and foreign elements."""
    return st.builds(
        InfoQuery,
        node=_NODES,
        identities=identities(),
        features=st.lists(for_class(Feature), max_size=4).map(tuple),
        forms=st.lists(for_class(Form), max_size=2).map(tuple),
        extensions=st.lists(foreign_elements(), max_size=2).map(tuple),
    )


@st.composite
def _extended_form(draw: st.DrawFn, form_type: str) -> Form:
    """A result form with a hidden FORM_TYPE and other fields of distinct vars."""
    others = draw(st.lists(fields(), max_size=4))
    kept: list[Field] = [Field(var=FORM_TYPE, type=FieldType.HIDDEN, values=(form_type,))]
    seen = {FORM_TYPE}
    for field in others:
        if field.var is not None and field.var in seen:
            continue
        if field.var is not None:
            seen.add(field.var)
        kept.append(field)
    return Form(type=FormType.RESULT, fields=tuple(kept))


@st.composite
def well_formed_infos(draw: st.DrawFn) -> InfoQuery:
    """disco#info results XEP-0115 can hash: distinct identities (by category, type,
    language and name), distinct features, forms with distinct hidden FORM_TYPEs, and
    sometimes a form the hash ignores (no FORM_TYPE field)."""
    found = draw(identities(min_size=1))
    vars_ = draw(st.lists(xml_text(min_size=1, max_size=12), min_size=1, max_size=5,
                          unique=True))
    form_types = draw(st.lists(xml_text(min_size=1, max_size=12), max_size=3, unique=True))
    forms = [draw(_extended_form(form_type)) for form_type in form_types]
    if draw(st.booleans()):
        plain = draw(st.lists(fields(), max_size=2))
        forms.append(Form(type=FormType.RESULT,
                          fields=tuple(field for field in _distinct(plain)
                                       if field.var != FORM_TYPE)))
    return InfoQuery(
        node=draw(_NODES),
        identities=found,
        features=tuple(Feature(var=var) for var in vars_),
        forms=tuple(forms),
    )


def _distinct(found: Sequence[Field]) -> list[Field]:
    seen: set[str] = set()
    kept: list[Field] = []
    for field in found:
        if field.var is None or field.var not in seen:
            kept.append(field)
            if field.var is not None:
                seen.add(field.var)
    return kept


_TOKEN = st.from_regex(r"[A-Za-z0-9._:\-]{1,10}", fullmatch=True)
_HASH_NAME = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,9}", fullmatch=True)


@register(Caps)
def caps() -> st.SearchStrategy[Caps]:
    """Caps elements in the current format (the schema requires the hash; legacy caps
    without one are read for interoperability and have tests of their own): hash names
    from the IANA registry or any name of that shape, HTTP URLs or any text for the
    node, and any non-empty ver."""
    hashes = st.sampled_from(sorted(HASH_FUNCTIONS)) | _HASH_NAME
    urls = st.builds("http://{}.example/{}".format,
                     st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True),
                     st.from_regex(r"[a-z0-9_~\-]{0,10}", fullmatch=True))
    nodes = urls | xml_text(min_size=1, max_size=16)
    exts = st.lists(_TOKEN, min_size=1, max_size=3).map(" ".join)
    return st.builds(Caps, hash=hashes, node=nodes,
                     ver=xml_text(min_size=1, max_size=28), ext=st.none() | exts)
