"""Tests for xepcodec.machines.base, the kit every machine shares: JSON derived from
dataclasses (round trips of generated classes, refusals that name the field), the
snapshot envelope, transition tables, commit and undo, ids and JID coercion."""

from __future__ import annotations

import dataclasses
import enum
import itertools
import json
import typing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, JIDError, ProtocolError
from xepcodec.machines import base
from xepcodec.machines.base import (
    Changes,
    Event,
    IdCounter,
    IdSource,
    Ignored,
    Send,
    SnapshotFormat,
    Transitions,
    as_jid,
    from_json,
    register_json,
    to_json,
)
from xepcodec.protocols.disco import Feature, Identity, InfoQuery
from xepcodec.protocols.ping import Ping


class Colour(enum.StrEnum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


# -- strategies: a type and a strategy for its values -------------------------------------

Kind = tuple[Any, st.SearchStrategy[Any]]

_jids = st.builds(
    JID, st.sampled_from([None, "juliet", "romeo"]), st.sampled_from(["example.org", "x.lit"]),
    st.sampled_from([None, "balcony", "a/b@c"]))
_zones = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
_datetimes = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                          timezones=_zones)
_queries = st.builds(
    InfoQuery, node=st.sampled_from([None, "n"]),
    identities=st.lists(st.builds(Identity, category=st.sampled_from(["client", "server"]),
                                  type=st.just("pc")), max_size=2, unique_by=lambda i: i.category
                        ).map(tuple),
    features=st.lists(st.sampled_from(["urn:a", "urn:b"]).map(lambda v: Feature(var=v)),
                      max_size=2).map(tuple))

#: Types whose values may sit in a frozenset or be a dict's key.
_HASHABLE: list[Kind] = [
    (str, st.text(max_size=4)),
    (int, st.integers()),
    (bool, st.booleans()),
    (Colour, st.sampled_from(Colour)),
    (Level, st.sampled_from(Level)),
    (JID, _jids),
    (datetime, _datetimes),
    (bytes, st.binary(max_size=6)),
]
_LEAVES: list[Kind] = [
    *_HASHABLE,
    (float, st.floats(allow_nan=False, allow_infinity=False)),
    (type(None), st.none()),
    (Ping, st.just(Ping())),
    (InfoQuery, _queries),
    (Ping | InfoQuery, st.just(Ping()) | _queries),
    (int | str, st.integers() | st.text(max_size=3)),
]
_names = (f"Generated{number}" for number in itertools.count())


def _dataclass(kinds: list[Kind]) -> Kind:
    """A new frozen dataclass with one field per kind, and a strategy for its values."""
    fields = [(f"f{number}", kind) for number, (kind, _) in enumerate(kinds)]
    cls = dataclasses.make_dataclass(next(_names), fields, frozen=True)
    return cls, st.builds(cls, *(values for _, values in kinds))


def _extend(inner: st.SearchStrategy[Kind]) -> st.SearchStrategy[Kind]:
    hashable = st.sampled_from(_HASHABLE)
    return st.one_of(
        inner.map(lambda k: (tuple[k[0], ...], st.lists(k[1], max_size=3).map(tuple))),
        inner.map(lambda k: (list[k[0]], st.lists(k[1], max_size=3))),
        st.tuples(inner, inner).map(lambda ks: (tuple[ks[0][0], ks[1][0]],
                                                st.tuples(ks[0][1], ks[1][1]))),
        hashable.map(lambda k: (frozenset[k[0]], st.frozensets(k[1], max_size=3))),
        st.tuples(hashable, inner).map(lambda ks: (dict[ks[0][0], ks[1][0]],
                                                   st.dictionaries(ks[0][1], ks[1][1],
                                                                   max_size=3))),
        inner.map(lambda k: (typing.Optional[k[0]], st.none() | k[1])),  # noqa: UP045
        st.lists(inner, max_size=4).map(_dataclass),
        st.tuples(st.lists(inner, max_size=3), st.lists(inner, max_size=3)).map(_union),
    )


def _union(members: tuple[list[Kind], list[Kind]]) -> Kind:
    (first, first_values), (second, second_values) = map(_dataclass, members)
    return typing.Union[first, second], st.one_of(first_values, second_values)  # noqa: UP007


_kinds = st.recursive(st.sampled_from(_LEAVES), _extend, max_leaves=6)


@st.composite
def _instances(draw: st.DrawFn) -> Any:
    """An instance of a generated dataclass, whatever its fields."""
    _, values = _dataclass(draw(st.lists(_kinds, max_size=4)))
    return draw(values)


