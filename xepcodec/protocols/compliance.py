"""XMPP Compliance Suites 2020 (XEP-0423): which protocols an entity must implement to
claim a category and level, and how much of that its service discovery shows.

XEP-0423 defines no element.  It is a set of tables: for each **category** (Core, Web,
IM, Mobile) one row per feature ("Direct TLS", "Group Chat"…), its providers (the RFCs
and XEPs implementing it) and, in four columns, whether the feature is required, not
required or not applicable at the **level** Core or Advanced for a server or a client.
A category other than Core is claimed only together with the Core category at the same
level.  This module holds those tables as data (:data:`CS2020`, the Draft 1.0.1, and
:data:`CS2020_PROTOXEP`, the ProtoXEP 0.0.1 it started from, which lacks the /me
command, file upload and transfer, connection mechanism discovery and XEP-0411, and
splits XEP-0198 into its resumption and acknowledgement halves) and :func:`report`,
which holds a disco#info answer against them.

What disco#info can show, and what it cannot:

* each provider says, per role, the disco#info features (any one of them, or all of
  them), the identities or the stream features that show it (:class:`Shown`), or why
  nothing does (:class:`Hidden`): TLS, direct TLS and the web transports are found on
  the wire, in DNS or over HTTP; RFC 6120 and RFC 6121 are what every session is;
  most protocols a client uses against its server (carbons, MAM, blocking…) are not
  advertised by the client.  A hidden provider is :attr:`Status.NOT_DISCOVERABLE`;
* a server spreads its features over several entities (its domain, an account's bare
  JID for PEP, MAM and push, its components for MUC and file upload, which XEP-0423
  allows): :func:`report` takes every answer the caller has and pools them;
* stream management and client state indication are offered in the stream features,
  not in disco#info: given the server's ``<stream:features/>`` they are checked, without
  them they are not discoverable;
* XEP-0030 asks an entity that receives a disco#info answer to assume the disco#info
  feature even when it is not listed: answering is support;
* the XEP's footnotes (conditions such as "not required of command-line clients", the
  component allowance, "only one of the providers") are kept on the cells and
  providers, and rendered with the report; a cell marked "only one of the providers"
  is met by any one of them, every other by all of them.

A level is met (:attr:`LevelReport.met`) when no requirement of it, nor of the Core
category at the same level, is :attr:`Status.MISSING`; the requirements that could not
be checked are listed with it (:attr:`LevelReport.not_discoverable`), as the claim also
rests on them.  The 2020 suites have no audio/video category (it arrived with the 2021
suites, XEP-0443).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.model import XmlFragment
from xepcodec.model.codec import codec_of
from xepcodec.protocols.caps import NS_CAPS
from xepcodec.protocols.disco import FEATURE_INFO, InfoQuery, check_info_result
from xepcodec.protocols.selfping import SELF_PING_OPTIMIZATION
from xepcodec.protocols.stream_features import StreamFeatures
from xepcodec.protocols.stream_management import NS_SM

__all__ = [
    "CS2020",
    "CS2020_PROTOXEP",
    "EDITIONS",
    "Category",
    "Cell",
    "Edition",
    "Hidden",
    "Level",
    "LevelReport",
    "Need",
    "Provider",
    "ProviderReport",
    "Report",
    "Requirement",
    "RequirementReport",
    "Role",
    "Shown",
    "Status",
    "report",
]


class Role(enum.StrEnum):
    """Whose compliance is claimed: a server's or a client's."""

    SERVER = "server"
    CLIENT = "client"


class Level(enum.StrEnum):
    """The two levels of every category."""

    CORE = "core"
    ADVANCED = "advanced"


class Need(enum.StrEnum):
    """One cell of a suite's table: what the level asks of the role."""

    REQUIRED = "required"
    NOT_REQUIRED = "not required"
    NOT_APPLICABLE = "not applicable"


class Status(enum.StrEnum):
    """What the answers show of one requirement."""

    #: advertised
    MET = "met"
    #: discoverable, and not advertised
    MISSING = "missing"
    #: not shown by disco#info (or by stream features that were not given)
    NOT_DISCOVERABLE = "not discoverable"


