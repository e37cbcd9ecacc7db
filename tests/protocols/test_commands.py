"""Tests for xepcodec.protocols.commands (XEP-0050 Ad-Hoc Commands).

The XML below is written for these tests; none of it is taken from the XEP.
"""

from __future__ import annotations

import itertools

import pytest
from lxml import etree
from payloads import typed

import xepcodec.testing.commands  # noqa: F401  (registers the Command and Actions strategies)
from xepcodec.core.stanza_errors import Condition, ErrorType, StanzaError
from xepcodec.core.stanzas import Iq, IqType, error_reply
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError, ProtocolError
from xepcodec.model import XmlFragment, decode, encode
from xepcodec.protocols.commands import (
    COMMAND_LIST_NODE,
    COMMAND_LIST_TYPE,
    COMMAND_NODE_TYPE,
    COMMANDS,
    FEATURE,
    GENERAL_CONDITIONS,
    IDENTITY_CATEGORY,
    URI_QUERY_TYPE,
    Action,
    Actions,
    Command,
    CommandCondition,
    Note,
    NoteType,
    SpecificCondition,
    Status,
    command_condition_of,
    stanza_error_for,
)
from xepcodec.protocols.rsm import ResultSet

NS = COMMANDS
FORM = "<x xmlns='urn:example:form' kind='submit'><v>1</v></x>"


def _command(attrs: str, inner: str = "") -> str:
    return f"<command xmlns='{NS}' {attrs}>{inner}</command>"


def _fragment(xml: str) -> XmlFragment:
    return XmlFragment.from_element(etree.fromstring(xml.encode()))


# -- round trips ----------------------------------------------------------------------


def test_constants() -> None:
    assert COMMANDS == "http://jabber.org/protocol/commands"
    assert FEATURE == COMMANDS
    assert COMMAND_LIST_NODE == COMMANDS
    assert (IDENTITY_CATEGORY, COMMAND_LIST_TYPE, COMMAND_NODE_TYPE) == (
        "automation", "command-list", "command-node")
    assert URI_QUERY_TYPE == "command"


# -- reading concrete XML ---------------------------------------------------------------


def test_first_request() -> None:
    got = typed(_command("node='backup' action='execute'"))
    assert got == Command(node="backup", action=Action.EXECUTE)
    assert got.sessionid is None
    assert got.status is None
    assert got.actions is None
    assert got.notes == ()
    assert got.payload == ()


def test_no_action_means_execute() -> None:
    got = typed(_command("node='backup'"))
    assert got.action is None
    assert got.effective_action is Action.EXECUTE


def test_every_field() -> None:
    got = typed(_command(
        "node='users/add' sessionid='s-81' status='executing' xml:lang='de'",
        "<actions execute='complete'><prev/><complete/></actions>"
        "<note type='warn'>Disk almost full</note><note>Second note</note>" + FORM))
    assert got.node == "users/add"
    assert got.sessionid == "s-81"
    assert got.status is Status.EXECUTING
    assert got.lang == "de"
    assert got.actions == Actions(execute=Action.COMPLETE, prev=True, complete=True)
    assert got.notes == (Note(type=NoteType.WARN, text="Disk almost full"),
                         Note(text="Second note"))
    assert got.payload == (_fragment(FORM),)
    assert not got.ended


def test_notes_and_payload_keep_their_order() -> None:
    got = typed(_command(
        "node='n' sessionid='s' status='completed'",
        "<y xmlns='urn:example:b'/><note>one</note><z xmlns='urn:example:a'/>"
        "<note type='error'>two</note>"))
    assert [note.text for note in got.notes] == ["one", "two"]
    assert [item.tag for item in got.payload] == ["{urn:example:b}y", "{urn:example:a}z"]


def test_actions_may_be_written_anywhere_and_come_back_first() -> None:
    got = typed(_command("node='n' sessionid='s' status='executing'",
                          "<note>hello</note><actions><next/></actions>"))
    assert got.actions == Actions(next=True)
    assert encode(got) == (
        b'<command xmlns="http://jabber.org/protocol/commands" node="n" sessionid="s" '
        b'status="executing"><actions><next/></actions><note>hello</note></command>')


