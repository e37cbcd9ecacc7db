"""XEP-0050: Ad-Hoc Commands.

A requester runs a command a responder offers by sending ``<command/>`` (namespace
``http://jabber.org/protocol/commands``) in an iq of type set; the responder answers
with the same element carrying a session id, a status, the actions allowed at this
stage, notes for the user and a payload (usually a data form).  The requester keeps
going with ``prev``, ``next``, ``complete`` or ``cancel`` until the responder says the
command is completed or canceled.

The requester's side: :meth:`Command.execute` starts a session, :meth:`Command.proceed`
and :meth:`Command.cancel` continue it from the responder's last answer.  The
responder's side: :meth:`Command.reply` answers a request, and :func:`stanza_error_for`
builds the stanza error for one of the command-specific conditions, with the general
condition and error type the XEP pairs it with.

Commands are listed through service discovery, under the node :data:`COMMAND_LIST_NODE`;
building those disco queries is the disco module's business, only the constants are
here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

from xepcodec.core.namespaces import XML_LANG
from xepcodec.core.stanza_errors import Condition, ErrorType, StanzaError
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ProtocolError
from xepcodec.model import (
    attr,
    child,
    children,
    element,
    extensions,
    flag,
    local_name,
    text,
)
from xepcodec.model.values import String

__all__ = [
    "COMMANDS",
    "COMMAND_LIST_NODE",
    "COMMAND_LIST_TYPE",
    "COMMAND_NODE_TYPE",
    "FEATURE",
    "GENERAL_CONDITIONS",
    "IDENTITY_CATEGORY",
    "URI_QUERY_TYPE",
    "Action",
    "Actions",
    "Command",
    "CommandCondition",
    "Note",
    "NoteType",
    "SpecificCondition",
    "Status",
    "command_condition_of",
    "stanza_error_for",
]

T = TypeVar("T")

#: The namespace of the protocol.
COMMANDS: Final = "http://jabber.org/protocol/commands"
#: The service discovery feature of an entity (and of each command node) that runs
#: commands.
FEATURE: Final = COMMANDS
#: The well-known disco node whose items are the entity's commands.
COMMAND_LIST_NODE: Final = COMMANDS
#: The disco identity category of the command list and of each command node.
IDENTITY_CATEGORY: Final = "automation"
#: The identity type of the command list node.
COMMAND_LIST_TYPE: Final = "command-list"
#: The identity type of one command's node.
COMMAND_NODE_TYPE: Final = "command-node"
#: The XMPP URI query type (XEP-0147) for running a command: ``xmpp:host?command;node=x``.
URI_QUERY_TYPE: Final = "command"

_NON_EMPTY: Final = String(min_length=1)


class Action(enum.StrEnum):
    """What a requester asks for.  No action at all means ``execute``."""

    EXECUTE = "execute"
    CANCEL = "cancel"
    PREV = "prev"
    NEXT = "next"
    COMPLETE = "complete"


class Status(enum.StrEnum):
    """Where a session stands, as the responder reports it."""

    EXECUTING = "executing"
    COMPLETED = "completed"
    CANCELED = "canceled"


class NoteType(enum.StrEnum):
    """How serious a note is.  No type at all means ``info``."""

    INFO = "info"
    WARN = "warn"
    ERROR = "error"


#: The actions an ``<actions/>`` element can offer (each as an empty child).
_OFFERABLE: Final = (Action.PREV, Action.NEXT, Action.COMPLETE)
_PREV: Final = Action.PREV
_NEXT: Final = Action.NEXT
_COMPLETE: Final = Action.COMPLETE
_ENDED: Final = frozenset({Status.COMPLETED, Status.CANCELED})
#: Actions that only make sense inside a session already started.
_CONTINUING: Final = frozenset({Action.CANCEL, Action.PREV, Action.NEXT, Action.COMPLETE})


@element(COMMANDS, "actions")
class Actions:
    """The actions a requester may take at this stage, and which one ``execute``
    stands for.

    Without an ``execute`` attribute, ``execute`` means ``next``.  Either way the action
    ``execute`` stands for has to be one the element offers (XEP-0050 §3.4 calls any
    other combination invalid); ``cancel`` is always allowed and is never listed.
    """

    execute: Action | None = attr(default=None)
    prev: bool = flag("prev")
    next: bool = flag("next")
    complete: bool = flag("complete")

    def __post_init__(self) -> None:
        # The usual cases first, without building the set of allowed actions.
        execute = self.execute
        if execute is None or execute is _NEXT:
            if self.next:
                return
        elif (execute is _COMPLETE and self.complete) or (execute is _PREV and self.prev):
            return
        allowed = self.allowed
        if self.default in allowed:
            return
        offered = ", ".join(str(action) for action in _OFFERABLE if action in allowed)
        offered = f"it offers {offered}" if offered else "it offers no action"
        if self.execute is None:
            raise ValueError("<actions/> without an 'execute' attribute makes execute mean "
                             f"next, so it must offer <next/>; {offered}")
        raise ValueError(f"<actions/> says execute means {self.execute}, which it does not "
                         f"offer; {offered}")

    @classmethod
    def of(cls, *allowed: Action | str, execute: Action | str | None = None) -> Actions:
        """``Actions.of("prev", "complete", execute="complete")``."""
        wanted = {Action(action) for action in allowed}
        for action in wanted:
            if action not in _OFFERABLE:
                raise ValueError(f"{action} cannot be offered in <actions/>; only prev, "
                                 "next and complete can")
        return cls(execute=Action(execute) if execute is not None else None,
                   prev=Action.PREV in wanted, next=Action.NEXT in wanted,
                   complete=Action.COMPLETE in wanted)

    @property
    def allowed(self) -> frozenset[Action]:
        """The offered actions among prev, next and complete (cancel is always allowed
        besides)."""
        flags = (self.prev, self.next, self.complete)
        return frozenset(action for action, on in zip(_OFFERABLE, flags, strict=True) if on)

    @property
    def default(self) -> Action:
        """The action ``execute`` stands for at this stage."""
        return self.execute if self.execute is not None else Action.NEXT


@element(COMMANDS, "note")
class Note:
    """A message for the user about the current stage."""

    type: NoteType | None = attr(default=None)
    text: str = text()

    @property
    def severity(self) -> NoteType:
        """The note's type, ``info`` when none is written."""
        return self.type if self.type is not None else NoteType.INFO


