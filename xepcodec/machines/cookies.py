"""The cookie jar of XEP-0464 (Cookies), as a sans-IO machine.

The jar is the settee's side of the protocol.  Feed it every stanza that arrives
(:meth:`CookieJar.handle`); it finds each ``<set-cookies/>`` at any depth, stores the
cookies by setter and name (a new value replacing the old), and says what it did as a
list of events.  Pass every stanza you send through :meth:`CookieJar.decorate`, which
attaches the ``<cookies/>`` element, each cookie naming its setter.

What the jar does where the XEP is unsafe or silent:

* **Scripts are never run.**  A cookie marked ``js='true'`` (or ``js='1'``) asks for
  its text to be executed as JavaScript, as root, outside any sandbox, and for the
  output to become the value.  The jar reports a :class:`ScriptRefused` event and
  stores nothing for it, whatever the options say; the one thing a caller may ask,
  with ``keep_inert_scripts=True``, is that the script's text be kept as an inert
  string, flagged :attr:`StoredCookie.inert_script`, for inspection.  Such a cookie is
  never sent back.  No code path in xepcodec starts a process, evaluates code or
  imports a JavaScript engine (a test reads the sources to make sure).
* **Bounded.**  :class:`CookieLimits` caps the cookies per setter, the number of
  cookies, the size of a value and the size of the whole jar.  The jar's size counts
  every byte a cookie costs: the UTF-8 bytes of its name, value and setter JID, and
  :data:`COOKIE_OVERHEAD` for the entry itself, so that what the limit allows is what
  the jar holds in memory, within a small factor.  A cookie past a limit is refused
  with a :class:`CookieLimitError` (condition ``resource-constraint``), reported as a
  :class:`CookieRefused` event by ``handle`` and raised by :meth:`CookieJar.store`.
  Replacing a value is not a new cookie, but the new value counts toward the sizes.
* **Stanzas stay readable.**  :meth:`CookieJar.decorate` never makes a stanza larger
  than :attr:`CookieLimits.max_stanza_size` (by default the size the stream reader
  accepts): it attaches, in the jar's order, the cookies that fit and leaves out
  those that do not.  The limits cannot allow more cookies than an element may have
  children, nor a value longer than a text may be, under the reader's default
  limits.
* **Who may set cookies.**  :class:`AcceptPolicy` holds allow and deny lists of JIDs
  (an entry matches the sender's full JID, its bare JID or its domain; deny wins); a
  callable ``accept``, given the sender's full JID, may refuse more.  A refused
  sender's cookies are reported as :class:`CookieRefused` with a
  :class:`CookiePolicyError` (condition ``forbidden``).  What is not a message,
  presence or iq is :class:`Ignored`, as the other machines do.
* **Whose cookie is it.**  The setter is the stanza's ``from``, reduced to its bare JID
  (as the XEP's own example records it; ``bare_setters=False`` keeps full JIDs).  A
  stanza without ``from`` comes from the receiver's own account (RFC 6120 §8.1.2.1): it
  is credited to ``account`` when the jar was told it, and otherwise ignored with a
  :class:`SetCookiesIgnored` event (``no-sender``), since nobody could be named as
  setter.  Error stanzas are ignored too (``error-stanza``): they may echo cookies
  this entity sent, which the bouncing entity did not set.  A ``<set-cookies/>`` nested
  in raw XML that breaks the rules is ignored (``malformed``), the others still apply.
* **Privacy mode** (``privacy=True``, off by default as the XEP wants every cookie
  everywhere): each outgoing stanza carries only the cookies its recipient set (the
  recipient is ``to``, or ``account`` when there is no ``to``).
* **An iq keeps to RFC 6120.**  An iq get or set carries exactly one payload and a
  result at most one, so :meth:`CookieJar.decorate` never adds a second: an iq without
  payload gets ``<cookies/>`` as its payload; one whose payload is a typed element
  with an open slot gets it inside that payload (where the XEP's own iq example puts
  its ``<set-cookies/>``); any other iq is returned unchanged, since xepcodec does not
  write into XML it does not understand.

The jar's state is exported by :meth:`CookieJar.snapshot` as a JSON-safe dict and
brought back by :meth:`CookieJar.restore`, unchanged: cookies in their order, limits,
options and the allow and deny lists.  Only the ``accept`` callable cannot be saved;
pass it to ``restore`` again.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from xepcodec.api import serialize
from xepcodec.core.jid import JID
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.errors import ArgumentValueError, ParseError, XepCodecError
from xepcodec.model import XmlFragment
from xepcodec.model.fields import SPEC, ExtensionsSpec
from xepcodec.model.values import String
from xepcodec.protocols.cookies import NS_COOKIES, Cookie, Cookies, is_cookie_name, iter_set_cookies
from xepcodec.xml import DEFAULT_LIMITS

__all__ = [
    "COOKIE_OVERHEAD",
    "AcceptPolicy",
    "CookieError",
    "CookieJar",
    "CookieLimitError",
    "CookieLimits",
    "CookiePolicyError",
    "CookieRefused",
    "CookieStored",
    "Event",
    "IgnoreReason",
    "Ignored",
    "RefusalReason",
    "ScriptRefused",
    "SetCookiesIgnored",
    "StoredCookie",
]

S = TypeVar("S", Message, Presence, Iq)

_COOKIES_TAG: Final = f"{{{NS_COOKIES}}}cookies"
_TEXT: Final = String()
_SNAPSHOT_FORMAT: Final = "xepcodec.cookie-jar"
#: Version 2 added the limits ``max_cookies`` and ``max_stanza_size``; a version 1
#: snapshot is read with their defaults.
_SNAPSHOT_VERSION: Final = 2
_LIMIT_KEYS: Final = ("max_per_setter", "max_value_size", "max_total_size", "max_cookies",
                      "max_stanza_size")
_ADDED_IN_2: Final = frozenset({"max_cookies", "max_stanza_size"})

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
        raise ValueError(f"{what} must be a non-negative integer, not {value!r}")
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
        for name in _LIMIT_KEYS:
            _check_count(name, getattr(self, name))
        # Beyond these, a stanza carrying the cookies would be refused by the reader.
        if self.max_cookies > DEFAULT_LIMITS.max_children:
            raise ValueError(f"max_cookies cannot exceed {DEFAULT_LIMITS.max_children}, the "
                             "children an element may have")
        if self.max_value_size > DEFAULT_LIMITS.max_text_length:
            raise ValueError(f"max_value_size cannot exceed {DEFAULT_LIMITS.max_text_length}, "
                             "the characters a text may have")


def _jid_set(entries: Iterable[JID | str], what: str) -> frozenset[JID]:
    if isinstance(entries, str | JID):
        raise TypeError(f"{what} is a collection of JIDs, not a single one")
    return frozenset(entry if isinstance(entry, JID) else JID.parse(entry) for entry in entries)


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


# -- the stored cookies and the events ---------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class CookieStored:
    """A cookie was stored; ``previous`` is the value it replaced, or None if new."""

    setter: JID
    name: str
    value: str
    previous: str | None = None
    inert_script: bool = False


@dataclass(frozen=True, slots=True)
class ScriptRefused:
    """A cookie asked to be run as JavaScript; it was not, and nothing of it was stored
    (unless ``keep_inert_scripts`` is on, in which case a :class:`CookieStored` with
    ``inert_script`` follows, or a :class:`CookieRefused` if it did not fit)."""

    setter: JID
    name: str


@dataclass(frozen=True, slots=True)
class CookieRefused:
    """A cookie was not stored, for ``reason``; ``error`` is the exception a caller may
    raise or turn into a stanza error (its ``condition``)."""

    setter: JID
    name: str
    reason: RefusalReason
    error: CookieError = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class SetCookiesIgnored:
    """A whole ``<set-cookies/>`` was ignored, for ``reason``; ``setter`` is who would
    have set it (None without a sender), ``error`` the problem of a malformed one."""

    reason: IgnoreReason
    setter: JID | None = None
    error: ParseError | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Ignored:
    """Something given to :meth:`CookieJar.handle` that is not a stanza, and why."""

    stanza: object
    reason: str


Event = CookieStored | ScriptRefused | CookieRefused | SetCookiesIgnored | Ignored


# -- the jar -----------------------------------------------------------------------------


class CookieJar:
    """The settee's cookies, by setter and name.  See the module documentation for what
    it does where XEP-0464 is unsafe; every option is given to the constructor, and all
    but the ``accept`` callable are saved by :meth:`snapshot`.

    ``limits`` and ``bare_setters`` are fixed for the jar's life (changing them could
    leave it holding what it may not hold); ``policy``, ``accept``, ``privacy``,
    ``keep_inert_scripts`` and ``account`` may be changed at any time and take effect
    from the next call.  Changing the policy does not remove cookies already stored:
    call :meth:`forget` for that.
    """

    __slots__ = ("_bare_setters", "_count", "_jar", "_limits", "_size", "accept", "account",
                 "keep_inert_scripts", "policy", "privacy")

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

    def handle(self, stanza: object) -> list[Event]:
        """Take in a received stanza: store the cookies of every ``<set-cookies/>`` in it,
        at any depth, and say what happened, in document order.  Anything else is
        :class:`Ignored`."""
        if not isinstance(stanza, Message | Presence | Iq):
            return [Ignored(stanza, "not a message, presence or iq stanza")]
        found = list(iter_set_cookies(stanza))
        if not found:
            return []
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
        ValueError for a name that is not an NCName or a value XML cannot carry."""
        if not isinstance(setter, JID):
            raise TypeError(f"a setter is a JID, not {type(setter).__name__}")
        if not is_cookie_name(name):
            raise ValueError(f"{name!r} cannot name a cookie: it must be an XML NCName")
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
        element as its last payload; for an iq, see the module documentation.  The
        result is at most :attr:`CookieLimits.max_stanza_size` bytes long: the cookies
        that would not fit are left out (all of them when the stanza alone is too
        long)."""
        if not isinstance(stanza, Message | Presence | Iq):
            raise TypeError(f"the cookie jar decorates stanzas, not {type(stanza).__name__}")
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
        allow = self.policy.allow
        return {
            "format": _SNAPSHOT_FORMAT,
            "version": _SNAPSHOT_VERSION,
            "limits": {name: getattr(self._limits, name) for name in _LIMIT_KEYS},
            "bare_setters": self._bare_setters,
            "privacy": self.privacy,
            "keep_inert_scripts": self.keep_inert_scripts,
            "account": None if self.account is None else str(self.account),
            "policy": {
                "allow": None if allow is None else sorted(str(jid) for jid in allow),
                "deny": sorted(str(jid) for jid in self.policy.deny),
            },
            "cookies": [
                {"setter": str(cookie.setter), "name": cookie.name, "value": cookie.value,
                 "inert_script": cookie.inert_script}
                for cookie in self.cookies
            ],
        }

    @classmethod
    def restore(cls, data: Mapping[str, Any], *,
                accept: Callable[[JID], bool] | None = None) -> CookieJar:
        """A jar equal to the one ``data`` was taken from (``accept`` is the callable
        test, which a snapshot cannot hold).  Raises ValueError for anything that is not
        such a snapshot, including cookies the snapshot's own limits would refuse."""
        try:
            return cls._restore(data, accept)
        except (AttributeError, KeyError, TypeError, ValueError, XepCodecError) as error:
            raise ArgumentValueError(f"not a cookie jar snapshot: {error}") from error

    @classmethod
    def _restore(cls, data: Mapping[str, Any],
                 accept: Callable[[JID], bool] | None) -> CookieJar:
        data = _exact_keys(data, {"format", "version", "limits", "bare_setters", "privacy",
                                  "keep_inert_scripts", "account", "policy", "cookies"})
        version = data["version"]
        if data["format"] != _SNAPSHOT_FORMAT or version not in (1, _SNAPSHOT_VERSION):
            raise ValueError(f"not a cookie jar snapshot of version {_SNAPSHOT_VERSION}")
        limit_keys = set(_LIMIT_KEYS) - (_ADDED_IN_2 if version == 1 else set())
        limits = CookieLimits(**_exact_keys(data["limits"], limit_keys))
        policy = _exact_keys(data["policy"], {"allow", "deny"})
        account = data["account"]
        jar = cls(
            limits=limits,
            policy=AcceptPolicy(allow=None if policy["allow"] is None
                                else _jid_list(policy["allow"]),
                                deny=_jid_list(policy["deny"])),
            accept=accept,
            privacy=_bool(data["privacy"]),
            keep_inert_scripts=_bool(data["keep_inert_scripts"]),
            account=None if account is None else _jid(account),
            bare_setters=_bool(data["bare_setters"]),
        )
        if not isinstance(data["cookies"], list):
            raise ValueError("expected a list of cookies")
        for entry in data["cookies"]:
            cookie = _exact_keys(entry, {"setter", "name", "value", "inert_script"})
            setter = _jid(cookie["setter"])
            name, value = cookie["name"], cookie["value"]
            if jar._key(setter) != setter:
                raise ValueError(f"the setter {setter} is not a bare JID, as the jar keeps them")
            if not is_cookie_name(name):
                raise ValueError(f"{name!r} cannot name a cookie")
            _TEXT.format(value)
            if jar.get(setter, name) is not None:
                raise ValueError(f"the cookie {name!r} of {setter} appears twice")
            jar._put(setter, name, value, inert_script=_bool(cookie["inert_script"]))
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
    if not hasattr(type(payload), "__xml_codec__"):
        return None
    for each in dataclasses.fields(payload):
        if isinstance(each.metadata.get(SPEC), ExtensionsSpec):
            return each.name
    return None


# -- snapshot reading helpers -------------------------------------------------------------


def _exact_keys(value: Any, keys: set[str]) -> dict[str, Any]:
    if not isinstance(value, Mapping) or set(value) != keys:
        raise ValueError(f"expected an object with exactly the keys {sorted(keys)}, "
                         f"got {value!r}")
    return dict(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected a boolean, got {value!r}")
    return value


def _jid(value: Any) -> JID:
    if not isinstance(value, str):
        raise ValueError(f"expected a JID as a string, got {value!r}")
    return JID.parse(value)


def _jid_list(value: Any) -> list[JID]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of JIDs, got {value!r}")
    return [_jid(item) for item in value]
