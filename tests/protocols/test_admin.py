"""Tests for xepcodec.protocols.admin (XEP-0133 Service Administration).

The XML below is written for these tests; none of it is taken from the XEP.  The
answers shaped as Prosody's mod_admin_adhoc writes them (JID lists as text-multi, the
roster command asking for one account) are written from how that module builds its
forms.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from lxml import etree

from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import (
    ArgumentTypeError,
    ArgumentValueError,
    JIDError,
    ParseError,
    ProtocolError,
)
from xepcodec.model import decode, encode
from xepcodec.protocols import xep
from xepcodec.protocols.admin import (
    ADMIN,
    ALIASES,
    COMMANDS,
    FIELD_TYPES,
    Accounts,
    AddUser,
    AdminForm,
    Announce,
    ChangeUserPassword,
    LastLogin,
    MaxItems,
    Node,
    OnlineUsers,
    OnlineUsersNum,
    ServiceStop,
    UserRoster,
    UserRosterRequest,
    UserStats,
    admin_form,
    admin_nodes,
    commands_request,
    execute_request,
    read,
    submit_request,
    view_class,
)
from xepcodec.protocols.commands import COMMAND_LIST_NODE, Actions, Command, Status
from xepcodec.protocols.dataforms import FORM_TYPE, Field, FieldType, Form, FormType
from xepcodec.protocols.disco import ItemsQuery
from xepcodec.testing.admin import admin_forms, any_admin_form

ROOT = Path(__file__).resolve().parents[2]
SERVER = JID.parse("capulet.example")
HEADER = f"<field var='FORM_TYPE' type='hidden'><value>{ADMIN}</value></field>"


def _form(kind: str, *fields: str) -> Form:
    xml = (f"<x xmlns='jabber:x:data' type='{kind}'>{HEADER}{''.join(fields)}</x>")
    form = decode(etree.fromstring(xml))
    assert isinstance(form, Form)
    return form


def _answer(node: str, status: str, form: str = "", extra: str = "") -> Command:
    xml = (f"<command xmlns='http://jabber.org/protocol/commands' node='{node}' "
           f"sessionid='s1' status='{status}'>{extra}{form}</command>")
    command = decode(etree.fromstring(xml))
    assert isinstance(command, Command)
    return command


# -- the registry -----------------------------------------------------------------------


def test_every_node_the_xep_defines() -> None:
    assert len(Node) == 35
    assert all(node.startswith(f"{ADMIN}#") for node in Node)
    assert set(COMMANDS) == set(Node)
    assert Node.ADD_USER == "http://jabber.org/protocol/admin#add-user"
    assert Node.USER_STATS == "http://jabber.org/protocol/admin#user-stats"
    assert Node.GET_ONLINE_USERS_LIST == "http://jabber.org/protocol/admin#get-online-users-list"


def test_the_field_registry() -> None:
    assert len(FIELD_TYPES) == 30
    assert FIELD_TYPES["accountjid"] is FieldType.JID_SINGLE
    assert FIELD_TYPES["accountjids"] is FieldType.JID_MULTI
    assert FIELD_TYPES["password-verify"] is FieldType.TEXT_PRIVATE
    assert FIELD_TYPES["max_items"] is FieldType.LIST_SINGLE


def test_xep_133_finds_the_module() -> None:
    module = xep(133)
    assert module.__name__ == "xepcodec.protocols.admin"
    assert module.Node is Node


# -- round trips ------------------------------------------------------------------------


@given(view=any_admin_form())
def test_view_to_submission_to_view_is_a_fixed_point(view: AdminForm) -> None:
    form = view.to_form()
    assert form.type is FormType.SUBMIT
    assert form.form_type == ADMIN
    assert type(view).from_form(form) == view


@given(view=any_admin_form(complete=False))
def test_any_view_as_a_blank_form_reads_back(view: AdminForm) -> None:
    form = view.to_form(FormType.FORM)
    assert type(view).from_form(form) == view


@given(view=any_admin_form())
def test_form_to_xml_to_form(view: AdminForm) -> None:
    for kind in (FormType.SUBMIT, FormType.RESULT):
        form = view.to_form(kind)
        again = decode(etree.fromstring(encode(form)))
        assert again == form
        assert type(view).from_form(again) == view


@given(view=admin_forms(AddUser))
def test_add_user_writes_the_registry_types(view: AddUser) -> None:
    form = view.to_form()
    assert form.fields[0] == Field(var=FORM_TYPE, type=FieldType.HIDDEN, values=(ADMIN,))
    field = form.get("accountjid")
    assert field is not None and field.type is FieldType.JID_SINGLE
    assert field.values == (str(view.accountjid),)


# -- reading: what is refused -----------------------------------------------------------


def test_a_required_field_missing_from_a_submission() -> None:
    with pytest.raises(ParseError) as caught:
        Accounts.from_form(_form("submit"))
    assert "required field 'accountjids'" in str(caught.value)
    assert caught.value.condition == "bad-request"
    # The service's blank form has no value yet, and that is fine.
    assert Accounts.from_form(_form("form")) == Accounts()


def test_one_of_two_fields_for_the_roster() -> None:
    with pytest.raises(ParseError, match="'accountjids' or 'accountjid'"):
        UserRosterRequest.from_form(_form("submit"))
    one = UserRosterRequest.from_form(
        _form("submit", "<field var='accountjid'><value>juliet@capulet.example</value></field>"))
    assert one.accountjid == JID.parse("juliet@capulet.example")


def test_a_field_of_the_wrong_type() -> None:
    form = _form("form", "<field var='accountjid' type='text-multi'><value>a@b</value></field>")
    with pytest.raises(ParseError) as caught:
        AddUser.from_form(form)
    message = str(caught.value)
    assert "field 'accountjid'" in message and "type text-multi" in message
    assert "jid-single" in message


def test_a_malformed_jid_in_a_jid_single_field() -> None:
    # An untyped field in a submission: the data forms layer lets it through, the view
    # knows the var holds a JID.
    form = _form("submit", "<field var='accountjid'><value>juliet@@capulet</value></field>")
    with pytest.raises(JIDError) as caught:
        AddUser.from_form(form)
    assert caught.value.condition == "jid-malformed"
    assert "field 'accountjid'" in str(caught.value)


def test_a_malformed_jid_in_a_typed_field_is_refused_on_parse() -> None:
    xml = ("<x xmlns='jabber:x:data' type='submit'><field var='accountjids' "
           "type='jid-multi'><value>@capulet.example</value></field></x>")
    with pytest.raises(ParseError) as caught:
        decode(etree.fromstring(xml))
    assert caught.value.condition == "jid-malformed"


def test_another_form_type_is_refused() -> None:
    xml = ("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>"
           "<value>urn:example:other</value></field></x>")
    with pytest.raises(ParseError, match="FORM_TYPE 'urn:example:other'"):
        Accounts.from_form(decode(etree.fromstring(xml)))


def test_a_form_without_form_type_is_read() -> None:
    form = Form(type=FormType.RESULT, fields=(Field.of("onlineusersnum", "3"),))
    assert OnlineUsersNum.from_form(form) == OnlineUsersNum(onlineusersnum=3)


@pytest.mark.parametrize(("view", "field", "words"), [
    (OnlineUsersNum, "<field var='onlineusersnum'><value>many</value></field>",
     ["'onlineusersnum'", "'many'", "integer"]),
    (OnlineUsersNum, "<field var='onlineusersnum'><value>-1</value></field>",
     ["'-1'", "integer"]),
    (LastLogin, "<field var='lastlogin'><value>yesterday</value></field>",
     ["'lastlogin'", "DateTime"]),
    (UserStats, "<field var='loginsperminute'><value>1e3</value></field>",
     ["'loginsperminute'", "decimal"]),
    (AddUser, "<field var='email'><value>a@b</value><value>c@d</value></field>"
     "<field var='accountjid'><value>a@b</value></field>",
     ["'email'", "2 values"]),
])
def test_values_that_break_the_rule_of_their_field(view: type[AdminForm], field: str,
                                                   words: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        view.from_form(_form("result", field))
    for word in words:
        assert word in str(caught.value)


def test_a_result_lacking_its_count() -> None:
    with pytest.raises(ParseError, match="required field 'onlineusersnum'"):
        OnlineUsersNum.from_form(_form("result"))


# -- writing ----------------------------------------------------------------------------


def test_a_submission_needs_its_required_values() -> None:
    with pytest.raises(ArgumentValueError, match="'accountjid'"):
        AddUser(password="x").to_form()
    with pytest.raises(ArgumentValueError, match="'announcement'"):
        Announce(subject="hello").to_form(FormType.RESULT)
    # A blank form may leave them empty.
    assert AddUser().to_form(FormType.FORM).get("accountjid") is None


def test_extra_cannot_shadow_a_field_of_the_view() -> None:
    with pytest.raises(ArgumentValueError, match="'accountjid'"):
        AddUser(extra=(Field.of("accountjid", "a@b"),))
    with pytest.raises(ArgumentValueError, match="FORM_TYPE"):
        AddUser(extra=(Field.of(FORM_TYPE, "x"),))


def test_the_submission_as_written() -> None:
    view = ChangeUserPassword(accountjid=JID.parse("juliet@capulet.example"),
                              password="s3cret")
    assert encode(view.to_form()) == (
        b'<x xmlns="jabber:x:data" type="submit">'
        b'<field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/admin'
        b'</value></field>'
        b'<field var="accountjid" type="jid-single"><value>juliet@capulet.example</value>'
        b'</field>'
        b'<field var="password" type="text-private"><value>s3cret</value></field></x>')


def test_text_lines_and_seconds() -> None:
    view = ServiceStop(delay=120, announcement="Going down.\nLog off now.")
    form = view.to_form()
    delay, announcement = form.get("delay"), form.get("announcement")
    assert delay is not None and delay.values == ("120",)
    assert delay.type is FieldType.LIST_SINGLE  # as every example writes it
    assert announcement is not None and announcement.values == ("Going down.",
                                                                "Log off now.")
    assert ServiceStop.from_form(form) == view


def test_max_items_limit() -> None:
    assert MaxItems(max_items="100").limit == 100
    assert MaxItems(max_items="none").limit is None
    assert MaxItems(max_items="all").limit is None
    assert MaxItems().limit is None


# -- commands ---------------------------------------------------------------------------


def test_execute_request() -> None:
    iq = execute_request(Node.GET_ONLINE_USERS_NUM, id="a1", to=SERVER)
    assert encode(iq) == (
        b'<iq xmlns="jabber:client" type="set" id="a1" to="capulet.example">'
        b'<command xmlns="http://jabber.org/protocol/commands" '
        b'node="http://jabber.org/protocol/admin#get-online-users-num" action="execute"/>'
        b'</iq>')
    assert decode(etree.fromstring(encode(iq))) == iq


def test_listing_the_commands() -> None:
    iq = commands_request(id="l1", to=SERVER)
    assert iq.type is IqType.GET
    assert isinstance(iq.payload, ItemsQuery) and iq.payload.node == COMMAND_LIST_NODE
    answer = decode(etree.fromstring(
        "<query xmlns='http://jabber.org/protocol/disco#items' "
        "node='http://jabber.org/protocol/commands'>"
        f"<item jid='capulet.example' node='{Node.ADD_USER}' name='Add User'/>"
        "<item jid='capulet.example' node='http://prosody.im/protocol/modules#list'/>"
        f"<item jid='capulet.example' node='{ADMIN}#get-user-password'/>"
        "</query>"))
    assert admin_nodes(answer) == (Node.ADD_USER, f"{ADMIN}#get-user-password")


def test_a_whole_add_user_session() -> None:
    # The service's blank form, shaped as Prosody writes it.
    form = encode(_form(
        "form",
        "<field var='accountjid' type='jid-single' label='JID'><required/></field>",
        "<field var='password' type='text-private'/>",
        "<field var='password-verify' type='text-private'/>")).decode()
    answer = _answer(Node.ADD_USER, "executing", form,
                     "<actions execute='complete'><next/><complete/></actions>")
    blank = read(answer)
    assert blank == AddUser()
    request = submit_request(
        answer, AddUser(accountjid=JID.parse("romeo@capulet.example"), password="pw",
                        password_verify="pw"), id="a2", to=SERVER)
    command = request.payload
    assert isinstance(command, Command)
    assert command.sessionid == "s1" and command.action == "complete"
    sent = decode(etree.fromstring(encode(request)))
    assert read(sent.payload) == AddUser(accountjid=JID.parse("romeo@capulet.example"),
                                         password="pw", password_verify="pw")
    done = _answer(Node.ADD_USER, "completed",
                   extra="<note type='info'>Account successfully created</note>")
    assert read(done) is None and not done.failed
    with pytest.raises(ProtocolError):
        submit_request(done, AddUser(accountjid=JID.parse("a@b")), id="a3")


def test_online_users_as_prosody_answers() -> None:
    # Prosody lists the users in a text-multi field, one JID a line.
    done = _answer(Node.GET_ONLINE_USERS_LIST, "completed", encode(_form(
        "result", "<field var='onlineuserjids' type='text-multi'>"
        "<value>juliet@capulet.example</value><value>romeo@montague.example</value>"
        "</field>")).decode())
    assert read(done) == OnlineUsers(onlineuserjids=(JID.parse("juliet@capulet.example"),
                                                     JID.parse("romeo@montague.example")))
    # Its request form offers a 'details' boolean the XEP does not define: kept aside.
    blank = _answer(Node.GET_ONLINE_USERS_LIST, "executing", encode(_form(
        "form", "<field var='max_items' type='list-single'><option><value>25</value>"
        "</option><option><value>all</value></option></field>",
        "<field var='details' type='boolean'/>")).decode())
    view = read(blank)
    assert isinstance(view, MaxItems) and view.max_items is None
    assert [field.var for field in view.extra] == ["details"]
    submitted = dataclasses.replace(view, max_items="all").to_form()
    assert submitted.get("details") is not None


def test_user_roster_and_stats_as_prosody_answers() -> None:
    roster = _answer(Node.GET_USER_ROSTER, "completed", encode(_form(
        "result", "<field var='accountjid' type='jid-single'>"
        "<value>juliet@capulet.example</value></field>",
        "<field var='roster' type='text-multi'><value>&lt;query/&gt;</value></field>",
        "<query xmlns='jabber:iq:roster'><item jid='romeo@montague.example'/></query>",
    )).decode())
    view = read(roster)
    assert isinstance(view, UserRoster)
    assert view.accountjid == JID.parse("juliet@capulet.example")
    assert [field.var for field in view.extra] == ["roster"]
    assert len(view.extensions) == 1
    stats = _answer(Node.USER_STATS, "completed", encode(_form(
        "result", "<field var='ipaddresses' type='text-multi'><value>127.0.0.1</value>"
        "</field>", "<field var='rostersize' type='text-single'><value>2</value></field>",
        "<field var='onlineresources' type='text-multi'><value>balcony</value></field>",
        "<field var='loginsperminute'><value>0.25</value></field>")).decode())
    assert read(stats) == UserStats(ipaddresses=("127.0.0.1",), rostersize=2,
                                    onlineresources=("balcony",),
                                    loginsperminute=Decimal("0.25"))


def test_last_login_reads_a_datetime() -> None:
    form = _form("result", "<field var='lastlogin'><value>2003-12-19T17:58:35Z</value>"
                 "</field>")
    assert LastLogin.from_form(form).lastlogin == datetime(2003, 12, 19, 17, 58, 35,
                                                           tzinfo=UTC)


def test_read_picks_the_view_by_status() -> None:
    blank = _answer(Node.GET_USER_ROSTER, "executing", encode(_form("form")).decode())
    assert isinstance(read(blank), UserRosterRequest)
    assert view_class(Node.GET_USER_ROSTER, result=True) is UserRoster
    # A command that reports nothing in a form of its own.
    with pytest.raises(ParseError, match="defines none"):
        read(_answer(Node.GET_ONLINE_USERS_NUM, "executing", encode(_form("form")).decode()))
    # Prosody's name for the online users list.
    prosody = _answer(f"{ADMIN}#get-online-users", "completed", encode(_form(
        "result", "<field var='onlineuserjids' type='text-multi'><value>a@b</value>"
                  "</field>")).decode())
    assert read(prosody) == OnlineUsers(onlineuserjids=(JID.parse("a@b"),))
    assert ALIASES[f"{ADMIN}#get-online-users"] is Node.GET_ONLINE_USERS_LIST
    # A node nobody defines: name the view.
    other = _answer(f"{ADMIN}#list-sessions", "completed", encode(_form(
        "result", "<field var='onlineuserjids' type='jid-multi'><value>a@b</value>"
                  "</field>")).decode())
    with pytest.raises(ArgumentValueError, match="not a command node of XEP-0133"):
        read(other)
    assert read(other, OnlineUsers) == OnlineUsers(onlineuserjids=(JID.parse("a@b"),))


def test_admin_form_prefers_the_admin_form_type() -> None:
    other = Form(type=FormType.RESULT, fields=(
        Field(var=FORM_TYPE, type=FieldType.HIDDEN, values=("urn:example:x",)),))
    mine = OnlineUsersNum(onlineusersnum=1).to_form(FormType.RESULT)
    command = Command(node=Node.GET_ONLINE_USERS_NUM, status=Status.COMPLETED,
                      sessionid="s", payload=(other, mine))
    assert admin_form(command) is mine
    assert admin_form(Command(node="x", status=Status.COMPLETED, sessionid="s",
                              payload=(other,))) is None
    assert read(command) == OnlineUsersNum(onlineusersnum=1)


def test_submit_takes_the_offered_action() -> None:
    answer = Command(node=Node.ANNOUNCE, sessionid="s", status=Status.EXECUTING,
                     actions=Actions.of("next"), payload=(Announce().to_form("form"),))
    iq = submit_request(answer, Announce(announcement="hi", subject="News"), id="n1")
    assert isinstance(iq, Iq) and iq.payload.action == "next"
    with pytest.raises(ProtocolError):
        submit_request(answer, Announce(announcement="hi"), id="n2", action="complete")


# -- the guide --------------------------------------------------------------------------


def test_the_admin_guide_runs(capsys: pytest.CaptureFixture[str]) -> None:
    page = (ROOT / "docs" / "admin.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", page, re.DOTALL | re.MULTILINE)
    assert blocks
    namespace: dict[str, object] = {"__name__": "docs.admin"}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"docs/admin.md, python block {number}", "exec"), namespace)
    assert "online: 2" in capsys.readouterr().out


@pytest.mark.parametrize(("make", "error", "words"), [
    (lambda: AddUser(accountjid="juliet@capulet.example"), ArgumentTypeError,
     ["AddUser.accountjid", "JID", "str"]),
    (lambda: Accounts(accountjids=[JID.parse("a@b")]), ArgumentTypeError,
     ["tuple of JID", "list"]),
    (lambda: OnlineUsersNum(onlineusersnum=True), ArgumentTypeError, ["int", "bool"]),
    (lambda: OnlineUsersNum(onlineusersnum=-1), ArgumentValueError, ["negative"]),
    (lambda: LastLogin(lastlogin=datetime(2020, 1, 1)), ArgumentValueError, ["naive"]),
])
def test_a_view_refuses_values_it_cannot_write(make: Any, error: type[Exception],
                                               words: list[str]) -> None:
    with pytest.raises(error) as caught:
        make()
    for word in words:
        assert word in str(caught.value)
