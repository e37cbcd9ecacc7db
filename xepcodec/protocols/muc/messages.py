"""The messages of a MUC room (XEP-0045 §7.4 to §7.9, §7.13, §8.1, §10.2.1): what a client
sends and what it reads.

Builders, one per shape:

* :func:`groupchat`: a message to every occupant (type ``groupchat``, to the room);
* :func:`change_subject`: a ``groupchat`` message holding only a ``<subject/>`` (an
  empty one clears it, §8.1);
* :func:`private_message`: a ``chat`` message to one occupant JID, with the empty
  ``muc#user`` ``<x/>`` that lets the sender's other clients file it (§7.5);
* :func:`invite` and :func:`decline`: a mediated invitation, and its refusal, sent to
  the room (§7.8.2); :func:`forwarded_invite`: the invitation as the room passes it on,
  naming the inviter and carrying the room's password;
* :func:`voice_request`: a visitor's request for voice, the ``muc#request`` form
  (§7.13);
* :func:`room_notice`: the room's message of status codes (104: the configuration
  changed; 170/171: logging on/off; 172 to 174: the room's anonymity, §10.2.1).

:func:`read_message` tells these shapes apart and gives a typed reading of each
(:class:`GroupchatMessage`, :class:`SubjectChange`, :class:`PrivateMessage`,
:class:`Invitation`, :class:`DeclinedInvitation`, :class:`VoiceRequest`,
:class:`RoomNotice`), or None for a message that is none of them.  It follows the XEP:
a message with a subject and neither a body nor a thread is a subject change, and one
that also has a body is an ordinary message (§8.1); an invitation is one even when the
room adds a body for clients that do not understand it (Prosody does), and so is a
room's notice: status codes in a message from the room's bare JID.  A private message
is recognized by its ``muc#user`` ``<x/>``: clients and rooms older than the XEP's
revision 1.28 leave it out, and such a message cannot be told by its shape from a chat
with anyone else, so the reader gives None for it (the caller who knows the room's JID
knows better).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Body, Message, MessageType, Subject
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.muc.addresses import occupant_jid, room_jid
from xepcodec.protocols.muc.core import Role
from xepcodec.protocols.muc.features import Anonymity
from xepcodec.protocols.muc.forms import REQUEST, VoiceRequestForm
from xepcodec.protocols.muc.user import Continue, Decline, Invite, Status, StatusCode, UserX

__all__ = [
    "FULLY_ANONYMOUS",
    "DeclinedInvitation",
    "GroupchatMessage",
    "Invitation",
    "PrivateMessage",
    "RoomMessage",
    "RoomNotice",
    "SubjectChange",
    "VoiceRequest",
    "change_subject",
    "decline",
    "forwarded_invite",
    "groupchat",
    "invite",
    "private_message",
    "read_message",
    "room_notice",
    "voice_request",
]

#: The status code an older revision of the XEP gave a room that became fully
#: anonymous; the registry no longer lists it, services may still send it.
FULLY_ANONYMOUS: Final = 174


# -- what a client (or the room) sends ------------------------------------------------------


def groupchat(room: JID, body: str, *, id: str | None = None, from_: JID | None = None,
              lang: str | None = None, extensions: Iterable[Any] = (),
              namespace: str = CLIENT) -> Message:
    """A message to every occupant of ``room`` (§7.4)."""
    return Message(namespace=namespace, type=MessageType.GROUPCHAT, to=room_jid(room),
                   from_=from_, id=id, lang=lang, bodies=(Body(text=body),),
                   extensions=tuple(extensions))


def change_subject(room: JID, subject: str, *, id: str | None = None,
                   from_: JID | None = None, namespace: str = CLIENT) -> Message:
    """The message setting ``room``'s subject (§8.1): only a ``<subject/>``; an empty
    ``subject`` clears it."""
    return Message(namespace=namespace, type=MessageType.GROUPCHAT, to=room_jid(room),
                   from_=from_, id=id, subjects=(Subject(text=subject),))


def private_message(room: JID, nick: str, body: str, *, id: str | None = None,
                    from_: JID | None = None, extensions: Iterable[Any] = (),
                    namespace: str = CLIENT) -> Message:
    """A private message to the occupant ``nick`` of ``room`` (§7.5): type ``chat``,
    with the empty ``muc#user`` ``<x/>``."""
    return Message(namespace=namespace, type=MessageType.CHAT, to=occupant_jid(room, nick),
                   from_=from_, id=id, bodies=(Body(text=body),),
                   extensions=(UserX(), *extensions))


def _continue(thread: str | None, continues: bool) -> Continue | None:
    return Continue(thread=thread) if continues or thread is not None else None


