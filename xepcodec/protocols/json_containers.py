"""JSON Containers (XEP-0335): JSON text in the character data of an XMPP element.

``<json xmlns='urn:xmpp:json:0'>`` (:class:`JsonContainer`) holds one JSON text and
nothing else; another element gives it its meaning (an item of XEP-0060, the payload of
XEP-0432's Simple JSON Messaging), as the XEP asks.

The text is kept exactly as received, whitespace and spelling of numbers included, so an
object is written back byte for byte as it came; :attr:`JsonContainer.value` reads the
Python value from it.  :meth:`JsonContainer.of` makes a container from a Python value,
written canonically (:func:`~xepcodec.datatypes.json_text.dump_json`).

Rules checked (whenever a container is made: parsed, validated or constructed): the text
is a JSON text as :func:`~xepcodec.datatypes.json_text.load_json` reads it, which is
RFC 8259 strictly (XEP-0335 names RFC 4627, which RFC 8259 replaced), never empty, with
no member named twice, no ``NaN`` or infinities and no lone surrogate, all
``bad-request``; and within :data:`~xepcodec.datatypes.json_text.DEFAULT_JSON_LIMITS`
(depth and length), ``policy-violation``.  The XSD cannot say what JSON is, so the schema
only says the element holds text; the model's check runs in ``validate`` too.

The value is decoded again on every access: it is made of mutable lists and dicts, and a
value shared between callers could be changed by one under another's feet.
"""

from __future__ import annotations

from typing import Any, Final

from xepcodec.datatypes.json_text import (
    DEFAULT_JSON_LIMITS,
    JsonLimits,
    JsonTextError,
    check_json,
    dump_json,
    load_json,
)
from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.model import element, text
from xepcodec.model.values import Value

__all__ = ["JSON_TEXT", "NS_JSON", "JsonContainer", "JsonText"]

#: The namespace of the container.
NS_JSON: Final = "urn:xmpp:json:0"


class JsonText(Value[str]):
    """The value kind of a JSON text: the string itself, checked by
    :func:`~xepcodec.datatypes.json_text.load_json` within the default limits.  A
    refusal while parsing keeps its condition (``bad-request`` or
    ``policy-violation``)."""

    __slots__ = ()
    description = "a JSON text (RFC 8259)"

    def parse(self, text: str) -> str:
        check_json(text)  # JsonTextError, a ParseError the decoder places
        return text

    def format(self, value: str) -> str:
        return self.coerce(value)

    def coerce(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"expected a JSON text as a str, not {type(value).__name__}")
        try:
            check_json(value)
        except JsonTextError as error:
            raise ValueError(error.message) from None
        return value


#: The one instance of :class:`JsonText` the declarations use.
JSON_TEXT: Final = JsonText()


@element(NS_JSON, "json")
class JsonContainer:
    """A JSON text, kept as written; :attr:`value` is what it spells."""

    text: str = text(value=JSON_TEXT)

    @property
    def value(self) -> Any:
        """The Python value of the text (dicts, lists, str, int, float, bool, None),
        decoded anew on each access."""
        return load_json(self.text)

    def load(self, limits: JsonLimits) -> Any:
        """The value, held to ``limits`` tighter than the defaults every container is
        held to; :class:`~xepcodec.datatypes.json_text.JsonTextError`
        (``policy-violation``) when the text goes past them."""
        if not isinstance(limits, JsonLimits):
            raise ArgumentTypeError(f"JsonContainer.load takes JsonLimits, not "
                                    f"{type(limits).__name__}")
        return load_json(self.text, limits)

    @classmethod
    def of(cls, value: Any, *, limits: JsonLimits = DEFAULT_JSON_LIMITS) -> JsonContainer:
        """A container holding ``value`` written canonically: no insignificant white
        space, non-ASCII characters unescaped.  :class:`~xepcodec.errors.ArgumentTypeError`
        for a value JSON cannot hold, :class:`~xepcodec.errors.ArgumentValueError` for
        NaN, an infinity, a lone surrogate, a cycle, or a text past ``limits``."""
        try:
            written = dump_json(value, limits)
        except ArgumentTypeError as error:
            raise ArgumentTypeError(f"JsonContainer.of: {error}") from None
        except ArgumentValueError as error:
            raise ArgumentValueError(f"JsonContainer.of: {error}") from None
        return cls(text=written)