@element(COMMANDS, "command")
class Command:
    """One stage of a command session, as requested or as answered.

    ``payload`` holds the children in other namespaces (data forms, out-of-band data…),
    in order: earlier ones take precedence.  Notes and the payload are written after
    the ``<actions/>``, notes first.
    """

    node: str = attr(value=_NON_EMPTY)
    sessionid: str | None = attr(default=None, value=_NON_EMPTY)
    action: Action | None = attr(default=None)
    status: Status | None = attr(default=None)
    lang: str | None = attr(XML_LANG, default=None)
    actions: Actions | None = child(Actions, default=None)
    notes: tuple[Note, ...] = children(Note)
    payload: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        if self.actions is not None and self.status in _ENDED:
            raise ValueError(f"a command with status {self.status} has ended its session, "
                             "so it offers no <actions/>")
        if self.sessionid is None and self.action in _CONTINUING:
            raise ValueError(f"action {self.action} continues a session, so the command "
                             "must carry its sessionid")

    # -- the requester ------------------------------------------------------------

    @classmethod
    def execute(cls, node: str, *, payload: Iterable[Any] = (),
                lang: str | None = None) -> Command:
        """The request that starts a session of the command at ``node``."""
        return cls(node=node, action=Action.EXECUTE, lang=lang, notes=(),
                   payload=tuple(payload))

    def proceed(self, action: Action | str | None = None, *,
                payload: Iterable[Any] = ()) -> Command:
        """The requester's next request, from the responder's answer ``self``.

        ``action`` defaults to the one ``execute`` stands for at this stage (the
        ``<actions/>`` default; ``complete`` when no actions are given), so the request
        names a definite action.  ProtocolError when the session has ended, has no
        session id, or when ``<actions/>`` does not offer the action.
        """
        self._check_open()
        if action is None:
            chosen = self.actions.default if self.actions is not None else Action.COMPLETE
        else:
            chosen = Action(action)
        if (chosen in _OFFERABLE and self.actions is not None
                and chosen not in self.actions.allowed):
            offered = ", ".join(sorted(self.actions.allowed)) or "nothing"
            raise ProtocolError(f"this stage of {self.node!r} does not offer {chosen} "
                                f"(it offers {offered}, and cancel)")
        return Command(node=self.node, sessionid=self.sessionid, action=chosen,
                       lang=self.lang, notes=(), payload=tuple(payload))

    def cancel(self) -> Command:
        """The requester's request to cancel the session of the answer ``self``."""
        self._check_open()
        return Command(node=self.node, sessionid=self.sessionid, action=Action.CANCEL,
                       lang=self.lang, notes=(), payload=())

    def _check_open(self) -> None:
        if self.status in _ENDED:
            raise ProtocolError(f"the session of {self.node!r} has ended ({self.status}); "
                                "execute the command again for a new one")
        if self.sessionid is None:
            raise ProtocolError(f"the answer for {self.node!r} carries no sessionid, so the "
                                "session cannot be continued")

    # -- the responder ------------------------------------------------------------

    def reply(self, *, status: Status | str, sessionid: str | None = None,
              actions: Actions | None = None, notes: Iterable[Note] = (),
              payload: Iterable[Any] = (), lang: str | None = None) -> Command:
        """The responder's answer to the request ``self``.

        The node is kept; the session id is ``sessionid`` or the request's (a new
        session needs one when it goes on executing); the language defaults to the
        request's.
        """
        status = Status(status)
        session = sessionid if sessionid is not None else self.sessionid
        if session is None and status is Status.EXECUTING:
            raise ValueError("a command that goes on executing needs a sessionid for the "
                             "requester to continue with; pass sessionid=")
        return Command(node=self.node, sessionid=session, status=status,
                       lang=lang if lang is not None else self.lang, actions=actions,
                       notes=tuple(notes), payload=tuple(payload))

    # -- reading ------------------------------------------------------------------

    @property
    def effective_action(self) -> Action:
        """The action requested, ``execute`` when none is written."""
        return self.action if self.action is not None else Action.EXECUTE

    @property
    def ended(self) -> bool:
        """True when the responder reports the session completed or canceled."""
        return self.status in _ENDED

    @property
    def failed(self) -> bool:
        """True for a completed command that carries an error note (how a responder
        reports that a command completed without success)."""
        return self.status is Status.COMPLETED and any(
            note.severity is NoteType.ERROR for note in self.notes)

    def find(self, cls: type[T]) -> T | None:
        """The first payload element of class ``cls``, or None (payload order is
        precedence order)."""
        for item in self.payload:
            if isinstance(item, cls):
                return item
        return None


