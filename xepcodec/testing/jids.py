"""Hypothesis strategies for JIDs.

The generated addresses are deliberately plain (ASCII letters and digits, a few
common non-ASCII letters, domain labels of ``[a-z0-9]``) so that every one is
valid; tests of the JID rules themselves belong in the JID tests.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

from xepcodec.datatypes.jid import JID

__all__ = ["jids"]

# Letters whose PRECIS handling is uneventful: each is PVALID, and lowercasing
# maps each to another PVALID letter.
_FRIENDLY_LETTERS = "éüñøßжлπσÉÜÑØЖЛΠΣ"

_LOCAL_ALPHABET = string.ascii_letters + string.digits + "._-" + _FRIENDLY_LETTERS
# Resources may hold spaces and the JID separators; CJK letters exercise UTF-8.
_RESOURCE_ALPHABET = string.ascii_letters + string.digits + " ._-@/" + _FRIENDLY_LETTERS + "携帯"

_locals = st.text(_LOCAL_ALPHABET, min_size=1, max_size=20)
_resources = st.text(_RESOURCE_ALPHABET, min_size=1, max_size=24)
_labels = st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True)
# The last label needs a letter: a name ending in an all-digit label must be an
# IPv4 address.
_top_labels = st.from_regex(r"[a-z0-9]{0,5}[a-z][a-z0-9]{0,5}", fullmatch=True)
_domains = st.builds(
    lambda labels, top: ".".join([*labels, top]),
    st.lists(_labels, max_size=3),
    _top_labels,
)


def jids(*, bare: bool | None = None, with_local: bool | None = None) -> st.SearchStrategy[JID]:
    """Valid JIDs.

    ``bare=True`` gives JIDs without a resourcepart, ``bare=False`` JIDs with one,
    and ``None`` either; ``with_local`` chooses the localpart the same way.
    """
    locals_: st.SearchStrategy[str | None] = _choose(_locals, with_local)
    resources: st.SearchStrategy[str | None] = _choose(
        _resources, None if bare is None else not bare
    )
    return st.builds(JID, locals_, _domains, resources)


def _choose(
    strategy: st.SearchStrategy[str], present: bool | None
) -> st.SearchStrategy[str | None]:
    if present is None:
        return st.none() | strategy
    return strategy if present else st.none()
