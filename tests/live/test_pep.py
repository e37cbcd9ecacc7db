"""XEP-0163 against the live server's personal eventing (Prosody's mod_pep): a session
advertises, through entity capabilities (XEP-0115), that it wants notifications of a
node (``+notify``); the server asks it for the disco#info behind its caps hash, and
when the account publishes to its own bare JID (the node made on the fly), the session
hears of it: another session of the same account, and a contact with a presence
subscription.  Every request is built by the library, every answer read through its
typed readers, and everything the server sends parses typed, validates and
round-trips."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Iq, IqType, Message, Presence, PresenceType
from xepcodec.datatypes.jid import JID
from xepcodec.machines.client_session import TlsPolicy
from xepcodec.protocols.caps import Caps
from xepcodec.protocols.disco import Feature as DiscoFeature
from xepcodec.protocols.disco import Identity, InfoQuery, info_request
from xepcodec.protocols.pubkey import PUBKEY, Print, PubKey
from xepcodec.protocols.pubsub import client as pubsub
from xepcodec.protocols.pubsub import errors
from xepcodec.protocols.pubsub.errors import pubsub_error
from xepcodec.protocols.pubsub.features import (
    Feature,
    notified_namespaces,
    notify_feature,
    service_features,
)
from xepcodec.protocols.pubsub.forms import AccessModel, PublishOptionsForm
from xepcodec.protocols.pubsub.pep import pep_publish, read_pep_event
from xepcodec.protocols.roster import (
    RosterQuery,
    Subscription,
    is_roster_push,
    roster_remove,
    roster_request,
)

from .client import LiveClient
from .prosody import JULIET, PLAIN_HOST, ROMEO, TLS_HOST, Prosody
from .rooms import wait_for

#: The node the tests publish to: XEP-0189's public keys, a payload the library types.
NODE = PUBKEY
#: The software the caps name (XEP-0115 ``node``).
SOFTWARE = "https://xepcodec.test/live"


def public_key(owner: JID) -> PubKey:
    """A fresh P-256 public key of ``owner``, valid for a day, with its fingerprint."""
    der = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    begin = datetime(2026, 1, 1, tzinfo=UTC)
    return PubKey(begin=begin, end=begin + timedelta(days=1), jid=owner, key=der,
                  print_=Print(value=hashlib.sha256(der).hexdigest()))


def announce_notify(client: LiveClient, service: JID, node: str, *,
                    device: str = "pc") -> InfoQuery:
    """Send available presence whose caps say that ``client`` wants notifications of
    ``node``, answer the disco#info query the PEP ``service`` (a bare JID) sends for
    that caps hash (one it has not seen: the ``device`` named in the identity varies
    it), and every other such query received meanwhile (the client's own PEP service
    asks too), and give the answer."""
    bare = InfoQuery(identities=(Identity(category="client", type=device),),
                     features=(DiscoFeature(var="http://jabber.org/protocol/disco#info"),
                               DiscoFeature(var=node),
                               DiscoFeature(var=notify_feature(node))))
    assert notified_namespaces(bare) == {node}
    caps = Caps.for_info(bare, SOFTWARE)
    # The services ask for the answer behind the hash: node#ver (XEP-0115 §6.2).
    answer = InfoQuery(node=f"{SOFTWARE}#{caps.ver}", identities=bare.identities,
                       features=bare.features)

    def caps_query(stanza: Any) -> bool:
        return (isinstance(stanza, Iq) and stanza.type is IqType.GET
                and stanza.find(InfoQuery) is not None)

    since = len(client.received())
    client.send(Presence(extensions=(caps,)))
    wait_for(client, lambda stanza: caps_query(stanza) and stanza.from_ == service,
             since=since)
    for asked in filter(caps_query, client.received()[since:]):
        assert asked.find(InfoQuery).node == answer.node, asked
        client.send(asked.result(answer))
    return answer


def test_pep_publish_notifies_the_sessions_that_asked(prosody: Prosody) -> None:
    juliet = JID.parse(f"{JULIET[0]}@{PLAIN_HOST}")
    with (LiveClient(prosody, JULIET, resource="desk") as desk,
          LiveClient(prosody, JULIET, resource="phone") as phone):
        for client in (desk, phone):
            client.log_in()

        # The account's bare JID is a PEP service (XEP-0163 §4).
        info = desk.request(info_request(id="info-1", to=juliet)).find(InfoQuery)
        assert info is not None
        assert any((identity.category, identity.type) == ("pubsub", "pep")
                   for identity in info.identities), info
        offered = service_features(info)
        assert {Feature.AUTO_CREATE, Feature.PUBLISH_OPTIONS,
                Feature.FILTERED_NOTIFICATIONS, Feature.LAST_PUBLISHED,
                Feature.ACCESS_PRESENCE} <= offered, offered

        announce_notify(phone, juliet, NODE)

        # The desk publishes to its own PEP service (no 'to'); the node does not exist
        # yet and is made on the fly (XEP-0163 §3).
        key = public_key(juliet)
        since = len(phone.received())
        published = pubsub.published(desk.request(pep_publish(
            NODE, key, item_id="current", id="publish-1")))
        assert published == "current", published
        told = read_pep_event(wait_for(
            phone, lambda stanza: isinstance(stanza, Message)
            and read_pep_event(stanza) is not None, since=since))
        assert isinstance(told, pubsub.ItemsEvent), told
        # From the account's bare JID, with the item and its payload.
        assert (told.service, told.node) == (juliet, NODE), told
        assert [(item.id, item.payload) for item in told.items] == [("current", key)], told

        # A precondition PEP's default (presence access) does not meet is refused.
        with pytest.raises(pubsub.PubSubRefused) as refused:
            pubsub.published(desk.request(pep_publish(
                NODE, key, item_id="current", id="publish-2",
                options=PublishOptionsForm(access_model=AccessModel.WHITELIST))))
        unmet = pubsub_error(refused.value.reply)
        assert unmet is not None and unmet.case is errors.PRECONDITION_NOT_MET, unmet
        assert unmet.condition is Condition.CONFLICT, unmet

        # The published item is there to read, from the bare JID.
        page = pubsub.read_items(desk.request(pubsub.items_request(None, NODE, id="items-1")))
        assert page.payloads == (key,), page

        for client in (desk, phone):
            client.close()
            client.check()


def roster_pushes(client: LiveClient, user: JID, contact: JID, *, since: int) -> list[Any]:
    """The roster pushes about ``contact`` that ``client`` (of ``user``) received after
    its first ``since`` stanzas."""
    return [stanza for stanza in client.received()[since:]
            if isinstance(stanza, Iq) and is_roster_push(stanza, user)
            and stanza.find(RosterQuery).items[0].jid == contact]


def wait_for_subscription(client: LiveClient, user: JID, contact: JID,
                          state: Subscription, *, since: int) -> int:
    """Read until a roster push tells ``client`` that its subscription with ``contact``
    is ``state``, answering every push; the number of stanzas it has received then."""
    def pushed(stanza: Any) -> bool:
        if not (isinstance(stanza, Iq) and is_roster_push(stanza, user)):
            return False
        item = stanza.find(RosterQuery).items[0]
        return item.jid == contact and item.state is state
    wait_for(client, pushed, since=since)
    for push in roster_pushes(client, user, contact, since=since):
        client.send(push.result())
    return len(client.received())


def test_pep_notifies_a_contact_with_a_presence_subscription(prosody: Prosody) -> None:
    juliet = JID.parse(f"{JULIET[0]}@{PLAIN_HOST}")
    romeo = JID.parse(f"{ROMEO[0]}@{TLS_HOST}")
    with (LiveClient(prosody, JULIET, resource="desk") as desk,
          LiveClient(prosody, ROMEO, resource="garden", tls=TlsPolicy.REQUIRED) as contact):
        for client in (desk, contact):
            client.log_in()
            client.request(roster_request(id="roster-1"))  # pushes come after this

        # Juliet and Romeo subscribe to each other's presence (RFC 6121 §3): each
        # approves the other in advance, then asks.
        seen = {desk: len(desk.received()), contact: len(contact.received())}
        desk.send(Presence(type=PresenceType.SUBSCRIBED, to=romeo))
        contact.send(Presence(type=PresenceType.SUBSCRIBED, to=juliet))
        desk.send(Presence(type=PresenceType.SUBSCRIBE, to=romeo))
        seen[desk] = wait_for_subscription(desk, juliet, romeo, Subscription.TO,
                                           since=seen[desk])
        contact.send(Presence(type=PresenceType.SUBSCRIBE, to=juliet))
        seen[contact] = wait_for_subscription(contact, romeo, juliet, Subscription.BOTH,
                                              since=seen[contact])

        # Romeo comes online asking for the node's notifications; Juliet's PEP service,
        # his contact, asks his client what the caps mean.
        announce_notify(contact, juliet, NODE, device="phone")

        # Juliet publishes a new key: Romeo hears of it from her bare JID.  (The service
        # may first have sent him the last item published before, as a PEP service does
        # to a contact coming online.)
        key = public_key(juliet)
        since = len(contact.received())
        pubsub.published(desk.request(pep_publish(NODE, key, item_id="current",
                                                  id="publish-3")))

        def about_key(stanza: Any) -> bool:
            told = read_pep_event(stanza) if isinstance(stanza, Message) else None
            return (isinstance(told, pubsub.ItemsEvent)
                    and [item.payload for item in told.items] == [key])
        told = read_pep_event(wait_for(contact, about_key, since=since))
        assert told is not None and (told.service, told.node) == (juliet, NODE), told

        # Juliet removes Romeo from her roster, which ends both subscriptions.
        since = len(desk.received())
        desk.request(roster_remove(romeo, id="roster-2"))
        wait_for_subscription(desk, juliet, romeo, Subscription.REMOVE, since=since)

        for client in (desk, contact):
            client.close()
            client.check()