@given(_instances())
def test_to_json_and_from_json_reach_a_fixed_point(value: Any) -> None:
    data = json.loads(json.dumps(to_json(value)))
    back = from_json(type(value), data)
    assert back == value
    assert to_json(back) == data


@given(st.lists(_kinds, min_size=1, max_size=3).map(_dataclass).flatmap(
    lambda k: st.tuples(st.just(k[0]), st.lists(k[1], max_size=3))))
def test_a_union_member_in_a_container_keeps_its_class(drawn: tuple[type, list[Any]]) -> None:
    cls, values = drawn
    other = dataclasses.make_dataclass(next(_names), [("x", int)], frozen=True)
    kind = tuple[typing.Union[cls, other], ...]  # noqa: UP007
    data = json.loads(json.dumps(to_json((*values, other(1)), kind)))
    assert from_json(kind, data) == (*values, other(1))


# -- JSON: what the rules say, one by one -----------------------------------------------------


@dataclass(frozen=True)
class Inner:
    number: int
    when: datetime | None = None


@dataclass(frozen=True)
class Other:
    name: str


@dataclass(frozen=True)
class Outer:
    inner: Inner
    either: Inner | Other
    many: tuple[Inner, ...] = ()
    by_level: dict[Level, str] = field(default_factory=dict)
    by_jid: dict[JID, int] = field(default_factory=dict)
    data: bytes = b""
    derived: int = field(default=0, init=False)


WHEN = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=timezone(timedelta(hours=-5)))


def test_the_json_forms_are_the_documented_ones() -> None:
    value = Outer(Inner(1, WHEN), Other("o"), (Inner(2),), {Level.HIGH: "h"},
                  {JID.parse("a@b"): 3}, b"\x00\xff")
    assert to_json(value) == {
        "inner": {"number": 1, "when": "2026-03-04T05:06:07.890-05:00"},
        "either": {"type": "Other", "name": "o"},
        "many": [{"number": 2, "when": None}],
        "by_level": [[2, "h"]],  # numbers are no JSON object keys
        "by_jid": {"a@b": 3},
        "data": "AP8=",
    }
    assert to_json(Ping()) == "<ping xmlns=\"urn:xmpp:ping\"/>"
    assert to_json(frozenset({"b", "a", "c"})) == ["a", "b", "c"]
    assert from_json(Outer, to_json(value)) == value


def test_typed_xml_elements_in_a_union_are_told_apart_by_their_xml() -> None:
    kind = tuple[Ping | InfoQuery | Inner, ...]
    value = (Ping(), InfoQuery(node="n"), Inner(1))
    data = to_json(value, kind)
    assert data[0] == "<ping xmlns=\"urn:xmpp:ping\"/>" and data[2] == {
        "type": "Inner", "number": 1, "when": None}
    assert from_json(kind, data) == value


def test_a_dict_keyed_by_a_number_enum_round_trips() -> None:
    value = {Level.LOW: 1, Level.HIGH: 2}
    kind = dict[Level, int]
    assert from_json(kind, json.loads(json.dumps(to_json(value, kind)))) == value
    colours = {Colour.RED: 1}
    assert to_json(colours, dict[Colour, int]) == {"red": 1}
    assert from_json(dict[Colour, int], {"red": 1}) == colours


@dataclass(frozen=True)
class Typed:
    type: str


def test_a_union_member_with_a_field_named_type_is_refused() -> None:
    # its field would overwrite the tag that says which member it is
    with pytest.raises(TypeError, match=r"Typed has a field named 'type'"):
        to_json(Typed("get"), Typed | Other)
    assert from_json(Typed | None, to_json(Typed("get"), Typed | None)) == Typed("get")


_FINE = {"inner": {"number": 1}, "either": {"type": "Inner", "number": 1}}


