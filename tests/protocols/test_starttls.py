"""Tests for xepcodec.protocols.starttls (RFC 6120 §5).  The XML is written for these
tests."""

from __future__ import annotations

import pytest

from xepcodec import parse, serialize
from xepcodec.errors import ParseError
from xepcodec.protocols.starttls import NS_TLS, Proceed, StartTls, TlsFailure

NS = f"xmlns='{NS_TLS}'"


def test_the_elements() -> None:
    assert parse(f"<starttls {NS}/>") == StartTls()
    assert parse(f"<starttls {NS}><required/></starttls>") == StartTls(required=True)
    assert serialize(StartTls(required=True)) == (
        f'<starttls xmlns="{NS_TLS}"><required/></starttls>').encode()
    assert parse(f"<proceed {NS}/>") == Proceed()
    assert parse(f"<failure {NS}/>") == TlsFailure()


@pytest.mark.parametrize("xml", [
    f"<starttls {NS}><required/><required/></starttls>",
    f"<starttls {NS}><optional/></starttls>",
    f"<starttls {NS}><required>yes</required></starttls>",
    f"<proceed {NS}>x</proceed>",
    f"<failure {NS}><not-authorized/></failure>",
    f"<failure {NS} reason='x'/>",
])
def test_refused(xml: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(xml)
    assert caught.value.condition == "bad-request"
