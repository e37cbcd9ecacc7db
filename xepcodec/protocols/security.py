"""Improving Baseline Security in XMPP (XEP-0419): Double ROT-13 and "secure" namespaces.

**None of this is security.**  XEP-0419 is an April-first specification.  It proposes
two things, both implemented here exactly as described so that test suites and
feature lists can exercise them, and both documented for what they are:

* *Double ROT-13 stanza encryption.*  ROT-13 moves each ASCII letter 13 places along
  the alphabet; doing it twice moves every letter 26 places, back where it started.
  :func:`double_rot13` really applies ROT-13 twice to the serialized stanza (it does
  not skip the work), and the result is always byte-for-byte the input: the
  "ciphertext" is the plaintext.  :func:`undo_double_rot13`, its inverse, is the same
  composition.  :func:`rot13` is the single pass.
* *Namespace upgrades.*  Every namespace name beginning ``http:`` becomes ``https:``
  and every one beginning ``urn:xmpp:`` becomes ``urn:xmpps:``
  (:func:`upgrade_namespaces`); :func:`downgrade_namespaces` undoes it.  A namespace
  name is an identifier compared as a string, never fetched, so its scheme protects
  nothing; the upgraded stanza is simply one no other implementation understands.

How the namespace rewrite works, and the choices made:

* It rewrites namespace *names*: those of elements and attributes, and the namespace
  declarations.  Text and attribute values are data and stay as they are, even when
  they hold a namespace (a disco#info ``<feature var='http://…'/>`` keeps its value).
* Names are compared exactly, as XML namespaces are: ``HTTP:`` and ``URN:XMPP:`` are
  other names and are left alone.  The XML namespace
  (``http://www.w3.org/XML/1998/namespace``, that of ``xml:lang``) is fixed by the XML
  namespaces recommendation and is never rewritten.
* Each function is the exact inverse of the other, and refuses (``ValueError``) input
  where that could not hold: upgrading a stanza that already holds an ``https:`` or
  ``urn:xmpps:`` namespace, or downgrading one that holds an ``http:`` or ``urn:xmpp:``
  namespace, would make two different stanzas look alike, so that the inverse could not
  tell which one it was given.  Hence ``downgrade_namespaces(upgrade_namespaces(s)) ==
  s`` for every stanza ``upgrade_namespaces`` accepts, and the other way round.
* Both work on serialized XML (``bytes`` in, ``bytes`` out; ``str`` in, ``str`` out),
  read as restricted XML, and on typed objects.  A typed object is serialized,
  rewritten, and read back: a stanza stays a stanza (``jabber:client`` and the other
  stanza namespaces are not affected), while its payloads in upgraded namespaces, which
  no protocol declares, come back as :class:`~xepcodec.model.XmlFragment`;
  downgrading turns them back into their typed classes.  A typed payload whose own
  namespace is upgraded comes back as an XmlFragment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar, cast, overload

from lxml import etree

from xepcodec.core.namespaces import XML
from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.model import XmlFragment, decode, encode, lookup
from xepcodec.xml import DEFAULT_LIMITS, Limits, parse_xml, path_of

__all__ = [
    "double_rot13",
    "downgrade_namespace",
    "downgrade_namespaces",
    "rot13",
    "undo_double_rot13",
    "upgrade_namespace",
    "upgrade_namespaces",
]

T = TypeVar("T", bytes, str)

# -- ROT-13 ----------------------------------------------------------------------------

_LOWER: Final = "abcdefghijklmnopqrstuvwxyz"
_UPPER: Final = _LOWER.upper()
_PLAIN: Final = _LOWER + _UPPER
_ROTATED: Final = _LOWER[13:] + _LOWER[:13] + _UPPER[13:] + _UPPER[:13]
_STR_TABLE: Final = str.maketrans(_PLAIN, _ROTATED)
_BYTES_TABLE: Final = bytes.maketrans(_PLAIN.encode("ascii"), _ROTATED.encode("ascii"))


def rot13(data: T) -> T:
    """One ROT-13 pass: each ASCII letter replaced by the one 13 places further along
    the alphabet, wrapping around, case kept; everything else unchanged.

    Over UTF-8 bytes this touches only ASCII letters (every byte of a multi-byte
    sequence is 0x80 or above), so valid UTF-8 stays valid UTF-8.
    """
    if isinstance(data, bytes):
        return data.translate(_BYTES_TABLE)
    if isinstance(data, str):
        return data.translate(_STR_TABLE)
    raise ArgumentTypeError(f"ROT-13 applies to bytes or str, not {type(data).__name__}")


def double_rot13(data: T) -> T:
    """XEP-0419's "Double ROT-13 encryption" of a serialized stanza: two ROT-13
    passes, one after the other.

    Two passes move every letter 26 places, the whole alphabet, so the result always
    equals ``data``.  It hides nothing from anyone; it is here because the XEP asks
    for it.  Serialize a typed stanza first (``xepcodec.serialize``).
    """
    return rot13(rot13(data))


def undo_double_rot13(data: T) -> T:
    """The inverse of :func:`double_rot13`: each pass undone, the last one first.
    ROT-13 is its own inverse, so this is two ROT-13 passes again, and the identity."""
    return rot13(rot13(data))


# -- namespace names ---------------------------------------------------------------------

#: (legacy prefix, upgraded prefix), as XEP-0419 §3.1 and §3.2 describe them.
_UPGRADES: Final = (("http:", "https:"), ("urn:xmpp:", "urn:xmpps:"))


def upgrade_namespace(name: str) -> str:
    """One namespace name upgraded: ``http:…`` to ``https:…``, ``urn:xmpp:…`` to
    ``urn:xmpps:…``, anything else unchanged.

    Raises ValueError for a name already in upgraded form (``https:…``,
    ``urn:xmpps:…``), which :func:`downgrade_namespace` could not tell apart from an
    upgraded legacy name.  The XML namespace is never changed.
    """
    if name == XML:
        return name
    for legacy, upgraded in _UPGRADES:
        if name.startswith(upgraded):
            raise ArgumentValueError(f"the namespace {name!r} is already in upgraded form; "
                                     "upgrading a stanza that holds it could not be undone")
        if name.startswith(legacy):
            return upgraded + name[len(legacy):]
    return name


def downgrade_namespace(name: str) -> str:
    """The inverse of :func:`upgrade_namespace`: ``https:…`` to ``http:…``,
    ``urn:xmpps:…`` to ``urn:xmpp:…``, anything else unchanged.

    Raises ValueError for a name in legacy form (``http:…``, ``urn:xmpp:…``), which no
    upgrade produces, and for the one name whose downgrade would be the reserved XML
    namespace.  The XML namespace itself is never changed.
    """
    if name == XML:
        return name
    for legacy, upgraded in _UPGRADES:
        if name.startswith(legacy):
            raise ArgumentValueError(f"the namespace {name!r} is in legacy form; it is not the "
                                     "result of an upgrade, so it cannot be downgraded")
        if name.startswith(upgraded):
            downgraded = legacy + name[len(upgraded):]
            if downgraded == XML:
                raise ArgumentValueError(f"the namespace {name!r} would downgrade to the reserved "
                                         "XML namespace, which no element may use")
            return downgraded
    return name


# -- whole stanzas -------------------------------------------------------------------------

# Serialized typed objects are the library's own output: read back without the size
# bounds meant for untrusted input.
_OWN_OUTPUT: Final = Limits(max_depth=255, max_attribute_length=2**31,
                            max_text_length=2**31, max_attributes=2**31,
                            max_children=2**31, max_size=2**62)


def _split(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _renamed(name: str, convert: Callable[[str], str], node: etree._Element,
             attribute: str | None = None) -> str:
    namespace, local = _split(name)
    if not namespace:
        return name
    try:
        return f"{{{convert(namespace)}}}{local}"
    except ValueError as error:
        raise ArgumentValueError(f"{error} (at {path_of(node, attribute)})") from None


def _declared(node: etree._Element, parent: etree._Element | None,
              convert: Callable[[str], str]) -> dict[str | None, str]:
    """The namespace declarations ``node`` adds to its parent's, converted."""
    inherited: dict[str | None, str] = {} if parent is None else dict(parent.nsmap)
    declared: dict[str | None, str] = {}
    for prefix, uri in node.nsmap.items():
        if inherited.get(prefix) != uri:
            try:
                declared[prefix] = convert(uri) if uri else uri
            except ValueError as error:
                raise ArgumentValueError(f"{error} (declared at {path_of(node)})") from None
    return declared


