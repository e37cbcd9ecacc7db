"""The ``http://jabber.org/protocol/muc#admin`` namespace of XEP-0045: moderators change
occupants' roles (§8) and admins and owners change users' affiliations (§9, §10), one
at a time or by sending back the changed part of a list.

Everything travels as ``<item/>`` elements in a ``<query/>`` sent to the room:

* an iq ``get`` asks for one list: an item with only an affiliation (the owners,
  admins, members or outcasts) or only a role (the moderators, participants…);
* the ``result`` carries the list: each item names a user by ``jid`` (an affiliation
  list) or an occupant by ``nick`` (a role list), with the affiliation or role;
* an iq ``set`` changes roles, each item naming an occupant by ``nick`` with its new
  ``role``, or affiliations, each item naming a user by ``jid`` with the new
  ``affiliation`` (and, for a member, the reserved nick: an empty ``nick`` unsets it);
  an item may carry a ``<reason/>`` and an ``<actor/>``.

Rule every item obeys (checked on every parse and construction): it carries an
affiliation or a role, since it is about one or the other.  The rules that depend on
the iq type (above) are checked by :func:`check_admin_iq`, and what a list result owes
its request by :func:`read_list`.  Whether the sender may make the change is the room's
business, not the codec's.
"""

from __future__ import annotations

from typing import Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import attr, child, children, element, text_child
from xepcodec.protocols.muc.core import NS_MUC_ADMIN, Affiliation, Role

__all__ = [
    "AdminActor",
    "AdminItem",
    "AdminQuery",
    "check_admin_iq",
    "kick",
    "list_request",
    "read_list",
    "set_affiliation",
    "set_role",
]

_ITEM: Final = "/iq/query/item"


@element(NS_MUC_ADMIN, "actor")
class AdminActor:
    """Who asked for a change: a user's JID or an occupant's nick (XEP-0045 §8.2)."""

    jid: JID | None = attr(default=None)
    nick: str | None = attr(default=None)


@element(NS_MUC_ADMIN, "item")
class AdminItem:
    """One user or occupant and the affiliation or role asked for, set or listed.

    ``jid`` names a user (affiliation changes and lists; in a role list, the
    occupant's real JID where the room shows it), ``nick`` an occupant (role changes
    and lists; a member's reserved nick in an affiliation change).
    """

    affiliation: Affiliation | None = attr(default=None)
    role: Role | None = attr(default=None)
    jid: JID | None = attr(default=None)
    nick: str | None = attr(default=None)
    actor: AdminActor | None = child(AdminActor, default=None)
    reason: str | None = text_child("reason", default=None)

    def __post_init__(self) -> None:
        if self.affiliation is None and self.role is None:
            raise ValueError("a muc#admin <item/> carries an 'affiliation' or a 'role': it "
                             "asks for, changes or lists one of them (XEP-0045 §8, §9)")


@element(NS_MUC_ADMIN, "query")
class AdminQuery:
    """A list request, a list, or a set of changes (see the module's summary)."""

    items: tuple[AdminItem, ...] = children(AdminItem)


def _standing(item: AdminItem) -> str:
    if item.affiliation is not None and item.role is not None:
        return f"affiliation '{item.affiliation.value}' and role '{item.role.value}'"
    if item.affiliation is not None:
        return f"affiliation '{item.affiliation.value}'"
    assert item.role is not None
    return f"role '{item.role.value}'"