# -- how a provider shows itself ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shown:
    """How a provider shows itself: disco#info features (``all_of`` every one of them,
    ``any_of`` at least one), identities (category, type; any one of them), and
    stream features by namespace (any one of them, an alternative to the rest)."""

    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    identities: tuple[tuple[str, str], ...] = ()
    stream_features: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (self.any_of or self.all_of or self.identities or self.stream_features):
            raise ArgumentValueError("Shown needs at least one feature, identity or stream "
                                     "feature; a provider nothing shows is Hidden")

    @property
    def in_disco(self) -> bool:
        """Whether disco#info can show it (not only the stream features)."""
        return bool(self.any_of or self.all_of or self.identities)

    def wanted(self) -> str:
        """What shows it, in words."""
        parts = []
        if self.all_of:
            parts.append("disco#info features " + " and ".join(self.all_of)
                         if len(self.all_of) > 1 else f"disco#info feature {self.all_of[0]}")
        if self.any_of:
            parts.append("disco#info feature " + " or ".join(self.any_of))
        if self.identities:
            parts.append("identity " + " or ".join(f"{c}/{t}" for c, t in self.identities))
        wanted = " with ".join(parts)
        if self.stream_features:
            features = "stream feature " + " or ".join(self.stream_features)
            wanted = f"{wanted}, or {features}" if wanted else features
        return wanted


@dataclass(frozen=True, slots=True)
class Hidden:
    """A provider that neither disco#info nor stream features show, and why."""

    reason: str


@dataclass(frozen=True, slots=True)
class Provider:
    """One specification implementing a feature, and how it shows itself for each role
    (None where the role has nothing of it to implement)."""

    spec: str
    title: str
    server: Shown | Hidden | None
    client: Shown | Hidden | None
    notes: tuple[str, ...] = ()

    def shown(self, role: Role) -> Shown | Hidden | None:
        """How it shows itself for ``role``."""
        return self.server if role is Role.SERVER else self.client


@dataclass(frozen=True, slots=True)
class Cell:
    """What one level asks of one role for one feature, with the cell's footnotes;
    ``one_provider``: any one of the providers suffices."""

    need: Need
    notes: tuple[str, ...] = ()
    one_provider: bool = False


@dataclass(frozen=True, slots=True)
class Requirement:
    """One row of a suite's table: a feature, its providers (all of them are needed,
    unless the cell says one suffices), and its four cells in the XEP's column order."""

    name: str
    providers: tuple[Provider, ...]
    core_server: Cell
    core_client: Cell
    advanced_server: Cell
    advanced_client: Cell
    see_also: tuple[str, ...] = ()

    def cell(self, level: Level, role: Role) -> Cell:
        """The cell for ``level`` and ``role``."""
        cells = {(Level.CORE, Role.SERVER): self.core_server,
                 (Level.CORE, Role.CLIENT): self.core_client,
                 (Level.ADVANCED, Role.SERVER): self.advanced_server,
                 (Level.ADVANCED, Role.CLIENT): self.advanced_client}
        return cells[level, role]


@dataclass(frozen=True, slots=True)
class Category:
    """A compliance suite: ``Core``, ``Web``, ``IM`` or ``Mobile``.  ``of_note`` lists
    what the XEP mentions without requiring it."""

    name: str
    requirements: tuple[Requirement, ...]
    of_note: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Edition:
    """One version of the document: its categories, Core first."""

    version: str
    status: str
    categories: tuple[Category, ...]

    def __post_init__(self) -> None:
        # A required cell must name providers the role can implement, or nothing
        # could ever check it.
        for category in self.categories:
            for requirement in category.requirements:
                for level in Level:
                    for role in Role:
                        if requirement.cell(level, role).need is not Need.REQUIRED:
                            continue
                        for provider in requirement.providers:
                            if provider.shown(role) is None:
                                raise ArgumentValueError(
                                    f"{category.name} {level} {role}: {requirement.name!r} "
                                    f"is required, but {provider.spec} has nothing for a "
                                    f"{role}")

    def category(self, name: str) -> Category:
        """The category called ``name`` (``"IM"``)."""
        for category in self.categories:
            if category.name == name:
                return category
        raise ArgumentValueError(f"XEP-0423 {self.version} has no category {name!r} (it has "
                                 f"{', '.join(c.name for c in self.categories)})")


# -- the tables -----------------------------------------------------------------------------

_YES: Final = Cell(Need.REQUIRED)
_NO: Final = Cell(Need.NOT_REQUIRED)
_NA: Final = Cell(Need.NOT_APPLICABLE)

# The XEP's footnotes, in this project's words.
_COMPONENT: Final = ("may be provided by an external component or a server module; a claim "
                     "that relies on one must name it")
_USE_CASES: Final = ("the entity and occupant use cases are required, the others "
                     "recommended")