@pytest.mark.parametrize(("kind", "data", "words"), [
    (Outer, [], "expected Mapping"),
    (Outer, {"inner": {"number": 1}}, "Outer needs its field 'either'"),
    (Outer, {"inner": {"number": 1}, "either": {"name": "x"}, "extra": 1},
     "Outer has no field 'extra'"),
    (Outer, {"inner": {"number": "1"}, "either": {"type": "Other", "name": "x"}},
     "Outer.inner: Inner.number: expected int"),
    (Outer, {"inner": {"number": True}, "either": {"type": "Other", "name": "x"}},
     "Outer.inner: Inner.number: expected a number"),
    (Outer, {"inner": {"number": 1}, "either": {"type": "Nothing"}}, "Outer.either: "),
    (Outer, {"inner": {"number": 1}, "either": {"type": "Other", "name": 5}},
     "Outer.either: Other.name: expected str"),
    (Outer, {"inner": {"number": 1, "when": "yesterday"}, "either": {"name": "x"}},
     "Outer.inner: Inner.when: "),
    (Outer, {**_FINE, "data": "!!"}, "Outer.data: "),
    (Outer, {**_FINE, "by_level": {"9": "x"}},
     "Outer.by_level: "),
    (Outer, {**_FINE, "by_jid": {"@": 1}},
     "Outer.by_jid: "),
    (Outer, {**_FINE, "by_jid": [[1]]},
     "Outer.by_jid: expected \\[key, value\\] pairs"),
    (Outer, {**_FINE, "many": {}},
     "Outer.many: expected list"),
    (tuple[int, str], [1], "expected 2 items"),
    (Ping, "<iq xmlns='jabber:client' type='result' id='1'/>", "expected a Ping, got a Iq"),
    (Ping, "<pong xmlns='urn:example'/>", "no protocol is known for <pong/>"),
    (JID, "@example.org", "the localpart is empty"),
    (datetime, "2026-01-01T00:00:00", "DateTime"),
    (type(None), 0, "expected null"),
    (int | None, "x", "expected int, got 'x'"),
    (int | bytes, "!", "'!' is none of int, bytes"),
    (Inner | Other, None, "expected a value, got null"),
    (float, True, "expected a number"),
    (Level, True, "expected"),
    (Level, 7, "not a valid Level"),
])
def test_from_json_refuses_what_does_not_fit_and_says_where(kind: Any, data: Any,
                                                             words: str) -> None:
    with pytest.raises((ValueError, TypeError), match=words):
        from_json(kind, data)


def test_what_has_no_json_form_is_a_type_error_until_taught() -> None:
    class Key:
        def __init__(self, name: str) -> None:
            self.name = name

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Key) and other.name == self.name

        __hash__ = None  # type: ignore[assignment]

    with pytest.raises(TypeError, match="register_json"):
        to_json(Key("k"))
    with pytest.raises(TypeError, match="register_json"):
        from_json(Key, "k")
    register_json(Key, lambda key: {"name": key.name}, lambda data: Key(data["name"]))
    assert to_json([Key("k")], list[Key]) == [{"name": "k"}]
    assert from_json(list[Key], [{"name": "k"}]) == [Key("k")]


def test_any_and_bare_containers_pass_json_through() -> None:
    assert from_json(Any, {"a": [1]}) == {"a": [1]}
    assert from_json(tuple, [1, "a"]) == (1, "a")
    assert from_json(dict, {"a": 1}) == {"a": 1}
    assert to_json({1: "a"}) == [[1, "a"]]


# -- the snapshot envelope --------------------------------------------------------------------

FORMAT = SnapshotFormat("xepcodec.test", 3, readable=frozenset({2}))


def _open(data: Any) -> tuple[int, dict[str, Any]]:
    with FORMAT.reading():
        return FORMAT.open(data)


@given(st.dictionaries(st.text(max_size=5).filter(lambda k: k not in ("format", "version")),
                       st.integers() | st.text(max_size=3), max_size=4))
def test_a_sealed_state_opens_as_it_was(state: dict[str, Any]) -> None:
    sealed = FORMAT.seal(state)
    assert sealed["format"] == "xepcodec.test" and sealed["version"] == 3
    assert _open(json.loads(json.dumps(sealed))) == (3, state)


def test_an_older_readable_version_opens() -> None:
    assert _open({"format": "xepcodec.test", "version": 2, "a": 1}) == (2, {"a": 1})


@pytest.mark.parametrize(("data", "words"), [
    ([], ": expected a JSON object, got list"),
    ({"format": "other", "version": 3}, "expected format 'xepcodec.test' version 2, 3, found "
                                        "'other' version 3"),
    ({"version": 3}, "found None version 3"),
    ({"format": "xepcodec.test", "version": 4}, "found 'xepcodec.test' version 4$"),
    ({"format": "xepcodec.test", "version": 1}, "found 'xepcodec.test' version 1$"),
    ({"format": "xepcodec.test", "version": True}, "found 'xepcodec.test' version True$"),
    ({"format": "xepcodec.test", "version": "3"}, "found 'xepcodec.test' version '3'$"),
    ({"format": "xepcodec.test"}, "found 'xepcodec.test' version None$"),
])
def test_a_wrong_envelope_is_one_argument_value_error(data: Any, words: str) -> None:
    with pytest.raises(ArgumentValueError, match="^not a usable xepcodec.test snapshot"
                                                  ".*" + words):
        _open(data)


