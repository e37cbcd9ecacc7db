"""Hypothesis strategies for message archiving (XEP-0136 with XEP-0241's encryption,
:mod:`xepcodec.protocols.archive`).

What ties fields together: an archiving tree never mixes its two namespaces, so the
containers draw their namespace first and their children in it; a collection holds
plain messages or encrypted content, never both, at most one link each way, and says
``crypt='false'`` only when it holds nothing encrypted; a message is never empty; a
link gives both 'with' and 'start' or neither; the remove requests and ``<delete/>``
name at least one thing; the stream feature always says ``<optional/>``.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from xepcodec.model.values import DATETIME, Integer
from xepcodec.protocols.archive import (
    NAMESPACES,
    Auto,
    Chat,
    Default,
    Delete,
    Direction,
    Entry,
    Feature,
    Item,
    ItemRemove,
    Keys,
    Link,
    LinkKind,
    List,
    Method,
    Note,
    Pref,
    Save,
    Scope,
    Session,
    SessionRemove,
)
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.rsm import ResultSet
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import for_class, foreign_elements, register, values, xml_text
from xepcodec.testing.xmlenc import encrypted_data, encrypted_keys, key_infos, key_names

__all__ = ["auto", "chats", "entries", "links", "namespaces", "prefs"]

_TIMES = values(DATETIME)
_SECONDS = values(Integer(minimum=0))


def namespaces() -> st.SearchStrategy[str]:
    """``urn:xmpp:archive`` or ``urn:xmpp:tmp:archive``."""
    return st.sampled_from(NAMESPACES)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@register(Entry)
def entries() -> st.SearchStrategy[Entry]:
    """Messages with at least one body or one element of another namespace."""

    def build(bodies: list[str], others: list[Any], fallback: str,
              **fields: Any) -> Entry:
        if not bodies and not others:
            bodies = [fallback]
        return Entry(bodies=tuple(bodies), extensions=tuple(others), **fields)

    return st.builds(build, st.lists(xml_text(), max_size=2),
                     st.lists(foreign_elements(), max_size=2), xml_text(),
                     direction=st.sampled_from(list(Direction)),
                     secs=_optional(_SECONDS), utc=_optional(_TIMES),
                     name=_optional(xml_text()), jid=_optional(jids()))


@register(Link)
def links() -> st.SearchStrategy[Link]:
    """Links that point at a collection, and links that remove one."""
    kinds = st.sampled_from(list(LinkKind))
    return (st.builds(Link, kind=kinds, with_=jids(), start=_TIMES)
            | st.builds(Link, kind=kinds))


def auto(namespace: str | None = None) -> st.SearchStrategy[Auto]:
    """``<auto/>`` requests, in ``namespace`` or either."""
    ns = st.just(namespace) if namespace else namespaces()
    return st.builds(Auto, namespace=ns, save=st.booleans(),
                     scope=_optional(st.sampled_from(list(Scope))),
                     encrypt=_optional(st.booleans()),
                     key_infos=st.lists(key_infos(), max_size=2).map(tuple))


@register(Auto)
def _autos() -> st.SearchStrategy[Auto]:
    return auto()


@register(Pref)
def prefs() -> st.SearchStrategy[Pref]:
    def build(namespace: str) -> st.SearchStrategy[Pref]:
        return st.builds(Pref, namespace=st.just(namespace), auto=_optional(auto(namespace)),
                         default=_optional(for_class(Default)),
                         items=st.lists(for_class(Item), max_size=3).map(tuple),
                         sessions=st.lists(for_class(Session), max_size=2).map(tuple),
                         methods=st.lists(for_class(Method), max_size=3).map(tuple))

    return namespaces().flatmap(build)


def _links() -> st.SearchStrategy[tuple[Link, ...]]:
    def aimed(kind: LinkKind, link: Link) -> Link:
        return Link(kind=kind, with_=link.with_, start=link.start)

    def pick(kinds: list[LinkKind]) -> st.SearchStrategy[tuple[Link, ...]]:
        return st.tuples(*(st.builds(aimed, st.just(kind), links()) for kind in kinds))

    return st.lists(st.sampled_from(list(LinkKind)), unique=True, max_size=2).flatmap(pick)


def chats(namespace: str | None = None) -> st.SearchStrategy[Chat]:
    """Collections: plain (messages and notes) or encrypted (data and keys), with
    links, a form and a result set now and then."""
    ns = st.just(namespace) if namespace else namespaces()
    plain = st.fixed_dictionaries({
        "entries": st.lists(entries() | for_class(Note), max_size=3).map(tuple),
        "crypt": _optional(st.booleans()),
    })
    encrypted = st.fixed_dictionaries({
        "encrypted_data": st.lists(encrypted_data(), min_size=1, max_size=2).map(tuple),
        "encrypted_keys": st.lists(encrypted_keys(), max_size=2).map(tuple),
        "crypt": st.sampled_from([None, True]),
    }) | st.fixed_dictionaries({
        "encrypted_keys": st.lists(encrypted_keys(), min_size=1, max_size=2).map(tuple),
        "crypt": st.sampled_from([None, True]),
    })
    def build(content: dict[str, Any], **fields: Any) -> Chat:
        return Chat(**content, **fields)

    return st.builds(
        build, plain | encrypted,
        namespace=ns, with_=jids(), start=_TIMES, subject=_optional(xml_text()),
        thread=_optional(xml_text()), version=_optional(_SECONDS), links=_links(),
        form=_optional(for_class(Form)), rsm=_optional(for_class(ResultSet)))


@register(Chat)
def _chats() -> st.SearchStrategy[Chat]:
    return chats()


@register(Save)
def saves() -> st.SearchStrategy[Save]:
    return namespaces().flatmap(lambda ns: st.builds(Save, namespace=st.just(ns),
                                                     chat=chats(ns)))


@register(List)
def lists() -> st.SearchStrategy[List]:
    def build(ns: str) -> st.SearchStrategy[List]:
        return st.builds(List, namespace=st.just(ns), with_=_optional(jids()),
                         start=_optional(_TIMES), end=_optional(_TIMES),
                         exactmatch=_optional(st.booleans()),
                         chats=st.lists(chats(ns), max_size=2).map(tuple),
                         rsm=_optional(for_class(ResultSet)))

    return namespaces().flatmap(build)


@register(Keys)
def keys() -> st.SearchStrategy[Keys]:
    def build(ns: str) -> st.SearchStrategy[Keys]:
        return st.builds(Keys, namespace=st.just(ns),
                         key_names=st.lists(key_names(), max_size=2).map(tuple),
                         chats=st.lists(chats(ns), max_size=2).map(tuple),
                         rsm=_optional(for_class(ResultSet)))

    return namespaces().flatmap(build)


@register(Delete)
def deletes() -> st.SearchStrategy[Delete]:
    return st.builds(Delete, namespace=namespaces(), with_=jids(), start=_TIMES,
                     key_names=st.lists(key_names(), min_size=1, max_size=3).map(tuple))


@register(ItemRemove)
def item_removes() -> st.SearchStrategy[ItemRemove]:
    return st.builds(ItemRemove, namespace=namespaces(),
                     items=st.lists(for_class(Item), min_size=1, max_size=3).map(tuple))


@register(SessionRemove)
def session_removes() -> st.SearchStrategy[SessionRemove]:
    return st.builds(SessionRemove, namespace=namespaces(),
                     sessions=st.lists(for_class(Session), min_size=1, max_size=3).map(tuple))


@register(Feature)
def features() -> st.SearchStrategy[Feature]:
    return st.builds(Feature, namespace=namespaces(), optional=st.just(True),
                     default=st.booleans())
