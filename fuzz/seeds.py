"""The seed corpus, made at run time: the repository's examples, stanzas built here with
the library's own classes, and the examples of the specifications when they are beside
the checkout.  Nothing is copied into the repository: ``python -m fuzz.run`` writes
them into a new corpus folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lxml import etree

import xepcodec
from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Body, Iq, IqType, Message, MessageType, Presence, error_reply
from xepcodec.datatypes.jid import JID
from xepcodec.protocols.caps import Caps
from xepcodec.protocols.dataforms import Field, FieldType, Form, FormType
from xepcodec.protocols.disco import Feature, Identity, InfoQuery, ItemsQuery
from xepcodec.protocols.disco import Item as DiscoItem
from xepcodec.protocols.rsm import ResultSet

__all__ = ["built", "examples", "seeds", "spec_examples"]

ROOT = Path(__file__).resolve().parents[1]


def examples() -> list[bytes]:
    """The stanzas in ``examples/``."""
    return [path.read_bytes() for path in sorted((ROOT / "examples").glob("*.xml"))]


def built() -> list[bytes]:
    """Stanzas of the core protocols and their common payloads, built with the library."""
    juliet, romeo = JID.parse("juliet@capulet.example/balcony"), JID.parse("romeo@montague.example")
    form = Form(type=FormType.FORM, title="Options", fields=(
        Field.of("FORM_TYPE", "urn:example:options", type=FieldType.HIDDEN),
        Field.of("colour", "red", type=FieldType.LIST_SINGLE, options=("red", "blue")),
        Field.of("loud", True, type=FieldType.BOOLEAN, required=True),
        Field.of("friends", [romeo], type=FieldType.JID_MULTI),
    ))
    info = InfoQuery(identities=(Identity(category="client", type="pc", name="Balcony"),),
                     features=tuple(Feature(var=var) for var in (
                         "http://jabber.org/protocol/disco#info", "urn:xmpp:ping")),
                     extensions=(Form.submit({"ip_version": ["ipv4", "ipv6"]},
                                             form_type="urn:xmpp:dataforms:softwareinfo"),))
    get = Iq(type=IqType.GET, id="info1", to=juliet, from_=romeo,
             extensions=(InfoQuery(),))
    stanzas = [
        Message(type=MessageType.CHAT, to=romeo, from_=juliet, id="m1",
                bodies=(Body(text="Wherefore art thou?"), Body(text="¿Dónde?", lang="es"))),
        Presence(from_=juliet, extensions=(Caps.for_info(info, "https://example.org/app"),)),
        get,
        get.result(info),
        error_reply(get, Condition.ITEM_NOT_FOUND, text="no such node"),
        Iq(type=IqType.RESULT, id="items1", extensions=(ItemsQuery(
            items=tuple(DiscoItem(jid=JID.parse(f"room{n}@chat.example")) for n in range(3)),
            extensions=(ResultSet.page(first="room0", last="room2", count=40,
                                       first_index=0),)),)),
        Iq(type=IqType.SET, id="form1", extensions=(form,)),
        Iq(type=IqType.SET, id="form2", extensions=(form.fill({"colour": "blue"}),)),
    ]
    return [xepcodec.serialize(stanza) for stanza in stanzas]


def spec_examples(limit: int | None = None) -> list[bytes]:
    """Every top-level element of the implemented protocols' examples (the first
    ``limit``), as bytes; none when the specifications are not beside the checkout."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from conformance.examples import example_elements
    finally:
        sys.path.remove(str(ROOT / "tests"))
    found = [etree.tostring(element) for _, element in example_elements()]
    return found[:limit]


def seeds(spec_limit: int | None = None) -> list[bytes]:
    """All seeds, each once, in a fixed order."""
    return list(dict.fromkeys(examples() + built() + spec_examples(spec_limit)))