def test_typed_payload_is_typed() -> None:
    got = typed(_command("node='n'", "<set xmlns='http://jabber.org/protocol/rsm'>"
                                      "<max>5</max></set>"))
    assert got.payload == (ResultSet(max=5),)
    assert got.find(ResultSet) == ResultSet(max=5)
    assert got.find(Note) is None


@pytest.mark.parametrize("status", list(Status))
def test_statuses(status: Status) -> None:
    got = typed(_command(f"node='n' sessionid='s' status='{status}'"))
    assert got.status is status
    assert got.ended is (status is not Status.EXECUTING)


@pytest.mark.parametrize("action", list(Action))
def test_actions_attribute_values(action: Action) -> None:
    got = typed(_command(f"node='n' sessionid='s' action='{action}'"))
    assert got.action is action
    assert got.effective_action is action


def test_note_types() -> None:
    plain = typed(f"<note xmlns='{NS}'>Saved.</note>")
    assert plain.type is None
    assert plain.severity is NoteType.INFO
    for kind in NoteType:
        note = typed(f"<note xmlns='{NS}' type='{kind}'>x</note>")
        assert note.type is kind
        assert note.severity is kind


def test_empty_note_keeps_empty_text() -> None:
    note = typed(f"<note xmlns='{NS}' type='info'/>")
    assert note == Note(type=NoteType.INFO, text="")
    assert encode(note) == b'<note xmlns="http://jabber.org/protocol/commands" type="info"/>'


ACTION_OFFERS = [
    ("<actions><next/></actions>", {Action.NEXT}, Action.NEXT),
    ("<actions execute='next'><next/></actions>", {Action.NEXT}, Action.NEXT),
    ("<actions execute='complete'><complete/></actions>", {Action.COMPLETE}, Action.COMPLETE),
    ("<actions execute='prev'><prev/><next/></actions>", {Action.PREV, Action.NEXT},
     Action.PREV),
    ("<actions><complete/><next/><prev/></actions>",
     {Action.PREV, Action.NEXT, Action.COMPLETE}, Action.NEXT),
]


@pytest.mark.parametrize(("inner", "allowed", "default"), ACTION_OFFERS)
def test_actions_offers(inner: str, allowed: set[Action], default: Action) -> None:
    got = typed(inner.replace("<actions", f"<actions xmlns='{NS}'", 1))
    assert got.allowed == allowed
    assert got.default is default


def test_actions_are_written_in_a_fixed_order() -> None:
    got = typed(f"<actions xmlns='{NS}' execute='complete'><complete/><prev/></actions>")
    assert encode(got) == (b'<actions xmlns="http://jabber.org/protocol/commands" '
                           b'execute="complete"><prev/><complete/></actions>')


@pytest.mark.parametrize("condition", list(CommandCondition))
def test_specific_conditions_read(condition: CommandCondition) -> None:
    got = typed(f"<{condition} xmlns='{NS}'/>")
    assert got == SpecificCondition(condition=condition)
    assert encode(got) == f'<{condition} xmlns="{NS}"/>'.encode()


# -- rejections -----------------------------------------------------------------------------

