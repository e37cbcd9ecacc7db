"""Simple JSON Messaging (XEP-0432): application data as JSON, typed by a URI.

A message carries one or more ``<payload xmlns='urn:xmpp:json-msg:0' datatype='…'>``
(:class:`JsonPayload`), each holding exactly one XEP-0335 ``<json/>``
(:class:`~xepcodec.protocols.json_containers.JsonContainer`).  The datatype names the
kind of data the way a namespace names XML: an identifier compared as a whole, never
resolved.  This module follows version 0.1.1 of the XEP; the ProtoXEP 0.0.2 it was
published from has the same namespace, element, attribute and feature form, so both are
read alike.

Rules checked: the datatype is present and, as an XML namespace name, an absolute URI
(a scheme, a colon, no white space or control character); the payload holds exactly one
``<json/>``, whose text follows XEP-0335's rules, and nothing else.

The API the XEP asks libraries for ("JSON Message" in its terms):

* :func:`json_message` sends a value under a datatype, :func:`read_json_payloads` and
  :func:`json_values` read a message's values by datatype;
* :class:`JsonDatatypes` holds the datatypes an application listens for and gives the
  disco#info features to advertise for them (the XEP's ``urn:xmpp:json-msg:0`` and one
  ``urn:xmpp:json-msg:0#<datatype>`` each), :func:`peer_datatypes` reads them back from
  a peer's disco#info answer;
* :class:`JsonSchemas` checks the values of chosen datatypes against JSON Schemas the
  caller supplies.  It needs the optional ``jsonschema`` package
  (``pip install xepcodec[json]``), imported only when a JsonSchemas is made.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from xepcodec.core.stanzas import Body, Message, MessageType
from xepcodec.datatypes.jid import JID
from xepcodec.datatypes.json_text import DEFAULT_JSON_LIMITS, JsonLimits
from xepcodec.errors import ArgumentTypeError, ArgumentValueError, ParseError, XepCodecError
from xepcodec.model import attr, child, element
from xepcodec.model.values import String
from xepcodec.protocols.disco import InfoQuery
from xepcodec.protocols.json_containers import JsonContainer

__all__ = [
    "DATATYPE",
    "NS_JSON_MESSAGING",
    "JsonDatatypes",
    "JsonPayload",
    "JsonSchemaError",
    "JsonSchemaUnavailableError",
    "JsonSchemas",
    "datatype_feature",
    "json_message",
    "json_values",
    "peer_datatypes",
    "read_json_payloads",
]

#: The namespace of the payload, which is also the disco#info feature of an entity
#: taking JSON messages at all.
NS_JSON_MESSAGING: Final = "urn:xmpp:json-msg:0"
_FEATURE_PREFIX: Final = f"{NS_JSON_MESSAGING}#"


@dataclass(frozen=True, slots=True)
class _Datatype(String):
    """A datatype: what XML namespace names are, an absolute URI (relative ones are
    deprecated as namespace names), so a scheme, a colon and no white space or control
    character."""

    # No control character either: a datatype is written in an attribute.
    pattern: str | None = (r"[A-Za-z][A-Za-z0-9+.\-]*:"
                           r"[^\x00-\x20\x7f-\x9f\ud800-\udfff\ufffe\uffff]+")
    description = "a datatype URI"

    def _check(self, text: str) -> None:
        if re.fullmatch(self.pattern or "", text) is None:
            raise ValueError(f"{text!r} is not a datatype: an absolute URI such as "
                             "'urn:example:score' (a scheme, a colon, no white space or control "
                             "character)")


#: The value kind of a datatype.
DATATYPE: Final = _Datatype()


@element(NS_JSON_MESSAGING, "payload")
class JsonPayload:
    """One JSON value of the kind ``datatype`` names."""

    datatype: str = attr(value=DATATYPE)
    json: JsonContainer = child(JsonContainer)

    @property
    def value(self) -> Any:
        """The Python value the payload carries, decoded anew on each access."""
        return self.json.value

    @classmethod
    def of(cls, datatype: str, value: Any, *,
           limits: JsonLimits = DEFAULT_JSON_LIMITS) -> JsonPayload:
        """A payload of ``datatype`` carrying ``value``, written as
        :meth:`JsonContainer.of <xepcodec.protocols.json_containers.JsonContainer.of>`
        writes it."""
        return cls(datatype=datatype, json=JsonContainer.of(value, limits=limits))


def _checked(datatype: object, who: str) -> str:
    """``datatype`` when it is one; the library's argument errors, naming ``who``."""
    try:
        return DATATYPE.coerce(datatype)
    except TypeError as error:
        raise ArgumentTypeError(f"{who}: {error}") from None
    except ValueError as error:
        raise ArgumentValueError(f"{who}: {error}") from None


