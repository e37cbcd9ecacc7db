"""Tests for xepcodec.protocols.disco (XEP-0030 Service Discovery, XEP-0128 extended
information).

The XML below is written for these tests; none of it is taken from the XEPs.
"""

from __future__ import annotations

import pytest
from lxml import etree
from payloads import typed

import xepcodec.testing.dataforms
import xepcodec.testing.disco
import xepcodec.testing.rsm  # noqa: F401  (register the strategies used below)
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import XmlFragment, decode, encode
from xepcodec.protocols.dataforms import DATA_FORMS, Field, FieldType, Form, FormType
from xepcodec.protocols.disco import (
    FEATURE_INFO,
    FEATURE_ITEMS,
    NS_INFO,
    NS_ITEMS,
    Feature,
    Identity,
    InfoQuery,
    Item,
    ItemsQuery,
    check_info_request,
    check_info_result,
    info_request,
    items_request,
)
from xepcodec.protocols.rsm import ResultSet


def _info(inner: str = "", attrs: str = "") -> str:
    return f"<query xmlns='{NS_INFO}'{attrs}>{inner}</query>"


def _items(inner: str = "", attrs: str = "") -> str:
    return f"<query xmlns='{NS_ITEMS}'{attrs}>{inner}</query>"


def _rejects(xml: str, *words: str, condition: str = "bad-request") -> ParseError:
    with pytest.raises(ParseError) as caught:
        typed(xml)
    error = caught.value
    assert error.condition == condition, error
    for word in words:
        assert word in str(error), (word, str(error))
    return error


def _hidden_form(form_type: str, **values: str) -> Form:
    fields = [Field(var="FORM_TYPE", type=FieldType.HIDDEN, values=(form_type,))]
    fields += [Field(var=var, values=(value,)) for var, value in values.items()]
    return Form(type=FormType.RESULT, fields=tuple(fields))


# -- round trips ----------------------------------------------------------------------------


def test_constants() -> None:
    assert NS_INFO == "http://jabber.org/protocol/disco#info"
    assert NS_ITEMS == "http://jabber.org/protocol/disco#items"
    assert FEATURE_INFO == NS_INFO
    assert FEATURE_ITEMS == NS_ITEMS


# -- disco#info: reading --------------------------------------------------------------------


def test_info_result_with_every_field() -> None:
    got = typed(_info(
        "<identity category='client' type='pc' name='Quill' xml:lang='en'/>"
        "<identity category='client' type='pc' name='Feder' xml:lang='de'/>"
        "<identity category='automation' type='command-list'/>"
        f"<feature var='{NS_INFO}'/><feature var='urn:example:fancy'/>"
        f"<x xmlns='{DATA_FORMS}' type='result'>"
        "<field var='FORM_TYPE' type='hidden'><value>urn:example:info</value></field>"
        "<field var='colour'><value>teal</value></field></x>"
        "<extra xmlns='urn:example:other' a='1'/>",
        " node='urn:example:node'"))
    assert isinstance(got, InfoQuery)
    assert got.node == "urn:example:node"
    assert got.identities == (
        Identity(category="client", type="pc", name="Quill", lang="en"),
        Identity(category="client", type="pc", name="Feder", lang="de"),
        Identity(category="automation", type="command-list"),
    )
    assert got.features == (Feature(var=NS_INFO), Feature(var="urn:example:fancy"))
    assert got.forms == (_hidden_form("urn:example:info", colour="teal"),)
    assert len(got.extensions) == 1
    extra = got.extensions[0]
    assert isinstance(extra, XmlFragment)
    assert extra.tag == "{urn:example:other}extra"


def test_info_request_is_an_empty_query() -> None:
    got = typed(_info())
    assert got == InfoQuery()
    assert encode(got) == f'<query xmlns="{NS_INFO}"/>'.encode()
    with_node = typed(_info(attrs=" node='urn:example:n'"))
    assert with_node == InfoQuery(node="urn:example:n")


