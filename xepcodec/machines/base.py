"""What every machine shares: the common events, the id source, transition tables, the
snapshot envelope, JSON for state and events, JID coercion, and commit/undo.

The convention these serve is written down in ``docs/machines.md``.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final, Generic, Protocol, TypeVar, runtime_checkable

from xepcodec.api import parse, serialize
from xepcodec.datatypes.dates import format_datetime, parse_datetime
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ProtocolError, XepCodecError
from xepcodec.model import is_element, is_element_class

__all__ = [
    "Changes",
    "Event",
    "IdCounter",
    "IdSource",
    "Ignored",
    "Machine",
    "Send",
    "SnapshotFormat",
    "Transitions",
    "as_jid",
    "from_json",
    "register_json",
    "to_json",
]

S = TypeVar("S")
I = TypeVar("I")  # noqa: E741 - the input of a transition, as in the tables' literature
R = TypeVar("R")
T = TypeVar("T")


# -- events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """The base of every event a machine returns.  Each machine has its own subclass
    for its own events; :class:`Send` and :class:`Ignored` are shared by all."""


@dataclass(frozen=True, slots=True)
class Send(Event):
    """A stanza for the caller to send, in the order the events list them."""

    stanza: Any


@dataclass(frozen=True, slots=True)
class Ignored(Event):
    """A stanza the machine did nothing with, and why (not for it, redundant, an answer
    to nothing).  Never an error: what is refused is answered with a :class:`Send`."""

    stanza: object
    reason: str


@runtime_checkable
class Machine(Protocol):
    """What a :class:`~xepcodec.machines.router.Router` needs of a machine.

    ``payloads`` are the classes of iq payloads the machine answers;
    :meth:`accepts` is the final word on one stanza; :meth:`receive` takes it (``now``
    for the machines that keep time, ignored by the others); :meth:`disco_features`
    is what the machine adds to the disco#info answer of the address it serves."""

    payloads: ClassVar[tuple[type, ...]]

    def accepts(self, stanza: object) -> bool: ...

    def receive(self, stanza: object, *, now: datetime | None = None) -> list[Any]: ...

    def disco_features(self) -> tuple[str, ...]: ...


# -- ids ------------------------------------------------------------------------------------


@dataclass(slots=True)
class IdCounter:
    """Ids ``<prefix>-1``, ``<prefix>-2``…  A machine saves :attr:`next` with its
    snapshot, so that ids never repeat after a restore.  Callers that need ids unique
    across machines or processes hand their own source in instead."""

    prefix: str
    next: int = 1

    def __call__(self) -> str:
        value = self.next
        self.next += 1
        return f"{self.prefix}-{value}"


class IdSource:
    """The ids a machine hands out: the caller's ``ids`` callable when given, else an
    :class:`IdCounter` whose position the machine saves with its snapshot
    (:attr:`saved`) and sets back on restore (:meth:`resume`)."""

    __slots__ = ("_counter", "_ids")

    def __init__(self, ids: Callable[[], str] | None, prefix: str) -> None:
        self._counter: IdCounter | None = None
        if ids is None:
            ids = self._counter = IdCounter(prefix)
        self._ids = ids

    def __call__(self) -> str:
        return self._ids()

    @property
    def saved(self) -> int | None:
        """The counter's next value, or None when the ids are the caller's."""
        return None if self._counter is None else self._counter.next

    def resume(self, saved: int | None) -> None:
        """Continue the counter from ``saved`` (nothing when the ids are the caller's,
        or nothing was saved)."""
        if self._counter is not None and saved is not None:
            self._counter.next = saved


# -- transitions ----------------------------------------------------------------------------


class Transitions(Generic[S, I, R]):
    """A transition table: ``(state, input) -> outcome``, where the outcome is the next
    state or an ``(action, next state)`` pair.  A pair that is not in the table is a
    :class:`ProtocolError` naming the machine, the state and the input: there is no
    implicit transition."""

    __slots__ = ("_name", "_rows")

    def __init__(self, name: str, rows: Mapping[tuple[S, I], R]) -> None:
        self._name = name
        self._rows: Mapping[tuple[S, I], R] = types.MappingProxyType(dict(rows))

    @property
    def name(self) -> str:
        return self._name

    @property
    def rows(self) -> Mapping[tuple[S, I], R]:
        return self._rows

    def __call__(self, state: S, event: I) -> R:
        try:
            return self._rows[state, event]
        except (KeyError, TypeError):  # TypeError: an unhashable input is in no row
            raise ProtocolError(
                f"{self._name}: {_label(event)} is not allowed in state {_label(state)} "
                f"(allowed there: {', '.join(_label(e) for e in self.allowed(state)) or 'nothing'})"
            ) from None

    def allowed(self, state: S) -> tuple[I, ...]:
        """The inputs the table takes in ``state``, in table order."""
        return tuple(event for (at, event) in self._rows if at == state)

    def states(self) -> frozenset[S]:
        return frozenset(state for state, _ in self._rows)

    def __repr__(self) -> str:
        return f"<Transitions {self._name}: {len(self._rows)} rows>"


