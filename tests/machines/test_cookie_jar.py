"""Tests for xepcodec.machines.cookies, the XEP-0464 cookie jar.

The stanzas below are written for these tests; none is taken from the XEP.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import gc
import json
import os
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import SpecStanzas
from hypothesis import given
from hypothesis import strategies as st

from xepcodec.api import parse, serialize
from xepcodec.core.stanza_errors import StanzaError
from xepcodec.core.stanzas import Body, Iq, IqType, Message, Presence, PresenceType
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ArgumentValueError
from xepcodec.machines.base import Ignored, Machine
from xepcodec.machines.cookies import (
    COOKIE_OVERHEAD,
    AcceptPolicy,
    CookieError,
    CookieJar,
    CookieJarEvent,
    CookieLimitError,
    CookieLimits,
    CookiePolicyError,
    CookieRefused,
    CookieStored,
    IgnoreReason,
    RefusalReason,
    ScriptRefused,
    SetCookiesIgnored,
    StoredCookie,
)
from xepcodec.machines.router import Router
from xepcodec.model import XmlFragment
from xepcodec.protocols.cookies import NS_COOKIES, Cookie, Cookies, SetCookie, SetCookies
from xepcodec.protocols.disco import Feature, Identity, InfoQuery
from xepcodec.protocols.ping import Ping
from xepcodec.testing.cookies import cookie_values
from xepcodec.xml import DEFAULT_LIMITS, Limits

NS = NS_COOKIES
ROMEO_PHONE = JID.parse("romeo@montague.example/phone")
ROMEO = ROMEO_PHONE.bare
JULIET = JID.parse("juliet@capulet.example")
TYBALT = JID.parse("tybalt@capulet.example/sword")
NURSE = JID.parse("nurse@capulet.example")
ME = JID.parse("benvolio@montague.example")


def setting(sender: JID | None, *cookies: tuple[str, str] | tuple[str, str, bool],
            kind: str = "message") -> Message | Presence | Iq:
    """A stanza from ``sender`` setting ``cookies`` (name, value[, js])."""
    element = SetCookies(cookies=tuple(
        SetCookie(name=c[0], value=c[1], js=c[2] if len(c) > 2 else None)
        for c in cookies))
    if kind == "presence":
        return Presence(from_=sender, extensions=(element,))
    if kind == "iq":
        return Iq(type=IqType.SET, id="i1", from_=sender, extensions=(element,))
    return Message(from_=sender, extensions=(element,))


def sent(stanza: Message | Presence | Iq) -> list[tuple[str, str, str]]:
    """The (name, value, setter) of the cookies a decorated stanza carries."""
    found = [item for item in stanza.extensions if isinstance(item, Cookies)]
    if isinstance(stanza, Iq) and stanza.payload is not None and not found:
        found = [item for item in getattr(stanza.payload, "extensions", ())
                 if isinstance(item, Cookies)]
    assert len(found) <= 1
    return [(c.name, c.value, str(c.setter)) for c in found[0].cookies] if found else []


# -- receiving --------------------------------------------------------------------------


def test_a_message_sets_cookies_under_the_senders_bare_jid() -> None:
    jar = CookieJar()
    message = parse(f"""<message xmlns='jabber:client' from='romeo@montague.example/phone'
        to='benvolio@montague.example/desk'>
      <body>a rose by any other name</body>
      <set-cookies xmlns='{NS}'><house>montague</house><mood>lovesick</mood></set-cookies>
    </message>""")
    assert jar.receive(message) == [
        CookieStored(ROMEO, "house", "montague"),
        CookieStored(ROMEO, "mood", "lovesick"),
    ]
    assert jar.cookies == (StoredCookie(ROMEO, "house", "montague"),
                           StoredCookie(ROMEO, "mood", "lovesick"))
    assert jar.get(ROMEO_PHONE, "house") == StoredCookie(ROMEO, "house", "montague")
    assert jar.get(ROMEO, "nothing") is None
    assert jar.setters == (ROMEO,)
    assert len(jar) == 2
    assert jar.count_for(ROMEO_PHONE) == 2
    assert jar.size == cost(ROMEO, "house", "montague") + cost(ROMEO, "mood", "lovesick")
    assert jar.cookies[0].size == cost(ROMEO, "house", "montague")


def test_a_new_value_overwrites_and_keeps_its_place() -> None:
    jar = CookieJar()
    jar.receive(setting(ROMEO_PHONE, ("a", "1"), ("b", "2")))
    events = jar.receive(setting(ROMEO.with_resource("laptop"), ("a", "one")))
    assert events == [CookieStored(ROMEO, "a", "one", previous="1")]
    assert [(c.name, c.value) for c in jar.cookies] == [("a", "one"), ("b", "2")]
    assert jar.size == cost(ROMEO, "a", "one") + cost(ROMEO, "b", "2")


def test_the_same_name_from_two_setters_is_two_cookies() -> None:
    jar = CookieJar()
    jar.receive(setting(ROMEO_PHONE, ("house", "montague")))
    jar.receive(setting(TYBALT, ("house", "capulet")))
    assert sent(jar.decorate(Message(to=JULIET))) == [
        ("house", "montague", "romeo@montague.example"),
        ("house", "capulet", "tybalt@capulet.example"),
    ]


def test_later_cookies_of_one_stanza_win() -> None:
    jar = CookieJar()
    events = jar.receive(setting(ROMEO_PHONE, ("a", "1"), ("a", "2")))
    assert events == [CookieStored(ROMEO, "a", "1"), CookieStored(ROMEO, "a", "2", "1")]
    assert jar.get(ROMEO, "a") == StoredCookie(ROMEO, "a", "2")


@pytest.mark.parametrize("kind", ["message", "presence", "iq"])
def test_every_stanza_kind_sets_cookies(kind: str) -> None:
    jar = CookieJar()
    assert jar.receive(setting(ROMEO_PHONE, ("k", "v"), kind=kind)) == [
        CookieStored(ROMEO, "k", "v")]


def test_set_cookies_nested_in_an_iq_payload() -> None:
    jar = CookieJar()
    iq = parse(f"""<iq xmlns='jabber:client' type='result' id='ver' from='romeo@montague.example/x'>
      <query xmlns='jabber:iq:version'><name>Quill</name><version>2</version>
        <set-cookies xmlns='{NS}'><build>nightly</build></set-cookies></query></iq>""")
    assert jar.receive(iq) == [CookieStored(ROMEO, "build", "nightly")]


def test_full_jid_setters_when_asked() -> None:
    jar = CookieJar(bare_setters=False)
    assert jar.receive(setting(ROMEO_PHONE, ("a", "1"))) == [CookieStored(ROMEO_PHONE, "a", "1")]
    assert jar.get(ROMEO, "a") is None
    assert jar.get(ROMEO_PHONE, "a") is not None
    assert jar.bare_setters is False


def test_a_stanza_without_set_cookies_changes_nothing() -> None:
    jar = CookieJar()
    plain = Message(from_=ROMEO_PHONE)
    assert jar.receive(plain) == [Ignored(plain, "carries no <set-cookies/>")]
    cookies = Cookies(cookies=(Cookie(name="a", value="1", setter=ROMEO),))
    carrying = Message(from_=ROMEO_PHONE, extensions=(cookies,))
    assert jar.receive(carrying) == [Ignored(carrying, "carries no <set-cookies/>")]
    assert not jar.accepts(plain) and not jar.accepts(carrying)
    assert len(jar) == 0 and jar.size == 0


def test_a_stanza_without_from_belongs_to_the_account() -> None:
    stanza = setting(None, ("a", "1"))
    unknown = CookieJar()
    assert unknown.receive(stanza) == [SetCookiesIgnored(IgnoreReason.NO_SENDER)]
    assert len(unknown) == 0
    known = CookieJar(account=ME.with_resource("desk"))
    assert known.receive(stanza) == [CookieStored(ME, "a", "1")]


def test_error_stanzas_are_ignored() -> None:
    jar = CookieJar()
    bounced = Message(type="error", from_=ROMEO_PHONE,  # type: ignore[arg-type]
                      error=StanzaError.of("service-unavailable"),
                      extensions=(SetCookies(cookies=(SetCookie(name="a", value="1"),)),))
    assert jar.receive(bounced) == [SetCookiesIgnored(IgnoreReason.ERROR_STANZA, ROMEO)]
    assert len(jar) == 0


def test_a_malformed_nested_set_cookies_is_ignored_and_the_rest_applied() -> None:
    raw = XmlFragment(f"<x xmlns='urn:example:x'><set-cookies xmlns='{NS}'>"
                      f"<a js='perhaps'>1</a></set-cookies><set-cookies xmlns='{NS}'>"
                      "<b>2</b></set-cookies></x>".encode())
    events = CookieJar().receive(Message(from_=ROMEO_PHONE, extensions=(raw,)))
    assert events[0] == SetCookiesIgnored(IgnoreReason.MALFORMED, ROMEO)
    assert isinstance(events[0], SetCookiesIgnored)
    assert events[0].error is not None and events[0].error.condition == "bad-request"
    assert "js" in str(events[0].error)
    assert events[1:] == [CookieStored(ROMEO, "b", "2")]


# -- scripts ------------------------------------------------------------------------------


SCRIPT = "require('child_process').exec('rm -rf ~')"


def test_scripts_are_refused_and_nothing_is_stored() -> None:
    jar = CookieJar()
    jar.receive(setting(ROMEO_PHONE, ("run", "old plain value")))
    events = jar.receive(setting(ROMEO_PHONE, ("run", SCRIPT, True), ("ok", "1")))
    assert events == [ScriptRefused(ROMEO, "run"), CookieStored(ROMEO, "ok", "1")]
    # The refused script left the earlier value alone.
    assert jar.get(ROMEO, "run") == StoredCookie(ROMEO, "run", "old plain value")
    assert SCRIPT not in json.dumps(jar.snapshot())


def test_js_false_is_a_plain_cookie() -> None:
    jar = CookieJar()
    assert jar.receive(setting(ROMEO_PHONE, ("a", "1", False))) == [CookieStored(ROMEO, "a", "1")]


def test_inert_script_text_when_asked_flagged_and_never_sent() -> None:
    jar = CookieJar(keep_inert_scripts=True)
    events = jar.receive(setting(ROMEO_PHONE, ("run", SCRIPT, True), ("ok", "1")))
    assert events == [ScriptRefused(ROMEO, "run"),
                      CookieStored(ROMEO, "run", SCRIPT, inert_script=True),
                      CookieStored(ROMEO, "ok", "1")]
    assert jar.get(ROMEO, "run") == StoredCookie(ROMEO, "run", SCRIPT, inert_script=True)
    assert sent(jar.decorate(Message(to=ROMEO))) == [("ok", "1", "romeo@montague.example")]
    assert jar.size == cost(ROMEO, "run", SCRIPT) + cost(ROMEO, "ok", "1")


def test_inert_script_text_obeys_limits_and_policy() -> None:
    jar = CookieJar(keep_inert_scripts=True, limits=CookieLimits(max_value_size=10))
    events = jar.receive(setting(ROMEO_PHONE, ("run", SCRIPT, True)))
    assert events[0] == ScriptRefused(ROMEO, "run")
    assert isinstance(events[1], CookieRefused)
    assert events[1].reason is RefusalReason.VALUE_SIZE
    jar = CookieJar(keep_inert_scripts=True, policy=AcceptPolicy(deny=[ROMEO]))
    events = jar.receive(setting(ROMEO_PHONE, ("run", SCRIPT, True)))
    assert [type(e) for e in events] == [ScriptRefused, CookieRefused]
    assert len(jar) == 0


def test_scripts_are_reported_even_from_refused_setters() -> None:
    jar = CookieJar(policy=AcceptPolicy(deny=["montague.example"]))
    assert jar.receive(setting(ROMEO_PHONE, ("run", SCRIPT, True))) == [
        ScriptRefused(ROMEO, "run")]


# -- limits -------------------------------------------------------------------------------


def refused(events: Sequence[object]) -> list[tuple[str, RefusalReason, str]]:
    out = []
    for event in events:
        if isinstance(event, CookieRefused):
            assert event.error.setter == event.setter and event.error.name == event.name
            assert event.error.reason is event.reason
            out.append((event.name, event.reason, event.error.condition))
    return out


def test_value_size_counts_utf8_bytes() -> None:
    jar = CookieJar(limits=CookieLimits(max_value_size=4))
    events = jar.receive(setting(ROMEO_PHONE, ("a", "1234"), ("b", "12345"), ("c", "ééé")))
    assert refused(events) == [("b", RefusalReason.VALUE_SIZE, "resource-constraint"),
                               ("c", RefusalReason.VALUE_SIZE, "resource-constraint")]
    assert [c.name for c in jar.cookies] == ["a"]
    event = events[1]
    assert isinstance(event, CookieRefused)
    assert "5 bytes" in str(event.error) and "at most 4" in str(event.error)


def test_cookies_per_setter() -> None:
    jar = CookieJar(limits=CookieLimits(max_per_setter=2))
    events = jar.receive(setting(ROMEO_PHONE, ("a", "1"), ("b", "2"), ("c", "3"), ("a", "x")))
    assert refused(events) == [("c", RefusalReason.PER_SETTER, "resource-constraint")]
    assert jar.get(ROMEO, "a") == StoredCookie(ROMEO, "a", "x")  # replacing is not adding
    assert jar.receive(setting(TYBALT, ("c", "3"))) == [CookieStored(TYBALT.bare, "c", "3")]
    event = events[2]
    assert isinstance(event, CookieRefused)
    assert "already has 2 cookies" in str(event.error)


def test_total_jar_size() -> None:
    limit = cost(ROMEO, "ab", "12345678")
    jar = CookieJar(limits=CookieLimits(max_total_size=limit))
    assert refused(jar.receive(setting(ROMEO_PHONE, ("ab", "1234")))) == []  # limit - 4
    events = jar.receive(setting(TYBALT, ("c", "")))
    assert refused(events) == [("c", RefusalReason.JAR_SIZE, "resource-constraint")]
    event = events[0]
    assert isinstance(event, CookieRefused)
    total = cost(ROMEO, "ab", "1234") + cost(TYBALT.bare, "c", "")
    assert f"{total} bytes" in str(event.error) and f"limit of {limit}" in str(event.error)
    # A replacement counts the new value instead of the old one.
    assert refused(jar.receive(setting(ROMEO_PHONE, ("ab", "12345678")))) == []
    assert jar.size == limit
    assert refused(jar.receive(setting(ROMEO_PHONE, ("ab", "123456789")))) == [
        ("ab", RefusalReason.JAR_SIZE, "resource-constraint")]
    assert jar.get(ROMEO, "ab") == StoredCookie(ROMEO, "ab", "12345678")


def test_the_setter_and_every_byte_of_the_strings_count() -> None:
    long_name = JID("n" * 900, "capulet.example")
    # The setter's 916 bytes, two bytes each for the name and the value.
    limit = 900 + 1 + len("capulet.example") + 2 + 2 + COOKIE_OVERHEAD
    jar = CookieJar(limits=CookieLimits(max_total_size=limit))
    events = jar.receive(setting(long_name, ("é", "ü")))
    assert refused(events) == []
    assert jar.size == limit
    assert refused(jar.receive(setting(long_name, ("b", "")))) == [
        ("b", RefusalReason.JAR_SIZE, "resource-constraint")]


def test_zero_limits_store_nothing() -> None:
    jar = CookieJar(limits=CookieLimits(max_per_setter=0))
    assert refused(jar.receive(setting(ROMEO_PHONE, ("a", "")))) == [
        ("a", RefusalReason.PER_SETTER, "resource-constraint")]


def test_store_raises_the_limit_error() -> None:
    jar = CookieJar(limits=CookieLimits(max_value_size=2))
    assert jar.store(ROMEO_PHONE, "a", "12") == CookieStored(ROMEO, "a", "12")
    with pytest.raises(CookieLimitError) as caught:
        jar.store(ROMEO, "b", "123")
    error = caught.value
    assert isinstance(error, CookieError)
    assert error.condition == "resource-constraint" and error.stream is False
    assert (error.setter, error.name, error.reason) == (ROMEO, "b", RefusalReason.VALUE_SIZE)


def test_store_checks_names_and_values() -> None:
    jar = CookieJar()
    with pytest.raises(ValueError, match="NCName"):
        jar.store(ROMEO, "a:b", "v")
    with pytest.raises(ValueError, match=r"XML 1\.0 cannot carry"):
        jar.store(ROMEO, "a", "bell\x07")
    with pytest.raises(TypeError, match="JID"):
        jar.store("romeo@montague.example", "a", "v")  # type: ignore[arg-type]
    assert len(jar) == 0


def test_store_ignores_the_accept_policy() -> None:
    jar = CookieJar(policy=AcceptPolicy(deny=[ROMEO]))
    assert jar.store(ROMEO, "a", "1") == CookieStored(ROMEO, "a", "1")


@pytest.mark.parametrize("field", ["max_per_setter", "max_value_size", "max_total_size",
                                   "max_cookies", "max_stanza_size"])
@pytest.mark.parametrize("value", [-1, 1.5, True, "3", None])
def test_limits_are_checked(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        CookieLimits(**{field: value})  # type: ignore[arg-type]


def test_limit_defaults() -> None:
    assert CookieLimits() == CookieLimits(max_per_setter=50, max_value_size=4096,
                                          max_total_size=262_144, max_cookies=3000,
                                          max_stanza_size=DEFAULT_LIMITS.max_size)
    assert CookieJar().limits == CookieLimits()


@pytest.mark.parametrize(("changes", "words"), [
    ({"max_cookies": DEFAULT_LIMITS.max_children + 1}, "children"),
    ({"max_value_size": DEFAULT_LIMITS.max_text_length + 1}, "text"),
])
def test_limits_stay_within_what_a_stanza_may_carry(changes: dict[str, int],
                                                     words: str) -> None:
    # More cookies than an element may have children, or a value longer than a
    # text may be, could never be sent in a stanza the reader accepts.
    with pytest.raises(ValueError, match=words):
        CookieLimits(**changes)


# -- accept policy ------------------------------------------------------------------------


def test_deny_list_by_exact_bare_or_domain() -> None:
    policy = AcceptPolicy(deny=["tybalt@capulet.example", JID.parse("verona.example")])
    assert not policy.admits(TYBALT)
    assert not policy.admits(TYBALT.bare)
    assert not policy.admits(JID.parse("prince@verona.example/throne"))
    assert policy.admits(NURSE)
    assert policy.admits(ROMEO)


def test_allow_list() -> None:
    policy = AcceptPolicy(allow=["capulet.example"], deny=[TYBALT.bare])
    assert policy.admits(NURSE)
    assert not policy.admits(TYBALT)  # deny wins
    assert not policy.admits(ROMEO)
    assert AcceptPolicy(allow=[]).admits(ROMEO) is False
    assert AcceptPolicy().admits(ROMEO) is True


def test_policy_needs_collections() -> None:
    with pytest.raises(TypeError, match="collection"):
        AcceptPolicy(deny="tybalt@capulet.example")
    with pytest.raises(TypeError, match="collection"):
        AcceptPolicy(allow=ROMEO)  # type: ignore[arg-type]


def test_refused_setters() -> None:
    jar = CookieJar(policy=AcceptPolicy(deny=[TYBALT]))
    events = jar.receive(setting(TYBALT, ("a", "1"), ("b", "2")))
    assert refused(events) == [("a", RefusalReason.POLICY, "forbidden"),
                               ("b", RefusalReason.POLICY, "forbidden")]
    event = events[0]
    assert isinstance(event, CookieRefused) and isinstance(event.error, CookiePolicyError)
    assert "not allowed to set cookies" in str(event.error)
    assert len(jar) == 0


def test_accept_callable_is_asked_once_per_stanza_after_the_lists() -> None:
    asked: list[JID] = []

    def only_capulets(setter: JID) -> bool:
        asked.append(setter)
        return setter.domain == "capulet.example"

    jar = CookieJar(accept=only_capulets, policy=AcceptPolicy(deny=[TYBALT]))
    assert refused(jar.receive(setting(ROMEO_PHONE, ("a", "1"), ("b", "2")))) == [
        ("a", RefusalReason.POLICY, "forbidden"), ("b", RefusalReason.POLICY, "forbidden")]
    assert jar.receive(setting(NURSE, ("a", "1"))) == [CookieStored(NURSE, "a", "1")]
    jar.receive(setting(TYBALT, ("a", "1")))
    assert asked == [ROMEO_PHONE, NURSE]  # the sender as it is, resource and all


def test_policy_changes_apply_from_the_next_stanza_and_keep_stored_cookies() -> None:
    jar = CookieJar()
    jar.receive(setting(ROMEO_PHONE, ("a", "1")))
    jar.policy = AcceptPolicy(deny=[ROMEO])
    assert refused(jar.receive(setting(ROMEO_PHONE, ("b", "2")))) == [
        ("b", RefusalReason.POLICY, "forbidden")]
    assert jar.get(ROMEO, "a") is not None


def cost(setter: JID, name: str, value: str) -> int:
    """What one cookie counts toward the jar's size: its strings and a fixed overhead."""
    return (len(name.encode()) + len(value.encode()) + len(str(setter).encode())
            + COOKIE_OVERHEAD)


