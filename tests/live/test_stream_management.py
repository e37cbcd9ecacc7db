"""XEP-0198 against the live server: enabling stream management, an r/a exchange that
acknowledges what was sent, and resuming the session on a new connection."""

from __future__ import annotations

import re

import pytest

from xepcodec.core.stanzas import IqType
from xepcodec.datatypes.jid import JID
from xepcodec.machines.client_session import (
    Acked,
    Ready,
    SessionResumed,
    StreamManagementEnabled,
)
from xepcodec.protocols.ping import ping_request
from xepcodec.protocols.stream_management import R
from xepcodec.xml import StanzaReceived

from .client import LiveClient
from .prosody import JULIET, PLAIN_HOST, Prosody
from .wire import has


def test_enable_then_acknowledge_then_resume(prosody: Prosody) -> None:
    if not prosody.has_module("smacks"):
        pytest.skip("this Prosody ships no mod_smacks (XEP-0198 is in Prosody from 0.12)")
    server = JID.parse(PLAIN_HOST)
    with LiveClient(prosody, JULIET, resource="managed", stream_management=True,
                    resumable=True) as client:
        events = client.log_in()
        (enabled,) = [e.enabled for e in events if isinstance(e, StreamManagementEnabled)]
        assert enabled.resume and enabled.id

        pings = [ping_request(id=f"sm-{n}", to=server) for n in range(2)]
        for ping in pings:
            assert client.request(ping).type is IqType.RESULT
        client.request_ack()
        acks = [event for event in client.until(has(Acked)) if isinstance(event, Acked)]
        # The server handled both pings: the last count covers them, and nothing sent
        # waits for an acknowledgement any more.
        assert acks[-1].h == 2
        assert [stanza for ack in acks for stanza in ack.stanzas] == pings
        assert client.session.unacked == ()
        replayed = client.check()
        # Prosody asks for acknowledgements too, once what it sent has drained: each
        # <r/> it sent is answered with an <a/> that counts what the session handled.
        asked = [event.stanza for event in replayed
                 if isinstance(event, StanzaReceived) and isinstance(event.stanza, R)]
        answered = re.findall(rb"<a [^>]*h=['\"](\d+)['\"]", b"".join(client.sent))
        assert asked and len(answered) == len(asked), (asked, answered)
        counts = [int(h) for h in answered]
        assert counts == sorted(counts) and counts[-1] <= len(pings), counts
        resumption = client.session.resumption()
        assert resumption is not None
    # The connection is gone without a closing of the stream: resume on a new one.
    with LiveClient(prosody, JULIET, resume=resumption) as again:
        events = again.until(has(Ready))
        (resumed,) = [event for event in events if isinstance(event, SessionResumed)]
        assert resumed.resent == ()
        assert again.session.jid == JID.parse(f"juliet@{PLAIN_HOST}/managed")
        assert again.request(ping_request(id="sm-after", to=server)).type is IqType.RESULT
        again.close()
        again.check()
