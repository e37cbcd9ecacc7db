"""The XSDs in ``schemas/``: they load in both engines, the catalog is consistent, and
instance documents get the same verdict from libxml2 and from xmlschema.

The instance documents below are written for these tests; none is taken from a spec.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
XS = "http://www.w3.org/2001/XMLSchema"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ALL_XSD = sorted(p.name for p in SCHEMA_DIR.glob("*.xsd"))
CATALOG = json.loads((SCHEMA_DIR / "catalog.json").read_text("utf-8"))

# Files without a target namespace that exist only to be included ("chameleon").
CHAMELEONS = {"stanza-common.xsd", "common-types.xsd"}
STANZA_NAMESPACES = ("jabber:client", "jabber:server", "jabber:component:accept")

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                         remove_blank_text=False)


def parse(text: str) -> etree._Element:
    return etree.fromstring(text.encode("utf-8"), PARSER)


def xsd_root(name: str) -> etree._Element:
    return etree.parse(str(SCHEMA_DIR / name), PARSER).getroot()


def import_all_source() -> str:
    """An in-memory XSD importing every catalog namespace by absolute file URI, the way
    the library's validator builds its combined schema."""
    imports = "".join(
        f'<xs:import namespace="{entry["namespace"]}" '
        f'schemaLocation="{(SCHEMA_DIR / entry["file"]).as_uri()}"/>'
        for entry in CATALOG
    )
    return f'<xs:schema xmlns:xs="{XS}">{imports}</xs:schema>'


# ---------------------------------------------------------------- engines, cached

@pytest.fixture(scope="module")
def libxml2_catalog() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(import_all_source().encode()))


def load_xmlschema(source: str, **options: Any) -> Any:
    """xmlschema without its bundled "fallback" schemas. By default it imports, in the
    middle of validating, schemas it ships for well-known namespaces it meets in the
    document (XHTML, XML Signature, XML Encryption, ...) and then checks those elements
    strictly, where libxml2 only knows the catalog and lets them through laxly; the
    verdicts of the two engines then differ on, e.g., XHTML-IM bodies."""
    return xmlschema.XMLSchema10(source, use_fallback=False, **options)


@pytest.fixture(scope="module")
def xmlschema_catalog() -> Any:
    return load_xmlschema(import_all_source(), base_url=str(SCHEMA_DIR))


def libxml2_verdict(schema: etree.XMLSchema, text: str) -> tuple[bool, str]:
    ok = schema.validate(parse(text))
    return ok, "" if ok else str(schema.error_log)


def xmlschema_verdict(schema: Any, text: str) -> tuple[bool, str]:
    errors = list(schema.iter_errors(parse(text)))
    return not errors, (errors[0].reason or str(errors[0])) if errors else ""


# ------------------------------------------------------------- the files themselves

@pytest.mark.parametrize("name", ALL_XSD)
def test_xsd_loads_in_libxml2(name: str) -> None:
    etree.XMLSchema(etree.parse(str(SCHEMA_DIR / name), PARSER))


@pytest.mark.parametrize("name", ALL_XSD)
def test_xsd_loads_in_xmlschema_with_meta_validation(name: str) -> None:
    path = str(SCHEMA_DIR / name)
    meta = xmlschema.XMLSchema10.meta_schema
    assert meta is not None
    if not meta.built:
        meta.build()
    meta.validate(path)
    # A warning here would mean a content model too deep for xmlschema to check it is
    # deterministic (the any-order models nest a group per state).
    with warnings.catch_warnings():
        warnings.simplefilter("error", xmlschema.exceptions.XMLSchemaWarning)
        load_xmlschema(path, validation="strict")


@pytest.mark.parametrize("name", ALL_XSD)
def test_xsd_says_what_it_follows(name: str) -> None:
    root = xsd_root(name)
    docs = root.findall(f"{{{XS}}}annotation/{{{XS}}}documentation")
    text = " ".join(str(chunk) for d in docs for chunk in d.itertext())
    assert len(text.split()) >= 15, f"{name} needs a real xs:documentation"
    if name not in {"xml.xsd", "catalog.xsd", "common-types.xsd"}:
        assert "XEP-" in text or "RFC " in text, f"{name} should cite its XEP or RFC"


@pytest.mark.parametrize("name", ALL_XSD)
def test_xsd_references_only_local_files(name: str) -> None:
    """Nothing is ever fetched: every schemaLocation names a sibling file."""
    root = xsd_root(name)
    for el in root.iter(f"{{{XS}}}import", f"{{{XS}}}include", f"{{{XS}}}redefine"):
        location = el.get("schemaLocation")
        assert location, f"{name}: import without schemaLocation"
        assert "/" not in location and ":" not in location, location
        assert (SCHEMA_DIR / location).is_file(), location
    assert not list(root.iter(f"{{{XS}}}redefine"))


