"""Hypothesis strategies for every declared element, derived from the declarations.

``for_class(Cls)`` reads the class's fields (attributes, text, children, the open slot)
and their value kinds, and builds objects that serialize to XML the shipped schema
accepts.  Where a protocol ties fields together in ways a field-by-field strategy cannot
know (an iq's payload count, a form field's values matching its type), the protocol's
strategy is registered here with :func:`register` and used instead.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

import importlib
import string
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Literal

from hypothesis import strategies as st
from lxml import etree

from xepcodec.core.namespaces import XML_LANG
from xepcodec.model.codec import (
    CHILD,
    CHILDREN,
    EXTENSIONS,
    FLAG,
    TEXT_CHILD,
    codec_of,
)
from xepcodec.model.fields import ANY_NAME
from xepcodec.model.raw import XmlFragment
from xepcodec.model.values import (
    Base64Binary,
    Boolean,
    DateTimeValue,
    DateValue,
    EnumValue,
    Integer,
    JIDValue,
    String,
    TimeValue,
    Value,
)
from xepcodec.testing.jids import jids

__all__ = ["for_class", "foreign_elements", "register", "values", "xml_text"]

# Stanza and invalid-input strategies live in their own modules (which import this one);
# they are offered here too, so that this module is the one place to import from.
_ELSEWHERE = {
    "messages": "xepcodec.testing.stanzas",
    "presences": "xepcodec.testing.stanzas",
    "iqs": "xepcodec.testing.stanzas",
    "stanzas": "xepcodec.testing.stanzas",
    "minimally_invalid": "xepcodec.testing.invalid",
    "invalid_stanzas": "xepcodec.testing.invalid",
}


def __getattr__(name: str) -> Any:
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_OVERRIDES: dict[type, Callable[[], st.SearchStrategy[Any]]] = {}


def register(cls: type) -> Callable[[Callable[[], st.SearchStrategy[Any]]],
                                    Callable[[], st.SearchStrategy[Any]]]:
    """Use the decorated function's strategy for ``cls`` instead of the derived one."""

    def use(make: Callable[[], st.SearchStrategy[Any]]) -> Callable[[], st.SearchStrategy[Any]]:
        _OVERRIDES[cls] = make
        return make

    return use


def xml_text(*, min_size: int = 0, max_size: int = 24) -> st.SearchStrategy[str]:
    """Strings XML 1.0 can carry, including the whitespace and markup characters that
    need escaping."""
    allowed = st.characters(min_codepoint=0x20, max_codepoint=0xFFFD,
                            exclude_categories=_SURROGATES) | st.sampled_from("\t\n\r&<>\"'")
    return st.text(alphabet=allowed, min_size=min_size, max_size=max_size)


_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
_LANGS = st.sampled_from(["en", "de", "fr-CA", "es-419", "zh-Hant-TW", "i-klingon"])
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=2)),
                          timezone(-timedelta(hours=5, minutes=30))])


def _string(kind: String) -> st.SearchStrategy[str]:
    if kind.pattern is not None:
        return st.from_regex(kind.pattern, fullmatch=True).filter(
            lambda text: kind.min_length <= len(text) and
            (kind.max_length is None or len(text) <= kind.max_length))
    return xml_text(min_size=kind.min_length, max_size=kind.max_length or 24)


def values(kind: Value[Any]) -> st.SearchStrategy[Any]:
    """Values of one value kind, within its constraints."""
    if isinstance(kind, String):
        return _string(kind)
    if isinstance(kind, Integer):
        low = -(2**31) if kind.minimum is None else kind.minimum
        high = 2**31 - 1 if kind.maximum is None else kind.maximum
        return st.integers(low, high)
    if isinstance(kind, Boolean):
        return st.booleans()
    if isinstance(kind, DateTimeValue):
        return st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1),
                            timezones=_ZONES)
    if isinstance(kind, DateValue):
        return st.dates(min_value=date(1970, 1, 1), max_value=date(9999, 12, 31))
    if isinstance(kind, TimeValue):
        return st.times(min_value=time(0), max_value=time(23, 59, 59, 999999),
                        timezones=_ZONES)
    if isinstance(kind, JIDValue):
        return jids()
    if isinstance(kind, EnumValue):
        return st.sampled_from(_members(kind))
    if isinstance(kind, Base64Binary):
        return st.binary(min_size=kind.min_length, max_size=max(kind.min_length, 64))
    raise TypeError(f"no strategy for the value kind {kind!r}; register one for its class")


