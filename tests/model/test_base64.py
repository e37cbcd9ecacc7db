"""The Base64 value kind: what ciphertexts and key moduli are carried as."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xepcodec.model.values import BASE64, Base64Binary, value_for


@given(st.binary(max_size=200))
def test_octets_survive_format_and_parse(data: bytes) -> None:
    assert BASE64.parse(BASE64.format(data)) == data


def test_whitespace_anywhere_is_ignored_as_the_schema_type_allows() -> None:
    assert BASE64.parse(" AQ\n  AB\t") == b"\x01\x00\x01"


def test_writing_gives_one_unbroken_line() -> None:
    assert "\n" not in BASE64.format(bytes(300))


@pytest.mark.parametrize(("text", "words"), [
    ("AQA", "length or padding"),
    ("E5Qbvfa2gI5lBZMAHryv4g", "length or padding"),
    ("AQ*B", "characters Base64 does not use"),
    ("AQ-B", "characters Base64 does not use"),
])
def test_malformed_text_is_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        BASE64.parse(text)


def test_a_minimum_counts_decoded_octets() -> None:
    kind = Base64Binary(min_length=1)
    with pytest.raises(ValueError, match="fewer than 1 octets"):
        kind.parse("")
    with pytest.raises(ValueError, match="shorter than 1 octets"):
        kind.format(b"")
    assert kind.parse("AA==") == b"\x00"


def test_only_octets_are_written() -> None:
    with pytest.raises(ValueError, match="expected bytes"):
        BASE64.format("AQAB")  # type: ignore[arg-type]


def test_a_bytes_annotation_means_base64() -> None:
    assert value_for(bytes) is BASE64