_NO_CLI: Final = "not required of command-line or terminal clients"
_PEP_ON_JIDS: Final = ("full publish-subscribe on users' JIDs is not required, but wished "
                       "for and expected of later suites")

_NOT_ADVERTISED: Final = "a client using it has nothing to advertise"

_RFC6120: Final = Provider(
    "RFC 6120", "XMPP Core",
    Hidden("streams, SASL and resource binding are what every session is; disco#info "
           "does not list them"),
    Hidden("streams, SASL and resource binding are what every session is; disco#info "
           "does not list them"),
    notes=("RFC 7622 is left out, as mixing PRECIS and stringprep has unclear "
           "interoperability effects",))
_RFC7590: Final = Provider(
    "RFC 7590", "Use of TLS in XMPP",
    Hidden("how TLS is used (versions, ciphers, certificate checks) is seen only on the "
           "wire"),
    Hidden("how TLS is used (versions, ciphers, certificate checks) is seen only on the "
           "wire"))
_XEP0368: Final = Provider(
    "XEP-0368", "SRV records for XMPP over TLS",
    Hidden("direct TLS is found through DNS SRV records and a connection attempt"),
    Hidden("a client's direct TLS connections are seen only on the wire"))
_XEP0030: Final = Provider(
    "XEP-0030", "Service Discovery",
    Shown(any_of=(FEATURE_INFO,)), Shown(any_of=(FEATURE_INFO,)))
_XEP0115: Final = Provider(
    "XEP-0115", "Entity Capabilities",
    Shown(any_of=(NS_CAPS,), stream_features=(NS_CAPS,)), Shown(any_of=(NS_CAPS,)))
_XEP0114: Final = Provider(
    "XEP-0114", "Jabber Component Protocol",
    Hidden("components connect on a port of their own; disco#info does not show it"), None)
_XEP0163: Final = Provider(
    "XEP-0163", "Personal Eventing Protocol",
    Shown(identities=(("pubsub", "pep"),)),
    Hidden("a client shows PEP only by the +notify features of the payloads it wants"))

_RFC7395: Final = Provider(
    "RFC 7395", "XMPP over WebSocket",
    Hidden("found through XEP-0156 (host-meta), not disco#info"),
    Hidden(_NOT_ADVERTISED))
_XEP0206: Final = Provider(
    "XEP-0206", "XMPP Over BOSH",
    Hidden("found through XEP-0156 (host-meta), not disco#info"),
    Hidden(_NOT_ADVERTISED))
_XEP0156: Final = Provider(
    "XEP-0156", "Discovering Alternative XMPP Connection Methods", None,
    Hidden(_NOT_ADVERTISED))

_RFC6121: Final = Provider(
    "RFC 6121", "XMPP Instant Messaging and Presence",
    Hidden("rosters and presence are what every IM session is; disco#info does not list "
           "them"),
    Hidden("rosters and presence are what every IM session is; disco#info does not list "
           "them"))
_XEP0245: Final = Provider(
    "XEP-0245", "The /me Command", None,
    Hidden("a way of displaying messages, with nothing to advertise"))
_XEP0084: Final = Provider(
    "XEP-0084", "User Avatar", None, Shown(any_of=("urn:xmpp:avatar:metadata+notify",)))
_XEP0398: Final = Provider(
    "XEP-0398", "User Avatar to vCard-Based Avatars Conversion",
    Shown(any_of=("urn:xmpp:pep-vcard-conversion:0",)), Hidden(_NOT_ADVERTISED))
_XEP0153: Final = Provider(
    "XEP-0153", "vCard-Based Avatars",
    Hidden("avatar hashes travel in presence; nothing is advertised"),
    Hidden("avatar hashes travel in presence; nothing is advertised"))
_XEP0054: Final = Provider(
    "XEP-0054", "vcard-temp", Shown(any_of=("vcard-temp",)), Hidden(_NOT_ADVERTISED))
_XEP0280: Final = Provider(
    "XEP-0280", "Message Carbons", Shown(any_of=("urn:xmpp:carbons:2",)),
    Hidden(_NOT_ADVERTISED))
_XEP0191: Final = Provider(
    "XEP-0191", "Blocking Command", Shown(any_of=("urn:xmpp:blocking",)),
    Hidden(_NOT_ADVERTISED))
_MIX_NOTE: Final = "later suites may ask for MIX (XEP-0369) instead"
_XEP0045: Final = Provider(
    "XEP-0045", "Multi-User Chat",
    Shown(any_of=("http://jabber.org/protocol/muc",)),
    Shown(any_of=("http://jabber.org/protocol/muc",)), notes=(_MIX_NOTE,))
