"""The ``http://jabber.org/protocol/muc#owner`` namespace of XEP-0045: an owner
configures a room (§10.1, §10.2) and destroys it (§10.9).

The ``<query/>`` sent to the room holds one of:

* nothing, in the iq ``get`` asking for the configuration form;
* a ``jabber:x:data`` form: the configuration form (type ``form``) in the result, the
  owner's answer (type ``submit``; empty to accept the defaults of a new "instant"
  room, §10.1.2) or a refusal to configure (type ``cancel``) in a ``set``;
* a ``<destroy/>`` in a ``set``, with the JID of an alternate room, a reason and the
  alternate room's password, all optional.

Rule every query obeys (checked on every parse and construction, and by the schema):
a form or a destroy, not both.  The rules that depend on the iq type (above) are
checked by :func:`check_owner_iq`.  The typed fields of the ``muc#roomconfig`` form
are in :mod:`xepcodec.protocols.muc.forms`.
"""

from __future__ import annotations

from typing import Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError, ParseError
from xepcodec.model import attr, child, element, text_child
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.muc.core import NS_MUC_OWNER

__all__ = [
    "OwnerDestroy",
    "OwnerQuery",
    "cancel_config",
    "check_owner_iq",
    "config_request",
    "destroy_room",
    "instant_room",
    "submit_config",
]

_QUERY: Final = "/iq/query"


@element(NS_MUC_OWNER, "destroy")
class OwnerDestroy:
    """An owner's request to destroy the room (XEP-0045 §10.9): ``jid`` is an alternate
    room the occupants may go to, ``password`` its password, ``reason`` why."""

    jid: JID | None = attr(default=None)
    reason: str | None = text_child("reason", default=None)
    password: str | None = text_child("password", default=None)


@element(NS_MUC_OWNER, "query")
class OwnerQuery:
    """A configuration form request (empty), a configuration form or answer
    (``form``), or a destruction request (``destroy``)."""

    form: Form | None = child(Form, default=None)
    destroy: OwnerDestroy | None = child(OwnerDestroy, default=None)

    def __post_init__(self) -> None:
        if self.form is not None and self.destroy is not None:
            raise ValueError("a muc#owner <query/> holds a data form or a <destroy/>, not "
                             "both (XEP-0045 §10)")


def check_owner_iq(iq: Iq) -> OwnerQuery | None:
    """Check the rules XEP-0045 §10 sets for the muc#owner query ``iq`` carries, by the
    iq's type, and give the query (None for a result or error without one; the result
    of a set is empty).

    * a ``get`` carries an empty query (the request for the configuration form);
    * a ``set`` carries a form of type ``submit`` or ``cancel``, or a ``<destroy/>``;
    * a ``result`` carrying a query holds no ``<destroy/>``, and its form, if any, is
      of type ``form``.

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) naming the rule,
    also when a get or set carries no muc#owner ``<query/>`` at all.
    """
    query = iq.payload_of(OwnerQuery, "muc#owner")
    if query is None or iq.type == IqType.ERROR:
        return query
    if iq.type == IqType.GET:
        if query.form is not None or query.destroy is not None:
            raise ParseError("a muc#owner get asks for the configuration form with an "
                             "empty <query/>, but this one holds a "
                             f"{'form' if query.form is not None else '<destroy/>'} "
                             "(XEP-0045 §10.2)", path=_QUERY)
    elif iq.type == IqType.SET:
        if query.form is None and query.destroy is None:
            raise ParseError("a muc#owner set carries a data form (submit or cancel) or "
                             "a <destroy/>, but this <query/> is empty (XEP-0045 §10.1, "
                             "§10.9)", path=_QUERY)
        if query.form is not None and query.form.type not in (FormType.SUBMIT,
                                                              FormType.CANCEL):
            raise ParseError(f"the form of a muc#owner set is of type 'submit' or "
                             f"'cancel', not '{query.form.type.value}' (XEP-0045 §10.1)",
                             path=f"{_QUERY}/x/@type")
    else:
        if query.destroy is not None:
            raise ParseError("a <destroy/> is the owner's request, never in a muc#owner "
                             "result (XEP-0045 §10.9)", path=f"{_QUERY}/destroy")
        if query.form is not None and query.form.type != FormType.FORM:
            raise ParseError(f"the form a room sends in a muc#owner result is its "
                             f"configuration form, of type 'form', not "
                             f"'{query.form.type.value}' (XEP-0045 §10.2)",
                             path=f"{_QUERY}/x/@type")
    return query


# -- requests -----------------------------------------------------------------------------


def _owner_iq(type: IqType, room: JID, query: OwnerQuery, id: str, from_: JID | None,
              namespace: str) -> Iq:
    return Iq(namespace=namespace, type=type, id=id, to=room, from_=from_,
              extensions=(query,))


def config_request(room: JID, *, id: str, from_: JID | None = None,
                   namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``room`` for its configuration form (XEP-0045 §10.2)."""
    return _owner_iq(IqType.GET, room, OwnerQuery(), id, from_, namespace)


def submit_config(room: JID, form: Form, *, id: str, from_: JID | None = None,
                  namespace: str = CLIENT) -> Iq:
    """The iq ``set`` configuring ``room`` with ``form``, of type ``submit`` (the
    configuration form's :meth:`~xepcodec.protocols.dataforms.Form.fill`, say)."""
    if form.type != FormType.SUBMIT:
        raise ArgumentValueError(f"a room is configured with a form of type 'submit', not "
                                 f"'{form.type.value}' (XEP-0045 §10.2)")
    return _owner_iq(IqType.SET, room, OwnerQuery(form=form), id, from_, namespace)


def cancel_config(room: JID, *, id: str, from_: JID | None = None,
                  namespace: str = CLIENT) -> Iq:
    """The iq ``set`` giving up configuring ``room``: a form of type ``cancel`` (a new
    room is then destroyed, XEP-0045 §10.1.3)."""
    return _owner_iq(IqType.SET, room, OwnerQuery(form=Form(type=FormType.CANCEL)), id,
                     from_, namespace)


def instant_room(room: JID, *, id: str, from_: JID | None = None,
                 namespace: str = CLIENT) -> Iq:
    """The iq ``set`` accepting the default configuration of the new ``room``: an empty
    form of type ``submit`` (XEP-0045 §10.1.2)."""
    return _owner_iq(IqType.SET, room, OwnerQuery(form=Form(type=FormType.SUBMIT)), id,
                     from_, namespace)


def destroy_room(room: JID, *, id: str, alternate: JID | None = None,
                 reason: str | None = None, password: str | None = None,
                 from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``set`` destroying ``room`` (XEP-0045 §10.9), pointing its occupants to
    the ``alternate`` room (and its ``password``) when given."""
    destroy = OwnerDestroy(jid=alternate, reason=reason, password=password)
    return _owner_iq(IqType.SET, room, OwnerQuery(destroy=destroy), id, from_, namespace)