def long_setter(n: int) -> JID:
    """The n-th of many setters with long JIDs (a 1000-character localpart)."""
    return JID(f"{n:05d}".ljust(1000, "l"), "capulet.example", "r")


def fill(jar: CookieJar, setters: Iterable[JID]) -> None:
    """One empty cookie from each setter, as far as the limits allow."""
    for setter in setters:
        with contextlib.suppress(CookieLimitError):
            jar.store(setter, "a", "")


def test_20000_setters_with_long_jids() -> None:
    # Each JID is made inside the traced window and dropped, so that what stays
    # allocated is what the jar keeps (parts this long bypass the JID caches).
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        jar = CookieJar()
        fill(jar, map(long_setter, range(20_000)))
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    check_invariants(jar)
    assert 0 < len(jar) < 20_000
    assert jar.size <= jar.limits.max_total_size
    assert used <= 3 * jar.size, (used, jar.size, len(jar))
    # Every cookie goes out, in a stanza the reader accepts.
    data = serialize(jar.decorate(Message(to=JULIET)))
    assert len(data) <= DEFAULT_LIMITS.max_size
    assert len(sent(parse(data))) == len(jar)


def test_memory_of_many_tiny_cookies_is_what_the_jar_counts() -> None:
    # One empty cookie per setter: the entries' own cost dominates.  The JIDs are
    # made first, so that the JID module's caches of short parts are not counted.
    setters = [JID(f"u{n}", "c.example", "r") for n in range(5_000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        jar = CookieJar()
        fill(jar, setters)
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    check_invariants(jar)
    assert 900 < len(jar) < 5_000
    assert used <= 3 * jar.size, (used, jar.size, len(jar))


def test_the_number_of_cookies_is_capped() -> None:
    jar = CookieJar(limits=CookieLimits(max_cookies=2))
    jar.receive(setting(ROMEO_PHONE, ("a", "1")))
    events = jar.receive(setting(TYBALT, ("b", "2"), ("c", "3")))
    assert refused(events) == [("c", RefusalReason.COOKIE_COUNT, "resource-constraint")]
    event = events[1]
    assert isinstance(event, CookieRefused)
    assert "already holds 2 cookies" in str(event.error)
    # Replacing a value is not a new cookie; removing one makes room.
    assert refused(jar.receive(setting(TYBALT, ("b", "two")))) == []
    jar.remove(ROMEO, "a")
    assert refused(jar.receive(setting(TYBALT, ("c", "3")))) == []
    assert len(jar) == 2


def test_decorate_stays_under_the_stanza_limit() -> None:
    # Escaping makes a value of ampersands five times longer on the wire: what the
    # jar may hold (256 KiB) is more than a stanza may carry (1 MiB).
    jar = CookieJar()
    for n in range(100):
        jar.receive(setting(JID(f"s{n}", "capulet.example"), ("amp", "&" * 4000)))
    assert len(jar) > 50
    message = Message(to=JULIET, bodies=(Body(text="hello"),))
    data = serialize(jar.decorate(message))
    assert len(data) <= DEFAULT_LIMITS.max_size
    carried = sent(parse(data))
    # As many as fit, in the jar's order.
    assert 0 < len(carried) < len(jar)
    assert [setter for _, _, setter in carried] == [
        str(cookie.setter) for cookie in jar.cookies[:len(carried)]]


@pytest.mark.parametrize("kind", ["message", "presence", "iq", "iq-payload"])
def test_decorate_stays_under_the_limit_the_jar_is_given(kind: str) -> None:
    limit = 700
    jar = CookieJar(limits=CookieLimits(max_stanza_size=limit))
    jar.receive(setting(ROMEO_PHONE, *((f"c{n}", "x" * 250) for n in range(10))))
    jar.receive(setting(TYBALT, ("small", "1")))
    stanza: Message | Presence | Iq = {
        "message": Message(to=JULIET, bodies=(Body(text="b" * 200),)),
        "presence": Presence(to=JULIET),
        "iq": Iq(type=IqType.RESULT, id="q", to=JULIET),
        "iq-payload": Iq(type=IqType.RESULT, id="q", to=JULIET,
                         extensions=(InfoQuery(features=(Feature(var="urn:x"),)),)),
    }[kind]
    data = serialize(jar.decorate(stanza))
    assert len(data) <= limit
    carried = sent(parse(data, limits=Limits(max_size=limit)))
    assert ("small", "1", "tybalt@capulet.example") in carried  # skipped past the big ones
    assert 0 < len(carried) < len(jar)
    outgoing = jar.outgoing(None)
    assert outgoing is not None and len(serialize(outgoing)) <= limit
    # A stanza already past the limit gets no cookies at all.
    big = Message(to=JULIET, bodies=(Body(text="b" * limit),))
    assert sent(jar.decorate(big)) == []


@pytest.mark.parametrize("stanza", [
    Message(to=ROMEO_PHONE),  # written as an empty element until the cookies come
    Iq(type=IqType.RESULT, id="q", to=JULIET, extensions=(InfoQuery(),)),
])
def test_decorate_stays_under_every_limit_to_the_byte(stanza: Message | Iq) -> None:
    for limit in range(0, 400):
        jar = CookieJar(limits=CookieLimits(max_stanza_size=limit), bare_setters=False)
        jar.store(ROMEO_PHONE, "set-cookies", "x")
        jar.store(TYBALT, "b", "&")
        assert len(serialize(jar.decorate(stanza))) <= max(limit, len(serialize(stanza)))
        outgoing = jar.outgoing(None)
        assert outgoing is None or len(serialize(outgoing)) <= limit


def test_handle_ignores_what_is_not_a_stanza() -> None:
    jar = CookieJar()
    for thing in (SetCookies(), "<message/>", None):
        events = jar.receive(thing)
        assert events == [Ignored(thing, "not a message, presence or iq stanza")]
    assert len(jar) == 0


# -- removing -----------------------------------------------------------------------------


def test_remove_forget_clear() -> None:
    jar = CookieJar()
    jar.receive(setting(ROMEO_PHONE, ("a", "1"), ("b", "22")))
    jar.receive(setting(TYBALT, ("c", "333")))
    assert jar.remove(ROMEO_PHONE, "a") is True
    assert jar.remove(ROMEO, "a") is False
    assert jar.remove(NURSE, "a") is False
    assert jar.size == cost(ROMEO, "b", "22") + cost(TYBALT.bare, "c", "333")
    assert jar.forget(ROMEO) == 1
    assert jar.forget(ROMEO) == 0
    assert jar.setters == (TYBALT.bare,)
    assert jar.size == cost(TYBALT.bare, "c", "333")
    assert jar.clear() == 1
    assert (len(jar), jar.size) == (0, 0)
    assert not jar.setters
    assert jar.decorate(Message(to=JULIET)) == Message(to=JULIET)


# -- sending ------------------------------------------------------------------------------


def test_decorate_a_message_and_presence() -> None:
    jar = CookieJar()
    jar.receive(setting(ROMEO_PHONE, ("house", "montague")))
    jar.receive(setting(TYBALT, ("blade", "sharp")))
    message = Message(to=JULIET, from_=ME, bodies=())
    decorated = jar.decorate(message)
    assert sent(decorated) == [("house", "montague", "romeo@montague.example"),
                               ("blade", "sharp", "tybalt@capulet.example")]
    assert parse(serialize(decorated)) == decorated
    assert serialize(decorated) == (
        b'<message xmlns="jabber:client" to="juliet@capulet.example" '
        b'from="benvolio@montague.example"><cookies xmlns="urn:xmpp:tmp:cookies">'
        b'<house setter="romeo@montague.example">montague</house>'
        b'<blade setter="tybalt@capulet.example">sharp</blade></cookies></message>')
    presence = jar.decorate(Presence(type=PresenceType.UNAVAILABLE))
    assert len(sent(presence)) == 2
    assert presence.type is PresenceType.UNAVAILABLE


def test_decorate_replaces_existing_cookies_typed_or_raw() -> None:
    jar = CookieJar()
    jar.receive(setting(ROMEO_PHONE, ("a", "1")))
    stale = Cookies(cookies=(Cookie(name="old", value="x", setter=NURSE),))
    raw = XmlFragment(f"<cookies xmlns='{NS}'><old setter='nurse@capulet.example'/></cookies>"
                      .encode())
    other = XmlFragment(b"<x xmlns='urn:example:x'/>")
    decorated = jar.decorate(Message(to=JULIET, extensions=(stale, other, raw)))
    assert decorated.extensions[0] == other
    assert sent(decorated) == [("a", "1", "romeo@montague.example")]
    assert len(decorated.extensions) == 2
    # Nothing to send: the stale element goes, and none is added.
    assert CookieJar().decorate(Message(extensions=(stale, other))).extensions == (other,)


def test_decorating_twice_is_decorating_once() -> None:
    jar = CookieJar()
    jar.receive(setting(ROMEO_PHONE, ("a", "1")))
    once = jar.decorate(Message(to=JULIET))
    assert jar.decorate(once) == once


def test_privacy_mode_sends_each_setter_only_its_own() -> None:
    jar = CookieJar(privacy=True)
    jar.receive(setting(ROMEO_PHONE, ("house", "montague")))
    jar.receive(setting(TYBALT, ("blade", "sharp")))
    assert sent(jar.decorate(Message(to=ROMEO.with_resource("other")))) == [
        ("house", "montague", "romeo@montague.example")]
    assert sent(jar.decorate(Message(to=TYBALT.bare))) == [
        ("blade", "sharp", "tybalt@capulet.example")]
    assert sent(jar.decorate(Message(to=JULIET))) == []
    assert sent(jar.decorate(Message())) == []
    jar.privacy = False
    assert len(sent(jar.decorate(Message(to=JULIET)))) == 2


def test_privacy_mode_with_full_jid_setters() -> None:
    jar = CookieJar(privacy=True, bare_setters=False)
    jar.receive(setting(ROMEO_PHONE, ("a", "1")))
    assert sent(jar.decorate(Message(to=ROMEO_PHONE))) == [
        ("a", "1", "romeo@montague.example/phone")]
    assert sent(jar.decorate(Message(to=ROMEO))) == []
    assert sent(jar.decorate(Message(to=ROMEO.with_resource("laptop")))) == []


def test_privacy_mode_without_to_sends_to_the_account() -> None:
    jar = CookieJar(privacy=True, account=ME.with_resource("desk"))
    jar.store(ME, "mine", "1")
    jar.store(ROMEO, "his", "2")
    assert sent(jar.decorate(Message())) == [("mine", "1", "benvolio@montague.example")]


def test_outgoing() -> None:
    jar = CookieJar()
    assert jar.outgoing(JULIET) is None
    jar.store(ROMEO, "a", "1")
    assert jar.outgoing(None) == Cookies(cookies=(Cookie(name="a", value="1", setter=ROMEO),))


def test_decorate_an_iq_without_payload() -> None:
    jar = CookieJar()
    jar.store(ROMEO, "a", "1")
    result = jar.decorate(Iq(type=IqType.RESULT, id="r1", to=ROMEO_PHONE))
    assert result.payload == Cookies(cookies=(Cookie(name="a", value="1", setter=ROMEO),))
    assert parse(serialize(result)) == result
    # The payload it got is replaced next time, and dropped when nothing is left to send.
    jar.store(ROMEO, "a", "2")
    assert sent(jar.decorate(result)) == [("a", "2", "romeo@montague.example")]
    jar.clear()
    assert jar.decorate(result).payload is None


def test_decorate_an_iq_with_an_open_typed_payload() -> None:
    jar = CookieJar()
    jar.store(ROMEO, "a", "1")
    query = InfoQuery(features=(Feature(var=NS),))
    iq = Iq(type=IqType.RESULT, id="d1", to=ROMEO_PHONE, extensions=(query,))
    decorated = jar.decorate(iq)
    assert len(decorated.extensions) == 1
    payload = decorated.payload
    assert isinstance(payload, InfoQuery) and payload.features == query.features
    assert payload.extensions == (Cookies(cookies=(Cookie(name="a", value="1", setter=ROMEO),)),)
    assert parse(serialize(decorated)) == decorated
    assert jar.decorate(decorated) == decorated


@pytest.mark.parametrize("payload", [
    Ping(), XmlFragment(b"<query xmlns='jabber:iq:version'/>")])
def test_an_iq_with_a_closed_or_raw_payload_is_left_alone(payload: object) -> None:
    jar = CookieJar()
    jar.store(ROMEO, "a", "1")
    iq = Iq(type=IqType.GET, id="p1", to=ROMEO_PHONE, extensions=(payload,))
    assert jar.decorate(iq) is iq


def test_decorate_refuses_what_is_not_a_stanza() -> None:
    with pytest.raises(TypeError, match="stanzas"):
        CookieJar().decorate(Cookies())  # type: ignore[type-var]


# -- snapshot and restore -----------------------------------------------------------------


def busy_jar() -> CookieJar:
    jar = CookieJar(limits=CookieLimits(max_per_setter=5, max_value_size=100,
                                        max_total_size=2000, max_cookies=10,
                                        max_stanza_size=5000),
                    policy=AcceptPolicy(allow=["capulet.example", ROMEO], deny=[TYBALT]),
                    privacy=True, keep_inert_scripts=True, account=ME)
    jar.receive(setting(ROMEO_PHONE, ("b", "2"), ("a", "1"), ("x", "alert(1)", True)))
    jar.receive(setting(NURSE, ("é", "ünïcode\n  lines")))
    return jar


def test_snapshot_is_json_and_restores_unchanged() -> None:
    jar = busy_jar()
    data = jar.snapshot()
    text = json.dumps(data)
    again = CookieJar.restore(json.loads(text))
    assert again.snapshot() == data
    assert again.cookies == jar.cookies
    assert again.size == jar.size
    assert (again.limits, again.policy, again.privacy, again.keep_inert_scripts,
            again.account, again.bare_setters) == (
        jar.limits, jar.policy, jar.privacy, jar.keep_inert_scripts, jar.account,
        jar.bare_setters)
    assert data["cookies"][2] == {"setter": "romeo@montague.example", "name": "x",
                                  "value": "alert(1)", "inert_script": True}
    assert data["policy"] == {"allow": ["capulet.example", "romeo@montague.example"],
                              "deny": ["tybalt@capulet.example/sword"]}


def test_restore_takes_the_callable_again() -> None:
    jar = CookieJar(accept=lambda setter: False)
    data = jar.snapshot()
    assert "accept" not in json.dumps(data)
    assert CookieJar.restore(data).accept is None
    keep: Callable[[JID], bool] = lambda setter: True  # noqa: E731
    assert CookieJar.restore(data, accept=keep).accept is keep


def mutate(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = json.loads(json.dumps(busy_jar().snapshot()))
    change(data)
    return data  # type: ignore[no-any-return]


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: d.update(format="other"), "expected format 'xepcodec.cookie-jar' version 1, 2"),
    (lambda d: d.update(version=3), "found 'xepcodec.cookie-jar' version 3"),
    (lambda d: d.pop("privacy"), "needs its field 'privacy'"),
    (lambda d: d.update(extra=1), "has no field 'extra'"),
    (lambda d: d.update(privacy="yes"), "privacy: expected bool, got 'yes'"),
    (lambda d: d.update(account=5), "account: expected str, got 5"),
    (lambda d: d.update(account="@bad"), "not a usable xepcodec.cookie-jar snapshot"),
    (lambda d: d["limits"].update(max_value_size=-1), "max_value_size"),
    (lambda d: d["limits"].pop("max_value_size"), "needs its field 'max_value_size'"),
    (lambda d: d["policy"].update(deny="tybalt@capulet.example"), "deny: expected list"),
    (lambda d: d.update(cookies={}), "cookies: expected list"),
    (lambda d: d["cookies"][0].update(name="a:b"), "'a:b' is not an XML name"),
    (lambda d: d["cookies"][0].update(value="\x00"), "cannot carry"),
    (lambda d: d["cookies"][0].update(setter="romeo@montague.example/phone"), "bare JID"),
    (lambda d: d["cookies"][0].update(inert_script=1), "inert_script: expected bool"),
    (lambda d: d["cookies"][0].update(name="a"), "appears twice"),
    (lambda d: d["cookies"][0].update(value="v" * 101), "not a usable xepcodec.cookie-jar"),
    (lambda d: d["limits"].update(max_per_setter=1), "already has 1 cookies"),
    (lambda d: d["limits"].update(max_cookies=3), "already holds 3 cookies"),
    (lambda d: d["cookies"].append("nope"), "expected Mapping, got 'nope'"),
])
def test_restore_refuses_what_is_not_a_snapshot(change: Callable[[dict[str, Any]], object],
                                                 words: str) -> None:
    with pytest.raises(ArgumentValueError, match=re.escape(words)):
        CookieJar.restore(mutate(change))


