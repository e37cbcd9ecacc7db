"""XEP-0045: Multi-User Chat, one module per namespace, and the client's view of a room.

* :mod:`.addresses` — the room and occupant JIDs;
* :mod:`.core` — the ``muc`` namespace (the ``<x/>`` a client joins with: password and
  history limits), the namespaces, and the affiliations and roles every other part uses;
* :mod:`.user` — ``muc#user``: what a room says of its occupants (items, status codes),
  invitations, declines, the destruction notice;
* :mod:`.admin` — ``muc#admin``: role and affiliation changes, and the lists of them;
* :mod:`.owner` — ``muc#owner``: configuration forms and destruction;
* :mod:`.unique` — ``muc#unique``: asking the service for a unique room name;
* :mod:`.forms` — the typed ``muc#roomconfig``, ``muc#roominfo``, ``muc#register`` and
  ``muc#request`` forms;
* :mod:`.presence` — the presence a client sends (join, nick and status changes, leave)
  and its readings of the room's (occupants, departures, refusals);
* :mod:`.messages` — the message shapes (groupchat, subject, private messages,
  invitations, voice requests, the room's notices) and their reader;
* :mod:`.features` — the room features of disco#info and a room's description.

Every public name of these modules is also a name of this package, so that
``xepcodec.xep(45).join(room, "nick")`` works.
"""

from __future__ import annotations

from xepcodec.protocols.muc.addresses import occupant_jid, room_jid
from xepcodec.protocols.muc.admin import (
    AdminActor,
    AdminItem,
    AdminQuery,
    check_admin_iq,
    kick,
    list_request,
    read_list,
    set_affiliation,
    set_role,
)
from xepcodec.protocols.muc.core import (
    NS_MUC,
    NS_MUC_ADMIN,
    NS_MUC_OWNER,
    NS_MUC_USER,
    Affiliation,
    History,
    MucJoin,
    Role,
)
from xepcodec.protocols.muc.features import (
    DISCO_CATEGORY,
    DISCO_TYPE,
    Anonymity,
    RoomFeature,
    RoomInfo,
    is_muc_service,
    room_info,
)
from xepcodec.protocols.muc.forms import (
    FIELD_TYPES,
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
from xepcodec.protocols.muc.messages import (
    FULLY_ANONYMOUS,
    DeclinedInvitation,
    GroupchatMessage,
    Invitation,
    PrivateMessage,
    RoomMessage,
    RoomNotice,
    SubjectChange,
    VoiceRequest,
    change_subject,
    decline,
    forwarded_invite,
    groupchat,
    invite,
    private_message,
    read_message,
    room_notice,
    voice_request,
)
from xepcodec.protocols.muc.owner import (
    OwnerDestroy,
    OwnerQuery,
    cancel_config,
    check_owner_iq,
    config_request,
    destroy_room,
    instant_room,
    submit_config,
)
from xepcodec.protocols.muc.presence import (
    Departure,
    JoinFailure,
    Occupant,
    Refusal,
    change_nick,
    change_status,
    join,
    join_failure,
    leave,
    occupant,
)
from xepcodec.protocols.muc.unique import (
    NS_MUC_UNIQUE,
    Unique,
    check_unique_iq,
    unique_request,
)
from xepcodec.protocols.muc.user import (
    Actor,
    Continue,
    Decline,
    Invite,
    Status,
    StatusCode,
    UserDestroy,
    UserItem,
    UserX,
)

__all__ = [
    "DISCO_CATEGORY",
    "DISCO_TYPE",
    "FIELD_TYPES",
    "FULLY_ANONYMOUS",
    "NS_MUC",
    "NS_MUC_ADMIN",
    "NS_MUC_OWNER",
    "NS_MUC_UNIQUE",
    "NS_MUC_USER",
    "REGISTER",
    "REQUEST",
    "ROOMCONFIG",
    "ROOMINFO",
    "Actor",
    "AdminActor",
    "AdminItem",
    "AdminQuery",
    "Affiliation",
    "Anonymity",
    "Continue",
    "Decline",
    "DeclinedInvitation",
    "Departure",
    "GroupchatMessage",
    "History",
    "Invitation",
    "Invite",
    "JoinFailure",
    "MucJoin",
    "Occupant",
    "OwnerDestroy",
    "OwnerQuery",
    "PrivateMessage",
    "PrivateMessages",
    "Refusal",
    "RegistrationForm",
    "Role",
    "RoomConfigForm",
    "RoomFeature",
    "RoomInfo",
    "RoomInfoForm",
    "RoomMessage",
    "RoomNotice",
    "Status",
    "StatusCode",
    "SubjectChange",
    "Unique",
    "UserDestroy",
    "UserItem",
    "UserX",
    "VoiceRequest",
    "VoiceRequestForm",
    "Whois",
    "cancel_config",
    "change_nick",
    "change_status",
    "change_subject",
    "check_admin_iq",
    "check_owner_iq",
    "check_unique_iq",
    "config_request",
    "decline",
    "destroy_room",
    "forwarded_invite",
    "groupchat",
    "instant_room",
    "invite",
    "is_muc_service",
    "join",
    "join_failure",
    "kick",
    "leave",
    "list_request",
    "occupant",
    "occupant_jid",
    "private_message",
    "read_list",
    "read_message",
    "room_info",
    "room_info_form",
    "room_jid",
    "room_notice",
    "set_affiliation",
    "set_role",
    "submit_config",
    "unique_request",
    "voice_request",
]
