"""Namespaces of the core protocol (RFC 6120, RFC 6121, XEP-0114)."""

from typing import Final

CLIENT: Final = "jabber:client"
SERVER: Final = "jabber:server"
COMPONENT: Final = "jabber:component:accept"
#: Stanzas exist in each of these; the first is the default.
STANZA_NAMESPACES: Final = (CLIENT, SERVER, COMPONENT)
STANZAS: Final = "urn:ietf:params:xml:ns:xmpp-stanzas"
STREAMS: Final = "http://etherx.jabber.org/streams"
XML: Final = "http://www.w3.org/XML/1998/namespace"
#: The xml:lang attribute in Clark notation.
XML_LANG: Final = "{http://www.w3.org/XML/1998/namespace}lang"