def invite(room: JID, invitee: JID, *, reason: str | None = None,
           continues: bool = False, thread: str | None = None, id: str | None = None,
           from_: JID | None = None, namespace: str = CLIENT) -> Message:
    """A mediated invitation of ``invitee`` into ``room``, sent to the room (§7.8.2);
    ``continues`` (or a ``thread``) when it turns a one-to-one chat into the room's
    conversation (§7.9)."""
    return Message(namespace=namespace, to=room_jid(room), from_=from_, id=id,
                   extensions=(UserX(invites=(Invite(to=invitee, reason=reason,
                                                     continue_=_continue(thread,
                                                                         continues)),)),))


def forwarded_invite(room: JID, invitee: JID, inviter: JID, *, reason: str | None = None,
                     password: str | None = None, continues: bool = False,
                     thread: str | None = None, id: str | None = None,
                     namespace: str = CLIENT) -> Message:
    """The invitation as ``room`` passes it on to ``invitee`` (§7.8.2): from the room,
    naming the ``inviter``, with the room's ``password`` when it has one."""
    return Message(namespace=namespace, to=invitee, from_=room_jid(room), id=id,
                   extensions=(UserX(invites=(Invite(from_=inviter, reason=reason,
                                                     continue_=_continue(thread,
                                                                         continues)),),
                                     password=password),))


def decline(room: JID, inviter: JID, *, reason: str | None = None, id: str | None = None,
            from_: JID | None = None, namespace: str = CLIENT) -> Message:
    """The refusal of ``inviter``'s invitation into ``room``, sent to the room, which
    passes it on (§7.8.2)."""
    return Message(namespace=namespace, to=room_jid(room), from_=from_, id=id,
                   extensions=(UserX(decline=Decline(to=inviter, reason=reason)),))


def voice_request(room: JID, *, id: str | None = None, from_: JID | None = None,
                  namespace: str = CLIENT) -> Message:
    """A visitor's request for voice in ``room`` (§7.13): the submitted ``muc#request``
    form asking for the role of participant."""
    form = VoiceRequestForm(role=Role.PARTICIPANT).to_form(FormType.SUBMIT)
    return Message(namespace=namespace, to=room_jid(room), from_=from_, id=id,
                   extensions=(form,))


def room_notice(room: JID, codes: Iterable[int], *, to: JID | None = None,
                id: str | None = None, namespace: str = CLIENT) -> Message:
    """The room's message telling its occupants of a change by status ``codes``
    (§10.2.1): type ``groupchat``, from the room, holding only the status codes."""
    statuses = tuple(Status(code=code) for code in codes)
    if not statuses:
        raise ArgumentValueError("a room's notice carries at least one status code")
    return Message(namespace=namespace, type=MessageType.GROUPCHAT, from_=room_jid(room), to=to,
                   id=id, extensions=(UserX(statuses=statuses),))


# -- what a client reads --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class GroupchatMessage:
    """A message to every occupant: ``nick`` is the sender's (None for the room's own
    messages)."""

    room: JID
    nick: str | None
    body: str
    message: Message


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubjectChange:
    """The room's subject, as set by ``nick`` (None: the room itself); an empty
    ``subject`` means there is none (§7.2.16, §8.1)."""

    room: JID
    nick: str | None
    subject: str
    message: Message


@dataclasses.dataclass(frozen=True, kw_only=True)
class PrivateMessage:
    """A message between the reader and the occupant ``nick`` of ``room``."""

    room: JID
    nick: str
    body: str
    message: Message


@dataclasses.dataclass(frozen=True, kw_only=True)
class Invitation:
    """A mediated invitation (§7.8.2).

    ``forwarded`` is True for the invitation as the room passes it on (from the room,
    naming the ``inviter``; ``invitees`` is the message's addressee), False for the one
    sent to the room (``inviter`` is the message's sender when stamped, ``invitees``
    those the ``<invite/>`` elements name).  ``password`` is the room's, when the room
    added it; ``continues`` and ``thread`` say it continues a one-to-one chat (§7.9).
    """

    room: JID | None
    inviter: JID | None
    invitees: tuple[JID, ...]
    forwarded: bool
    reason: str | None = None
    password: str | None = None
    continues: bool = False
    thread: str | None = None
    message: Message


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeclinedInvitation:
    """A refusal of an invitation (§7.8.2): sent to the room (``forwarded`` False: the
    ``decliner`` is the message's sender when stamped) or passed on by it to the
    ``inviter`` (``forwarded`` True)."""

    room: JID | None
    decliner: JID | None
    inviter: JID | None
    forwarded: bool
    reason: str | None = None
    message: Message


@dataclasses.dataclass(frozen=True, kw_only=True)
class VoiceRequest:
    """A voice request (§7.13), or the room's form asking a moderator to approve one
    (§8.6): the typed ``muc#request`` form."""

    form: VoiceRequestForm
    message: Message


