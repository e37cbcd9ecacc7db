"""What the archive client's flows share: the settings, the id and random sources, the
private keys held, the requests in flight, and the building of iqs."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from xepcodec.api import serialize
from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanza_errors import StanzaError
from xepcodec.core.stanzas import Iq, IqType
from xepcodec.crypto import PublicKey, UnconfirmedKeyError, key_name
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ProtocolError
from xepcodec.machines.archive_client.events import (
    CollectionId,
    RequestFailed,
    RequestKind,
    StanzaTooLargeError,
)
from xepcodec.machines.archive_client.requests import Context, Requests
from xepcodec.machines.base import as_jid
from xepcodec.protocols.archive import Chat, Save

__all__ = ["Settings", "Shared", "describe", "failed", "private_key_name", "saved_version"]


@dataclass(frozen=True, slots=True)
class Settings:
    """How one client talks (see :class:`~xepcodec.machines.archive_client.ArchiveClient`)."""

    jid: JID
    namespace: str
    service: JID | None
    max_stanza_bytes: int
    algorithm: str
    key_transport: str
    allow_legacy: bool
    lenient: bool


class Shared:
    """The client's settings, sources, keyring and requests, handed to every flow."""

    __slots__ = ("ids", "keyring", "random", "requests", "settings")

    def __init__(self, settings: Settings, ids: Callable[[], str],
                 random: Callable[[int], bytes] | None, requests: Requests) -> None:
        self.settings = settings
        self.ids = ids
        self.random = random
        self.requests = requests
        # Private keys, by the name of their public key.  Never saved.
        self.keyring: dict[str, RSAPrivateKey] = {}

    @property
    def namespace(self) -> str:
        return self.settings.namespace

    @property
    def limit(self) -> int:
        return self.settings.max_stanza_bytes

    def iq(self, type: IqType, payload: Any, *, to: JID | None = None,
           id: str | None = None) -> Iq:
        return Iq(namespace=CLIENT, type=type, id=self.ids() if id is None else id,
                  to=self.settings.service if to is None else to, from_=self.settings.jid,
                  extensions=(payload,))

    def track(self, iq: Iq, context: Context) -> Iq:
        return self.requests.track(iq, context)

    def chat(self, collection: CollectionId, **fields: Any) -> Chat:
        return Chat(namespace=self.namespace, with_=collection.with_, start=collection.start,
                    **fields)

    def save_iq(self, chat: Chat, id: str | None = None) -> Iq:
        return self.iq(IqType.SET, Save(namespace=self.namespace, chat=chat), id=id)

    def check_size(self, iq: Iq, what: str) -> Iq:
        size = len(serialize(iq))
        if size > self.limit:
            raise StanzaTooLargeError(f"{what} makes a {size}-byte iq, over the limit of "
                                      f"{self.limit} bytes")
        return iq

    def need_random(self, what: str) -> Callable[[int], bytes]:
        if self.random is None:
            raise ProtocolError(f"{what} needs random octets: give the client a random "
                                "source (random=os.urandom)")
        return self.random

    def new_key_name(self, random: Callable[[int], bytes]) -> str:
        return "key-" + base64.urlsafe_b64encode(random(12)).decode("ascii")

    @staticmethod
    def collection(with_: JID | str, start: datetime) -> CollectionId:
        return CollectionId(as_jid(with_, "with_"), start)

    @staticmethod
    def check_recipients(recipients: Sequence[PublicKey]) -> None:
        if not recipients:
            raise ValueError("an encrypted upload needs at least one recipient public key: "
                             "with none, nobody could ever decrypt it")
        for recipient in recipients:
            if not isinstance(recipient, PublicKey):
                raise TypeError(f"a recipient is a PublicKey, not {type(recipient).__name__}")
            if not recipient.confirmed:
                raise UnconfirmedKeyError(recipient.name)


def describe(error: StanzaError | None) -> str:
    if error is None:
        return "no usable answer"
    text = f": {error.text}" if error.text else ""
    return f"the server answered {error.condition}{text}"


def failed(request: RequestKind, collection: CollectionId | None, error: StanzaError | None,
           reason: str | None = None) -> RequestFailed:
    return RequestFailed(request, collection, error, describe(error) if reason is None
                         else reason)


def saved_version(answer: Iq) -> int | None:
    payload = answer.payload
    if isinstance(payload, Save):
        return payload.chat.version
    if isinstance(payload, Chat):
        return payload.version
    return None


def private_key_name(private_key: RSAPrivateKey) -> str:
    return key_name(private_key.public_key())
