"""The cookie jar of XEP-0464 (Cookies), as a sans-IO machine.

:class:`CookieJar` is the settee's side: :meth:`~CookieJar.receive` stores the cookies
every ``<set-cookies/>`` of a received stanza sets, :meth:`~CookieJar.decorate` attaches
them to a stanza to send.  It never runs a cookie's script and keeps to its limits.
``docs/cookies.md`` is the manual; ``docs/machines.md`` the convention.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Final, TypeVar

from xepcodec.api import serialize
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError
from xepcodec.machines.base import Event, Ignored, SnapshotFormat, as_jid, from_json, to_json
from xepcodec.model import XmlFragment, is_element
from xepcodec.model.fields import SPEC, ExtensionsSpec
from xepcodec.model.values import String
from xepcodec.protocols.cookies import (
    FEATURE_COOKIES,
    NS_COOKIES,
    Cookie,
    Cookies,
    is_cookie_name,
    iter_set_cookies,
)
from xepcodec.xml import DEFAULT_LIMITS

__all__ = [
    "COOKIE_OVERHEAD",
    "AcceptPolicy",
    "CookieError",
    "CookieJar",
    "CookieJarEvent",
    "CookieLimitError",
    "CookieLimits",
    "CookiePolicyError",
    "CookieRefused",
    "CookieStored",
    "IgnoreReason",
    "RefusalReason",
    "ScriptRefused",
    "SetCookiesIgnored",
    "StoredCookie",
]

S = TypeVar("S", Message, Presence, Iq)

_COOKIES_TAG: Final = f"{{{NS_COOKIES}}}cookies"
_TEXT: Final = String()
#: Version 2 added the limits ``max_cookies`` and ``max_stanza_size``; a version 1
#: snapshot is read with their defaults.
_SNAPSHOT: Final = SnapshotFormat("xepcodec.cookie-jar", 2, readable=frozenset({1}))

#: Bytes each cookie counts toward the jar's size on top of its strings: what keeping
#: an entry costs (the stored object, its place in the jar's tables, a share of its
#: setter's), measured on CPython, so that a jar full of tiny cookies is bounded too.
COOKIE_OVERHEAD: Final = 256


class RefusalReason(enum.StrEnum):
    """Why one cookie was not stored."""

    POLICY = "policy"
    VALUE_SIZE = "value-size"
    PER_SETTER = "per-setter"
    COOKIE_COUNT = "cookie-count"
    JAR_SIZE = "jar-size"


class IgnoreReason(enum.StrEnum):
    """Why a whole ``<set-cookies/>`` was not looked at."""

    NO_SENDER = "no-sender"
    ERROR_STANZA = "error-stanza"
    MALFORMED = "malformed"


# -- errors ------------------------------------------------------------------------------


class CookieError(ParseError):
    """A cookie the jar will not store.  Like every ParseError it carries the RFC 6120
    stanza condition to answer with; ``setter``, ``name`` and ``reason`` say which
    cookie and why."""

    def __init__(self, message: str, *, condition: str, setter: JID, name: str,
                 reason: RefusalReason) -> None:
        super().__init__(message, condition=condition, stream=False)
        self.setter = setter
        self.name = name
        self.reason = reason


class CookieLimitError(CookieError):
    """A cookie past one of the jar's limits; the condition is ``resource-constraint``."""

    def __init__(self, message: str, *, setter: JID, name: str, reason: RefusalReason) -> None:
        super().__init__(message, condition="resource-constraint", setter=setter, name=name,
                         reason=reason)


class CookiePolicyError(CookieError):
    """A cookie from a setter the accept policy refuses; the condition is ``forbidden``."""

    def __init__(self, message: str, *, setter: JID, name: str) -> None:
        super().__init__(message, condition="forbidden", setter=setter, name=name,
                         reason=RefusalReason.POLICY)


# -- configuration -----------------------------------------------------------------------


