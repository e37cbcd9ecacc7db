"""Tests for xepcodec.protocols.muc.owner (XEP-0045 muc#owner: room configuration and
destruction).

The XML below is written for these tests.
"""

from __future__ import annotations

import pytest
from lxml import etree
from payloads import rejects, schema_accepts, through_the_wire, typed

from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols.dataforms import Field, FieldType, Form, FormType
from xepcodec.protocols.muc.core import NS_MUC_OWNER
from xepcodec.protocols.muc.owner import (
    OwnerDestroy,
    OwnerQuery,
    cancel_config,
    check_owner_iq,
    config_request,
    destroy_room,
    instant_room,
    submit_config,
)

ROOM = JID.parse("lounge@rooms.example.org")
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"

CONFIG_FORM = (
    "<x xmlns='jabber:x:data' type='form'><title>Configure the lounge</title>"
    f"<field var='FORM_TYPE' type='hidden'><value>{ROOMCONFIG}</value></field>"
    "<field var='muc#roomconfig_roomname' type='text-single' label='Name'>"
    "<value>Lounge</value></field>"
    "<field var='muc#roomconfig_persistentroom' type='boolean'><value>0</value></field>"
    "</x>")
DESTROY = ("<destroy jid='hall@rooms.example.org'><reason>Moving house</reason>"
           "<password>open sesame</password></destroy>")


def _query(inner: str = "") -> str:
    return f"<query xmlns='{NS_MUC_OWNER}'>{inner}</query>"


def _iq(type_: str, inner: str) -> Iq:
    xml = (f"<iq xmlns='jabber:client' type='{type_}' id='o1' to='lounge@rooms.example.org'"
           f" from='ada@example.com/desk'>{inner}</iq>")
    iq = decode(etree.fromstring(xml.encode()))
    assert isinstance(iq, Iq)
    return iq



# -- the elements -------------------------------------------------------------------------


def test_a_configuration_form_as_a_room_sends_it() -> None:
    got = typed(_query(CONFIG_FORM))
    assert isinstance(got, OwnerQuery)
    assert got.destroy is None and got.form is not None
    assert got.form.form_type == ROOMCONFIG
    assert got.form.values()["muc#roomconfig_persistentroom"] is False


def test_a_destroy_request() -> None:
    got = typed(_query(DESTROY))
    assert got == OwnerQuery(destroy=OwnerDestroy(
        jid=JID.parse("hall@rooms.example.org"), reason="Moving house",
        password="open sesame"))
    # The XEP orders neither child.
    reordered = _query("<destroy jid='hall@rooms.example.org'><password>open sesame"
                       "</password><reason>Moving house</reason></destroy>")
    assert typed(reordered) == got


@pytest.mark.parametrize(("xml", "words", "condition"), [
    (_query(CONFIG_FORM + "<destroy/>"), ["form or a <destroy/>", "not both"],
     "bad-request"),
    (_query("<destroy/><destroy/>"), ["destroy"], "bad-request"),
    (_query(CONFIG_FORM + CONFIG_FORM), ["x"], "bad-request"),
    (_query("<destroy><reason>a</reason><reason>b</reason></destroy>"), ["reason"],
     "bad-request"),
    (_query("<destroy><alternate/></destroy>"), ["alternate"], "bad-request"),
    (_query("<item xmlns='http://jabber.org/protocol/muc#admin' role='none' nick='a'/>"),
     ["item"], "bad-request"),
    (_query("text"), ["text"], "bad-request"),
])
def test_rules_both_check(schema: etree.XMLSchema, xml: str, words: list[str],
                          condition: str) -> None:
    assert not schema_accepts(schema, xml)
    rejects(xml, *words, condition=condition)


def test_construction_refuses_a_form_and_a_destroy_together() -> None:
    with pytest.raises(ArgumentValueError, match="not both"):
        OwnerQuery(form=Form(type=FormType.SUBMIT), destroy=OwnerDestroy())


def test_a_malformed_alternate_room_is_jid_malformed() -> None:
    rejects(_query("<destroy jid='hall@@rooms.example.org'/>"), condition="jid-malformed")


# -- what the iq type decides -------------------------------------------------------------


