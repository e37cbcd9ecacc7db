"""A client logs in to the live server with the library's ``ClientSession`` and uses the
server's services: every element the server sends is typed, valid and round-trips, and
the bytes received read again without a stream error (``LiveClient.check``)."""

from __future__ import annotations

import ssl

import pytest

from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.machines.client_session import Authenticated, PlainPolicy, Ready, TlsPolicy
from xepcodec.protocols import caps
from xepcodec.protocols.disco import InfoQuery, check_info_result, info_request
from xepcodec.protocols.entity_time import EntityTime, check_time_result, time_request
from xepcodec.protocols.last_activity import LastActivity, check_last_result, last_request
from xepcodec.protocols.ping import NS_PING, ping_request
from xepcodec.protocols.roster import RosterItem, RosterQuery, roster_request, roster_set
from xepcodec.protocols.sasl import Auth
from xepcodec.protocols.stream_features import StreamFeatures
from xepcodec.protocols.version import VersionQuery, check_version_result, version_request
from xepcodec.xml import StanzaReceived, StreamOpened

from .client import LiveClient
from .prosody import JULIET, NURSE, PLAIN_HOST, ROMEO, SCRAM_HOST, TLS_HOST, Prosody


def logged_in(client: LiveClient, mechanism: str, jid: str) -> None:
    events = client.log_in()
    assert [e.mechanism for e in events if isinstance(e, Authenticated)] == [mechanism]
    (ready,) = [event for event in events if isinstance(event, Ready)]
    assert ready.jid == JID.parse(jid)


def pinged(client: LiveClient, host: str, id: str) -> None:
    answer = client.request(ping_request(id=id, to=JID.parse(host)))
    assert answer.type is IqType.RESULT, answer
    assert answer.from_ == JID.parse(host)


def test_plain_login_and_the_servers_services(prosody: Prosody) -> None:
    server = JID.parse(PLAIN_HOST)
    with LiveClient(prosody, JULIET, resource="balcony") as client:
        logged_in(client, "PLAIN", f"juliet@{PLAIN_HOST}/balcony")
        pinged(client, PLAIN_HOST, "ping-1")

        request = info_request(id="info-1", to=server)
        info_answer = client.request(request)
        assert info_answer.type is IqType.RESULT, info_answer
        info = info_answer.find(InfoQuery)
        check_info_result(info, request.payload)
        offered = {feature.var for feature in info.features}
        assert NS_PING in offered
        assert "http://jabber.org/protocol/disco#info" in offered
        assert any(identity.category == "server" for identity in info.identities)

        version = client.request(version_request(id="version-1", to=server)).find(VersionQuery)
        check_version_result(version)
        assert version.name == "Prosody"
        clock = client.request(time_request(id="time-1", to=server)).find(EntityTime)
        check_time_result(clock)
        uptime = client.request(last_request(id="last-1", to=server)).find(LastActivity)
        check_last_result(uptime)
        assert uptime.seconds is not None and uptime.seconds >= 0

        romeo = JID.parse(f"romeo@{TLS_HOST}")
        added = client.request(roster_set(RosterItem(jid=romeo, name="Romeo",
                                                     groups=("Verona",)), id="roster-1"))
        assert added.type is IqType.RESULT, added
        roster_answer = client.request(roster_request(id="roster-2", ver=""))
        assert roster_answer.type is IqType.RESULT, roster_answer
        roster = roster_answer.find(RosterQuery)
        item = roster.item(romeo)
        assert item is not None and item.name == "Romeo" and item.groups == ("Verona",)
        assert roster.ver  # the server versions rosters (RFC 6121 §2.6)
        # Asked again with that version, the server says nothing changed: an empty
        # result, or the same roster.
        again = client.request(roster_request(id="roster-3", ver=roster.ver))
        assert again.type is IqType.RESULT, again
        assert again.payload is None or again.find(RosterQuery).items == roster.items

        client.close()
        replayed = client.check()

    # The server's caps (XEP-0115), advertised in the features after authentication,
    # hash to its disco#info answer.
    features = [event.stanza for event in replayed if isinstance(event, StanzaReceived)
                and isinstance(event.stanza, StreamFeatures)]
    advertised = features[-1].caps
    assert advertised is not None, features[-1]
    caps.verify(advertised, info)
    assert features[-1].roster_versioning is not None


def test_scram_sha_1_login(prosody: Prosody) -> None:
    with LiveClient(prosody, NURSE) as client:
        logged_in(client, "SCRAM-SHA-1", f"nurse@{SCRAM_HOST}/live")
        pinged(client, SCRAM_HOST, "ping-scram")
        client.close()
        client.check()


def test_starttls_then_scram_sha_256(prosody: Prosody) -> None:
    with LiveClient(prosody, ROMEO, tls=TlsPolicy.REQUIRED,
                    plain=PlainPolicy.OVER_TLS) as client:
        logged_in(client, "SCRAM-SHA-256", f"romeo@{TLS_HOST}/live")
        assert isinstance(client.wire.sock, ssl.SSLSocket)
        assert client.wire.sock.version() is not None
        pinged(client, TLS_HOST, "ping-tls")
        client.close()
        replayed = client.check()
    # Three streams each way: in the clear, over TLS, and after SASL.
    assert len(client.wire.streams) == 3
    written = client.check_sent()
    assert sum(isinstance(event, StreamOpened) for event in written) == 3
    assert any(isinstance(event, StanzaReceived) and isinstance(event.stanza, Auth)
               for event in written)
    features = [event.stanza for event in replayed if isinstance(event, StanzaReceived)
                and isinstance(event.stanza, StreamFeatures)]
    assert features[0].starttls is not None
    assert features[1].starttls is None and features[1].mechanisms is not None
    assert features[2].bind is not None


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-1", "PLAIN"])
def test_the_mechanism_asked_for_over_starttls(prosody: Prosody, mechanism: str) -> None:
    """The TLS host offers SCRAM-SHA-256, SCRAM-SHA-1 and PLAIN: a session that asks
    for one of the others logs in with it."""
    with LiveClient(prosody, ROMEO, resource=mechanism, tls=TlsPolicy.REQUIRED,
                    plain=PlainPolicy.OVER_TLS, mechanisms=(mechanism,)) as client:
        logged_in(client, mechanism, f"romeo@{TLS_HOST}/{mechanism}")
        client.close()
        client.check()


def test_ping_to_an_unknown_entity_is_an_error(prosody: Prosody) -> None:
    """A stanza error from the server reads typed as well."""
    with LiveClient(prosody, JULIET, resource="errors") as client:
        logged_in(client, "PLAIN", f"juliet@{PLAIN_HOST}/errors")
        answer = client.request(ping_request(id="ping-nobody",
                                             to=JID.parse(f"nobody@{PLAIN_HOST}/x")))
        assert isinstance(answer, Iq) and answer.type is IqType.ERROR
        assert answer.error is not None
        client.close()
        client.check()
