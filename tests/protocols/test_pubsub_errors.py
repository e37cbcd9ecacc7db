"""Tests for xepcodec.protocols.pubsub.errors: XEP-0060's application conditions and
its error cases, built and recognised.

The Prosody replies below are shaped as Prosody 0.12's mod_pubsub answers: its error
table pairs each of its errors with a stanza condition, an error type and, for some,
a pubsub#errors condition, and writes them as written here.
"""

from __future__ import annotations

import pytest
from conftest import SpecStanzas
from lxml import etree

import xepcodec
from xepcodec.core.stanza_errors import Condition, ErrorType, StanzaError
from xepcodec.core.stanzas import Iq, error_reply
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import decode
from xepcodec.protocols.pubsub.core import NS_PUBSUB_ERRORS
from xepcodec.protocols.pubsub.errors import (
    CASES,
    INSTANT_NODES_UNSUPPORTED,
    NODE_FULL,
    NODE_MOVED,
    NODEID_REQUIRED,
    NOT_FOUND,
    NOT_SUBSCRIBED,
    PRECONDITION_NOT_MET,
    SUBSCRIBERS_ONLY,
    UNSUPPORTED,
    ErrorCase,
    PubSubCondition,
    SpecificCondition,
    Unsupported,
    error,
    pubsub_error,
)
from xepcodec.protocols.pubsub.features import Feature

STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
SERVICE = "pubsub.verona.example"


def _reply(error_xml: str) -> Iq:
    iq = xepcodec.parse(
        f"<iq xmlns='jabber:client' type='error' id='p1' from='{SERVICE}'"
        f" to='juliet@verona.example/balcony'>{error_xml}</iq>")
    assert isinstance(iq, Iq)
    return iq


def _extras(case: ErrorCase) -> dict[str, object]:
    if case is UNSUPPORTED:
        return {"feature": Feature.PUBLISH_OPTIONS}
    if case is NODE_MOVED:
        return {"address": f"xmpp:{SERVICE}?;node=balcony-2"}
    return {}


# -- every case, built and recognised --------------------------------------------------


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_each_case_is_built_and_recognised_in_the_reply(case: ErrorCase) -> None:
    request = xepcodec.parse(
        f"<iq xmlns='jabber:client' type='get' id='p1' to='{SERVICE}'"
        " from='juliet@verona.example/balcony'>"
        "<pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='balcony'/></pubsub>"
        "</iq>")
    assert isinstance(request, Iq)
    reply = error_reply(request, error(case, text="refused", **_extras(case)))  # type: ignore[arg-type]
    data = xepcodec.serialize(reply)
    # What the builder writes is what the schemas accept...
    assert xepcodec.validate(data).errors == ()
    read = pubsub_error(xepcodec.parse(data))
    # ... and reads back as the case it was built for.
    assert read is not None and read.case is case
    assert (read.condition, read.type, read.application) == (
        case.condition, case.type, case.application)
    assert read.text == "refused"
    assert read.feature == (Feature.PUBLISH_OPTIONS if case is UNSUPPORTED else None)
    if case is NODE_MOVED:
        assert read.error.defined.address == f"xmpp:{SERVICE}?;node=balcony-2"


def test_no_two_cases_are_told_by_the_same_conditions() -> None:
    signatures = {(case.condition, case.application) for case in CASES.values()}
    assert len(signatures) == len(CASES)
    assert all(name == case.name == repr(case) for name, case in CASES.items())


def test_every_application_condition_but_max_nodes_has_a_case() -> None:
    # max-nodes-exceeded is in the XEP's schema only, with no stanza condition;
    # persistent-items is Prosody's, read as the UNSUPPORTED case.
    used = {case.application for case in CASES.values()}
    assert set(PubSubCondition) - used == {PubSubCondition.MAX_NODES_EXCEEDED,
                                           PubSubCondition.PERSISTENT_ITEMS}


def test_the_same_application_condition_under_two_stanza_conditions() -> None:
    # not-subscribed: an unsubscription of no subscriber, and items for subscribers only.
    unexpected = _reply("<error type='cancel'><unexpected-request xmlns='" + STANZAS +
                        "'/><not-subscribed xmlns='" + NS_PUBSUB_ERRORS + "'/></error>")
    unauthorized = _reply("<error type='auth'><not-authorized xmlns='" + STANZAS +
                          "'/><not-subscribed xmlns='" + NS_PUBSUB_ERRORS + "'/></error>")
    assert pubsub_error(unexpected).case is NOT_SUBSCRIBED  # type: ignore[union-attr]
    assert pubsub_error(unauthorized).case is SUBSCRIBERS_ONLY  # type: ignore[union-attr]
    # nodeid-required: a request without a node, and a creation where instant nodes
    # are not offered.
    assert error(NODEID_REQUIRED).condition is Condition.BAD_REQUEST
    assert error(INSTANT_NODES_UNSUPPORTED).condition is Condition.NOT_ACCEPTABLE


