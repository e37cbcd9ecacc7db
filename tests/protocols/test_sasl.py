"""Tests for xepcodec.protocols.sasl (RFC 6120 §6 SASL negotiation).

The XML below is written for these tests."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xepcodec import parse, serialize
from xepcodec.api import StreamReader
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import XmlFragment, encode
from xepcodec.protocols.sasl import (
    NS_SASL,
    Auth,
    Challenge,
    Mechanisms,
    Response,
    SaslCondition,
    SaslEncodingError,
    SaslFailure,
    Success,
)
from xepcodec.xml import StanzaFailed, StanzaReceived, stream_header

NS = f"xmlns='{NS_SASL}'"
DATA_CLASSES = [Challenge, Response, Success]


def test_mechanisms() -> None:
    offered = parse(f"<mechanisms {NS}><mechanism>SCRAM-SHA-256</mechanism>"
                    "<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>"
                    "<hostname xmlns='urn:example:hostname'>h</hostname></mechanisms>")
    assert offered.mechanisms == ("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN")
    assert isinstance(offered.extensions[0], XmlFragment)
    assert encode(Mechanisms(mechanisms=["PLAIN"])) == (
        f'<mechanisms xmlns="{NS_SASL}"><mechanism>PLAIN</mechanism></mechanisms>').encode()


@pytest.mark.parametrize(("xml", "words"), [
    (f"<mechanisms {NS}/>", "at least one"),
    (f"<mechanisms {NS}><mechanism>plain</mechanism></mechanisms>", "pattern"),
    (f"<mechanisms {NS}><mechanism>{'A' * 21}</mechanism></mechanisms>", "longer than 20"),
    (f"<mechanisms {NS}><mechanism/></mechanisms>", "empty"),
    (f"<mechanisms {NS}><mechanism>PLAIN</mechanism><x xmlns=''/></mechanisms>", "no namespace"),
    (f"<auth {NS}>AAAA</auth>", "mechanism"),
    (f"<auth {NS} mechanism='PLAIN' x='1'/>", "no attribute"),
    (f"<abort {NS}>x</abort>", "no text"),
    (f"<failure {NS}><not-authorized/><bogus/></failure>", "bogus"),
    (f"<failure {NS}><not-authorized/><aborted/></failure>", "only one"),
    (f"<success {NS}><x xmlns='urn:o'/></success>", "does not allow"),
])
def test_refused(xml: str, words: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(xml)
    assert caught.value.condition == "bad-request"
    assert words in str(caught.value)


def test_auth_data_is_decoded_to_bytes() -> None:
    plain = b"\0juliet\0r0m30"
    auth = parse(f"<auth {NS} mechanism='PLAIN'>{base64.b64encode(plain).decode()}</auth>")
    assert auth == Auth(mechanism="PLAIN", data=plain)
    assert parse(f"<auth {NS} mechanism='EXTERNAL'/>").data is None  # no initial response
    assert parse(f"<auth {NS} mechanism='EXTERNAL'>=</auth>").data == b""  # an empty one
    assert serialize(Auth(mechanism="EXTERNAL", data=b"")).endswith(b">=</auth>")
    assert serialize(Auth(mechanism="EXTERNAL")).endswith(b'mechanism="EXTERNAL"/>')


@pytest.mark.parametrize("cls", DATA_CLASSES)
@given(data=st.none() | st.binary(max_size=40))
def test_data_round_trips(cls: type, data: bytes | None) -> None:
    obj = cls(data=data)
    assert parse(serialize(obj)) == obj


@pytest.mark.parametrize("text", ["a b=", "YQ", "YQ=", "Y===", "YQ==\n", " YQ==", "YQ==YQ==",
                                  "Y-_A", "==", "é"])
@pytest.mark.parametrize("name", ["auth", "challenge", "response", "success"])
def test_bad_base64_is_incorrect_encoding(name: str, text: str) -> None:
    mechanism = " mechanism='PLAIN'" if name == "auth" else ""
    xml = f"<{name} {NS}{mechanism}>{text}</{name}>"
    with pytest.raises(ParseError) as caught:
        parse(xml)
    assert caught.value.condition == "bad-request" and not caught.value.stream
    assert "incorrect-encoding" in caught.value.message
    assert SaslFailure.for_error(caught.value) == SaslFailure.of("incorrect-encoding")
    # In a stream the stanza fails and the stream goes on, with the same answer.
    events = StreamReader().feed(stream_header() + xml.encode() + f"<abort {NS}/>".encode())
    failed, after = events[1:]
    assert isinstance(failed, StanzaFailed) and isinstance(after, StanzaReceived)
    assert SaslFailure.for_error(failed.error).condition == SaslCondition.INCORRECT_ENCODING


def test_other_faults_are_answered_as_malformed_requests() -> None:
    with pytest.raises(ParseError) as caught:
        parse(f"<auth {NS}/>")
    assert SaslFailure.for_error(caught.value).condition == SaslCondition.MALFORMED_REQUEST
    assert SaslEncodingError("x").condition == "bad-request"


@pytest.mark.parametrize("condition", list(SaslCondition))
def test_every_failure_condition(condition: SaslCondition) -> None:
    failure = parse(f"<failure {NS}><{condition}/><text xml:lang='en'>why</text></failure>")
    assert failure.condition is condition
    assert failure.text == "why" and failure.description.lang == "en"
    assert failure == SaslFailure.of(condition, text="why", lang="en")
    assert parse(serialize(failure)) == failure
    # the text may come first
    assert parse(f"<failure {NS}><text>why</text><{condition}/></failure>").condition is condition


def test_a_failure_without_a_condition() -> None:
    failure = parse(f"<failure {NS}/>")
    assert failure.condition is None and failure.text is None
    assert serialize(failure) == f'<failure xmlns="{NS_SASL}"/>'.encode()


def test_constructors_check_their_arguments() -> None:
    with pytest.raises(ArgumentValueError):
        Mechanisms(mechanisms=[])
    with pytest.raises(ArgumentValueError):
        Auth(mechanism="plain")
    with pytest.raises(ValueError):
        SaslFailure.of("no-such-condition")
    assert Response(data=bytearray(b"x")).data == b"x"
