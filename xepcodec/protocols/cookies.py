"""Cookies (XEP-0464), an April-first XEP, implemented seriously and safely.

A cookie-setter puts a ``<set-cookies/>`` element (namespace ``urn:xmpp:tmp:cookies``)
anywhere in a message, presence or iq; each of its children is one cookie, named by
the child's local name, valued by its text.  The settee then attaches a ``<cookies/>``
element to the stanzas it sends, each cookie carrying the JID that set it in a
``setter`` attribute, so that two setters may use the same cookie name.

Two classes model the cookies, one per container, because the two carry different
attributes:

* :class:`SetCookie`, a child of :class:`SetCookies`, may carry ``js``;
* :class:`Cookie`, a child of :class:`Cookies`, must carry ``setter``.

So a ``setter`` on a cookie being set, or a ``js`` on a cookie being sent back, is an
unknown attribute and refused like any other (``bad-request`` naming the node), and a
sent cookie without its setter is a missing required attribute.

The XEP asks that a cookie marked ``js='true'`` be run as JavaScript, as root and
outside any sandbox, with its output stored as the value.  xepcodec never does that:
this module only reads and writes the elements (:attr:`SetCookie.is_script` tells such
a cookie apart), and the cookie jar (:mod:`xepcodec.machines.cookies`) refuses to run
or store it.  Nothing in xepcodec starts a process, evaluates code or loads a
JavaScript engine.

Rules the model checks on every parse and construction (``bad-request`` on parse,
``ValueError`` on construction):

* a cookie's name is an XML NCName (a name without a colon), checked with XML 1.0's
  own character classes, so that any cookie object can be written as an element;
* a cookie's value is text only: a child element inside a cookie is refused;
* ``js`` is an XML Schema boolean (``true``, ``false``, ``1``, ``0``); ``setter`` a JID
  (a malformed one is ``jid-malformed``).

The XEP sets no rule on repeated names, so a ``<set-cookies/>`` naming a cookie twice
is read as written (the jar lets the later one win, as it would across two stanzas),
and so is a ``<cookies/>`` with two cookies of the same name and setter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import (
    ANY_NAME,
    XmlFragment,
    attr,
    children,
    decode,
    element,
    local_name,
    text,
    walk,
)
from xepcodec.xml.writer import is_ncname

__all__ = [
    "FEATURE_COOKIES",
    "NS_COOKIES",
    "Cookie",
    "Cookies",
    "SetCookie",
    "SetCookies",
    "find_set_cookies",
    "is_cookie_name",
    "iter_set_cookies",
]

#: The namespace of both containers and of every cookie.
NS_COOKIES: Final = "urn:xmpp:tmp:cookies"
#: The disco#info feature an entity supporting cookies advertises (XEP-0464 §4).
FEATURE_COOKIES: Final = NS_COOKIES

_SET_COOKIES_TAG: Final = f"{{{NS_COOKIES}}}set-cookies"
_PREFIX: Final = f"{{{NS_COOKIES}}}"

def is_cookie_name(name: object) -> bool:
    """Whether ``name`` can name a cookie: a non-empty XML NCName (no colon)."""
    return is_ncname(name)


def _check_name(name: object) -> None:
    if not is_cookie_name(name):
        raise ValueError(f"{name!r} cannot name a cookie: a cookie's name is the local name "
                         "of an element, so it must be an XML NCName")


@element(NS_COOKIES, ANY_NAME)
class SetCookie:
    """One cookie being set: ``<name js='…'>value</name>`` inside ``<set-cookies/>``.

    ``js`` None means the attribute is absent (which, like ``false``, means a plain
    value); it is kept apart from ``False`` so that what was read is written back.
    """

    name: str = local_name()
    value: str = text(default="")
    js: bool | None = attr(default=None)

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def is_script(self) -> bool:
        """Whether the setter asks for the value to be run as JavaScript (``js='true'``),
        which xepcodec never does."""
        return self.js is True


@element(NS_COOKIES, "set-cookies")
class SetCookies:
    """A setter's cookies, in document order."""

    cookies: tuple[SetCookie, ...] = children(SetCookie)

    @property
    def scripts(self) -> tuple[SetCookie, ...]:
        """The cookies marked ``js='true'``."""
        return tuple(cookie for cookie in self.cookies if cookie.is_script)


@element(NS_COOKIES, ANY_NAME)
class Cookie:
    """One cookie sent back: ``<name setter='jid'>value</name>`` inside ``<cookies/>``."""

    name: str = local_name()
    value: str = text(default="")
    setter: JID = attr()

    def __post_init__(self) -> None:
        _check_name(self.name)


@element(NS_COOKIES, "cookies")
class Cookies:
    """The cookies a settee attaches to a stanza it sends, each with its setter."""

    cookies: tuple[Cookie, ...] = children(Cookie)

    def set_by(self, setter: JID) -> dict[str, str]:
        """The cookies ``setter`` set, by name (the last one wins if a name repeats).

        A setter reading the cookies sent back to it uses this with its own JID; the
        JIDs compare exactly, so pass the bare JID if that is what the settee recorded.
        """
        return {cookie.name: cookie.value for cookie in self.cookies if cookie.setter == setter}


# -- finding set-cookies at any depth ---------------------------------------------------


def iter_set_cookies(obj: Any) -> Iterator[SetCookies | ParseError]:
    """Every ``<set-cookies/>`` inside ``obj``, at any depth, in document order.

    ``obj`` is a typed element (a stanza, a payload) or an :class:`XmlFragment`.  Typed
    children are followed through every element-valued field; raw fragments are
    searched in their XML, and a ``<set-cookies/>`` found there is decoded: one that
    breaks the rules is yielded as its :class:`ParseError` instead, so the caller can
    go on with the others.

    The search does not look inside elements of the cookies namespace other than
    ``<set-cookies/>`` itself: a child of ``<cookies/>`` named ``set-cookies`` is a
    cookie, not a container.
    """
    for item in walk(obj):
        if isinstance(item, SetCookies):
            yield item
        elif isinstance(item, XmlFragment):
            yield from _in_fragment(item)


def _in_fragment(fragment: XmlFragment) -> Iterator[SetCookies | ParseError]:
    if fragment.tag.startswith(_PREFIX) and fragment.tag != _SET_COOKIES_TAG:
        return
    stack = [fragment.element()]
    while stack:
        node = stack.pop()
        tag = node.tag
        if not isinstance(tag, str):
            continue
        if tag == _SET_COOKIES_TAG:
            try:
                found = decode(node)
            except ParseError as error:
                yield error
            else:
                yield found
        elif not tag.startswith(_PREFIX):
            stack.extend(reversed(list(node)))


def find_set_cookies(obj: Any) -> tuple[SetCookies, ...]:
    """Every ``<set-cookies/>`` inside ``obj`` at any depth (see :func:`iter_set_cookies`);
    raises the :class:`ParseError` of the first malformed one found in raw XML."""
    found: list[SetCookies] = []
    for item in iter_set_cookies(obj):
        if isinstance(item, ParseError):
            raise item
        found.append(item)
    return tuple(found)