REJECTED = [
    pytest.param(_command("sessionid='s'"), "command", "required attribute 'node'",
                 id="no-node"),
    pytest.param(_command("node=''"), "node", "empty", id="empty-node"),
    pytest.param(_command("node='n' sessionid=''"), "sessionid", "empty",
                 id="empty-sessionid"),
    pytest.param(_command("node='n' action='finish'"), "action", "not one of",
                 id="unknown-action"),
    pytest.param(_command("node='n' status='done'"), "status", "not one of",
                 id="unknown-status"),
    pytest.param(_command("node='n' priority='1'"), "priority", "no attribute",
                 id="unknown-attribute"),
    pytest.param(_command("node='n' action='next'"), "command", "must carry its sessionid",
                 id="next-without-session"),
    pytest.param(_command("node='n' action='prev'"), "command", "must carry its sessionid",
                 id="prev-without-session"),
    pytest.param(_command("node='n' action='complete'"), "command",
                 "must carry its sessionid", id="complete-without-session"),
    pytest.param(_command("node='n' action='cancel'"), "command", "must carry its sessionid",
                 id="cancel-without-session"),
    pytest.param(_command("node='n' sessionid='s' status='completed'",
                          "<actions><next/></actions>"), "command", "offers no <actions/>",
                 id="completed-with-actions"),
    pytest.param(_command("node='n' sessionid='s' status='canceled'",
                          "<actions execute='prev'><prev/></actions>"), "command",
                 "offers no <actions/>", id="canceled-with-actions"),
    pytest.param(_command("node='n'", "<actions><next/></actions><actions><next/></actions>"),
                 "actions", "only one", id="two-actions"),
    pytest.param(_command("node='n'", f"<bad-action xmlns='{NS}'/>"), "command",
                 "other namespaces", id="condition-as-payload"),
    pytest.param(_command("node='n'", f"<command xmlns='{NS}' node='m'/>"), "command",
                 "other namespaces", id="command-in-command"),
    pytest.param(_command("node='n'", "<data xmlns=''/>"), "command", "has no namespace",
                 id="payload-without-namespace"),
    pytest.param(_command("node='n'", "stray"), "command", "holds no text",
                 id="text-in-command"),
    pytest.param(f"<actions xmlns='{NS}'/>", "actions", "must offer <next/>",
                 id="empty-actions"),
    pytest.param(f"<actions xmlns='{NS}'><prev/><complete/></actions>", "actions",
                 "must offer <next/>; it offers prev, complete", id="no-execute-no-next"),
    pytest.param(f"<actions xmlns='{NS}' execute='complete'><next/></actions>", "actions",
                 "execute means complete, which it does not offer",
                 id="execute-not-offered"),
    pytest.param(f"<actions xmlns='{NS}' execute='cancel'><next/></actions>", "actions",
                 "execute means cancel", id="execute-cancel"),
    pytest.param(f"<actions xmlns='{NS}' execute='execute'><next/></actions>", "actions",
                 "execute means execute", id="execute-execute"),
    pytest.param(f"<actions xmlns='{NS}' execute='finish'><next/></actions>", "execute",
                 "not one of", id="execute-unknown"),
    pytest.param(f"<actions xmlns='{NS}'><next/><cancel/></actions>", "cancel",
                 "does not allow", id="cancel-offered"),
    pytest.param(f"<actions xmlns='{NS}'><next>go</next></actions>", "next", "must be empty",
                 id="text-in-flag"),
    pytest.param(f"<actions xmlns='{NS}'><next a='1'/></actions>", "next", "no attributes",
                 id="attribute-on-flag"),
    pytest.param(f"<note xmlns='{NS}' type='fatal'>x</note>", "type", "not one of",
                 id="unknown-note-type"),
    pytest.param(f"<note xmlns='{NS}'>a<b/></note>", "b", "does not allow",
                 id="element-in-note"),
    pytest.param(f"<bad-action xmlns='{NS}'>why</bad-action>", "bad-action", "holds no text",
                 id="text-in-condition"),
    pytest.param(f"<session-expired xmlns='{NS}' at='x'/>", "session-expired", "no attribute",
                 id="attribute-on-condition"),
]


@pytest.mark.parametrize(("xml", "where", "words"), REJECTED)
def test_rejected(xml: str, where: str, words: str) -> None:
    with pytest.raises(ParseError) as caught:
        typed(xml)
    assert caught.value.condition == "bad-request"
    assert words in caught.value.message
    assert caught.value.path is not None and where in caught.value.path


def test_repeated_action_flag_is_rejected() -> None:
    with pytest.raises(ParseError, match="only one <next/>"):
        typed(f"<actions xmlns='{NS}'><next/><next/></actions>")


def test_rules_apply_on_construction() -> None:
    with pytest.raises(ValueError, match="offers no <actions/>"):
        Command(node="n", sessionid="s", status=Status.COMPLETED, actions=Actions(next=True))
    with pytest.raises(ValueError, match="must carry its sessionid"):
        Command(node="n", action=Action.CANCEL)
    with pytest.raises(ValueError, match="must offer <next/>"):
        Actions(prev=True)
    with pytest.raises(ValueError, match="other namespaces"):
        Command(node="n", payload=(SpecificCondition(condition=CommandCondition.BAD_ACTION),))
    with pytest.raises(ValueError, match="other namespaces"):
        Command(node="n", payload=(_fragment(f"<extra xmlns='{NS}'/>"),))


