"""Hypothesis strategies for XEP-0114: a handshake's namespace is recorded only when it
is ``jabber:component:connect`` (None stands for ``jabber:component:accept``), and its
digest is empty or 40 hexadecimal digits, in either case."""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.component import NS_CONNECT, Handshake
from xepcodec.testing.strategies import register

__all__: list[str] = []


@register(Handshake)
def handshake() -> st.SearchStrategy[Handshake]:
    digests = st.just("") | st.text(alphabet="0123456789abcdefABCDEF", min_size=40,
                                    max_size=40)
    return st.builds(Handshake, namespace=st.sampled_from([None, NS_CONNECT]), digest=digests)