_XEP0249: Final = Provider(
    "XEP-0249", "Direct MUC Invitations",
    Hidden("invitations are messages the server routes; nothing is advertised"),
    Shown(any_of=("jabber:x:conference",)))
_XEP0048: Final = Provider(
    "XEP-0048", "Bookmarks",
    Hidden("bookmarks are kept in private XML storage or PEP; nothing of their own is "
           "advertised"),
    Hidden(_NOT_ADVERTISED))
_XEP0313: Final = Provider(
    "XEP-0313", "Message Archive Management", Shown(any_of=("urn:xmpp:mam:2",)),
    Hidden(_NOT_ADVERTISED))
_XEP0313_MUC: Final = dataclasses.replace(
    _XEP0313, notes=("here: history asked of a room's archive rather than of the user's "
                     "account (the room's service advertises it)",))
_XEP0410: Final = Provider(
    "XEP-0410", "MUC Self-Ping (Schrödinger's Chat)",
    Shown(any_of=(SELF_PING_OPTIMIZATION,)), Hidden(_NOT_ADVERTISED))
_XEP0411: Final = Provider(
    "XEP-0411", "Bookmarks Conversion",
    Shown(any_of=("urn:xmpp:bookmarks-conversion:0",)), Hidden(_NOT_ADVERTISED))
_XEP0223: Final = Provider(
    "XEP-0223", "Persistent Storage of Private Data via PubSub",
    Shown(all_of=("http://jabber.org/protocol/pubsub#publish",
                  "http://jabber.org/protocol/pubsub#publish-options")),
    Hidden(_NOT_ADVERTISED))
_XEP0049: Final = Provider(
    "XEP-0049", "Private XML Storage", Shown(any_of=("jabber:iq:private",)),
    Hidden(_NOT_ADVERTISED))
_XEP0049_LEGACY: Final = dataclasses.replace(
    _XEP0049, notes=("recommended only for the legacy way of storing bookmarks",))
_XEP0198: Final = Provider(
    "XEP-0198", "Stream Management", Shown(stream_features=(NS_SM,)),
    Hidden("a client enables it on its stream; nothing is advertised"))
_XEP0184: Final = Provider(
    "XEP-0184", "Message Delivery Receipts", None, Shown(any_of=("urn:xmpp:receipts",)))
_XEP0085: Final = Provider(
    "XEP-0085", "Chat State Notifications", None,
    Shown(any_of=("http://jabber.org/protocol/chatstates",)))
_XEP0308: Final = Provider(
    "XEP-0308", "Last Message Correction", None,
    Shown(any_of=("urn:xmpp:message-correct:0",)))
_XEP0363: Final = Provider(
    "XEP-0363", "HTTP File Upload", Shown(any_of=("urn:xmpp:http:upload:0",)),
    Hidden(_NOT_ADVERTISED))
_XEP0234: Final = Provider(
    "XEP-0234", "Jingle File Transfer", None,
    Shown(all_of=("urn:xmpp:jingle:1", "urn:xmpp:jingle:apps:file-transfer:5")))
_XEP0261: Final = Provider(
    "XEP-0261", "Jingle In-Band Bytestreams Transport Method", None,
    Shown(all_of=("urn:xmpp:jingle:1", "urn:xmpp:jingle:transports:ibb:1")))

_XEP0352: Final = Provider(
    "XEP-0352", "Client State Indication", Shown(stream_features=("urn:xmpp:csi:0",)),
    Hidden("a client sends its state; nothing is advertised"))
_XEP0357: Final = Provider(
    "XEP-0357", "Push Notifications", Shown(any_of=("urn:xmpp:push:0",)),
    Hidden("a client registers with its server's push service; nothing is advertised"))


def _row(name: str, providers: tuple[Provider, ...], core_server: Cell, core_client: Cell,
         advanced_server: Cell, advanced_client: Cell,
         see_also: tuple[str, ...] = ()) -> Requirement:
    return Requirement(name, providers, core_server, core_client, advanced_server,
                       advanced_client, see_also)


def _yes(*notes: str, one_provider: bool = False) -> Cell:
    return Cell(Need.REQUIRED, notes, one_provider)