def _check_list_request(query: AdminQuery) -> None:
    """One item, naming one affiliation or one role, and nothing else (§8.5, §9.2, §9.8)."""
    if len(query.items) != 1:
        raise ParseError(f"a muc#admin get asks for one list, with exactly one <item/>, "
                         f"not {len(query.items)} (XEP-0045 §8.5, §9.2, §9.8)", path="/iq/query")
    item = query.items[0]
    if item.affiliation is not None and item.role is not None:
        raise ParseError(f"a muc#admin get asks for one list, by affiliation or by role, "
                         f"not by {_standing(item)} (XEP-0045 §8.5, §9.2)", path=_ITEM)
    for name, present in (("@jid", item.jid is not None), ("@nick", item.nick is not None),
                          ("actor", item.actor is not None),
                          ("reason", item.reason is not None)):
        if present:
            what = f"a '{name[1:]}'" if name.startswith("@") else f"a <{name}/>"
            raise ParseError(f"the <item/> of a muc#admin get names only the list's "
                             f"{_standing(item)}, but it has {what} (XEP-0045 §9.2)",
                             path=f"{_ITEM}/{name}")
    if item.affiliation == Affiliation.NONE or item.role == Role.NONE:
        raise ParseError(f"a muc#admin get asks for the users of one {_standing(item)}; "
                         "'none' is the standing of everyone else, not a list (XEP-0045 "
                         "§8.5, §9.2)", path=_ITEM)


def _check_changes(query: AdminQuery) -> None:
    """Each item a role change by nick or an affiliation change by JID (§8.5, §9.2)."""
    if not query.items:
        raise ParseError("a muc#admin set changes at least one role or affiliation, but "
                         "this <query/> has no <item/> (XEP-0045 §8, §9)", path="/iq/query")
    for item in query.items:
        if item.affiliation is not None and item.role is not None:
            raise ParseError(f"an <item/> of a muc#admin set changes a role or an "
                             f"affiliation, not both, but this one has {_standing(item)} "
                             "(XEP-0045 §8.5, §9.2)", path=_ITEM)
        if item.role is not None and not item.nick:
            raise ParseError(f"an <item/> changing a role names the occupant by a 'nick', "
                             f"but this one with {_standing(item)} has none (XEP-0045 §8.5)",
                             path=f"{_ITEM}/@nick")
        if item.affiliation is not None and item.jid is None:
            raise ParseError(f"an <item/> changing an affiliation names the user by a "
                             f"'jid', but this one with {_standing(item)} has none "
                             "(XEP-0045 §9.2)", path=f"{_ITEM}/@jid")


def _check_list(query: AdminQuery) -> None:
    """Each listed item names someone (§8.5, §9.2, §9.8)."""
    for item in query.items:
        if item.jid is None and not item.nick:
            raise ParseError(f"an <item/> of a muc#admin list names a user by 'jid' or an "
                             f"occupant by 'nick', but this one with {_standing(item)} names "
                             "no one (XEP-0045 §8.5, §9.2, §9.8)", path=_ITEM)


def check_admin_iq(iq: Iq) -> AdminQuery | None:
    """Check the rules XEP-0045 sets for the muc#admin query ``iq`` carries, by the
    iq's type, and give the query (None for a result or error without one; the result
    of a set is empty).

    * a ``get`` asks for one list: exactly one item, carrying only an affiliation or
      only a role, other than ``none``;
    * a ``set`` carries at least one item, each changing either a role (the item names
      the occupant by a non-empty ``nick``) or an affiliation (the item names the user
      by ``jid``), never both;
    * a ``result`` carrying a query is a list: each item names someone, by ``jid`` or
      by a non-empty ``nick``.

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) naming the rule,
    also when a get or set carries no muc#admin ``<query/>`` at all.
    """
    query = iq.payload_of(AdminQuery, "muc#admin")
    if query is None or iq.type == IqType.ERROR:
        return query
    if iq.type == IqType.GET:
        _check_list_request(query)
    elif iq.type == IqType.SET:
        _check_changes(query)
    else:
        _check_list(query)
    return query


