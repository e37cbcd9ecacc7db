"""Tests for xepcodec.protocols.muc.features: the registry's room features, room_info on
a room's disco#info answer, and is_muc_service; and the package, which holds the
names of all its modules, and the room and occupant addresses.

The answers below are written for these tests, shaped as Prosody 0.12's mod_muc gives
them (its features and its muc#roominfo form with Prosody's own fields).
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import xepcodec
from xepcodec.core.stanzas import Iq
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.protocols.disco import InfoQuery
from xepcodec.protocols.muc.addresses import occupant_jid, room_jid
from xepcodec.protocols.muc.core import NS_MUC
from xepcodec.protocols.muc.features import (
    Anonymity,
    RoomFeature,
    RoomInfo,
    is_muc_service,
    room_info,
)

SELF_PING_OPTIMIZATION = "http://jabber.org/protocol/muc#self-ping-optimization"


def _info(inner: str) -> InfoQuery:
    iq = xepcodec.parse("<iq xmlns='jabber:client' type='result' id='d1' "
                        "from='lounge@rooms.example.org' to='ada@example.org/laptop'>"
                        f"<query xmlns='http://jabber.org/protocol/disco#info'>{inner}"
                        "</query></iq>")
    assert isinstance(iq, Iq) and isinstance(iq.payload, InfoQuery)
    return iq.payload


def _features(*names: str) -> str:
    return "".join(f"<feature var='{name}'/>" for name in names)


PROSODY_ROOM = (
    "<identity category='conference' type='text' name='The lounge'/>"
    + _features("http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/muc",
                "http://jabber.org/protocol/muc#stable_id", "muc_hidden", "muc_open",
                "muc_temporary", "muc_unmoderated", "muc_semianonymous", "muc_unsecured",
                "http://jabber.org/protocol/muc#request", SELF_PING_OPTIMIZATION,
                "urn:xmpp:occupant-id:0")
    + "<x xmlns='jabber:x:data' type='result'>"
    "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roominfo"
    "</value></field>"
    "<field var='muc#roominfo_description' type='text-single' label='Description'>"
    "<value>Tea and engines</value></field>"
    "<field var='muc#roomconfig_roomname' type='text-single' label='Title'>"
    "<value>The lounge</value></field>"
    "<field var='muc#roominfo_occupants' type='text-single' label='Number of occupants'>"
    "<value>3</value></field>"
    "<field var='muc#roomconfig_changesubject' type='boolean' label='Allow Occupants to "
    "Change Subject?'><value>0</value></field>"
    "<field var='{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites' "
    "type='boolean'><value>0</value></field>"
    "<field var='muc#roominfo_lang' type='text-single'><value>en</value></field>"
    "</x>")


def test_a_prosody_room_read_whole() -> None:
    info = room_info(_info(PROSODY_ROOM))
    assert info.name == "The lounge"
    assert info.public is False and info.members_only is False
    assert info.persistent is False and info.moderated is False
    assert info.password_protected is False
    assert info.anonymity is Anonymity.SEMI_ANONYMOUS
    assert info.supports(RoomFeature.STABLE_ID) and info.supports(SELF_PING_OPTIMIZATION)
    assert not info.supports(RoomFeature.ROOMCONFIG)
    assert info.form is not None
    assert (info.form.description, info.form.occupants, info.form.roomname) == (
        "Tea and engines", 3, "The lounge")
    assert info.form.changesubject is False and info.form.language == "en"
    assert [field.var for field in info.form.extra] == [
        "{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites"]


def test_the_opposite_features_read_true() -> None:
    info = room_info(_info(
        "<identity category='conference' type='text'/>"
        + _features(NS_MUC, "muc_public", "muc_membersonly", "muc_moderated",
                    "muc_nonanonymous", "muc_passwordprotected", "muc_persistent")))
    assert (info.public, info.members_only, info.moderated, info.password_protected,
            info.persistent) == (True, True, True, True, True)
    assert info.anonymity is Anonymity.NON_ANONYMOUS
    assert info.name is None and info.form is None


def test_a_room_that_advertises_no_room_type_leaves_the_flags_unknown() -> None:
    info = room_info(_info("<identity category='conference' type='text' name='x'/>"
                           + _features(NS_MUC)))
    assert (info.public, info.members_only, info.moderated, info.password_protected,
            info.persistent, info.anonymity) == (None,) * 6


def test_the_name_without_a_language_is_the_rooms_name() -> None:
    info = room_info(_info(
        "<identity category='conference' type='text' name='Salon' xml:lang='fr'/>"
        "<identity category='conference' type='text' name='Lounge'/>"
        "<identity category='client' type='pc' name='Not this'/>" + _features(NS_MUC)))
    assert info.name == "Lounge"
    only_french = room_info(_info(
        "<identity category='conference' type='text' name='Salon' xml:lang='fr'/>"
        + _features(NS_MUC)))
    assert only_french.name == "Salon"


@pytest.mark.parametrize(("yes", "no"), [
    ("muc_public", "muc_hidden"), ("muc_membersonly", "muc_open"),
    ("muc_moderated", "muc_unmoderated"), ("muc_nonanonymous", "muc_semianonymous"),
    ("muc_passwordprotected", "muc_unsecured"), ("muc_persistent", "muc_temporary"),
])
def test_two_opposite_features_are_refused(yes: str, no: str) -> None:
    with pytest.raises(ParseError, match=f"'{yes}' or '{no}', not both") as caught:
        room_info(_info("<identity category='conference' type='text'/>"
                        + _features(NS_MUC, yes, no)))
    assert caught.value.condition == "bad-request" and caught.value.path == "/query/feature"
    with pytest.raises(ArgumentValueError, match="not both"):
        RoomInfo(features=frozenset({yes, no}))


def test_an_answer_without_the_conference_identity_is_no_room() -> None:
    with pytest.raises(ParseError, match="conference/text") as caught:
        room_info(_info("<identity category='client' type='pc'/>" + _features(NS_MUC)))
    assert caught.value.path == "/query/identity"


def test_a_malformed_roominfo_form_is_refused() -> None:
    with pytest.raises(ParseError, match="muc#roominfo_occupants"):
        room_info(_info(
            "<identity category='conference' type='text'/>" + _features(NS_MUC)
            + "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'>"
            "<value>http://jabber.org/protocol/muc#roominfo</value></field>"
            "<field var='muc#roominfo_occupants'><value>many</value></field></x>"))


def test_room_info_reads_a_disco_info_query() -> None:
    with pytest.raises(ArgumentTypeError, match="disco#info <query/>"):
        room_info(JID.parse("lounge@rooms.example.org"))  # type: ignore[arg-type]


def test_a_muc_service_has_the_identity_and_the_feature() -> None:
    service = _info("<identity category='conference' type='text' name='Rooms'/>"
                    + _features("http://jabber.org/protocol/disco#info", NS_MUC))
    assert is_muc_service(service)
    assert is_muc_service(_info(PROSODY_ROOM))
    assert not is_muc_service(_info("<identity category='conference' type='text'/>"
                                    + _features("http://jabber.org/protocol/disco#info")))
    assert not is_muc_service(_info("<identity category='conference' type='irc'/>"
                                    + _features(NS_MUC)))


def test_the_registry_features_are_their_vars() -> None:
    assert {feature.value for feature in RoomFeature} == {
        "http://jabber.org/protocol/muc#register", "http://jabber.org/protocol/muc#roomconfig",
        "http://jabber.org/protocol/muc#roominfo", "http://jabber.org/protocol/muc#stable_id",
        "muc_hidden", "muc_membersonly", "muc_moderated", "muc_nonanonymous", "muc_open",
        "muc_passwordprotected", "muc_persistent", "muc_public", "muc_rooms",
        "muc_semianonymous", "muc_temporary", "muc_unmoderated", "muc_unsecured"}
    # A str, usable wherever a var is.
    assert _info(_features(RoomFeature.HIDDEN)).has_feature("muc_hidden")


# -- the package ------------------------------------------------------------------------------


def test_the_package_holds_every_public_name_of_its_modules() -> None:
    package = xepcodec.xep(45)
    assert package.__name__ == "xepcodec.protocols.muc"
    expected: set[str] = set()
    for name in ("addresses", "core", "user", "admin", "owner", "unique", "forms",
                 "presence", "messages", "features"):
        module = importlib.import_module(f"xepcodec.protocols.muc.{name}")
        expected |= set(module.__all__)
        assert all(getattr(package, each) is getattr(module, each) for each in module.__all__)
    assert set(package.__all__) == expected
    assert len(package.__all__) == len(expected)  # no two modules export one name


def test_the_modules_of_the_package_are_all_listed() -> None:
    package = xepcodec.xep(45)
    on_disk = {info.name for info in pkgutil.iter_modules(package.__path__)}
    assert on_disk == {"addresses", "core", "user", "admin", "owner", "unique", "forms",
                       "presence", "messages", "features"}


def test_room_and_occupant_addresses() -> None:
    room = JID.parse("lounge@rooms.example.org")
    assert room_jid(room) is room
    assert room_jid("lounge@rooms.example.org") == room
    assert occupant_jid("lounge@rooms.example.org", "ada") == room.with_resource("ada")
    assert occupant_jid(room, "Ada L.") == JID.parse("lounge@rooms.example.org/Ada L.")
    for wrong in (JID.parse("rooms.example.org"), JID.parse("lounge@rooms.example.org/ada")):
        with pytest.raises(ArgumentValueError, match="bare JID room@service"):
            occupant_jid(wrong, "ada")
    with pytest.raises(ArgumentValueError, match="neither empty nor only spaces"):
        occupant_jid(room, " \t")
    with pytest.raises(ArgumentTypeError, match="the nick is a str"):
        occupant_jid(room, None)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="the room is a JID or a str"):
        room_jid(7)  # type: ignore[arg-type]
