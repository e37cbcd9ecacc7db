"""The server side of SCRAM (RFC 5802), written from the RFC with hashlib alone, so that
the client in ``xepcodec.sasl`` is checked against an independent counterpart."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

HASHES = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}


@dataclass
class ScramServer:
    """One exchange: :meth:`first` answers the client-first message, :meth:`final`
    checks the client-final message and returns the server-final one."""

    mechanism: str
    password: str
    salt: bytes
    iterations: int
    server_nonce: str
    #: Answer a wrong proof with a signature all the same, as an impostor would.
    accept_any_proof: bool = False
    _auth: dict[str, bytes] = field(default_factory=dict)

    def _hmac(self, key: bytes, data: bytes) -> bytes:
        return hmac.new(key, data, HASHES[self.mechanism]).digest()

    def first(self, client_first: bytes) -> bytes:
        text = client_first.decode()
        gs2_flag, _authzid, bare = text.split(",", 2)
        assert gs2_flag == "n"
        client_nonce = dict(part.split("=", 1) for part in bare.split(","))["r"]
        message = (f"r={client_nonce}{self.server_nonce},"
                   f"s={base64.b64encode(self.salt).decode()},i={self.iterations}")
        self._auth["bare"] = bare.encode()
        self._auth["gs2"] = text[: len(text) - len(bare)].encode()
        self._auth["first"] = message.encode()
        return message.encode()

    def final(self, client_final: bytes) -> bytes:
        """The server-final message; ``e=invalid-proof`` when the proof is wrong."""
        text = client_final.decode()
        without_proof, proof = text.rsplit(",p=", 1)
        fields = dict(part.split("=", 1) for part in without_proof.split(","))
        assert base64.b64decode(fields["c"]) == self._auth["gs2"]
        auth_message = b",".join([self._auth["bare"], self._auth["first"],
                                  without_proof.encode()])
        salted = hashlib.pbkdf2_hmac(HASHES[self.mechanism], self.password.encode(),
                                     self.salt, self.iterations)
        client_key = self._hmac(salted, b"Client Key")
        stored_key = hashlib.new(HASHES[self.mechanism], client_key).digest()
        signature = self._hmac(stored_key, auth_message)
        recovered = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature,
                                                strict=True))
        if hashlib.new(HASHES[self.mechanism], recovered).digest() != stored_key \
                and not self.accept_any_proof:
            return b"e=invalid-proof"
        server_signature = self._hmac(self._hmac(salted, b"Server Key"), auth_message)
        return b"v=" + base64.b64encode(server_signature)
