"""One module per protocol, named for what it is; ``xep(n)`` finds one by number.

Importing ``xepcodec`` imports no protocol module: the registry imports the modules of a
namespace the first time it meets that namespace (``DECLARED_IN``), so every payload
still parses typed while a program pays only for the protocols it reads.  ``load_all()``
imports them all at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Final

from xepcodec.errors import ArgumentTypeError, UnknownProtocolError

__all__ = ["DECLARED_IN", "MODULES", "load_all", "xep"]

#: XEP number -> module name under xepcodec.protocols.  A module may serve several
#: XEPs (disco carries XEP-0128's extended information, dataforms XEP-0068's FORM_TYPE).
MODULES: Final[Mapping[int, str]] = {
    4: "dataforms",
    12: "last_activity",
    30: "disco",
    45: "muc",
    50: "commands",
    60: "pubsub",
    59: "rsm",
    68: "dataforms",
    76: "evil",
    82: "datetime",
    85: "chatstates",
    92: "version",
    114: "component",
    115: "caps",
    122: "data_validation",
    128: "disco",
    133: "admin",
    136: "archive",
    163: "pubsub",
    189: "pubkey",
    198: "stream_management",
    199: "ping",
    202: "entity_time",
    203: "delay",
    239: "binary",
    241: "archive",
    267: "server_buddies",
    301: "rtt",
    308: "correction",
    335: "json_containers",
    359: "stanza_id",
    361: "zero_handshake",
    365: "stanag5066",
    410: "selfping",
    419: "security",
    421: "occupant_id",
    423: "compliance",
    432: "json_messaging",
    464: "cookies",
}

_STANZAS = ("xepcodec.core.stanzas", "xepcodec.core.stanza_errors")

#: Namespace -> every module that declares elements in it: what the registry imports
#: when it first meets the namespace.  A namespace shared by several modules names them
#: all (the stanza namespaces hold the stanzas and their <error/>), so that meeting it
#: declares all of its elements.  A test keeps this table equal to what the modules
#: declare.
DECLARED_IN: Final[Mapping[str, tuple[str, ...]]] = {
    "jabber:client": _STANZAS,
    "jabber:server": _STANZAS,
    "jabber:component:accept": (*_STANZAS, "xepcodec.protocols.component"),
    "jabber:component:connect": (*_STANZAS, "xepcodec.protocols.component"),
    "urn:ietf:params:xml:ns:xmpp-stanzas": ("xepcodec.core.stanza_errors",),
    "http://etherx.jabber.org/streams": ("xepcodec.core.streams",
                                         "xepcodec.protocols.stream_features"),
    "urn:ietf:params:xml:ns:xmpp-streams": ("xepcodec.core.streams",),
    "urn:ietf:params:xml:ns:xmpp-tls": ("xepcodec.protocols.starttls",),
    "urn:ietf:params:xml:ns:xmpp-sasl": ("xepcodec.protocols.sasl",),
    "urn:ietf:params:xml:ns:xmpp-bind": ("xepcodec.protocols.bind",),
    "urn:ietf:params:xml:ns:xmpp-session": ("xepcodec.protocols.session",),
    "urn:xmpp:features:rosterver": ("xepcodec.protocols.stream_features",),
    "http://jabber.org/features/iq-register": ("xepcodec.protocols.stream_features",),
    "jabber:x:data": ("xepcodec.protocols.dataforms",),
    "http://jabber.org/protocol/xdata-validate": ("xepcodec.protocols.data_validation",),
    "http://jabber.org/protocol/disco#info": ("xepcodec.protocols.disco",),
    "http://jabber.org/protocol/disco#items": ("xepcodec.protocols.disco",),
    "http://jabber.org/protocol/chatstates": ("xepcodec.protocols.chatstates",),
    "http://jabber.org/protocol/commands": ("xepcodec.protocols.commands",),
    "http://jabber.org/protocol/rsm": ("xepcodec.protocols.rsm",),
    "http://jabber.org/protocol/evil": ("xepcodec.protocols.evil",),
    "http://jabber.org/protocol/caps": ("xepcodec.protocols.caps",),
    "urn:xmpp:archive": ("xepcodec.protocols.archive",),
    "urn:xmpp:tmp:archive": ("xepcodec.protocols.archive",),
    "http://www.w3.org/2001/04/xmlenc#": ("xepcodec.protocols.xmlenc",),
    "http://www.w3.org/2009/xmlenc11#": ("xepcodec.protocols.xmlenc",),
    "http://www.w3.org/2000/09/xmldsig#": ("xepcodec.protocols.xmlenc",),
    "urn:xmpp:pubkey:2": ("xepcodec.protocols.pubkey",),
    "urn:xmpp:attest:2": ("xepcodec.protocols.pubkey",),
    "urn:xmpp:revoke:2": ("xepcodec.protocols.pubkey",),
    "urn:xmpp:ping": ("xepcodec.protocols.ping",),
    "urn:xmpp:sm:3": ("xepcodec.protocols.stream_management",),
    "urn:xmpp:bxmpp": ("xepcodec.protocols.binary",),
    "urn:xmpp:tmp:cookies": ("xepcodec.protocols.cookies",),
    "jabber:iq:roster": ("xepcodec.protocols.roster",),
    "urn:xmpp:delay": ("xepcodec.protocols.delay",),
    "urn:xmpp:sid:0": ("xepcodec.protocols.stanza_id",),
    "urn:xmpp:occupant-id:0": ("xepcodec.protocols.occupant_id",),
    "urn:xmpp:rtt:0": ("xepcodec.protocols.rtt",),
    "urn:xmpp:message-correct:0": ("xepcodec.protocols.correction",),
    "jabber:iq:version": ("xepcodec.protocols.version",),
    "urn:xmpp:time": ("xepcodec.protocols.entity_time",),
    "jabber:iq:last": ("xepcodec.protocols.last_activity",),
    "urn:xmpp:json:0": ("xepcodec.protocols.json_containers",),
    "urn:xmpp:json-msg:0": ("xepcodec.protocols.json_messaging",),
    "http://jabber.org/protocol/muc": ("xepcodec.protocols.muc.core",),
    "http://jabber.org/protocol/muc#user": ("xepcodec.protocols.muc.user",),
    "http://jabber.org/protocol/muc#admin": ("xepcodec.protocols.muc.admin",),
    "http://jabber.org/protocol/muc#owner": ("xepcodec.protocols.muc.owner",),
    "http://jabber.org/protocol/muc#unique": ("xepcodec.protocols.muc.unique",),
    "http://jabber.org/protocol/pubsub": ("xepcodec.protocols.pubsub.base",),
    "http://jabber.org/protocol/pubsub#owner": ("xepcodec.protocols.pubsub.owner",),
    "http://jabber.org/protocol/pubsub#event": ("xepcodec.protocols.pubsub.event",),
    "http://jabber.org/protocol/pubsub#errors": ("xepcodec.protocols.pubsub.errors",),
}

#: What ``load_all()`` imports: the modules of every XEP and of every namespace.
_EVERY_MODULE: Final = frozenset({
    *(f"{__name__}.{name}" for name in MODULES.values()),
    *(name for modules in DECLARED_IN.values() for name in modules),
})


def xep(number: int) -> ModuleType:
    """The module implementing XEP ``number`` (``xep(30)`` is the disco module);
    :class:`~xepcodec.errors.UnknownProtocolError` for a XEP xepcodec does not implement."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise ArgumentTypeError(f"xep() takes a XEP number, not {type(number).__name__}")
    try:
        name = MODULES[number]
    except KeyError:
        raise UnknownProtocolError(
            f"xepcodec implements no module for XEP-{number:04d} (it implements "
            f"{', '.join(f'XEP-{known:04d}' for known in sorted(MODULES))})") from None
    return importlib.import_module(f"{__name__}.{name}")


if not TYPE_CHECKING:  # type checkers see a module only where it is imported

    def __getattr__(name: str) -> ModuleType:
        """``xepcodec.protocols.disco`` after ``import xepcodec`` alone: the module is
        imported then."""
        if f"{__name__}.{name}" not in _EVERY_MODULE:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return importlib.import_module(f"{__name__}.{name}")


def load_all() -> None:
    """Import every protocol module and the core ones, declaring all their elements."""
    for name in sorted(_EVERY_MODULE):
        importlib.import_module(name)
