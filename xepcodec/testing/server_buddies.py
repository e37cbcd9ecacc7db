"""Hypothesis strategies for XEP-0267 server buddies.

The protocol declares no elements of its own (it reuses presence, ad-hoc commands
and data forms), so nothing is registered here; these strategies draw the values the
protocol ties together: bare domain JIDs, subscription presences between two
different domains, and the administrator's submitted forms.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.datatypes.jid import JID
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.server_buddies import DomainSubscription, SubscriptionType, submission
from xepcodec.testing.jids import jids

__all__ = ["domain_subscriptions", "domains", "submissions"]


def domains() -> st.SearchStrategy[JID]:
    """Bare domain JIDs (server addresses)."""
    return jids(bare=True, with_local=False)


@st.composite
def _subscriptions(draw: st.DrawFn) -> DomainSubscription:
    sender = draw(domains())
    receiver = draw(domains().filter(lambda jid: jid != sender))
    return DomainSubscription(
        type=draw(st.sampled_from(list(SubscriptionType))),
        from_=sender,
        to=receiver,
        id=draw(st.none() | st.from_regex(r"[A-Za-z0-9_-]{1,16}", fullmatch=True)),
    )


def domain_subscriptions() -> st.SearchStrategy[DomainSubscription]:
    """Subscription presences from one domain to another, with or without an id."""
    return _subscriptions()


def submissions() -> st.SearchStrategy[tuple[JID, Form]]:
    """A peer domain and the administrator's form naming it."""
    return domains().map(lambda domain: (domain, submission(domain)))
