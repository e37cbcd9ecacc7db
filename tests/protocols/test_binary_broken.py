"""A fault in a Binary XMPP sequence loses nothing that came before it.

Whatever breaks the sequence (a bad element among the bits, or decoded bytes that are
not well-formed XML), BinaryDecoder raises BrokenStreamError carrying the events the
call completed before the fault; everything handed over (returned, then carried) and
the error do not depend on how the input was split.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xepcodec.core.stanzas import Body, Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import encode
from xepcodec.protocols.binary import (
    BinaryDecoder,
    BinaryEvent,
    BytesDecoded,
    Framing,
    encode_bytes,
)
from xepcodec.xml import BrokenStreamError, StanzaReceived, StreamOpened

ZERO, ONE = b"<zero/>", b"<one/>"


def message(n: int) -> Message:
    return Message(to=JID.parse("juliet@capulet.example"), type=MessageType.CHAT,
                   id=f"m{n}", bodies=(Body(text=f"line {n}"),))


def good(count: int) -> tuple[list[Message], bytes]:
    """``count`` stanzas and the traditional XML of them all."""
    stanzas = [message(n) for n in range(count)]
    return stanzas, b"".join(encode(stanza) for stanza in stanzas)


#: Faults in the element sequence, each with the condition it is refused with.  Each
#: follows whole bytes, or three bits more (which make no byte, so add nothing).
BIT_FAULTS = {
    "attribute": (b'<zero a="1"/>', "bad-format"),
    "foreign element": (b"<two/>", "unsupported-stanza-type"),
    "text inside": (b"<one>x</one>", "bad-format"),
    "text between": (ZERO + b"x" + ONE, "bad-format"),
    "child element": (b"<zero><one/></zero>", "bad-format"),
    "comment": (b"<!-- a comment -->", "restricted-xml"),
    "stray end tag": (b"</zero>", "not-well-formed"),
}


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def run(pieces: list[bytes], framing: Framing = Framing.STANZAS,
        ) -> tuple[list[BinaryEvent], BrokenStreamError]:
    """Everything handed over before the fault (returned, then carried), and the error."""
    decoder = BinaryDecoder(framing=framing)
    events: list[BinaryEvent] = []
    for piece in pieces:
        try:
            events.extend(decoder.feed(piece))
        except BrokenStreamError as broken:
            events.extend(broken.events)
            with pytest.raises(BrokenStreamError) as again:
                decoder.feed(ZERO)
            assert again.value is broken  # a failed decoder raises the same error
            return events, broken
    raise AssertionError("the fault was not noticed")


def decoded(events: list[BinaryEvent]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, BytesDecoded))


def read(events: list[BinaryEvent]) -> list[BinaryEvent]:
    """The stream reader's events: the same however the input was split."""
    return [e for e in events if not isinstance(e, BytesDecoded)]


def stanzas(events: list[BinaryEvent]) -> list[object]:
    return [e.stanza for e in events if isinstance(e, StanzaReceived)]


def described(error: ParseError) -> tuple[str, str, str | None, int | None]:
    return error.message, error.condition, error.path, error.line


@pytest.mark.parametrize("name", sorted(BIT_FAULTS))
@pytest.mark.parametrize("count", [0, 1, 3])
@pytest.mark.parametrize("extra_bits", [b"", ZERO + ONE + ZERO])
def test_bit_fault_after_stanzas_hands_them_over(name: str, count: int,
                                                  extra_bits: bytes) -> None:
    fault, condition = BIT_FAULTS[name]
    expected, xml = good(count)
    events, error = run([encode_bytes(xml) + extra_bits + fault + encode_bytes(xml)])
    assert error.condition == condition and error.stream
    assert stanzas(events) == expected
    assert decoded(events) == xml  # exactly the bytes before the fault
    if count:
        assert isinstance(events[0], BytesDecoded)  # bytes before what they complete


@pytest.mark.parametrize("count", [0, 1, 4])
def test_non_well_formed_decoded_stanza_after_stanzas(count: int) -> None:
    expected, xml = good(count)
    broken_stanza = b"<message><body>no end</message>"
    events, error = run([encode_bytes(xml + broken_stanza + xml)])
    assert error.message.startswith("in the decoded bytes: ")
    assert error.condition == "not-well-formed"
    assert stanzas(events) == expected
    assert decoded(events).startswith(xml)
    # The same fault alone gives the same error, as before faults carried events.
    _, alone = run([encode_bytes(broken_stanza)])
    assert described(alone)[1:3] == described(error)[1:3]


def test_stream_framing_hands_over_the_header_and_stanzas() -> None:
    expected, xml = good(2)
    header = (b"<stream:stream xmlns='jabber:client' "
              b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
    events, error = run([encode_bytes(header + xml) + b"<two/>"], Framing.STREAM)
    assert isinstance(read(events)[0], StreamOpened)
    assert stanzas(events) == expected
    assert decoded(events) == header + xml
    assert error.condition == "unsupported-stanza-type"


def test_close_raises_broken_stream_error() -> None:
    decoder = BinaryDecoder(framing=Framing.STANZAS)
    assert decoder.feed(ONE * 3) == []
    with pytest.raises(BrokenStreamError, match="not a whole number of bytes") as caught:
        decoder.close()
    assert caught.value.events == ()
    with pytest.raises(BrokenStreamError) as again:
        decoder.close()
    assert again.value is caught.value


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(BIT_FAULTS)), count=st.integers(0, 3),
       cuts=st.lists(st.integers(0, 1 << 20), max_size=6))
def test_bit_fault_does_not_depend_on_the_split(name: str, count: int,
                                                cuts: list[int]) -> None:
    fault, _ = BIT_FAULTS[name]
    _, xml = good(count)
    data = encode_bytes(xml) + ONE + fault + encode_bytes(xml)
    whole_events, whole_error = run([data])
    events, error = run(split(data, cuts))
    assert described(error) == described(whole_error)
    assert read(events) == read(whole_events)
    assert decoded(events) == decoded(whole_events) == xml


@settings(max_examples=60, deadline=None)
@given(count=st.integers(0, 3), cuts=st.lists(st.integers(0, 1 << 20), max_size=6))
def test_decoded_fault_does_not_depend_on_the_split(count: int, cuts: list[int]) -> None:
    expected, xml = good(count)
    full = xml + b"<message><body>a</b></body></message>" + xml
    data = encode_bytes(full)
    whole_events, whole_error = run([data])
    events, error = run(split(data, cuts))
    assert described(error) == described(whole_error)
    assert read(events) == read(whole_events)
    assert stanzas(events) == expected
    # The bytes stop somewhere after the good stanzas: at the end of the call that
    # found the fault, which depends on the split.
    assert xml in decoded(events) and full.startswith(decoded(events))


@pytest.mark.parametrize(("fault", "began"), [
    (b"<one>x</one>", True),            # text inside: the element began before it
    (b"<one><zero/></one>", True),      # a child: likewise
    (b"<one/>x", True),                 # text after it
    (b'<one a="1"/>', False),           # a bad start tag: it never began
    (b"<one", False),                   # then a syntax error
])
@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(0, 1 << 20), max_size=4))
def test_the_faulty_element_counts_only_if_it_began(fault: bytes, began: bool,
                                                    cuts: list[int]) -> None:
    # Seven bits, then the faulty element, which would be the eighth; then a syntax
    # error, so that every fault is noticed.
    data = ZERO + ONE * 6 + fault + b"</zero>"
    events, error = run(split(data, cuts))
    assert decoded(events) == (b"\x7f" if began else b"")
    assert described(error) == described(run([data])[1])
