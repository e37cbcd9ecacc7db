"""The data forms of XEP-0045, typed: room configuration, room information, registration
and voice requests (the FORM_TYPEs of its registry, §15.5).

Each FORM_TYPE has a view, a :class:`~xepcodec.protocols.form_views.FormView` with one
typed attribute per field var the registry lists (:data:`FIELD_TYPES`), named after the
var without its FORM_TYPE's prefix (``muc#roomconfig_maxusers`` is
:attr:`RoomConfigForm.maxusers`):

* :class:`RoomConfigForm` — ``muc#roomconfig``, the form an owner gets and submits in a
  ``muc#owner`` query (§10.1, §10.2);
* :class:`RoomInfoForm` — ``muc#roominfo``, a room's extended disco#info (XEP-0128,
  §6.4), which may carry any room configuration field as well, so it holds those too;
  :func:`room_info_form` reads it from a disco#info answer;
* :class:`RegistrationForm` — ``muc#register``, registering with a room (§7.10) and an
  admin's approval of a registration (§9.9);
* :class:`VoiceRequestForm` — ``muc#request``, an occupant's request for voice (§7.13)
  and a moderator's approval of it (§8.6).

``View.from_form(form)`` reads a form, ``view.to_form(type)`` writes one.  The rules
checked, beside those of the form views (FORM_TYPE, declared types, values): booleans
are XEP-0004 booleans; ``maxusers`` is a number or ``none``
(:data:`~xepcodec.protocols.form_views.UNLIMITED`); ``maxhistoryfetch`` and ``occupants``
are numbers; ``whois``, ``allowpm``, the roles of ``presencebroadcast`` and a voice
request's ``role`` are one of the values the XEP lists (``whois`` ``none``, for fully
anonymous rooms, is deprecated and refused); JIDs are JIDs; a voice request names the
role asked for.  Fields a view does not define are kept in ``extra`` and written back,
as are the fixed fields and the servers' own fields in a service's form (Prosody adds
``muc#roomconfig_historylength``, ``muc#roomconfig_defaulthistorymessages``,
``{http://prosody.im/protocol/muc}roomconfig_allowmemberinvites``…).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar, Final

from xepcodec.datatypes.jid import JID
from xepcodec.protocols.dataforms import FieldType
from xepcodec.protocols.disco import InfoQuery
from xepcodec.protocols.form_views import (
    BOOLEAN,
    CHOICES,
    COUNT,
    JIDS,
    LIMIT,
    LINES,
    ONE_JID,
    SECRET,
    TEXT,
    WORDS,
    FormView,
    Unlimited,
    one_of,
    some_of,
    var,
)
from xepcodec.protocols.muc.core import Role

__all__ = [
    "FIELD_TYPES",
    "REGISTER",
    "REQUEST",
    "ROOMCONFIG",
    "ROOMINFO",
    "PrivateMessages",
    "RegistrationForm",
    "RoomConfigForm",
    "RoomInfoForm",
    "VoiceRequestForm",
    "Whois",
    "room_info_form",
]

#: The FORM_TYPE of room configuration forms (also a room's disco feature).
ROOMCONFIG: Final = "http://jabber.org/protocol/muc#roomconfig"
#: The FORM_TYPE of a room's extended disco#info.
ROOMINFO: Final = "http://jabber.org/protocol/muc#roominfo"
#: The FORM_TYPE of registration forms and of their approval.
REGISTER: Final = "http://jabber.org/protocol/muc#register"
#: The FORM_TYPE of voice requests and of their approval.
REQUEST: Final = "http://jabber.org/protocol/muc#request"

_T = FieldType
#: The field vars of XEP-0045's registry (§15.5) with their types, by FORM_TYPE.
FIELD_TYPES: Final[Mapping[str, Mapping[str, FieldType]]] = MappingProxyType({
    REGISTER: MappingProxyType({
        "muc#register_allow": _T.BOOLEAN,
        "muc#register_email": _T.TEXT_SINGLE,
        "muc#register_faqentry": _T.TEXT_MULTI,
        "muc#register_first": _T.TEXT_SINGLE,
        "muc#register_last": _T.TEXT_SINGLE,
        "muc#register_roomnick": _T.TEXT_SINGLE,
        "muc#register_url": _T.TEXT_SINGLE,
    }),
    REQUEST: MappingProxyType({
        "muc#role": _T.LIST_SINGLE,
        "muc#jid": _T.JID_SINGLE,
        "muc#roomnick": _T.TEXT_SINGLE,
        "muc#request_allow": _T.BOOLEAN,
    }),
    ROOMCONFIG: MappingProxyType({
        "muc#maxhistoryfetch": _T.TEXT_SINGLE,
        "muc#roomconfig_allowpm": _T.LIST_SINGLE,
        "muc#roomconfig_allowinvites": _T.BOOLEAN,
        "muc#roomconfig_changesubject": _T.BOOLEAN,
        "muc#roomconfig_enablelogging": _T.BOOLEAN,
        "muc#roomconfig_getmemberlist": _T.LIST_MULTI,
        "muc#roomconfig_lang": _T.TEXT_SINGLE,
        "muc#roomconfig_pubsub": _T.TEXT_SINGLE,
        "muc#roomconfig_maxusers": _T.LIST_SINGLE,
        "muc#roomconfig_membersonly": _T.BOOLEAN,
        "muc#roomconfig_moderatedroom": _T.BOOLEAN,
        "muc#roomconfig_passwordprotectedroom": _T.BOOLEAN,
        "muc#roomconfig_persistentroom": _T.BOOLEAN,
        "muc#roomconfig_presencebroadcast": _T.LIST_MULTI,
        "muc#roomconfig_publicroom": _T.BOOLEAN,
        "muc#roomconfig_roomadmins": _T.JID_MULTI,
        "muc#roomconfig_roomdesc": _T.TEXT_SINGLE,
        "muc#roomconfig_roomname": _T.TEXT_SINGLE,
        "muc#roomconfig_roomowners": _T.JID_MULTI,
        "muc#roomconfig_roomsecret": _T.TEXT_PRIVATE,
        "muc#roomconfig_whois": _T.LIST_SINGLE,
    }),
    ROOMINFO: MappingProxyType({
        "muc#maxhistoryfetch": _T.TEXT_SINGLE,
        "muc#roominfo_contactjid": _T.JID_MULTI,
        "muc#roominfo_description": _T.TEXT_SINGLE,
        "muc#roominfo_lang": _T.TEXT_SINGLE,
        "muc#roominfo_ldapgroup": _T.TEXT_SINGLE,
        "muc#roominfo_logs": _T.TEXT_SINGLE,
        "muc#roominfo_occupants": _T.TEXT_SINGLE,
        "muc#roominfo_subject": _T.TEXT_SINGLE,
        "muc#roominfo_subjectmod": _T.BOOLEAN,
    }),
})


class PrivateMessages(enum.Enum):
    """Who may send private messages to occupants (``muc#roomconfig_allowpm``)."""

    ANYONE = "anyone"
    #: Occupants with voice.
    PARTICIPANTS = "participants"
    MODERATORS = "moderators"
    NONE = "none"


class Whois(enum.Enum):
    """Who may see occupants' real JIDs (``muc#roomconfig_whois``): the room is
    non-anonymous (``anyone``) or semi-anonymous (``moderators``), §10.2."""

    MODERATORS = "moderators"
    ANYONE = "anyone"


@dataclasses.dataclass(frozen=True, kw_only=True)
class _RoomSettings(FormView):
    """The room configuration fields, which both configuration and room information
    forms carry (§6.4: any ``muc#roomconfig`` field may be room information)."""

    roomname: str | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_roomname", TEXT))
    roomdesc: str | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_roomdesc", TEXT))
    lang: str | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_lang", TEXT))
    enablelogging: bool | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_enablelogging", BOOLEAN))
    changesubject: bool | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_changesubject", BOOLEAN))
    allowinvites: bool | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_allowinvites", BOOLEAN))
    allowpm: PrivateMessages | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_allowpm", one_of(PrivateMessages)))
    maxusers: int | Unlimited | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_maxusers", LIMIT))
    presencebroadcast: tuple[Role, ...] = dataclasses.field(
        default=(), metadata=var("muc#roomconfig_presencebroadcast", some_of(Role)))
    #: Roles (or affiliations) that may retrieve the member list, as the form writes them.
    getmemberlist: tuple[str, ...] = dataclasses.field(
        default=(), metadata=var("muc#roomconfig_getmemberlist", CHOICES))
    publicroom: bool | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_publicroom", BOOLEAN))
    persistentroom: bool | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_persistentroom", BOOLEAN))
    moderatedroom: bool | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_moderatedroom", BOOLEAN))
    membersonly: bool | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_membersonly", BOOLEAN))
    passwordprotectedroom: bool | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_passwordprotectedroom", BOOLEAN))
    roomsecret: str | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_roomsecret", SECRET))
    whois: Whois | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_whois", one_of(Whois)))
    maxhistoryfetch: int | None = dataclasses.field(
        default=None, metadata=var("muc#maxhistoryfetch", COUNT))
    roomadmins: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("muc#roomconfig_roomadmins", JIDS))
    roomowners: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("muc#roomconfig_roomowners", JIDS))
    #: The XMPP URI of the room's publish-subscribe node.
    pubsub: str | None = dataclasses.field(
        default=None, metadata=var("muc#roomconfig_pubsub", TEXT))


