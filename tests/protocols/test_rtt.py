"""Tests for xepcodec.protocols.rtt (XEP-0301 in-band real-time text).

The texts before and after each sequence of actions are the ones the XEP's use cases
(§8) state; the XML is written for these tests.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from payloads import rejects, through_the_wire, typed

import xepcodec
from xepcodec.core.stanzas import Iq, Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import XmlFragment, encode
from xepcodec.protocols.rtt import (
    MAX_SEQ,
    NS_RTT,
    Action,
    Erase,
    Insert,
    Rtt,
    RttEvent,
    Wait,
    apply_actions,
    diff_actions,
    read_rtt,
    rtt_message,
)

RTT = f"<rtt xmlns='{NS_RTT}' seq='{{seq}}'{{attrs}}>{{inner}}</rtt>"
CHAT = ("<message xmlns='jabber:client' from='alice@example.com/home' to='bob@example.com' "
        "type='chat' id='a01'>{}</message>")


def _rtt(inner: str = "", *, seq: str = "1", attrs: str = "") -> str:
    return RTT.format(seq=seq, attrs=attrs, inner=inner)


def _message(inner: str) -> Message:
    stanza = xepcodec.parse(CHAT.format(inner))
    assert isinstance(stanza, Message)
    return stanza


def _apply(*steps: tuple[Action, ...]) -> list[str]:
    """The text after each step, starting from an empty real-time message."""
    texts, text = [], ""
    for actions in steps:
        text = apply_actions(text, actions)
        texts.append(text)
    return texts


# -- the elements -----------------------------------------------------------------------------


def test_the_actions_are_typed_in_sender_order_and_written_back() -> None:
    xml = _rtt("<t>HLL</t><e/><e n='2' p='3'/><w n='110'/><t p='1'>ELLO</t>",
               seq="123001", attrs=" event='new'")
    read = typed(xml)
    assert read == Rtt(seq=123001, event=RttEvent.NEW, actions=(
        Insert(text="HLL"), Erase(), Erase(position=3, count=2), Wait(milliseconds=110),
        Insert(text="ELLO", position=1)))
    assert encode(read) == (
        b'<rtt xmlns="urn:xmpp:rtt:0" seq="123001" event="new"><t>HLL</t><e/>'
        b'<e p="3" n="2"/><w n="110"/><t p="1">ELLO</t></rtt>')


def test_an_absent_event_is_kept_apart_from_an_explicit_edit() -> None:
    implicit, explicit = typed(_rtt()), typed(_rtt(attrs=" event='edit'"))
    assert implicit.event is None and explicit.event is RttEvent.EDIT
    assert implicit.kind is explicit.kind is RttEvent.EDIT
    assert implicit != explicit
    assert b"event" not in encode(implicit) and b'event="edit"' in encode(explicit)
    assert typed(_rtt(attrs=" event='reset'")).kind is RttEvent.RESET


def test_insert_text_is_kept_to_the_character() -> None:
    read = typed(_rtt("<t> </t><t>\n</t><t></t><t/><t>a&#13;\nb</t><t>&lt;3 &amp;</t>"))
    assert [action.text for action in read.actions] == [" ", "\n", "", "", "a\r\nb", "<3 &"]
    assert through_the_wire(read) == read


def test_an_rtt_goes_through_the_wire_unchanged() -> None:
    rtt = Rtt(seq=MAX_SEQ, event=RttEvent.RESET, id="msg-7", actions=(
        Insert(text="\N{GRINNING FACE} cafe\N{COMBINING ACUTE ACCENT} "),
        Wait(milliseconds=0), Erase(position=0, count=0), Insert(text="", position=2)))
    assert through_the_wire(rtt) == rtt
    assert through_the_wire(Rtt(seq=0, event=RttEvent.CANCEL)).kind is RttEvent.CANCEL


def test_elements_of_other_namespaces_are_passed_over_and_kept() -> None:
    read = typed(_rtt("<t>a</t><cursor xmlns='urn:example:ui' at='1'/><e/><t>b</t>"))
    assert read.actions == (Insert(text="a"), Erase(), Insert(text="b"))
    assert [type(item) for item in read.extensions] == [XmlFragment]
    assert apply_actions("", read.actions) == "b"
    assert through_the_wire(read) == read


@pytest.mark.parametrize(("xml", "words"), [
    (f"<rtt xmlns='{NS_RTT}'/>", ["'seq'"]),
    (_rtt(seq="-1"), ["seq", "minimum"]),
    (_rtt(seq=str(MAX_SEQ + 1)), ["seq", "maximum"]),
    (_rtt(seq="one"), ["seq", "integer"]),
    (_rtt(attrs=" event=''"), ["event", "empty token"]),
    (_rtt(attrs=" event='be right back'"), ["event", "white space"]),
    (_rtt(attrs=" event='&#9;new'"), ["event", "white space"]),
    (_rtt(attrs=" id=''"), ["id", "empty"]),
    (_rtt("<t p='-1'>x</t>"), ["'p'", "minimum"]),
    (_rtt("<e n='-2'/>"), ["'n'", "minimum"]),
    (_rtt("<w/>"), ["<w/>", "'n'"]),
    (_rtt("<w n='-5'/>"), ["'n'", "minimum"]),
    (_rtt("<e>x</e>"), ["text"]),
    (_rtt("<t>a<b/></t>"), []),
    (_rtt("stray text"), ["text"]),
    (_rtt("<r/>"), ["<r/>", "own namespace"]),
    (_rtt("<t>x</t>", attrs=" event='init'"), ["init", "empty", "§4.2.2"]),
    (_rtt("<e/>", attrs=" event='cancel'"), ["cancel", "empty"]),
    (_rtt("<x xmlns='urn:example:ui'/>", attrs=" event='init'"), ["init", "empty"]),
    (_rtt(attrs=" event='cancel' id='m1'"), ["cancel", "'m1'", "§4.2.3"]),
    (_rtt(attrs=" event='init' id='m1'"), ["init", "'m1'"]),
])
def test_malformed_rtt_is_refused_by_parse_and_schema(xml: str, words: list[str]) -> None:
    error = rejects(xml, *words)
    assert error.path is not None and error.path.startswith("/rtt")
    assert not xepcodec.validate(xml.encode()).ok


@pytest.mark.parametrize("xml", [
    _rtt(attrs=" event='typing'"),
    _rtt("<t>x</t><w n='5'/><x xmlns='urn:example:ui'/>", attrs=" event='paste' id='m1'"),
    _rtt(attrs=" event='NEW'"),
    _rtt(attrs=" event='reset-all'"),
])
def test_an_unknown_event_is_kept_as_received(xml: str) -> None:
    read = typed(xml)
    assert type(read.event) is str and read.event not in set(RttEvent)
    assert read.kind is None
    assert xml.split("event='")[1].split("'")[0] == read.event
    assert xepcodec.validate(xml.encode()).ok
    assert xepcodec.validate(encode(read)).ok
    assert typed(encode(read).decode()) == read
    assert f'event="{read.event}"'.encode() in encode(read)


def test_the_rules_of_init_and_cancel_leave_unknown_events_alone() -> None:
    # An event named like them but not them carries content and an id like any other.
    for event in ("initialise", "Cancel", "init2"):
        rtt = Rtt(seq=1, event=event, id="m1", actions=(Insert(text="x"),))
        assert rtt.kind is None and rtt.event == event
        assert through_the_wire(rtt) == rtt


def test_a_known_event_given_as_str_is_the_member() -> None:
    rtt = Rtt(seq=1, event="reset")
    assert rtt.event is RttEvent.RESET and rtt.kind is RttEvent.RESET
    assert Rtt(seq=1, event="reset") == Rtt(seq=1, event=RttEvent.RESET)
    with pytest.raises(ArgumentValueError, match="white space"):
        Rtt(seq=1, event="two words")
    with pytest.raises(ArgumentTypeError, match="RttEvent or a str"):
        Rtt(seq=1, event=3)  # type: ignore[arg-type]


def test_a_message_with_an_unknown_event_keeps_its_body() -> None:
    message = _message(_rtt("<t>later</t>", attrs=" event='future'") +
                       "<body>Hello</body>")
    assert message.body == "Hello"
    rtt = read_rtt(message)
    assert rtt is not None and rtt.event == "future" and rtt.kind is None
    assert xepcodec.validate(CHAT.format(_rtt(attrs=" event='future'")).encode()).ok


def test_init_and_cancel_are_valid_when_empty() -> None:
    for event in (RttEvent.INIT, RttEvent.CANCEL):
        read = typed(_rtt(attrs=f" event='{event}'"))
        assert read == Rtt(seq=1, event=event)
        assert xepcodec.validate(encode(read)).ok


def test_construction_refuses_what_parsing_refuses() -> None:
    with pytest.raises(ArgumentValueError, match=r"Rtt.*empty"):
        Rtt(seq=1, event=RttEvent.INIT, actions=(Insert(text="x"),))
    with pytest.raises(ArgumentValueError, match=r"Rtt.*names no message"):
        Rtt(seq=1, event=RttEvent.CANCEL, id="m1")
    with pytest.raises(ArgumentValueError, match="maximum"):
        Rtt(seq=MAX_SEQ + 1)
    with pytest.raises(ArgumentValueError, match="minimum"):
        Erase(position=-1)
    with pytest.raises(ArgumentValueError, match="minimum"):
        Wait(milliseconds=-1)
    with pytest.raises(ArgumentValueError):
        Rtt(seq=1, id="")
    # an id goes with the events that carry a message
    assert Rtt(seq=1, event=RttEvent.RESET, id="m1").id == "m1"


# -- the arithmetic: the XEP's use cases --------------------------------------------------------


def test_appending_in_three_transmissions() -> None:
    # §4.1: "Hello, my Juliet!" typed over three <rtt/>, then delivered as the body
    assert _apply((Insert(text="Hello, "),), (Insert(text="my J"),),
                  (Insert(text="uliet!"),)) == ["Hello, ", "Hello, my J", "Hello, my Juliet!"]


@pytest.mark.parametrize("steps", [
    ((Insert(text="HLL"), Erase(), Erase(), Insert(text="ELLO")),),
    ((Insert(text="HLL"), Erase(count=2), Insert(text="ELLO")),),
    ((Insert(text="HLL"),), (Erase(count=2),), (Insert(text="ELLO"),)),
])
def test_two_backspaces_in_hll_give_hello(steps: tuple[tuple[Action, ...], ...]) -> None:
    # §8.1: the same text, however the actions are spread over the transmissions
    assert _apply(*steps)[-1] == "HELLO"


def test_deleting_text_from_a_message() -> None:
    # §8.3.1: four characters before position 9 are " Bob"
    assert apply_actions("Hello Bob, this is Alice!", (Erase(position=9, count=4),)) \
        == "Hello, this is Alice!"


def test_inserting_text_into_a_message() -> None:
    # §8.3.2
    assert apply_actions("Hello, this is Alice!", (Insert(text=" Bob", position=5),)) \
        == "Hello Bob, this is Alice!"


def test_deleting_and_replacing_text() -> None:
    # §8.3.3: the mistyped word "tihsd" is erased, then "this" goes in its place
    assert _apply((Insert(text="Hello Bob, tihsd is Alice!"),),
                  (Erase(position=16, count=5),),
                  (Insert(text="this", position=11),)) == [
        "Hello Bob, tihsd is Alice!", "Hello Bob,  is Alice!", "Hello Bob, this is Alice!"]


def test_multiple_message_edits_step_by_step() -> None:
    # §8.3.4, with the text after each action as the XEP's table gives it
    assert _apply((Insert(text="Helo"),), (Erase(),), (Insert(text="lo...planet"),),
                  (Erase(count=6),), (Insert(text=" World"),), (Erase(position=8, count=3),),
                  (Insert(text=" there,", position=5),)) == [
        "Helo", "Hel", "Hello...planet", "Hello...", "Hello... World", "Hello World",
        "Hello there, World"]


def test_a_typing_sequence_with_waits_and_cursor_moves() -> None:
    # §8.4.2: "Hello tehre!" is typed, the cursor moves back, two backspaces and two
    # key presses make "there"; empty inserts and waits change nothing
    texts = _apply(
        (Insert(text="H"), Wait(milliseconds=115), Insert(text="e"), Insert(text="l"),
         Insert(text="l"), Insert(text="o"), Wait(milliseconds=165)),
        (Insert(text=" "), Insert(text="t"), Insert(text="e"), Insert(text="h"),
         Insert(text="r"), Wait(milliseconds=93)),
        (Insert(text="e"), Insert(text="!"), Insert(text="", position=11),
         Insert(text="", position=10)),
        (Insert(text="", position=9), Erase(position=9), Erase(position=8),
         Insert(text="h", position=7), Insert(text="e", position=8)),
        (Wait(milliseconds=445), Insert(text="", position=12)))
    assert texts == ["Hello", "Hello tehr", "Hello tehre!", "Hello there!", "Hello there!"]


# -- the arithmetic: out of range, and code points ------------------------------------------------


@pytest.mark.parametrize(("text", "action", "after"), [
    ("abc", Insert(text="X", position=99), "abcX"),      # clipped to the end
    ("", Insert(text="X", position=5), "X"),
    ("abc", Erase(position=99), "ab"),                   # from the end
    ("abc", Erase(position=99, count=2), "a"),
    ("abc", Erase(position=2, count=5), "c"),            # excess backspaces ignored
    ("abc", Erase(count=99), ""),
    ("abc", Erase(position=0), "abc"),                   # nothing before the start
    ("", Erase(), ""),
    ("abc", Erase(position=2, count=0), "abc"),
    ("abc", Insert(text="", position=1), "abc"),         # a cursor move only
    ("abc", Wait(milliseconds=2000), "abc"),
])
def test_out_of_range_actions_stay_within_the_text(text: str, action: Action,
                                                   after: str) -> None:
    assert apply_actions(text, (action,)) == after


def test_positions_count_code_points() -> None:
    face, accent = "\N{GRINNING FACE}", "\N{COMBINING ACUTE ACCENT}"
    # an astral character is one, not a UTF-16 surrogate pair
    assert apply_actions(f"a{face}b", (Erase(position=2),)) == "ab"
    assert apply_actions(f"{face}{face}", (Insert(text="x", position=1),)) == f"{face}x{face}"
    # a combining mark is a character of its own (§4.8.3)
    assert apply_actions(f"e{accent}x", (Erase(position=2),)) == "ex"
    # a ZWJ sequence is as many characters as it has code points
    family = "\N{WOMAN}\u200d\N{GIRL}"
    assert len(family) == 3
    assert apply_actions(family, (Erase(),)) == "\N{WOMAN}\u200d"
    # a line break is one character
    assert apply_actions("a\nb", (Erase(position=2),)) == "ab"


def test_apply_actions_refuses_what_is_not_an_action() -> None:
    with pytest.raises(ArgumentTypeError, match="not a str"):
        apply_actions("abc", ("x",))  # type: ignore[arg-type]


# -- diffing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "actions"), [
    ("", "Hello", (Insert(text="Hello"),)),
    ("Hel", "Hello", (Insert(text="lo"),)),
    ("Hello", "Hell", (Erase(),)),
    ("Hello", "He", (Erase(count=3),)),
    ("Hello", "", (Erase(count=5),)),
    ("Hello", "Jello", (Erase(position=1), Insert(text="J", position=0))),
    ("Hello, this is Alice!", "Hello Bob, this is Alice!", (Insert(text=" Bob", position=5),)),
    ("Hello Bob, this is Alice!", "Hello, this is Alice!", (Erase(position=9, count=4),)),
    ("Hello Bob, tihsd is Alice!", "Hello Bob, this is Alice!",
     (Erase(position=16, count=4), Insert(text="his", position=12))),  # keeps the "t"
    ("aaa", "aaaa", (Insert(text="a"),)),
])
def test_diff_gives_the_fewest_actions_with_defaults_left_out(
        old: str, new: str, actions: tuple[Action, ...]) -> None:
    assert diff_actions(old, new) == actions
    assert apply_actions(old, actions) == new


def test_diff_never_splits_a_combining_sequence() -> None:
    accent, grave = "\N{COMBINING ACUTE ACCENT}", "\N{COMBINING GRAVE ACCENT}"
    # adding an accent erases the letter and sends it again, accent and all (§4.8.2)
    assert diff_actions("cafe", f"cafe{accent}") == (Erase(), Insert(text=f"e{accent}"))
    assert diff_actions(f"cafe{accent}", "cafe") == (Erase(count=2), Insert(text="e"))
    assert diff_actions(f"e{accent}x", f"e{grave}x") == (
        Erase(position=2, count=2), Insert(text=f"e{grave}", position=0))
    # a change after the sequence leaves it alone
    assert diff_actions(f"e{accent}", f"e{accent}!") == (Insert(text="!"),)


_SPECIAL = st.sampled_from([
    "\N{GRINNING FACE}", "\N{COMBINING ACUTE ACCENT}", "\N{COMBINING DIAERESIS}",
    "\u200d", "\N{WOMAN}", "\N{GIRL}", "\N{EMOJI MODIFIER FITZPATRICK TYPE-4}",
    "\N{REGIONAL INDICATOR SYMBOL LETTER F}", "\U0001d11e", "\ufe0f", "e", "a", " ", "\n",
])
_TEXTS = st.lists(st.one_of(_SPECIAL, st.characters()), max_size=16).map("".join)


def _is_mark(character: str) -> bool:
    return unicodedata.category(character).startswith("M")


@given(old=_TEXTS, new=_TEXTS)
@example(old="e\N{COMBINING ACUTE ACCENT}", new="e\N{COMBINING DIAERESIS}")
@example(old="\N{WOMAN}\u200d\N{GIRL}", new="\N{WOMAN}\u200d\N{WOMAN}\u200d\N{GIRL}")
def test_diff_then_apply_gives_the_new_text(old: str, new: str) -> None:
    actions = diff_actions(old, new)
    assert apply_actions(old, actions) == new
    assert diff_actions(old, old) == ()
    assert diff_actions(new, new) == ()
    assert (actions == ()) == (old == new)
    # at most one erase, then at most one insert, and no attribute that holds its default
    kinds = [type(action) for action in actions]
    assert kinds in ([], [Erase], [Insert], [Erase, Insert])
    length = len(old)
    for action in actions:
        if isinstance(action, Erase):
            assert action.count != 1
            assert action.position is None or action.position < length
            length -= 1 if action.count is None else action.count
        else:
            assert isinstance(action, Insert) and action.text
            assert action.position is None or action.position < length
            # a combining mark is sent with its base, unless nothing precedes it
            at = length if action.position is None else action.position
            assert at == 0 or not _is_mark(action.text[0])


# -- messages -----------------------------------------------------------------------------------


def test_read_rtt_gives_the_messages_rtt() -> None:
    message = _message(_rtt("<t>Hello</t>", seq="123001", attrs=" event='new'"))
    assert read_rtt(message) == Rtt(seq=123001, event=RttEvent.NEW,
                                    actions=(Insert(text="Hello"),))
    assert read_rtt(_message("<body>Hello</body>")) is None


def test_a_message_carries_at_most_one_rtt() -> None:
    with pytest.raises(ParseError, match="at most one") as caught:
        read_rtt(_message(_rtt(seq="1") + _rtt(seq="2")))
    assert caught.value.condition == "bad-request"
    assert caught.value.path == "/message/rtt"


def test_an_rtt_never_shares_a_message_with_a_correction() -> None:
    message = _message(_rtt("<t>x</t>", attrs=" id='m0'") +
                       "<replace xmlns='urn:xmpp:message-correct:0' id='m0'/>")
    with pytest.raises(ParseError, match="replace") as caught:
        read_rtt(message)
    assert caught.value.path == "/message/replace"


def test_read_rtt_reads_messages_only() -> None:
    iq = xepcodec.parse("<iq xmlns='jabber:client' type='result' id='q'/>")
    assert isinstance(iq, Iq)
    with pytest.raises(ArgumentTypeError, match="not Iq"):
        read_rtt(iq)  # type: ignore[arg-type]


def test_rtt_message_builds_a_chat_message_and_its_body() -> None:
    rtt = Rtt(seq=123002, actions=(Insert(text=" Alice"),))
    message = rtt_message("alice@example.com", rtt, body="Hello Alice", id="b02")
    assert message.type is MessageType.CHAT and message.to == JID.parse("alice@example.com")
    assert message.id == "b02" and message.body == "Hello Alice"
    assert read_rtt(through_the_wire(message)) == rtt
    typing_only = rtt_message(JID.parse("bob@example.com"), rtt)
    assert typing_only.bodies == () and typing_only.id is None
    in_a_room = rtt_message("lounge@rooms.example.org", rtt, type="groupchat")
    assert in_a_room.type is MessageType.GROUPCHAT


def test_rtt_message_refuses_what_is_not_an_rtt() -> None:
    with pytest.raises(ArgumentTypeError, match="not Insert"):
        rtt_message("bob@example.com", Insert(text="x"))  # type: ignore[arg-type]
    with pytest.raises(ArgumentValueError, match="'typing' is not a message type"):
        rtt_message("bob@example.com", Rtt(seq=1), type="typing")
    with pytest.raises(ArgumentTypeError, match="JID or a str"):
        rtt_message(42, Rtt(seq=1))  # type: ignore[arg-type]