@pytest.mark.parametrize("execute", [None, *Action])
def test_actions_accept_exactly_an_offered_default(execute: Action | None) -> None:
    # Every combination of offered actions: accepted when the action execute stands for
    # (next without the attribute) is among them; otherwise the message lists them.
    for prev, next_, complete in itertools.product((False, True), repeat=3):
        offered = {Action.PREV: prev, Action.NEXT: next_, Action.COMPLETE: complete}
        if offered.get(execute or Action.NEXT, False):
            assert Actions(execute=execute, prev=prev, next=next_,
                           complete=complete).default == (execute or Action.NEXT)
            continue
        with pytest.raises(ValueError) as caught:
            Actions(execute=execute, prev=prev, next=next_, complete=complete)
        names = ", ".join(str(action) for action, on in offered.items() if on)
        assert str(caught.value).endswith(
            f"; it offers {names}" if names else "; it offers no action")


# -- Actions and Note helpers -------------------------------------------------------------


def test_actions_of() -> None:
    assert Actions.of("prev", Action.COMPLETE, execute="complete") == Actions(
        execute=Action.COMPLETE, prev=True, complete=True)
    assert Actions.of(Action.NEXT) == Actions(next=True)
    with pytest.raises(ValueError, match="only prev, next and complete"):
        Actions.of(Action.CANCEL, Action.NEXT)
    with pytest.raises(ValueError):
        Actions.of("sideways")
    with pytest.raises(ValueError, match="does not offer"):
        Actions.of("next", execute="complete")


# -- the requester --------------------------------------------------------------------------


STAGE = Command(node="cfg", sessionid="cfg-1", status=Status.EXECUTING, lang="en",
                actions=Actions.of("prev", "complete", execute="complete"),
                payload=(_fragment(FORM),))


def test_execute_starts_a_session() -> None:
    start = Command.execute("cfg", lang="fr")
    assert start == Command(node="cfg", action=Action.EXECUTE, lang="fr")
    assert encode(start) == (b'<command xmlns="http://jabber.org/protocol/commands" '
                             b'node="cfg" action="execute" xml:lang="fr"/>')
    with_form = Command.execute("cfg", payload=[_fragment(FORM)])
    assert with_form.payload == (_fragment(FORM),)


def test_proceed_defaults_to_what_execute_stands_for() -> None:
    submitted = _fragment("<x xmlns='urn:example:form' kind='submit'/>")
    follow = STAGE.proceed(payload=[submitted])
    assert follow == Command(node="cfg", sessionid="cfg-1", action=Action.COMPLETE,
                             lang="en", payload=(submitted,))
    assert follow.status is None and follow.actions is None


def test_proceed_without_actions_means_complete() -> None:
    bare = Command(node="cfg", sessionid="cfg-1", status=Status.EXECUTING)
    assert bare.proceed().action is Action.COMPLETE
    assert bare.proceed("next").action is Action.NEXT


def test_proceed_with_an_offered_action() -> None:
    assert STAGE.proceed(Action.PREV).action is Action.PREV
    assert STAGE.proceed("execute").action is Action.EXECUTE
    assert STAGE.proceed("cancel").action is Action.CANCEL


def test_proceed_refuses_an_action_not_offered() -> None:
    with pytest.raises(ProtocolError, match="does not offer next"):
        STAGE.proceed(Action.NEXT)


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CANCELED])
def test_no_follow_up_after_the_session_ended(status: Status) -> None:
    done = Command(node="cfg", sessionid="cfg-1", status=status)
    with pytest.raises(ProtocolError, match="has ended"):
        done.proceed()
    with pytest.raises(ProtocolError, match="has ended"):
        done.cancel()


def test_no_follow_up_without_a_session() -> None:
    with pytest.raises(ProtocolError, match="no sessionid"):
        Command(node="cfg", status=Status.EXECUTING).proceed()


def test_cancel() -> None:
    assert STAGE.cancel() == Command(node="cfg", sessionid="cfg-1", action=Action.CANCEL,
                                     lang="en")


# -- the responder --------------------------------------------------------------------------


