"""XEP-0423 against the live Prosody: the disco#info answers of its domain, of an
account's bare JID and of its chat service, and its stream features after
authentication, held against the 2020 suites for a server.  The assertions follow what
this server is configured with (tests/live/prosody.py): what it advertises is met, what
it lacks (carbons, vcard-temp, blocking, upload, CSI) is missing, what disco cannot show
(TLS, RFC 6120, components) is not discoverable."""

from __future__ import annotations

from xepcodec.core.stanzas import IqType
from xepcodec.datatypes.jid import JID
from xepcodec.protocols.compliance import Level, Status, report
from xepcodec.protocols.disco import InfoQuery, info_request
from xepcodec.protocols.stream_features import StreamFeatures
from xepcodec.xml import StanzaReceived

from .client import LiveClient
from .prosody import JULIET, MUC_HOST, PLAIN_HOST, Prosody


def test_the_servers_compliance_as_disco_shows_it(prosody: Prosody) -> None:
    answers = []
    with LiveClient(prosody, JULIET, resource="compliance") as client:
        client.log_in()
        for number, target in enumerate((PLAIN_HOST, f"{JULIET[0]}@{JULIET[1]}", MUC_HOST)):
            answer = client.request(info_request(id=f"info-{number}", to=JID.parse(target)))
            assert answer.type is IqType.RESULT, answer
            answers.append(answer.find(InfoQuery))
        client.close()
        replayed = client.check()
    features = [event.stanza for event in replayed if isinstance(event, StanzaReceived)
                and isinstance(event.stanza, StreamFeatures)][-1]

    domain_only = report(answers[0])
    found = report(answers, stream_features=features)

    def status(category: str, level: str, name: str) -> Status:
        return found.requirement(category, level, name).status

    # Core, Core Server: discovery is seen, the rest is beyond disco; nothing missing.
    assert status("Core", "core", "Feature discovery") is Status.MET
    for name in ("Core features", "TLS", "Server Extensibility"):
        assert status("Core", "core", name) is Status.NOT_DISCOVERABLE, name
    assert found.level("Core", Level.CORE).met
    # Caps in the stream features after authentication; PEP on the account's JID only.
    assert status("Core", "advanced", "Feature broadcasts") is Status.MET
    assert status("Core", "advanced", "Event publishing") is Status.MET
    assert domain_only.requirement("Core", "advanced", "Event publishing").status \
        is Status.MISSING
    assert status("Core", "advanced", "Direct TLS") is Status.NOT_DISCOVERABLE
    # MUC on the chat service, MAM on the account, stream management in the features.
    assert found.requirement("IM", "core", "Group Chat").providers[0].status is Status.MET
    assert status("IM", "advanced", "History Storage / Retrieval") is Status.MET
    assert status("IM", "advanced", "Stream Management") is Status.MET
    assert status("Mobile", "core", "Stream Management") is Status.MET
    # PEP on the account takes publish options: XEP-0223's two features.
    assert status("IM", "advanced", "Persistent Storage of Private Data via PubSub") \
        is Status.MET
    # Modules this server is not given.
    for name in ("Outbound Message Synchronization", "vcard-temp", "File Upload"):
        assert status("IM", "core", name) is Status.MISSING, name
    assert status("IM", "advanced", "User Blocking") is Status.MISSING
    assert status("Mobile", "core", "Client State Indication") is Status.MISSING
    assert not found.level("IM", Level.CORE).met
    assert not found.level("Mobile", Level.CORE).met
    # Without the stream features, what only they show cannot be told.
    assert domain_only.requirement("Mobile", "core", "Stream Management").status \
        is Status.NOT_DISCOVERABLE