def _label(value: object) -> str:
    if isinstance(value, enum.Enum):
        return repr(value.value) if isinstance(value.value, str) else value.name
    if isinstance(value, type):
        return value.__name__
    return repr(value)


# -- commit and undo ------------------------------------------------------------------------


class Changes:
    """The side effects of one step that must all happen or none.

    A step registers what to do once it has succeeded (:meth:`on_commit`) and how to
    take back what it already did in memory (:meth:`on_undo`).  Run the step inside
    :meth:`atomic`: on an exception the undo actions run, newest first (all of them,
    even when one fails), and the exception goes on; otherwise the commit actions run,
    in order."""

    __slots__ = ("_committed", "_undone")

    def __init__(self) -> None:
        self._committed: list[Callable[[], None]] = []
        self._undone: list[Callable[[], None]] = []

    def on_commit(self, action: Callable[[], None]) -> None:
        self._committed.append(action)

    def on_undo(self, action: Callable[[], None]) -> None:
        self._undone.append(action)

    def commit(self) -> None:
        actions, self._committed, self._undone = self._committed, [], []
        for action in actions:
            action()

    def undo(self) -> None:
        actions, self._committed, self._undone = self._undone, [], []
        # Every undo action runs, even when one of them fails: the first failure is
        # raised once the others have run.
        failure: BaseException | None = None
        for action in reversed(actions):
            try:
                action()
            except BaseException as error:
                failure = failure or error
        if failure is not None:
            raise failure

    @contextmanager
    def atomic(self) -> Iterator[Changes]:
        try:
            yield self
        except BaseException:
            self.undo()
            raise
        self.commit()


# -- JIDs -----------------------------------------------------------------------------------


def as_jid(value: JID | str, what: str = "JID") -> JID:
    """``value`` as a :class:`JID`: a JID as it is, a string parsed (a malformed one
    raises :class:`~xepcodec.errors.JIDError`), anything else an
    :class:`~xepcodec.errors.ArgumentTypeError` naming ``what``."""
    if isinstance(value, JID):
        return value
    if isinstance(value, str):
        return JID.parse(value)
    raise ArgumentTypeError(f"{what} must be a JID or a string, not {type(value).__name__}")


# -- snapshots ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SnapshotFormat:
    """The envelope every snapshot travels in: ``{"format": name, "version": n, ...}``.

    :meth:`seal` wraps a machine's state; :meth:`open` checks the envelope and gives the
    version and the state back; :meth:`reading` turns whatever a damaged snapshot
    raises into one :class:`~xepcodec.errors.ArgumentValueError` saying what is wrong.
    ``readable`` lists the older versions :meth:`open` still accepts."""

    name: str
    version: int
    readable: frozenset[int] = frozenset()

    def seal(self, state: Mapping[str, Any]) -> dict[str, Any]:
        if "format" in state or "version" in state:
            raise ProtocolError("a machine's state may not use the keys 'format' and 'version'")
        return {"format": self.name, "version": self.version, **state}

    def open(self, data: object) -> tuple[int, dict[str, Any]]:
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        version = data.get("version")
        if data.get("format") != self.name or not isinstance(version, int) \
                or isinstance(version, bool) or version not in (self.version, *self.readable):
            known = ", ".join(str(v) for v in sorted({self.version, *self.readable}))
            raise ValueError(f"expected format {self.name!r} version {known}, found "
                             f"{data.get('format')!r} version {version!r}")
        state = {key: value for key, value in data.items() if key not in ("format", "version")}
        return version, state

    @contextmanager
    def reading(self) -> Iterator[None]:
        try:
            yield
        except ArgumentValueError:
            raise
        except (AttributeError, LookupError, OverflowError, TypeError, ValueError,
                XepCodecError) as error:
            detail = f"missing {error}" if isinstance(error, KeyError) else \
                getattr(error, "message", None) or str(error)
            raise ArgumentValueError(f"not a usable {self.name} snapshot: {detail}") from None