@dataclasses.dataclass(frozen=True, kw_only=True)
class RoomNotice:
    """A room's message of status codes about itself (§10.2.1) or about the reader's
    standing in it (101: the affiliation changed while away)."""

    room: JID
    codes: frozenset[int]
    message: Message

    @property
    def config_changed(self) -> bool:
        """A change that does not touch privacy (104): the configuration may be read
        again."""
        return StatusCode.CONFIG_CHANGED in self.codes

    @property
    def logging(self) -> bool | None:
        """True when the room is now logged (170), False when no longer (171), None
        when the notice does not say."""
        if StatusCode.LOGGING_ENABLED in self.codes:
            return True
        return False if StatusCode.LOGGING_DISABLED in self.codes else None

    @property
    def anonymity(self) -> Anonymity | None:
        """What the room became: non-anonymous (172), semi-anonymous (173) or fully
        anonymous (174, of older revisions), or None when the notice does not say."""
        for code, anonymity in _ANONYMITY:
            if code in self.codes:
                return anonymity
        return None


_ANONYMITY: Final = (
    (StatusCode.NOW_NON_ANONYMOUS, Anonymity.NON_ANONYMOUS),
    (StatusCode.NOW_SEMI_ANONYMOUS, Anonymity.SEMI_ANONYMOUS),
    (FULLY_ANONYMOUS, Anonymity.FULLY_ANONYMOUS),
)

#: What :func:`read_message` gives.
RoomMessage = (GroupchatMessage | SubjectChange | PrivateMessage | Invitation
               | DeclinedInvitation | VoiceRequest | RoomNotice)


def _bare(jid: JID | None) -> JID | None:
    return jid.bare if jid is not None else None


def _invitation(message: Message, x: UserX) -> Invitation:
    first = x.invites[0]
    common: dict[str, Any] = {"reason": first.reason, "password": x.password,
                              "continues": first.continue_ is not None,
                              "thread": first.continue_.thread if first.continue_ else None,
                              "message": message}
    if first.from_ is not None:
        return Invitation(room=_bare(message.from_), inviter=first.from_,
                          invitees=(message.to,) if message.to is not None else (),
                          forwarded=True, **common)
    return Invitation(room=_bare(message.to), inviter=message.from_,
                      invitees=tuple(each.to for each in x.invites if each.to is not None),
                      forwarded=False, **common)


def _declined(message: Message, refusal: Decline) -> DeclinedInvitation:
    if refusal.from_ is not None:
        return DeclinedInvitation(room=_bare(message.from_), decliner=refusal.from_,
                                  inviter=message.to, forwarded=True, reason=refusal.reason,
                                  message=message)
    return DeclinedInvitation(room=_bare(message.to), decliner=message.from_,
                              inviter=refusal.to, forwarded=False, reason=refusal.reason,
                              message=message)


def _request_form(message: Message) -> Form | None:
    forms: tuple[Form, ...] = message.find_all(Form)
    return next((form for form in forms if form.form_type == REQUEST), None)


def _groupchat_room(message: Message) -> tuple[JID, str | None]:
    """The room of a groupchat message and the sender's nick: the sender when the
    message comes from the room, else the addressee (a message on its way to it)."""
    if message.from_ is not None and message.from_.local is not None:
        return message.from_.bare, message.from_.resource
    if message.from_ is None and message.to is not None and message.to.local is not None:
        return message.to.bare, None
    raise ParseError("a groupchat message comes from a room or, on its way to one, goes to "
                     "it (XEP-0045 §7.4)", path="/message/@from")


def read_message(message: Message) -> RoomMessage | None:
    """What ``message`` is, as a MUC message (see the module docstring), or None.

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) for a groupchat
    message that neither comes from a room nor goes to one, and what the ``muc#request``
    view raises for a malformed voice request form.
    """
    if not isinstance(message, Message):
        raise ArgumentTypeError(f"read_message reads a Message, not {type(message).__name__}")
    if message.type == MessageType.ERROR:
        return None
    x = message.find(UserX)
    if x is not None and x.invites:
        return _invitation(message, x)
    if x is not None and x.decline is not None:
        return _declined(message, x.decline)
    request = _request_form(message)
    if request is not None:
        return VoiceRequest(form=VoiceRequestForm.from_form(request), message=message)
    body = message.body
    sender = message.from_
    if (x is not None and x.codes and sender is not None and sender.local is not None
            and sender.resource is None):
        # The room's own word on itself; a service may add a body for older clients.
        return RoomNotice(room=sender, codes=x.codes, message=message)
    if message.type == MessageType.GROUPCHAT:
        room, nick = _groupchat_room(message)
        if message.subject is not None and body is None and message.thread is None:
            return SubjectChange(room=room, nick=nick, subject=message.subject,
                                 message=message)
        if body is not None:
            return GroupchatMessage(room=room, nick=nick, body=body, message=message)
    if x is not None and body is not None and message.type != MessageType.GROUPCHAT:
        occupant = sender if sender is not None else message.to
        if occupant is not None and occupant.local is not None and occupant.resource:
            return PrivateMessage(room=occupant.bare, nick=occupant.resource, body=body,
                                  message=message)
    return None