@pytest.mark.parametrize(("damage", "words"), [
    (lambda state: state["missing"], "missing 'missing'"),
    (lambda state: state["items"][5], "index out of range"),
    (lambda state: state["items"].upper(), "upper"),
    (lambda state: int(state["name"]), "invalid literal"),
    (lambda state: len(state["items"]) + state["name"], "unsupported operand"),
    (lambda state: JID.parse(state["name"]), "localpart is empty"),
    (lambda state: from_json(Inner, state), "Inner has no field"),
    (lambda state: timedelta(days=state["huge"]), "too large"),
])
def test_whatever_a_damaged_state_raises_is_one_argument_value_error(
        damage: Any, words: str) -> None:
    state = {"items": [1], "name": "@bad@", "huge": 10 ** 12}
    with pytest.raises(ArgumentValueError, match=f"not a usable xepcodec.test snapshot: "
                                                 f".*{words}"), FORMAT.reading():
        damage(state)


def test_reading_lets_its_own_errors_and_bugs_through() -> None:
    with pytest.raises(ArgumentValueError, match=r"^as it was$"), FORMAT.reading():
        raise ArgumentValueError("as it was")
    with pytest.raises(ZeroDivisionError), FORMAT.reading():  # a bug, not damage
        raise ZeroDivisionError


def test_a_state_may_not_use_the_envelope_keys() -> None:
    for key in ("format", "version"):
        with pytest.raises(ProtocolError, match="'format' and 'version'"):
            FORMAT.seal({key: 1})


# -- transitions -----------------------------------------------------------------------------


class Door(enum.Enum):
    OPEN = "open"
    SHUT = "shut"
    LOCKED = 3


class Push(enum.Enum):
    CLOSE = enum.auto()
    LOCK = enum.auto()
    OPEN = enum.auto()


DOOR = Transitions("door", {
    (Door.OPEN, Push.CLOSE): Door.SHUT,
    (Door.SHUT, Push.OPEN): ("creak", Door.OPEN),
    (Door.SHUT, Push.LOCK): Door.LOCKED,
})


def test_a_transition_in_the_table_gives_its_outcome() -> None:
    assert DOOR(Door.OPEN, Push.CLOSE) is Door.SHUT
    assert DOOR(Door.SHUT, Push.OPEN) == ("creak", Door.OPEN)
    assert DOOR.allowed(Door.SHUT) == (Push.OPEN, Push.LOCK)
    assert DOOR.allowed(Door.LOCKED) == ()
    assert DOOR.states() == {Door.OPEN, Door.SHUT}
    assert DOOR.name == "door" and len(DOOR.rows) == 3
    assert repr(DOOR) == "<Transitions door: 3 rows>"


def test_a_transition_not_in_the_table_names_state_input_and_what_is_allowed() -> None:
    with pytest.raises(ProtocolError, match=r"^door: LOCK is not allowed in state 'open' "
                                            r"\(allowed there: CLOSE\)$"):
        DOOR(Door.OPEN, Push.LOCK)
    with pytest.raises(ProtocolError, match=r"OPEN is not allowed in state LOCKED "
                                            r"\(allowed there: nothing\)"):
        DOOR(Door.LOCKED, Push.OPEN)
    with pytest.raises(ProtocolError, match="'knock' is not allowed"):
        DOOR(Door.OPEN, "knock")  # type: ignore[arg-type]
    with pytest.raises(ProtocolError, match=r"\['knock'\] is not allowed"):
        DOOR(Door.OPEN, ["knock"])  # type: ignore[arg-type]


def test_a_table_cannot_be_changed_from_outside() -> None:
    rows = {(Door.OPEN, Push.CLOSE): Door.SHUT}
    table = Transitions("door", rows)
    rows[Door.SHUT, Push.OPEN] = Door.OPEN
    with pytest.raises(ProtocolError):
        table(Door.SHUT, Push.OPEN)
    with pytest.raises(TypeError):
        table.rows[Door.SHUT, Push.OPEN] = Door.OPEN  # type: ignore[index]


@given(st.dictionaries(st.tuples(st.integers(0, 3), st.integers(0, 3)), st.integers(),
                       max_size=10),
       st.integers(0, 3), st.integers(0, 3))
def test_a_table_answers_exactly_its_rows(rows: dict[tuple[int, int], int], state: int,
                                          event: int) -> None:
    table = Transitions("t", rows)
    assert table.allowed(state) == tuple(e for (s, e) in rows if s == state)
    if (state, event) in rows:
        assert table(state, event) == rows[state, event]
    else:
        with pytest.raises(ProtocolError, match=f"t: {event} is not allowed in state {state}"):
            table(state, event)