# -- the XEP's examples ----------------------------------------------------------------


def test_every_error_example_of_the_xep_is_a_case(spec_stanzas: SpecStanzas) -> None:
    seen: set[str] = set()
    payment = 0
    for caption, element in spec_stanzas(60):
        found = element.find("{jabber:client}error")
        if element.get("type") != "error" or found is None:
            continue
        if found.find(f"{{{STANZAS}}}payment-required") is not None:
            # RFC 3920's condition, which RFC 6120 dropped: no stanza error carries it.
            with pytest.raises(ParseError, match="payment-required"):
                decode(found)
            payment += 1
            continue
        stanza_error = decode(found)
        assert isinstance(stanza_error, StanzaError), caption
        read = pubsub_error(stanza_error)
        assert read is not None and read.case is not None, caption
        seen.add(read.case.name)
        # The case, with the example's type, gives the example's error back.
        extras: dict[str, object] = {}
        if read.feature is not None:
            extras["feature"] = read.feature
        if stanza_error.defined.address is not None:
            extras["address"] = stanza_error.defined.address
        assert error(read.case, type=read.type, **extras) == stanza_error, caption  # type: ignore[arg-type]
    assert payment == 2
    # The cases the XEP gives only in prose (and max-items-exceeded, §13.11) aside,
    # every case has an example.
    assert set(CASES) - seen == {"PRECONDITION_NOT_MET", "MAX_ITEMS_EXCEEDED"}


# -- Prosody's replies -----------------------------------------------------------------


def test_prosodys_precondition_refusal() -> None:
    reply = _reply("<error type='cancel'><conflict xmlns='" + STANZAS + "'/>"
                   "<text xmlns='" + STANZAS + "'>Field does not match: access_model</text>"
                   "<precondition-not-met xmlns='" + NS_PUBSUB_ERRORS + "'/></error>")
    read = pubsub_error(reply)
    assert read is not None and read.case is PRECONDITION_NOT_MET
    assert read.text == "Field does not match: access_model"
    assert read.feature is None


def test_prosody_sends_not_subscribed_as_modify() -> None:
    reply = _reply("<error type='modify'><unexpected-request xmlns='" + STANZAS + "'/>"
                   "<not-subscribed xmlns='" + NS_PUBSUB_ERRORS + "'/></error>")
    read = pubsub_error(reply)
    # The type is the service's; the case is told by the conditions.
    assert read is not None and read.case is NOT_SUBSCRIBED
    assert read.type is ErrorType.MODIFY and NOT_SUBSCRIBED.type is ErrorType.CANCEL


@pytest.mark.parametrize("condition", [
    # As Prosody 0.12 writes it (its pubsub_errors table), and as the XEP does.
    "<persistent-items xmlns='" + NS_PUBSUB_ERRORS + "'/>",
    "<unsupported xmlns='" + NS_PUBSUB_ERRORS + "' feature='persistent-items'/>",
])
def test_a_persistent_items_refusal_names_the_feature(condition: str) -> None:
    reply = _reply("<error type='cancel'><feature-not-implemented xmlns='" + STANZAS +
                   "'/>" + condition + "</error>")
    assert xepcodec.validate(xepcodec.serialize(reply)).ok
    read = pubsub_error(reply)
    assert read is not None and read.case is UNSUPPORTED
    assert read.application is PubSubCondition.UNSUPPORTED
    assert read.feature is Feature.PERSISTENT_ITEMS
    # The reply itself is kept as the service wrote it.
    assert read.error == reply.error


def test_a_feature_outside_the_registry_is_kept() -> None:
    reply = _reply("<error type='cancel'><feature-not-implemented xmlns='" + STANZAS +
                   "'/><unsupported xmlns='" + NS_PUBSUB_ERRORS +
                   "' feature='collections'/></error>")
    read = pubsub_error(reply)
    assert read is not None and read.case is UNSUPPORTED
    assert read.feature == "http://jabber.org/protocol/pubsub#collections"
    assert not isinstance(read.feature, Feature)
    assert error(UNSUPPORTED, feature="collections") == reply.error


