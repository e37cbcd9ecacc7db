"""slixmpp as a peer: build its stanza objects from bytes, as its stream reader does.

slixmpp parses with the standard library's ElementTree (an expat pull parser on the stream)
and wraps each top-level element in a stanza class; plugin stanza classes registered with
``register_stanza_plugin`` are instantiated for known children. We register the same classes
its plugins (xep_0004, 0030, 0059, 0085, 0128, 0203, 0334) register, without a client.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import slixmpp
from slixmpp.plugins.xep_0004.stanza import FieldOption, Form, FormField
from slixmpp.plugins.xep_0030.stanza import DiscoInfo, DiscoItems
from slixmpp.plugins.xep_0059.stanza import Set
from slixmpp.plugins.xep_0085 import stanza as chatstates
from slixmpp.plugins.xep_0203.stanza import Delay
from slixmpp.plugins.xep_0334 import stanza as hints
from slixmpp.stanza import Iq, Message
from slixmpp.xmlstream import ElementBase, register_stanza_plugin

VERSION: str = getattr(slixmpp, "__version__", "?")


def _register() -> None:
    register_stanza_plugin(Iq, DiscoInfo)
    register_stanza_plugin(Iq, DiscoItems)
    register_stanza_plugin(FormField, FieldOption, iterable=True)
    register_stanza_plugin(Form, FormField, iterable=True)
    register_stanza_plugin(DiscoInfo, Form, iterable=True)  # XEP-0128
    register_stanza_plugin(DiscoItems, Set)  # XEP-0059 on disco#items
    for state in (
        chatstates.Active,
        chatstates.Composing,
        chatstates.Gone,
        chatstates.Inactive,
        chatstates.Paused,
    ):
        register_stanza_plugin(Message, state)
    register_stanza_plugin(Message, Delay)
    for hint in (hints.Store, hints.NoStore, hints.NoPermanentStore, hints.NoCopy):
        register_stanza_plugin(Message, hint)


_register()

_STANZA_CLASSES: dict[str, type[ElementBase]] = {
    "{jabber:client}iq": Iq,
    "{jabber:client}message": Message,
}


def decode(data: bytes) -> Any:
    """Bytes to a slixmpp stanza object (plugins instantiated for known children)."""
    xml = ET.fromstring(data)
    return _STANZA_CLASSES[xml.tag](None, xml)


def encode(stanza: Any) -> str:
    """What slixmpp sends: ``str(stanza)`` runs its own serializer."""
    return str(stanza)


# Bytes-to-typed-field access: read the same facts the other libraries are asked for.
ACCESSORS: dict[str, Callable[[Any], object]] = {
    "disco_info": lambda iq: (
        iq["from"],
        iq["disco_info"]["features"],
        iq["disco_info"]["form"]["values"],
    ),
    "message": lambda msg: (
        msg["from"],
        msg["body"],
        msg["chat_state"],
        msg["delay"]["stamp"],
        msg.get_plugin("no-store", check=True) is not None,
    ),
    "disco_items_rsm": lambda iq: (
        iq["from"],
        [jid for jid, _node, _name in iq["disco_items"]["items"]],
        iq["disco_items"]["rsm"]["count"],
        iq["disco_items"]["rsm"]["first"],
    ),
}