def test_restore_a_version_1_snapshot() -> None:
    # Version 1 had no count or stanza limits: the defaults apply.
    data = mutate(lambda d: d.update(version=1))
    del data["limits"]["max_cookies"], data["limits"]["max_stanza_size"]
    restored = CookieJar.restore(data)
    assert restored.cookies == busy_jar().cookies
    assert restored.limits == dataclasses.replace(busy_jar().limits, max_cookies=3000,
                                                  max_stanza_size=DEFAULT_LIMITS.max_size)


def test_restore_refuses_a_non_mapping() -> None:
    with pytest.raises(ArgumentValueError, match="expected a JSON object, got list"):
        CookieJar.restore([])  # type: ignore[arg-type]


#: A snapshot as version 2 of the format was first written, before the machines shared
#: one envelope and JSON derived from their dataclasses: it must still restore, unchanged.
_WRITTEN_V2: dict[str, Any] = {
    "format": "xepcodec.cookie-jar", "version": 2,
    "limits": {"max_per_setter": 5, "max_value_size": 100, "max_total_size": 2000,
               "max_cookies": 10, "max_stanza_size": 5000},
    "bare_setters": True, "privacy": True, "keep_inert_scripts": True,
    "account": "benvolio@montague.example",
    "policy": {"allow": ["capulet.example"], "deny": ["tybalt@capulet.example/sword"]},
    "cookies": [
        {"setter": "nurse@capulet.example", "name": "b", "value": "2", "inert_script": False},
        {"setter": "nurse@capulet.example", "name": "x", "value": "alert(1)",
         "inert_script": True},
    ],
}


