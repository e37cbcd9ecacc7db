"""A message to an account that is offline, kept by the live server and delivered when
the account comes online: with its XEP-0203 delay and the XEP-0359 ids, read typed."""

from __future__ import annotations

from xepcodec.core.stanzas import Body, Message, MessageType, Presence
from xepcodec.datatypes.jid import JID
from xepcodec.protocols.delay import Delay
from xepcodec.protocols.stanza_id import OriginId, StanzaId

from .client import LiveClient
from .prosody import JULIET, NURSE, PLAIN_HOST, SCRAM_HOST, Prosody


def test_offline_message_arrives_delayed_with_its_ids(prosody: Prosody) -> None:
    nurse = JID.parse(f"{NURSE[0]}@{SCRAM_HOST}")
    sent = Message(type=MessageType.CHAT, to=nurse, id="offline-1",
                   bodies=(Body(text="Where is my lady?"),),
                   extensions=(OriginId(id="origin-offline-1"),))
    with LiveClient(prosody, JULIET, resource="sender") as juliet:
        juliet.log_in()
        juliet.send(sent)
        juliet.close()
        juliet.check()

    with LiveClient(prosody, NURSE, resource="reader") as client:
        client.log_in()
        client.send(Presence())  # available: the server delivers what it kept

        def delivered(events: list[object]) -> bool:
            return any(isinstance(stanza, Message) and stanza.id == sent.id
                       for stanza in client.received())

        client.until(delivered)
        (message,) = [stanza for stanza in client.received()
                      if isinstance(stanza, Message) and stanza.id == sent.id]
        assert message.body == "Where is my lady?"
        assert message.from_ == JID.parse(f"juliet@{PLAIN_HOST}/sender")
        delay = message.find(Delay)
        assert delay is not None, message
        assert delay.from_ == JID.parse(SCRAM_HOST)
        assert message.find(OriginId) == OriginId(id="origin-offline-1")
        # The recipient's archive (XEP-0313) marked it with its id.
        (mark,) = message.find_all(StanzaId)
        assert mark.by == nurse and mark.id
        client.close()
        client.check()
