"""An external component (XEP-0114) connected to the live server, serving its address
through the library's ``Router``."""

from __future__ import annotations

from typing import Any

import xepcodec
from xepcodec.api import StreamWriter
from xepcodec.core.namespaces import COMPONENT
from xepcodec.machines.base import Event, Ignored, Send
from xepcodec.machines.router import Router
from xepcodec.protocols.component import Handshake
from xepcodec.xml import StanzaFailed, StanzaReceived, StreamOpened

from .prosody import COMPONENT_HOST, COMPONENT_SECRET, NOW, Prosody
from .wire import Wire, check_typed, has, read_until, replay, stanzas


class LiveComponent:
    """The component's connection: the handshake, then stanzas in and out."""

    def __init__(self, prosody: Prosody, *, secret: str = COMPONENT_SECRET) -> None:
        self.wire = Wire(prosody.component_port)
        self.reader = xepcodec.StreamReader()
        self.writer = StreamWriter()
        self.events: list[Any] = []
        self.wire.send(self.writer.open(to=COMPONENT_HOST, version=None, namespace=COMPONENT))
        self.events += read_until(self.wire, self.reader, has(StreamOpened))
        opened = self.events[0]
        assert isinstance(opened, StreamOpened)
        self.wire.send(self.writer.send(Handshake.of(opened.attributes["id"], secret)))
        self.events += read_until(self.wire, self.reader, lambda events: bool(stanzas(events)))

    def __enter__(self) -> LiveComponent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wire.sock.close()

    @property
    def accepted(self) -> bool:
        return any(isinstance(stanza, Handshake) and stanza.is_acknowledgement
                   for stanza in stanzas(self.events))

    def send(self, stanza: object) -> None:
        self.wire.send(self.writer.send(stanza))

    def next_stanza(self) -> Any:
        """The next stanza the server routes to the component."""
        before = len(stanzas(self.events))
        new = read_until(self.wire, self.reader,
                         lambda events: any(isinstance(e, StanzaReceived | StanzaFailed)
                                            for e in events))
        self.events += new
        failed = [event for event in new if isinstance(event, StanzaFailed)]
        assert not failed, [(event.error, event.element) for event in failed]
        return stanzas(self.events)[before]

    def serve(self, router: Router) -> list[Event]:
        """Hand the next stanza to ``router`` and send what it answers; its events."""
        events = router.receive(self.next_stanza(), now=NOW)
        for event in events:
            match event:
                case Send(stanza=out):
                    self.send(out)
                case Ignored(reason=why):
                    raise AssertionError(f"the router ignored a routed stanza: {why}")
        return events

    def check(self) -> list[Any]:
        for stanza in stanzas(self.events):
            check_typed(stanza)
        return replay(self.wire.streams)
