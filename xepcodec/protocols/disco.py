"""Service Discovery (XEP-0030) and its extended information (XEP-0128).

Two queries, each an iq payload that is an empty request in a ``get`` and a filled-in
answer in the ``result``:

* disco#info (:class:`InfoQuery`): who an entity is (its :class:`Identity` elements,
  category and type, with an optional name per language), what it can do (its
  :class:`Feature` elements) and, by XEP-0128, extended information as data forms of
  type ``result`` told apart by their FORM_TYPE (:attr:`InfoQuery.forms`);
* disco#items (:class:`ItemsQuery`): the entities and nodes associated with an entity
  (:class:`Item`), optionally paged with Result Set Management (XEP-0059).

How the model captures the XEP's content:

* a query's children are written identities, features, forms, then other elements;
  on reading, XEP-0030 fixes no order, so any order is accepted;
* XEP-0128 information is the ``forms`` field (data forms of ``jabber:x:data``); any
  other element of another namespace is kept, typed when known, in ``extensions``, as
  XEP-0030 asks the protocol to be extensible.  Unknown elements in the disco
  namespace itself, or in no namespace, are refused;
* the RSM ``<set/>`` of a disco#items query is its ``rsm`` field.

Rules checked on every parse and construction (a ``bad-request`` ParseError naming the
node on parse, ``ValueError`` on construction):

* identities need a category and a type, features a var, items a valid JID (a
  malformed one is ``jid-malformed``); these and any node are not empty;
* a query never holds two identities with the same category, type and xml:lang but
  different names (XEP-0030 §3.1);
* a feature has no children and an item no text (the strict decoder sees to both);
* a disco#items query or item carries no data form: XEP-0128 forbids extended
  information about children (§2).

Rules that hold for a result but not for a request (the same element is both) are
checked by :func:`check_info_result` and :func:`check_info_request`.
"""

from __future__ import annotations

from typing import Any, Final

from xepcodec.core.namespaces import CLIENT, XML_LANG
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import XmlFragment, attr, child, children, element, extensions
from xepcodec.model.codec import codec_of
from xepcodec.model.values import String
from xepcodec.protocols.dataforms import DATA_FORMS, Form
from xepcodec.protocols.rsm import ResultSet

__all__ = [
    "FEATURE_INFO",
    "FEATURE_ITEMS",
    "NS_INFO",
    "NS_ITEMS",
    "Feature",
    "Identity",
    "InfoQuery",
    "Item",
    "ItemsQuery",
    "check_info_request",
    "check_info_result",
    "info_request",
    "items_request",
]

#: The disco#info namespace.
NS_INFO: Final = "http://jabber.org/protocol/disco#info"
#: The disco#items namespace.
NS_ITEMS: Final = "http://jabber.org/protocol/disco#items"
#: The features an entity answering disco#info (every entity) and disco#items offers.
FEATURE_INFO: Final = NS_INFO
FEATURE_ITEMS: Final = NS_ITEMS

_NON_EMPTY: Final = String(min_length=1)


def _check_no_form(items: tuple[Any, ...], owner: str) -> None:
    """Refuse, among ``items``, elements of data forms, which XEP-0128 confines to
    disco#info."""
    for item in items:
        namespace = (item.namespace if isinstance(item, XmlFragment)
                     else codec_of(type(item)).namespaces[0])
        if namespace == DATA_FORMS:
            raise ValueError(f"{owner} must not carry a data form: extended information "
                             "belongs in disco#info, never in disco#items (XEP-0128 §2)")


# -- disco#info ---------------------------------------------------------------------------


@element(NS_INFO, "identity")
class Identity:
    """One identity of an entity: its category (``client``, ``server``,
    ``conference``…), its type within the category (``pc``, ``im``, ``text``…), and
    optionally a human-readable name in the language ``lang``."""

    category: str = attr(value=_NON_EMPTY)
    type: str = attr(value=_NON_EMPTY)
    name: str | None = attr(default=None)
    lang: str | None = attr(XML_LANG, default=None)


@element(NS_INFO, "feature")
class Feature:
    """One feature the entity offers, usually a protocol namespace."""

    var: str = attr(value=_NON_EMPTY)