_CORE: Final = Category("Core", (
    _row("Core features", (_RFC6120,), _YES, _YES, _YES, _YES),
    _row("TLS", (_RFC7590,), _YES, _YES, _YES, _YES),
    _row("Direct TLS", (_XEP0368,), _NO, _NO,
         _yes("for a server: accepting direct TLS connections"), _YES),
    _row("Feature discovery", (_XEP0030,), _YES, _YES, _YES, _YES),
    _row("Feature broadcasts", (_XEP0115,), _NO, _YES, _YES, _YES),
    _row("Server Extensibility", (_XEP0114,), _YES, _NA, _YES, _NA),
    _row("Event publishing", (_XEP0163,), _NO, _NO, _yes(_PEP_ON_JIDS), _YES),
))

_WEB_CONNECTION: Final = _row(
    "Web Connection Mechanisms", (_RFC7395, _XEP0206), _yes(_COMPONENT),
    _yes(one_provider=True), _yes(_COMPONENT), _yes(one_provider=True),
    see_also=("XEP-0124",))

_GROUP_CHAT: Final = _row("Group Chat", (_XEP0045, _XEP0249), _yes(_COMPONENT),
                          _yes(_USE_CASES), _yes(_COMPONENT), _yes(_USE_CASES))
_AVATARS: Final = _row("User Avatars", (_XEP0084,), _NA, _NO, _NA, _yes(_NO_CLI))
_AVATAR_COMPATIBILITY: Final = _row("User Avatar Compatibility", (_XEP0398, _XEP0153),
                                    _NO, _NO, _YES, _yes(_NO_CLI))
_VCARD: Final = _row("vcard-temp", (_XEP0054,), _YES, _YES, _YES, _YES)
_CARBONS: Final = _row("Outbound Message Synchronization", (_XEP0280,),
                       _YES, _YES, _YES, _YES)
_BLOCKING: Final = _row("User Blocking", (_XEP0191,), _NO, _NO, _YES, _YES)
_PEP_STORAGE: Final = _row("Persistent Storage of Private Data via PubSub", (_XEP0223,),
                           _NO, _NO, _yes(_COMPONENT), _YES)
_RECEIPTS: Final = _row("Message Acknowledgements", (_XEP0184,), _NA, _NO, _NA, _YES)
_HISTORY: Final = _row("History Storage / Retrieval", (_XEP0313,), _NO, _NO, _YES, _YES)
_CHAT_STATES: Final = _row("Chat States", (_XEP0085,), _NA, _NO, _NA, _YES)
_CORRECTION: Final = _row("Message Correction", (_XEP0308,), _NA, _NO, _NA, _YES)
_IM_CORE: Final = _row("Core features", (_RFC6121,), _YES, _YES, _YES, _YES)
_CSI: Final = _row("Client State Indication", (_XEP0352,), _YES, _YES, _YES, _YES)

#: XMPP Compliance Suites 2020, XEP-0423 version 1.0.1 (the Draft 1.0.0 with its
#: supersession by XEP-0443 noted): the default of :func:`report`.
CS2020: Final = Edition("1.0.1", "Obsolete (a Draft until XEP-0443 replaced it)", (
    _CORE,
    Category("Web", (
        _WEB_CONNECTION,
        _row("Connection Mechanism Discovery", (_XEP0156,), _NO, _NO, _NA, _YES),
    )),
    Category("IM", (
        _IM_CORE,
        _row("The /me Command", (_XEP0245,), _NA, _YES, _NA, _YES),
        _AVATARS, _AVATAR_COMPATIBILITY, _VCARD, _CARBONS, _BLOCKING, _GROUP_CHAT,
        _row("Advanced Group Chat", (_XEP0048, _XEP0313_MUC, _XEP0410, _XEP0411),
             _NO, _NO, _yes(_COMPONENT), _YES),
        _PEP_STORAGE,
        _row("Private XML Storage", (_XEP0049_LEGACY,), _NO, _NO, _yes(_COMPONENT), _YES),
        _row("Stream Management", (_XEP0198,), _NO, _NO, _YES, _YES),
        _RECEIPTS, _HISTORY, _CHAT_STATES, _CORRECTION,
        _row("File Upload", (_XEP0363,), _yes(_COMPONENT), _YES, _yes(_COMPONENT), _YES),
        _row("Direct File Transfer", (_XEP0234, _XEP0261), _NA, _NO, _NA, _YES),
    ), of_note=(
        "XEP-0077 for public IM networks (supported, but off in default server "
        "configurations)",
        "XEP-0157 for public IM networks",
        "XEP-0066 to point at uploaded files, optionally with XEP-0385",
        "XEP-0392 for consistent colours of user names across clients",
    )),
    Category("Mobile", (
        _row("Stream Management", (_XEP0198,), _YES, _YES, _YES, _YES),
        _CSI,
        _row("Third Party Push Notifications", (_XEP0357,), _NO, _NO, _yes(_COMPONENT),
             _yes("only on platforms that do not allow long-lived connections in the "
                  "background")),
    ), of_note=("XEP-0286",)),
))