def _check_count(what: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ArgumentValueError(f"{what} must be a non-negative integer, not {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class CookieLimits:
    """The jar's bounds.  Sizes are UTF-8 bytes; the jar's size is the sum of what its
    cookies cost (:attr:`StoredCookie.size`).  The defaults follow the minimums
    RFC 6265 §6.1 asks of a web browser: 50 cookies per setter, 3000 cookies, 4096
    bytes per value.  ``max_stanza_size`` bounds the stanzas :meth:`CookieJar.decorate`
    makes; it defaults to the size the stream reader accepts."""

    max_per_setter: int = 50
    max_value_size: int = 4096
    max_total_size: int = 262_144
    max_cookies: int = 3000
    max_stanza_size: int = DEFAULT_LIMITS.max_size

    def __post_init__(self) -> None:
        for each in dataclasses.fields(self):
            _check_count(each.name, getattr(self, each.name))
        # Beyond these, a stanza carrying the cookies would be refused by the reader.
        if self.max_cookies > DEFAULT_LIMITS.max_children:
            raise ArgumentValueError(f"max_cookies cannot exceed {DEFAULT_LIMITS.max_children}"
                                     ", the children an element may have")
        if self.max_value_size > DEFAULT_LIMITS.max_text_length:
            raise ArgumentValueError(f"max_value_size cannot exceed "
                                     f"{DEFAULT_LIMITS.max_text_length}, the characters a "
                                     "text may have")


def _jid_set(entries: Iterable[JID | str], what: str) -> frozenset[JID]:
    if isinstance(entries, str | JID):
        raise ArgumentTypeError(f"{what} is a collection of JIDs, not a single one")
    return frozenset(as_jid(entry, f"an entry of {what}") for entry in entries)


@dataclass(frozen=True, slots=True, init=False)
class AcceptPolicy:
    """Which setters the jar takes cookies from.

    ``allow`` None admits everyone not denied; a collection admits only the setters it
    matches.  ``deny`` refuses the setters it matches, whatever ``allow`` says.  An
    entry matches a setter equal to it, whose bare JID is equal to it, or whose domain
    is equal to it: ``evil.example`` in ``deny`` refuses everyone there.
    """

    allow: frozenset[JID] | None
    deny: frozenset[JID]

    def __init__(self, *, allow: Iterable[JID | str] | None = None,
                 deny: Iterable[JID | str] = ()) -> None:
        object.__setattr__(self, "allow", None if allow is None else _jid_set(allow, "allow"))
        object.__setattr__(self, "deny", _jid_set(deny, "deny"))

    def admits(self, setter: JID) -> bool:
        """Whether this policy takes cookies from ``setter``."""
        if _matches(self.deny, setter):
            return False
        return self.allow is None or _matches(self.allow, setter)


def _matches(entries: frozenset[JID], setter: JID) -> bool:
    return setter in entries or setter.bare in entries or setter.domain_jid in entries


# -- the stored cookies ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredCookie:
    """A cookie in the jar.  ``inert_script`` marks the text of a refused script, kept
    only because the caller asked (``keep_inert_scripts``); it is never sent back."""

    setter: JID
    name: str
    value: str
    inert_script: bool = False
    #: what the cookie counts toward the jar's size: the UTF-8 bytes of its name, value
    #: and setter, and :data:`COOKIE_OVERHEAD`
    size: int = field(init=False, repr=False, compare=False)
    #: the most bytes it takes in a stanza
    wire_size: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", _cost(self.setter, self.name, self.value))
        # Written alone, a cookie also declares its namespace, which it inherits
        # inside <cookies/>: an upper bound, whatever the writer escapes.
        object.__setattr__(self, "wire_size", len(serialize(self.outgoing())))

    def outgoing(self) -> Cookie:
        """The cookie as it is sent back, naming its setter."""
        return Cookie(name=self.name, value=self.value, setter=self.setter)


def _cost(setter: JID, name: str, value: str) -> int:
    """What a cookie counts toward the jar's size (see :attr:`StoredCookie.size`)."""
    return (len(name.encode("utf-8")) + len(value.encode("utf-8"))
            + len(str(setter).encode("utf-8")) + COOKIE_OVERHEAD)


@functools.cache
def _filling_cost() -> int:
    """What a ``<cookies/>`` holding cookies takes beyond an empty one and its cookies
    written alone, at most (it may be negative).

    Measured with one cookie: a cookie declares its namespace only when written
    alone, so with every other cookie counted as written alone the sum is never less
    than the element.
    """
    one = Cookie(name="c", value="", setter=JID(None, "example.org"))
    return (len(serialize(Cookies(cookies=(one,)))) - len(serialize(one))
            - len(serialize(Cookies())))


# -- events ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CookieJarEvent(Event):
    """The base of the jar's own events.  What it returns besides them is the shared
    :class:`~xepcodec.machines.base.Ignored`, for what is not a stanza."""


@dataclass(frozen=True, slots=True)
class CookieStored(CookieJarEvent):
    """A cookie was stored; ``previous`` is the value it replaced, or None if new."""

    setter: JID
    name: str
    value: str
    previous: str | None = None
    inert_script: bool = False


@dataclass(frozen=True, slots=True)
class ScriptRefused(CookieJarEvent):
    """A cookie asked to be run as JavaScript; it was not, and nothing of it was stored
    (unless ``keep_inert_scripts`` is on, in which case a :class:`CookieStored` with
    ``inert_script`` follows, or a :class:`CookieRefused` if it did not fit)."""

    setter: JID
    name: str


@dataclass(frozen=True, slots=True)
class CookieRefused(CookieJarEvent):
    """A cookie was not stored, for ``reason``; ``error`` is the exception a caller may
    raise or turn into a stanza error (its ``condition``)."""

    setter: JID
    name: str
    reason: RefusalReason
    error: CookieError = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SetCookiesIgnored(CookieJarEvent):
    """A whole ``<set-cookies/>`` was ignored, for ``reason``; ``setter`` is who would
    have set it (None without a sender), ``error`` the problem of a malformed one."""

    reason: IgnoreReason
    setter: JID | None = None
    error: ParseError | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class _Saved:
    """What a snapshot holds, besides its envelope: everything but the ``accept``
    callable."""

    limits: CookieLimits
    bare_setters: bool
    privacy: bool
    keep_inert_scripts: bool
    account: JID | None
    policy: AcceptPolicy
    cookies: tuple[StoredCookie, ...]


# -- the jar -----------------------------------------------------------------------------


class CookieJar:
    """The settee's cookies, by setter and name.  See ``docs/cookies.md`` for what it
    does where XEP-0464 is unsafe; every option is given to the constructor, and all
    but the ``accept`` callable are saved by :meth:`snapshot`.

    The jar has no protocol state: each stanza is taken on its own, and what it keeps
    is a store of cookies bounded by its limits.

    ``limits`` and ``bare_setters`` are fixed for the jar's life (changing them could
    leave it holding what it may not hold); ``policy``, ``accept``, ``privacy``,
    ``keep_inert_scripts`` and ``account`` may be changed at any time and take effect
    from the next call.  Changing the policy does not remove cookies already stored:
    call :meth:`forget` for that.
    """

    __slots__ = ("_bare_setters", "_count", "_jar", "_limits", "_size", "accept", "account",
                 "keep_inert_scripts", "policy", "privacy")

    #: It answers no iq: it reads ``<set-cookies/>`` wherever a stanza carries one.
    payloads: ClassVar[tuple[type, ...]] = ()

    def __init__(self, *, limits: CookieLimits | None = None,
                 policy: AcceptPolicy | None = None,
                 accept: Callable[[JID], bool] | None = None,
                 privacy: bool = False, keep_inert_scripts: bool = False,
                 account: JID | None = None, bare_setters: bool = True) -> None:
        self._limits = limits if limits is not None else CookieLimits()
        self._bare_setters = bare_setters
        self.policy: AcceptPolicy = policy if policy is not None else AcceptPolicy()
        #: a further test of senders the allow and deny lists admit (not saved)
        self.accept: Callable[[JID], bool] | None = accept
        self.privacy: bool = privacy
        self.keep_inert_scripts: bool = keep_inert_scripts
        #: the receiver's own account: the sender of stanzas without ``from`` and the
        #: recipient of stanzas without ``to``
        self.account: JID | None = account
        self._jar: dict[JID, dict[str, StoredCookie]] = {}
        self._size = 0
        self._count = 0

    # -- reading the jar ----------------------------------------------------------------

    @property
    def limits(self) -> CookieLimits:
        return self._limits

    @property
    def bare_setters(self) -> bool:
        return self._bare_setters

    @property
    def size(self) -> int:
        """The jar's size as the limits count it: the sum of its cookies'
        :attr:`StoredCookie.size`."""
        return self._size

    @property
    def cookies(self) -> tuple[StoredCookie, ...]:
        """Every stored cookie, setter by setter, each in the order first set."""
        return tuple(cookie for bucket in self._jar.values() for cookie in bucket.values())

    @property
    def setters(self) -> tuple[JID, ...]:
        """The setters that have cookies in the jar."""
        return tuple(self._jar)

    def __len__(self) -> int:
        return self._count

    def get(self, setter: JID, name: str) -> StoredCookie | None:
        """The cookie ``setter`` set under ``name``, or None."""
        bucket = self._jar.get(self._key(setter))
        return None if bucket is None else bucket.get(name)

    def count_for(self, setter: JID) -> int:
        """How many cookies ``setter`` has in the jar."""
        return len(self._jar.get(self._key(setter), ()))

    # -- what arrives -------------------------------------------------------------------

    def accepts(self, stanza: object) -> bool:
        """Whether ``stanza`` is for the jar: a message, presence or iq carrying a
        ``<set-cookies/>`` at any depth."""
        return isinstance(stanza, Message | Presence | Iq) and \
            next(iter_set_cookies(stanza), None) is not None

    def disco_features(self) -> tuple[str, ...]:
        """The feature of an entity that takes cookies (XEP-0464 §4)."""
        return (FEATURE_COOKIES,)

    def receive(self, stanza: object, *, now: datetime | None = None) -> list[Event]:
        """Take in a received stanza: store the cookies of every ``<set-cookies/>`` in it,
        at any depth, and say what happened, in document order.  Anything that is not a
        stanza, or a stanza without ``<set-cookies/>``, is
        :class:`~xepcodec.machines.base.Ignored`.  The jar keeps no time: ``now`` is not
        used."""
        if not isinstance(stanza, Message | Presence | Iq):
            return [Ignored(stanza, "not a message, presence or iq stanza")]
        found = list(iter_set_cookies(stanza))
        if not found:
            return [Ignored(stanza, "carries no <set-cookies/>")]
        sender = stanza.from_ if stanza.from_ is not None else self.account
        setter = None if sender is None else self._key(sender)
        if stanza.type == "error":
            return [SetCookiesIgnored(IgnoreReason.ERROR_STANZA, setter) for _ in found]
        if sender is None or setter is None:
            return [SetCookiesIgnored(IgnoreReason.NO_SENDER) for _ in found]
        events: list[Event] = []
        admitted: bool | None = None
        for item in found:
            if isinstance(item, ParseError):
                events.append(SetCookiesIgnored(IgnoreReason.MALFORMED, setter, item))
                continue
            for cookie in item.cookies:
                if cookie.is_script:
                    events.append(ScriptRefused(setter, cookie.name))
                    if not self.keep_inert_scripts:
                        continue
                if admitted is None:
                    admitted = self._admits(sender)
                if not admitted:
                    error = CookiePolicyError(
                        f"{sender} is not allowed to set cookies", setter=setter,
                        name=cookie.name)
                    events.append(CookieRefused(setter, cookie.name, error.reason, error))
                    continue
                try:
                    events.append(self._put(setter, cookie.name, cookie.value,
                                            inert_script=cookie.is_script))
                except CookieLimitError as error:
                    events.append(CookieRefused(setter, cookie.name, error.reason, error))
        return events

    # -- what the caller does -----------------------------------------------------------

    def store(self, setter: JID, name: str, value: str) -> CookieStored:
        """Store a cookie directly (say, one carried over from elsewhere), as if
        ``setter`` had set it: limits apply, the accept policy does not (the caller is
        not a remote entity).  Raises :class:`CookieLimitError` past a limit and
        ArgumentValueError for a name that is not an NCName or a value XML cannot
        carry."""
        if not isinstance(setter, JID):
            raise ArgumentTypeError(f"a setter is a JID, not {type(setter).__name__}")
        if not is_cookie_name(name):
            raise ArgumentValueError(f"{name!r} cannot name a cookie: it must be an XML NCName")
        _TEXT.format(value)
        return self._put(self._key(setter), name, value, inert_script=False)

    def remove(self, setter: JID, name: str) -> bool:
        """Remove one cookie; whether there was one."""
        key = self._key(setter)
        bucket = self._jar.get(key)
        if bucket is None or name not in bucket:
            return False
        self._size -= bucket.pop(name).size
        self._count -= 1
        if not bucket:
            del self._jar[key]
        return True

    def forget(self, setter: JID) -> int:
        """Remove every cookie ``setter`` set; how many there were."""
        bucket = self._jar.pop(self._key(setter), {})
        self._size -= sum(cookie.size for cookie in bucket.values())
        self._count -= len(bucket)
        return len(bucket)

    def clear(self) -> int:
        """Empty the jar; how many cookies there were."""
        count = len(self)
        self._jar.clear()
        self._size = 0
        self._count = 0
        return count

    def outgoing(self, recipient: JID | None) -> Cookies | None:
        """The ``<cookies/>`` element for a stanza to ``recipient`` (None: the own
        account, when not known), or None when there is nothing to send.  In privacy mode
        only the recipient's own cookies go (those set by its JID or its bare JID).  The
        element holds, in the jar's order, the cookies that fit in
        :attr:`CookieLimits.max_stanza_size` bytes."""
        return self._fitting(recipient,
                             self._limits.max_stanza_size - len(serialize(Cookies())))

    def decorate(self, stanza: S) -> S:
        """``stanza`` with the jar's cookies attached, replacing any ``<cookies/>`` it had
        (and without one when there is nothing to send).  A message or presence gets the
        element as its last payload; for an iq, see ``docs/cookies.md``.  The
        result is at most :attr:`CookieLimits.max_stanza_size` bytes long: the cookies
        that would not fit are left out (all of them when the stanza alone is too
        long)."""
        if not isinstance(stanza, Message | Presence | Iq):
            raise ArgumentTypeError(f"the cookie jar decorates stanzas, not "
                                    f"{type(stanza).__name__}")
        recipient = stanza.to if stanza.to is not None else self.account
        try:
            stripped = _placed(stanza, ())
            if stripped is None:
                return stanza
            cookies = self._within(recipient, stripped)
            decorated = stripped if cookies is None else _placed(stripped, (cookies,))
        except ValueError:  # an iq payload's own rules refuse foreign elements there
            return stanza
        return stanza if decorated is None else decorated

    def _chosen(self, recipient: JID | None) -> Iterator[StoredCookie]:
        """The cookies that go to ``recipient``, in the jar's order."""
        if self.privacy:
            if recipient is None:
                return
            wanted = {recipient, recipient.bare}
            buckets = [bucket for setter, bucket in self._jar.items() if setter in wanted]
        else:
            buckets = list(self._jar.values())
        for bucket in buckets:
            for cookie in bucket.values():
                if not cookie.inert_script:
                    yield cookie

    def _within(self, recipient: JID | None, stripped: S) -> Cookies | None:
        """The cookies that fit in ``stripped``, the stanza to decorate without them."""
        if next(self._chosen(recipient), None) is None:
            return None  # nothing to send: no need to measure the stanza
        # Measured with an empty <cookies/> in place, so that the element holding it is
        # written with its end tag, as it will be.
        measured = _placed(stripped, (Cookies(),))
        if measured is None:
            return None
        return self._fitting(recipient, self._limits.max_stanza_size - len(serialize(measured)))

    def _fitting(self, recipient: JID | None, room: int) -> Cookies | None:
        """``<cookies/>`` with the cookies for ``recipient`` that fit in ``room`` bytes
        beyond an empty ``<cookies/>``, in order, skipping those too large for what is
        left."""
        room -= _filling_cost()
        sent: list[Cookie] = []
        for cookie in self._chosen(recipient):
            if cookie.wire_size <= room:
                sent.append(cookie.outgoing())
                room -= cookie.wire_size
        return Cookies(cookies=tuple(sent)) if sent else None

    # -- saving and restoring -----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The jar as a JSON-safe dict (strings, numbers, booleans, None, lists, dicts)."""
        return _SNAPSHOT.seal(to_json(_Saved(
            limits=self._limits, bare_setters=self._bare_setters, privacy=self.privacy,
            keep_inert_scripts=self.keep_inert_scripts, account=self.account,
            policy=self.policy, cookies=self.cookies)))

    @classmethod
    def restore(cls, data: Mapping[str, Any], *,
                accept: Callable[[JID], bool] | None = None) -> CookieJar:
        """A jar equal to the one ``data`` was taken from (``accept`` is the callable
        test, which a snapshot cannot hold).  Raises
        :class:`~xepcodec.errors.ArgumentValueError` for anything that is not such a
        snapshot, including cookies the snapshot's own limits would refuse."""
        with _SNAPSHOT.reading():
            version, state = _SNAPSHOT.open(data)
            if version == 1:
                state = _from_version_1(state)
            # A snapshot writes every limit: one missing is damage, not a default.
            missing = [each.name for each in dataclasses.fields(CookieLimits)
                       if each.name not in state["limits"]]
            if missing:
                raise ValueError(f"CookieLimits needs its field {missing[0]!r}")
            saved: _Saved = from_json(_Saved, state)
            jar = cls(limits=saved.limits, policy=saved.policy, accept=accept,
                      privacy=saved.privacy, keep_inert_scripts=saved.keep_inert_scripts,
                      account=saved.account, bare_setters=saved.bare_setters)
            for cookie in saved.cookies:
                if jar._key(cookie.setter) != cookie.setter:
                    raise ValueError(f"the setter {cookie.setter} is not a bare JID, as the "
                                     "jar keeps them")
                if jar.get(cookie.setter, cookie.name) is not None:
                    raise ValueError(f"the cookie {cookie.name!r} of {cookie.setter} appears "
                                     "twice")
                jar._put(cookie.setter, cookie.name, cookie.value,
                         inert_script=cookie.inert_script)
            return jar

    # -- the machinery ------------------------------------------------------------------

    def _key(self, setter: JID) -> JID:
        return setter.bare if self._bare_setters else setter

    def _admits(self, setter: JID) -> bool:
        if not self.policy.admits(setter):
            return False
        return self.accept is None or bool(self.accept(setter))

    def _put(self, setter: JID, name: str, value: str, *, inert_script: bool) -> CookieStored:
        limits = self._limits
        value_size = len(value.encode("utf-8"))
        if value_size > limits.max_value_size:
            raise CookieLimitError(
                f"the cookie {name!r} from {setter} is {value_size} bytes long; the jar "
                f"takes values of at most {limits.max_value_size} bytes",
                setter=setter, name=name, reason=RefusalReason.VALUE_SIZE)
        bucket = self._jar.get(setter)
        previous = None if bucket is None else bucket.get(name)
        count = 0 if bucket is None else len(bucket)
        if previous is None and count >= limits.max_per_setter:
            raise CookieLimitError(
                f"{setter} already has {count} cookies, the most the jar keeps per setter "
                f"({limits.max_per_setter}); {name!r} was not stored", setter=setter,
                name=name, reason=RefusalReason.PER_SETTER)
        if previous is None and self._count >= limits.max_cookies:
            raise CookieLimitError(
                f"the jar already holds {self._count} cookies, the most it keeps "
                f"({limits.max_cookies}); {name!r} from {setter} was not stored",
                setter=setter, name=name, reason=RefusalReason.COOKIE_COUNT)
        size = self._size - (0 if previous is None else previous.size) + _cost(setter, name,
                                                                              value)
        if size > limits.max_total_size:
            raise CookieLimitError(
                f"storing the cookie {name!r} from {setter} would bring the jar to {size} "
                f"bytes, past its limit of {limits.max_total_size}", setter=setter,
                name=name, reason=RefusalReason.JAR_SIZE)
        if bucket is None:
            bucket = self._jar[setter] = {}
        elif bucket:
            # One JID object per setter, however many cookies it set.
            setter = next(iter(bucket.values())).setter
        bucket[name] = StoredCookie(setter, name, value, inert_script)
        self._size = size
        if previous is None:
            self._count += 1
        return CookieStored(setter, name, value, None if previous is None else previous.value,
                            inert_script)


def _is_cookies(item: Any) -> bool:
    return isinstance(item, Cookies) or (isinstance(item, XmlFragment)
                                         and item.tag == _COOKIES_TAG)


def _without_cookies(items: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(item for item in items if not _is_cookies(item))


def _placed(stanza: S, added: tuple[Any, ...]) -> S | None:
    """``stanza`` with ``added`` in place of the ``<cookies/>`` it carries: a message or
    presence's last payload, an iq's payload or a place inside it (None when the iq
    has no such place)."""
    if not isinstance(stanza, Iq):
        return dataclasses.replace(stanza, extensions=(*_without_cookies(stanza.extensions),
                                                       *added))
    payload = stanza.payload
    if payload is None or _is_cookies(payload):
        return dataclasses.replace(stanza, extensions=added)
    # An iq carries one payload (RFC 6120 §8.2.3): the cookies go inside it, or nowhere.
    inner = _placed_inside(payload, added)
    return None if inner is None else dataclasses.replace(stanza, extensions=(inner,))


def _placed_inside(payload: Any, added: tuple[Any, ...]) -> Any:
    """A typed iq payload with ``added`` in its open slot, or None without one."""
    slot = _open_slot(payload)
    if slot is None:
        return None
    return dataclasses.replace(
        payload, **{slot: (*_without_cookies(getattr(payload, slot)), *added)})


def _open_slot(payload: Any) -> str | None:
    """The name of a typed payload's open slot (its ``extensions()`` field), if any."""
    if not is_element(payload):
        return None
    for each in dataclasses.fields(payload):
        if isinstance(each.metadata.get(SPEC), ExtensionsSpec):
            return each.name
    return None


def _from_version_1(state: dict[str, Any]) -> dict[str, Any]:
    """A version 1 state in the layout of version 2: the limits version 2 added take
    their defaults."""
    defaults = CookieLimits()
    added = {"max_cookies": defaults.max_cookies, "max_stanza_size": defaults.max_stanza_size}
    return {**state, "limits": {**added, **state["limits"]}}
