"""The preferences flow of the archive client: automatic archiving turned on (encrypted
by the server, XEP-0241 §7) or off, and what the server's answer means."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Final

from xepcodec.core.stanza_errors import Condition, StanzaError
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.crypto import PublicKey, UnconfirmedKeyError
from xepcodec.machines.archive_client.events import (
    AutoArchivingSet,
    EncryptionUnsupported,
    NoPublicKey,
    RequestKind,
)
from xepcodec.machines.archive_client.requests import AutoRequest, Pending, context_of
from xepcodec.machines.archive_client.shared import Shared, failed
from xepcodec.machines.base import Event, Send, Transitions
from xepcodec.protocols.archive import Auto, Scope

__all__ = ["PREFERENCES", "AutoAnswer", "PreferenceState", "PreferencesFlow"]


class PreferenceState(enum.StrEnum):
    """Where an ``auto`` request stands (it is forgotten once answered)."""

    REQUESTED = "requested"


class AutoAnswer(enum.Enum):
    ACCEPTED = "accepted"
    #: encryption asked for, and the server does not encrypt
    ENCRYPTION_UNSUPPORTED = "feature-not-implemented"
    #: encryption asked for, and the server has no public key of the user's
    NO_PUBLIC_KEY = "not-acceptable"
    REFUSED = "refused"


_Report = Callable[[AutoRequest, "StanzaError | None"], Event]

#: What each answer reports; None: the request is over.
PREFERENCES: Final = Transitions[PreferenceState, AutoAnswer, "tuple[_Report, None]"](
    "archive client preferences", {
        (PreferenceState.REQUESTED, AutoAnswer.ACCEPTED): (
            lambda asked, _: AutoArchivingSet(asked.save, asked.encrypt or None, asked.scope),
            None),
        (PreferenceState.REQUESTED, AutoAnswer.ENCRYPTION_UNSUPPORTED): (
            lambda _, error: EncryptionUnsupported(error), None),
        (PreferenceState.REQUESTED, AutoAnswer.NO_PUBLIC_KEY): (
            lambda _, error: NoPublicKey(error), None),
        (PreferenceState.REQUESTED, AutoAnswer.REFUSED): (
            lambda _, error: failed(RequestKind.AUTO, None, error), None),
    })


class PreferencesFlow:
    """The ``auto`` requests (their state is their place among the requests in flight)."""

    __slots__ = ("shared",)

    def __init__(self, shared: Shared) -> None:
        self.shared = shared

    def enable_auto(self, *, encrypt: bool, public_keys: Sequence[PublicKey],
                    scope: Scope | None) -> list[Event]:
        if public_keys and not encrypt:
            raise ValueError("public keys are only sent with encrypt=True")
        for public_key in public_keys:
            if not public_key.confirmed:
                raise UnconfirmedKeyError(public_key.name)
        shared = self.shared
        payload = Auto(namespace=shared.namespace, save=True, scope=scope,
                       encrypt=True if encrypt else None,
                       key_infos=tuple(public_key.key_info() for public_key in public_keys))
        iq = shared.check_size(shared.iq(IqType.SET, payload), "the auto request")
        return [Send(shared.track(iq, AutoRequest(True, encrypt, scope)))]

    def disable_auto(self, *, scope: Scope | None) -> list[Event]:
        shared = self.shared
        iq = shared.iq(IqType.SET, Auto(namespace=shared.namespace, save=False, scope=scope))
        return [Send(shared.track(iq, AutoRequest(False, False, scope)))]

    @staticmethod
    def on_auto(pending: Pending, answer: Iq, error: StanzaError | None) -> list[Event]:
        context = context_of(pending, AutoRequest)
        if error is None:
            kind = AutoAnswer.ACCEPTED
        elif context.encrypt and error.condition is Condition.FEATURE_NOT_IMPLEMENTED:
            kind = AutoAnswer.ENCRYPTION_UNSUPPORTED
        elif context.encrypt and error.condition is Condition.NOT_ACCEPTABLE:
            kind = AutoAnswer.NO_PUBLIC_KEY
        else:
            kind = AutoAnswer.REFUSED
        report, _ = PREFERENCES(PreferenceState.REQUESTED, kind)
        return [report(context, error)]