# -- JSON of state and events ---------------------------------------------------------------
#
# Generated from the dataclasses' annotations, so that no class writes its own.  What
# maps to what:
#   None, bool, int, float, str      as they are
#   enum members                     their value
#   JID                              its string
#   datetime                         XEP-0082 text, always with its offset
#   bytes                            base64
#   typed XML elements               their serialized XML, as text
#   tuple, list, frozenset, set      lists (sets sorted, so that equal states give equal JSON)
#   dict, Mapping                    objects when the keys are strings (or JIDs, enums
#                                    of strings); otherwise lists of [key, value] pairs
#   dataclasses                      objects of their fields (init fields only)
#   a union of several dataclasses   {"type": class name, ...fields} (so a member may
#                                    not have a field named "type"; an XML element in a
#                                    union is its XML, which names it)
# Anything else needs a codec registered with :func:`register_json`.

_CODECS: Final[dict[type, tuple[Callable[[Any], Any], Callable[[Any], Any]]]] = {}


def register_json(kind: type[Any], encode: Callable[[Any], Any],
                  decode: Callable[[Any], Any]) -> None:
    """Teach :func:`to_json` and :func:`from_json` a type they cannot derive (a key
    object, say).  ``decode`` raises ValueError on what it cannot read."""
    _CODECS[kind] = (encode, decode)


