"""What a MUC service and its rooms advertise in service discovery (XEP-0045 §6, §15).

A service or room answers disco#info with the identity ``conference``/``text`` and the
feature ``http://jabber.org/protocol/muc``; a room adds the room-type features of the
registry (:class:`RoomFeature`: ``muc_public`` or ``muc_hidden``, ``muc_open`` or
``muc_membersonly``...) and may add a ``muc#roominfo`` form (XEP-0128) with its
description, subject and occupant count.

:func:`room_info` reads such an answer into a :class:`RoomInfo`: the room's name, each
pair of opposite features as one typed flag, the roominfo form through its typed view.
Rules checked (a ``bad-request`` :class:`~xepcodec.errors.ParseError` naming the rule):
the answer carries the conference identity, and no two opposite features at once (a
room is not both public and hidden).  A flag neither of whose features is advertised is
None: the XEP only says a room SHOULD advertise them.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Final

from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.protocols.disco import InfoQuery
from xepcodec.protocols.muc import forms as _forms
from xepcodec.protocols.muc.core import NS_MUC
from xepcodec.protocols.muc.forms import RoomInfoForm, room_info_form

__all__ = [
    "DISCO_CATEGORY",
    "DISCO_TYPE",
    "Anonymity",
    "RoomFeature",
    "RoomInfo",
    "is_muc_service",
    "room_info",
]

#: The service discovery category of a MUC service and of its rooms (§15.2) ...
DISCO_CATEGORY: Final = "conference"
#: ... and their type within it.
DISCO_TYPE: Final = "text"


class RoomFeature(enum.StrEnum):
    """The disco#info features of the XEP's registry (§15.3), beside the ``muc``
    namespace itself (:data:`~xepcodec.protocols.muc.core.NS_MUC`)."""

    #: The room's configuration, information and registration forms are supported.
    REGISTER = _forms.REGISTER
    ROOMCONFIG = _forms.ROOMCONFIG
    ROOMINFO = _forms.ROOMINFO
    #: Groupchat messages are reflected with the sender's id (§7.4).
    STABLE_ID = "http://jabber.org/protocol/muc#stable_id"
    #: Not listed in disco#items of the service; or listed.
    HIDDEN = "muc_hidden"
    PUBLIC = "muc_public"
    #: Only members may enter; or anyone not banned.
    MEMBERS_ONLY = "muc_membersonly"
    OPEN = "muc_open"
    #: Only occupants with voice may speak; or every participant.
    MODERATED = "muc_moderated"
    UNMODERATED = "muc_unmoderated"
    #: Every occupant sees every occupant's real JID; or only moderators do.
    NON_ANONYMOUS = "muc_nonanonymous"
    SEMI_ANONYMOUS = "muc_semianonymous"
    #: A password is needed to enter; or none.
    PASSWORD_PROTECTED = "muc_passwordprotected"
    UNSECURED = "muc_unsecured"
    #: The room outlives its last occupant; or is destroyed when it leaves.
    PERSISTENT = "muc_persistent"
    TEMPORARY = "muc_temporary"
    #: The service lists its rooms as disco items.
    ROOMS = "muc_rooms"


class Anonymity(enum.Enum):
    """Who sees an occupant's real JID (§4.2)."""

    #: Every occupant.
    NON_ANONYMOUS = "non-anonymous"
    #: Only the moderators.
    SEMI_ANONYMOUS = "semi-anonymous"
    #: No one: earlier revisions of the XEP had such rooms (status code 174); the
    #: registry has no feature for them.
    FULLY_ANONYMOUS = "fully-anonymous"


#: The features that come in opposite pairs, the first one meaning True.
_PAIRS: Final = (
    (RoomFeature.PUBLIC, RoomFeature.HIDDEN),
    (RoomFeature.MEMBERS_ONLY, RoomFeature.OPEN),
    (RoomFeature.MODERATED, RoomFeature.UNMODERATED),
    (RoomFeature.NON_ANONYMOUS, RoomFeature.SEMI_ANONYMOUS),
    (RoomFeature.PASSWORD_PROTECTED, RoomFeature.UNSECURED),
    (RoomFeature.PERSISTENT, RoomFeature.TEMPORARY),
)


