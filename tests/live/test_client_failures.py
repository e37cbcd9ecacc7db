"""What goes wrong against the live server arrives as the session's failure events."""

from __future__ import annotations

from xepcodec.machines.client_session import (
    Authenticated,
    AuthenticationFailed,
    Closed,
    NegotiationFailed,
    PlainPolicy,
    SessionFailed,
    TlsPolicy,
)

from .client import LiveClient
from .prosody import JULIET, NURSE, Prosody
from .wire import has


def test_a_wrong_password_is_not_authorized(prosody: Prosody) -> None:
    for account in ((JULIET[0], JULIET[1], "wrong"), (NURSE[0], NURSE[1], "wrong")):
        with LiveClient(prosody, account) as client:
            events = client.until(has(Closed))
            assert not any(isinstance(event, Authenticated) for event in events)
            (failed,) = [event for event in events if isinstance(event, SessionFailed)]
            assert isinstance(failed, AuthenticationFailed), failed
            assert failed.condition == "not-authorized", failed
            client.check()


def test_tls_required_where_it_is_not_offered(prosody: Prosody) -> None:
    """The plaintext host offers no STARTTLS: a session that requires TLS gives up
    before it sends a password."""
    with LiveClient(prosody, JULIET, tls=TlsPolicy.REQUIRED) as client:
        events = client.until(has(Closed))
        (failed,) = [event for event in events if isinstance(event, SessionFailed)]
        assert isinstance(failed, NegotiationFailed), failed
        client.check()
    assert b"<auth" not in b"".join(client.sent)


def test_plain_refused_in_the_clear(prosody: Prosody) -> None:
    """The plaintext host offers only PLAIN: a session that allows it only over TLS
    finds no mechanism it may use."""
    with LiveClient(prosody, JULIET, plain=PlainPolicy.OVER_TLS) as client:
        events = client.until(has(Closed))
        (failed,) = [event for event in events if isinstance(event, SessionFailed)]
        assert isinstance(failed, NegotiationFailed), failed
        client.check()
    assert b"<auth" not in b"".join(client.sent)