def to_json(value: Any, kind: Any = None) -> Any:
    """``value`` as JSON-safe data, by its type (``kind``, the annotation, when known)."""
    if kind is not None:
        origin = typing.get_origin(kind)
        if origin in (typing.Union, types.UnionType):
            members = [m for m in typing.get_args(kind) if m is not type(None)]
            if value is None:
                return None
            if len(members) > 1 and _tagged(type(value)):
                fields = to_json(value)
                if "type" in fields:
                    raise TypeError(f"{type(value).__name__} has a field named 'type', which "
                                    "would hide the tag naming its class in a union")
                return {"type": type(value).__name__, **fields}
            return to_json(value, members[0] if len(members) == 1 else None)
    if value is None or (isinstance(value, (bool, int, float, str)) \
            and not isinstance(value, enum.Enum)):
        return value
    for codec_type, (encode, _) in _CODECS.items():
        if isinstance(value, codec_type):
            return encode(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, JID):
        return str(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if is_element(value):
        return serialize(value).decode("utf-8")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        hints = _hints(type(value))
        return {f.name: to_json(getattr(value, f.name), hints.get(f.name))
                for f in dataclasses.fields(value) if f.init}
    args = typing.get_args(kind) if kind is not None else ()
    if isinstance(value, Mapping):
        key_kind, value_kind = args if len(args) == 2 else (None, None)
        if all(_string_key(k) for k in value):
            return {str(to_json(k, key_kind)): to_json(v, value_kind) for k, v in value.items()}
        return [[to_json(k, key_kind), to_json(v, value_kind)] for k, v in value.items()]
    if isinstance(value, (frozenset, set)):
        item_kind = args[0] if args else None
        return sorted((to_json(item, item_kind) for item in value), key=repr)
    if isinstance(value, (tuple, list)):
        if kind is not None and typing.get_origin(kind) is tuple and args \
                and args[-1] is not Ellipsis:
            return [to_json(item, k) for item, k in zip(value, args, strict=True)]
        item_kind = args[0] if args else None
        return [to_json(item, item_kind) for item in value]
    raise TypeError(f"no JSON form for {type(value).__name__}; register one with register_json")


def _tagged(kind: object) -> bool:
    """Whether values of ``kind`` are told apart in a union by a ``"type"`` tag: the
    dataclasses written as objects of their fields (a typed XML element is written as
    its XML, which names it)."""
    return isinstance(kind, type) and dataclasses.is_dataclass(kind) \
        and not is_element_class(kind)


def _string_key(key: object) -> bool:
    """Whether ``key`` is written as a string, so that a dict of such keys can be a JSON
    object and read back (an enum of numbers is written as a number)."""
    if isinstance(key, enum.Enum):
        return isinstance(key.value, str)
    return isinstance(key, (str, JID))


def from_json(kind: Any, data: Any) -> Any:
    """The value of type ``kind`` that :func:`to_json` turned into ``data``.  Anything
    that does not fit raises ValueError or TypeError saying where."""
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if kind is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        members = [m for m in args if m is not type(None)]
        if data is None:
            if len(members) < len(args):
                return None
            raise ValueError("expected a value, got null")
        if len(members) == 1:
            return from_json(members[0], data)
        classes = {m.__name__: m for m in members if _tagged(m)}
        if classes and isinstance(data, Mapping) and data.get("type") in classes:
            fields = {k: v for k, v in data.items() if k != "type"}
            return from_json(classes[data["type"]], fields)
        for member in members:
            if not _tagged(member):
                try:
                    return from_json(member, data)
                except (TypeError, ValueError):
                    continue
        raise ValueError(f"{data!r} is none of {', '.join(_label(m) for m in members)}")
    if kind is type(None):
        if data is not None:
            raise ValueError(f"expected null, got {data!r}")
        return None
    if isinstance(kind, type):
        for codec_type, (_, decode) in _CODECS.items():
            if issubclass(kind, codec_type):
                return decode(data)
        if issubclass(kind, enum.Enum):
            if isinstance(data, bool) and not any(isinstance(m.value, bool) for m in kind):
                raise ValueError(f"expected a {kind.__name__}, got {data!r}")
            return kind(data)
        if kind is bool:
            return _exact(data, bool)
        if kind is int:
            if isinstance(data, bool):
                raise ValueError(f"expected a number, got {data!r}")
            return _exact(data, int)
        if kind is float:
            if isinstance(data, bool):
                raise ValueError(f"expected a number, got {data!r}")
            return float(_exact(data, (int, float)))
        if kind is str:
            return _exact(data, str)
        if kind is JID:
            return _read(JID.parse, data)
        if kind is datetime:
            return _read(parse_datetime, data)
        if kind is bytes:
            return base64.b64decode(_exact(data, str), validate=True)
        if is_element_class(kind):
            value = _read(parse, data)
            if not isinstance(value, kind):
                raise ValueError(f"expected a {kind.__name__}, got a {type(value).__name__}")
            return value
        if dataclasses.is_dataclass(kind):
            return _dataclass_from_json(typing.cast(type, kind), data)
    if origin in (tuple, list, frozenset, set) or kind in (tuple, list, frozenset, set):
        items = _exact(data, list)
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(items) != len(args):
                raise ValueError(f"expected {len(args)} items, got {len(items)}")
            return tuple(from_json(k, item) for k, item in zip(args, items, strict=True))
        item_kind = args[0] if args else Any
        values = [from_json(item_kind, item) for item in items]
        container = origin or kind
        return container(values) if container is not list else values
    if origin in (dict, Mapping) or origin is typing.get_origin(Mapping[str, Any]) \
            or kind in (dict, Mapping):
        key_kind, value_kind = args if len(args) == 2 else (Any, Any)
        if isinstance(data, Mapping):
            pairs = list(data.items())
        else:
            pairs = [_exact(pair, list) for pair in _exact(data, list)]
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError("expected [key, value] pairs")
        return {from_json(key_kind, k): from_json(value_kind, v) for k, v in pairs}
    raise TypeError(f"no JSON form for {_label(kind)}; register one with register_json")


def _dataclass_from_json(kind: type[T], data: Any) -> T:
    data = _exact(data, Mapping)
    hints = _hints(kind)
    fields = [f for f in dataclasses.fields(kind) if f.init]  # type: ignore[arg-type]
    names = {f.name for f in fields}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{kind.__name__} has no field {sorted(unknown)[0]!r}")
    values: dict[str, Any] = {}
    for each in fields:
        if each.name not in data:
            if each.default is dataclasses.MISSING and \
                    each.default_factory is dataclasses.MISSING:
                raise ValueError(f"{kind.__name__} needs its field {each.name!r}")
            continue
        try:
            values[each.name] = from_json(hints[each.name], data[each.name])
        except (TypeError, ValueError, XepCodecError) as error:
            detail = getattr(error, "message", None) or str(error)
            raise ValueError(f"{kind.__name__}.{each.name}: {detail}") from None
    return kind(**values)


def _read(parse: Callable[[str], T], data: Any) -> T:
    """``data``, a string, read by ``parse``; what it refuses is a ValueError, as
    everything :func:`from_json` refuses is."""
    try:
        return parse(_exact(data, str))
    except XepCodecError as error:
        raise ValueError(getattr(error, "message", None) or str(error)) from None


def _exact(data: Any, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(data, kind):
        names = kind.__name__ if isinstance(kind, type) else \
            " or ".join(k.__name__ for k in kind)
        raise ValueError(f"expected {names}, got {data!r}")
    return data


_HINTS: Final[dict[type, dict[str, Any]]] = {}


def _hints(kind: type) -> dict[str, Any]:
    hints = _HINTS.get(kind)
    if hints is None:
        hints = _HINTS[kind] = typing.get_type_hints(kind)
    return hints
