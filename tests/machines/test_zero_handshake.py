"""Tests for xepcodec.machines.zero_handshake (XEP-0361) and the agreement it runs on
(xepcodec.protocols.zero_handshake): two ends of a link talking to each other through
bytes, and hand-written peers.

The XML below is written for these tests; none of it is taken from the XEP.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xepcodec.api import StreamReader
from xepcodec.core.namespaces import CLIENT, SERVER
from xepcodec.core.stanzas import Body, Iq, IqType, Message, MessageType, Presence
from xepcodec.core.streams import StreamCondition, StreamError
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ProtocolError
from xepcodec.machines.base import Event, Ignored, Send
from xepcodec.machines.router import Router
from xepcodec.machines.zero_handshake import (
    LINK,
    Received,
    StreamEnded,
    ZeroHandshakeEvent,
    ZeroHandshakeInput,
    ZeroHandshakeSession,
    ZeroHandshakeState,
)
from xepcodec.protocols import xep
from xepcodec.protocols.disco import Identity
from xepcodec.protocols.ping import Ping, ping_request, pong
from xepcodec.protocols.zero_handshake import Agreement, implied_header
from xepcodec.xml import StanzaFailed, StanzaReceived, StreamOpened

SHIP = "frigate.example"
SHIP_MUC = "rooms.frigate.example"
SHORE = "harbour.example"
SHIP_SIDE = Agreement(local=(SHIP, SHIP_MUC), peer=SHORE)
CAPTAIN = JID.parse(f"captain@{SHIP}/bridge")
PILOT = JID.parse(f"pilot@{SHORE}/tower")
NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def link() -> tuple[ZeroHandshakeSession, ZeroHandshakeSession]:
    """The ship's end and the shore's end of one link."""
    return ZeroHandshakeSession(SHIP_SIDE), ZeroHandshakeSession(SHIP_SIDE.mirrored())


def pump(ship: ZeroHandshakeSession, shore: ZeroHandshakeSession,
         split: Callable[[bytes], list[bytes]] = lambda data: [data],
         ) -> tuple[list[Event], list[Event]]:
    """Carry bytes both ways until neither side has more; what each side heard."""
    heard_by_ship: list[Event] = []
    heard_by_shore: list[Event] = []
    while True:
        to_shore, to_ship = ship.data_to_send(), shore.data_to_send()
        if not to_shore and not to_ship:
            return heard_by_ship, heard_by_shore
        for chunk in split(to_shore):
            if shore.state is not ZeroHandshakeState.CLOSED:
                heard_by_shore += shore.receive_data(chunk)
        for chunk in split(to_ship):
            if ship.state is not ZeroHandshakeState.CLOSED:
                heard_by_ship += ship.receive_data(chunk)


def chat(sender: JID, recipient: JID, text: str, **more: object) -> Message:
    return Message(namespace=SERVER, type=MessageType.CHAT, from_=sender, to=recipient,
                   bodies=(Body(text=text),), **more)  # type: ignore[arg-type]


def ended(events: list[Event]) -> list[StreamEnded]:
    return [e for e in events if isinstance(e, StreamEnded)]


def received(events: list[Event]) -> list[object]:
    return [e.stanza for e in events if isinstance(e, Received)]


# -- the agreement ---------------------------------------------------------------------------


def test_the_agreement_keeps_bare_domains_normalised() -> None:
    agreement = Agreement(local=["Frigate.EXAMPLE", JID.parse(SHIP_MUC)], peer=SHORE)
    assert agreement.local == {JID.parse(SHIP), JID.parse(SHIP_MUC)}
    assert agreement.peer == {JID.parse(SHORE)}
    assert agreement == SHIP_SIDE
    assert agreement.mirrored() == Agreement(local=SHORE, peer=[SHIP, SHIP_MUC])
    assert agreement.serves(CAPTAIN) and agreement.serves(JID.parse(f"mess@{SHIP_MUC}"))
    assert agreement.is_peer(PILOT) and not agreement.is_peer(CAPTAIN)


@pytest.mark.parametrize(("local", "peer", "error", "words"), [
    ((), SHORE, ArgumentValueError, "names no domain"),
    (SHIP, [SHORE, SHIP], ArgumentValueError, "both a local and a peer domain"),
    (f"captain@{SHIP}", SHORE, ArgumentValueError, "not a bare domain"),
    (SHIP, f"{SHORE}/tower", ArgumentValueError, "not a bare domain"),
    (SHIP, "bad domain.example", ArgumentValueError, "Agreement.peer"),
    (42, SHORE, ArgumentTypeError, "Agreement.local must be"),
    ([SHIP, 42], SHORE, ArgumentTypeError, "a str or a JID"),
])
def test_the_agreement_refuses_what_is_no_domain(local: object, peer: object,
                                                 error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        Agreement(local=local, peer=peer)  # type: ignore[arg-type]


def test_the_implied_header_names_only_the_two_namespaces() -> None:
    events = StreamReader().feed(implied_header())
    assert len(events) == 1 and isinstance(events[0], StreamOpened)
    assert events[0].namespace == SERVER
    assert dict(events[0].attributes) == {}


def test_the_xep_numbers_find_the_modules() -> None:
    assert xep(361).Agreement is Agreement
    assert xep(365).RECOMMENDED_SAP == 6


# -- stanzas flow from the first byte ------------------------------------------------------------


def test_the_events_derive_from_one_base() -> None:
    for cls in (Received, StreamEnded):
        assert issubclass(cls, ZeroHandshakeEvent)


def test_nothing_is_negotiated_and_no_header_is_written() -> None:
    ship, shore = link()
    assert ship.state is shore.state is ZeroHandshakeState.OPEN
    assert ship.data_to_send() == shore.data_to_send() == b""
    ship.send(chat(CAPTAIN, PILOT, "Request berth."))
    # The first bytes on the wire are the stanza, in the implied jabber:server stream.
    assert ship.data_to_send() == (
        f'<message type="chat" to="{PILOT}" from="{CAPTAIN}"><body>Request berth.</body>'
        "</message>").encode()


def test_stanzas_flow_both_ways() -> None:
    ship, shore = link()
    out = chat(CAPTAIN, PILOT, "Request berth.", id="m1")
    back = chat(PILOT, CAPTAIN, "Berth four.", id="m2")
    to_room = Presence(namespace=SERVER, from_=PILOT,
                       to=JID.parse(f"mess@{SHIP_MUC}/pilot"))
    assert ship.send(out) == [] and shore.send(back) == [] and shore.send(to_room) == []
    heard_by_ship, heard_by_shore = pump(ship, shore)
    assert received(heard_by_shore) == [out]
    assert received(heard_by_ship) == [back, to_room]  # the ship's MUC domain too
    assert ship.state is shore.state is ZeroHandshakeState.OPEN


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30))
def test_bytes_split_anywhere_give_the_same_stanzas(sizes: list[int]) -> None:
    def split(data: bytes) -> list[bytes]:
        chunks, at = [], 0
        for size in sizes * (len(data) // max(sum(sizes), 1) + 1):
            if at >= len(data):
                break
            chunks.append(data[at:at + size])
            at += size
        return chunks

    ship, shore = link()
    sent = [chat(CAPTAIN, PILOT, f"Position report {n}: 51°N & <steady>.") for n in range(3)]
    for stanza in sent:
        ship.send(stanza)
    ship.close()
    heard_by_ship, heard_by_shore = pump(ship, shore, split)
    assert received(heard_by_shore) == sent
    assert ended(heard_by_shore) == [StreamEnded(None, by_peer=True)]
    assert ended(heard_by_ship) == [StreamEnded(None, by_peer=False)]


def test_whitespace_between_stanzas_is_read_past() -> None:
    _, shore = link()
    events = shore.receive_data(
        f"\n  <message from='{CAPTAIN}' to='{PILOT}'><body>ahoy</body></message> \n\n".encode())
    assert [m.body for m in received(events)] == ["ahoy"]  # type: ignore[attr-defined]
    assert shore.receive_data(b"   ") == []


def test_an_element_that_is_no_stanza_is_ignored() -> None:
    _, shore = link()
    events = shore.receive_data(b"<r xmlns='urn:xmpp:sm:3'/>")
    assert len(events) == 1 and isinstance(events[0], Ignored)
    assert shore.state is ZeroHandshakeState.OPEN


def test_a_ping_over_the_link_is_answered_through_a_router() -> None:
    ship, shore = link()
    router = Router(SHORE, [Identity(category="server", type="im")], namespace=SERVER)
    router.handle(Ping, pong)
    ship.send(ping_request(id="p1", to=JID.parse(SHORE), from_=JID.parse(SHIP),
                           namespace=SERVER))
    shore_heard = shore.receive_data(ship.data_to_send())
    for stanza in received(shore_heard):
        for event in router.receive(stanza, now=NOW):
            if isinstance(event, Send):
                shore.send(event.stanza)
    answers = received(ship.receive_data(shore.data_to_send()))
    assert len(answers) == 1
    answer = answers[0]
    assert isinstance(answer, Iq) and answer.type is IqType.RESULT and answer.id == "p1"
    assert answer.from_ == JID.parse(SHORE) and answer.to == JID.parse(SHIP)


def test_a_stanza_the_reader_cannot_type_is_handed_over() -> None:
    _, shore = link()
    # Two payloads in one iq: refused at stanza level, addressed as agreed.
    events = shore.receive_data(
        f"<iq type='get' id='two' from='{CAPTAIN}' to='{SHORE}'><a xmlns='urn:example:a'/>"
        "<b xmlns='urn:example:b'/></iq>".encode())
    [failed] = received(events)
    assert isinstance(failed, StanzaFailed)
    assert shore.state is ZeroHandshakeState.OPEN


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(("xml", "condition", "words"), [
    (f"<message from='spy@elsewhere.example' to='{PILOT}'/>",
     StreamCondition.INVALID_FROM, "elsewhere.example"),
    (f"<message from='{CAPTAIN}' to='someone@elsewhere.example'/>",
     StreamCondition.HOST_UNKNOWN, "elsewhere.example"),
    # A stanza from the shore's own domain is no stanza from the peer.
    (f"<message from='{SHORE}' to='{PILOT}'/>", StreamCondition.INVALID_FROM, SHORE),
    (f"<presence to='{PILOT}'/>", StreamCondition.IMPROPER_ADDRESSING, "no 'from'"),
    (f"<iq type='get' id='q' from='{SHIP}'><ping xmlns='urn:xmpp:ping'/></iq>",
     StreamCondition.IMPROPER_ADDRESSING, "no 'to'"),
    (f"<message xmlns='{CLIENT}' from='{CAPTAIN}' to='{PILOT}'/>",
     StreamCondition.INVALID_NAMESPACE, CLIENT),
    # Stanzas the reader could not type are judged by their raw addresses.
    (f"<iq type='get' id='two' from='spy@elsewhere.example' to='{SHORE}'>"
     "<a xmlns='urn:example:a'/><b xmlns='urn:example:b'/></iq>",
     StreamCondition.INVALID_FROM, "elsewhere.example"),
    (f"<message from='@{SHIP}' to='{PILOT}'/>",
     StreamCondition.IMPROPER_ADDRESSING, "'from' is not an XMPP address"),
    (f"<iq xmlns='{CLIENT}' type='get' id='two' from='{CAPTAIN}' to='{SHORE}'>"
     "<a xmlns='urn:example:a'/><b xmlns='urn:example:b'/></iq>",
     StreamCondition.INVALID_NAMESPACE, CLIENT),
])
def test_a_stanza_outside_the_agreement_ends_the_stream(xml: str, condition: StreamCondition,
                                                        words: str) -> None:
    _, shore = link()
    events = shore.receive_data(xml.encode())
    [end] = ended(events)
    assert end.condition is condition and not end.by_peer
    assert end.text is not None and words in end.text
    assert received(events) == []
    assert shore.state is ZeroHandshakeState.ENDED
    written = shore.data_to_send()
    # The stream error goes out in the implied stream, then the closing tag.
    read = StreamReader().feed(implied_header() + written)
    error = read[1]
    assert isinstance(error, StanzaReceived) and isinstance(error.stanza, StreamError)
    assert error.stanza.condition is condition
    assert type(read[-1]).__name__ == "StreamClosed"


def test_the_refused_peer_hears_the_condition_and_both_close() -> None:
    ship = ZeroHandshakeSession(SHIP_SIDE)
    # The shore's agreement leaves out the ship's MUC domain.
    shore = ZeroHandshakeSession(Agreement(local=SHORE, peer=SHIP))
    ship.send(chat(JID.parse(f"mess@{SHIP_MUC}/cook"), PILOT, "Galley open."))
    heard_by_ship, heard_by_shore = pump(ship, shore)
    assert [e.condition for e in ended(heard_by_shore)] == [StreamCondition.INVALID_FROM]
    [end] = ended(heard_by_ship)
    assert end.condition is StreamCondition.INVALID_FROM and end.by_peer
    assert ship.state is shore.state is ZeroHandshakeState.CLOSED


@pytest.mark.parametrize(("stanza", "words"), [
    (chat(PILOT, CAPTAIN, "wrong way round"), "'from' .* invalid-from"),
    (chat(CAPTAIN, JID.parse("x@elsewhere.example"), "lost"), "'to' .* host-unknown"),
    (Message(namespace=SERVER, to=PILOT, bodies=(Body(text="anonymous"),)),
     "improper-addressing"),
    (Message(namespace=SERVER, from_=CAPTAIN, bodies=(Body(text="nowhere"),)),
     "improper-addressing"),
    (Message(namespace=CLIENT, from_=CAPTAIN, to=PILOT), "namespace=SERVER"),
])
def test_send_refuses_what_the_peer_would_refuse(stanza: Message, words: str) -> None:
    ship, _ = link()
    with pytest.raises(ArgumentValueError, match=words):
        ship.send(stanza)
    assert ship.data_to_send() == b""


def test_send_takes_stanzas_only() -> None:
    ship, _ = link()
    with pytest.raises(ArgumentTypeError, match="message, presence or iq"):
        ship.send(Ping())  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="Agreement"):
        ZeroHandshakeSession({"local": SHIP})  # type: ignore[arg-type]


@pytest.mark.parametrize("header", [
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    f"xmlns:stream='http://etherx.jabber.org/streams' to='{SHORE}' version='1.0'>",
    f"\n<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:server' "
    f"from='{SHIP}'>",
])
def test_a_peer_that_writes_a_stream_header_is_refused(header: str) -> None:
    wire = (header + f"<message from='{CAPTAIN}' to='{PILOT}'><body>hello</body></message>"
            "</stream:stream>").encode()
    _, shore = link()
    events: list[Event] = []
    for at in range(len(wire)):  # one byte at a time: the header is found all the same
        events += shore.receive_data(wire[at:at + 1])
    [end] = ended(events)
    assert end.condition is StreamCondition.UNSUPPORTED_STANZA_TYPE and not end.by_peer
    assert end.text is not None and "XEP-0361" in end.text
    # The header is dropped: the stanza after it is read (and ignored, the stream being
    # over), and the peer's closing tag ends the link.
    assert received(events) == []
    assert [type(e.stanza).__name__ for e in events if isinstance(e, Ignored)] == ["Message"]
    assert shore.state is ZeroHandshakeState.CLOSED
    assert b"<unsupported-stanza-type " in shore.data_to_send()


def test_the_first_stanza_is_not_taken_for_a_header() -> None:
    _, shore = link()
    wire = f"  <message from='{CAPTAIN}' to='{PILOT}'><body>first</body></message>".encode()
    assert shore.receive_data(wire[:3]) == []  # not yet known
    assert [m.body for m in received(shore.receive_data(wire[3:]))] == [  # type: ignore[attr-defined]
        "first"]


# -- the end ---------------------------------------------------------------------------------


def test_a_closed_side_still_reads_what_the_peer_sends_before_it_closes() -> None:
    ship, shore = link()
    assert ship.close() == []
    assert ship.state is ZeroHandshakeState.CLOSING
    assert ship.data_to_send() == b"</stream:stream>"
    late = chat(PILOT, CAPTAIN, "Last word.")
    shore.send(late)
    heard_by_ship = ship.receive_data(shore.data_to_send())
    assert received(heard_by_ship) == [late]
    heard_by_shore = shore.receive_data(b"</stream:stream>")
    assert heard_by_shore == [StreamEnded(None, by_peer=True)]
    assert shore.data_to_send() == b"</stream:stream>"  # closes in turn
    assert ship.receive_data(b"</stream:stream>") == [StreamEnded(None, by_peer=False)]
    assert ship.state is shore.state is ZeroHandshakeState.CLOSED


def test_nothing_is_sent_once_closed() -> None:
    ship, _ = link()
    ship.close()
    with pytest.raises(ProtocolError, match="not allowed in state 'closing'"):
        ship.send(chat(CAPTAIN, PILOT, "too late"))
    with pytest.raises(ProtocolError):
        ship.close()


def test_a_refusal_after_this_side_closed_is_only_ignored() -> None:
    ship, _ = link()
    ship.close()
    ship.data_to_send()
    events = ship.receive_data(f"<message from='x@elsewhere.example' to='{CAPTAIN}'/>".encode())
    assert len(events) == 1 and isinstance(events[0], Ignored)
    assert ship.data_to_send() == b""  # no stream error after the closing tag
    assert ship.state is ZeroHandshakeState.CLOSING


# -- errors ----------------------------------------------------------------------------------


def test_the_peers_stream_error_ends_the_link() -> None:
    _, shore = link()
    events = shore.receive_data(
        b"<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
        b"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>radio silence</text>"
        b"</stream:error>")
    assert events == [StreamEnded(StreamCondition.SYSTEM_SHUTDOWN, by_peer=True,
                                  text="radio silence")]
    assert shore.data_to_send() == b"</stream:stream>"
    assert shore.state is ZeroHandshakeState.ENDED
    assert shore.receive_data(b"</stream:stream>") == []
    assert shore.state is ZeroHandshakeState.CLOSED


def test_bytes_that_break_the_stream_end_it_with_their_condition() -> None:
    ship, shore = link()
    events = shore.receive_data(
        f"<message from='{CAPTAIN}' to='{PILOT}'><body>ok</body></message>"
        "<message><body>unclosed</message>".encode())
    assert [m.body for m in received(events)] == ["ok"]  # type: ignore[attr-defined]
    [end] = ended(events)
    assert end.condition is StreamCondition.NOT_WELL_FORMED and not end.by_peer
    heard_by_ship = ship.receive_data(shore.data_to_send())
    assert [(e.condition, e.by_peer) for e in ended(heard_by_ship)] == [
        (StreamCondition.NOT_WELL_FORMED, True)]


def test_the_table_allows_nothing_once_closed() -> None:
    assert LINK.allowed(ZeroHandshakeState.CLOSED) == ()
    assert set(LINK.allowed(ZeroHandshakeState.OPEN)) == set(ZeroHandshakeInput)
    for state in (ZeroHandshakeState.CLOSING, ZeroHandshakeState.ENDED):
        assert ZeroHandshakeInput.SEND not in LINK.allowed(state)