# ------------------------------------------------------------------------ catalog

def test_catalog_json_entries_are_well_formed() -> None:
    assert isinstance(CATALOG, list) and CATALOG
    namespaces = [entry["namespace"] for entry in CATALOG]
    assert len(namespaces) == len(set(namespaces))
    for entry in CATALOG:
        assert set(entry) == {"namespace", "file", "xep", "rfc", "title"}, entry
        assert entry["xep"] is None or (isinstance(entry["xep"], int) and entry["xep"] > 0)
        assert entry["rfc"] is None or (isinstance(entry["rfc"], int) and entry["rfc"] > 0)
        assert isinstance(entry["title"], str) and entry["title"].strip()
        assert (SCHEMA_DIR / entry["file"]).is_file(), entry["file"]
        target = xsd_root(entry["file"]).get("targetNamespace")
        assert target == entry["namespace"], entry["file"]


def test_catalog_covers_every_namespace_schema() -> None:
    listed = {entry["file"] for entry in CATALOG}
    for name in ALL_XSD:
        target = xsd_root(name).get("targetNamespace")
        if target is None:
            assert name in CHAMELEONS | {"catalog.xsd"}, f"{name} has no target namespace"
        else:
            assert name in listed, f"{name} ({target}) is missing from catalog.json"


def test_catalog_xsd_imports_the_same_namespaces_as_catalog_json() -> None:
    root = xsd_root("catalog.xsd")
    assert root.get("targetNamespace") is None
    imported = [(el.get("namespace"), el.get("schemaLocation"))
                for el in root.iter(f"{{{XS}}}import")]
    assert sorted(imported) == sorted((e["namespace"], e["file"]) for e in CATALOG)
    assert not list(root.iter(f"{{{XS}}}element"))


def test_chameleon_files_are_included_not_imported() -> None:
    included: set[str] = set()
    for name in ALL_XSD:
        root = xsd_root(name)
        included.update(el.get("schemaLocation") or "" for el in root.iter(f"{{{XS}}}include"))
        imported = {el.get("schemaLocation") for el in root.iter(f"{{{XS}}}import")}
        assert not imported & CHAMELEONS, name
    assert included >= CHAMELEONS


def test_catalog_xsd_loads_in_both_engines() -> None:
    path = str(SCHEMA_DIR / "catalog.xsd")
    etree.XMLSchema(etree.parse(path, PARSER))
    load_xmlschema(path)


def test_import_all_schema_loads_in_both_engines(
        libxml2_catalog: etree.XMLSchema, xmlschema_catalog: Any) -> None:
    declared = {str(name) for name in xmlschema_catalog.maps.elements}
    for entry in CATALOG:
        if entry["namespace"] == XML_NS:
            continue
        assert any(name.startswith(f"{{{entry['namespace']}}}") for name in declared), entry


def test_chameleon_include_gives_each_stanza_namespace_its_own_declarations(
        xmlschema_catalog: Any) -> None:
    elements = {str(name) for name in xmlschema_catalog.maps.elements}
    types = {str(name) for name in xmlschema_catalog.maps.types}
    for ns in STANZA_NAMESPACES:
        for local in ("message", "presence", "iq", "error", "body", "thread", "show"):
            assert f"{{{ns}}}{local}" in elements
        assert f"{{{ns}}}Jid" in types
    assert "message" not in elements  # nothing leaks into "no namespace"
    assert "{jabber:component:accept}handshake" in elements
    assert "{jabber:client}handshake" not in elements


@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint is not installed")
def test_xmllint_validates_with_catalog_xsd(tmp_path: Path) -> None:
    good = tmp_path / "good.xml"
    good.write_text("<iq xmlns='jabber:client' type='get' id='p1'>"
                    "<ping xmlns='urn:xmpp:ping'/></iq>")
    bad = tmp_path / "bad.xml"
    bad.write_text("<iq xmlns='jabber:client' type='get' id='p1'>"
                   "<ping xmlns='urn:xmpp:ping'>boo</ping></iq>")
    schema = str(SCHEMA_DIR / "catalog.xsd")
    run = [shutil.which("xmllint") or "xmllint", "--noout", "--nonet", "--schema", schema]
    assert subprocess.run([*run, str(good)], capture_output=True).returncode == 0
    assert subprocess.run([*run, str(bad)], capture_output=True).returncode != 0


# ------------------------------------------------------------- instance documents

