"""JSON text (RFC 8259) as XMPP carries it: read strictly, within limits, and written
canonically.

XEP-0335 puts JSON in the character data of an element, so a receiver reads text from
an untrusted peer.  :func:`load_json` is the one reader every JSON-carrying protocol of
the library uses; it accepts what RFC 8259 calls a JSON text and refuses the rest:

* an empty text, or one of whitespace only (the empty string is no JSON text);
* anything Python's :mod:`json` would accept beyond the RFC: ``NaN``, ``Infinity`` and
  ``-Infinity``;
* an object naming a member twice (RFC 8259 §4 leaves its meaning to the receiver, and
  receivers disagree, so a peer could show two readers two different objects);
* a string holding a lone surrogate escape (``"\\ud800"``): the grammar allows it, but it
  spells no Unicode text (§8.2), cannot be written back as UTF-8, and readers disagree
  on it.

Those are ``bad-request``.  Nesting deeper than :attr:`JsonLimits.max_depth` and text
longer than :attr:`JsonLimits.max_length` are ``policy-violation``, as XML's limits are
(:class:`xepcodec.xml.Limits`); the depth is measured by a scan of the brackets before
the text reaches :func:`json.loads`, which recurses once per level and would otherwise
meet Python's recursion limit on a hostile input.  A number with more digits than Python
converts (:func:`sys.get_int_max_str_digits`) is ``policy-violation`` as well.

The text is UTF-8 because XMPP is (RFC 6120 §11.6): an XML parser has decoded it before
it gets here, so the encoding rule of XEP-0335 needs no check of its own.

:func:`dump_json` writes a value canonically: no insignificant whitespace, non-ASCII
characters as themselves (escaped only where XML could not carry them), and no ``NaN``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError

__all__ = [
    "DEFAULT_JSON_LIMITS",
    "JsonLimits",
    "JsonTextError",
    "check_json",
    "dump_json",
    "load_json",
]


@dataclass(frozen=True, slots=True)
class JsonLimits:
    """Bounds on one JSON text; going past either is a ``policy-violation``.

    The defaults are generous for messages (XEP-0335 means JSON for "small pieces of
    generic data") and keep the cost of reading a hostile text small.
    """

    #: Nesting of arrays and objects, a text that is a bare value being 0 deep.
    max_depth: int = 64
    #: Characters of the whole text, whitespace included.
    max_length: int = 256 * 1024

    def __post_init__(self) -> None:
        for name in ("max_depth", "max_length"):
            value = getattr(self, name)
            if type(value) is not int:
                raise ArgumentTypeError(f"JsonLimits.{name} must be an int, not "
                                        f"{type(value).__name__}")
            if value < 1:
                raise ArgumentValueError(f"JsonLimits.{name} must be positive, not {value}")


#: The limits every parse applies.
DEFAULT_JSON_LIMITS: Final = JsonLimits()


class JsonTextError(ParseError):
    """A text that is not strict JSON (``bad-request``) or that goes past the limits
    (``policy-violation``); ``rule`` names the rule it breaks."""

    def __init__(self, message: str, *, rule: str, condition: str = "bad-request") -> None:
        self.rule = rule
        super().__init__(message, condition=condition, stream=False)


class _Refused(Exception):
    """Raised inside :func:`json.loads`'s hooks, so that it is told from its own errors."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused("duplicate-member",
                               f"an object names the member {key!r} twice")
            seen.add(key)
    return found


def _no_constant(name: str) -> Any:
    raise _Refused("not-a-number", f"{name} is not a JSON value (RFC 8259 §6)")


# A JSON string, matched possessively so that an unterminated one costs one pass.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters XML 1.0 cannot carry, which JSON may still hold in a string.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _depth(text: str, limit: int) -> int:
    """The nesting depth of ``text`` as its brackets outside strings say, counted up to
    ``limit + 1`` at most."""
    if text.count("[") + text.count("{") <= limit:
        return 0  # cannot be deeper than the limit, whatever the strings hold
    depth = 0
    for bracket in _BRACKETS.finditer(_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > limit:
                return depth
        else:
            depth -= 1
    return depth


def _lone_surrogate(value: Any) -> str | None:
    """A string (member name or value) of ``value`` holding a surrogate, or None.
    :func:`json.loads` joins escaped pairs, so any surrogate left is a lone one."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return item
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


def load_json(text: str, limits: JsonLimits = DEFAULT_JSON_LIMITS) -> Any:
    """The value the JSON text ``text`` spells, or :class:`JsonTextError` naming the rule
    it breaks (see the module's documentation for the rules)."""
    if not isinstance(text, str):
        raise ArgumentTypeError(f"a JSON text is a str, not {type(text).__name__}")
    if len(text) > limits.max_length:
        raise JsonTextError(f"the JSON text is {len(text)} characters long, more than the "
                            f"{limits.max_length} allowed", rule="max-length",
                            condition="policy-violation")
    if not text.strip(" \t\n\r"):
        raise JsonTextError("the JSON text is empty, which is no JSON value (XEP-0335 §4)",
                            rule="empty")
    if _depth(text, limits.max_depth) > limits.max_depth:
        raise JsonTextError(f"the JSON text nests arrays and objects more than "
                            f"{limits.max_depth} deep", rule="max-depth",
                            condition="policy-violation")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Refused as refused:
        raise JsonTextError(refused.message, rule=refused.rule) from None
    except json.JSONDecodeError as error:
        raise JsonTextError(f"not a JSON text (RFC 8259): {error.msg} at line {error.lineno} "
                            f"column {error.colno}", rule="syntax") from None
    except ValueError as error:  # an integer longer than Python converts
        raise JsonTextError(f"the JSON text holds a number too long to read: {error}",
                            rule="number-length", condition="policy-violation") from None
    lone = _lone_surrogate(value)
    if lone is not None:
        raise JsonTextError(f"the string {lone!r} holds a lone surrogate escape, which "
                            "spells no Unicode text (RFC 8259 §8.2)", rule="lone-surrogate")
    return value


def check_json(text: str, limits: JsonLimits = DEFAULT_JSON_LIMITS) -> None:
    """:func:`load_json` without the value: :class:`JsonTextError` unless ``text`` is a
    JSON text within ``limits``."""
    load_json(text, limits)


def _escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def dump_json(value: Any, limits: JsonLimits = DEFAULT_JSON_LIMITS) -> str:
    """The canonical JSON text for ``value`` (dicts, lists, tuples, str, int, float,
    bool and None, converted as :func:`json.dumps` converts them), which
    :func:`load_json` reads back within ``limits``.

    :class:`~xepcodec.errors.ArgumentTypeError` for a value JSON cannot hold;
    :class:`~xepcodec.errors.ArgumentValueError` for NaN or an infinity, a circular
    structure, or a text :func:`load_json` would refuse (too deep, too long, a lone
    surrogate).
    """
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except TypeError as error:
        raise ArgumentTypeError(str(error)) from None
    except RecursionError:
        raise ArgumentValueError(f"the value nests deeper than the {limits.max_depth} "
                                 "levels allowed") from None
    except ValueError as error:  # NaN, an infinity, a cycle
        raise ArgumentValueError(str(error)) from None
    # Only a string can hold such a character, where an escape means the same.
    text = _NOT_XML.sub(_escape, text)
    try:
        load_json(text, limits)
    except JsonTextError as error:
        raise ArgumentValueError(error.message) from None
    return text