def test_an_earlier_version_2_snapshot_restores_unchanged() -> None:
    data = json.loads(json.dumps(_WRITTEN_V2))
    jar = CookieJar.restore(data)
    assert jar.snapshot() == data
    assert jar.cookies == (StoredCookie(NURSE, "b", "2"),
                           StoredCookie(NURSE, "x", "alert(1)", inert_script=True))
    assert jar.account == ME and jar.limits.max_cookies == 10
    assert not jar.policy.admits(TYBALT) and jar.policy.admits(NURSE)


def test_a_version_1_snapshot_as_written_restores() -> None:
    limits = {key: value for key, value in _WRITTEN_V2["limits"].items()
              if key not in ("max_cookies", "max_stanza_size")}
    data = {**_WRITTEN_V2, "version": 1, "limits": limits}
    jar = CookieJar.restore(json.loads(json.dumps(data)))
    assert jar.snapshot() == {**_WRITTEN_V2, "limits": {
        **limits, "max_cookies": 3000, "max_stanza_size": DEFAULT_LIMITS.max_size}}
    # Version 1 wrote its three limits too: one missing is damage there as well.
    del limits["max_total_size"]
    with pytest.raises(ArgumentValueError, match="needs its field 'max_total_size'"):
        CookieJar.restore(data)


