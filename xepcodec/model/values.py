"""Value kinds: how one attribute or text value is read from and written to XML.

A value kind turns the string XML carries into a Python value and back.  It raises
``ValueError`` with a sentence a person understands; the codec adds the node and the
condition.  Kinds also carry the constraints that the hypothesis strategies in
:mod:`xepcodec.testing` read, so a kind says once what its values may be.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Generic, TypeVar

from xepcodec.datatypes import dates as xep82
from xepcodec.datatypes.jid import JID

__all__ = [
    "BASE64",
    "BOOLEAN",
    "DATE",
    "DATETIME",
    "INTEGER",
    "JID_VALUE",
    "STRING",
    "TIME",
    "Base64Binary",
    "Boolean",
    "DateTimeValue",
    "DateValue",
    "EnumValue",
    "Integer",
    "JIDValue",
    "String",
    "TimeValue",
    "Value",
    "value_for",
]

T = TypeVar("T")

# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Value(ABC, Generic[T]):
    """Base of the value kinds: each says how to :meth:`parse` and :meth:`format`, and
    what a constructor stores for an argument (:meth:`coerce`)."""

    __slots__ = ()
    #: a short name used in error messages ("an integer", "a JID")
    description = "a value"

    @property
    def exact_type(self) -> type | None:
        """The class whose instances a constructor stores without calling :meth:`coerce`
        (the kind constrains them no further), or None when every value is checked."""
        return None

    def coerce(self, value: Any) -> T:
        """The value a constructor stores for the argument ``value``: ``value`` itself,
        or what it converts to (a str for a JID); TypeError for a value of the wrong
        type, ValueError for one the kind does not allow.  By default, a value
        :meth:`format` can write."""
        self.format(value)
        stored: T = value
        return stored

    @abstractmethod
    def parse(self, text: str) -> T:
        """The value ``text`` spells; ValueError when it spells none."""

    @abstractmethod
    def format(self, value: T) -> str:
        """The text for ``value``; ValueError when XML cannot carry it."""


@dataclass(frozen=True, slots=True)
class String(Value[str]):
    """Any text XML can carry, optionally bounded and patterned.

    ``pattern`` is a regular expression the whole value must match (say, an NCName);
    ``min_length`` lets a schema's ``minLength='1'`` be said in the model too.
    """

    min_length: int = 0
    max_length: int | None = None
    pattern: str | None = None
    description = "a string"

    def parse(self, text: str) -> str:
        self._check(text)
        return text

    def format(self, value: str) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected a str, got {type(value).__name__}")
        if _NOT_XML.search(value):
            raise ValueError(f"{value!r} holds a character XML 1.0 cannot carry")
        self._check(value)
        return value

    @property
    def exact_type(self) -> type | None:
        return str if self.min_length == 0 and self.max_length is None and \
            self.pattern is None else None

    def coerce(self, value: Any) -> str:
        # Which characters XML can carry is left to the writer, which reads every
        # character anyway to escape it.
        if not isinstance(value, str):
            raise TypeError(f"expected a str, not {type(value).__name__}")
        self._check(value)
        return value

    def _check(self, text: str) -> None:
        if len(text) < self.min_length:
            raise ValueError("the value is empty" if self.min_length == 1 else
                             f"the value is shorter than {self.min_length} characters")
        if self.max_length is not None and len(text) > self.max_length:
            raise ValueError(f"the value is longer than {self.max_length} characters")
        if self.pattern is not None and re.fullmatch(self.pattern, text) is None:
            raise ValueError(f"{text!r} does not match the pattern {self.pattern}")


# XML Schema's integer lexical space: optional sign, digits, surrounding whitespace
# collapsed by the schema processor (so we allow it too, as libxml2 does).
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


@dataclass(frozen=True, slots=True)
class Integer(Value[int]):
    """An XML Schema integer, optionally bounded (``minimum=0`` is nonNegativeInteger)."""

    minimum: int | None = None
    maximum: int | None = None
    description = "an integer"

    def parse(self, text: str) -> int:
        if text.isascii() and text.isdigit():  # the common case, without the regex
            return self._check(int(text))
        if _INTEGER.fullmatch(text) is None:
            raise ValueError(f"{text!r} is not an integer")
        return self._check(int(text))

    def format(self, value: int) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an int, got {type(value).__name__}")
        return str(self._check(value))

    @property
    def exact_type(self) -> type | None:
        return int if self.minimum is None and self.maximum is None else None

    def coerce(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an int, not {type(value).__name__}")
        return self._check(value)

    def _check(self, value: int) -> int:
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{value} is above the maximum {self.maximum}")
        return value


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True, slots=True)
class Boolean(Value[bool]):
    """XML Schema's boolean: ``true``/``false``/``1``/``0`` read, ``true``/``false`` written."""

    description = "a boolean"

    def parse(self, text: str) -> bool:
        try:
            return _BOOLEANS[text.strip()]
        except KeyError:
            raise ValueError(f"{text!r} is not a boolean (true, false, 1 or 0)") from None

    def format(self, value: bool) -> str:
        if not isinstance(value, bool):
            raise ValueError(f"expected a bool, got {type(value).__name__}")
        return "true" if value else "false"

    @property
    def exact_type(self) -> type | None:
        return bool

    def coerce(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected a bool, not {type(value).__name__}")
        return value


@dataclass(frozen=True, slots=True)
class DateTimeValue(Value[datetime]):
    """An XEP-0082 DateTime, always with its zone."""

    description = "an XEP-0082 date-time"

    def parse(self, text: str) -> datetime:
        return xep82.parse_datetime(text)

    def format(self, value: datetime) -> str:
        return xep82.format_datetime(value)

    def coerce(self, value: Any) -> datetime:
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, not {type(value).__name__}")
        if value.utcoffset() is None:
            raise ValueError("an XEP-0082 date-time needs a time zone; this datetime is naive")
        return value


@dataclass(frozen=True, slots=True)
class DateValue(Value[date]):
    """An XEP-0082 Date."""

    description = "an XEP-0082 date"

    def parse(self, text: str) -> date:
        return xep82.parse_date(text)

    def format(self, value: date) -> str:
        return xep82.format_date(value)

    @property
    def exact_type(self) -> type | None:
        return date

    def coerce(self, value: Any) -> date:
        if isinstance(value, datetime) or not isinstance(value, date):
            # A datetime is a date to Python, but its time would be lost on the way.
            raise TypeError(f"expected a date, not {type(value).__name__}")
        return value


@dataclass(frozen=True, slots=True)
class TimeValue(Value[time]):
    """An XEP-0082 Time."""

    description = "an XEP-0082 time"

    def parse(self, text: str) -> time:
        return xep82.parse_time(text)

    def format(self, value: time) -> str:
        return xep82.format_time(value)

    @property
    def exact_type(self) -> type | None:
        return time

    def coerce(self, value: Any) -> time:
        if not isinstance(value, time):
            raise TypeError(f"expected a time, not {type(value).__name__}")
        return value


@dataclass(frozen=True, slots=True)
class JIDValue(Value[JID]):
    """A JID (RFC 7622); a malformed one is a ``jid-malformed`` error."""

    description = "a JID"

    def parse(self, text: str) -> JID:
        return JID.parse(text)

    def format(self, value: JID) -> str:
        if not isinstance(value, JID):
            raise ValueError(f"expected a JID, got {type(value).__name__}")
        return str(value)

    @property
    def exact_type(self) -> type | None:
        return JID

    def coerce(self, value: Any) -> JID:
        if isinstance(value, JID):
            return value
        if isinstance(value, str):
            return JID.parse(value)  # a malformed one is a JIDError
        raise TypeError(f"expected a JID or a str to parse as one, not {type(value).__name__}")


# XML Schema's base64Binary: the alphabet, padding, and whitespace anywhere (keys and
# ciphertexts are often folded into lines), nothing else.
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


@dataclass(frozen=True, slots=True)
class Base64Binary(Value[bytes]):
    """Octets carried as Base64 (XML Schema ``base64Binary``): ciphertexts, key moduli.

    Whitespace is ignored on reading, as the schema type allows; writing gives one
    unbroken line.  ``min_length`` counts decoded octets.
    """

    min_length: int = 0
    description = "Base64 data"

    def parse(self, text: str) -> bytes:
        if _BASE64.fullmatch(text) is None:
            raise ValueError("the value holds characters Base64 does not use")
        try:
            data = base64.b64decode("".join(text.split()), validate=True)
        except binascii.Error:
            raise ValueError("the value is not well-formed Base64 (its length or "
                             "padding is wrong)") from None
        if len(data) < self.min_length:
            raise ValueError(f"the value decodes to fewer than {self.min_length} octets")
        return data

    def format(self, value: bytes) -> str:
        if not isinstance(value, (bytes, bytearray)):
            raise ValueError(f"expected bytes, got {type(value).__name__}")
        if len(value) < self.min_length:
            raise ValueError(f"the value is shorter than {self.min_length} octets")
        return base64.b64encode(value).decode("ascii")

    @property
    def exact_type(self) -> type | None:
        return bytes if self.min_length == 0 else None

    def coerce(self, value: Any) -> bytes:
        if isinstance(value, bytearray | memoryview):
            value = bytes(value)  # a frozen object keeps no buffer that can change
        if not isinstance(value, bytes):
            raise TypeError(f"expected bytes, not {type(value).__name__}")
        if len(value) < self.min_length:
            raise ValueError(f"the value is shorter than {self.min_length} octets")
        return value


E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True, slots=True)
class EnumValue(Value[E]):
    """One of a closed set of strings, as a Python :class:`enum.Enum` whose values are
    the XML strings."""

    enum: type[E]
    description = "one of a fixed set of values"

    def parse(self, text: str) -> E:
        try:
            return self.enum._value2member_map_[text]  # type: ignore[return-value]
        except KeyError:
            allowed = ", ".join(str(member.value) for member in self.enum)
            raise ValueError(f"{text!r} is not one of: {allowed}") from None

    def format(self, value: E) -> str:
        if not isinstance(value, self.enum):
            # A plain string that names a member is accepted: callers write type="get".
            value = self.parse(value) if isinstance(value, str) else value
            if not isinstance(value, self.enum):
                raise ValueError(f"expected a {self.enum.__name__}, got {type(value).__name__}")
        return str(value.value)

    @property
    def exact_type(self) -> type | None:
        return self.enum

    def coerce(self, value: Any) -> E:
        if isinstance(value, self.enum):
            return value
        if isinstance(value, str):
            return self.parse(value)  # the member it names: type="get" is IqType.GET
        raise TypeError(f"expected a {self.enum.__name__} or the str of one, not "
                        f"{type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Language(String):
    """``xml:lang``: a language tag (XSD's ``language``, which trims the whitespace
    around it) or the empty string, which XML uses to say "no language"."""

    pattern: str | None = r"[ \t\r\n]*[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*[ \t\r\n]*|"
    description = "a language tag (BCP 47) or empty"

    def _check(self, text: str) -> None:
        if re.fullmatch(self.pattern or "", text) is None:
            raise ValueError(f"{text!r} is not a language tag")


STRING = String()
LANGUAGE = Language()
INTEGER = Integer()
BOOLEAN = Boolean()
DATETIME = DateTimeValue()
DATE = DateValue()
TIME = TimeValue()
JID_VALUE = JIDValue()
BASE64 = Base64Binary()

_BY_TYPE: dict[Any, Value[Any]] = {
    str: STRING,
    int: INTEGER,
    bool: BOOLEAN,
    datetime: DATETIME,
    date: DATE,
    time: TIME,
    JID: JID_VALUE,
    bytes: BASE64,
}


def value_for(annotation: Any) -> Value[Any] | None:
    """The value kind a plain annotation implies (``str``, ``int``, ``JID``, an Enum…),
    or None when the annotation says nothing a kind can be chosen from."""
    kind = _BY_TYPE.get(annotation)
    if kind is not None:
        return kind
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return EnumValue(annotation)
    return None
