"""Stanza errors (RFC 6120 §8.3): the ``<error/>`` child and its conditions."""

from __future__ import annotations

import enum
from typing import Any, Final

from xepcodec.core.namespaces import STANZA_NAMESPACES, STANZAS, XML_LANG
from xepcodec.datatypes.jid import JID
from xepcodec.model import attr, child, element, extensions, local_name, text, xmlns
from xepcodec.model.raw import XmlFragment
from xepcodec.model.values import Integer, String

__all__ = [
    "Condition",
    "DefinedCondition",
    "ErrorText",
    "ErrorType",
    "StanzaError",
]


class ErrorType(enum.StrEnum):
    """What the sender of the erroneous stanza should do next (RFC 6120 §8.3.2)."""

    AUTH = "auth"
    CANCEL = "cancel"
    CONTINUE = "continue"
    MODIFY = "modify"
    WAIT = "wait"


class Condition(enum.StrEnum):
    """The 22 defined stanza error conditions (RFC 6120 §8.3.3)."""

    BAD_REQUEST = "bad-request"
    CONFLICT = "conflict"
    FEATURE_NOT_IMPLEMENTED = "feature-not-implemented"
    FORBIDDEN = "forbidden"
    GONE = "gone"
    INTERNAL_SERVER_ERROR = "internal-server-error"
    ITEM_NOT_FOUND = "item-not-found"
    JID_MALFORMED = "jid-malformed"
    NOT_ACCEPTABLE = "not-acceptable"
    NOT_ALLOWED = "not-allowed"
    NOT_AUTHORIZED = "not-authorized"
    POLICY_VIOLATION = "policy-violation"
    RECIPIENT_UNAVAILABLE = "recipient-unavailable"
    REDIRECT = "redirect"
    REGISTRATION_REQUIRED = "registration-required"
    REMOTE_SERVER_NOT_FOUND = "remote-server-not-found"
    REMOTE_SERVER_TIMEOUT = "remote-server-timeout"
    RESOURCE_CONSTRAINT = "resource-constraint"
    SERVICE_UNAVAILABLE = "service-unavailable"
    SUBSCRIPTION_REQUIRED = "subscription-required"
    UNDEFINED_CONDITION = "undefined-condition"
    UNEXPECTED_REQUEST = "unexpected-request"


#: The error type RFC 6120 pairs with each condition in its examples: the default when
#: the caller names only a condition.
DEFAULT_TYPES: Final[dict[Condition, ErrorType]] = {
    Condition.BAD_REQUEST: ErrorType.MODIFY,
    Condition.CONFLICT: ErrorType.CANCEL,
    Condition.FEATURE_NOT_IMPLEMENTED: ErrorType.CANCEL,
    Condition.FORBIDDEN: ErrorType.AUTH,
    Condition.GONE: ErrorType.CANCEL,
    Condition.INTERNAL_SERVER_ERROR: ErrorType.CANCEL,
    Condition.ITEM_NOT_FOUND: ErrorType.CANCEL,
    Condition.JID_MALFORMED: ErrorType.MODIFY,
    Condition.NOT_ACCEPTABLE: ErrorType.MODIFY,
    Condition.NOT_ALLOWED: ErrorType.CANCEL,
    Condition.NOT_AUTHORIZED: ErrorType.AUTH,
    Condition.POLICY_VIOLATION: ErrorType.MODIFY,
    Condition.RECIPIENT_UNAVAILABLE: ErrorType.WAIT,
    Condition.REDIRECT: ErrorType.MODIFY,
    Condition.REGISTRATION_REQUIRED: ErrorType.AUTH,
    Condition.REMOTE_SERVER_NOT_FOUND: ErrorType.CANCEL,
    Condition.REMOTE_SERVER_TIMEOUT: ErrorType.WAIT,
    Condition.RESOURCE_CONSTRAINT: ErrorType.WAIT,
    Condition.SERVICE_UNAVAILABLE: ErrorType.CANCEL,
    Condition.SUBSCRIPTION_REQUIRED: ErrorType.AUTH,
    Condition.UNDEFINED_CONDITION: ErrorType.CANCEL,
    Condition.UNEXPECTED_REQUEST: ErrorType.WAIT,
}

# Only these two conditions carry character data: the address to go to (RFC 6120 §8.3.3.5
# and §8.3.3.14).
_WITH_ADDRESS: Final = frozenset({Condition.GONE, Condition.REDIRECT})


@element(STANZAS, tuple(condition.value for condition in Condition))
class DefinedCondition:
    """One of the 22 condition elements; ``gone`` and ``redirect`` may hold an address."""

    condition: Condition = local_name()
    address: str | None = text(default=None, value=String(min_length=1))

    def __post_init__(self) -> None:
        if self.address is not None and self.condition not in _WITH_ADDRESS:
            raise ValueError(f"<{self.condition}/> holds no text; only gone and redirect "
                             "carry an address")


@element(STANZAS, "text")
class ErrorText:
    """A human-readable description of the error, in a language."""

    text: str = text()
    lang: str | None = attr(XML_LANG, default=None)


@element(STANZA_NAMESPACES, "error")
class StanzaError:
    """The ``<error/>`` child of an error stanza.

    ``StanzaError.of(Condition.ITEM_NOT_FOUND)`` builds one with the usual type; the
    fields give the whole element: the defined condition, an optional text, and at most
    one application-specific condition element in another namespace.

    Inside a stanza it takes the stanza's namespace, and ``namespace`` is None; read
    alone (or where its place would not give it its namespace) it records it, so that
    a ``jabber:server`` error is written back in ``jabber:server``.
    """

    namespace: str | None = xmlns(None)
    type: ErrorType = attr()
    by: JID | None = attr(default=None)
    #: the numeric code of the pre-RFC protocol (XEP-0086); servers still send it, so it
    #: is read and written back, never required
    code: int | None = attr(default=None, value=Integer(minimum=100, maximum=999))
    defined: DefinedCondition = child(DefinedCondition)
    description: ErrorText | None = child(ErrorText, default=None)
    application: tuple[Any, ...] = extensions()

    def __post_init__(self) -> None:
        for item in self.application:
            namespace = getattr(item, "namespace", None)
            if namespace == STANZAS:
                raise ValueError(f"<{item.name}/> is not one of the 22 defined stanza error "
                                 "conditions (RFC 6120 §8.3.3)")
            # Typed elements always have a namespace; only a raw fragment can lack one.
            if isinstance(item, XmlFragment) and not namespace:
                raise ValueError(f"the application-specific condition <{item.name}/> has no "
                                 "namespace: RFC 6120 §8.3.2 qualifies it by the "
                                 "application's own")
        if len(self.application) > 1:
            raise ValueError("a stanza error carries at most one application-specific "
                             f"condition, not {len(self.application)}")

    @classmethod
    def of(cls, condition: Condition | str, *, type: ErrorType | str | None = None,
           text: str | None = None, lang: str | None = None, by: JID | None = None,
           address: str | None = None, application: Any = None) -> StanzaError:
        """A stanza error for ``condition``; the type defaults to the one RFC 6120 uses
        with that condition."""
        condition = Condition(condition)
        return cls(
            type=ErrorType(type) if type is not None else DEFAULT_TYPES[condition],
            by=by,
            defined=DefinedCondition(condition=condition, address=address),
            description=ErrorText(text=text, lang=lang) if text is not None else None,
            application=(application,) if application is not None else (),
        )

    @property
    def condition(self) -> Condition:
        return self.defined.condition

    @property
    def text(self) -> str | None:
        return self.description.text if self.description is not None else None
