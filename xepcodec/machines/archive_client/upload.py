"""The upload flow of the archive client: messages and notes cut into ``save`` chunks
sent one after the other, and the single saves of a subject or a form."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from xepcodec.api import serialize
from xepcodec.core.stanza_errors import StanzaError
from xepcodec.core.stanzas import Iq
from xepcodec.crypto import (
    PublicKey,
    SymmetricKey,
    encrypt_collection,
    encrypt_entries,
    encrypt_octets,
    new_symmetric_key,
    wrap_key,
)
from xepcodec.datatypes.jid import JID
from xepcodec.machines.archive_client.chunks import pack
from xepcodec.machines.archive_client.events import (
    ChunkSaved,
    CollectionId,
    CollectionSaved,
    RequestKind,
    SaveKind,
    SubjectNotAcknowledgedError,
    UploadFailed,
    UploadFinished,
)
from xepcodec.machines.archive_client.requests import (
    Pending,
    SaveRequest,
    UploadChunk,
    context_of,
)
from xepcodec.machines.archive_client.shared import Shared, describe, failed, saved_version
from xepcodec.machines.base import Event, Send, Transitions
from xepcodec.protocols.archive import Entry, Link, Note
from xepcodec.protocols.dataforms import Form, FormType
from xepcodec.protocols.xmlenc import (
    CONTENT,
    CipherData,
    EncryptedData,
    EncryptedKey,
    EncryptionMethod,
    KeyInfo,
)

__all__ = ["UPLOAD", "OwnKeys", "Upload", "UploadFlow", "UploadInput", "UploadState"]


class UploadState(enum.StrEnum):
    """Where one upload stands (it is forgotten once over)."""

    #: a chunk is in flight; the later ones wait for its acknowledgement, so that no
    #: data reaches the server before its key does
    SENDING = "sending"


class UploadInput(enum.Enum):
    SAVED = "a chunk saved, another waiting"
    LAST_SAVED = "the last chunk saved"
    REFUSED = "a chunk refused"


#: None: the upload is over.
UPLOAD: Final = Transitions[UploadState, UploadInput, UploadState | None](
    "archive client upload", {
        (UploadState.SENDING, UploadInput.SAVED): UploadState.SENDING,
        (UploadState.SENDING, UploadInput.LAST_SAVED): None,
        (UploadState.SENDING, UploadInput.REFUSED): None,
    })


@dataclass(slots=True)
class Upload:
    """An upload under way: the chunks still to send, after the one in flight."""

    collection: CollectionId
    chunks: int
    waiting: list[Iq]
    #: the public keys the upload's symmetric key is wrapped for
    key_names: tuple[str, ...] = ()
    version: int | None = None
    state: UploadState = UploadState.SENDING


@dataclass(frozen=True, slots=True)
class OwnKeys:
    """A request of this client's that wraps a key for ``key_names`` was answered
    (``stored``: the keys are on the server now); what key replacement must know."""

    key_names: tuple[str, ...]
    stored: bool


class UploadFlow:
    """Uploads by the id of their first chunk, and the single saves."""

    __slots__ = ("own_keys", "shared", "uploads")

    def __init__(self, shared: Shared, own_keys: Callable[[OwnKeys], list[Event]]) -> None:
        self.shared = shared
        #: what key replacement does once an answer says where keys of ours went
        self.own_keys = own_keys
        self.uploads: dict[str, Upload] = {}

    def own_keys_in_flight(self, name: str) -> bool:
        """Whether an upload or a form wrapped for the public key ``name`` is under way."""
        if any(name in upload.key_names for upload in self.uploads.values()):
            return True
        return any(isinstance(each.context, SaveRequest) and name in each.context.key_names
                   for each in self.shared.requests)

    # -- what the caller asks -------------------------------------------------------------

    def upload(self, with_: JID | str, start: datetime, entries: Iterable[Entry | Note], *,
               recipients: Sequence[PublicKey], encrypt: bool, key_name: str | None,
               subject: str | None, subject_acknowledged: bool, thread: str | None,
               links: Sequence[Link]) -> list[Event]:
        shared = self.shared
        collection = shared.collection(with_, start)
        items = tuple(entries)
        if not items:
            raise ValueError("an upload needs at least one message or note")
        for item in items:
            if not isinstance(item, Entry | Note):
                raise TypeError(f"an upload holds Entry and Note objects, not "
                                f"{type(item).__name__}")
        head: dict[str, Any] = {"subject": subject, "thread": thread, "links": tuple(links)}
        if encrypt:
            if subject is not None and not subject_acknowledged:
                raise SubjectNotAcknowledgedError(collection)
            random = shared.need_random("encrypting an upload")
            shared.check_recipients(recipients)
            name = key_name if key_name is not None else shared.new_key_name(random)
            chunks = self._encrypted_chunks(collection, items, recipients, name, head, random)
        else:
            chunks = self._plain_chunks(collection, items, head)
        first, rest = chunks[0], chunks[1:]
        names = tuple(recipient.name for recipient in recipients) if encrypt else ()
        self.uploads[first.id] = Upload(collection, len(chunks), list(rest), names)
        return [Send(shared.track(first, UploadChunk(first.id, 1)))]

    def _encrypted_chunks(self, collection: CollectionId, items: Sequence[Entry | Note],
                          recipients: Sequence[PublicKey], name: str, head: dict[str, Any],
                          random: Callable[[int], bytes]) -> list[Iq]:
        shared, settings = self.shared, self.shared.settings
        key: SymmetricKey | None = None
        keys: tuple[EncryptedKey, ...] = ()

        def build(part: Sequence[Entry | Note], index: int, chunk_id: str) -> Iq:
            nonlocal key, keys
            if key is None:  # the first chunk makes the key every chunk is encrypted with
                made = encrypt_collection(
                    part, recipients, key_name=name, algorithm=settings.algorithm,
                    key_transport=settings.key_transport, random=random,
                    namespace=settings.namespace, allow_legacy=settings.allow_legacy)
                key, keys, data = made.key, made.keys, made.data
            else:
                data = encrypt_entries(part, key, namespace=settings.namespace, random=random,
                                       allow_legacy=settings.allow_legacy)
            fields: dict[str, Any] = {"encrypted_data": (data,)}
            if index == 0:
                fields.update(head, encrypted_keys=keys)
            return shared.save_iq(shared.chat(collection, **fields), chunk_id)

        try:
            return [iq for iq, _ in pack(
                items, build, limit=shared.limit, ids=shared.ids, scale=4 / 3,
                what=lambda position: f"item {position + 1} of the upload, encrypted")]
        finally:
            # The symmetric key is destroyed as soon as the iqs are built.
            if key is not None:
                key.destroy()

    def _plain_chunks(self, collection: CollectionId, items: Sequence[Entry | Note],
                      head: dict[str, Any]) -> list[Iq]:
        shared = self.shared

        def build(part: Sequence[Entry | Note], index: int, chunk_id: str) -> Iq:
            fields: dict[str, Any] = {"entries": tuple(part)}
            if index == 0:
                fields.update(head)
            return shared.save_iq(shared.chat(collection, **fields), chunk_id)

        return [iq for iq, _ in pack(items, build, limit=shared.limit, ids=shared.ids,
                                     what=lambda position: f"item {position + 1} of the upload")]

    def change_subject(self, with_: JID | str, start: datetime, subject: str, *,
                       encrypted: bool, subject_acknowledged: bool) -> list[Event]:
        shared = self.shared
        collection = shared.collection(with_, start)
        if encrypted and not subject_acknowledged:
            raise SubjectNotAcknowledgedError(collection)
        iq = shared.check_size(shared.save_iq(shared.chat(collection, subject=subject)),
                               "the subject")
        return [Send(shared.track(iq, SaveRequest(collection, SaveKind.SUBJECT)))]

    def set_form(self, with_: JID | str, start: datetime, form: Form, *,
                 recipients: Sequence[PublicKey], encrypt: bool, key_name: str | None
                 ) -> list[Event]:
        shared = self.shared
        collection = shared.collection(with_, start)
        if form.type is not FormType.SUBMIT:
            raise ValueError(f"a collection's attributes are a form of type 'submit', not "
                             f"{form.type!r}")
        if not form.fields:
            raise ValueError("the form has no fields; use remove_form to remove a form")
        fields: dict[str, Any]
        if encrypt:
            random = shared.need_random("encrypting a form")
            shared.check_recipients(recipients)
            name = key_name if key_name is not None else shared.new_key_name(random)
            data, keys = _encrypt_form(form, recipients, name, shared, random)
            fields = {"form": Form(type=FormType.SUBMIT, extensions=(data,)),
                      "encrypted_keys": keys}
        else:
            fields = {"form": form}
        iq = shared.check_size(shared.save_iq(shared.chat(collection, **fields)), "the form")
        names = tuple(recipient.name for recipient in recipients) if encrypt else ()
        return [Send(shared.track(iq, SaveRequest(collection, SaveKind.FORM, names)))]

    def remove_form(self, with_: JID | str, start: datetime) -> list[Event]:
        shared = self.shared
        collection = shared.collection(with_, start)
        iq = shared.save_iq(shared.chat(collection, form=Form(type=FormType.SUBMIT)))
        return [Send(shared.track(iq, SaveRequest(collection, SaveKind.FORM_REMOVED)))]

    # -- answers ------------------------------------------------------------------------------

    def on_chunk(self, pending: Pending, answer: Iq, error: StanzaError | None) -> list[Event]:
        context = context_of(pending, UploadChunk)
        upload = self.uploads[context.upload]  # it lives while a chunk is in flight
        chunk = context.chunk
        if error is not None:
            self._step(context.upload, UploadInput.REFUSED)
            return [UploadFailed(context.upload, upload.collection, chunk, upload.chunks, error,
                                 describe(error)), *self.own_keys(OwnKeys(upload.key_names,
                                                                          stored=False))]
        version = saved_version(answer)
        if version is not None:
            upload.version = version
        events: list[Event] = [ChunkSaved(context.upload, upload.collection, chunk,
                                          upload.chunks, version)]
        if upload.waiting:
            self._step(context.upload, UploadInput.SAVED)
            iq = upload.waiting.pop(0)
            events.append(Send(self.shared.track(iq, UploadChunk(context.upload, chunk + 1))))
        else:
            self._step(context.upload, UploadInput.LAST_SAVED)
            events.append(UploadFinished(context.upload, upload.collection, upload.chunks,
                                         upload.version))
        # The first chunk stores the keys; the last one ends the upload.
        if chunk == 1 or not upload.waiting:
            events.extend(self.own_keys(OwnKeys(upload.key_names, stored=chunk == 1)))
        return events

    def _step(self, upload_id: str, event: UploadInput) -> None:
        after = UPLOAD(self.uploads[upload_id].state, event)
        if after is None:
            del self.uploads[upload_id]
        else:
            self.uploads[upload_id].state = after

    def on_save(self, pending: Pending, answer: Iq, error: StanzaError | None) -> list[Event]:
        context = context_of(pending, SaveRequest)
        events: list[Event]
        if error is not None:
            events = [failed(RequestKind.SAVE, context.collection, error)]
        else:
            events = [CollectionSaved(context.collection, context.change,
                                      saved_version(answer))]
        return events + self.own_keys(OwnKeys(context.key_names, stored=error is None))


def _encrypt_form(form: Form, recipients: Sequence[PublicKey], name: str, shared: Shared,
                  random: Callable[[int], bytes]
                  ) -> tuple[EncryptedData, tuple[EncryptedKey, ...]]:
    """The form's fields (each written with its own ``xmlns``, one after the other),
    encrypted with a new symmetric key wrapped for every recipient."""
    settings = shared.settings
    plaintext = b"".join(serialize(item) for item in form.fields)
    with new_symmetric_key(name, algorithm=settings.algorithm, random=random) as key:
        ciphertext = encrypt_octets(key, plaintext, random=random,
                                    allow_legacy=settings.allow_legacy)
        keys = tuple(wrap_key(key, recipient, key_transport=settings.key_transport,
                              allow_legacy=settings.allow_legacy) for recipient in recipients)
    data = EncryptedData(type=CONTENT, method=EncryptionMethod(algorithm=settings.algorithm),
                         key_info=KeyInfo(key_names=(name,)),
                         cipher_data=CipherData(value=ciphertext))
    return data, keys
