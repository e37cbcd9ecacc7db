"""Hypothesis strategies for XEP-0464 cookies.

A cookie's name is an element name, so the derived strategy's plain lowercase names
are widened here: upper case, digits after the first letter, ``.``, ``-``, ``_``,
letters beyond ASCII, and the names that collide with the protocol's own vocabulary
(``cookies``, ``set-cookies``, ``js``, ``setter``), which must still read as cookies.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.cookies import Cookie, Cookies, SetCookie, SetCookies
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import register, xml_text

__all__ = ["cookie_names", "cookie_values"]

_FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_éжπ漢"
_REST = _FIRST + "0123456789.-"
_TRICKY = ["cookies", "set-cookies", "js", "setter", "body", "xmlns-ish", "_", "a.b-c_d"]


def cookie_names() -> st.SearchStrategy[str]:
    """Cookie names: XML NCNames, including ones that look like the protocol's own
    element and attribute names."""
    made = st.builds(lambda first, rest: first + rest, st.sampled_from(_FIRST),
                     st.text(alphabet=_REST, max_size=11))
    return st.sampled_from(_TRICKY) | made


def cookie_values() -> st.SearchStrategy[str]:
    """Cookie values: any text XML can carry, empty and multi-line included."""
    return xml_text(max_size=40)


@register(SetCookie)
def set_cookie() -> st.SearchStrategy[SetCookie]:
    return st.builds(SetCookie, name=cookie_names(), value=cookie_values(),
                     js=st.sampled_from([None, True, False]))


@register(Cookie)
def cookie() -> st.SearchStrategy[Cookie]:
    return st.builds(Cookie, name=cookie_names(), value=cookie_values(), setter=jids())


@register(SetCookies)
def set_cookies() -> st.SearchStrategy[SetCookies]:
    return st.builds(SetCookies, cookies=st.lists(set_cookie(), max_size=4).map(tuple))


@register(Cookies)
def cookies() -> st.SearchStrategy[Cookies]:
    return st.builds(Cookies, cookies=st.lists(cookie(), max_size=4).map(tuple))
