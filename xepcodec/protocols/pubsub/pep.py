"""XEP-0163 Personal Eventing Protocol: the pubsub service every account has at its bare
JID, as a client uses it.

* :func:`pep_publish` publishes to the user's own service: the iq has no ``to`` (a
  stanza without one is for the sender's own account, RFC 6120 §10.3.3), and the node
  need not exist, as a PEP service creates it on the first publication (the
  ``auto-create`` feature, XEP-0163 §3); publish-options, when given, configure the
  node it creates and are preconditions on one that exists;
* a contact's PEP notifications come from the contact's bare JID (XEP-0163 §4.3):
  :func:`read_pep_event` reads them, and refuses one from a full JID;
* a client says which PEP nodes it wants notifications of with a ``+notify`` feature
  in its disco#info answer (XEP-0163 §4.2): ``notify_feature`` in
  :mod:`xepcodec.protocols.pubsub.features` names it.

The rest of PEP is XEP-0060's: a contact's items are asked for with
:func:`~xepcodec.protocols.pubsub.client.items_request` sent to the contact's bare JID,
and every answer is read with the readers of :mod:`xepcodec.protocols.pubsub.client`.
"""

from __future__ import annotations

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, Message
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.protocols.dataforms import Form
from xepcodec.protocols.form_views import FormView
from xepcodec.protocols.pubsub.client import Event, publish, read_event

__all__ = [
    "pep_publish",
    "read_pep_event",
]


def pep_publish(node: str, payload: object | None, *, item_id: str | None = None,
                options: Form | FormView | None = None, id: str, from_: JID | None = None,
                namespace: str = CLIENT) -> Iq:
    """The iq ``set`` publishing ``payload`` to the user's own PEP ``node`` (often the
    namespace of the payload, ``http://jabber.org/protocol/tune``), created if it does
    not exist yet; ``item_id`` names the item (the service makes one up when None),
    ``options`` are publish-options (a view or a submitted form).  Read the answer
    with :func:`~xepcodec.protocols.pubsub.client.published`."""
    return publish(None, node, payload, item_id=item_id, options=options, id=id,
                   from_=from_, namespace=namespace)


def read_pep_event(message: Message) -> Event | None:
    """The PEP notification ``message`` carries, typed, its ``service`` being the
    contact (or the user) whose node it is; None for a message without one.

    ParseError when the notification does not come from a bare JID: a PEP service
    sends its notifications from the account's bare JID (XEP-0163 §4.3), so one from
    a full JID, or from nowhere, is no account's PEP event."""
    event = read_event(message)
    if event is None:
        return None
    sender = message.from_
    if sender is None or sender.is_full:
        raise ParseError(f"a PEP notification comes from the bare JID of the account "
                         f"whose node it is (XEP-0163 §4.3), not "
                         f"{'no address' if sender is None else f'the full JID {sender}'}",
                         path="/message/@from")
    return event
