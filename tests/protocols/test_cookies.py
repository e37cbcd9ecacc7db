"""Tests for xepcodec.protocols.cookies (XEP-0464 Cookies).

The XML below is written for these tests; none of it is taken from the XEP.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from xepcodec.api import parse, serialize
from xepcodec.core.stanzas import Iq, IqType, Message
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import XmlFragment, decode, encode
from xepcodec.protocols.cookies import (
    FEATURE_COOKIES,
    NS_COOKIES,
    Cookie,
    Cookies,
    SetCookie,
    SetCookies,
    find_set_cookies,
    is_cookie_name,
    iter_set_cookies,
)
from xepcodec.testing import cookies as cookie_strategies
from xepcodec.testing.strategies import for_class

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "cookies.xsd"
NS = "urn:xmpp:tmp:cookies"
ROMEO = JID.parse("romeo@montague.example")


@pytest.fixture(scope="module")
def cookies_schema() -> etree.XMLSchema:
    return etree.XMLSchema(file=str(SCHEMA_FILE))


def read(xml: str) -> object:
    return decode(etree.fromstring(xml.encode("utf-8")))


# -- generated objects -----------------------------------------------------------------


@given(obj=for_class(SetCookies) | for_class(Cookies))
def test_generated_containers_are_schema_valid_and_round_trip(
        cookies_schema: etree.XMLSchema, obj: SetCookies | Cookies) -> None:
    document = etree.fromstring(encode(obj))
    assert cookies_schema.validate(document), cookies_schema.error_log
    assert decode(document) == obj
    # Every cookie is an element of the protocol's namespace named by the cookie.
    assert [etree.QName(node).localname for node in document] == [c.name for c in obj.cookies]
    assert all(etree.QName(node).namespace == NS for node in document)


@given(one=for_class(SetCookie))
def test_generated_set_cookies_round_trip_inside_their_container(
        cookies_schema: etree.XMLSchema, one: SetCookie) -> None:
    document = etree.fromstring(encode(SetCookies(cookies=(one,))))
    assert cookies_schema.validate(document), cookies_schema.error_log
    assert decode(document) == SetCookies(cookies=(one,))


@given(one=for_class(Cookie))
def test_generated_cookies_round_trip_inside_their_container(
        cookies_schema: etree.XMLSchema, one: Cookie) -> None:
    document = etree.fromstring(encode(Cookies(cookies=(one,))))
    assert cookies_schema.validate(document), cookies_schema.error_log
    assert decode(document) == Cookies(cookies=(one,))


@given(name=cookie_strategies.cookie_names())
def test_generated_names_are_names(name: str) -> None:
    assert is_cookie_name(name)
    etree.Element(name)  # lxml agrees it is an element name


@given(message=for_class(Message), set_cookies=for_class(SetCookies))
def test_set_cookies_in_a_generated_message_is_found_and_survives(
        message: Message, set_cookies: SetCookies) -> None:
    carrier = Message(type=message.type, to=message.to, from_=message.from_, id=message.id,
                      bodies=message.bodies, extensions=(*message.extensions, set_cookies),
                      error=message.error)
    again = parse(serialize(carrier))
    assert again == carrier
    assert find_set_cookies(again) == (set_cookies,)


# -- the elements, field by field ---------------------------------------------------------


def test_constants() -> None:
    assert NS_COOKIES == "urn:xmpp:tmp:cookies"
    assert FEATURE_COOKIES == NS_COOKIES


def test_set_cookies_fields() -> None:
    obj = read(f"""<set-cookies xmlns='{NS}'>
        <flavour>oatmeal</flavour>
        <macro js='true'>print(1)</macro>
        <plain js='0'>x</plain>
        <empty/>
        <cookies>named like the container</cookies>
    </set-cookies>""")
    assert obj == SetCookies(cookies=(
        SetCookie(name="flavour", value="oatmeal"),
        SetCookie(name="macro", value="print(1)", js=True),
        SetCookie(name="plain", value="x", js=False),
        SetCookie(name="empty", value=""),
        SetCookie(name="cookies", value="named like the container"),
    ))
    assert isinstance(obj, SetCookies)
    assert [c.is_script for c in obj.cookies] == [False, True, False, False, False]
    assert obj.scripts == (SetCookie(name="macro", value="print(1)", js=True),)
    assert encode(obj) == (
        b'<set-cookies xmlns="urn:xmpp:tmp:cookies"><flavour>oatmeal</flavour>'
        b'<macro js="true">print(1)</macro><plain js="false">x</plain><empty/>'
        b"<cookies>named like the container</cookies></set-cookies>")


def test_js_one_is_a_script() -> None:
    obj = read(f"<set-cookies xmlns='{NS}'><m js='1'>x</m></set-cookies>")
    assert isinstance(obj, SetCookies)
    assert obj.cookies[0].is_script


def test_cookie_values_keep_their_whitespace() -> None:
    obj = read(f"<set-cookies xmlns='{NS}'><a>\n  two\n  lines\n</a></set-cookies>")
    assert isinstance(obj, SetCookies)
    assert obj.cookies[0].value == "\n  two\n  lines\n"


def test_cookies_fields() -> None:
    obj = read(f"""<cookies xmlns='{NS}'>
        <flavour setter='Romeo@Montague.example'>oatmeal</flavour>
        <flavour setter='tybalt@capulet.example/sword'>ginger</flavour>
        <set-cookies setter='romeo@montague.example'>a cookie, not a container</set-cookies>
    </cookies>""")
    tybalt = JID.parse("tybalt@capulet.example/sword")
    assert obj == Cookies(cookies=(
        Cookie(name="flavour", value="oatmeal", setter=ROMEO),
        Cookie(name="flavour", value="ginger", setter=tybalt),
        Cookie(name="set-cookies", value="a cookie, not a container", setter=ROMEO),
    ))
    assert isinstance(obj, Cookies)
    assert obj.set_by(ROMEO) == {"flavour": "oatmeal", "set-cookies": "a cookie, not a container"}
    assert obj.set_by(tybalt) == {"flavour": "ginger"}
    assert obj.set_by(tybalt.bare) == {}
    assert encode(obj) == (
        b'<cookies xmlns="urn:xmpp:tmp:cookies">'
        b'<flavour setter="romeo@montague.example">oatmeal</flavour>'
        b'<flavour setter="tybalt@capulet.example/sword">ginger</flavour>'
        b'<set-cookies setter="romeo@montague.example">a cookie, not a container</set-cookies>'
        b"</cookies>")


def test_empty_containers() -> None:
    assert read(f"<set-cookies xmlns='{NS}'/>") == SetCookies()
    assert read(f"<cookies xmlns='{NS}'>  </cookies>") == Cookies()
    assert encode(Cookies()) == b'<cookies xmlns="urn:xmpp:tmp:cookies"/>'


def test_repeated_names_are_read_as_written() -> None:
    obj = read(f"<set-cookies xmlns='{NS}'><a>1</a><a>2</a></set-cookies>")
    assert isinstance(obj, SetCookies)
    assert [c.value for c in obj.cookies] == ["1", "2"]


@pytest.mark.parametrize(("xml", "condition", "words"), [
    (f"<set-cookies xmlns='{NS}'><a setter='romeo@montague.example'>v</a></set-cookies>",
     "bad-request", ["no attribute", "setter"]),
    (f"<cookies xmlns='{NS}'><a js='true' setter='romeo@montague.example'>v</a></cookies>",
     "bad-request", ["no attribute", "js"]),
    (f"<cookies xmlns='{NS}'><a>v</a></cookies>",
     "bad-request", ["required attribute", "setter"]),
    (f"<cookies xmlns='{NS}'><a setter='@nobody'>v</a></cookies>",
     "jid-malformed", ["setter"]),
    (f"<set-cookies xmlns='{NS}'><a js='maybe'>v</a></set-cookies>",
     "bad-request", ["js", "boolean"]),
    (f"<set-cookies xmlns='{NS}'><a>v<b/></a></set-cookies>",
     "bad-request", ["does not allow the child"]),
    (f"<set-cookies xmlns='{NS}'>loose text</set-cookies>",
     "bad-request", ["no text"]),
    (f"<set-cookies xmlns='{NS}' id='1'/>", "bad-request", ["no attribute", "id"]),
    (f"<cookies xmlns='{NS}' setter='romeo@montague.example'/>",
     "bad-request", ["no attribute", "setter"]),
    (f"<set-cookies xmlns='{NS}'><a xmlns='urn:other'>v</a></set-cookies>",
     "bad-request", ["does not allow the child", "urn:other"]),
])
def test_rejections(xml: str, condition: str, words: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        read(xml)
    assert caught.value.condition == condition
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize(("xml", "schema_valid"), [
    (f"<set-cookies xmlns='{NS}'><a js='true'>v</a></set-cookies>", True),
    (f"<cookies xmlns='{NS}'><a setter='romeo@montague.example'>v</a></cookies>", True),
    (f"<set-cookies xmlns='{NS}' id='1'/>", False),
    (f"<cookies xmlns='{NS}'><a xmlns='urn:other'/></cookies>", False),
    (f"<set-cookies xmlns='{NS}'>text</set-cookies>", False),
    # What XSD 1.0 cannot say (a wildcard's matches have no type): the model refuses it.
    (f"<set-cookies xmlns='{NS}'><a setter='x'>v<b/></a></set-cookies>", True),
])
def test_schema_verdicts(cookies_schema: etree.XMLSchema, xml: str, schema_valid: bool) -> None:
    assert cookies_schema.validate(etree.fromstring(xml.encode())) is schema_valid


@pytest.mark.parametrize("name", ["a:b", "", "1abc", "-x", ".x", "a b", "µ", "a²", "ª", 7, None])
def test_construction_refuses_what_cannot_name_an_element(name: object) -> None:
    assert not is_cookie_name(name)
    with pytest.raises(ValueError, match="NCName"):
        SetCookie(name=name, value="v")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NCName"):
        Cookie(name=name, value="v", setter=ROMEO)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["a", "_", "A1", "a.b-c_d", "été", "ключ", "漢字",
                                  "a·b", "xml-lookalike", "set-cookies"])
def test_names(name: str) -> None:
    assert is_cookie_name(name)
    etree.Element(name)


@pytest.mark.parametrize("name", ["a·b", "e\u0301", "℃"])
def test_names_xml_allows_are_read(name: str) -> None:
    obj = read(f"<set-cookies xmlns='{NS}'><{name}>v</{name}></set-cookies>")
    assert obj == SetCookies(cookies=(SetCookie(name=name, value="v"),))


@pytest.mark.parametrize("name", ["a·b", "e\u0301", "℃"])
def test_names_xml_allows_are_written(name: str) -> None:
    written = encode(SetCookies(cookies=(SetCookie(name=name, value="v"),)))
    assert decode(etree.fromstring(written)) == SetCookies(cookies=(SetCookie(name=name,
                                                                              value="v"),))


# -- finding set-cookies ------------------------------------------------------------------


def test_found_directly_in_a_message() -> None:
    message = parse(f"""<message xmlns='jabber:client' from='romeo@montague.example/orchard'>
        <body>hello</body>
        <set-cookies xmlns='{NS}'><a>1</a></set-cookies>
        <set-cookies xmlns='{NS}'><b>2</b></set-cookies>
    </message>""")
    assert find_set_cookies(message) == (
        SetCookies(cookies=(SetCookie(name="a", value="1"),)),
        SetCookies(cookies=(SetCookie(name="b", value="2"),)),
    )


def test_found_inside_an_unknown_payload() -> None:
    iq = parse(f"""<iq xmlns='jabber:client' type='result' id='v1' from='romeo@montague.example/x'>
        <query xmlns='urn:example:unknown'>
          <deeper><set-cookies xmlns='{NS}'><a>1</a></set-cookies></deeper>
          <set-cookies xmlns='{NS}'><b js='true'>2</b></set-cookies>
        </query></iq>""")
    assert isinstance(iq, Iq)
    assert isinstance(iq.payload, XmlFragment)
    assert find_set_cookies(iq) == (
        SetCookies(cookies=(SetCookie(name="a", value="1"),)),
        SetCookies(cookies=(SetCookie(name="b", value="2", js=True),)),
    )


def test_found_inside_typed_payloads() -> None:
    from xepcodec.protocols.disco import InfoQuery

    inner = SetCookies(cookies=(SetCookie(name="a", value="1"),))
    raw = XmlFragment(f"<x xmlns='urn:example:y'><set-cookies xmlns='{NS}'><b/></set-cookies>"
                      "</x>".encode())
    iq = Iq(type=IqType.RESULT, id="d1", extensions=(InfoQuery(extensions=(inner, raw)),))
    assert find_set_cookies(iq) == (inner, SetCookies(cookies=(SetCookie(name="b"),)))
    assert find_set_cookies(inner) == (inner,)


def test_not_found_inside_cookies_or_in_cookie_names() -> None:
    message = parse(f"""<message xmlns='jabber:client'>
        <cookies xmlns='{NS}'>
          <set-cookies setter='romeo@montague.example'>a cookie</set-cookies>
        </cookies></message>""")
    assert find_set_cookies(message) == ()
    raw = XmlFragment(f"<x xmlns='urn:example:y'><cookies xmlns='{NS}'>"
                      f"<set-cookies setter='a@b'>v</set-cookies></cookies>"
                      f"<stray xmlns='{NS}'><set-cookies/></stray></x>".encode())
    assert find_set_cookies(Message(extensions=(raw,))) == ()
    assert find_set_cookies(Message(bodies=())) == ()


def test_a_malformed_nested_set_cookies_is_an_error_the_others_still_found() -> None:
    raw = XmlFragment(f"<x xmlns='urn:example:y'>"
                      f"<set-cookies xmlns='{NS}'><a setter='a@b'>v</a></set-cookies>"
                      f"<set-cookies xmlns='{NS}'><ok>v</ok></set-cookies></x>".encode())
    message = Message(extensions=(raw,))
    found = list(iter_set_cookies(message))
    assert isinstance(found[0], ParseError)
    assert found[0].condition == "bad-request"
    assert "setter" in str(found[0])
    assert found[1] == SetCookies(cookies=(SetCookie(name="ok", value="v"),))
    with pytest.raises(ParseError, match="setter"):
        find_set_cookies(message)


@given(depth=st.integers(0, 30))
def test_found_at_any_depth(depth: int) -> None:
    xml = ("<w xmlns='urn:example:w'>" * (depth + 1) + f"<set-cookies xmlns='{NS}'><n>v</n>"
           "</set-cookies>" + "</w>" * (depth + 1))
    message = Message(extensions=(XmlFragment(xml.encode()),))
    assert find_set_cookies(message) == (SetCookies(cookies=(SetCookie(name="n", value="v"),)),)