def foreign_elements() -> st.SearchStrategy[XmlFragment]:
    """Elements in namespaces no protocol declares: what an open slot keeps raw."""
    names = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8)

    def build(name: str, number: int, value: str) -> XmlFragment:
        # Made through lxml, so the bytes are in the form a parsed fragment keeps.
        made = etree.Element(f"{{urn:example:ext:{number}}}{name}", v=value)
        return XmlFragment.from_element(made)

    return st.builds(build, names, st.integers(0, 3), xml_text(max_size=8))


# The modules whose strategies know rules a declaration cannot say; imported on first
# use, since they import this module to register themselves.
_PROTOCOL_STRATEGIES = ("stanzas", "dataforms", "disco", "rsm", "commands", "cookies",
                        "server_buddies", "xmlenc", "archive", "pubkey", "sasl", "bind",
                        "stream_management", "roster", "entity_info", "delay",
                        "component", "muc", "muc_admin", "muc_owner", "data_validation",
                        "pubsub", "pubsub_owner", "pubsub_event",
                        "pubsub_errors", "rtt", "json_containers")
_loaded = False


def _load_protocol_strategies() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for name in _PROTOCOL_STRATEGIES:
            importlib.import_module(f"xepcodec.testing.{name}")


def for_class(cls: type) -> st.SearchStrategy[Any]:
    """A strategy for instances of a declared element class."""
    _load_protocol_strategies()
    override = _OVERRIDES.get(cls)
    if override is not None:
        return override()
    return _derived(cls)


def _members(kind: EnumValue[Any]) -> list[Any]:
    return [*kind.enum.__members__.values()]


def _deferred(cls: type) -> st.SearchStrategy[Any]:
    # Deferred, because element classes may refer to each other recursively.
    return st.deferred(lambda: for_class(cls))


def _derived(cls: type) -> st.SearchStrategy[Any]:
    codec = codec_of(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for spec in codec.attrs.values():
        strategy = _LANGS if spec.xml_name == XML_LANG else values(spec.value)
        fields[spec.field] = strategy if spec.required else st.none() | strategy
    if codec.text is not None:
        _, name, kind = codec.text
        fields[name] = values(kind)
    for handler in codec.children:
        name = handler.field
        if handler.kind == EXTENSIONS:
            fields[name] = st.lists(foreign_elements(), max_size=2).map(tuple)
        elif handler.kind == FLAG:
            fields[name] = st.booleans()
        elif handler.kind in (CHILD, CHILDREN):
            one = st.one_of([_deferred(c) for c in handler.classes])
            if handler.kind == CHILDREN:
                fields[name] = st.lists(one, max_size=3).map(tuple)
            else:
                fields[name] = one if handler.required else st.none() | one
        else:
            one = values(handler.value)
            if handler.kind == TEXT_CHILD:
                fields[name] = one if handler.required else st.none() | one
            else:
                fields[name] = st.lists(one, max_size=3).map(tuple)
    if codec.xmlns is not None:
        fields[codec.field_names[codec.xmlns]] = st.sampled_from(codec.namespaces)
    if codec.local_name is not None:
        named = codec.attrs_local_kind
        name_field = codec.field_names[codec.local_name]
        if codec.names == (ANY_NAME,):
            fields[name_field] = st.from_regex(r"[a-z_][a-z0-9._-]{0,11}", fullmatch=True)
        else:
            names = _members(named) if isinstance(named, EnumValue) else list(codec.names)
            fields[name_field] = st.sampled_from(names)
    return st.builds(cls, **fields)
