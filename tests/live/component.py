"""The library's ``ComponentSession`` (XEP-0114) driven over a socket to the live
server, serving its address through the library's ``Router``."""

from __future__ import annotations

from typing import Any

from xepcodec.machines.component_session import (
    Authenticated,
    AuthenticationFailed,
    ComponentSession,
    Received,
    StreamEnded,
)
from xepcodec.xml import StanzaFailed

from .driver import Driver
from .prosody import COMPONENT_HOST, COMPONENT_SECRET, Prosody
from .wire import Wire, check_typed, has, replay


class LiveComponent(Driver[ComponentSession]):
    """The component's connection: the handshake, then stanzas in and out."""

    arrival = Received

    def __init__(self, prosody: Prosody, *, secret: str = COMPONENT_SECRET,
                 domain: str = COMPONENT_HOST) -> None:
        super().__init__(Wire(prosody.component_port), ComponentSession.connect(domain, secret))
        self.take([])  # the header, queued at once
        self.until(lambda new: any(isinstance(event, Authenticated | StreamEnded)
                                   for event in new))

    def __enter__(self) -> LiveComponent:
        return self

    @property
    def accepted(self) -> bool:
        return any(isinstance(event, Authenticated) for event in self.events)

    @property
    def failure(self) -> AuthenticationFailed | None:
        return next((e for e in self.events if isinstance(e, AuthenticationFailed)), None)

    def close(self) -> None:
        """End the stream and wait for the server's end of it."""
        self.take(self.session.close())
        if not any(isinstance(event, StreamEnded) for event in self.events):
            self.until(has(StreamEnded))

    def check(self) -> list[Any]:
        """Every stanza the session handed over typed, valid and round-tripping, none
        refused; every byte received read again without a stream error (and the same
        of what the session wrote)."""
        for event in self.events:
            if isinstance(event, Received):
                assert not isinstance(event.stanza, StanzaFailed), event.stanza.error
                check_typed(event.stanza)
        self.check_sent()
        return replay(self.wire.streams)
