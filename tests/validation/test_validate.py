"""xepcodec.validate: the whole stanza, every nested namespace, never raising."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xepcodec
from xepcodec.validation import Catalog, default_catalog

INFO = "http://jabber.org/protocol/disco#info"


def iq(payload: str, *, kind: str = "result") -> bytes:
    return (f"<iq xmlns='jabber:client' type='{kind}' id='v1' to='a@example.org/r'>"
            f"{payload}</iq>").encode()


def test_a_valid_stanza_with_nested_namespaces() -> None:
    report = xepcodec.validate(iq(
        f"<query xmlns='{INFO}'><identity category='client' type='pc'/>"
        "<feature var='urn:xmpp:ping'/><x xmlns='jabber:x:data' type='result'>"
        "<field var='FORM_TYPE' type='hidden'><value>urn:example</value></field></x></query>"))
    assert report.ok and bool(report)
    assert report.errors == () and report.warnings == ()
    assert report.root == "{jabber:client}iq"


def test_a_schema_error_deep_inside_names_path_line_and_namespace() -> None:
    report = xepcodec.validate(iq(f"<query xmlns='{INFO}'>\n<identity type='pc'/></query>"))
    assert not report.ok
    (error,) = report.errors
    assert "category" in error.message
    assert error.path == "/iq/query/identity"
    assert error.line == 2
    assert error.namespace == INFO


def test_a_nested_data_form_is_checked_too() -> None:
    report = xepcodec.validate(iq(
        f"<query xmlns='{INFO}'><identity category='client' type='pc'/>"
        "<x xmlns='jabber:x:data' type='sideways'/></query>"))
    assert not report.ok
    assert any(e.namespace == "jabber:x:data" for e in report.errors)


def test_rules_beyond_the_schema_come_from_the_model() -> None:
    # The schema cannot say that a get carries exactly one payload; the model can.
    report = xepcodec.validate(iq("", kind="get"))
    assert not report.ok
    assert "exactly one payload" in report.errors[0].message
    assert report.errors[0].condition == "bad-request"


def test_unknown_namespaces_are_warnings_or_under_strict_errors() -> None:
    stanza = iq("<thing xmlns='urn:example:unknown'/>")
    relaxed = xepcodec.validate(stanza)
    assert relaxed.ok
    assert [w.namespace for w in relaxed.warnings] == ["urn:example:unknown"]
    strict = xepcodec.validate(stanza, strict=True)
    assert not strict.ok and strict.errors[0].namespace == "urn:example:unknown"


def test_a_payload_root_validates_on_its_own() -> None:
    assert xepcodec.validate(b"<ping xmlns='urn:xmpp:ping'/>").ok
    assert not xepcodec.validate(b"<ping xmlns='urn:xmpp:ping'>text</ping>").ok


@pytest.mark.parametrize(("data", "condition"), [
    (b"<iq", "not-well-formed"),
    (b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "restricted-xml"),
    (b"\xff\xfe<\x00x\x00/\x00>\x00", "unsupported-encoding"),
    (b"", "not-well-formed"),
])
def test_bad_xml_is_reported_not_raised(data: bytes, condition: str) -> None:
    report = xepcodec.validate(data)
    assert not report.ok
    assert report.errors[0].condition == condition


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_validate_never_raises(data: bytes) -> None:
    report = xepcodec.validate(data)
    assert isinstance(report.ok, bool)


def test_a_user_schema_folder_extends_the_catalog(tmp_path: Path) -> None:
    (tmp_path / "mine.xsd").write_text(
        "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema' targetNamespace='urn:mine' "
        "elementFormDefault='qualified'><xs:element name='thing'><xs:complexType>"
        "<xs:attribute name='size' type='xs:int' use='required'/></xs:complexType>"
        "</xs:element></xs:schema>")
    catalog: Catalog = default_catalog().extended([tmp_path])
    assert "urn:mine" in catalog.namespaces
    good = xepcodec.validate(iq("<thing xmlns='urn:mine' size='3'/>"), catalog=catalog,
                             strict=True)
    assert good.ok, good.errors
    bad = xepcodec.validate(iq("<thing xmlns='urn:mine'/>"), catalog=catalog)
    assert not bad.ok and "size" in bad.errors[0].message
    # A user's schema is checked against the XSD meta-schema when the explaining engine
    # loads it; the shipped ones are checked by tests/validation/test_schemas.py instead.
    assert catalog.xmlschema().validation == "strict"
    assert Catalog(default_catalog().entries[:3]).xmlschema().validation == "skip"


def test_the_fast_and_explaining_engines_agree_on_the_examples() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    for path in examples.glob("*.xml"):
        report = xepcodec.validate(path.read_bytes(), strict=True)
        assert report.ok, (path.name, report.errors)


@pytest.mark.parametrize("data", [
    b"<thing xmlns='urn:example:thing'><inner/></thing>",
    iq("<p:x xmlns:p='urn:example:prefixed'/>"),
])
def test_elements_in_unknown_namespaces_are_always_found(data: bytes) -> None:
    assert xepcodec.validate(data).warnings
    assert not xepcodec.validate(data, strict=True).ok


@pytest.mark.parametrize(("data", "path"), [
    (b"<thing/>", "/thing"),
    (b"<thing><inner/></thing>", "/thing"),
    (b"<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>", "/iq"),
    (iq("<x xmlns=''/>"), "/iq"),
])
def test_elements_in_no_namespace_are_errors(data: bytes, path: str) -> None:
    # RFC 6120 qualifies a stanza by its stream's content namespace and every payload
    # by a namespace of its own; parse refuses such elements too.
    report = xepcodec.validate(data)
    assert not report.ok
    first = report.errors[0]
    assert (first.path, first.condition) == (path, "bad-request")
    assert all(w.namespace is not None for w in report.warnings)


def test_an_unknown_payload_may_hold_unqualified_elements() -> None:
    # What an unknown protocol holds is its own business: parse keeps it raw.
    report = xepcodec.validate(iq("<q xmlns='urn:example:q'><x xmlns=''/></q>"))
    assert report.ok
    assert [w.namespace for w in report.warnings] == ["urn:example:q"]


def test_a_declared_but_unused_unknown_namespace_is_not_reported() -> None:
    report = xepcodec.validate(iq("<ping xmlns='urn:xmpp:ping' xmlns:u='urn:unused'/>"))
    assert report.ok and report.warnings == ()


@pytest.mark.parametrize(("payload", "path"), [
    ("<pingx xmlns='urn:xmpp:ping'/>", "/iq/pingx"),
    ("<y xmlns='jabber:x:data'/>", "/iq/y"),
    ("<query xmlns='http://jabber.org/protocol/disco#info'><x xmlns='jabber:x:data' "
     "type='result'/><y xmlns='jabber:x:data'/></query>", "/iq/query/y"),
])
def test_an_undeclared_element_of_a_known_namespace_is_an_error(payload: str,
                                                                path: str) -> None:
    # Schema wildcards are lax: they skip what they have no declaration for, so a
    # misspelt element of a namespace the catalog knows must be looked for.
    report = xepcodec.validate(iq(payload))
    assert not report.ok
    assert [(e.path, e.condition) for e in report.errors] == [(path, "bad-request")]
    assert report.warnings == ()


def test_every_model_fault_is_reported_with_the_original_paths() -> None:
    report = xepcodec.validate(
        b"<message xmlns='jabber:client' to='@bad'><thread>a</thread><thread>b</thread>"
        b"<thread>c</thread></message>")
    model = [(e.path, e.condition) for e in report.errors if e.path != "/message"]
    assert model == [("/message/@to", "jid-malformed"),
                     ("/message/thread[2]", "bad-request"),
                     ("/message/thread[3]", "bad-request")]


def test_the_model_runs_when_the_schema_fails() -> None:
    # The schema refuses the unknown attribute; the model still finds the bad JID.
    report = xepcodec.validate(iq("<ping xmlns='urn:xmpp:ping' seq='1'/>", kind="get")
                               .replace(b"a@example.org/r", b"a@@example.org"))
    conditions = {e.condition for e in report.errors}
    assert "jid-malformed" in conditions
    assert any(e.path == "/iq/ping" for e in report.errors)


def test_a_fault_that_follows_from_a_cut_is_not_reported() -> None:
    # Cutting the faulty ping leaves the get without a payload: not a second fault.
    report = xepcodec.validate(iq("<ping xmlns='urn:xmpp:ping'>x</ping>", kind="get"),
                               semantic=True)
    assert not any("payload" in e.message for e in report.errors)


def test_reporting_every_model_fault_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from xepcodec.validation import validator

    calls = 0
    real = validator.decode

    def counting(element: object) -> object:
        nonlocal calls
        calls += 1
        return real(element)  # type: ignore[arg-type]

    monkeypatch.setattr(validator, "decode", counting)
    threads = "".join(f"<thread>t{i}</thread>" for i in range(200))
    report = xepcodec.validate(f"<message xmlns='jabber:client'>{threads}</message>".encode())
    model = [e for e in report.errors if e.path != "/message"]
    assert len(model) == validator.MAX_MODEL_ISSUES
    assert calls == validator.MAX_MODEL_ISSUES


def test_what_the_schemas_find_inside_an_unknown_payload_is_a_warning() -> None:
    # parse keeps <query xmlns='jabber:iq:register'/> raw with the form inside it, so the
    # form's fault cannot make the stanza invalid; it is still said, and --strict counts it.
    data = (b"<iq xmlns='jabber:client' type='get' id='1'><query xmlns='jabber:iq:register'>"
            b"<x xmlns='jabber:x:data' type='bogus'/></query></iq>")
    xepcodec.parse(data)
    report = xepcodec.validate(data)
    assert report.ok
    inside = [issue for issue in report.warnings if issue.path == "/iq/query/x"]
    assert len(inside) == 1 and "bogus" in inside[0].message
    assert inside[0].namespace == "jabber:x:data"
    strict = xepcodec.validate(data, strict=True)
    assert {issue.path for issue in strict.errors} == {"/iq/query", "/iq/query/x"}
    # the same form as a payload of its own is an error
    assert not xepcodec.validate(b"<iq xmlns='jabber:client' type='get' id='1'>"
                                 b"<x xmlns='jabber:x:data' type='bogus'/></iq>").ok


def test_validate_tree_leaves_out_only_the_namespaces_already_reported() -> None:
    # What `xepcodec validate` checks each stanza of an input with: the warning for a
    # namespace without a schema is given once per input, so a later stanza need not
    # find and place it again; its elements still count as unknown.
    from lxml import etree

    from xepcodec.validation.validator import no_schema_message, validate_tree

    data = (b"<iq xmlns='jabber:client' type='get' id='1'><query xmlns='jabber:iq:register'>"
            b"<x xmlns='jabber:x:data' type='bogus'/></query>"
            b"<active xmlns='urn:example:elsewhere'/></iq>")
    full = xepcodec.validate(data)
    assert {issue.message for issue in full.warnings} >= {
        no_schema_message("jabber:iq:register"), no_schema_message("urn:example:elsewhere")}
    tree = validate_tree(etree.fromstring(data), default_catalog(),
                         reported={"jabber:iq:register"})
    assert tree.errors == full.errors
    assert tree.warnings == tuple(issue for issue in full.warnings
                                  if issue.message != no_schema_message("jabber:iq:register"))
    # the form's fault inside the unknown payload is still only a warning
    assert any(issue.path == "/iq/query/x" for issue in tree.warnings)
    assert validate_tree(etree.fromstring(data), default_catalog()) == full
