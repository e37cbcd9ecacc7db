"""What drives a session machine of the library over a :class:`~.wire.Wire`: what a
caller of the machine does (docs/sessions.md) and nothing more.  It moves bytes, keeps
the events, and lets a subclass act on one (wrap the socket in TLS, say)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from xepcodec.machines.base import Event, Ignored, Send
from xepcodec.machines.router import Router

from .wire import Done, Wire, has, replay, streams_of

#: The one instant the routers of the tests are handed: no test waits for a deadline.
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class SessionMachine(Protocol):
    """The sans-IO side of a session: bytes in, events and bytes out."""

    def receive_data(self, data: bytes) -> list[Event]: ...

    def data_to_send(self) -> bytes: ...

    def send(self, stanza: Any) -> list[Event]: ...


S = TypeVar("S", bound=SessionMachine)


class Driver(Generic[S]):
    """One session over one connection; ``events`` are all its events and ``sent``
    every write, in order."""

    #: The session's event for a stanza that arrived (it carries it as ``stanza``).
    arrival: ClassVar[type[Event]]

    def __init__(self, wire: Wire, session: S) -> None:
        self.wire = wire
        self.session = session
        self.events: list[Event] = []
        self.sent: list[bytes] = []

    def __enter__(self) -> Driver[S]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wire.sock.close()

    def take(self, events: list[Event]) -> list[Event]:
        """Keep the events of a call of the session and send the bytes it wrote."""
        self.events += events
        data = self.session.data_to_send()
        if data:
            self.sent.append(data)
            self.wire.send(data)
        return events

    def on(self, event: Event) -> list[Event]:
        """What the caller does about one event; the events that makes."""
        return []

    def until(self, done: Done) -> list[Event]:
        """Read and feed the session until ``done(events since the call)``; fails when
        the connection closes first, and a read that waits too long times out."""
        new: list[Event] = []
        while not done(new):
            data = self.wire.receive()
            if not data:
                raise AssertionError(f"the server closed the connection; events: {new}")
            for event in self.take(self.session.receive_data(data)):
                new.append(event)
                new += self.on(event)
        return new

    def send(self, stanza: Any) -> list[Event]:
        return self.take(self.session.send(stanza))

    def serve(self, router: Router) -> list[Event]:
        """Read until a stanza arrives, hand it to ``router`` (a router sits on top of
        the session, fed with the stanzas it receives) and send what it answers; the
        router's events.  What the router ignores fails the test: everything sent to
        the served address here is meant for it."""
        events: list[Event] = []
        for event in self.until(has(self.arrival)):
            if isinstance(event, self.arrival):
                events += router.receive(event.stanza, now=NOW)
        for event in events:
            match event:
                case Send(stanza=out):
                    self.send(out)
                case Ignored(reason=why):
                    raise AssertionError(f"the router ignored a stanza: {why}")
        return events

    def check_sent(self) -> list[Any]:
        """What the session wrote, read back by a default ``StreamReader`` as the
        server's end would, with the same checks as what the server sent."""
        return replay(streams_of(b"".join(self.sent)))