C = "xmlns='jabber:client'"
ERR = "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'"
INFO = "xmlns='http://jabber.org/protocol/disco#info'"
ITEMS = "xmlns='http://jabber.org/protocol/disco#items'"
XDATA = "xmlns='jabber:x:data'"
CMD = "xmlns='http://jabber.org/protocol/commands'"
RSM = "xmlns='http://jabber.org/protocol/rsm'"
CAPS = "xmlns='http://jabber.org/protocol/caps'"
PING = "xmlns='urn:xmpp:ping'"


def iq(payload: str, kind: str = "result", ns: str = C) -> str:
    return (f"<iq {ns} type='{kind}' id='q7' from='lighthouse.example' "
            f"to='keeper@lighthouse.example/lamp'>{payload}</iq>")


def form(body: str, kind: str = "form") -> str:
    return f"<x {XDATA} type='{kind}'>{body}</x>"


EVERY_FIELD_TYPE = form(
    "<title>Harbour settings</title>"
    "<instructions>Fill in what you know.</instructions>"
    "<instructions>Leave the rest blank.</instructions>"
    "<field var='FORM_TYPE' type='hidden'><value>urn:example:harbour</value></field>"
    "<field type='fixed'><value>General</value></field>"
    "<field var='open' type='boolean' label='Open at night'><value>1</value></field>"
    "<field var='keepers' type='jid-multi'><value>a@harbour.example</value>"
    "<value>b@harbour.example</value></field>"
    "<field var='owner' type='jid-single'><required/><value>c@harbour.example</value>"
    "</field>"
    "<field var='boats' type='list-multi'><desc>Which boats may moor</desc>"
    "<option label='Rowing'><value>row</value></option>"
    "<option label='Sailing'><value>sail</value></option>"
    "<value>row</value><value>sail</value></field>"
    "<field var='tide' type='list-single'><value>high</value>"
    "<option label='High'><value>high</value></option>"
    "<option label='Low'><value>low</value></option></field>"
    "<field var='notes' type='text-multi'><value>line one</value><value>line two</value>"
    "</field>"
    "<field var='code' type='text-private'><value>s3cret</value></field>"
    "<field var='name' type='text-single' label='Name'><value>North pier</value></field>"
    "<field var='untyped'><value/></field>"
)

SEARCH_RESULT = form(
    "<title>Found boats</title>"
    "<reported><field var='name' label='Name' type='text-single'/>"
    "<field var='berth' label='Berth' type='text-single'/></reported>"
    "<item><field var='name'><value>Gull</value></field>"
    "<field var='berth'><value>4</value></field></item>"
    "<item><field var='name'><value>Tern</value></field>"
    "<field var='berth'><value/></field></item>",
    "result",
)