#: The ProtoXEP 0.0.1 that became XEP-0423: no /me command, file upload or transfer,
#: connection mechanism discovery or XEP-0411, XEP-0198 as two rows (resumption and
#: acknowledgements), no footnote on push for clients or on private XML storage.
CS2020_PROTOXEP: Final = Edition("0.0.1", "ProtoXEP", (
    _CORE,
    Category("Web", (_WEB_CONNECTION,)),
    Category("IM", (
        _IM_CORE, _AVATARS, _AVATAR_COMPATIBILITY, _VCARD, _CARBONS, _BLOCKING,
        _GROUP_CHAT,
        _row("Advanced Group Chat", (_XEP0048, _XEP0313_MUC, _XEP0410),
             _NO, _NO, _yes(_COMPONENT), _YES),
        _PEP_STORAGE,
        _row("Private XML Storage", (_XEP0049,), _NO, _NO, _yes(_COMPONENT), _YES),
        _row("Session Resumption", (_XEP0198,), _NO, _NO, _YES, _YES),
        _row("Stanza Acknowledgements", (_XEP0198,), _NO, _NO, _YES, _YES),
        _RECEIPTS, _HISTORY, _CHAT_STATES, _CORRECTION,
    )),
    Category("Mobile", (
        _row("Session Resumption", (_XEP0198,), _YES, _YES, _YES, _YES),
        _row("Stanza Acknowledgements", (_XEP0198,), _YES, _YES, _YES, _YES),
        _CSI,
        _row("Third Party Push Notifications", (_XEP0357,), _NO, _NO, _yes(_COMPONENT),
             _YES),
    )),
))

#: The editions by version.
EDITIONS: Final[Mapping[str, Edition]] = MappingProxyType(
    {edition.version: edition for edition in (CS2020, CS2020_PROTOXEP)})


# -- the report -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProviderReport:
    """One provider against the answers: ``seen`` what showed it (features,
    ``category/type`` identities, stream feature namespaces), ``detail`` what it needs
    or why it cannot be seen."""

    spec: str
    title: str
    status: Status
    seen: tuple[str, ...]
    detail: str
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """As plain JSON values."""
        return {"spec": self.spec, "title": self.title, "status": str(self.status),
                "seen": list(self.seen), "detail": self.detail, "notes": list(self.notes)}


@dataclass(frozen=True, slots=True)
class RequirementReport:
    """One required feature: met when its providers are (any one of them when
    ``one_provider``), missing when one is missing (every one, when any suffices),
    not discoverable otherwise."""

    name: str
    status: Status
    providers: tuple[ProviderReport, ...]
    one_provider: bool
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """As plain JSON values."""
        return {"name": self.name, "status": str(self.status),
                "one_provider": self.one_provider, "notes": list(self.notes),
                "providers": [provider.to_json() for provider in self.providers]}


@dataclass(frozen=True, slots=True)
class LevelReport:
    """One category at one level: its required features, and whether it is met (no
    requirement of it, nor of the Core category at the same level, missing)."""

    category: str
    level: Level
    requirements: tuple[RequirementReport, ...]
    met: bool

    @property
    def missing(self) -> tuple[RequirementReport, ...]:
        return tuple(r for r in self.requirements if r.status is Status.MISSING)

    @property
    def not_discoverable(self) -> tuple[RequirementReport, ...]:
        return tuple(r for r in self.requirements if r.status is Status.NOT_DISCOVERABLE)

    def to_json(self) -> dict[str, Any]:
        """As plain JSON values."""
        return {"category": self.category, "level": str(self.level), "met": self.met,
                "requirements": [r.to_json() for r in self.requirements]}