def test_the_jar_is_routable() -> None:
    jar = CookieJar()
    assert isinstance(jar, Machine)
    assert CookieJar.payloads == ()
    assert jar.disco_features() == ("urn:xmpp:tmp:cookies",)
    setting_message = setting(ROMEO_PHONE, ("a", "1"))
    assert jar.accepts(setting_message)
    assert jar.accepts(setting(ROMEO_PHONE, ("a", "1"), kind="iq"))
    assert not jar.accepts(Message(from_=ROMEO_PHONE, bodies=(Body(text="hi"),)))
    assert not jar.accepts("<message/>") and not jar.accepts(None)
    events = jar.receive(setting_message, now=None)
    assert events == [CookieStored(ROMEO, "a", "1")]
    assert all(isinstance(event, CookieJarEvent) for event in events)
    # A router offers the jar every message it accepts, and advertises its feature.
    router = Router(ME, [Identity(category="client", type="pc")])
    router.register(jar)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert router.receive(setting(TYBALT, ("b", "2")), now=now) == [
        CookieStored(TYBALT.bare, "b", "2")]
    assert "urn:xmpp:tmp:cookies" in router.disco_features()


# -- random sequences ---------------------------------------------------------------------

SETTERS = [ROMEO_PHONE, ROMEO.with_resource("laptop"), TYBALT, NURSE, JULIET]
NAMES = ["a", "b", "c", "set-cookies", "é"]