@element(NS_INFO, "query")
class InfoQuery:
    """A disco#info query: empty (but for an optional node) in a request, the entity's
    identities, features and extended information in a result.

    ``forms`` holds the XEP-0128 data forms; ``extensions`` any other element of
    another namespace.
    """

    node: str | None = attr(default=None, value=_NON_EMPTY)
    identities: tuple[Identity, ...] = children(Identity)
    features: tuple[Feature, ...] = children(Feature)
    forms: tuple[Form, ...] = children(Form)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        if len(self.identities) < 2:
            return  # a single identity cannot disagree with another
        names: dict[tuple[str, str, str | None], str | None] = {}
        for identity in self.identities:
            key = (identity.category, identity.type, identity.lang)
            if key in names and names[key] != identity.name:
                language = f"xml:lang {identity.lang!r}" if identity.lang is not None else \
                    "no xml:lang"
                raise ValueError(
                    f"two identities {identity.category}/{identity.type} with {language} "
                    f"have different names ({names[key]!r} and {identity.name!r}); "
                    "XEP-0030 allows one name per category, type and language")
            names[key] = identity.name

    @property
    def feature_vars(self) -> tuple[str, ...]:
        """The features' vars, in document order."""
        return tuple(feature.var for feature in self.features)

    def has_feature(self, var: str) -> bool:
        """Whether the entity advertises the feature ``var``.

        (XEP-0030 asks receivers to assume the disco#info feature of any entity that
        answers at all; this method reports only what is advertised.)
        """
        return any(feature.var == var for feature in self.features)

    def identity_of(self, category: str, type: str | None = None) -> Identity | None:
        """The first identity of ``category`` (and ``type``, when given), or None."""
        for identity in self.identities:
            if identity.category == category and (type is None or identity.type == type):
                return identity
        return None

    def form(self, form_type: str) -> Form | None:
        """The extended-information form whose FORM_TYPE is ``form_type``, or None."""
        for form in self.forms:
            if form.form_type == form_type:
                return form
        return None


def check_info_result(query: InfoQuery, request: InfoQuery | None = None) -> None:
    """Check what XEP-0030 §3.1 asks of a disco#info result beyond what every query
    obeys: at least one identity and at least one feature, and, when the ``request``
    named a node, the same node mirrored back.

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) naming the problem.
    """
    if not query.identities:
        raise ParseError("a disco#info result must hold at least one <identity/>: every "
                         "entity has one", path="/query")
    if not query.features:
        raise ParseError("a disco#info result must hold at least one <feature/> (at least "
                         "the disco#info feature)", path="/query")
    if request is not None and query.node != request.node:
        raise ParseError(f"a disco#info result must mirror the node of its request "
                         f"({request.node!r}), not {query.node!r}", path="/query/@node")


def check_info_request(query: InfoQuery) -> None:
    """Check that a disco#info request is an empty query (a node is allowed).

    Raises :class:`~xepcodec.errors.ParseError` (``bad-request``) naming the problem.
    """
    if query.identities or query.features or query.forms or query.extensions:
        raise ParseError("a disco#info request is an empty <query/> (it may name a node), "
                         "but this one has children", path="/query")


# -- disco#items --------------------------------------------------------------------------


@element(NS_ITEMS, "item")
class Item:
    """An entity or node associated with the queried entity: its JID, the node when
    the item is not addressable by a JID alone, and a human-readable name.

    ``extensions`` keeps elements of other namespaces, which XEP-0030 allows (and asks
    receivers to ignore when they do not understand them).
    """

    jid: JID = attr()
    node: str | None = attr(default=None, value=_NON_EMPTY)
    name: str | None = attr(default=None)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        if self.extensions:  # rare; the check runs for every item of a long list
            _check_no_form(self.extensions, "a disco#items <item/>")


@element(NS_ITEMS, "query")
class ItemsQuery:
    """A disco#items query: empty (but for an optional node and RSM request) in a
    request, the associated items in a result (none at all is a valid answer).

    ``rsm`` is the Result Set Management ``<set/>`` (XEP-0059), a page request in a
    request and the page description in a result; ``extensions`` holds other elements
    of other namespaces.
    """

    node: str | None = attr(default=None, value=_NON_EMPTY)
    items: tuple[Item, ...] = children(Item)
    rsm: ResultSet | None = child(ResultSet, default=None)
    extensions: tuple[Any, ...] = extensions(foreign_only=True)

    def __post_init__(self) -> None:
        if self.extensions:
            _check_no_form(self.extensions, "a disco#items <query/>")

    def item(self, jid: JID | str, node: str | None = None) -> Item | None:
        """The item with this JID and node (None: an item without a node), or None."""
        wanted = JID.parse(jid) if isinstance(jid, str) else jid
        for item in self.items:
            if item.jid == wanted and item.node == node:
                return item
        return None


# -- requests -----------------------------------------------------------------------------


def info_request(*, id: str, to: JID | None = None, node: str | None = None,
                 from_: JID | None = None, namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``to`` (and ``node``) for its disco#info."""
    return Iq(namespace=namespace, type=IqType.GET, id=id, to=to, from_=from_,
              extensions=(InfoQuery(node=node),))


def items_request(*, id: str, to: JID | None = None, node: str | None = None,
                  rsm: ResultSet | None = None, from_: JID | None = None,
                  namespace: str = CLIENT) -> Iq:
    """The iq ``get`` asking ``to`` (and ``node``) for its items, optionally one page
    of them (``rsm``, see :meth:`~xepcodec.protocols.rsm.ResultSet.request`)."""
    return Iq(namespace=namespace, type=IqType.GET, id=id, to=to, from_=from_,
              extensions=(ItemsQuery(node=node, rsm=rsm),))