def _rewrite(root: etree._Element, convert: Callable[[str], str]) -> etree._Element:
    """A new tree like ``root`` with every namespace name passed through ``convert``;
    prefixes, attributes, text and order are kept."""

    def attributes(node: etree._Element) -> dict[str, str]:
        items = cast("list[tuple[str, str]]", node.items())
        return {_renamed(key, convert, node, key): value for key, value in items}

    # lxml-stubs type namespace maps with str keys only; None is the default namespace.
    new_root = etree.Element(_renamed(str(root.tag), convert, root), attributes(root),
                             nsmap=cast("dict[str, str]", _declared(root, None, convert)))
    new_root.text = root.text
    pending = [(root, new_root)]
    while pending:
        old, new = pending.pop()
        # Only elements: restricted XML has no comments or processing instructions.
        for child in old:
            # Names before declarations, so that a refusal points at what uses the name.
            tag = _renamed(str(child.tag), convert, child)
            attrib = attributes(child)
            declared = cast("dict[str, str]", _declared(child, old, convert))
            made = etree.SubElement(new, tag, attrib, nsmap=declared)
            made.text = child.text
            made.tail = child.tail
            pending.append((child, made))
    return new_root


def _apply(data: Any, convert: Callable[[str], str], limits: Limits) -> Any:
    if isinstance(data, bytes):
        return etree.tostring(_rewrite(parse_xml(data, limits), convert), encoding="utf-8")
    if isinstance(data, str):
        return etree.tostring(_rewrite(parse_xml(data, limits), convert), encoding="unicode")
    if isinstance(data, etree._Element):
        raise ArgumentTypeError("pass serialized XML or a typed object, not an lxml element")
    tree = _rewrite(parse_xml(encode(data), _OWN_OUTPUT), convert)
    if lookup(str(tree.tag)) is None:
        return XmlFragment.from_element(tree)
    return decode(tree)