def datatype_feature(datatype: str) -> str:
    """The disco#info feature advertising support for ``datatype``:
    ``urn:xmpp:json-msg:0#`` followed by the datatype (XEP-0432 §2.1)."""
    return _FEATURE_PREFIX + _checked(datatype, "datatype_feature")


@dataclass(frozen=True, slots=True)
class JsonDatatypes:
    """The datatypes an application takes, and the features that advertise them.

    Immutable: :meth:`with_datatypes` gives a new registry, so a registry can be shared
    and no registration changes another's answer.
    """

    datatypes: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not isinstance(self.datatypes, frozenset):
            raise ArgumentTypeError(f"JsonDatatypes.datatypes is a frozenset, not "
                                    f"{type(self.datatypes).__name__}")
        for datatype in self.datatypes:
            _checked(datatype, "JsonDatatypes")

    def with_datatypes(self, *datatypes: str) -> JsonDatatypes:
        """This registry and ``datatypes``."""
        return JsonDatatypes(self.datatypes | frozenset(datatypes))

    def __contains__(self, datatype: object) -> bool:
        return datatype in self.datatypes

    @property
    def features(self) -> tuple[str, ...]:
        """The disco#info features to advertise: the protocol's, then one per datatype
        in sorted order (a stable answer, as entity capabilities hash it)."""
        return (NS_JSON_MESSAGING, *(_FEATURE_PREFIX + datatype
                                     for datatype in sorted(self.datatypes)))


def peer_datatypes(info: InfoQuery) -> frozenset[str]:
    """The datatypes a disco#info answer advertises (empty when none; whether the entity
    takes JSON messages at all is ``info.has_feature(NS_JSON_MESSAGING)``).  A feature
    after the ``#`` that is not a datatype is ignored, not trusted."""
    if not isinstance(info, InfoQuery):
        raise ArgumentTypeError(f"peer_datatypes reads a disco#info <query/>, not "
                                f"{type(info).__name__}")
    found = set()
    for var in info.feature_vars:
        if var.startswith(_FEATURE_PREFIX):
            datatype = var[len(_FEATURE_PREFIX):]
            try:
                found.add(DATATYPE.coerce(datatype))
            except ValueError:
                continue
    return frozenset(found)


def json_message(to: JID | str, datatype: str, value: Any, *, id: str | None = None,
                 type: MessageType | None = None, body: str | None = None,
                 limits: JsonLimits = DEFAULT_JSON_LIMITS) -> Message:
    """A message to ``to`` carrying ``value`` as a payload of ``datatype``; ``body`` is
    an optional human-readable text beside it (the XEP allows the payload to be
    ancillary to a message)."""
    payload = JsonPayload.of(datatype, value, limits=limits)
    bodies = () if body is None else (Body(text=body),)
    address = JID.parse(to) if isinstance(to, str) else to
    return Message(to=address, id=id, type=type, bodies=bodies, extensions=(payload,))


def read_json_payloads(message: Message) -> Mapping[str, tuple[Any, ...]]:
    """The values ``message`` carries, by datatype, each datatype's in document order."""
    if not isinstance(message, Message):
        raise ArgumentTypeError(f"read_json_payloads reads a Message, not "
                                f"{type(message).__name__}")
    found: dict[str, list[Any]] = {}
    payload: JsonPayload
    for payload in message.find_all(JsonPayload):
        found.setdefault(payload.datatype, []).append(payload.value)
    return MappingProxyType({datatype: tuple(values) for datatype, values in found.items()})