def _contradiction(features: frozenset[str]) -> str | None:
    for yes, no in _PAIRS:
        if yes in features and no in features:
            return (f"a room advertises {yes.value!r} or {no.value!r}, not both "
                    "(XEP-0045 §15.3)")
    return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class RoomInfo:
    """A room as its disco#info answer describes it.

    ``features`` are every advertised feature; the flags read each pair of opposite
    room-type features, None when the room advertises neither.  ``form`` is the
    ``muc#roominfo`` extended information (description, subject, occupants...) through
    its typed view, or None.
    """

    name: str | None = None
    features: frozenset[str] = frozenset()
    form: RoomInfoForm | None = None

    def __post_init__(self) -> None:
        problem = _contradiction(self.features)
        if problem is not None:
            raise ArgumentValueError(f"RoomInfo.features: {problem}")

    def supports(self, feature: str) -> bool:
        """Whether the room advertises ``feature`` (a :class:`RoomFeature` or any other
        var, such as XEP-0410's self-ping optimization)."""
        return feature in self.features

    def _flag(self, yes: RoomFeature, no: RoomFeature) -> bool | None:
        if yes in self.features:
            return True
        return False if no in self.features else None

    @property
    def public(self) -> bool | None:
        """Listed by the service (``muc_public``), or hidden (``muc_hidden``)."""
        return self._flag(RoomFeature.PUBLIC, RoomFeature.HIDDEN)

    @property
    def members_only(self) -> bool | None:
        """Only members enter (``muc_membersonly``), or anyone not banned (``muc_open``)."""
        return self._flag(RoomFeature.MEMBERS_ONLY, RoomFeature.OPEN)

    @property
    def moderated(self) -> bool | None:
        """Visitors have no voice (``muc_moderated``), or all speak (``muc_unmoderated``)."""
        return self._flag(RoomFeature.MODERATED, RoomFeature.UNMODERATED)

    @property
    def password_protected(self) -> bool | None:
        """A password is needed (``muc_passwordprotected``), or not (``muc_unsecured``)."""
        return self._flag(RoomFeature.PASSWORD_PROTECTED, RoomFeature.UNSECURED)

    @property
    def persistent(self) -> bool | None:
        """The room outlives its occupants (``muc_persistent``), or not
        (``muc_temporary``)."""
        return self._flag(RoomFeature.PERSISTENT, RoomFeature.TEMPORARY)

    @property
    def anonymity(self) -> Anonymity | None:
        """Who sees real JIDs, or None when the room does not say."""
        flag = self._flag(RoomFeature.NON_ANONYMOUS, RoomFeature.SEMI_ANONYMOUS)
        if flag is None:
            return None
        return Anonymity.NON_ANONYMOUS if flag else Anonymity.SEMI_ANONYMOUS


def _conference_name(info: InfoQuery) -> str | None:
    """The name of the conference/text identity: the one without a language, else the
    first with a name."""
    named = [identity for identity in info.identities
             if (identity.category, identity.type) == (DISCO_CATEGORY, DISCO_TYPE)
             and identity.name]
    for identity in named:
        if identity.lang is None:
            return identity.name
    return named[0].name if named else None


def is_muc_service(info: InfoQuery) -> bool:
    """Whether a disco#info answer is a MUC service's or room's: the identity
    ``conference``/``text`` and the ``muc`` feature (§6.2)."""
    return info.identity_of(DISCO_CATEGORY, DISCO_TYPE) is not None and info.has_feature(NS_MUC)


def room_info(info: InfoQuery) -> RoomInfo:
    """Read a room's disco#info answer (§6.4).

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) when it lacks the
    conference/text identity or advertises two opposite room-type features, and what the
    roominfo view raises for a malformed ``muc#roominfo`` form.
    """
    if not isinstance(info, InfoQuery):
        raise ArgumentTypeError(f"room_info reads a disco#info <query/>, not "
                                 f"{type(info).__name__}")
    if info.identity_of(DISCO_CATEGORY, DISCO_TYPE) is None:
        raise ParseError("a MUC room's disco#info answer carries the identity "
                         "conference/text (XEP-0045 §6.4)", path="/query/identity")
    features = frozenset(info.feature_vars)
    problem = _contradiction(features)
    if problem is not None:
        raise ParseError(problem, path="/query/feature")
    return RoomInfo(name=_conference_name(info), features=features,
                    form=room_info_form(info))