VALID: list[Any] = [
    # stanzas
    pytest.param(f"<message {C} to='a@b.example' type='chat' id='m1' xml:lang='en'>"
                 "<subject>Tides</subject><body>High at noon.</body>"
                 "<body xml:lang='de'>Hochwasser mittags.</body>"
                 "<thread parent='t0'>t1</thread></message>", id="message-basic"),
    pytest.param(f"<message {C}><active xmlns='http://jabber.org/protocol/chatstates'/>"
                 "<body>ext before body</body><thread>t9</thread>"
                 "<x xmlns='urn:example:unknown'><anything at='all'/></x></message>",
                 id="message-any-child-order"),
    pytest.param(f"<message {C}/>", id="message-empty"),
    pytest.param(f"<presence {C}/>", id="presence-empty"),
    pytest.param(f"<presence {C} xml:lang='en'><show>dnd</show><status>Busy</status>"
                 "<status xml:lang='fr'>Occupé</status><priority>-5</priority>"
                 f"<c {CAPS} hash='sha-1' node='https://client.example/app' "
                 "ver='Rc2yP0S1tT+Q8bNW/AxBjw5Nff8='/></presence>", id="presence-full"),
    pytest.param(f"<presence {C}><priority>127</priority><status>x</status>"
                 "<show>xa</show></presence>", id="presence-priority-before-show"),
    pytest.param(f"<presence {C} type='subscribe' to='a@b.example'/>",
                 id="presence-subscribe"),
    pytest.param(f"<presence {C} type='error'><error type='wait'>"
                 f"<remote-server-timeout {ERR}/></error></presence>",
                 id="presence-error"),
    pytest.param(iq(""), id="iq-empty-result"),
    pytest.param(iq(f"<ping {PING}/>", "get"), id="ping"),
    pytest.param(f"<ping {PING}/>", id="ping-alone"),
    pytest.param(iq(f"<ping {PING}/>", "get", "xmlns='jabber:server'"), id="ping-s2s"),
    pytest.param(iq(f"<ping {PING}/>", "get", "xmlns='jabber:component:accept'"),
                 id="ping-component"),
    pytest.param("<handshake xmlns='jabber:component:accept'>"
                 "3b5e1d0a3c4f8e9b2a6d7c0f1e2d3c4b5a697887</handshake>",
                 id="handshake"),
    pytest.param("<handshake xmlns='jabber:component:accept'/>", id="handshake-ack"),
    pytest.param("<handshake xmlns='jabber:component:accept'>"
                 "3B5E1D0A3C4F8E9B2A6D7C0F1E2D3C4B5A697887</handshake>",
                 id="handshake-upper-case"),
    pytest.param("<handshake xmlns='jabber:component:connect'/>", id="handshake-connect"),
    # stanza errors
    pytest.param(iq(f"<ping {PING}/><error type='cancel' by='lighthouse.example'>"
                    f"<service-unavailable {ERR}/>"
                    f"<text {ERR} xml:lang='en'>No pings today.</text>"
                    "<reason xmlns='urn:example:app'/></error>", "error"),
                 id="error-reply-full"),
    pytest.param(iq(f"<error type='modify'><bad-request {ERR}/>"
                    f"<bad-sessionid {CMD}/></error>", "error"),
                 id="error-with-command-condition"),
    pytest.param(iq(f"<error type='cancel'><gone {ERR}>xmpp:new@place.example</gone>"
                    "</error>", "error"), id="error-gone-with-uri"),
    pytest.param(iq(f"<error type='modify'><redirect {ERR}/></error>", "error"),
                 id="error-redirect-empty"),
    pytest.param(iq(f"<error type='auth' code='401'><not-authorized {ERR}/></error>",
                    "error"), id="error-legacy-code"),
    # any order among the stanza's counted children and the error's parts
    pytest.param(f"<message {C} type='error'><error type='cancel'><gone {ERR}/>"
                 "</error><body>late</body></message>", id="message-error-before-body"),
    pytest.param(iq(f"<error type='cancel'><text {ERR}>why</text><conflict {ERR}/>"
                    "</error>", "error"), id="error-text-before-condition"),
    pytest.param(iq(f"<error type='cancel'><conflict {ERR}/><a xmlns='urn:x:a'/>"
                    f"<text {ERR}>why</text></error>", "error"),
                 id="error-text-after-app-condition"),
    pytest.param(iq(f"<error type='cancel'><a xmlns='urn:x:a'/><text {ERR}>why</text>"
                    f"<conflict {ERR}/></error><ping {PING}/>", "error"),
                 id="error-first-app-condition-and-payload-after"),
    pytest.param(f"<presence {C} type='error'><error type='wait'><remote-server-timeout {ERR}/>"
                 "</error><priority>1</priority><status/><show>xa</show></presence>",
                 id="presence-error-first"),
    pytest.param(f"<message {C} type='error'><body>a</body><error type='cancel'><gone {ERR}/>"
                 "</error><thread>t</thread><body xml:lang='de'>b</body></message>",
                 id="message-error-between-children"),
    # disco
    pytest.param(iq(f"<query {INFO}/>", "get"), id="disco-info-get"),
    pytest.param(iq(f"<query {INFO} node='urn:example:node'>"
                    "<identity category='client' type='pc' name='Lamp' xml:lang='en'/>"
                    "<feature var='http://jabber.org/protocol/disco#info'/>"
                    "<identity category='automation' type='command-list'/>"
                    "<feature var='urn:xmpp:ping'/>"
                    + form("<field var='FORM_TYPE' type='hidden'>"
                           "<value>urn:example:info</value></field>", "result")
                    + "</query>"), id="disco-info-result-interleaved-with-form"),
    pytest.param(iq(f"<query {ITEMS} node='boats'>"
                    "<item jid='harbour.example' node='boats/gull' name='Gull'/>"
                    "<item jid='tern@harbour.example/deck'/>"
                    f"<set {RSM}><first index='0'>gull</first><last>tern</last>"
                    "<count>40</count></set></query>"), id="disco-items-rsm-page"),
    pytest.param(iq(f"<query {ITEMS}/>"), id="disco-items-empty"),
    # data forms
    pytest.param(EVERY_FIELD_TYPE, id="form-every-field-type"),
    pytest.param(SEARCH_RESULT, id="form-reported-items"),
    pytest.param(form("<instructions>a</instructions><title>t</title>"
                      "<instructions>b</instructions>"), id="form-title-among-instructions"),
    pytest.param(form("", "cancel"), id="form-cancel"),
    # children in any order, each count kept
    pytest.param(form("<field var='a'><value>x</value><desc>late</desc></field>"),
                 id="form-field-desc-after-value"),
    pytest.param(form("<field var='a'/><title>late</title>"), id="form-title-after-fields"),
    pytest.param(form("<item><field var='a'/></item><instructions>i</instructions>"
                      "<reported><field var='a'/></reported><title>t</title>"
                      "<item><field var='a'/></item>", "result"),
                 id="form-item-before-reported"),
    pytest.param(form("<field var='a' type='list-single'><option><value>1</value></option>"
                      "<required/><value>1</value><desc>d</desc></field>"),
                 id="form-field-required-desc-anywhere"),
    pytest.param(form("<field var='when' type='text-single'>"
                      "<validate xmlns='http://jabber.org/protocol/xdata-validate' "
                      "datatype='xs:dateTime'/><value>2024-01-01T00:00:00Z</value>"
                      "<media xmlns='urn:xmpp:media-element'/></field>", "form"),
                 id="form-field-extensions"),
    # commands
    pytest.param(iq(f"<command {CMD} node='reboot' action='execute' xml:lang='en'/>",
                    "set"), id="command-execute"),
    pytest.param(iq(f"<command {CMD} node='reboot' sessionid='s1' status='executing'>"
                    "<actions execute='next'><next/><prev/></actions>"
                    + form("<field var='delay' type='text-single'/>")
                    + "<note type='warn'>The lamp will go dark.</note></command>"),
                 id="command-actions-form-note"),
    pytest.param(iq(f"<command {CMD} node='reboot' sessionid='s1' status='completed'>"
                    "<note>Done.</note><actions/></command>"), id="command-completed"),
    # rsm
    pytest.param(f"<set {RSM}><max>10</max><after>uid-9</after></set>",
                 id="rsm-request-next"),
    pytest.param(f"<set {RSM}><max>5</max><before/></set>", id="rsm-request-last"),
    pytest.param(f"<set {RSM}><index>0</index><max>0</max></set>", id="rsm-count-only"),
    # caps
    pytest.param(f"<c {CAPS} hash='sha-256' node='https://client.example' "
                 "ver='abc=' ext='voice video'/>", id="caps-with-ext"),
    # values on which libxml2 and xmlschema would disagree if typed xs:anyURI
    pytest.param(f"<c {CAPS} hash='sha-1' node='http://[odd%zz' ver='x'/>",
                 id="caps-node-is-not-checked-as-uri"),
    # the legacy format (before XEP-0115 1.4): no hash, and ver a software version
    pytest.param(f"<c {CAPS} node='https://client.example' ver='1.2'/>",
                 id="caps-legacy-without-hash"),
    pytest.param(iq(f"<error type='cancel'><redirect {ERR}>xmpp:a@b?join;x=%</redirect>"
                    "</error>", "error"), id="error-redirect-not-checked-as-uri"),
]

