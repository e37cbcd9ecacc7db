"""XEP-0114 against the live server with the library's ``ComponentSession``: the
component with the secret is let in, one with a wrong secret is refused with
``not-authorized``, and every byte the server sent reads back typed."""

from __future__ import annotations

from xepcodec.core.streams import StreamCondition, StreamError
from xepcodec.machines.component_session import ComponentState, StreamEnded
from xepcodec.protocols.component import Handshake
from xepcodec.xml import StanzaReceived, StreamClosed

from .component import LiveComponent
from .prosody import COMPONENT_HOST, Prosody


def test_the_component_with_the_secret_is_let_in(prosody: Prosody) -> None:
    with LiveComponent(prosody) as component:
        assert component.accepted and component.failure is None
        assert component.session.state is ComponentState.READY
        assert component.session.domain == COMPONENT_HOST
        component.close()
        ended = [event for event in component.events if isinstance(event, StreamEnded)]
        assert ended == [StreamEnded(condition=None, by_peer=False)]
        replayed = component.check()
    (acknowledgement,) = [event.stanza for event in replayed
                          if isinstance(event, StanzaReceived)]
    assert isinstance(acknowledgement, Handshake) and acknowledgement.is_acknowledgement
    assert isinstance(replayed[-1], StreamClosed)


def test_wrong_secret_ends_in_not_authorized(prosody: Prosody) -> None:
    with LiveComponent(prosody, secret="not the secret") as component:
        assert not component.accepted
        failure = component.failure
        assert failure is not None and failure.condition is StreamCondition.NOT_AUTHORIZED
        (ended,) = [event for event in component.events if isinstance(event, StreamEnded)]
        assert ended.condition is StreamCondition.NOT_AUTHORIZED and ended.by_peer
        while not component.wire.closed:  # the server closes the connection after it
            component.wire.receive()
        replayed = component.check()
    (error,) = [event.stanza for event in replayed if isinstance(event, StanzaReceived)]
    assert isinstance(error, StreamError) and error.condition is StreamCondition.NOT_AUTHORIZED


def test_an_unknown_domain_is_refused(prosody: Prosody) -> None:
    with LiveComponent(prosody, domain="nobody.xepcodec.test") as component:
        assert not component.accepted
        failure = component.failure
        assert failure is not None and failure.condition is StreamCondition.HOST_UNKNOWN
        while not component.wire.closed:
            component.wire.receive()
        component.check()