def read_list(reply: Iq, asked: Affiliation | Role | None = None) -> tuple[AdminItem, ...]:
    """The items of the list ``reply`` carries, the result of a :func:`list_request`.

    With ``asked`` (the affiliation or role the request named), each item is checked to
    have it, and to name the user by ``jid`` (an affiliation list) or the occupant by
    ``nick`` (a role list), as XEP-0045 §8.5, §9.2 and §9.8 require of the room.  A result
    without a query is an empty list.

    Raises :class:`~xepcodec.errors.ArgumentValueError` when ``reply`` is not a result
    (an error reply says why the room refused: see ``reply.error``), and
    :class:`~xepcodec.errors.ParseError` (``bad-request``) when the list breaks a rule.
    """
    if reply.type != IqType.RESULT:
        raise ArgumentValueError(f"read_list takes the result of a muc#admin list request, "
                                 f"not an iq of type '{reply.type.value}'")
    query = check_admin_iq(reply)
    if query is None:
        return ()
    if isinstance(asked, Affiliation):
        for item in query.items:
            if item.affiliation != asked or item.jid is None:
                raise ParseError(f"each <item/> of the '{asked.value}' list has the "
                                 f"affiliation '{asked.value}' and a 'jid', but one has "
                                 f"{_standing(item)} and jid {item.jid} (XEP-0045 §9.2)",
                                 path=_ITEM)
    elif isinstance(asked, Role):
        for item in query.items:
            if item.role != asked or not item.nick:
                raise ParseError(f"each <item/> of the '{asked.value}' list has the role "
                                 f"'{asked.value}' and a 'nick', but one has "
                                 f"{_standing(item)} and nick {item.nick!r} (XEP-0045 §8.5, §9.8)",
                                 path=_ITEM)
    return query.items


# -- requests -----------------------------------------------------------------------------


def _admin_set(room: JID, item: AdminItem, id: str, from_: JID | None,
               namespace: str) -> Iq:
    return Iq(namespace=namespace, type=IqType.SET, id=id, to=room, from_=from_,
              extensions=(AdminQuery(items=(item,)),))


def set_role(room: JID, nick: str, role: Role, *, id: str, reason: str | None = None,
             from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` giving the occupant ``nick`` of ``room`` the ``role``: voice
    (participant), no voice (visitor), moderator, or none (a kick, see :func:`kick`)."""
    if not nick:
        raise ArgumentValueError("a role change names the occupant by a non-empty nick "
                                 "(XEP-0045 §8.5)")
    return _admin_set(room, AdminItem(role=role, nick=nick, reason=reason), id, from_,
                      namespace)


def kick(room: JID, nick: str, *, id: str, reason: str | None = None,
         from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` kicking the occupant ``nick`` out of ``room``: its role becomes
    ``none`` (XEP-0045 §8.2)."""
    return set_role(room, nick, Role.NONE, id=id, reason=reason, from_=from_,
                    namespace=namespace)


def set_affiliation(room: JID, jid: JID, affiliation: Affiliation, *, id: str,
                    reason: str | None = None, nick: str | None = None,
                    from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` giving the user ``jid`` the ``affiliation`` with ``room``: a ban
    (outcast), membership granted (member) or revoked (none), admin or owner status.

    ``nick`` is the reserved nick of a member (``''`` unsets it, XEP-0045 §9.5)."""
    return _admin_set(room, AdminItem(affiliation=affiliation, jid=jid, nick=nick,
                                      reason=reason), id, from_, namespace)


def list_request(room: JID, of: Affiliation | Role, *, id: str, from_: JID | None = None,
                 namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``room`` for the users with the affiliation ``of`` (the
    ban, member, admin or owner list) or the occupants with the role ``of`` (the
    moderator or voice list); read the answer with :func:`read_list`."""
    if of in (Affiliation.NONE, Role.NONE):
        raise ArgumentValueError("a muc#admin list is of one affiliation or role other "
                                 "than 'none' (XEP-0045 §8.5, §9.2)")
    item = (AdminItem(affiliation=of) if isinstance(of, Affiliation)
            else AdminItem(role=of))
    return Iq(namespace=namespace, type=IqType.GET, id=id, to=room, from_=from_,
              extensions=(AdminQuery(items=(item,)),))