INVALID: list[Any] = [
    # stanzas
    pytest.param(f"<message {C} type='shout'/>", id="message-bad-type"),
    pytest.param(f"<message {C}><thread>a</thread><thread>b</thread></message>",
                 id="message-two-threads"),
    pytest.param(f"<message {C}><body>hi<b>bold</b></body></message>",
                 id="message-body-with-child"),
    pytest.param(f"<message {C}><html/></message>", id="message-unknown-own-namespace"),
    pytest.param(f"<message {C}><x xmlns=''/></message>", id="message-unqualified-child"),
    pytest.param(f"<message {C} xml:lang='not a tag'/>", id="message-bad-lang"),
    pytest.param(f"<message {C} to=''/>", id="message-empty-to"),
    pytest.param(f"<presence {C} type='available'/>", id="presence-type-available"),
    pytest.param(f"<presence {C}><show>busy</show></presence>", id="presence-bad-show"),
    pytest.param(f"<presence {C}><show>away</show><show>dnd</show></presence>",
                 id="presence-two-shows"),
    pytest.param(f"<presence {C}><priority>128</priority></presence>",
                 id="presence-priority-out-of-range"),
    pytest.param(f"<presence {C}><priority>1</priority><status/><priority>2</priority>"
                 "</presence>", id="presence-two-priorities"),
    pytest.param(f"<iq {C} type='get'><ping {PING}/></iq>", id="iq-without-id"),
    pytest.param(f"<iq {C} id='x'><ping {PING}/></iq>", id="iq-without-type"),
    pytest.param(f"<iq {C} id='x' type='poll'/>", id="iq-bad-type"),
    pytest.param(iq(f"<ping {PING}>are you there</ping>", "get"), id="ping-with-text"),
    pytest.param(iq(f"<ping {PING} seq='1'/>", "get"), id="ping-with-attribute"),
    pytest.param("<handshake xmlns='jabber:component:accept'>"
                 "3g5e1d0a3c4f8e9b2a6d7c0f1e2d3c4b5a697887</handshake>",
                 id="handshake-not-hex"),
    pytest.param("<handshake xmlns='jabber:component:accept'>"
                 "3b5e1d0a3c4f8e9b2a6d7c0f1e2d3c4b5a69788</handshake>",
                 id="handshake-39-digits"),
    pytest.param("<handshake xmlns='jabber:client'/>", id="handshake-in-client"),
    # stanza errors
    pytest.param(iq("<error type='cancel'/>", "error"), id="error-without-condition"),
    pytest.param(iq(f"<error><conflict {ERR}/></error>", "error"), id="error-without-type"),
    pytest.param(iq(f"<error type='fatal'><conflict {ERR}/></error>", "error"),
                 id="error-bad-type"),
    pytest.param(iq(f"<error type='cancel'><conflict {ERR}/><forbidden {ERR}/></error>",
                    "error"), id="error-two-conditions"),
    pytest.param(iq(f"<error type='cancel'><payment-required {ERR}/></error>", "error"),
                 id="error-unknown-condition"),
    pytest.param(iq(f"<error type='cancel'><conflict {ERR}/><a xmlns='urn:x:a'/>"
                    "<b xmlns='urn:x:b'/></error>", "error"), id="error-two-app-conditions"),
    pytest.param(iq(f"<error type='cancel'><conflict {ERR}>text</conflict></error>",
                    "error"), id="error-condition-with-text"),
    pytest.param(iq(f"<error type='modify'><bad-request {ERR}/>"
                    f"<bad-locale {CMD}>fr</bad-locale></error>", "error"),
                 id="error-app-condition-checked"),
    pytest.param(iq(f"<error type='cancel'><text {ERR}>a</text><conflict {ERR}/>"
                    f"<text {ERR}>b</text></error>", "error"), id="error-two-texts-around"),
    pytest.param(iq(f"<error type='cancel'><a xmlns='urn:x:a'/><conflict {ERR}/>"
                    "<b xmlns='urn:x:b'/></error>", "error"), id="error-two-app-conditions-around"),
    pytest.param(iq(f"<error type='cancel'><text {ERR}>a</text><a xmlns='urn:x:a'/></error>",
                    "error"), id="error-text-and-app-without-condition"),
    pytest.param(f"<presence {C} type='error'><error type='wait'><remote-server-timeout {ERR}/>"
                 f"</error><show>xa</show><error type='wait'><gone {ERR}/></error></presence>",
                 id="presence-two-errors"),
    pytest.param(f"<message {C} type='error'><error type='cancel'><gone {ERR}/></error>"
                 f"<thread>a</thread><thread>b</thread></message>", id="message-error-two-threads"),
    pytest.param(iq(f"<error type='cancel'><gone {ERR}/></error><ping {PING}/>"
                    f"<error type='cancel'><gone {ERR}/></error>", "error"), id="iq-two-errors"),
    # disco
    pytest.param(iq(f"<query {INFO}><identity type='pc'/></query>"),
                 id="disco-identity-without-category"),
    pytest.param(iq(f"<query {INFO}><identity category='client'/></query>"),
                 id="disco-identity-without-type"),
    pytest.param(iq(f"<query {INFO}><identity category='' type='pc'/></query>"),
                 id="disco-identity-empty-category"),
    pytest.param(iq(f"<query {INFO}><feature/></query>"), id="disco-feature-without-var"),
    pytest.param(iq(f"<query {INFO}><feature var='a'><x xmlns='urn:x'/></feature></query>"),
                 id="disco-feature-with-child"),
    pytest.param(iq(f"<query {INFO} node=''/>"), id="disco-info-empty-node"),
    pytest.param(iq(f"<query {INFO}><feature var='a'/>"
                    + form("<field var='v'><value>1</value><value/></field>", "bogus")
                    + "</query>"), id="disco-info-extension-form-checked"),
    pytest.param(iq(f"<query {ITEMS}><item name='no jid'/></query>"),
                 id="disco-item-without-jid"),
    pytest.param(iq(f"<query {ITEMS}><item jid='a.example'>text</item></query>"),
                 id="disco-item-with-text"),
    pytest.param(iq(f"<query {ITEMS}><set {RSM}><max>-1</max></set></query>"),
                 id="disco-items-rsm-checked"),
    # data forms
    pytest.param(f"<x {XDATA}/>", id="form-without-type"),
    pytest.param(form("", "error"), id="form-type-error"),
    pytest.param(form("<title>a</title><title>b</title>"), id="form-two-titles"),
    pytest.param(form("<field var='a' type='date'/>"), id="form-unknown-field-type"),
    pytest.param(form("<field var='a'><desc>x</desc><desc>y</desc></field>"),
                 id="form-field-two-descs"),
    pytest.param(form("<field var='a'><required>yes</required></field>"),
                 id="form-required-not-empty"),
    pytest.param(form("<field var='a' type='list-single'><option label='x'/></field>"),
                 id="form-option-without-value"),
    pytest.param(form("<field var='a' type='list-single'><option><value>1</value>"
                      "<value>2</value></option></field>"), id="form-option-two-values"),
    pytest.param(form("<field var='a'><value><b/></value></field>"),
                 id="form-value-with-child"),
    pytest.param(form("<reported><field var='a'/></reported><field var='b'/>", "result"),
                 id="form-fields-beside-reported"),
    pytest.param(form("<reported/>", "result"), id="form-reported-without-fields"),
    pytest.param(form("<item><field var='a'/></item><title>t</title>", "result"),
                 id="form-items-without-reported"),
    pytest.param(form("<reported><field var='a'/></reported><title>t</title>"
                      "<reported><field var='a'/></reported>", "result"),
                 id="form-two-reported"),
    pytest.param(form("<field var='a'><required/><value>x</value><required/></field>"),
                 id="form-field-two-required"),
    pytest.param(form("<unknown/>"), id="form-unknown-own-element"),
    # commands
    pytest.param(iq(f"<command {CMD} action='execute'/>", "set"),
                 id="command-without-node"),
    pytest.param(iq(f"<command {CMD} node='n' sessionid=''/>", "set"),
                 id="command-empty-sessionid"),
    pytest.param(iq(f"<command {CMD} node='n' action='run'/>", "set"),
                 id="command-bad-action"),
    pytest.param(iq(f"<command {CMD} node='n' status='done'/>"), id="command-bad-status"),
    pytest.param(iq(f"<command {CMD} node='n'><actions><finish/></actions></command>"),
                 id="command-unknown-action-child"),
    pytest.param(iq(f"<command {CMD} node='n'><actions><next/><next/></actions>"
                    "</command>"), id="command-action-twice"),
    pytest.param(iq(f"<command {CMD} node='n'><actions execute='jump'/></command>"),
                 id="command-bad-execute"),
    pytest.param(iq(f"<command {CMD} node='n'><actions/><note/><actions/></command>"),
                 id="command-two-actions"),
    pytest.param(iq(f"<command {CMD} node='n'><note type='fatal'>x</note></command>"),
                 id="command-bad-note-type"),
    pytest.param(iq(f"<command {CMD} node='n'>"
                    + form("<field var='a' type='nonsense'/>", "submit")
                    + "</command>", "set"), id="command-payload-form-checked"),
    # rsm
    pytest.param(f"<set {RSM}><max>10</max><max>20</max></set>", id="rsm-max-twice"),
    pytest.param(f"<set {RSM}><count>many</count></set>", id="rsm-count-not-a-number"),
    pytest.param(f"<set {RSM}><first index='-1'>a</first></set>", id="rsm-negative-index"),
    pytest.param(f"<set {RSM}><page>2</page></set>", id="rsm-unknown-child"),
    # caps
    pytest.param(f"<c {CAPS} hash='sha-1' ver='abc='/>", id="caps-without-node"),
    pytest.param(f"<c {CAPS} hash='sha-1' node='https://client.example' ver=''/>",
                 id="caps-empty-ver"),
    pytest.param(f"<c {CAPS} hash='sha 1' node='https://client.example' ver='x'/>",
                 id="caps-hash-with-space"),
    # non-ASCII name characters, where the engines' NMTOKEN rules differ
    pytest.param(f"<c {CAPS} hash='sha-1' node='n' ver='x' ext='a \u2070'/>",
                 id="caps-ext-non-ascii"),
    pytest.param(f"<c {CAPS} hash='sha-1' node='n' ver='x' ext=''/>", id="caps-ext-empty"),
]

