"""Hypothesis strategies for XEP-0060's pubsub#owner elements.

A redirect URI is drawn from URIs XML can carry (the derived strategy would draw any
character its pattern allows, control characters too), and a subscriptions list gives
each entry of a JID listed twice a distinct subid and names one node, on itself, on its
entries (as Prosody writes it) or on both; the derived strategies cannot know either,
so these are registered instead.

This module imports hypothesis, which is a test dependency: import it from tests only.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import strategies as st

from xepcodec.protocols.pubsub.core import IDENTIFIER, SubscriptionState
from xepcodec.protocols.pubsub.owner import (
    OwnerRedirect,
    OwnerSubscription,
    OwnerSubscriptions,
)
from xepcodec.testing.jids import jids
from xepcodec.testing.strategies import register, values, xml_text

__all__ = ["owner_redirects", "owner_subscriptions", "redirect_uris"]


def redirect_uris() -> st.SearchStrategy[str]:
    """Absolute URIs and IRIs: ``xmpp:`` ones naming a node, and others of any scheme."""
    # The JID percent-encoded as RFC 5122 writes it: a resource may hold spaces.
    jid = jids().map(lambda jid: quote(str(jid), safe="@/"))
    node = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_/é", min_size=1, max_size=12)
    xmpp = st.builds("xmpp:{}?;node={}".format, jid, node)
    other = st.from_regex(r"[a-z][a-z0-9+.\-]{0,7}:[!-~\u00e9\u4e2d]{1,20}", fullmatch=True)
    return xmpp | other


@register(OwnerRedirect)
def owner_redirects() -> st.SearchStrategy[OwnerRedirect]:
    """Redirects to a replacement node."""
    return st.builds(OwnerRedirect, uri=redirect_uris())


@st.composite
def _subscriptions(draw: st.DrawFn) -> OwnerSubscriptions:
    node = draw(values(IDENTIFIER))
    # Where the node is written: on the list, on each entry, or both.
    on_list, on_entries = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    entries: list[OwnerSubscription] = []
    for jid in draw(st.lists(jids(), max_size=3, unique=True)):
        times = draw(st.integers(1, 2))
        subids = (draw(st.lists(values(IDENTIFIER), min_size=2, max_size=2, unique=True))
                  if times == 2 else [draw(st.none() | xml_text())])
        entries.extend(OwnerSubscription(
            jid=jid, subscription=draw(st.none() | st.sampled_from(SubscriptionState)),
            subid=subid, node=node if on_entries else None) for subid in subids)
    return OwnerSubscriptions(node=node if on_list else None,
                              subscriptions=tuple(entries))


@register(OwnerSubscriptions)
def owner_subscriptions() -> st.SearchStrategy[OwnerSubscriptions]:
    """Subscriptions lists and changes, a JID listed twice with two subids, the node
    named on the list, its entries or both."""
    return _subscriptions()