@overload
def upgrade_namespaces(stanza: bytes, *, limits: Limits = ...) -> bytes: ...
@overload
def upgrade_namespaces(stanza: str, *, limits: Limits = ...) -> str: ...
@overload
def upgrade_namespaces(stanza: Any, *, limits: Limits = ...) -> Any: ...


def upgrade_namespaces(stanza: Any, *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The whole stanza with every ``http:`` namespace name made ``https:`` and every
    ``urn:xmpp:`` one ``urn:xmpps:`` (XEP-0419 §3.1-3.2).  No security comes of it.

    ``stanza`` is serialized XML (bytes or str; the same type is returned, read as
    restricted XML within ``limits``) or a typed object (a typed object is returned: the
    stanza itself, with its upgraded payloads as XmlFragments, or an XmlFragment when
    the object's own namespace changes).  Raises ValueError, naming the namespace and
    where it is, if the stanza already holds an upgraded namespace name.
    """
    return _apply(stanza, upgrade_namespace, limits)


@overload
def downgrade_namespaces(stanza: bytes, *, limits: Limits = ...) -> bytes: ...
@overload
def downgrade_namespaces(stanza: str, *, limits: Limits = ...) -> str: ...
@overload
def downgrade_namespaces(stanza: Any, *, limits: Limits = ...) -> Any: ...


def downgrade_namespaces(stanza: Any, *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """The inverse of :func:`upgrade_namespaces`: ``https:`` namespace names back to
    ``http:``, ``urn:xmpps:`` back to ``urn:xmpp:``.

    Takes and returns the same kinds as :func:`upgrade_namespaces`; for a typed object,
    payloads whose downgraded namespace a protocol declares come back typed, and a
    :class:`~xepcodec.errors.ParseError` says when one breaks its protocol's rules.
    Raises ValueError if the stanza holds a legacy namespace name, which no upgrade
    produces.
    """
    return _apply(stanza, downgrade_namespace, limits)