@pytest.fixture(params=["libxml2", "xmlschema"])
def engine(request: pytest.FixtureRequest, libxml2_catalog: etree.XMLSchema,
           xmlschema_catalog: Any) -> Callable[[str], tuple[bool, str]]:
    if request.param == "libxml2":
        return lambda text: libxml2_verdict(libxml2_catalog, text)
    return lambda text: xmlschema_verdict(xmlschema_catalog, text)


@pytest.mark.parametrize("text", VALID)
def test_valid_documents(engine: Callable[[str], tuple[bool, str]], text: str) -> None:
    ok, message = engine(text)
    assert ok, message


@pytest.mark.parametrize("text", INVALID)
def test_invalid_documents(engine: Callable[[str], tuple[bool, str]], text: str) -> None:
    ok, _ = engine(text)
    assert not ok


# ------------------------------------------------------- lax where open, deep where known

UNKNOWN_EXTENSIONS = [
    f"<message {C}><body>x</body><z xmlns='urn:example:zzz' q='1'><deep>text</deep></z>"
    "</message>",
    f"<presence {C}><z xmlns='urn:example:zzz'/><show>away</show></presence>",
    iq("<query xmlns='jabber:iq:unknown-here'><anything/></query>", "get"),
    # Namespaces for which xmlschema bundles schemas of its own (see load_xmlschema):
    f"<message {C}><body>hi</body><html xmlns='http://jabber.org/protocol/xhtml-im'>"
    "<body xmlns='http://www.w3.org/1999/xhtml'><p><blink>hi</blink></p></body></html>"
    "</message>",
    iq("<archive xmlns='urn:example:archive'>"
       "<Signature xmlns='http://www.w3.org/2000/09/xmldsig#'><SignatureValue>not base64!"
       "</SignatureValue></Signature></archive>", "set"),
]