_cookie = st.tuples(st.sampled_from(NAMES), cookie_values() | st.text("xy", max_size=12),
                    st.sampled_from([None, False, True]))
_operation = st.one_of(
    st.tuples(st.just("receive"), st.sampled_from(["message", "presence", "iq", "nested",
                                                   "error", "anonymous"]),
              st.sampled_from(SETTERS), st.lists(_cookie, max_size=5)),
    st.tuples(st.just("store"), st.sampled_from(SETTERS), st.sampled_from(NAMES),
              st.text("xyz", max_size=12)),
    st.tuples(st.just("remove"), st.sampled_from(SETTERS), st.sampled_from(NAMES)),
    st.tuples(st.just("forget"), st.sampled_from(SETTERS)),
    st.tuples(st.just("clear")),
    st.tuples(st.just("privacy"), st.booleans()),
    st.tuples(st.just("decorate"), st.none() | st.sampled_from(SETTERS)),
)
_limits = st.builds(CookieLimits, max_per_setter=st.integers(0, 4),
                    max_value_size=st.integers(0, 16),
                    max_total_size=st.integers(0, 8 * (COOKIE_OVERHEAD + 40)),
                    max_cookies=st.integers(0, 8), max_stanza_size=st.integers(0, 1200))
_jars = st.builds(
    lambda limits, deny, keep, bare, account: CookieJar(
        limits=limits, policy=AcceptPolicy(deny=deny), keep_inert_scripts=keep,
        bare_setters=bare, account=account),
    _limits, st.lists(st.sampled_from([NURSE, JID.parse("montague.example")]), max_size=1),
    st.booleans(), st.booleans(), st.none() | st.just(ME))


