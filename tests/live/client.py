"""The library's ``ClientSession`` driven over a socket to the live server.

The driver does what a caller of the machine does (docs/sessions.md) and nothing more:
it moves bytes, wraps the socket in TLS when asked to, and collects the events.  It
also tells its :class:`~.wire.Wire` where the stream restarts, for the replay.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from xepcodec.core.stanzas import Iq
from xepcodec.machines.base import Event, Send
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
from xepcodec.machines.router import Router
from xepcodec.sasl import MECHANISMS

from .prosody import NOW, Prosody
from .wire import Wire, check_typed, replay

Done = Callable[[list[Event]], bool]


def seen(kind: type) -> Done:
    """A ``done`` for :meth:`LiveClient.until`: an event of that class arrived."""
    return lambda events: any(isinstance(event, kind) for event in events)


class LiveClient:
    """One account's session over one connection; ``events`` are all its events."""

    def __init__(self, prosody: Prosody, account: tuple[str, str, str], *,
                 resource: str = "live", tls: TlsPolicy = TlsPolicy.NEVER,
                 plain: PlainPolicy = PlainPolicy.ALWAYS, mechanisms: tuple[str, ...] = MECHANISMS,
                 stream_management: bool = False,
                 resumable: bool = False, resume: Resumption | None = None) -> None:
        user, self.host, password = account
        self.prosody = prosody
        self.wire = Wire(prosody.c2s_port)
        self.session = ClientSession(f"{user}@{self.host}", password=password,
                                     random=os.urandom, resource=resource, tls=tls,
                                     plain=plain, mechanisms=mechanisms,
                                     stream_management=stream_management,
                                     resumable=resumable, resume=resume)
        self.events: list[Event] = []
        self.sent: list[bytes] = []
        self._take(self.session.start())

    def __enter__(self) -> LiveClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wire.sock.close()

    def _take(self, events: list[Event]) -> list[Event]:
        """Keep the events of a call and send the bytes it wrote."""
        self.events += events
        data = self.session.data_to_send()
        if data:
            self.sent.append(data)
            self.wire.send(data)
        return events

    def until(self, done: Done) -> list[Event]:
        """Read and feed the session until ``done(events since the call)``; fails when
        the connection closes first, and a read that waits too long times out."""
        new: list[Event] = []
        while not done(new):
            data = self.wire.receive()
            if not data:
                raise AssertionError(f"the server closed the connection; events: {new}")
            for event in self._take(self.session.receive_data(data)):
                new.append(event)
                match event:
                    case WrapTransport():
                        # Nothing may be written in the clear after <proceed/>.
                        assert self.session.data_to_send() == b""
                        self.wire.starttls(self.host, self.prosody.certificate)
                        new += self._take(self.session.tls_established())
                    case Authenticated():
                        self.wire.restart()  # SASL <success/> restarts the stream
        return new

    def log_in(self) -> list[Event]:
        """Run the negotiation to ``Ready``; fails on any ``SessionFailed``."""
        events = self.until(lambda new: any(isinstance(e, Ready | SessionFailed) for e in new))
        failures = [event for event in events if isinstance(event, SessionFailed)]
        assert not failures, failures
        return events

    def send(self, stanza: Any) -> list[Event]:
        return self._take(self.session.send(stanza))

    def request_ack(self) -> list[Event]:
        """Ask the server for its count: ``<r/>``."""
        return self._take(self.session.request_ack())

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

    def serve(self, router: Router) -> list[Event]:
        """Read until a stanza arrives, hand it to ``router`` (a router sits on top of
        the session) and send what it answers; the router's events."""
        new = self.until(seen(Received))
        events: list[Event] = []
        for event in new:
            if isinstance(event, Received):
                events += router.receive(event.stanza, now=NOW)
        for event in events:
            if isinstance(event, Send):
                self.send(event.stanza)
        return events

    def received(self) -> list[Any]:
        return [event.stanza for event in self.events if isinstance(event, Received)]

    def close(self) -> None:
        """End the stream and wait for the server's end of it."""
        self._take(self.session.close())
        if not any(isinstance(event, Closed) for event in self.events):
            self.until(seen(Closed))

    def check(self) -> list[Any]:
        """What every live test asserts of everything the server sent: each stanza the
        session handed over typed, valid and round-tripping, none refused; every byte
        received read again by a default ``StreamReader`` without a stream error.
        Returns the replayed reader's events."""
        unreadable = [event for event in self.events if isinstance(event, StanzaUnreadable)]
        assert not unreadable, [(e.failed.error, e.failed.element) for e in unreadable]
        for stanza in self.received():
            check_typed(stanza)
        return replay(self.wire.streams)