@pytest.mark.parametrize("text", UNKNOWN_EXTENSIONS)
def test_unknown_extension_namespaces_are_accepted(
        engine: Callable[[str], tuple[bool, str]], text: str) -> None:
    ok, message = engine(text)
    assert ok, message


BROKEN_IDENTITY = iq(f"<query {INFO}><identity type='pc' name='no category'/></query>")


def test_known_payload_is_checked_deeply_by_libxml2(
        libxml2_catalog: etree.XMLSchema) -> None:
    assert not libxml2_catalog.validate(parse(BROKEN_IDENTITY))
    assert "category" in str(libxml2_catalog.error_log)


def test_payload_is_lax_when_its_schema_is_not_loaded() -> None:
    """With only the stanza schema, disco#info is an unknown extension and passes."""
    stanza_only = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "client-stanzas.xsd"),
                                              PARSER))
    assert stanza_only.validate(parse(BROKEN_IDENTITY))
    assert load_xmlschema(str(SCHEMA_DIR / "client-stanzas.xsd")).is_valid(
        parse(BROKEN_IDENTITY))


def test_known_payload_is_checked_below_an_unknown_wrapper(
        engine: Callable[[str], tuple[bool, str]]) -> None:
    text = iq(f"<query xmlns='jabber:iq:search'><set {RSM}><max>ten</max></set></query>",
              "set")
    assert not engine(text)[0]


