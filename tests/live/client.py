"""The library's ``ClientSession`` driven over a socket to the live server.

The driver does what a caller of the machine does (docs/sessions.md) and nothing more:
it moves bytes, wraps the socket in TLS when asked to, and collects the events.  It
also tells its :class:`~.wire.Wire` where the stream restarts, for the replay.
"""

from __future__ import annotations

import os
from typing import Any

from xepcodec.core.stanzas import Iq
from xepcodec.machines.base import Event
from xepcodec.machines.client_session import (
    Authenticated,
    ClientSession,
    Closed,
    PlainPolicy,
    Ready,
    Received,
    Resumption,
    SessionFailed,
    StanzaUnreadable,
    TlsPolicy,
    WrapTransport,
)
from xepcodec.sasl import MECHANISMS

from .driver import Driver
from .prosody import Prosody
from .wire import Wire, check_typed, has, replay


class LiveClient(Driver[ClientSession]):
    """One account's session over one connection."""

    arrival = Received

    def __init__(self, prosody: Prosody, account: tuple[str, str, str], *,
                 resource: str = "live", tls: TlsPolicy = TlsPolicy.NEVER,
                 plain: PlainPolicy = PlainPolicy.ALWAYS,
                 mechanisms: tuple[str, ...] = MECHANISMS, stream_management: bool = False,
                 resumable: bool = False, resume: Resumption | None = None) -> None:
        user, self.host, password = account
        self.certificate = prosody.certificate
        super().__init__(Wire(prosody.c2s_port), ClientSession(
            f"{user}@{self.host}", password=password, random=os.urandom, resource=resource,
            tls=tls, plain=plain, mechanisms=mechanisms, stream_management=stream_management,
            resumable=resumable, resume=resume))
        self.take(self.session.start())

    def __enter__(self) -> LiveClient:
        return self

    def on(self, event: Event) -> list[Event]:
        match event:
            case WrapTransport():
                # Nothing may be written in the clear after <proceed/>.
                assert self.session.data_to_send() == b""
                self.wire.starttls(self.host, self.certificate)
                return self.take(self.session.tls_established())
            case Authenticated():
                self.wire.restart()  # SASL <success/> restarts the stream
        return []

    def log_in(self) -> list[Event]:
        """Run the negotiation to ``Ready``; fails on any ``SessionFailed``."""
        events = self.until(lambda new: any(isinstance(e, Ready | SessionFailed) for e in new))
        failures = [event for event in events if isinstance(event, SessionFailed)]
        assert not failures, failures
        return events

    def request_ack(self) -> list[Event]:
        """Ask the server for its count: ``<r/>``."""
        return self.take(self.session.request_ack())

    def request(self, iq: Iq) -> Iq:
        """Send an iq and read until its answer arrives (other stanzas are kept)."""
        self.send(iq)
        return self.answer_to(iq)

    def answer_to(self, iq: Iq) -> Iq:
        """Read until the answer to ``iq``, sent already, arrives."""
        def answered(new: list[Event]) -> bool:
            return any(isinstance(event, Received) and isinstance(event.stanza, Iq)
                       and event.stanza.id == iq.id for event in new)

        new = self.until(answered)
        (answer,) = [event.stanza for event in new
                     if isinstance(event, Received) and isinstance(event.stanza, Iq)
                     and event.stanza.id == iq.id]
        return answer

    def received(self) -> list[Any]:
        return [event.stanza for event in self.events if isinstance(event, Received)]

    def close(self) -> None:
        """End the stream and wait for the server's end of it."""
        self.take(self.session.close())
        if not any(isinstance(event, Closed) for event in self.events):
            self.until(has(Closed))

    def check(self) -> list[Any]:
        """What every live test asserts of everything the server sent: each stanza the
        session handed over typed, valid and round-tripping, none refused; every byte
        received read again by a default ``StreamReader`` without a stream error (and
        the same of what the session wrote).  Returns the replayed reader's events."""
        unreadable = [event for event in self.events if isinstance(event, StanzaUnreadable)]
        assert not unreadable, [(e.failed.error, e.failed.element) for e in unreadable]
        for stanza in self.received():
            check_typed(stanza)
        self.check_sent()
        return replay(self.wire.streams)