def stanza_for(kind: str, sender: JID, cookies: list[tuple[str, str, bool | None]]) -> Any:
    element = SetCookies(cookies=tuple(SetCookie(name=n, value=v, js=js)
                                       for n, v, js in cookies))
    if kind == "presence":
        return Presence(from_=sender, extensions=(element,))
    if kind == "iq":
        return Iq(type=IqType.SET, id="q", from_=sender, extensions=(element,))
    if kind == "nested":
        raw = XmlFragment(b"<q xmlns='urn:example:q'><inner>"
                          + serialize(element) + b"</inner></q>")
        return Iq(type=IqType.RESULT, id="q", from_=sender, extensions=(raw,))
    if kind == "error":
        return Message(type="error", from_=sender,  # type: ignore[arg-type]
                       error=StanzaError.of("gone"), extensions=(element,))
    if kind == "anonymous":
        return Message(extensions=(element,))
    return Message(from_=sender, extensions=(element,))


def apply(jar: CookieJar, operation: tuple[Any, ...]) -> Any:
    """Run one operation; what it returned, in a comparable form."""
    match operation:
        case ("receive", kind, sender, cookies):
            return jar.receive(stanza_for(kind, sender, cookies))
        case ("store", setter, name, value):
            try:
                return jar.store(setter, name, value)
            except CookieLimitError as error:
                return ("refused", error.reason, error.condition, str(error))
        case ("remove", setter, name):
            return jar.remove(setter, name)
        case ("forget", setter):
            return jar.forget(setter)
        case ("clear",):
            return jar.clear()
        case ("privacy", on):
            jar.privacy = on
            return None
        case ("decorate", recipient):
            data = serialize(jar.decorate(Message(to=recipient)))
            assert len(data) <= max(jar.limits.max_stanza_size, len(serialize(
                Message(to=recipient))))
            return data
    raise AssertionError(operation)


def check_invariants(jar: CookieJar) -> None:
    limits = jar.limits
    total = 0
    for setter in jar.setters:
        assert 0 < jar.count_for(setter) <= limits.max_per_setter
        assert not jar.bare_setters or setter.is_bare
    for cookie in jar.cookies:
        assert len(cookie.value.encode()) <= limits.max_value_size
        assert not cookie.inert_script or jar.keep_inert_scripts
        total += cookie.size
    assert jar.size == total <= limits.max_total_size
    assert len(jar) == len(jar.cookies) <= limits.max_cookies


@given(jar=_jars, operations=st.lists(_operation, max_size=25))
def test_random_sequences_stay_within_limits_and_events_tell_the_truth(
        jar: CookieJar, operations: list[tuple[Any, ...]]) -> None:
    mirror: dict[tuple[JID, str], tuple[str, bool]] = {}
    for operation in operations:
        result = apply(jar, operation)
        check_invariants(jar)
        # Replay what the jar said it did on a plain dict: it must end up the same.
        if operation[0] == "receive":
            for event in result:
                if isinstance(event, CookieStored):
                    assert not event.inert_script or jar.keep_inert_scripts
                    mirror[(event.setter, event.name)] = (event.value, event.inert_script)
            scripts = [c for c in operation[3] if c[2] is True]
            refusals = [e for e in result if isinstance(e, ScriptRefused)]
            if operation[1] not in ("error", "anonymous") or (
                    operation[1] == "anonymous" and jar.account is not None):
                assert len(refusals) == len(scripts)
        elif operation[0] == "store" and isinstance(result, CookieStored):
            mirror[(result.setter, result.name)] = (result.value, False)
        elif operation[0] == "remove" and result:
            key = operation[1].bare if jar.bare_setters else operation[1]
            del mirror[(key, operation[2])]
        elif operation[0] == "forget":
            key = operation[1].bare if jar.bare_setters else operation[1]
            for each in [k for k in mirror if k[0] == key]:
                del mirror[each]
        elif operation[0] == "clear":
            mirror.clear()
        assert {(c.setter, c.name): (c.value, c.inert_script) for c in jar.cookies} == mirror


@given(jar=_jars, before=st.lists(_operation, max_size=15),
       after=st.lists(_operation, max_size=15))
def test_a_restored_jar_behaves_identically(jar: CookieJar, before: list[tuple[Any, ...]],
                                            after: list[tuple[Any, ...]]) -> None:
    for operation in before:
        apply(jar, operation)
    data = jar.snapshot()
    restored = CookieJar.restore(json.loads(json.dumps(data)))
    assert restored.snapshot() == data
    for operation in after:
        assert apply(restored, operation) == apply(jar, operation)
        assert restored.snapshot() == jar.snapshot()


# -- the specification's own examples, read at test time ------------------------------

