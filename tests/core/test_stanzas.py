"""Message, presence, iq and stanza errors (RFC 6120 §8)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from lxml import etree

import xepcodec
from xepcodec.core.namespaces import STANZA_NAMESPACES
from xepcodec.core.stanza_errors import Condition, ErrorType, StanzaError
from xepcodec.core.stanzas import (
    Body,
    Iq,
    IqType,
    Message,
    MessageType,
    Presence,
    PresenceType,
    Show,
    error_reply,
)
from xepcodec.datatypes.jid import JID
from xepcodec.errors import STANZA_CONDITIONS, ArgumentValueError, ParseError
from xepcodec.model import XmlFragment, decode, encode
from xepcodec.protocols.ping import Ping
from xepcodec.testing.stanzas import iqs, messages, presences
from xepcodec.validation import default_catalog

STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def read(xml: str) -> object:
    return decode(etree.fromstring(xml.encode()))


def test_a_message_with_translations_and_a_payload() -> None:
    message = read(
        "<message xmlns='jabber:client' type='chat' to='Romeo@Montague.lit' id='m1'>"
        "<subject>Hi</subject><body>Wherefore?</body><body xml:lang='de'>Warum?</body>"
        "<thread parent='p1'>t1</thread><active xmlns='urn:chat-states-example'/></message>")
    assert isinstance(message, Message)
    assert message.type is MessageType.CHAT
    assert message.to == JID.parse("romeo@montague.lit")
    assert message.body == "Wherefore?"
    assert [b.lang for b in message.bodies] == [None, "de"]
    assert message.subject == "Hi"
    assert message.thread is not None and message.thread.parent == "p1"
    assert isinstance(message.extensions[0], XmlFragment)
    assert message.find(XmlFragment) is message.extensions[0]
    assert message.find(Body) is None  # bodies are fields, not payloads


def test_presence_fields() -> None:
    presence = read("<presence xmlns='jabber:server' from='a@b/c'><show>dnd</show>"
                    "<status>busy</status><priority>-3</priority></presence>")
    assert isinstance(presence, Presence)
    assert presence.namespace == "jabber:server"
    assert presence.show is Show.DND and presence.status == "busy" and presence.priority == -3
    assert encode(presence).startswith(b'<presence xmlns="jabber:server"')


@pytest.mark.parametrize(("xml", "message"), [
    ("<presence xmlns='jabber:client'><priority>128</priority></presence>", "maximum"),
    ("<presence xmlns='jabber:client'><show>asleep</show></presence>", "asleep"),
    ("<presence xmlns='jabber:client' type='online'/>", "online"),
])
def test_presence_rejections(xml: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        read(xml)


@pytest.mark.parametrize(("xml", "message"), [
    ("<iq xmlns='jabber:client' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
     "required attribute 'id'"),
    ("<iq xmlns='jabber:client' id='' type='get'><ping xmlns='urn:xmpp:ping'/></iq>", "empty"),
    ("<iq xmlns='jabber:client' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
     "required attribute 'type'"),
    ("<iq xmlns='jabber:client' id='1' type='get'/>", "exactly one payload"),
    ("<iq xmlns='jabber:client' id='1' type='set'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>",
     "exactly one payload"),
    ("<iq xmlns='jabber:client' id='1' type='result'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>",
     "at most one payload"),
    ("<iq xmlns='jabber:client' id='1' type='error'/>", "must carry an <error/>"),
    ("<iq xmlns='jabber:client' id='1' type='result'><error type='cancel'>"
     f"<conflict xmlns='{STANZAS}'/></error></iq>", "only a stanza of type 'error'"),
])
def test_the_iq_rules_of_rfc_6120(xml: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        read(xml)
    assert caught.value.condition == "bad-request"
    assert caught.value.path in ("/iq", "/iq/@id")


def test_a_stanza_in_no_namespace_is_not_a_stanza() -> None:
    with pytest.raises(ParseError) as caught:
        read("<iq type='get' id='1'/>")
    assert caught.value.condition == "feature-not-implemented"


def test_an_error_with_text_and_application_condition() -> None:
    iq = read(
        "<iq xmlns='jabber:client' type='error' id='e1'><query xmlns='urn:q'/>"
        "<error type='modify' by='example.org'>"
        f"<bad-request xmlns='{STANZAS}'/><text xmlns='{STANZAS}' xml:lang='en'>no</text>"
        "<too-many xmlns='urn:app'/></error></iq>")
    assert isinstance(iq, Iq) and iq.error is not None
    assert iq.error.condition is Condition.BAD_REQUEST
    assert iq.error.type is ErrorType.MODIFY
    assert iq.error.by == JID.parse("example.org")
    assert iq.error.text == "no"
    assert isinstance(iq.error.application[0], XmlFragment)
    assert isinstance(iq.payload, XmlFragment)  # the echoed request


@pytest.mark.parametrize(("body", "message"), [
    ("", "lacks its required child"),
    (f"<bad-request xmlns='{STANZAS}'/><conflict xmlns='{STANZAS}'/>", "only one"),
    (f"<conflict xmlns='{STANZAS}'>x</conflict>", "only gone and redirect"),
    (f"<conflict xmlns='{STANZAS}'/><a xmlns='urn:a'/><b xmlns='urn:b'/>", "at most one"),
    (f"<no-such-condition xmlns='{STANZAS}'/>", "<no-such-condition/> is not an element of"),
    (f"<conflict xmlns='{STANZAS}'/><no-such xmlns='{STANZAS}'/>", "<no-such/> is not an element"),
    # the schema's ##other refuses an application condition in no namespace: so does parse
    (f"<conflict xmlns='{STANZAS}'/><invalid-options xmlns=''/>", "<invalid-options/> has no "
     "namespace"),
])
def test_stanza_error_rejections(body: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        read(f"<message xmlns='jabber:client' type='error'><error type='cancel'>{body}"
             "</error></message>")


def test_a_condition_the_rfc_does_not_define_is_refused_at_its_place() -> None:
    with pytest.raises(ParseError) as caught:
        read(f"<message xmlns='jabber:client' type='error'><error type='cancel'>"
             f"<conflict xmlns='{STANZAS}'/><no-such xmlns='{STANZAS}'/></error></message>")
    assert caught.value.path == "/message/error/no-such"
    assert caught.value.condition == "bad-request"
    with pytest.raises(ValueError, match="not one of the 22"):  # built, not read
        StanzaError(type=ErrorType.CANCEL, defined=StanzaError.of("conflict").defined,
                    application=(XmlFragment(f"<no-such xmlns='{STANZAS}'/>".encode()),))


@pytest.mark.parametrize("namespace", ["jabber:client", "jabber:server",
                                       "jabber:component:accept"])
def test_a_lone_error_comes_back_in_its_namespace(namespace: str) -> None:
    data = (f"<error xmlns='{namespace}' type='cancel'>"
            f"<item-not-found xmlns='{STANZAS}'/></error>")
    error = xepcodec.parse(data)
    written = xepcodec.serialize(error)
    assert written.startswith(f'<error xmlns="{namespace}"'.encode())
    assert xepcodec.parse(written) == error
    assert xepcodec.serialize(xepcodec.parse(written)) == written


@pytest.mark.parametrize("namespace", ["jabber:client", "jabber:server",
                                       "jabber:component:accept"])
def test_an_error_inside_a_stanza_follows_the_stanza(namespace: str) -> None:
    # Read inside a stanza it records no namespace: equal to one built, and written in
    # the stanza's namespace wherever it is put.
    iq = read(f"<iq xmlns='{namespace}' type='error' id='1'><error type='cancel'>"
              f"<item-not-found xmlns='{STANZAS}'/></error></iq>")
    assert isinstance(iq, Iq) and iq.error == StanzaError.of("item-not-found")
    assert iq.error.namespace is None
    built = Iq(namespace=namespace, type=IqType.ERROR, id="1",
               error=StanzaError.of("item-not-found"))
    assert encode(built) == encode(iq)
    assert b"<error type=" in encode(built)


def test_a_body_of_another_stanza_namespace_is_kept_as_it_came() -> None:
    data = "<message xmlns='jabber:client'><ns0:body xmlns:ns0='jabber:server'/></message>"
    message = xepcodec.parse(data)
    assert isinstance(message, Message)
    assert message.bodies == () and message.body is None  # not this message's body
    assert isinstance(message.extensions[0], XmlFragment)
    written = xepcodec.serialize(message)
    assert written == b'<message xmlns="jabber:client"><body xmlns="jabber:server"/></message>'
    assert xepcodec.parse(written) == message
    assert xepcodec.serialize(xepcodec.parse(written)) == written


@pytest.mark.parametrize("payload", ["<pingx xmlns='urn:xmpp:ping'/>",
                                     "<y xmlns='jabber:x:data'/>",
                                     "<foo xmlns='jabber:server'/>"])
def test_an_undeclared_element_of_a_known_namespace_is_refused(payload: str) -> None:
    with pytest.raises(ParseError) as caught:
        xepcodec.parse(f"<message xmlns='jabber:client'>{payload}</message>")
    assert caught.value.condition == "bad-request"
    assert caught.value.path is not None and caught.value.path.startswith("/message/")
    assert "is not an element of" in caught.value.message


@pytest.mark.parametrize("payload", ["<foo/>", "<iq type='get' id='2'><q xmlns='urn:q'/></iq>"])
def test_a_payload_in_the_stanzas_own_namespace_is_refused(payload: str) -> None:
    with pytest.raises(ParseError, match="of its own namespace"):
        xepcodec.parse(f"<iq xmlns='jabber:client' type='set' id='1'>{payload}</iq>")


@pytest.mark.parametrize("own", STANZA_NAMESPACES)
def test_the_payload_rule_holds_for_every_kind_of_payload(own: str) -> None:
    def refusal(*payloads: object) -> str | None:
        try:
            Message(namespace=own, extensions=payloads)
        except ValueError as error:
            return str(error)
        return None

    # Raw payloads: any namespace but the stanza's own, however alike their names.
    for near in (f"{own}x", f"{own}:x", "urn:other", own[:-1]):
        assert refusal(XmlFragment(f"<p xmlns='{near}'/>".encode())) is None
    own_raw = refusal(XmlFragment(f"<p xmlns='{own}'/>".encode()))
    assert own_raw is not None and f"<p/> of its own namespace {own}" in own_raw
    unqualified = refusal(XmlFragment(b"<p/>"))
    assert unqualified is not None and "<p/> in no namespace" in unqualified
    # Typed payloads: those of other namespaces, and stanzas written in another one.
    other = next(namespace for namespace in STANZA_NAMESPACES if namespace != own)
    assert refusal(Ping(), Message(namespace=other)) is None
    nested = refusal(Ping(), Message(namespace=own))
    assert nested is not None and f"<message/> of its own namespace {own}" in nested
    body = refusal(Body(text="hi"))
    assert body is not None and f"<body/> of its own namespace {own}" in body


_ERROR_PARTS = {
    "condition": f"<bad-request xmlns='{STANZAS}'/>",
    "text": f"<text xmlns='{STANZAS}' xml:lang='en'>why</text>",
    "application": "<too-many xmlns='urn:example:app'/>",
}


@pytest.mark.parametrize("order", list(itertools.permutations(_ERROR_PARTS)),
                         ids="-".join)
@pytest.mark.parametrize("where", ["first", "between", "last"])
def test_the_error_and_its_parts_may_come_in_any_order(order: tuple[str, ...],
                                                       where: str) -> None:
    # RFC 6120 fixes no order: servers put the error first, last, and the application
    # condition before the defined one.
    error = f"<error type='modify'>{''.join(_ERROR_PARTS[part] for part in order)}</error>"
    content = ["<body>hi</body>", "<x xmlns='urn:example:payload'/>"]
    content.insert({"first": 0, "between": 1, "last": 2}[where], error)
    message = xepcodec.parse(f"<message xmlns='jabber:client' type='error'>"
                             f"{''.join(content)}</message>")
    assert isinstance(message, Message) and message.error is not None
    assert message.error.condition is Condition.BAD_REQUEST
    assert message.error.text == "why"
    assert [item.name for item in message.error.application] == ["too-many"]
    assert message.body == "hi" and len(message.extensions) == 1
    written = xepcodec.serialize(message)
    assert xepcodec.parse(written) == message
    assert xepcodec.serialize(xepcodec.parse(written)) == written


def test_every_defined_condition_has_a_class_member_and_a_default_type() -> None:
    assert {c.value for c in Condition} == STANZA_CONDITIONS
    for condition in Condition:
        error = StanzaError.of(condition)
        written = encode(Message(type=MessageType.ERROR, error=error))
        assert f"<{condition.value} xmlns=\"{STANZAS}\"/>".encode() in written
        assert read(written.decode()) == Message(type=MessageType.ERROR, error=error)


def test_gone_and_redirect_carry_an_address() -> None:
    error = StanzaError.of("redirect", address="xmpp:other@example.org")
    assert error.defined.address == "xmpp:other@example.org"
    assert error.type is ErrorType.MODIFY
    with pytest.raises(ValueError, match="only gone and redirect"):
        StanzaError.of("conflict", address="xmpp:x")


def test_error_reply_swaps_addresses_and_keeps_the_id() -> None:
    request = Iq(type=IqType.GET, id="q1", to=JID.parse("service.example"),
                 from_=JID.parse("juliet@example.com/balcony"),
                 extensions=(XmlFragment(b'<q xmlns="urn:q"></q>'),))
    reply = error_reply(request, Condition.SERVICE_UNAVAILABLE, text="not here")
    assert reply.type is IqType.ERROR and reply.id == "q1"
    assert reply.to == request.from_ and reply.from_ == request.to
    assert reply.extensions == ()
    assert reply.error is not None and reply.error.type is ErrorType.CANCEL
    assert reply.error.text == "not here"
    echoed = error_reply(request, "bad-request", include_payload=True)
    assert echoed.extensions == request.extensions


def test_error_reply_to_a_message_drops_its_content_unless_asked() -> None:
    message = Message(type=MessageType.CHAT, to=JID.parse("a@b"), from_=JID.parse("c@d/e"),
                      bodies=(Body(text="hi"),))
    reply = error_reply(message, "recipient-unavailable")
    assert reply.type is MessageType.ERROR and reply.bodies == () and reply.to == message.from_
    assert error_reply(message, "recipient-unavailable", include_payload=True).bodies == \
        message.bodies


def test_an_error_is_never_answered_with_an_error() -> None:
    error = Presence(type=PresenceType.ERROR, error=StanzaError.of("conflict"))
    with pytest.raises(ValueError, match="must not be answered"):
        error_reply(error, "bad-request")


def test_iq_result_helper() -> None:
    request = Iq(type=IqType.GET, id="7", from_=JID.parse("a@b/c"),
                 extensions=(XmlFragment(b'<q xmlns="urn:q"></q>'),))
    result = request.result()
    assert result.type is IqType.RESULT and result.to == request.from_ and result.id == "7"
    with pytest.raises(ValueError, match="only a get or set"):
        result.result()


def _assert_schema_valid(data: bytes) -> None:
    schema = default_catalog().libxml2()
    tree = etree.fromstring(data)
    assert schema.validate(tree), f"{data!r}: {schema.error_log}"


@settings(max_examples=150)
@given(messages())
def test_messages_round_trip_through_the_schema(message: Message) -> None:
    data = encode(message)
    _assert_schema_valid(data)
    assert xepcodec.parse(data) == message


@settings(max_examples=150)
@given(presences())
def test_presences_round_trip_through_the_schema(presence: Presence) -> None:
    data = encode(presence)
    _assert_schema_valid(data)
    assert xepcodec.parse(data) == presence


@settings(max_examples=150)
@given(iqs())
def test_iqs_round_trip_through_the_schema(iq: Iq) -> None:
    data = encode(iq)
    _assert_schema_valid(data)
    assert xepcodec.parse(data) == iq


def test_the_schema_catalog_ships_with_the_package() -> None:
    catalog = default_catalog()
    assert "jabber:client" in catalog.namespaces
    assert all(Path(entry.path).is_file() for entry in catalog.entries)


@pytest.mark.parametrize("lang", [" ", "e n", "toolonglang", "en-", "-en"])
def test_xml_lang_must_be_a_language_tag(lang: str) -> None:
    data = (f"<iq xmlns='jabber:client' type='get' id='1' xml:lang='{lang}'>"
            "<ping xmlns='urn:xmpp:ping'/></iq>").encode()
    with pytest.raises(ParseError) as caught:
        xepcodec.parse(data)
    assert caught.value.path == "/iq/@xml:lang"
    assert "language tag" in caught.value.message
    with pytest.raises(ArgumentValueError, match=r"Message\.lang"):
        Message(lang=lang)


@pytest.mark.parametrize("lang", ["", "en", "en-GB", "de-1996", " fr "])
def test_xml_lang_takes_tags_and_the_empty_string(lang: str) -> None:
    data = (f"<message xmlns='jabber:client' xml:lang='{lang}'/>").encode()
    assert xepcodec.parse(data).lang == lang
    assert xepcodec.validate(data).ok


def test_payload_of_gives_a_protocol_its_payload_by_the_iq_type() -> None:
    ping = Ping()
    other = XmlFragment(b"<query xmlns='urn:other'/>")
    get = Iq(type=IqType.GET, id="p1", extensions=(ping,))
    assert get.payload_of(Ping, "ping") is ping
    wanted = "a ping iq of type 'set' carries a <ping xmlns='urn:xmpp:ping'/>"
    with pytest.raises(ParseError, match=wanted) as caught:
        Iq(type=IqType.SET, id="p1", extensions=(other,)).payload_of(Ping, "ping")
    assert caught.value.path == "/iq" and caught.value.condition == "bad-request"
    assert Iq(type=IqType.RESULT, id="p1").payload_of(Ping, "ping") is None
    with pytest.raises(ParseError, match="type 'result'"):
        Iq(type=IqType.RESULT, id="p1", extensions=(other,)).payload_of(Ping, "ping")
    # an error's echo is given when it is the protocol's, and never refused
    refused = StanzaError.of(Condition.SERVICE_UNAVAILABLE)
    assert Iq(type=IqType.ERROR, id="p1", extensions=(ping,),
              error=refused).payload_of(Ping, "ping") is ping
    assert Iq(type=IqType.ERROR, id="p1", extensions=(other,),
              error=refused).payload_of(Ping, "ping") is None