# -- commit and undo -------------------------------------------------------------------------


def test_commit_runs_in_order_and_undo_is_forgotten() -> None:
    done: list[str] = []
    changes = Changes()
    with changes.atomic():
        changes.on_commit(lambda: done.append("first"))
        changes.on_undo(lambda: done.append("undo"))
        changes.on_commit(lambda: done.append("second"))
    assert done == ["first", "second"]
    changes.undo()
    changes.commit()
    assert done == ["first", "second"]


def test_on_an_exception_undo_runs_newest_first_and_the_exception_goes_on() -> None:
    done: list[str] = []
    changes = Changes()
    with pytest.raises(KeyError, match="boom"), changes.atomic():
        for name in ("a", "b", "c"):
            changes.on_undo(lambda name=name: done.append(f"undo {name}"))
        changes.on_commit(lambda: done.append("commit"))
        raise KeyError("boom")
    assert done == ["undo c", "undo b", "undo a"]
    with changes.atomic():  # nothing left over from the failed step
        pass
    assert done == ["undo c", "undo b", "undo a"]


def test_an_undo_action_that_fails_does_not_stop_the_others() -> None:
    done: list[str] = []
    changes = Changes()

    def broken() -> None:
        raise OSError("undo failed")

    with pytest.raises(OSError, match="undo failed") as caught, changes.atomic():
        changes.on_undo(lambda: done.append("first"))
        changes.on_undo(broken)
        changes.on_undo(lambda: done.append("last"))
        raise KeyError("step failed")
    assert done == ["last", "first"]
    assert isinstance(caught.value.__context__, KeyError)  # the step's failure is kept


@given(st.lists(st.tuples(st.booleans(), st.integers()), max_size=8), st.booleans())
def test_changes_run_all_of_one_kind_and_none_of_the_other(
        actions: list[tuple[bool, int]], fail: bool) -> None:
    done: list[tuple[str, int]] = []
    changes = Changes()
    try:
        with changes.atomic():
            for is_commit, number in actions:
                register = changes.on_commit if is_commit else changes.on_undo
                register(lambda is_commit=is_commit, number=number:
                         done.append(("commit" if is_commit else "undo", number)))
            if fail:
                raise RuntimeError
    except RuntimeError:
        assert fail
    expected = [("undo", n) for c, n in reversed(actions) if not c] if fail else \
        [("commit", n) for c, n in actions if c]
    assert done == expected


# -- ids, events, JIDs ------------------------------------------------------------------------


def test_an_id_counter_counts_from_where_it_was_saved() -> None:
    ids = IdCounter("m")
    assert [ids(), ids()] == ["m-1", "m-2"]
    restored = IdCounter("m", ids.next)
    assert restored() == "m-3"


def test_an_id_source_saves_its_own_counter_and_never_the_callers_ids() -> None:
    own = IdSource(None, "m")
    assert [own(), own()] == ["m-1", "m-2"] and own.saved == 3
    later = IdSource(None, "m")
    later.resume(own.saved)
    assert later() == "m-3"
    later.resume(None)
    assert later() == "m-4"
    given = IdSource(iter(["a", "b"]).__next__, "m")
    given.resume(40)
    assert [given(), given()] == ["a", "b"] and given.saved is None


def test_send_and_ignored_are_events_with_json() -> None:
    assert isinstance(Send("x"), Event) and isinstance(Ignored("x", "why"), Event)
    assert to_json(Ignored("x", "why")) == {"stanza": "x", "reason": "why"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        Send("x").stanza = "y"  # type: ignore[misc]


def test_as_jid_takes_a_jid_or_its_text() -> None:
    jid = JID.parse("juliet@example.org/balcony")
    assert as_jid(jid) is jid
    assert as_jid("Juliet@Example.org/balcony") == jid
    with pytest.raises(JIDError):
        as_jid("@example.org")
    with pytest.raises(ArgumentTypeError, match=r"^the peer must be a JID or a string, not "
                                                r"bytes$"):
        as_jid(b"example.org", "the peer")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"^JID must be"):
        as_jid(None)  # type: ignore[arg-type]


def test_the_kit_exports_what_the_convention_names() -> None:
    assert {"register_json", "Changes", "SnapshotFormat", "Transitions", "to_json",
            "from_json", "as_jid", "IdCounter", "Send", "Ignored", "Event",
            "Machine"} <= set(base.__all__)
    assert all(hasattr(base, name) for name in base.__all__)
