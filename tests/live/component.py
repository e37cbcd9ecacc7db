"""The library's ``ComponentSession`` (XEP-0114) driven over a socket to the live
server, serving its address through the library's ``Router``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from xepcodec.machines.base import Event, Ignored, Send
from xepcodec.machines.component_session import (
    Authenticated,
    AuthenticationFailed,
    ComponentSession,
    Received,
    StreamEnded,
)
from xepcodec.machines.router import Router
from xepcodec.xml import StanzaFailed

from .prosody import COMPONENT_HOST, COMPONENT_SECRET, NOW, Prosody
from .wire import Wire, check_typed, replay

Done = Callable[[list[Event]], bool]


def seen(kind: type) -> Done:
    return lambda events: any(isinstance(event, kind) for event in events)


class LiveComponent:
    """The component's connection: the handshake, then stanzas in and out; ``events``
    are all the session's events."""

    def __init__(self, prosody: Prosody, *, secret: str = COMPONENT_SECRET) -> None:
        self.wire = Wire(prosody.component_port)
        self.session = ComponentSession.connect(COMPONENT_HOST, secret)
        self.events: list[Event] = []
        self._take([])
        self.until(lambda new: any(isinstance(event, Authenticated | StreamEnded)
                                   for event in new))

    def __enter__(self) -> LiveComponent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wire.sock.close()

    def _take(self, events: list[Event]) -> list[Event]:
        """Keep the events of a call and send the bytes it wrote."""
        self.events += events
        data = self.session.data_to_send()
        if data:
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
            new += self._take(self.session.receive_data(data))
        return new

    @property
    def accepted(self) -> bool:
        return any(isinstance(event, Authenticated) for event in self.events)

    @property
    def failure(self) -> AuthenticationFailed | None:
        return next((e for e in self.events if isinstance(e, AuthenticationFailed)), None)

    def send(self, stanza: Any) -> list[Event]:
        return self._take(self.session.send(stanza))

    def serve(self, router: Router) -> list[Event]:
        """Hand the next stanza routed to the component to ``router`` and send what it
        answers; the router's events."""
        new = self.until(seen(Received))
        events: list[Event] = []
        for event in new:
            if isinstance(event, Received):
                events += router.receive(event.stanza, now=NOW)
        for event in events:
            match event:
                case Send(stanza=out):
                    self.send(out)
                case Ignored(reason=why):
                    raise AssertionError(f"the router ignored a routed stanza: {why}")
        return events

    def close(self) -> None:
        """End the stream and wait for the server's end of it."""
        self._take(self.session.close())
        if not any(isinstance(event, StreamEnded) for event in self.events):
            self.until(seen(StreamEnded))

    def check(self) -> list[Any]:
        """Every stanza the session handed over typed, valid and round-tripping, none
        refused; every byte received read again without a stream error."""
        for event in self.events:
            if isinstance(event, Received):
                assert not isinstance(event.stanza, StanzaFailed), event.stanza.error
                check_typed(event.stanza)
        return replay(self.wire.streams)