@pytest.mark.parametrize("error_xml", [
    # Prosody's refusal of a malformed item: a bare bad-request with a text.
    "<error type='modify'><bad-request xmlns='" + STANZAS + "'/><text xmlns='" + STANZAS +
    "'>invalid item</text></error>",
    "<error type='wait'><internal-server-error xmlns='" + STANZAS + "'/></error>",
    # The XEP's conditions under a stanza condition the XEP does not pair them with.
    "<error type='cancel'><conflict xmlns='" + STANZAS + "'/><invalid-jid xmlns='" +
    NS_PUBSUB_ERRORS + "'/></error>",
])
def test_an_error_the_xep_does_not_describe_has_no_case(error_xml: str) -> None:
    read = pubsub_error(_reply(error_xml))
    assert read is not None and read.case is None
    assert read.condition is _reply(error_xml).error.condition  # type: ignore[union-attr]


def test_an_application_condition_of_another_namespace_is_not_the_xeps() -> None:
    reply = _reply("<error type='cancel'><item-not-found xmlns='" + STANZAS + "'/>"
                   "<gone-fishing xmlns='urn:example:errors'/></error>")
    read = pubsub_error(reply)
    assert read is not None and read.application is None and read.case is NOT_FOUND


def test_a_reply_without_error_has_no_pubsub_error() -> None:
    result = xepcodec.parse(f"<iq xmlns='jabber:client' type='result' id='p1' from='{SERVICE}'/>")
    assert pubsub_error(result) is None


# -- refusals --------------------------------------------------------------------------


def test_what_the_builder_refuses() -> None:
    with pytest.raises(ArgumentValueError, match="feature="):
        error(UNSUPPORTED)
    with pytest.raises(ArgumentValueError, match="only the UNSUPPORTED case"):
        error(NODE_FULL, feature=Feature.PUBLISH)
    with pytest.raises(ArgumentValueError, match="only the NODE_MOVED case"):
        error(NOT_FOUND, address="xmpp:elsewhere.example")
    with pytest.raises(ArgumentValueError, match="no short name"):
        error(UNSUPPORTED, feature=Feature.PUBSUB)
    with pytest.raises(ArgumentValueError, match="pattern"):
        error(UNSUPPORTED, feature="two words")
    with pytest.raises(ArgumentTypeError, match="ErrorCase"):
        error("precondition-not-met")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="Feature"):
        error(UNSUPPORTED, feature=7)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="stanza or a StanzaError"):
        pubsub_error("<error/>")  # type: ignore[arg-type]


def test_unsupported_is_not_an_empty_condition() -> None:
    with pytest.raises(ArgumentValueError, match="Unsupported"):
        SpecificCondition(condition=PubSubCondition.UNSUPPORTED)
    assert Unsupported(feature="retrieve-items").disco_feature is Feature.RETRIEVE_ITEMS


@pytest.mark.parametrize(("xml", "words"), [
    (f"<unsupported xmlns='{NS_PUBSUB_ERRORS}'/>", ["'feature'"]),
    (f"<unsupported xmlns='{NS_PUBSUB_ERRORS}' feature=''/>", ["feature"]),
    (f"<unsupported xmlns='{NS_PUBSUB_ERRORS}' feature='-items'/>", ["'-items'"]),
    (f"<node-full xmlns='{NS_PUBSUB_ERRORS}' feature='publish'/>", ["'feature'"]),
    (f"<precondition-not-met xmlns='{NS_PUBSUB_ERRORS}'>access_model</precondition-not-met>",
     ["text"]),
])
def test_parse_and_the_schema_refuse_alike(xml: str, words: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        xepcodec.parse(xml)
    for word in words:
        assert word in str(caught.value)
    assert xepcodec.validate(xml.encode()).errors != ()


def test_every_condition_element_is_declared_once() -> None:
    # The schema and the classes hold the same names: each parses to its own class.
    for condition in PubSubCondition:
        attributes = " feature='publish'" if condition is PubSubCondition.UNSUPPORTED else ""
        xml = f"<{condition.value} xmlns='{NS_PUBSUB_ERRORS}'{attributes}/>"
        parsed = xepcodec.parse(xml)
        expected = Unsupported if condition is PubSubCondition.UNSUPPORTED else SpecificCondition
        assert isinstance(parsed, expected)
        assert xepcodec.validate(xml.encode()).errors == ()
        assert etree.fromstring(xepcodec.serialize(parsed)).tag == \
            f"{{{NS_PUBSUB_ERRORS}}}{condition.value}"