def json_values(message: Message, datatype: str) -> tuple[Any, ...]:
    """The values of ``datatype`` that ``message`` carries, in document order."""
    if not isinstance(datatype, str):
        raise ArgumentTypeError(f"json_values takes a datatype as a str, not "
                                f"{type(datatype).__name__}")
    return read_json_payloads(message).get(datatype, ())


# -- JSON Schema ------------------------------------------------------------------------


class JsonSchemaUnavailableError(XepCodecError, ImportError):
    """The optional ``jsonschema`` package is not installed."""


class JsonSchemaError(ParseError):
    """A payload's value does not follow its datatype's JSON Schema (``bad-request``).
    ``datatype`` names the datatype, ``pointer`` the failing place in the value as an
    RFC 6901 JSON Pointer (``""`` for the whole value)."""

    def __init__(self, message: str, *, datatype: str, pointer: str,
                 path: str | None = None) -> None:
        self.datatype = datatype
        self.pointer = pointer
        super().__init__(message, condition="bad-request", path=path, stream=False)


def _pointer(parts: Iterable[str | int]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _jsonschema() -> Any:
    try:
        return importlib.import_module("jsonschema")
    except ImportError:
        raise JsonSchemaUnavailableError(
            "checking JSON payloads against a JSON Schema needs the jsonschema package: "
            "pip install 'xepcodec[json]'") from None


class JsonSchemas:
    """JSON Schemas by datatype, each checked once when given (the draft its
    ``$schema`` names, the latest one otherwise)."""

    __slots__ = ("_validators",)

    def __init__(self, schemas: Mapping[str, Mapping[str, Any] | bool]) -> None:
        if not isinstance(schemas, Mapping):
            raise ArgumentTypeError(f"JsonSchemas takes a mapping of datatype to schema, "
                                    f"not {type(schemas).__name__}")
        jsonschema = _jsonschema()
        validators: dict[str, Any] = {}
        for datatype, schema in schemas.items():
            _checked(datatype, "JsonSchemas")
            if not isinstance(schema, Mapping | bool):
                raise ArgumentTypeError(f"the JSON Schema of {datatype!r} is an object or a "
                                        f"boolean, not {type(schema).__name__}")
            kind = jsonschema.validators.validator_for(schema)
            try:
                kind.check_schema(schema)
            except jsonschema.exceptions.SchemaError as error:
                raise ArgumentValueError(f"the JSON Schema of {datatype!r} is not one: "
                                         f"{error.message}") from None
            validators[datatype] = kind(schema)
        self._validators: Mapping[str, Any] = MappingProxyType(validators)

    @property
    def datatypes(self) -> frozenset[str]:
        """The datatypes that have a schema."""
        return frozenset(self._validators)

    def errors(self, payloads: Message | Iterable[JsonPayload]) -> tuple[JsonSchemaError, ...]:
        """Every way the payloads (those of a message, or the ones given) break their
        datatype's schema, in order; payloads of other datatypes are not looked at."""
        # Placed in the message when there is one: /message/payload[n].
        place = isinstance(payloads, Message)
        if isinstance(payloads, Message):
            payloads = payloads.find_all(JsonPayload)
        found = []
        for position, payload in enumerate(payloads, 1):
            if not isinstance(payload, JsonPayload):
                raise ArgumentTypeError(f"JsonSchemas checks JsonPayload objects, not "
                                        f"{type(payload).__name__}")
            validator = self._validators.get(payload.datatype)
            if validator is None:
                continue
            errors = sorted(validator.iter_errors(payload.value),
                            key=lambda error: list(map(str, error.absolute_path)))
            for error in errors:
                pointer = _pointer(error.absolute_path)
                found.append(JsonSchemaError(
                    f"the {payload.datatype!r} value breaks its JSON Schema at "
                    f"{pointer or 'its root'!r}: {error.message}",
                    datatype=payload.datatype, pointer=pointer,
                    path=f"/message/payload[{position}]" if place else None))
        return tuple(found)

    def check(self, payloads: Message | Iterable[JsonPayload]) -> None:
        """Raise the first of :meth:`errors`, if any."""
        errors = self.errors(payloads)
        if errors:
            raise errors[0]