def test_interleaved_children_are_read_and_written_grouped() -> None:
    got = typed(_info(
        "<feature var='urn:a'/><identity category='server' type='im'/>"
        f"<x xmlns='{DATA_FORMS}' type='result'/><feature var='urn:b'/>"
        "<identity category='pubsub' type='service'/>"))
    assert got.feature_vars == ("urn:a", "urn:b")
    assert [identity.category for identity in got.identities] == ["server", "pubsub"]
    written = etree.fromstring(encode(got))
    assert [etree.QName(node).localname for node in written] == [
        "identity", "identity", "feature", "feature", "x"]


def test_same_category_and_type_in_different_languages_is_allowed() -> None:
    got = typed(_info("<identity category='client' type='pc' name='A' xml:lang='en'/>"
                       "<identity category='client' type='pc' name='B' xml:lang='fr'/>"
                       "<identity category='client' type='pc' name='C'/>"))
    assert len(got.identities) == 3


def test_the_same_identity_twice_is_not_a_disco_error() -> None:
    # XEP-0030 forbids only different names; exact repeats are a caps matter.
    got = typed(_info("<identity category='client' type='pc' name='A'/>" * 2))
    assert len(got.identities) == 2


@pytest.mark.parametrize(("inner", "words"), [
    ("<identity category='client' type='pc' name='A' xml:lang='en'/>"
     "<identity category='client' type='pc' name='B' xml:lang='en'/>",
     ["client/pc", "'en'", "different names", "'A'", "'B'"]),
    ("<identity category='client' type='pc' name='A'/>"
     "<identity category='client' type='pc'/>",
     ["client/pc", "no xml:lang", "different names"]),
])
def test_two_names_for_one_category_type_and_language_are_refused(
        inner: str, words: list[str]) -> None:
    error = _rejects(_info(inner), *words)
    assert error.path == "/query"


@pytest.mark.parametrize(("xml", "words"), [
    (_info("<identity type='pc'/>"), ["identity", "category"]),
    (_info("<identity category='client'/>"), ["identity", "type"]),
    (_info("<identity category='' type='pc'/>"), ["category", "empty"]),
    (_info("<identity category='client' type=''/>"), ["type", "empty"]),
    (_info("<identity category='client' type='pc' colour='red'/>"), ["colour"]),
    (_info("<identity category='client' type='pc'>text</identity>"), ["no text"]),
    (_info("<feature/>"), ["feature", "var"]),
    (_info("<feature var=''/>"), ["var", "empty"]),
    (_info("<feature var='urn:a'><feature var='urn:b'/></feature>"), ["feature"]),
    (_info("<feature var='urn:a'><x xmlns='urn:other'/></feature>"), ["feature"]),
    (_info("<feature var='urn:a'>text</feature>"), ["no text"]),
    (_info(attrs=" node=''"), ["node", "empty"]),
    (_info(attrs=" version='2'"), ["version"]),
    (_info("<item jid='a.example'/>"), ["item", "disco#info"]),
    (_info("<bare xmlns=''/>"), ["bare", "no namespace"]),
    (_info("stray"), ["no text"]),
])
def test_info_rejections(xml: str, words: list[str]) -> None:
    _rejects(xml, *words)


def test_construction_applies_the_identity_rule() -> None:
    with pytest.raises(ValueError, match="different names"):
        InfoQuery(identities=(Identity(category="a", type="b", name="x"),
                              Identity(category="a", type="b", name="y")))


def test_construction_refuses_an_extension_in_the_disco_namespace() -> None:
    own = XmlFragment(f'<other xmlns="{NS_INFO}"/>'.encode())
    with pytest.raises(ValueError, match="own namespace"):
        InfoQuery(extensions=(own,))


# -- disco#info: helpers --------------------------------------------------------------------

RESULT = InfoQuery(
    node="urn:example:n",
    identities=(Identity(category="conference", type="text", name="Room"),
                Identity(category="directory", type="chatroom"),
                Identity(category="conference", type="irc")),
    features=(Feature(var=NS_INFO), Feature(var="urn:example:muc")),
    forms=(_hidden_form("urn:example:roominfo", topic="Spells"),
           Form(type=FormType.RESULT, fields=(Field(var="loose", values=("1",)),))),
)