@dataclass(frozen=True, slots=True)
class Report:
    """The compliance of one entity, as ``role``, with every category and level of
    the ``edition``; ``features`` the disco#info features it was given."""

    edition: str
    role: Role
    levels: tuple[LevelReport, ...]
    features: tuple[str, ...]
    stream_features: tuple[str, ...] | None = field(default=None)

    def level(self, category: str, level: Level | str) -> LevelReport:
        """The report of ``category`` (``"IM"``) at ``level``."""
        wanted = _enum(Level, level, "level")
        for found in self.levels:
            if found.category == category and found.level is wanted:
                return found
        raise ArgumentValueError(f"the report has no category {category!r} (it has "
                                 f"{', '.join(sorted({f.category for f in self.levels}))})")

    def requirement(self, category: str, level: Level | str, name: str) -> RequirementReport:
        """One required feature of a category at a level (``"Core", "core", "TLS"``)."""
        for found in self.level(category, level).requirements:
            if found.name == name:
                return found
        raise ArgumentValueError(f"{category} {level} requires nothing called {name!r}")

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON values."""
        return {"xep": 423, "edition": self.edition, "role": str(self.role),
                "features": list(self.features),
                "stream_features": (None if self.stream_features is None
                                    else list(self.stream_features)),
                "levels": [level.to_json() for level in self.levels]}

    def text(self) -> str:
        """The report for people: one block per category and level."""
        lines = [f"XMPP Compliance Suites 2020 (XEP-0423 {self.edition}) as a {self.role}"]
        if self.stream_features is None:
            lines.append("(no stream features given: what only they show is not "
                         "discoverable)")
        for found in self.levels:
            verdict = "met" if found.met else "NOT met"
            unchecked = len(found.not_discoverable)
            if found.met and unchecked:
                verdict += f" as far as disco shows ({unchecked} not discoverable)"
            if found.category != "Core" and not found.met and not found.missing:
                verdict += (f" (the Core suite, {found.level.capitalize()} "
                            f"{self.role.capitalize()}, is not)")
            lines += ["", f"{found.category} suite, {found.level.capitalize()} "
                      f"{self.role.capitalize()}: {verdict}"]
            for requirement in found.requirements:
                lines.append(f"  {str(requirement.status).upper():<17} {requirement.name}"
                             + (" (one provider suffices)" if requirement.one_provider
                                else ""))
                for provider in requirement.providers:
                    shown = ", ".join(provider.seen) if provider.seen else provider.detail
                    lines.append(f"    {provider.spec} {provider.title}: "
                                 f"{provider.status}: {shown}")
                    lines += [f"      note: {note}" for note in provider.notes]
                lines += [f"    note: {note}" for note in requirement.notes]
        return "\n".join(lines) + "\n"


def _enum(kind: type[enum.StrEnum], value: object, name: str) -> Any:
    if isinstance(value, kind):
        return value
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} is a {kind.__name__} or its value, not "
                                f"{type(value).__name__}")
    try:
        return kind(value)
    except ValueError:
        raise ArgumentValueError(f"{name} {value!r} is none of "
                                 f"{', '.join(repr(str(m)) for m in kind)}") from None


@dataclass(frozen=True, slots=True)
class _Answers:
    """What the answers advertise, pooled."""

    features: frozenset[str]
    identities: frozenset[tuple[str, str]]
    stream_features: frozenset[str] | None


def _check_provider(provider: Provider, role: Role, answers: _Answers) -> ProviderReport:
    shown = provider.shown(role)
    assert shown is not None  # Edition refuses a table asking a role for it
    if isinstance(shown, Hidden):
        return ProviderReport(provider.spec, provider.title, Status.NOT_DISCOVERABLE, (),
                              shown.reason, provider.notes)
    seen = [var for var in (*shown.all_of, *shown.any_of) if var in answers.features]
    seen += [f"{c}/{t}" for c, t in shown.identities if (c, t) in answers.identities]
    in_disco = shown.in_disco and (
        all(var in answers.features for var in shown.all_of)
        and (not shown.any_of or any(var in answers.features for var in shown.any_of))
        and (not shown.identities or any(i in answers.identities for i in shown.identities)))
    streams = answers.stream_features
    in_stream = [ns for ns in shown.stream_features if streams is not None and ns in streams]
    seen += [f"stream feature {ns}" for ns in in_stream]
    if in_disco or in_stream:
        status = Status.MET
        detail = "advertised"
    elif shown.stream_features and streams is None:
        status = Status.NOT_DISCOVERABLE
        detail = (f"needs {shown.wanted()}; the stream features were not given")
    else:
        status = Status.MISSING
        detail = f"needs {shown.wanted()}"
    return ProviderReport(provider.spec, provider.title, status, tuple(dict.fromkeys(seen)),
                          detail, provider.notes)


def _check_requirement(requirement: Requirement, cell: Cell, role: Role,
                       answers: _Answers) -> RequirementReport:
    providers = tuple(_check_provider(p, role, answers) for p in requirement.providers)
    statuses = {provider.status for provider in providers}
    if cell.one_provider:
        status = (Status.MET if Status.MET in statuses
                  else Status.NOT_DISCOVERABLE if Status.NOT_DISCOVERABLE in statuses
                  else Status.MISSING)
    else:
        status = (Status.MISSING if Status.MISSING in statuses
                  else Status.NOT_DISCOVERABLE if Status.NOT_DISCOVERABLE in statuses
                  else Status.MET)
    notes = cell.notes + tuple(f"see also {spec}" for spec in requirement.see_also)
    return RequirementReport(requirement.name, status, providers, cell.one_provider, notes)


def _stream_feature_namespaces(features: StreamFeatures) -> frozenset[str]:
    found = set()
    for item in (*(getattr(features, f.name) for f in dataclasses.fields(features)
                   if f.name != "others"), *features.others):
        if item is None:
            continue
        found.add(item.namespace if isinstance(item, XmlFragment)
                  else codec_of(type(item)).namespaces[0])
    return frozenset(found)


def _infos(info: object) -> tuple[InfoQuery, ...]:
    queries = (info,) if isinstance(info, InfoQuery) else info
    if isinstance(queries, str | bytes) or not isinstance(queries, Iterable):
        raise ArgumentTypeError(f"report() takes a disco#info InfoQuery or several, not "
                                f"{type(info).__name__}")
    queries = tuple(queries)
    if not queries:
        raise ArgumentValueError("report() needs at least one disco#info answer")
    for number, query in enumerate(queries):
        if not isinstance(query, InfoQuery):
            raise ArgumentTypeError(f"info[{number}] is a {type(query).__name__}, not a "
                                    "disco#info InfoQuery")
        try:
            check_info_result(query)
        except ParseError as error:
            raise ArgumentValueError(f"info[{number}] is not a disco#info result: "
                                     f"{error.message}") from None
    return queries


def report(info: InfoQuery | Iterable[InfoQuery], *, role: Role | str = Role.SERVER,
           suites: Edition | str = CS2020,
           stream_features: StreamFeatures | None = None) -> Report:
    """Hold the disco#info answers ``info`` of one entity (for a server: of its domain
    and, as it has them, of an account's bare JID and of its services) against every
    category and level of the ``suites`` (an :class:`Edition` or its version, ``"1.0.1"``
    or ``"0.0.1"``) for ``role``; ``stream_features``, the server's, show what only they
    can.

    :class:`~xepcodec.errors.ArgumentTypeError` or
    :class:`~xepcodec.errors.ArgumentValueError` for an argument that is none of
    these, or an answer that is not a disco#info result (no identity or no feature).
    """
    queries = _infos(info)
    as_role: Role = _enum(Role, role, "role")
    if isinstance(suites, str):
        if suites not in EDITIONS:
            raise ArgumentValueError(f"XEP-0423 has no edition {suites!r} here (known: "
                                     f"{', '.join(EDITIONS)})")
        suites = EDITIONS[suites]
    if not isinstance(suites, Edition):
        raise ArgumentTypeError(f"suites is an Edition or its version, not "
                                f"{type(suites).__name__}")
    if stream_features is not None and not isinstance(stream_features, StreamFeatures):
        raise ArgumentTypeError(f"stream_features is a StreamFeatures, not "
                                f"{type(stream_features).__name__}")
    features = tuple(dict.fromkeys(var for query in queries for var in query.feature_vars))
    answers = _Answers(
        # XEP-0030 §3.1: an entity that answers disco#info supports it, listed or not.
        frozenset(features) | {FEATURE_INFO},
        frozenset((i.category, i.type) for query in queries for i in query.identities),
        None if stream_features is None else _stream_feature_namespaces(stream_features))
    levels = []
    core_met: dict[Level, bool] = {}
    for category in suites.categories:
        for level in Level:
            required = [(r, r.cell(level, as_role)) for r in category.requirements]
            results = tuple(_check_requirement(r, cell, as_role, answers)
                            for r, cell in required if cell.need is Need.REQUIRED)
            met = all(r.status is not Status.MISSING for r in results)
            if category is suites.categories[0]:
                core_met[level] = met
            else:
                met = met and core_met[level]
            levels.append(LevelReport(category.name, level, results, met))
    return Report(suites.version, as_role, tuple(levels), features,
                  None if answers.stream_features is None
                  else tuple(sorted(answers.stream_features)))