@pytest.mark.parametrize(("type_", "inner"), [
    ("get", _query()),
    ("result", _query(CONFIG_FORM)),
    ("result", _query()),
    ("result", ""),  # the answer to a submission or a destruction
    ("set", _query("<x xmlns='jabber:x:data' type='submit'/>")),
    ("set", _query("<x xmlns='jabber:x:data' type='cancel'/>")),
    ("set", _query(DESTROY)),
    ("set", _query("<destroy/>")),
    ("error", _query(DESTROY) + "<error type='auth'><forbidden "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"),
])
def test_check_owner_iq_accepts(type_: str, inner: str) -> None:
    iq = _iq(type_, inner)
    assert check_owner_iq(iq) == iq.payload


@pytest.mark.parametrize(("type_", "inner", "words", "path"), [
    ("get", _query(CONFIG_FORM), ["empty <query/>", "holds a form"], "/iq/query"),
    ("get", _query("<destroy/>"), ["holds a <destroy/>"], "/iq/query"),
    ("set", _query(), ["submit or cancel", "empty"], "/iq/query"),
    ("set", _query(CONFIG_FORM), ["'submit' or 'cancel', not 'form'"], "/iq/query/x/@type"),
    ("set", _query("<x xmlns='jabber:x:data' type='result'/>"), ["not 'result'"],
     "/iq/query/x/@type"),
    ("result", _query(DESTROY), ["never in a muc#owner result"], "/iq/query/destroy"),
    ("result", _query("<x xmlns='jabber:x:data' type='submit'/>"),
     ["of type 'form', not 'submit'"], "/iq/query/x/@type"),
    ("get", "<ping xmlns='urn:xmpp:ping'/>", [NS_MUC_OWNER], "/iq"),
])
def test_check_owner_iq_refusals(type_: str, inner: str, words: list[str],
                                 path: str) -> None:
    with pytest.raises(ParseError) as caught:
        check_owner_iq(_iq(type_, inner))
    assert caught.value.condition == "bad-request"
    assert caught.value.path == path
    for word in words:
        assert word in caught.value.message, caught.value.message


# -- requests -----------------------------------------------------------------------------


def test_instant_room_as_sent() -> None:
    iq = instant_room(ROOM, id="c1")
    assert encode(iq) == (
        b'<iq xmlns="jabber:client" type="set" id="c1" to="lounge@rooms.example.org">'
        b'<query xmlns="http://jabber.org/protocol/muc#owner">'
        b'<x xmlns="jabber:x:data" type="submit"/></query></iq>')
    back = through_the_wire(iq)
    assert check_owner_iq(back) == OwnerQuery(form=Form(type=FormType.SUBMIT))


def test_config_request_and_cancel() -> None:
    request = through_the_wire(config_request(ROOM, id="c2"))
    assert request.type == IqType.GET and request.to == ROOM
    assert check_owner_iq(request) == OwnerQuery()
    cancel = through_the_wire(cancel_config(ROOM, id="c3"))
    assert check_owner_iq(cancel) == OwnerQuery(form=Form(type=FormType.CANCEL))


def test_submit_config_answers_the_rooms_form() -> None:
    offered = typed(_query(CONFIG_FORM)).form
    answer = offered.fill({"muc#roomconfig_persistentroom": True})
    iq = through_the_wire(submit_config(ROOM, answer, id="c4"))
    query = check_owner_iq(iq)
    assert query is not None and query.form is not None
    assert query.form.type == FormType.SUBMIT
    assert query.form.form_type == ROOMCONFIG
    assert query.form.values()["muc#roomconfig_persistentroom"] is True
    assert query.form.get("muc#roomconfig_roomname") == Field(
        var="muc#roomconfig_roomname", type=FieldType.TEXT_SINGLE, values=("Lounge",))
    with pytest.raises(ArgumentValueError, match="not 'form'"):
        submit_config(ROOM, offered, id="c5")


def test_destroy_room() -> None:
    alternate = JID.parse("hall@rooms.example.org")
    iq = through_the_wire(destroy_room(ROOM, id="d1", alternate=alternate, reason="Moving house",
                                  password="open sesame"))
    assert check_owner_iq(iq) == typed(_query(DESTROY))
    bare = through_the_wire(destroy_room(ROOM, id="d2"))
    assert encode(bare.payload) == (
        b'<query xmlns="http://jabber.org/protocol/muc#owner"><destroy/></query>')