def test_has_feature_and_feature_vars() -> None:
    assert RESULT.has_feature("urn:example:muc")
    assert RESULT.has_feature(NS_INFO)
    assert not RESULT.has_feature("urn:example:none")
    assert RESULT.feature_vars == (NS_INFO, "urn:example:muc")


def test_identity_of() -> None:
    first = RESULT.identity_of("conference")
    assert first is not None
    assert first.type == "text"
    irc = RESULT.identity_of("conference", "irc")
    assert irc is not None
    assert irc.name is None
    assert RESULT.identity_of("directory") == Identity(category="directory", type="chatroom")
    assert RESULT.identity_of("client") is None
    assert RESULT.identity_of("conference", "mix") is None


def test_form_by_form_type() -> None:
    form = RESULT.form("urn:example:roominfo")
    assert form is not None
    field = form.get("topic")
    assert field is not None
    assert field.values == ("Spells",)
    assert RESULT.form("urn:example:none") is None


def test_check_info_result_accepts_a_complete_answer() -> None:
    check_info_result(RESULT)
    check_info_result(RESULT, InfoQuery(node="urn:example:n"))


@pytest.mark.parametrize(("query", "request_", "words"), [
    (InfoQuery(features=(Feature(var=NS_INFO),)), None, ["identity"]),
    (InfoQuery(identities=(Identity(category="client", type="pc"),)), None, ["feature"]),
    (InfoQuery(), None, ["identity"]),
    (RESULT, InfoQuery(), ["mirror", "None", "'urn:example:n'"]),
    (RESULT, InfoQuery(node="urn:example:other"), ["mirror", "'urn:example:other'"]),
])
def test_check_info_result_rejections(query: InfoQuery, request_: InfoQuery | None,
                                      words: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        check_info_result(query, request_)
    assert caught.value.condition == "bad-request"
    for word in words:
        assert word in str(caught.value)


def test_check_info_request() -> None:
    check_info_request(InfoQuery())
    check_info_request(InfoQuery(node="urn:example:n"))
    for filled in (RESULT, InfoQuery(features=(Feature(var="urn:a"),)),
                   InfoQuery(forms=(Form(type=FormType.RESULT),))):
        with pytest.raises(ParseError, match="empty"):
            check_info_request(filled)


def test_info_request_builds_the_iq() -> None:
    iq = info_request(id="d1", to=JID.parse("room@muc.example"), node="urn:example:n")
    assert iq.type == IqType.GET
    assert iq.payload == InfoQuery(node="urn:example:n")
    xml = encode(iq)
    assert xml == (b'<iq xmlns="jabber:client" type="get" id="d1" to="room@muc.example">'
                   b'<query xmlns="http://jabber.org/protocol/disco#info" '
                   b'node="urn:example:n"/></iq>')
    again = decode(etree.fromstring(xml))
    assert again == iq


def test_an_iq_result_carries_a_typed_info_query() -> None:
    iq = decode(etree.fromstring(
        b"<iq xmlns='jabber:client' type='result' id='d1' from='svc.example'>"
        + _info("<identity category='server' type='im'/>"
                f"<feature var='{NS_INFO}'/>").encode() + b"</iq>"))
    assert isinstance(iq, Iq)
    payload = iq.find(InfoQuery)
    assert payload is not None
    check_info_result(payload)


# -- disco#items ----------------------------------------------------------------------------


def test_items_result_with_every_field() -> None:
    got = typed(_items(
        "<item jid='catalog.example' node='books' name='Books'/>"
        "<item jid='someone@example.org/phone'><note xmlns='urn:example:note'/></item>"
        "<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>a</first>"
        "<last>b</last><count>9</count></set>"
        "<hint xmlns='urn:example:hint'/>",
        " node='shelves'"))
    assert isinstance(got, ItemsQuery)
    assert got.node == "shelves"
    first, second = got.items
    assert first == Item(jid=JID.parse("catalog.example"), node="books", name="Books")
    assert second.jid == JID.parse("someone@example.org/phone")
    assert second.node is None
    assert second.name is None
    assert [fragment.tag for fragment in second.extensions] == ["{urn:example:note}note"]
    assert got.rsm == ResultSet.page(first="a", last="b", count=9, first_index=0)
    assert [fragment.tag for fragment in got.extensions] == ["{urn:example:hint}hint"]


def test_empty_items_result() -> None:
    got = typed(_items())
    assert got == ItemsQuery()
    assert got.items == ()
    assert got.rsm is None


@pytest.mark.parametrize(("xml", "words", "condition"), [
    (_items("<item/>"), ["item", "jid"], "bad-request"),
    (_items("<item jid='@example.org'/>"), [], "jid-malformed"),
    (_items("<item jid='a.example' node=''/>"), ["node", "empty"], "bad-request"),
    (_items("<item jid='a.example'>words</item>"), ["no text"], "bad-request"),
    (_items("<item jid='a.example' kind='x'/>"), ["kind"], "bad-request"),
    (_items("<item jid='a.example'><item jid='b.example'/></item>"),
     ["item", "own namespace"], "bad-request"),
    (_items(f"<item jid='a.example'><x xmlns='{DATA_FORMS}' type='result'/></item>"),
     ["data form", "XEP-0128"], "bad-request"),
    (_items(f"<x xmlns='{DATA_FORMS}' type='result'/>"), ["data form"], "bad-request"),
    (_items("<identity category='a' type='b'/>"), ["identity", "own namespace"],
     "bad-request"),
    (_items(attrs=" node=''"), ["node", "empty"], "bad-request"),
    (_items("<set xmlns='http://jabber.org/protocol/rsm'/>" * 2), ["only one"],
     "bad-request"),
])
def test_items_rejections(xml: str, words: list[str], condition: str) -> None:
    _rejects(xml, *words, condition=condition)


def test_item_lookup() -> None:
    query = ItemsQuery(items=(
        Item(jid=JID.parse("catalog.example"), node="books"),
        Item(jid=JID.parse("catalog.example")),
        Item(jid=JID.parse("Juliet@Example.com/balcony"), name="J"),
    ))
    assert query.item("catalog.example", "books") == query.items[0]
    assert query.item(JID.parse("catalog.example")) == query.items[1]
    assert query.item("juliet@example.com/balcony") == query.items[2]
    assert query.item("catalog.example", "music") is None
    assert query.item("other.example") is None


def test_items_request_builds_the_iq_with_a_page_request() -> None:
    iq = items_request(id="i1", to=JID.parse("catalog.example"), node="music",
                       rsm=ResultSet.request(max=10))
    xml = encode(iq)
    assert xml == (b'<iq xmlns="jabber:client" type="get" id="i1" to="catalog.example">'
                   b'<query xmlns="http://jabber.org/protocol/disco#items" node="music">'
                   b'<set xmlns="http://jabber.org/protocol/rsm"><max>10</max></set>'
                   b'</query></iq>')
    assert decode(etree.fromstring(xml)) == iq
    plain = items_request(id="i2")
    assert plain.payload == ItemsQuery()
    assert plain.to is None


# -- where the model and the schema part ways ----------------------------------------------


@pytest.mark.parametrize("xml", [
    # The schema cannot say these; the model refuses them.
    _info("<identity category='c' type='t' name='A'/><identity category='c' type='t' "
          "name='B'/>"),
    _items(f"<item jid='a.example'><x xmlns='{DATA_FORMS}' type='result'/></item>"),
])
def test_rules_only_the_model_checks(schema: etree.XMLSchema, xml: str) -> None:
    assert schema.validate(etree.fromstring(xml.encode()))
    with pytest.raises(ParseError):
        typed(xml)


@pytest.mark.parametrize("xml", [
    _info("<other/>"),
    _items("<other/>"),
    _info("<feature var='a'><b xmlns='urn:x'/></feature>"),
])
def test_rules_both_check(schema: etree.XMLSchema, xml: str) -> None:
    assert not schema.validate(etree.fromstring(xml.encode()))
    with pytest.raises(ParseError):
        typed(xml)