@dataclasses.dataclass(frozen=True, kw_only=True)
class RoomConfigForm(_RoomSettings):
    """A room's configuration (``muc#roomconfig``, §10.2): the service's form (type
    ``form``, with the current values) and the owner's submission.

    ``extra`` keeps what the view does not define: the service's fixed fields and its own
    options (Prosody's history length, say), written back as they are.
    """

    FORM_TYPE: ClassVar[str] = ROOMCONFIG


@dataclasses.dataclass(frozen=True, kw_only=True)
class RoomInfoForm(_RoomSettings):
    """A room's extended disco#info (``muc#roominfo``, §6.4): its own fields and any
    room configuration field the room chooses to show (``changesubject``,
    ``pubsub``…).  ``language`` is ``muc#roominfo_lang``; ``lang`` the configuration's
    ``muc#roomconfig_lang``."""

    FORM_TYPE: ClassVar[str] = ROOMINFO

    description: str | None = dataclasses.field(
        default=None, metadata=var("muc#roominfo_description", TEXT))
    subject: str | None = dataclasses.field(
        default=None, metadata=var("muc#roominfo_subject", TEXT))
    #: Whether occupants may change the subject.
    subjectmod: bool | None = dataclasses.field(
        default=None, metadata=var("muc#roominfo_subjectmod", BOOLEAN))
    #: The current number of occupants.
    occupants: int | None = dataclasses.field(
        default=None, metadata=var("muc#roominfo_occupants", COUNT))
    #: Whom to contact about the room (normally its owners).
    contactjid: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("muc#roominfo_contactjid", JIDS))
    language: str | None = dataclasses.field(
        default=None, metadata=var("muc#roominfo_lang", TEXT))
    #: An LDAP group defining the membership, as a distinguished name.
    ldapgroup: str | None = dataclasses.field(
        default=None, metadata=var("muc#roominfo_ldapgroup", TEXT))
    #: The URL of the discussion logs.
    logs: str | None = dataclasses.field(
        default=None, metadata=var("muc#roominfo_logs", TEXT))
    #: The hashes of the room's avatars (XEP-0486 adds this field).
    avatarhash: tuple[str, ...] = dataclasses.field(
        default=(), metadata=var("muc#roominfo_avatarhash", WORDS))


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegistrationForm(FormView):
    """Registering with a room (``muc#register``, §7.10): the room's form, the user's
    submission, and the form asking an admin to approve it (§9.9) with ``allow``."""

    FORM_TYPE: ClassVar[str] = REGISTER

    first: str | None = dataclasses.field(
        default=None, metadata=var("muc#register_first", TEXT))
    last: str | None = dataclasses.field(
        default=None, metadata=var("muc#register_last", TEXT))
    roomnick: str | None = dataclasses.field(
        default=None, metadata=var("muc#register_roomnick", TEXT))
    url: str | None = dataclasses.field(
        default=None, metadata=var("muc#register_url", TEXT))
    email: str | None = dataclasses.field(
        default=None, metadata=var("muc#register_email", TEXT))
    faqentry: str | None = dataclasses.field(
        default=None, metadata=var("muc#register_faqentry", LINES))
    allow: bool | None = dataclasses.field(
        default=None, metadata=var("muc#register_allow", BOOLEAN))


@dataclasses.dataclass(frozen=True, kw_only=True)
class VoiceRequestForm(FormView):
    """A request for voice (``muc#request``, §7.13), which names the role asked for, and
    the form a moderator approves it with (§8.6): who asks, and ``request_allow``."""

    FORM_TYPE: ClassVar[str] = REQUEST

    role: Role | None = dataclasses.field(default=None,
                                          metadata=var("muc#role", one_of(Role),
                                                       required=True))
    jid: JID | None = dataclasses.field(
        default=None, metadata=var("muc#jid", ONE_JID))
    roomnick: str | None = dataclasses.field(
        default=None, metadata=var("muc#roomnick", TEXT))
    request_allow: bool | None = dataclasses.field(
        default=None, metadata=var("muc#request_allow", BOOLEAN))


def room_info_form(info: InfoQuery) -> RoomInfoForm | None:
    """The ``muc#roominfo`` view of a disco#info answer's extended information
    (XEP-0128), or None when it carries no such form; ParseError when the form breaks a
    rule of the view."""
    form = info.form(ROOMINFO)
    return RoomInfoForm.from_form(form) if form is not None else None
