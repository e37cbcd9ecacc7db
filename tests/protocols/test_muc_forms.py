"""Tests for xepcodec.protocols.muc.forms, XEP-0045's typed data forms.

The forms below are written for these tests.  Those shaped as Prosody 0.12's MUC
component sends them (fixed section headings, descriptions, options, XEP-0122
datatypes, its own history and invitation fields, booleans as 1 and 0) are written
from how its muc modules build them.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from lxml import etree

import xepcodec
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import decode, encode
from xepcodec.protocols.dataforms import FORM_TYPE, FieldType, Form, FormType
from xepcodec.protocols.disco import InfoQuery
from xepcodec.protocols.form_views import UNLIMITED
from xepcodec.protocols.muc.core import Role
from xepcodec.protocols.muc.forms import (
    REGISTER,
    REQUEST,
    ROOMCONFIG,
    ROOMINFO,
    PrivateMessages,
    RegistrationForm,
    RoomConfigForm,
    RoomInfoForm,
    VoiceRequestForm,
    Whois,
    room_info_form,
)

ROOT = Path(__file__).resolve().parents[2]
ROOM = "orchard@rooms.verona.example"
PROSODY = "http://prosody.im/protocol/muc"


def _form(xml: str) -> Form:
    form = decode(etree.fromstring(xml))
    assert isinstance(form, Form)
    return form


def _header(form_type: str) -> str:
    return f"<field var='FORM_TYPE' type='hidden'><value>{form_type}</value></field>"


# As Prosody 0.12 offers a new room's configuration.
PROSODY_CONFIG = (
    "<x xmlns='jabber:x:data' type='form'>"
    f"<title>Configuration for {ROOM}</title>"
    "<instructions>Complete and submit this form to configure the room.</instructions>"
    f"{_header(ROOMCONFIG)}"
    "<field type='fixed'><value>Room information</value></field>"
    "<field var='muc#roomconfig_roomname' type='text-single' label='Title'/>"
    "<field var='muc#roomconfig_roomdesc' type='text-single' label='Description'>"
    "<desc>A brief description of the room</desc><value/></field>"
    "<field var='muc#roomconfig_lang' type='text-single' label='Language tag for room'>"
    "<validate xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:language'/>"
    "<value>en</value></field>"
    # Prosody writes a false boolean without a value.
    "<field var='muc#roomconfig_persistentroom' type='boolean' label='Persistent'>"
    "<desc>Keep the room when the last occupant leaves</desc></field>"
    "<field var='muc#roomconfig_publicroom' type='boolean' label='Listed'>"
    "<value>0</value></field>"
    "<field type='fixed'><value>Access to the room</value></field>"
    "<field var='muc#roomconfig_roomsecret' type='text-private' label='Password'>"
    "<value/></field>"
    "<field var='muc#roomconfig_membersonly' type='boolean' label='Only members may join'/>"
    f"<field var='{{{PROSODY}}}roomconfig_allowmemberinvites' type='boolean'"
    " label='Allow members to invite new members'/>"
    "<field type='fixed'><value>Permissions in the room</value></field>"
    "<field var='muc#roomconfig_changesubject' type='boolean'"
    " label='Allow anyone to set the subject'/>"
    "<field var='muc#roomconfig_moderatedroom' type='boolean' label='Moderated'/>"
    "<field var='muc#roomconfig_whois' type='list-single' label='Addresses visible to'>"
    "<value>moderators</value>"
    "<option label='Moderators only'><value>moderators</value></option>"
    "<option label='Anyone'><value>anyone</value></option></field>"
    "<field var='muc#roomconfig_presencebroadcast' type='list-multi'"
    " label='Only show participants with roles:'>"
    "<value>visitor</value><value>participant</value><value>moderator</value>"
    "<option><value>none</value></option><option><value>visitor</value></option>"
    "<option><value>participant</value></option><option><value>moderator</value></option>"
    "</field>"
    "<field type='fixed'><value>Other options</value></field>"
    "<field var='muc#roomconfig_historylength' type='text-single'"
    " label='Maximum number of history messages'>"
    "<validate xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:integer'/>"
    "<value>20</value></field>"
    "<field var='muc#roomconfig_defaulthistorymessages' type='text-single'"
    " label='Default number of history messages'>"
    "<validate xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:integer'/>"
    "<value>20</value></field>"
    "</x>")


# -- muc#roomconfig ---------------------------------------------------------------------


def test_prosodys_configuration_form_reads() -> None:
    view = RoomConfigForm.from_form(_form(PROSODY_CONFIG))
    assert view.roomname is None and view.roomdesc is None and view.lang == "en"
    assert view.roomsecret is None
    # A boolean without a value is false.
    assert view.persistentroom is False and view.publicroom is False
    assert view.membersonly is False and view.moderatedroom is False
    assert view.changesubject is False and view.allowinvites is None
    assert view.whois is Whois.MODERATORS
    assert view.presencebroadcast == (Role.VISITOR, Role.PARTICIPANT, Role.MODERATOR)
    # Prosody's own fields and the section headings are kept, in order.
    assert [field.var for field in view.extra] == [
        None, None, f"{{{PROSODY}}}roomconfig_allowmemberinvites", None, None,
        "muc#roomconfig_historylength", "muc#roomconfig_defaulthistorymessages"]
    assert view.extra[0].type is FieldType.FIXED


def test_the_owner_answers_prosodys_form_keeping_its_own_fields() -> None:
    offered = RoomConfigForm.from_form(_form(PROSODY_CONFIG))
    chosen = dataclasses.replace(offered, roomname="The Orchard", persistentroom=True,
                                 passwordprotectedroom=True, roomsecret="under the wall",
                                 whois=Whois.ANYONE)
    form = chosen.to_form()
    assert form.type is FormType.SUBMIT and form.form_type == ROOMCONFIG
    values = form.values()
    assert values["muc#roomconfig_roomname"] == "The Orchard"
    assert values["muc#roomconfig_persistentroom"] is True
    assert values["muc#roomconfig_roomsecret"] == "under the wall"
    assert values["muc#roomconfig_whois"] == "anyone"
    # Prosody's history length goes back as it came, its datatype included.
    assert form.get("muc#roomconfig_historylength") == _form(PROSODY_CONFIG).get(
        "muc#roomconfig_historylength")
    assert RoomConfigForm.from_form(decode(etree.fromstring(encode(form)))) == chosen


def test_a_submission_with_every_field_of_the_registry() -> None:
    form = _form(
        "<x xmlns='jabber:x:data' type='submit'>"
        f"<field var='FORM_TYPE'><value>{ROOMCONFIG}</value></field>"
        "<field var='muc#roomconfig_roomname'><value>The Orchard</value></field>"
        "<field var='muc#roomconfig_roomdesc'><value>Apples, mostly</value></field>"
        "<field var='muc#roomconfig_lang'><value>en-GB</value></field>"
        "<field var='muc#roomconfig_enablelogging'><value>1</value></field>"
        "<field var='muc#roomconfig_changesubject'><value>true</value></field>"
        "<field var='muc#roomconfig_allowinvites'><value>0</value></field>"
        "<field var='muc#roomconfig_allowpm'><value>participants</value></field>"
        "<field var='muc#roomconfig_maxusers'><value>none</value></field>"
        "<field var='muc#roomconfig_presencebroadcast'><value>moderator</value></field>"
        "<field var='muc#roomconfig_getmemberlist'><value>moderator</value>"
        "<value>participant</value></field>"
        "<field var='muc#roomconfig_publicroom'><value>false</value></field>"
        "<field var='muc#roomconfig_persistentroom'><value>1</value></field>"
        "<field var='muc#roomconfig_moderatedroom'><value>1</value></field>"
        "<field var='muc#roomconfig_membersonly'><value>1</value></field>"
        "<field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>"
        "<field var='muc#roomconfig_roomsecret'><value>under the wall</value></field>"
        "<field var='muc#roomconfig_whois'><value>anyone</value></field>"
        "<field var='muc#maxhistoryfetch'><value>40</value></field>"
        "<field var='muc#roomconfig_roomadmins'><value>nurse@verona.example</value>"
        "<value>friar@verona.example</value></field>"
        "<field var='muc#roomconfig_roomowners'><value>juliet@verona.example</value></field>"
        "<field var='muc#roomconfig_pubsub'>"
        "<value>xmpp:pubsub.verona.example?;node=orchard</value></field>"
        "</x>")
    view = RoomConfigForm.from_form(form)
    assert view == RoomConfigForm(
        roomname="The Orchard", roomdesc="Apples, mostly", lang="en-GB",
        enablelogging=True, changesubject=True, allowinvites=False,
        allowpm=PrivateMessages.PARTICIPANTS, maxusers=UNLIMITED,
        presencebroadcast=(Role.MODERATOR,), getmemberlist=("moderator", "participant"),
        publicroom=False, persistentroom=True, moderatedroom=True, membersonly=True,
        passwordprotectedroom=True, roomsecret="under the wall", whois=Whois.ANYONE,
        maxhistoryfetch=40,
        roomadmins=(JID.parse("nurse@verona.example"), JID.parse("friar@verona.example")),
        roomowners=(JID.parse("juliet@verona.example"),),
        pubsub="xmpp:pubsub.verona.example?;node=orchard")
    assert view.extra == ()
    written = view.to_form()
    # Each field is written with its registry type.
    types = {field.var: field.type for field in written.fields}
    assert types["muc#roomconfig_maxusers"] is FieldType.LIST_SINGLE
    assert types["muc#roomconfig_presencebroadcast"] is FieldType.LIST_MULTI
    assert types["muc#roomconfig_getmemberlist"] is FieldType.LIST_MULTI
    assert types["muc#roomconfig_roomadmins"] is FieldType.JID_MULTI
    assert types["muc#roomconfig_roomsecret"] is FieldType.TEXT_PRIVATE
    assert types["muc#roomconfig_publicroom"] is FieldType.BOOLEAN
    assert types["muc#maxhistoryfetch"] is FieldType.TEXT_SINGLE
    assert written.get("muc#roomconfig_maxusers").values == ("none",)  # type: ignore[union-attr]
    assert RoomConfigForm.from_form(written) == view


def test_an_instant_room_is_an_empty_submission() -> None:
    view = RoomConfigForm.from_form(_form("<x xmlns='jabber:x:data' type='submit'/>"))
    assert view == RoomConfigForm()


@pytest.mark.parametrize(("field", "words"), [
    # Fully anonymous rooms are deprecated (§10.2).
    ("<field var='muc#roomconfig_whois' type='list-single'><value>none</value></field>",
     ["'muc#roomconfig_whois'", "'none'", "'moderators', 'anyone'"]),
    ("<field var='muc#roomconfig_maxusers' type='list-single'><value>lots</value></field>",
     ["'muc#roomconfig_maxusers'", "'lots'"]),
    ("<field var='muc#roomconfig_presencebroadcast' type='list-multi'>"
     "<value>guest</value></field>", ["'muc#roomconfig_presencebroadcast'", "'guest'"]),
    ("<field var='muc#roomconfig_allowpm' type='list-single'><value>everyone</value>"
     "</field>", ["'muc#roomconfig_allowpm'", "'everyone'"]),
    ("<field var='muc#maxhistoryfetch'><value>fifty</value></field>",
     ["'muc#maxhistoryfetch'", "decimal integer"]),
    ("<field var='muc#roomconfig_publicroom' type='boolean'><value>maybe</value></field>",
     ["'muc#roomconfig_publicroom'", "true, false, 1 or 0"]),
    ("<field var='muc#roomconfig_roomadmins' type='jid-multi'><value>@nobody</value>"
     "</field>", ["'muc#roomconfig_roomadmins'"]),
    ("<field var='muc#roomconfig_moderatedroom' type='list-single'><value>1</value>"
     "</field>", ["'muc#roomconfig_moderatedroom'", "list-single", "boolean"]),
])
def test_what_a_configuration_form_may_not_hold(field: str, words: list[str]) -> None:
    form = f"<x xmlns='jabber:x:data' type='form'>{_header(ROOMCONFIG)}{field}</x>"
    with pytest.raises(ParseError) as caught:
        RoomConfigForm.from_form(_form(form))
    for word in words:
        assert word in str(caught.value)


def test_a_form_of_another_muc_form_type_is_refused() -> None:
    with pytest.raises(ParseError, match=re.escape(f"FORM_TYPE {ROOMINFO!r}")):
        RoomConfigForm.from_form(_form(
            f"<x xmlns='jabber:x:data' type='result'>{_header(ROOMINFO)}</x>"))


def test_values_a_configuration_view_cannot_write() -> None:
    with pytest.raises(ArgumentValueError, match="negative"):
        RoomConfigForm(maxusers=-5)
    with pytest.raises(ArgumentValueError, match="roomname"):
        RoomConfigForm(extra=(RoomConfigForm(roomname="x").to_form().fields[1],))


# -- muc#roominfo -------------------------------------------------------------------------


def _info(xml: str) -> InfoQuery:
    iq = xepcodec.parse(
        f"<iq xmlns='jabber:client' type='result' id='i1' from='{ROOM}'>"
        "<query xmlns='http://jabber.org/protocol/disco#info'>"
        "<identity category='conference' type='text' name='The Orchard'/>"
        "<feature var='http://jabber.org/protocol/muc'/>"
        f"{xml}</query></iq>")
    assert isinstance(iq.payload, InfoQuery)
    return iq.payload


def test_prosodys_room_information_reads_from_disco() -> None:
    query = _info(
        "<feature var='muc_public'/>"
        "<x xmlns='jabber:x:data' type='result'>"
        f"{_header(ROOMINFO)}"
        "<field var='muc#roominfo_description' type='text-single' label='Description'>"
        "<value/></field>"
        "<field var='muc#roominfo_lang' type='text-single' label='Language'><value/></field>"
        "<field var='muc#roomconfig_changesubject' type='boolean'/>"
        f"<field var='{{{PROSODY}}}roomconfig_allowmemberinvites' type='boolean'>"
        "<value>0</value></field>"
        "<field var='muc#roomconfig_allowinvites' type='boolean'><value>1</value></field>"
        "<field var='muc#roominfo_occupants' type='text-single' label='Number of occupants'>"
        "<value>2</value></field>"
        "<field var='muc#roomconfig_roomname' type='text-single' label='Title'/>"
        "</x>")
    view = room_info_form(query)
    assert view is not None
    assert [field.var for field in view.extra] == [
        f"{{{PROSODY}}}roomconfig_allowmemberinvites"]
    assert view == RoomInfoForm(changesubject=False, allowinvites=True, occupants=2,
                                extra=view.extra)


def test_room_information_with_every_registered_field() -> None:
    query = _info(
        "<x xmlns='jabber:x:data' type='result'>"
        f"{_header(ROOMINFO)}"
        "<field var='muc#roominfo_description'><value>Apples, mostly</value></field>"
        "<field var='muc#roominfo_subject'><value>Windfalls</value></field>"
        "<field var='muc#roominfo_subjectmod' type='boolean'><value>true</value></field>"
        "<field var='muc#roominfo_occupants'><value>11</value></field>"
        "<field var='muc#roominfo_contactjid' type='jid-multi'>"
        "<value>juliet@verona.example</value></field>"
        "<field var='muc#roominfo_lang'><value>it</value></field>"
        "<field var='muc#roominfo_ldapgroup'><value>cn=gardeners,dc=verona</value></field>"
        "<field var='muc#roominfo_logs'><value>https://verona.example/logs/</value></field>"
        "<field var='muc#maxhistoryfetch'><value>25</value></field>"
        "<field var='muc#roomconfig_pubsub'><value>xmpp:ps.verona.example?;node=o</value>"
        "</field>"
        "<field var='muc#roominfo_avatarhash' type='text-multi'><value>"
        "a31fc8ed2b6ba4d7b0e1d2e0a1cd1c56e9f2f05c</value></field>"
        "<field var='x-orchard-season'><value>autumn</value></field>"
        "</x>")
    view = room_info_form(query)
    assert view is not None
    assert (view.description, view.subject, view.subjectmod, view.occupants) == (
        "Apples, mostly", "Windfalls", True, 11)
    assert view.contactjid == (JID.parse("juliet@verona.example"),)
    assert (view.language, view.ldapgroup, view.logs) == (
        "it", "cn=gardeners,dc=verona", "https://verona.example/logs/")
    assert view.maxhistoryfetch == 25 and view.pubsub == "xmpp:ps.verona.example?;node=o"
    assert view.avatarhash == ("a31fc8ed2b6ba4d7b0e1d2e0a1cd1c56e9f2f05c",)
    assert [field.var for field in view.extra] == ["x-orchard-season"]
    assert RoomInfoForm.from_form(view.to_form(FormType.RESULT)) == view


def test_disco_without_room_information() -> None:
    assert room_info_form(_info("")) is None
    # Another extended-information form is not room information.
    other = ("<x xmlns='jabber:x:data' type='result'>"
             f"{_header('urn:xmpp:dataforms:softwareinfo')}</x>")
    assert room_info_form(_info(other)) is None


def test_a_malformed_occupant_count_is_refused() -> None:
    query = _info("<x xmlns='jabber:x:data' type='result'>"
                  f"{_header(ROOMINFO)}"
                  "<field var='muc#roominfo_occupants'><value>three</value></field></x>")
    with pytest.raises(ParseError, match="'muc#roominfo_occupants'"):
        room_info_form(query)


# -- muc#register --------------------------------------------------------------------------


def test_registration_form_submission_and_approval() -> None:
    offered = RegistrationForm.from_form(_form(
        "<x xmlns='jabber:x:data' type='form'><title>Orchard registration</title>"
        f"{_header(REGISTER)}"
        "<field var='muc#register_roomnick' type='text-single' label='Nickname'>"
        "<required/></field></x>"))
    assert offered == RegistrationForm()
    mine = RegistrationForm(first="Rosaline", last="Capulet", roomnick="rosaline",
                            url="https://rosaline.example/", email="rosaline@verona.example",
                            faqentry="Cousin of Juliet.\nNot at the ball.")
    submitted = mine.to_form()
    faq = submitted.get("muc#register_faqentry")
    assert faq is not None and faq.type is FieldType.TEXT_MULTI
    assert faq.values == ("Cousin of Juliet.", "Not at the ball.")
    assert RegistrationForm.from_form(submitted) == mine
    approval = RegistrationForm.from_form(_form(
        "<x xmlns='jabber:x:data' type='form'>"
        f"{_header(REGISTER)}"
        "<field var='muc#register_roomnick' type='text-single'><value>rosaline</value>"
        "</field><field var='muc#register_allow' type='boolean'><value>0</value></field>"
        "</x>"))
    assert approval.roomnick == "rosaline" and approval.allow is False
    answer = dataclasses.replace(approval, allow=True).to_form()
    assert answer.values()["muc#register_allow"] is True


# -- muc#request ---------------------------------------------------------------------------


def test_a_voice_request_and_its_approval() -> None:
    request = VoiceRequestForm(role=Role.PARTICIPANT)
    form = request.to_form()
    assert [(field.var, field.values) for field in form.fields] == [
        (FORM_TYPE, (REQUEST,)), ("muc#role", ("participant",))]
    assert VoiceRequestForm.from_form(form) == request
    # As Prosody asks a moderator.
    approval = VoiceRequestForm.from_form(_form(
        "<x xmlns='jabber:x:data' type='form'><title>Voice request</title>"
        f"{_header(REQUEST)}"
        "<field var='muc#jid' type='jid-single' label='User ID'>"
        "<value>rosaline@verona.example/phone</value></field>"
        "<field var='muc#roomnick' type='text-single' label='Room nickname'>"
        "<value>rosaline</value></field>"
        "<field var='muc#role' type='list-single' label='Requested role'>"
        "<value>participant</value><option><value>participant</value></option></field>"
        "<field var='muc#request_allow' type='boolean' label='Allow?'><value>0</value>"
        "</field></x>"))
    assert approval == VoiceRequestForm(
        role=Role.PARTICIPANT, jid=JID.parse("rosaline@verona.example/phone"),
        roomnick="rosaline", request_allow=False)
    granted = dataclasses.replace(approval, request_allow=True).to_form()
    assert granted.values()["muc#request_allow"] is True


def test_a_voice_request_names_a_known_role() -> None:
    with pytest.raises(ParseError, match="required field 'muc#role'"):
        VoiceRequestForm.from_form(_form(
            f"<x xmlns='jabber:x:data' type='submit'>{_header(REQUEST)}</x>"))
    with pytest.raises(ParseError, match="'speaker'"):
        VoiceRequestForm.from_form(_form(
            f"<x xmlns='jabber:x:data' type='submit'>{_header(REQUEST)}"
            "<field var='muc#role'><value>speaker</value></field></x>"))
    with pytest.raises(ArgumentValueError, match="'muc#role'"):
        VoiceRequestForm().to_form()


def test_the_forms_guide_runs(capsys: pytest.CaptureFixture[str]) -> None:
    page = (ROOT / "docs" / "forms.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", page, re.DOTALL | re.MULTILINE)
    assert len(blocks) == 2
    namespace: dict[str, object] = {"__name__": "docs.forms"}
    for number, block in enumerate(blocks, 1):
        # Run as the reader would: without this module's future import.
        exec(compile(block, f"docs/forms.md, python block {number}", "exec",
                     dont_inherit=True), namespace)
    out = capsys.readouterr().out
    assert "<value>none</value>" in out and "throttle: 30" in out