def test_the_specification_examples(spec_stanzas: SpecStanzas) -> None:
    examples = [parse(element) for _, element in spec_stanzas(464)]
    setting_message, setting_presence, setting_iq, settee_message, *_ = examples
    jar = CookieJar()
    iago = setting_message.from_.bare
    assert jar.receive(setting_message) == [CookieStored(iago, c.name, c.value) for c in
                                           setting_message.find(SetCookies).cookies]
    assert jar.receive(setting_presence) == [ScriptRefused(iago, "passwds")]
    assert jar.receive(setting_iq) == [ScriptRefused(iago, "innocent")]
    assert len(jar) == 2
    # What the settee sends back: the plain cookies as the XEP shows them, with the
    # setter's bare JID; the two the XEP shows as script output are never produced.
    shown = settee_message.find(Cookies)
    decorated = jar.decorate(dataclasses.replace(settee_message, extensions=()))
    ours = decorated.find(Cookies)
    assert ours is not None and shown is not None
    assert ours.cookies == shown.cookies[:2]
    assert [c.name for c in shown.cookies[2:]] == ["passwds", "innocent"]


# -- nothing is ever run --------------------------------------------------------------------

LIBRARY = Path(__file__).resolve().parents[2] / "xepcodec"
# The model turns element declarations into Python code once per class (decoders,
# encoders, a constructor) and reads string annotations; nothing received reaches these.
ALLOWED_DYNAMIC_CODE = {
    ("model/codec.py", "eval"): 1,
    ("model/codec.py", "exec"): 1,
    ("model/compiler.py", "compile"): 1,
    ("model/compiler.py", "exec"): 1,
    ("model/constructor.py", "exec"): 1,
}
DYNAMIC_CODE = re.compile(r"(?<![\w.])(eval|exec|compile|__import__|execfile)\s*\(")
PROCESSES = re.compile(
    r"\bsubprocess\b|\bos\.(system|popen|exec\w*|spawn\w*|posix_spawn\w*|fork\w*)\b"
    r"|\b(multiprocessing|pty|ctypes|cffi)\b|\bshell\s*=\s*True")
JS_ENGINES = ("js2py", "dukpy", "pyduktape", "pyduktape2", "py_mini_racer", "mini_racer",
              "quickjs", "execjs", "pythonmonkey", "spidermonkey", "pyv8", "v8", "stpyv8",
              "pyjsparser", "esprima", "node", "nodejs", "javascript", "pyexecjs", "jsbeautifier")
# The one sanctioned use: `xepcodec validate --jobs N` runs copies of xepcodec itself to
# check files in parallel.  It is the command line, never a path that received data takes.
ALLOWED_PROCESSES = {("cli.py", "multiprocessing")}
IMPORTS = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w., ]+))", re.MULTILINE)


def library_sources() -> list[tuple[str, str]]:
    return [(path.relative_to(LIBRARY).as_posix(), path.read_text("utf-8"))
            for path in sorted(LIBRARY.rglob("*.py"))]


def test_the_source_search_sees_the_library() -> None:
    names = [name for name, _ in library_sources()]
    assert "protocols/cookies.py" in names and "machines/cookies.py" in names
    assert "model/compiler.py" in names


def test_no_library_code_runs_processes_or_evaluates_received_code() -> None:
    counts: dict[tuple[str, str], int] = {}
    for name, source in library_sources():
        for line in source.splitlines():
            code = line.split("#", 1)[0]
            found = PROCESSES.search(code)
            assert found is None or (name, found.group(0)) in ALLOWED_PROCESSES, \
                f"{name}: {line.strip()}"
            for match in DYNAMIC_CODE.finditer(code):
                key = (name, match.group(1))
                counts[key] = counts.get(key, 0) + 1
    assert counts == ALLOWED_DYNAMIC_CODE


def test_no_library_code_imports_a_javascript_engine() -> None:
    for name, source in library_sources():
        for match in IMPORTS.finditer(source):
            modules = match.group(1) or match.group(2)
            for module in modules.split(","):
                top = module.strip().split(" ")[0].split(".")[0].lower()
                assert top not in JS_ENGINES, f"{name} imports {module.strip()}"
                assert top not in ("subprocess", "multiprocessing", "pty", "ctypes") or (
                    name, top) in ALLOWED_PROCESSES, name


def test_the_source_search_would_catch_what_it_looks_for() -> None:
    assert PROCESSES.search("import subprocess")
    assert PROCESSES.search("os.system('ls')")
    assert PROCESSES.search("os.execvp(x)")
    assert DYNAMIC_CODE.search("value = eval(text)")
    assert DYNAMIC_CODE.search("exec (text)")
    assert not DYNAMIC_CODE.search("pattern = re.compile(x)")
    assert not DYNAMIC_CODE.search("self.exec_(x)")
    match = IMPORTS.search("from js2py import eval_js")
    assert match is not None and match.group(1) == "js2py"


HOSTILE = [
    f"""<presence xmlns='jabber:client' from='mallory@evil.example/x'>
      <set-cookies xmlns='{NS}'><a js='true'>require('fs').readFileSync('/etc/passwd')</a>
      <b js='1'>process.exit(1)</b><c>plain</c></set-cookies></presence>""",
    f"""<iq xmlns='jabber:client' type='result' id='h' from='mallory@evil.example/x'>
      <query xmlns='urn:example:unknown'><set-cookies xmlns='{NS}'>
      <d js='true'>__import__('os').system('id')</d></set-cookies></query></iq>""",
]


class _Watcher:
    """A meta path finder that records every module imported while it is installed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def find_spec(self, name: str, path: object, target: ModuleType | None = None
                  ) -> ModuleSpec | None:
        self.seen.append(name)
        return None


@pytest.mark.parametrize("keep", [False, True])
def test_handling_scripts_runs_nothing(monkeypatch: pytest.MonkeyPatch, keep: bool) -> None:
    stanzas = [parse(xml) for xml in HOSTILE]
    # Warm up: the model compiles its decoders and encoders on first use.
    CookieJar(keep_inert_scripts=keep).receive(stanzas[0])
    warm = CookieJar(keep_inert_scripts=keep)
    for stanza in stanzas:
        warm.receive(stanza)
    serialize(warm.decorate(Message(to=JULIET)))
    CookieJar.restore(warm.snapshot())

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cookie jar tried to run something")

    for module, names in [(subprocess, ["Popen", "run", "call", "check_output"]),
                          (os, ["system", "popen", "execv", "execve", "execvp", "fork",
                                "posix_spawn", "spawnv"]),
                          (builtins, ["eval", "exec", "compile"])]:
        for name in names:
            if hasattr(module, name):
                monkeypatch.setattr(module, name, forbidden)
    watcher = _Watcher()
    sys.meta_path.insert(0, watcher)
    try:
        jar = CookieJar(keep_inert_scripts=keep)
        events = [event for stanza in stanzas for event in jar.receive(stanza)]
        decorated = jar.decorate(Message(to=JULIET))
        restored = CookieJar.restore(jar.snapshot())
    finally:
        sys.meta_path.remove(watcher)
    assert watcher.seen == []
    assert [e.name for e in events if isinstance(e, ScriptRefused)] == ["a", "b", "d"]
    assert sent(decorated) == [("c", "plain", "mallory@evil.example")]
    assert restored.snapshot() == jar.snapshot()
    assert len(jar) == (4 if keep else 1)
