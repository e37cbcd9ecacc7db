"""slixmpp as a peer: build its stanza objects from bytes, as its stream reader does.

slixmpp parses with the standard library's ElementTree (an expat pull parser on the stream)
and wraps each top-level element in a stanza class; plugin stanza classes registered with
``register_stanza_plugin`` are instantiated for known children. We register the same classes
its plugins (xep_0004, 0030, 0050, 0059, 0085, 0115, 0128, 0203, 0334) register, without a
client. slixmpp has no XEP-0136 plugin: an archive page decodes, but its ``<chat/>`` stays
raw XML, so there is no typed access to compare with.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import slixmpp
from slixmpp.plugins.xep_0004.stanza import FieldOption, Form, FormField
from slixmpp.plugins.xep_0030.stanza import DiscoInfo, DiscoItems
from slixmpp.plugins.xep_0050.stanza import Command
from slixmpp.plugins.xep_0059.stanza import Set
from slixmpp.plugins.xep_0085 import stanza as chatstates
from slixmpp.plugins.xep_0115.stanza import Capabilities
from slixmpp.plugins.xep_0203.stanza import Delay
from slixmpp.plugins.xep_0334 import stanza as hints
from slixmpp.stanza import Iq, Message, Presence
from slixmpp.xmlstream import ElementBase, register_stanza_plugin

VERSION: str = getattr(slixmpp, "__version__", "?")


def _register() -> None:
    register_stanza_plugin(Iq, DiscoInfo)
    register_stanza_plugin(Iq, DiscoItems)
    register_stanza_plugin(FormField, FieldOption, iterable=True)
    register_stanza_plugin(Form, FormField, iterable=True)
    register_stanza_plugin(DiscoInfo, Form, iterable=True)  # XEP-0128
    register_stanza_plugin(DiscoItems, Set)  # XEP-0059 on disco#items
    register_stanza_plugin(Iq, Command)  # XEP-0050
    register_stanza_plugin(Command, Form, iterable=True)
    for state in (
        chatstates.Active,
        chatstates.Composing,
        chatstates.Gone,
        chatstates.Inactive,
        chatstates.Paused,
    ):
        register_stanza_plugin(Message, state)
    register_stanza_plugin(Message, Delay)
    register_stanza_plugin(Presence, Delay)
    register_stanza_plugin(Presence, Capabilities)  # XEP-0115
    for hint in (hints.Store, hints.NoStore, hints.NoPermanentStore, hints.NoCopy):
        register_stanza_plugin(Message, hint)


_register()

_STANZA_CLASSES: dict[str, type[ElementBase]] = {
    "{jabber:client}iq": Iq,
    "{jabber:client}message": Message,
    "{jabber:client}presence": Presence,
}

#: Payloads slixmpp has no typed access to, and why.
UNSUPPORTED: dict[str, str] = {
    "archive_page": "slixmpp has no XEP-0136 plugin: <chat/> stays raw XML",
}


def decode(data: bytes) -> Any:
    """Bytes to a slixmpp stanza object (plugins instantiated for known children)."""
    xml = ET.fromstring(data)
    return _STANZA_CLASSES[xml.tag](None, xml)


def encode(stanza: Any) -> str:
    """What slixmpp sends: ``str(stanza)`` runs its own serializer."""
    return str(stanza)


# Bytes-to-typed-field access, the same facts benchmarks/run.py reads with xepcodec.
# ONE_FIELD reads the one value a router or client would look at first; ACCESSORS reads
# every value the payload carries.
ONE_FIELD: dict[str, Callable[[Any], object]] = {
    "disco_info": lambda iq: iq["disco_info"]["node"],
    "message": lambda msg: msg["body"],
    "disco_items_rsm": lambda iq: iq["disco_items"]["rsm"]["count"],
    "command_form": lambda iq: iq["command"]["status"],
    "presence_caps": lambda presence: presence["caps"]["ver"],
}


def _stanza(stanza: Any) -> tuple[object, ...]:
    return (stanza["from"], stanza["to"], stanza["id"], stanza["type"])


def _fields(form: Any) -> list[tuple[object, ...]]:
    return [
        (field["var"], field["type"], field["label"], field["required"], field["value"],
         field["options"])
        # Registered as iterable (as slixmpp's xep_0004 does), "fields" is the list of
        # FormField plugins in document order.
        for field in form["fields"]
    ]


def _disco_info(iq: Any) -> object:
    query = iq["disco_info"]
    forms = [(form["type"], _fields(form)) for form in query["forms"]]
    return (_stanza(iq), query["node"], query["identities"], query["features"], forms)


def _message(msg: Any) -> object:
    delay = msg["delay"]
    no_store = msg.get_plugin("no-store", check=True) is not None
    return (_stanza(msg), msg["body"], msg["chat_state"], delay["stamp"], delay["from"],
            delay["text"], no_store)


def _disco_items(iq: Any) -> object:
    query = iq["disco_items"]
    rsm = query["rsm"]
    return (_stanza(iq), query["node"], query["items"], rsm["first"], rsm["first_index"],
            rsm["last"], rsm["count"])


def _command(iq: Any) -> object:
    command = iq["command"]
    form = command["form"]
    return (_stanza(iq), command["node"], command["sessionid"], command["status"],
            command["actions"], command["notes"], form["type"], form["title"],
            form["instructions"], _fields(form))


def _presence(presence: Any) -> object:
    caps, delay = presence["caps"], presence["delay"]
    return (_stanza(presence), presence["show"], presence["status"], presence["priority"],
            caps["hash"], caps["node"], caps["ver"], delay["stamp"], delay["from"])


ACCESSORS: dict[str, Callable[[Any], object]] = {
    "disco_info": _disco_info,
    "message": _message,
    "disco_items_rsm": _disco_items,
    "command_form": _command,
    "presence_caps": _presence,
}
