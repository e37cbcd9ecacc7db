"""What the live publish-subscribe tests (XEP-0060, XEP-0163) share: waiting for a
notification, and the check of everything a session received."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import xepcodec
from xepcodec.core.stanzas import Message
from xepcodec.datatypes.jid import JID
from xepcodec.machines.client_session import StanzaUnreadable
from xepcodec.protocols.pubsub import client as pubsub
from xepcodec.xml import StanzaFailed

from .client import LiveClient
from .rooms import wait_for
from .wire import check_typed, raw_parts, read_again

#: The application conditions of XEP-0060's ``#errors`` namespace that a stanza error
#: from the service may carry, which the library has no class for yet: they stay raw
#: XML inside the typed error, and are the only raw XML the services send.
ERRORS_NS = "http://jabber.org/protocol/pubsub#errors"


def event_about(node: str, *, service: JID | None = None) -> Callable[[Any], bool]:
    """A ``test`` for :func:`~.rooms.wait_for`: a notification about ``node`` (from
    ``service`` when given)."""
    def test(stanza: Any) -> bool:
        if not isinstance(stanza, Message) or (service is not None
                                               and stanza.from_ != service):
            return False
        told = pubsub.read_event(stanza)
        return told is not None and told.node == node
    return test


def next_event(client: LiveClient, node: str, *, service: JID | None = None,
               since: int) -> pubsub.Event:
    """The first notification about ``node`` ``client`` received after its first
    ``since`` stanzas, read typed (reading until one arrives)."""
    told = pubsub.read_event(wait_for(client, event_about(node, service=service),
                                      since=since))
    assert told is not None
    return told


def check(client: LiveClient) -> None:
    """``client.check()``, but for the ``#errors`` application conditions, the only raw
    XML allowed in what the session received: the stanza carrying one still validates
    and round-trips."""
    unreadable = [event for event in client.events if isinstance(event, StanzaUnreadable)]
    assert not unreadable, [(e.failed.error, e.failed.element) for e in unreadable]
    for stanza in client.received():
        raw = raw_parts(stanza)
        if raw:
            assert all(where.endswith("/StanzaError.application")
                       and part.tag.startswith(f"{{{ERRORS_NS}}}") for where, part in raw), raw
            data = xepcodec.serialize(stanza)
            assert xepcodec.validate(data).ok, data
            assert xepcodec.parse(data) == stanza, data
        else:
            check_typed(stanza)
    client.check_sent()
    events = read_again(client.wire.streams)
    assert not [event for event in events if isinstance(event, StanzaFailed)], events
