"""Tests for xepcodec.protocols.caps (XEP-0115 Entity Capabilities).

The two worked examples of XEP-0115 §5.2 and §5.3 are rebuilt here from their facts
(identities, features, form fields) and must give the published verification strings.
The rest of the XML is written for these tests.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from payloads import typed

import xepcodec.testing.dataforms  # noqa: F401  (registers the data form strategies)
from xepcodec.core.stanzas import Presence
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols.caps import (
    FEATURE,
    FEATURE_OPTIMIZE,
    HASH_FUNCTIONS,
    NS_CAPS,
    Caps,
    CapsError,
    CapsFailure,
    check_well_formed,
    compute_ver,
    ver_input,
    verify,
)
from xepcodec.protocols.dataforms import Field, FieldType, Form, FormType
from xepcodec.protocols.disco import Feature, Identity, InfoQuery
from xepcodec.testing.disco import well_formed_infos
from xepcodec.testing.strategies import for_class

DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
MUC = "http://jabber.org/protocol/muc"

# XEP-0115 §5.2: one identity, four features.
SIMPLE = InfoQuery(
    identities=(Identity(category="client", type="pc", name="Exodus 0.9.1"),),
    features=tuple(Feature(var=var) for var in (DISCO_INFO, DISCO_ITEMS, MUC, NS_CAPS)),
)
SIMPLE_VER = "QgayPKawpkPSDYmwT/WM94uAlu0="

# XEP-0115 §5.3: two identities with names in two languages, and a software form.
COMPLEX = InfoQuery(
    node="http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w=",
    identities=(Identity(category="client", type="pc", name="Psi 0.11", lang="en"),
                Identity(category="client", type="pc", name="\u03a8 0.11", lang="el")),
    features=tuple(Feature(var=var) for var in (NS_CAPS, DISCO_INFO, DISCO_ITEMS, MUC)),
    forms=(Form(type=FormType.RESULT, fields=(
        Field(var="FORM_TYPE", type=FieldType.HIDDEN,
              values=("urn:xmpp:dataforms:softwareinfo",)),
        Field(var="ip_version", type=FieldType.TEXT_MULTI, values=("ipv4", "ipv6")),
        Field(var="os", values=("Mac",)),
        Field(var="os_version", values=("10.5.1",)),
        Field(var="software", values=("Psi",)),
        Field(var="software_version", values=("0.11",)),
    )),),
)
COMPLEX_VER = "q07IKJEyjvHSyhy//CH0CxmKi8w="


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _form(form_type: str | None, *fields: Field, hidden: bool = True) -> Form:
    head = () if form_type is None else (
        Field(var="FORM_TYPE", type=FieldType.HIDDEN if hidden else FieldType.TEXT_SINGLE,
              values=(form_type,)),)
    return Form(type=FormType.RESULT, fields=(*head, *fields))


def _failure(reason: CapsFailure, *words: str) -> Any:
    class Expect:
        def __enter__(self) -> None:
            return None

        def __exit__(self, kind: Any, error: Any, trace: Any) -> bool:
            assert isinstance(error, CapsError), f"expected CapsError, got {error!r}"
            assert error.reason is reason, error
            for word in words:
                assert word in str(error), (word, str(error))
            return True

    return Expect()


# -- the element ----------------------------------------------------------------------------


@given(caps=for_class(Caps))
def test_generated_caps_round_trip_and_current_ones_are_schema_valid(
        schema: etree.XMLSchema, caps: Caps) -> None:
    document = etree.fromstring(encode(caps))
    assert decode(document) == caps
    # The schema describes the current format only (see test_the_schema_refuses_legacy).
    if not caps.is_legacy:
        assert schema.validate(document), (encode(caps), schema.error_log)


def test_constants() -> None:
    assert NS_CAPS == "http://jabber.org/protocol/caps"
    assert FEATURE == NS_CAPS
    assert FEATURE_OPTIMIZE == "http://jabber.org/protocol/caps#optimize"
    assert set(HASH_FUNCTIONS) == {"sha-1", "sha-224", "sha-256", "sha-384", "sha-512"}


def test_current_format() -> None:
    got = typed(f"<c xmlns='{NS_CAPS}' hash='sha-1' node='http://quill.example' "
                "ver='abc='/>")
    assert got == Caps(hash="sha-1", node="http://quill.example", ver="abc=")
    assert not got.is_legacy
    assert got.ext is None
    assert got.ext_names == ()
    assert got.disco_node == "http://quill.example#abc="


def test_legacy_format_parses_with_ext() -> None:
    got = typed(f"<c xmlns='{NS_CAPS}' node='http://quill.example/caps' ver='1.2' "
                "ext=' voice-v1  video-v1 '/>")
    assert got.is_legacy
    assert got.hash is None
    assert got.ver == "1.2"
    assert got.ext_names == ("voice-v1", "video-v1")
    assert encode(got) == (b'<c xmlns="http://jabber.org/protocol/caps" '
                           b'node="http://quill.example/caps" ver="1.2" '
                           b'ext=" voice-v1  video-v1 "/>')


def test_the_schema_accepts_legacy_as_the_model_does(schema: etree.XMLSchema) -> None:
    # One verdict: real entities (and XEP-0060's own examples) still send the legacy
    # format, so both the schema and the model take it; only `verify` refuses it.
    legacy = f"<c xmlns='{NS_CAPS}' node='http://quill.example' ver='1.2'/>"
    assert schema.validate(etree.fromstring(legacy.encode()))
    assert typed(legacy).is_legacy


@pytest.mark.parametrize(("attrs", "words"), [
    ("hash='sha-1' ver='v'", ["node"]),
    ("hash='sha-1' node='http://q.example'", ["ver"]),
    ("hash='sha-1' node='' ver='v'", ["node", "empty"]),
    ("hash='sha-1' node='http://q.example' ver=''", ["ver", "empty"]),
    ("hash='' node='http://q.example' ver='v'", ["hash", "empty"]),
    ("hash='sha 1' node='http://q.example' ver='v'", ["hash", "pattern"]),
    ("hash='-sha' node='http://q.example' ver='v'", ["hash", "pattern"]),
    ("hash='sha-1' node='http://q.example' ver='v' ext='a,b'", ["ext", "pattern"]),
    ("hash='sha-1' node='http://q.example' ver='v' extra='1'", ["extra"]),
])
def test_element_rejections(attrs: str, words: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        typed(f"<c xmlns='{NS_CAPS}' {attrs}/>")
    assert caught.value.condition == "bad-request"
    for word in words:
        assert word in str(caught.value)


def test_element_has_no_children() -> None:
    with pytest.raises(ParseError, match="does not allow"):
        typed(f"<c xmlns='{NS_CAPS}' hash='sha-1' node='n' ver='v'><x xmlns='urn:a'/></c>")


def test_caps_in_presence_is_typed() -> None:
    presence = decode(etree.fromstring(
        f"<presence xmlns='jabber:client' from='romeo@example.net/orchard'>"
        f"<c xmlns='{NS_CAPS}' hash='sha-1' node='http://quill.example' "
        f"ver='{SIMPLE_VER}'/></presence>".encode()))
    assert isinstance(presence, Presence)
    caps = presence.find(Caps)
    assert caps is not None
    verify(caps, SIMPLE)


def test_disco_request() -> None:
    caps = Caps(hash="sha-1", node="http://quill.example", ver=SIMPLE_VER)
    iq = caps.disco_request(id="c1", to=JID.parse("romeo@example.net/orchard"))
    assert encode(iq) == (
        b'<iq xmlns="jabber:client" type="get" id="c1" to="romeo@example.net/orchard">'
        b'<query xmlns="http://jabber.org/protocol/disco#info" '
        b'node="http://quill.example#QgayPKawpkPSDYmwT/WM94uAlu0="/></iq>')


# -- the verification string: the XEP's worked examples ------------------------------------


def test_simple_example() -> None:
    assert ver_input(SIMPLE) == (
        "client/pc//Exodus 0.9.1<" + NS_CAPS + "<" + DISCO_INFO + "<" + DISCO_ITEMS + "<"
        + MUC + "<").encode()
    assert compute_ver(SIMPLE) == SIMPLE_VER
    assert compute_ver(SIMPLE, "sha-1") == SIMPLE_VER


def test_complex_example() -> None:
    expected = (
        "client/pc/el/\u03a8 0.11<client/pc/en/Psi 0.11<"
        f"{NS_CAPS}<{DISCO_INFO}<{DISCO_ITEMS}<{MUC}<"
        "urn:xmpp:dataforms:softwareinfo<"
        "ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<"
    )
    assert ver_input(COMPLEX) == expected.encode("utf-8")
    assert compute_ver(COMPLEX) == COMPLEX_VER


def test_complex_example_from_xml() -> None:
    info = typed(
        f"<query xmlns='{DISCO_INFO}' node='http://psi-im.org#{COMPLEX_VER}'>"
        "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
        "<identity xml:lang='el' category='client' name='&#936; 0.11' type='pc'/>"
        f"<feature var='{NS_CAPS}'/><feature var='{DISCO_INFO}'/>"
        f"<feature var='{DISCO_ITEMS}'/><feature var='{MUC}'/>"
        "<x xmlns='jabber:x:data' type='result'>"
        "<field var='FORM_TYPE' type='hidden'>"
        "<value>urn:xmpp:dataforms:softwareinfo</value></field>"
        "<field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value>"
        "</field><field var='os'><value>Mac</value></field>"
        "<field var='os_version'><value>10.5.1</value></field>"
        "<field var='software'><value>Psi</value></field>"
        "<field var='software_version'><value>0.11</value></field></x></query>")
    assert info == COMPLEX
    caps = Caps(hash="sha-1", node="http://psi-im.org", ver=COMPLEX_VER)
    verify(caps, info)
    assert caps.disco_node == info.node


def test_for_info_builds_the_advertisement() -> None:
    caps = Caps.for_info(SIMPLE, "http://quill.example")
    assert caps == Caps(hash="sha-1", node="http://quill.example", ver=SIMPLE_VER)
    sha256 = Caps.for_info(COMPLEX, "http://psi-im.org", "sha-256")
    assert sha256.hash == "sha-256"
    assert sha256.ver == _b64(hashlib.sha256(ver_input(COMPLEX)).digest())
    verify(sha256, COMPLEX)


@pytest.mark.parametrize("algo", sorted(HASH_FUNCTIONS))
def test_every_supported_function(algo: str) -> None:
    names = {"sha-1": "sha1", "sha-224": "sha224", "sha-256": "sha256",
             "sha-384": "sha384", "sha-512": "sha512"}
    expected = _b64(hashlib.new(names[algo], ver_input(COMPLEX)).digest())
    assert compute_ver(COMPLEX, algo) == expected


# -- the verification string: details of the method ---------------------------------------


def test_identities_sort_by_category_then_type_then_language() -> None:
    info = InfoQuery(identities=(
        Identity(category="client", type="pc", lang="en-GB", name="B"),
        Identity(category="client", type="pc", lang="en", name="A"),
        Identity(category="client", type="pc", name="N"),
        Identity(category="client", type="bot"),
        Identity(category="automation", type="command-list"),
    ))
    # Field by field: "en" comes before "en-GB" (a joined string would put the '-'
    # first, as it sorts before '/').
    assert ver_input(info) == (
        b"automation/command-list//<client/bot//<client/pc//N<client/pc/en/A<"
        b"client/pc/en-GB/B<")


def test_features_sort_by_octets() -> None:
    info = InfoQuery(features=(Feature(var="\u00e9"), Feature(var="z"), Feature(var="Z"),
                               Feature(var="a-b"), Feature(var="a")))
    assert ver_input(info) == "Z<a<a-b<z<\u00e9<".encode()


def test_forms_sort_by_form_type_and_fields_by_var_and_values() -> None:
    info = InfoQuery(forms=(
        _form("urn:b", Field(var="y", values=("2", "10", "1")), Field(var="x")),
        _form("urn:a", Field(var="only", type=FieldType.TEXT_MULTI, values=("v",))),
    ))
    assert ver_input(info) == b"urn:a<only<v<urn:b<x<y<1<10<2<"


def test_forms_without_a_hidden_form_type_are_left_out() -> None:
    base = InfoQuery(features=(Feature(var="urn:a"),),
                     forms=(_form("urn:kept", Field(var="k", values=("1",))),))
    extra = (_form(None, Field(var="loose", values=("x",))),
             _form("urn:shown", Field(var="s", values=("y",)), hidden=False),
             Form(type=FormType.RESULT,
                  fields=(Field(var="FORM_TYPE", type=FieldType.HIDDEN),)))
    padded = InfoQuery(features=base.features, forms=(*extra, *base.forms))
    assert ver_input(padded) == ver_input(base) == b"urn:a<urn:kept<k<1<"
    assert compute_ver(padded) == compute_ver(base)


def test_fields_without_var_are_left_out() -> None:
    info = InfoQuery(forms=(_form("urn:a", Field(type=FieldType.FIXED, values=("Note",)),
                                  Field(var="v", values=("1",))),))
    assert ver_input(info) == b"urn:a<v<1<"


def test_escaped_less_than_stays_literal() -> None:
    # The four characters '&lt;' in a name are not turned into '<'.
    info = typed(f"<query xmlns='{DISCO_INFO}'>"
                 f"<identity category='client' type='pc' name='Some&amp;lt;{MUC}'/>"
                 f"<feature var='{MUC}'/></query>")
    assert info.identities[0].name == f"Some&lt;{MUC}"
    assert ver_input(info) == f"client/pc//Some&lt;{MUC}<{MUC}<".encode()
    lookalike = InfoQuery(identities=(Identity(category="client", type="pc", name="Some"),),
                          features=(Feature(var=MUC),))
    assert ver_input(lookalike) != ver_input(info)


# -- the verification string: properties ---------------------------------------------------


@given(data=st.data())
def test_order_of_identities_features_forms_fields_and_values_does_not_matter(
        data: st.DataObject) -> None:
    info = data.draw(well_formed_infos())
    shuffled_forms = []
    for form in data.draw(st.permutations(info.forms)):
        fields = data.draw(st.permutations(form.fields))
        fields = [
            Field(var=field.var, type=field.type, label=field.label, desc=field.desc,
                  required=field.required, values=tuple(data.draw(st.permutations(
                      field.values))), options=field.options, extensions=field.extensions)
            for field in fields]
        shuffled_forms.append(Form(type=form.type, title=form.title,
                                   instructions=form.instructions, fields=tuple(fields)))
    shuffled = InfoQuery(
        node=info.node,
        identities=tuple(data.draw(st.permutations(info.identities))),
        features=tuple(data.draw(st.permutations(info.features))),
        forms=tuple(shuffled_forms),
    )
    assert ver_input(shuffled) == ver_input(info)
    for algo in ("sha-1", "sha-256"):
        assert compute_ver(shuffled, algo) == compute_ver(info, algo)


@given(info=well_formed_infos(), algo=st.sampled_from(sorted(HASH_FUNCTIONS)))
def test_advertised_caps_verify_and_a_changed_answer_does_not(info: InfoQuery,
                                                               algo: str) -> None:
    caps = Caps.for_info(info, "http://quill.example", algo)
    assert len(base64.b64decode(caps.ver, validate=True)) == hashlib.new(
        algo.replace("-", "")).digest_size
    verify(caps, info)
    changed = InfoQuery(node=info.node, identities=info.identities,
                        features=(*info.features, Feature(var="urn:example:new")),
                        forms=info.forms)
    already = info.has_feature("urn:example:new")
    with _failure(CapsFailure.ILL_FORMED if already else CapsFailure.MISMATCH):
        verify(caps, changed)


@given(info=for_class(InfoQuery))
def test_any_query_either_hashes_or_is_ill_formed(info: InfoQuery) -> None:
    try:
        ver = compute_ver(info)
    except CapsError as error:
        assert error.reason is CapsFailure.ILL_FORMED
    else:
        verify(Caps(hash="sha-1", node="n", ver=ver), info)


# -- verification failures ------------------------------------------------------------------


def test_legacy_caps_cannot_be_verified() -> None:
    with _failure(CapsFailure.LEGACY, "legacy", "'hash'"):
        verify(Caps(node="http://quill.example", ver="0.9.1"), SIMPLE)


@pytest.mark.parametrize("algo", ["md5", "sha3-256", "SHA-1", "sha1", "shake128"])
def test_unsupported_hash_functions(algo: str) -> None:
    with _failure(CapsFailure.UNSUPPORTED_HASH, repr(algo), "sha-1"):
        verify(Caps(hash=algo, node="n", ver=SIMPLE_VER), SIMPLE)
    with _failure(CapsFailure.UNSUPPORTED_HASH, repr(algo)):
        compute_ver(SIMPLE, algo)
    with _failure(CapsFailure.UNSUPPORTED_HASH):
        Caps.for_info(SIMPLE, "n", algo)


def test_mismatch() -> None:
    caps = Caps(hash="sha-1", node="http://quill.example", ver=COMPLEX_VER)
    with _failure(CapsFailure.MISMATCH, SIMPLE_VER, COMPLEX_VER):
        verify(caps, SIMPLE)
    with _failure(CapsFailure.MISMATCH):
        verify(Caps(hash="sha-256", node="n", ver=SIMPLE_VER), SIMPLE)


ILL_FORMED = [
    (InfoQuery(identities=(Identity(category="client", type="pc", name="Q"),) * 2),
     ["identity", "client/pc//Q", "twice"]),
    (InfoQuery(identities=(Identity(category="client", type="pc", lang="en"),
                           Identity(category="client", type="pc", lang="en"))),
     ["client/pc/en/", "twice"]),
    (InfoQuery(features=(Feature(var=MUC), Feature(var="urn:a"), Feature(var=MUC))),
     ["feature", repr(MUC), "twice"]),
    (InfoQuery(forms=(_form("urn:a"), _form("urn:a", Field(var="b")))),
     ["two forms", "'urn:a'"]),
    # A repeated FORM_TYPE counts even when one of the forms is left out of the hash.
    (InfoQuery(forms=(_form("urn:a"), _form("urn:a", hidden=False))),
     ["two forms", "'urn:a'"]),
    (InfoQuery(forms=(Form(type=FormType.RESULT, fields=(
        Field(var="FORM_TYPE", type=FieldType.HIDDEN, values=("urn:a", "urn:b")),)),)),
     ["FORM_TYPE", "different values", "'urn:a'", "'urn:b'"]),
]


@pytest.mark.parametrize(("info", "words"), ILL_FORMED)
def test_ill_formed_answers(info: InfoQuery, words: list[str]) -> None:
    caps = Caps(hash="sha-1", node="n", ver="irrelevant")
    with _failure(CapsFailure.ILL_FORMED, *words):
        verify(caps, info)
    with _failure(CapsFailure.ILL_FORMED):
        check_well_formed(info)
    with _failure(CapsFailure.ILL_FORMED):
        compute_ver(info)


def test_repeated_identical_form_type_value_is_fine() -> None:
    info = InfoQuery(forms=(Form(type=FormType.RESULT, fields=(
        Field(var="FORM_TYPE", type=FieldType.HIDDEN, values=("urn:a", "urn:a")),
        Field(var="f", values=("1",)))),))
    check_well_formed(info)
    assert ver_input(info) == b"urn:a<f<1<"


def test_same_identity_in_two_languages_is_well_formed() -> None:
    check_well_formed(COMPLEX)
    check_well_formed(InfoQuery(identities=(Identity(category="a", type="b", lang="en"),
                                            Identity(category="a", type="b"))))


def test_caps_error_is_a_parse_error_with_a_condition() -> None:
    cases = {
        CapsFailure.LEGACY: (Caps(node="n", ver="1"), SIMPLE, "feature-not-implemented"),
        CapsFailure.UNSUPPORTED_HASH: (Caps(hash="md5", node="n", ver="v"), SIMPLE,
                                       "feature-not-implemented"),
        CapsFailure.ILL_FORMED: (Caps(hash="sha-1", node="n", ver="v"), ILL_FORMED[0][0],
                                 "bad-request"),
        CapsFailure.MISMATCH: (Caps(hash="sha-1", node="n", ver="v"), SIMPLE,
                               "not-acceptable"),
    }
    for reason, (caps, info, condition) in cases.items():
        with pytest.raises(ParseError) as caught:
            verify(caps, info)
        error = caught.value
        assert isinstance(error, CapsError)
        assert error.reason is reason
        assert error.condition == condition
        assert not error.stream