# ------------------------------------------------------------ the shared stanza model

@pytest.mark.parametrize("ns", STANZA_NAMESPACES)
def test_shared_stanzas_work_in_every_stream_namespace(
        engine: Callable[[str], tuple[bool, str]], ns: str) -> None:
    decl = f"xmlns='{ns}'"
    assert engine(f"<message {decl}><body>hi</body><thread>t</thread></message>")[0]
    assert engine(f"<presence {decl}><show>chat</show></presence>")[0]
    assert engine(iq(f"<ping {PING}/>", "get", decl))[0]
    assert not engine(f"<iq {decl} type='get'/>")[0]
    # "##other" means other than the including namespace, not other than "no namespace":
    assert not engine(f"<message {decl}><unknown/></message>")[0]
    assert not engine(f"<presence {decl}><show>nap</show></presence>")[0]


def test_stanza_namespaces_do_not_mix(engine: Callable[[str], tuple[bool, str]]) -> None:
    # A jabber:client body in a jabber:server message is an extension element, checked
    # against its own (jabber:client) declaration.
    assert engine("<message xmlns='jabber:server'><body xmlns='jabber:client'>x</body>"
                  "</message>")[0]
    assert not engine("<message xmlns='jabber:server'><body xmlns='jabber:client'>"
                      "<b/></body></message>")[0]
    assert engine("<message xmlns='jabber:server'><body>x</body></message>")[0]


@pytest.mark.parametrize("text", [*VALID, *INVALID, *UNKNOWN_EXTENSIONS, BROKEN_IDENTITY])
def test_engines_agree(libxml2_catalog: etree.XMLSchema, xmlschema_catalog: Any,
                       text: str) -> None:
    assert (libxml2_verdict(libxml2_catalog, text)[0]
            == xmlschema_verdict(xmlschema_catalog, text)[0])


def test_catalog_xsd_and_import_all_give_the_same_verdicts(
        libxml2_catalog: etree.XMLSchema) -> None:
    from_file = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "catalog.xsd"), PARSER))
    for param in [*VALID, *INVALID]:
        text = param.values[0]
        assert from_file.validate(parse(text)) == libxml2_catalog.validate(parse(text)), \
            param.id
