"""XEP-0133: Service Administration, typed over ad-hoc commands and data forms.

The XEP defines no element of its own: an administrator runs XEP-0050 commands at the
well-known nodes :class:`Node` names, and the data forms they exchange carry the
XEP-0068 FORM_TYPE :data:`ADMIN` and the field vars its registry lists
(:data:`FIELD_TYPES`).  This module gives each command's forms a typed view:

* a *request* view holds what the administrator submits (and what the service's blank
  form offers as defaults): :class:`AddUser`, :class:`Accounts`, :class:`MaxItems`…;
* a *result* view holds what the service reports on completion:
  :class:`OnlineUsersNum`, :class:`OnlineUsers`, :class:`UserStats`…

:data:`COMMANDS` says which views each node uses (:data:`ALIASES` adds the names some
servers give a command instead of the XEP's).  A view is read from a form with
``View.from_form(form)`` and written with ``view.to_form()``; :func:`read` picks the view
for a whole ``<command/>`` (the result view once the command is completed, the request
view before).  :func:`execute_request` and :func:`submit_request` build the iqs a client
sends, :func:`commands_request` and :func:`admin_nodes` list the commands offered.

The views are :class:`~xepcodec.protocols.form_views.FormView` subclasses, which read and
write them.  Reading is strict where the XEP is precise and lenient where deployed services differ
from it; each refusal is a ParseError naming the field and the rule:

* a form whose FORM_TYPE is another one is refused (no FORM_TYPE at all is accepted);
* a field with a declared type must have one of the types its var accepts: the
  registry's, and the variants services use (a list of JIDs sent as text-multi, one per
  line; ``delay`` as list-single, as every example of the XEP writes it);
* a jid-single or jid-multi value that is no JID is a ``jid-malformed`` ParseError;
* a number is a decimal integer (a rate, a decimal number), a ``lastlogin`` an XEP-0082
  DateTime;
* in a submitted or result form, a field the view requires must hold a value (a form of
  type ``form`` is the service's blank form, where required fields are empty).

Fields a view does not define are kept in its ``extra`` (Prosody's ``details`` boolean
for the online users list, say) and written back; elements other than fields (the
``jabber:iq:roster`` query in a Get User Roster result) are kept in ``extensions``.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar, Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.protocols.commands import COMMAND_LIST_NODE, Action, Command, Status
from xepcodec.protocols.dataforms import FieldType, Form, FormType
from xepcodec.protocols.disco import ItemsQuery, items_request
from xepcodec.protocols.form_views import (
    CHOICE,
    COUNT,
    DATETIME,
    JIDS,
    LINES,
    ONE_JID,
    RATE,
    SECONDS,
    SECRET,
    TEXT,
    WORDS,
    FormView,
    var,
)

__all__ = [
    "ADMIN",
    "ALIASES",
    "COMMANDS",
    "FIELD_TYPES",
    "Accounts",
    "ActiveUsers",
    "ActiveUsersNum",
    "AddUser",
    "AdminForm",
    "AdminList",
    "Announce",
    "Blacklist",
    "ChangeUserPassword",
    "DisabledUsers",
    "DisabledUsersNum",
    "IdleUsersNum",
    "LastLogin",
    "MaxItems",
    "MessageOfTheDay",
    "Node",
    "OnlineUsers",
    "OnlineUsersNum",
    "RegisteredUsers",
    "RegisteredUsersNum",
    "ServiceStop",
    "UserAccount",
    "UserRoster",
    "UserRosterRequest",
    "UserStats",
    "Welcome",
    "Whitelist",
    "admin_form",
    "admin_nodes",
    "commands_request",
    "execute_request",
    "read",
    "submit_request",
    "view_class",
]

#: The XEP-0068 FORM_TYPE of every administration form, and the prefix of its nodes.
ADMIN: Final = "http://jabber.org/protocol/admin"


class Node(enum.StrEnum):
    """The command nodes XEP-0133 defines (§4; "Get User Password" is retracted)."""

    ADD_USER = f"{ADMIN}#add-user"
    DELETE_USER = f"{ADMIN}#delete-user"
    DISABLE_USER = f"{ADMIN}#disable-user"
    REENABLE_USER = f"{ADMIN}#reenable-user"
    END_USER_SESSION = f"{ADMIN}#end-user-session"
    CHANGE_USER_PASSWORD = f"{ADMIN}#change-user-password"
    GET_USER_ROSTER = f"{ADMIN}#get-user-roster"
    GET_USER_LASTLOGIN = f"{ADMIN}#get-user-lastlogin"
    USER_STATS = f"{ADMIN}#user-stats"
    EDIT_BLACKLIST = f"{ADMIN}#edit-blacklist"
    ADD_TO_BLACKLIST_IN = f"{ADMIN}#add-to-blacklist-in"
    ADD_TO_BLACKLIST_OUT = f"{ADMIN}#add-to-blacklist-out"
    EDIT_WHITELIST = f"{ADMIN}#edit-whitelist"
    ADD_TO_WHITELIST = f"{ADMIN}#add-to-whitelist"
    ADD_TO_WHITELIST_IN = f"{ADMIN}#add-to-whitelist-in"
    ADD_TO_WHITELIST_OUT = f"{ADMIN}#add-to-whitelist-out"
    GET_REGISTERED_USERS_NUM = f"{ADMIN}#get-registered-users-num"
    GET_DISABLED_USERS_NUM = f"{ADMIN}#get-disabled-users-num"
    GET_ONLINE_USERS_NUM = f"{ADMIN}#get-online-users-num"
    GET_ACTIVE_USERS_NUM = f"{ADMIN}#get-active-users-num"
    GET_IDLE_USERS_NUM = f"{ADMIN}#get-idle-users-num"
    GET_REGISTERED_USERS_LIST = f"{ADMIN}#get-registered-users-list"
    GET_DISABLED_USERS_LIST = f"{ADMIN}#get-disabled-users-list"
    GET_ONLINE_USERS_LIST = f"{ADMIN}#get-online-users-list"
    GET_ACTIVE_USERS = f"{ADMIN}#get-active-users"
    GET_IDLE_USERS = f"{ADMIN}#get-idle-users"
    ANNOUNCE = f"{ADMIN}#announce"
    SET_MOTD = f"{ADMIN}#set-motd"
    EDIT_MOTD = f"{ADMIN}#edit-motd"
    DELETE_MOTD = f"{ADMIN}#delete-motd"
    SET_WELCOME = f"{ADMIN}#set-welcome"
    DELETE_WELCOME = f"{ADMIN}#delete-welcome"
    EDIT_ADMIN = f"{ADMIN}#edit-admin"
    RESTART = f"{ADMIN}#restart"
    SHUTDOWN = f"{ADMIN}#shutdown"


#: Nodes servers use for a command the XEP names otherwise (its names are a SHOULD), with
#: the command they run: Prosody before 0.12 listed the online users at
#: ``#get-online-users`` (0.12 uses the XEP's node).
ALIASES: Final[Mapping[str, Node]] = MappingProxyType({
    f"{ADMIN}#get-online-users": Node.GET_ONLINE_USERS_LIST,
})

_T = FieldType
#: The field vars the XEP registers for FORM_TYPE :data:`ADMIN`, with their types
#: (§6.2).  The registry's types are not always the ones the examples write: ``delay``
#: is list-single in every example, ``onlineresources`` holds several values.
FIELD_TYPES: Final[Mapping[str, FieldType]] = MappingProxyType({
    "accountjid": _T.JID_SINGLE,
    "accountjids": _T.JID_MULTI,
    "activeuserjids": _T.JID_MULTI,
    "activeusersnum": _T.TEXT_SINGLE,
    "adminjids": _T.JID_MULTI,
    "announcement": _T.TEXT_MULTI,
    "blacklistjids": _T.JID_MULTI,
    "delay": _T.LIST_MULTI,
    "disableduserjids": _T.JID_MULTI,
    "disabledusersnum": _T.TEXT_SINGLE,
    "email": _T.TEXT_SINGLE,
    "given_name": _T.TEXT_SINGLE,
    "idleusersnum": _T.TEXT_SINGLE,
    "ipaddresses": _T.LIST_MULTI,
    "lastlogin": _T.TEXT_SINGLE,
    "loginsperminute": _T.TEXT_SINGLE,
    "max_items": _T.LIST_SINGLE,
    "motd": _T.TEXT_MULTI,
    "onlineresources": _T.TEXT_SINGLE,
    "onlineuserjids": _T.JID_MULTI,
    "onlineusersnum": _T.TEXT_SINGLE,
    "password": _T.TEXT_PRIVATE,
    "password-verify": _T.TEXT_PRIVATE,
    "registereduserjids": _T.JID_MULTI,
    "registeredusersnum": _T.TEXT_SINGLE,
    "rostersize": _T.TEXT_SINGLE,
    "stanzaspersecond": _T.TEXT_SINGLE,
    "surname": _T.TEXT_SINGLE,
    "welcome": _T.TEXT_MULTI,
    "whitelistjids": _T.JID_MULTI,
})


# -- the views ------------------------------------------------------------------------

_INTEGER: Final = re.compile(r"[0-9]+")


@dataclasses.dataclass(frozen=True, kw_only=True)
class AdminForm(FormView):
    """The typed view of one administration form (FORM_TYPE :data:`ADMIN`); subclasses
    declare its fields.

    ``extra`` holds the form's fields this view does not define (not FORM_TYPE), and
    ``extensions`` the elements of other namespaces the form carries, both written back
    as they are.  Reading and writing are :class:`~xepcodec.protocols.form_views.FormView`'s.
    """

    FORM_TYPE: ClassVar[str] = ADMIN


# Requests ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class AddUser(AdminForm):
    """Add User (§4.1): the account to create, its password twice, and the user's
    e-mail address and names."""

    accountjid: JID | None = dataclasses.field(
        default=None, metadata=var("accountjid", ONE_JID, required=True))
    password: str | None = dataclasses.field(default=None, metadata=var("password", SECRET))
    password_verify: str | None = dataclasses.field(
        default=None, metadata=var("password-verify", SECRET))
    email: str | None = dataclasses.field(default=None, metadata=var("email", TEXT))
    given_name: str | None = dataclasses.field(default=None, metadata=var("given_name", TEXT))
    surname: str | None = dataclasses.field(default=None, metadata=var("surname", TEXT))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Accounts(AdminForm):
    """The accounts a command applies to: Delete, Disable, Re-Enable User, End User
    Session, Get User Last Login Time (§4.2-4.5, 4.9)."""

    accountjids: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("accountjids", JIDS, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserAccount(AdminForm):
    """The one account a command applies to: Get User Statistics (§4.10)."""

    accountjid: JID | None = dataclasses.field(
        default=None, metadata=var("accountjid", ONE_JID, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserRosterRequest(AdminForm):
    """Get User Roster (§4.8): the XEP asks for ``accountjids``; services that take one
    account ask for ``accountjid`` (Prosody does).  One of them is required."""

    _ONE_OF: ClassVar[tuple[str, ...]] = ("accountjids", "accountjid")

    accountjids: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("accountjids", JIDS))
    accountjid: JID | None = dataclasses.field(default=None, metadata=var("accountjid", ONE_JID))


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChangeUserPassword(AdminForm):
    """Change User Password (§4.7)."""

    accountjid: JID | None = dataclasses.field(
        default=None, metadata=var("accountjid", ONE_JID, required=True))
    password: str | None = dataclasses.field(
        default=None, metadata=var("password", SECRET, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Blacklist(AdminForm):
    """Edit Blacklist (§4.11): the whole list (empty: nobody is blocked)."""

    blacklistjids: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("blacklistjids", JIDS))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Whitelist(AdminForm):
    """Edit Whitelist (§4.12): the whole list."""

    whitelistjids: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("whitelistjids", JIDS))


@dataclasses.dataclass(frozen=True, kw_only=True)
class AdminList(AdminForm):
    """Edit Admin List (§4.29): the whole list."""

    adminjids: tuple[JID, ...] = dataclasses.field(default=(), metadata=var("adminjids", JIDS))


@dataclasses.dataclass(frozen=True, kw_only=True)
class MaxItems(AdminForm):
    """The request of the user lists (§4.18-4.22): how many users to show at most.

    ``max_items`` is one of the options the service's form offers, as written there
    (the XEP's examples offer numbers and ``none``; Prosody offers ``all``);
    :attr:`limit` reads it as a number.
    """

    max_items: str | None = dataclasses.field(default=None, metadata=var("max_items", CHOICE))

    @property
    def limit(self) -> int | None:
        """The number asked for, or None (no field, or a word such as ``none``)."""
        if self.max_items is not None and _INTEGER.fullmatch(self.max_items):
            return int(self.max_items)
        return None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Announce(AdminForm):
    """Send Announcement to Online Users (§4.23): the text, and a subject (not in the
    XEP's registry; Prosody's form offers it)."""

    announcement: str | None = dataclasses.field(
        default=None, metadata=var("announcement", LINES, required=True))
    subject: str | None = dataclasses.field(default=None, metadata=var("subject", TEXT))


@dataclasses.dataclass(frozen=True, kw_only=True)
class MessageOfTheDay(AdminForm):
    """Set and Edit Message of the Day (§4.24, 4.25)."""

    motd: str | None = dataclasses.field(default=None, metadata=var("motd", LINES, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Welcome(AdminForm):
    """Set Welcome Message (§4.27)."""

    welcome: str | None = dataclasses.field(
        default=None, metadata=var("welcome", LINES, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServiceStop(AdminForm):
    """Restart and Shut Down Service (§4.30, 4.31): the delay in seconds and an
    announcement to the users."""

    delay: int | None = dataclasses.field(default=None, metadata=var("delay", SECONDS))
    announcement: str | None = dataclasses.field(
        default=None, metadata=var("announcement", LINES))


# Results -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegisteredUsersNum(AdminForm):
    """Get Number of Registered Users (§4.13)."""

    registeredusersnum: int | None = dataclasses.field(
        default=None, metadata=var("registeredusersnum", COUNT, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class DisabledUsersNum(AdminForm):
    """Get Number of Disabled Users (§4.14)."""

    disabledusersnum: int | None = dataclasses.field(
        default=None, metadata=var("disabledusersnum", COUNT, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class OnlineUsersNum(AdminForm):
    """Get Number of Online Users (§4.15)."""

    onlineusersnum: int | None = dataclasses.field(
        default=None, metadata=var("onlineusersnum", COUNT, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class ActiveUsersNum(AdminForm):
    """Get Number of Active Users (§4.16)."""

    activeusersnum: int | None = dataclasses.field(
        default=None, metadata=var("activeusersnum", COUNT, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class IdleUsersNum(AdminForm):
    """Get Number of Idle Users (§4.17)."""

    idleusersnum: int | None = dataclasses.field(
        default=None, metadata=var("idleusersnum", COUNT, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegisteredUsers(AdminForm):
    """Get List of Registered Users (§4.18)."""

    registereduserjids: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("registereduserjids", JIDS))


@dataclasses.dataclass(frozen=True, kw_only=True)
class DisabledUsers(AdminForm):
    """Get List of Disabled Users (§4.19)."""

    disableduserjids: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("disableduserjids", JIDS))


@dataclasses.dataclass(frozen=True, kw_only=True)
class OnlineUsers(AdminForm):
    """Get List of Online Users (§4.20)."""

    onlineuserjids: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("onlineuserjids", JIDS))


@dataclasses.dataclass(frozen=True, kw_only=True)
class ActiveUsers(AdminForm):
    """Get List of Active Users (§4.21), and of idle users (§4.22), whose example
    reports them in the same field (the registry has no var for idle users)."""

    activeuserjids: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("activeuserjids", JIDS))


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserRoster(AdminForm):
    """Get User Roster's result (§4.8): the account(s) and, in ``extensions``, the
    ``jabber:iq:roster`` query the form carries."""

    accountjids: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("accountjids", JIDS))
    accountjid: JID | None = dataclasses.field(default=None, metadata=var("accountjid", ONE_JID))


@dataclasses.dataclass(frozen=True, kw_only=True)
class LastLogin(AdminForm):
    """Get User Last Login Time's result (§4.9)."""

    accountjids: tuple[JID, ...] = dataclasses.field(
        default=(), metadata=var("accountjids", JIDS))
    lastlogin: datetime | None = dataclasses.field(
        default=None, metadata=var("lastlogin", DATETIME, required=True))


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserStats(AdminForm):
    """Get User Statistics' result (§4.10)."""

    ipaddresses: tuple[str, ...] = dataclasses.field(
        default=(), metadata=var("ipaddresses", WORDS))
    rostersize: int | None = dataclasses.field(default=None, metadata=var("rostersize", COUNT))
    onlineresources: tuple[str, ...] = dataclasses.field(
        default=(), metadata=var("onlineresources", WORDS))
    stanzaspersecond: Decimal | None = dataclasses.field(
        default=None, metadata=var("stanzaspersecond", RATE))
    loginsperminute: Decimal | None = dataclasses.field(
        default=None, metadata=var("loginsperminute", RATE))


_N = Node
#: Each node's request view (the form the administrator submits) and result view (the
#: form the completed command reports); None where the XEP has no such form.  Add User's
#: completion may echo the processed data, read with its request view.
COMMANDS: Final[Mapping[Node, tuple[type[AdminForm] | None, type[AdminForm] | None]]] = (
    MappingProxyType({
        _N.ADD_USER: (AddUser, AddUser),
        _N.DELETE_USER: (Accounts, None),
        _N.DISABLE_USER: (Accounts, None),
        _N.REENABLE_USER: (Accounts, None),
        _N.END_USER_SESSION: (Accounts, None),
        _N.CHANGE_USER_PASSWORD: (ChangeUserPassword, None),
        _N.GET_USER_ROSTER: (UserRosterRequest, UserRoster),
        _N.GET_USER_LASTLOGIN: (Accounts, LastLogin),
        _N.USER_STATS: (UserAccount, UserStats),
        _N.EDIT_BLACKLIST: (Blacklist, None),
        _N.ADD_TO_BLACKLIST_IN: (Blacklist, None),
        _N.ADD_TO_BLACKLIST_OUT: (Blacklist, None),
        _N.EDIT_WHITELIST: (Whitelist, None),
        _N.ADD_TO_WHITELIST: (Whitelist, None),
        _N.ADD_TO_WHITELIST_IN: (Whitelist, None),
        _N.ADD_TO_WHITELIST_OUT: (Whitelist, None),
        _N.GET_REGISTERED_USERS_NUM: (None, RegisteredUsersNum),
        _N.GET_DISABLED_USERS_NUM: (None, DisabledUsersNum),
        _N.GET_ONLINE_USERS_NUM: (None, OnlineUsersNum),
        _N.GET_ACTIVE_USERS_NUM: (None, ActiveUsersNum),
        _N.GET_IDLE_USERS_NUM: (None, IdleUsersNum),
        _N.GET_REGISTERED_USERS_LIST: (MaxItems, RegisteredUsers),
        _N.GET_DISABLED_USERS_LIST: (MaxItems, DisabledUsers),
        _N.GET_ONLINE_USERS_LIST: (MaxItems, OnlineUsers),
        _N.GET_ACTIVE_USERS: (MaxItems, ActiveUsers),
        _N.GET_IDLE_USERS: (MaxItems, ActiveUsers),
        _N.ANNOUNCE: (Announce, None),
        _N.SET_MOTD: (MessageOfTheDay, None),
        _N.EDIT_MOTD: (MessageOfTheDay, None),
        _N.DELETE_MOTD: (None, None),
        _N.SET_WELCOME: (Welcome, None),
        _N.DELETE_WELCOME: (None, None),
        _N.EDIT_ADMIN: (AdminList, None),
        _N.RESTART: (ServiceStop, None),
        _N.SHUTDOWN: (ServiceStop, None),
    })
)


# -- commands -----------------------------------------------------------------------------


def admin_form(command: Command) -> Form | None:
    """The administration form a command carries: the first data form whose FORM_TYPE
    is :data:`ADMIN`, else the first data form without a FORM_TYPE, else None."""
    forms = [item for item in command.payload if isinstance(item, Form)]
    for form in forms:
        if form.form_type == ADMIN:
            return form
    return next((form for form in forms if form.form_type is None), None)


def view_class(node: Node | str, *, result: bool) -> type[AdminForm] | None:
    """The view of ``node``'s request form (or of its result form): None when the XEP
    defines no such form; ArgumentValueError for a node neither the XEP nor
    :data:`ALIASES` names."""
    try:
        known = ALIASES.get(node) or Node(node)
    except ValueError:
        raise ArgumentValueError(f"{node!r} is not a command node of XEP-0133 nor one "
                                 "servers are known to use for one") from None
    request, answer = COMMANDS[known]
    if result:
        return answer or request
    return request


def read(command: Command, view: type[AdminForm] | None = None) -> AdminForm | None:
    """The typed view of the administration form ``command`` carries, or None when it
    carries none.

    The view is ``view`` when given (for a node the XEP does not define), else the
    node's result view when the command is completed and its request view otherwise.
    ParseError when the form breaks a rule of the view, or when the XEP defines no form
    there.
    """
    form = admin_form(command)
    if form is None:
        return None
    chosen = view or view_class(command.node, result=command.status is Status.COMPLETED)
    if chosen is None:
        raise ParseError(f"the command {command.node!r} carries an administration form "
                         "where XEP-0133 defines none")
    return chosen.from_form(form)


def execute_request(node: Node | str, *, id: str, to: JID | None = None,
                    from_: JID | None = None, lang: str | None = None,
                    namespace: str = CLIENT) -> Iq:
    """The iq ``set`` that starts the command ``node`` at ``to`` (``action='execute'``)."""
    return Iq(namespace=namespace, type=IqType.SET, id=id, to=to, from_=from_, lang=lang,
              extensions=(Command.execute(str(node), lang=lang),))


def submit_request(answer: Command, values: AdminForm, *, id: str, to: JID | None = None,
                   from_: JID | None = None, action: Action | str | None = None,
                   namespace: str = CLIENT) -> Iq:
    """The iq ``set`` that goes on with the session of ``answer`` (the service's
    executing answer) submitting ``values``.

    ``action`` defaults to what ``execute`` stands for at this stage (see
    :meth:`Command.proceed`); ProtocolError when the session has ended or the action is
    not offered; ArgumentValueError when ``values`` lacks a required value.
    """
    command = answer.proceed(action, payload=(values.to_form(FormType.SUBMIT),))
    return Iq(namespace=namespace, type=IqType.SET, id=id, to=to, from_=from_,
              extensions=(command,))


def commands_request(*, id: str, to: JID | None = None, from_: JID | None = None,
                     namespace: str = CLIENT) -> Iq:
    """The disco#items ``get`` listing the commands ``to`` offers (XEP-0050's command
    list node)."""
    return items_request(id=id, to=to, node=COMMAND_LIST_NODE, from_=from_,
                         namespace=namespace)


def admin_nodes(query: ItemsQuery) -> tuple[str, ...]:
    """The administration command nodes among a command list's items, in order:
    every node in the ``http://jabber.org/protocol/admin#`` family, the XEP's
    (:class:`Node`) and others alike."""
    return tuple(item.node for item in query.items
                 if item.node is not None and item.node.startswith(f"{ADMIN}#"))


