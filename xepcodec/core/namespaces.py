"""Namespaces of the core protocol (RFC 6120, RFC 6121, XEP-0114)."""

from typing import Final

from xepcodec.xml.paths import STREAM_NS, XML_NS

CLIENT: Final = "jabber:client"
SERVER: Final = "jabber:server"
COMPONENT: Final = "jabber:component:accept"
#: XEP-0114's other stream namespace, where the server connects to the component.
COMPONENT_CONNECT: Final = "jabber:component:connect"
#: Stanzas exist in each of these; the first is the default.
STANZA_NAMESPACES: Final = (CLIENT, SERVER, COMPONENT, COMPONENT_CONNECT)
STANZAS: Final = "urn:ietf:params:xml:ns:xmpp-stanzas"
STREAMS: Final = STREAM_NS
XML: Final = XML_NS
#: The xml:lang attribute in Clark notation.
XML_LANG: Final = f"{{{XML_NS}}}lang"