def test_reply_starts_a_session() -> None:
    request = Command.execute("cfg", lang="en")
    form = _fragment(FORM)
    answer = request.reply(status="executing", sessionid="cfg-9",
                           actions=Actions.of("next"), notes=[Note(text="Step 1")],
                           payload=[form])
    assert answer == Command(node="cfg", sessionid="cfg-9", status=Status.EXECUTING,
                             lang="en", actions=Actions(next=True),
                             notes=(Note(text="Step 1"),), payload=(form,))


def test_reply_keeps_the_session_and_may_change_the_language() -> None:
    request = STAGE.proceed()
    answer = request.reply(status=Status.COMPLETED, lang="de")
    assert answer == Command(node="cfg", sessionid="cfg-1", status=Status.COMPLETED,
                             lang="de")
    assert answer.ended


def test_reply_needs_a_session_to_go_on() -> None:
    with pytest.raises(ValueError, match="pass sessionid="):
        Command.execute("cfg").reply(status=Status.EXECUTING)
    single = Command.execute("cfg").reply(status=Status.COMPLETED)
    assert single.sessionid is None


def test_reply_refuses_actions_on_an_ended_session() -> None:
    with pytest.raises(ValueError, match="offers no <actions/>"):
        STAGE.cancel().reply(status=Status.CANCELED, actions=Actions(next=True))


def test_failed() -> None:
    assert Command(node="n", status=Status.COMPLETED,
                   notes=(Note(text="ok"), Note(type=NoteType.ERROR, text="no"))).failed
    assert not Command(node="n", status=Status.COMPLETED, notes=(Note(text="ok"),)).failed
    assert not Command(node="n", sessionid="s", status=Status.EXECUTING,
                       notes=(Note(type=NoteType.ERROR, text="retry"),)).failed


# -- errors -----------------------------------------------------------------------------------

EXPECTED_GENERAL = {
    "malformed-action": ("modify", "bad-request"),
    "bad-action": ("modify", "bad-request"),
    "bad-locale": ("modify", "bad-request"),
    "bad-payload": ("modify", "bad-request"),
    "bad-sessionid": ("modify", "bad-request"),
    "session-expired": ("cancel", "not-allowed"),
}


def test_general_conditions_cover_every_specific_one() -> None:
    assert set(GENERAL_CONDITIONS) == set(CommandCondition)
    assert {str(c): (str(t), str(g)) for c, (t, g) in GENERAL_CONDITIONS.items()} == (
        EXPECTED_GENERAL)


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED_GENERAL.items()))
def test_stanza_error_for(name: str, expected: tuple[str, str]) -> None:
    error = stanza_error_for(name)
    assert (error.type, error.condition) == (ErrorType(expected[0]), Condition(expected[1]))
    assert error.application == (SpecificCondition(condition=CommandCondition(name)),)
    assert command_condition_of(error) is CommandCondition(name)
    assert encode(error) == (
        f'<error xmlns="jabber:client" type="{expected[0]}"><{expected[1]} '
        f'xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><{name} xmlns="{NS}"/></error>'
    ).encode()


def test_stanza_error_for_with_text_and_element() -> None:
    specific = SpecificCondition(condition=CommandCondition.BAD_PAYLOAD)
    error = stanza_error_for(specific, text="field 'name' is required", lang="en",
                             by=JID.parse("bot.example.org"))
    assert error.application == (specific,)
    assert error.text == "field 'name' is required"
    assert error.by == JID.parse("bot.example.org")
    with pytest.raises(ValueError):
        stanza_error_for("bad-mood")


def test_command_condition_of_a_plain_error() -> None:
    assert command_condition_of(StanzaError.of(Condition.FORBIDDEN)) is None


def test_error_reply_carries_the_specific_condition() -> None:
    request = Iq(type=IqType.SET, id="c1", to=JID.parse("bot.example.org"),
                 extensions=(Command(node="cfg", sessionid="old", action=Action.NEXT),))
    reply = error_reply(request, stanza_error_for(CommandCondition.SESSION_EXPIRED),
                        include_payload=True)
    read = decode(etree.fromstring(encode(reply)))
    assert isinstance(read.payload, Command)
    assert read.error is not None
    assert read.error.condition is Condition.NOT_ALLOWED
    assert command_condition_of(read.error) is CommandCondition.SESSION_EXPIRED
