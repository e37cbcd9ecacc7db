"""Hypothesis strategies for resource binding (RFC 6120 §7): a bind element carries a
resource, a JID or neither, never both."""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.bind import Bind
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import register, xml_text

__all__: list[str] = []


@register(Bind)
def bind() -> st.SearchStrategy[Bind]:
    return st.one_of(
        st.builds(Bind, required=st.booleans()),
        st.builds(Bind, resource=xml_text(min_size=1)),
        st.builds(Bind, jid=jids()),
    )