# -- errors -------------------------------------------------------------------------


class CommandCondition(enum.StrEnum):
    """The command-specific error conditions, which go inside a stanza error next to a
    general condition."""

    MALFORMED_ACTION = "malformed-action"
    BAD_ACTION = "bad-action"
    BAD_LOCALE = "bad-locale"
    BAD_PAYLOAD = "bad-payload"
    BAD_SESSIONID = "bad-sessionid"
    SESSION_EXPIRED = "session-expired"


#: Each specific condition with the error type and general condition XEP-0050 pairs it
#: with.
GENERAL_CONDITIONS: Final[Mapping[CommandCondition, tuple[ErrorType, Condition]]] = (
    MappingProxyType({
        CommandCondition.MALFORMED_ACTION: (ErrorType.MODIFY, Condition.BAD_REQUEST),
        CommandCondition.BAD_ACTION: (ErrorType.MODIFY, Condition.BAD_REQUEST),
        CommandCondition.BAD_LOCALE: (ErrorType.MODIFY, Condition.BAD_REQUEST),
        CommandCondition.BAD_PAYLOAD: (ErrorType.MODIFY, Condition.BAD_REQUEST),
        CommandCondition.BAD_SESSIONID: (ErrorType.MODIFY, Condition.BAD_REQUEST),
        CommandCondition.SESSION_EXPIRED: (ErrorType.CANCEL, Condition.NOT_ALLOWED),
    })
)


@element(COMMANDS, tuple(condition.value for condition in CommandCondition))
class SpecificCondition:
    """One of the six command-specific condition elements (all empty)."""

    condition: CommandCondition = local_name()


def stanza_error_for(condition: CommandCondition | str | SpecificCondition, *,
                     text: str | None = None, lang: str | None = None,
                     by: JID | None = None) -> StanzaError:
    """The whole ``<error/>`` for a command-specific condition: the error type and
    general condition the XEP pairs it with, and the specific condition inside."""
    if isinstance(condition, SpecificCondition):
        specific = condition
    else:
        specific = SpecificCondition(condition=CommandCondition(condition))
    error_type, general = GENERAL_CONDITIONS[specific.condition]
    return StanzaError.of(general, type=error_type, text=text, lang=lang, by=by,
                          application=specific)


def command_condition_of(error: StanzaError) -> CommandCondition | None:
    """The command-specific condition a stanza error carries, or None."""
    for item in error.application:
        if isinstance(item, SpecificCondition):
            return item.condition
    return None
