"""A deterministic mutator for XML stanzas: the same seed gives the same inputs.

Each mutation is one small, plausible damage: a flipped byte, a truncation, a tag
duplicated or deleted, an attribute value or name changed, a namespace swapped for
another one the library knows, or a token that tends to matter (an unclosed tag, an
entity, a prefix) inserted.  Mutations stack: ``mutants`` applies one to three to
each seed it picks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from random import Random
from typing import Final

__all__ = ["MUTATIONS", "mutants", "mutate"]

_TAG: Final = re.compile(rb"<[^<>]*>")
_ELEMENT: Final = re.compile(rb"<([A-Za-z_][\w.:-]*)[^<>]*?(?:/>|>[^<]*</\1\s*>)")
_ATTRIBUTE: Final = re.compile(rb"""([\w.:-]+)\s*=\s*(?:'[^']*'|"[^"]*")""")
_NAMESPACE: Final = re.compile(rb"""xmlns(?::[\w.-]+)?\s*=\s*(?:'([^']*)'|"([^"]*)")""")

#: Namespaces a swap picks from: the stanza namespaces, a few payload ones, and some
#: that nothing knows or that are not namespaces at all.
NAMESPACES: Final = (
    b"jabber:client", b"jabber:server", b"jabber:component:accept",
    b"urn:ietf:params:xml:ns:xmpp-stanzas", b"http://etherx.jabber.org/streams",
    b"http://jabber.org/protocol/disco#info", b"http://jabber.org/protocol/disco#items",
    b"jabber:x:data", b"http://jabber.org/protocol/rsm", b"urn:xmpp:ping",
    b"http://jabber.org/protocol/caps", b"http://jabber.org/protocol/commands",
    b"urn:xmpp:archive", b"http://www.w3.org/2001/04/xmlenc#", b"urn:example:unknown",
    b"", b" ", b"-", b"x",
)
#: Attribute values a change picks from: empty, stanza types, broken JIDs, numbers.
VALUES: Final = (
    b"", b" ", b"error", b"get", b"set", b"result", b"chat", b"unavailable", b"bogus",
    b"a@b/c", b"@example.com", b"example.com/", b"a@@b", b"\xc3\xa9@example.com",
    b"0", b"-1", b"99999999999999999999", b"true", b"2026-01-01T00:00:00Z", b"&amp;", b"&lt;",
)
#: Tokens an insertion picks from.
TOKENS: Final = (
    b"<", b">", b"/>", b"</", b"<x/>", b"<iq>", b"</iq>", b"&", b"&amp;", b"&#0;", b"&#x10FFFF;",
    b"<![CDATA[x]]>", b"<!--c-->", b"<?pi?>", b"p:", b"xmlns:p='urn:example:p' ", b"'", b"\"",
    b"\x00", b"\xff", b"\xc3", b"<error type='cancel'><item-not-found "
    b"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
)

Mutation = Callable[[bytes, Random], bytes]


def _flip(data: bytes, random: Random) -> bytes:
    if not data:
        return data
    at = random.randrange(len(data))
    return data[:at] + bytes([data[at] ^ (1 << random.randrange(8))]) + data[at + 1:]


def _truncate(data: bytes, random: Random) -> bytes:
    return data[:random.randrange(len(data) + 1)]


def _pick(pattern: re.Pattern[bytes], data: bytes, random: Random) -> re.Match[bytes] | None:
    found = list(pattern.finditer(data))
    return random.choice(found) if found else None


def _duplicate_tag(data: bytes, random: Random) -> bytes:
    match = _pick(random.choice((_TAG, _ELEMENT)), data, random)
    if match is None:
        return data
    return data[:match.end()] + match.group() + data[match.end():]


def _delete_tag(data: bytes, random: Random) -> bytes:
    match = _pick(random.choice((_TAG, _ELEMENT)), data, random)
    if match is None:
        return data
    return data[:match.start()] + data[match.end():]


def _change_attribute(data: bytes, random: Random) -> bytes:
    match = _pick(_ATTRIBUTE, data, random)
    if match is None:
        return data
    name = match.group(1)
    if random.random() < 0.2:  # rename it instead
        name = random.choice((b"id", b"type", b"to", b"from", b"xml:lang", b"p:x", b"var"))
    quote = b"'" if b"'" not in (value := random.choice(VALUES)) else b'"'
    return data[:match.start()] + name + b"=" + quote + value + quote + data[match.end():]


def _swap_namespace(data: bytes, random: Random) -> bytes:
    match = _pick(_NAMESPACE, data, random)
    if match is None:
        return data
    group = 1 if match.group(1) is not None else 2
    return (data[:match.start(group)] + random.choice(NAMESPACES)
            + data[match.end(group):])


def _insert(data: bytes, random: Random) -> bytes:
    at = random.randrange(len(data) + 1)
    return data[:at] + random.choice(TOKENS) + data[at:]


#: Every mutation, by name.
MUTATIONS: Final[dict[str, Mutation]] = {
    "flip": _flip,
    "truncate": _truncate,
    "duplicate tag": _duplicate_tag,
    "delete tag": _delete_tag,
    "change attribute": _change_attribute,
    "swap namespace": _swap_namespace,
    "insert": _insert,
}
# Truncation destroys most of an input: it is picked less often than the others.
_WEIGHTS: Final = tuple(1 if name == "truncate" else 3 for name in MUTATIONS)


def mutate(data: bytes, random: Random, steps: int = 1) -> bytes:
    """``data`` after ``steps`` mutations chosen by ``random``."""
    for _ in range(steps):
        mutation = random.choices(tuple(MUTATIONS.values()), _WEIGHTS)[0]
        data = mutation(data, random)
    return data


def mutants(seeds: Sequence[bytes], count: int, seed: int) -> Iterator[bytes]:
    """``count`` mutants of the ``seeds``, the same ones for the same ``seed``."""
    random = Random(seed)
    for _ in range(count):
        yield mutate(random.choice(seeds), random, random.randint(1, 3))
