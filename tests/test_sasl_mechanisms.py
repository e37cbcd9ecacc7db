"""The SASL mechanisms' client side: the RFCs' test vectors, an independent server
counterpart for any credentials, and every way the server can fail to prove itself."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scram_server import ScramServer

from xepcodec.errors import ArgumentValueError, ProtocolError, XepCodecError
from xepcodec.sasl import (
    MECHANISMS,
    NoAcceptableMechanism,
    Plain,
    SaslError,
    Scram,
    ServerNotVerified,
    check_preference,
    choose_mechanism,
    client_mechanism,
    prepare_password,
)

# RFC 5802 §5 and RFC 7677 §3: user "user", password "pencil".
VECTORS = {
    "SCRAM-SHA-1": (
        "fyko+d2lbbFgONRv9qkxdawL",
        b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
        b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    ),
    "SCRAM-SHA-256": (
        "rOprNGfwEbeRWgbNEkqO",
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    ),
}


def _vector_client(name: str) -> Scram:
    nonce = VECTORS[name][0]
    return Scram(name, username="user", password="pencil", nonce=nonce)


def _flip(message: bytes) -> bytes:
    """``v=<signature>`` with one bit of the signature changed."""
    signature = bytearray(base64.b64decode(message[2:]))
    signature[0] ^= 1
    return b"v=" + base64.b64encode(bytes(signature))


@pytest.mark.parametrize("name", VECTORS)
def test_the_rfc_vectors(name: str) -> None:
    nonce, server_first, client_final, server_final = VECTORS[name]
    client = _vector_client(name)
    assert client.name == name
    assert client.initial_response() == f"n,,n=user,r={nonce}".encode()
    assert client.challenge(server_first) == client_final
    client.success(server_final)


@pytest.mark.parametrize("name", VECTORS)
def test_the_server_final_message_may_come_as_a_challenge(name: str) -> None:
    _, server_first, _, server_final = VECTORS[name]
    client = _vector_client(name)
    client.initial_response()
    client.challenge(server_first)
    assert client.challenge(server_final) == b""
    client.success(b"")


@pytest.mark.parametrize("name", VECTORS)
@pytest.mark.parametrize("as_challenge", [False, True])
def test_a_wrong_server_signature_is_refused(name: str, as_challenge: bool) -> None:
    _, server_first, _, server_final = VECTORS[name]
    client = _vector_client(name)
    client.initial_response()
    client.challenge(server_first)
    with pytest.raises(ServerNotVerified, match="signature is wrong"):
        if as_challenge:
            client.challenge(_flip(server_final))
        else:
            client.success(_flip(server_final))


@pytest.mark.parametrize("name", VECTORS)
def test_success_without_a_server_signature_is_refused(name: str) -> None:
    _, server_first, _, _ = VECTORS[name]
    client = _vector_client(name)
    client.initial_response()
    client.challenge(server_first)
    with pytest.raises(ServerNotVerified, match="without proving"):
        client.success(b"")
    early = _vector_client(name)
    early.initial_response()
    with pytest.raises(ServerNotVerified):
        early.success(b"")


@pytest.mark.parametrize(("server_first", "message"), [
    (b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=0", "outside"),
    (b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=1000001", "outside"),
    (b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=-1", "not a number"),
    (b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=x", "not a number"),
    (b"r=someone-else,s=QSXCR+Q6sek8bf92,i=4096", "does not extend"),
    (b"r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096", "does not extend"),
    (b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=not base64!,i=4096", "not base64"),
    (b"s=QSXCR+Q6sek8bf92,r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096", "must start with"),
    (b"m=extension,r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096", "extension"),
    (b"garbage", "malformed"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_a_bad_server_first_message_is_refused(server_first: bytes, message: str) -> None:
    client = _vector_client("SCRAM-SHA-1")
    client.initial_response()
    with pytest.raises(SaslError, match=message):
        client.challenge(server_first)


@pytest.mark.parametrize(("server_final", "error", "message"), [
    (b"e=invalid-proof", SaslError, "invalid-proof"),
    (b"x=whatever", SaslError, "must start with v= or e="),
    (b"v=***", SaslError, "not base64"),
])
def test_a_bad_server_final_message_is_refused(server_final: bytes,
                                               error: type[Exception], message: str) -> None:
    _, server_first, _, _ = VECTORS["SCRAM-SHA-1"]
    client = _vector_client("SCRAM-SHA-1")
    client.initial_response()
    client.challenge(server_first)
    with pytest.raises(error, match=message):
        client.success(server_final)


def test_the_steps_come_in_order() -> None:
    _, server_first, _, server_final = VECTORS["SCRAM-SHA-1"]
    client = _vector_client("SCRAM-SHA-1")
    with pytest.raises(SaslError, match="challenge after the step 'start'"):
        client.challenge(server_first)
    client.initial_response()
    with pytest.raises(ProtocolError, match="initial_response"):
        client.initial_response()
    client.challenge(server_first)
    client.success(server_final)
    with pytest.raises(SaslError):
        client.challenge(server_final)


def test_the_authorization_identity_and_names_are_escaped() -> None:
    client = Scram("SCRAM-SHA-1", username="a,b=c", password="p", nonce="abc",
                   authzid="x=y,z@example.org")
    assert client.initial_response() == b"n,a=x=3Dy=2Cz@example.org,n=a=2Cb=3Dc,r=abc"


@pytest.mark.parametrize("nonce", ["", "a,b", "caf\u00e9", "a b"])
def test_a_nonce_that_scram_cannot_carry_is_refused(nonce: str) -> None:
    with pytest.raises(ArgumentValueError, match="nonce"):
        Scram("SCRAM-SHA-256", username="user", password="pencil", nonce=nonce)


_NONCES = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E,
                                blacklist_characters=","), min_size=1, max_size=32)
_NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
_PASSWORDS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                     max_size=20)


@given(name=st.sampled_from(sorted(VECTORS)), username=_NAMES, password=_PASSWORDS,
       nonce=_NONCES, server_nonce=_NONCES, salt=st.binary(min_size=1, max_size=32),
       iterations=st.integers(1, 64), authzid=st.none() | _NAMES)
def test_client_and_server_agree_for_any_credentials(
        name: str, username: str, password: str, nonce: str, server_nonce: str,
        salt: bytes, iterations: int, authzid: str | None) -> None:
    server = ScramServer(name, password, salt, iterations, server_nonce)
    client = Scram(name, username=username, password=password,
                   nonce=nonce, authzid=authzid)
    final = server.final(client.challenge(server.first(client.initial_response())))
    assert final.startswith(b"v=")
    client.success(final)


@given(name=st.sampled_from(sorted(VECTORS)), password=_PASSWORDS, nonce=_NONCES,
       salt=st.binary(min_size=1, max_size=16))
def test_the_wrong_password_is_caught_by_both_sides(name: str, password: str, nonce: str,
                                                    salt: bytes) -> None:
    server = ScramServer(name, password + "x", salt, 2, "server")
    client = Scram(name, username="user", password=password,
                   nonce=nonce)
    answer = client.challenge(server.first(client.initial_response()))
    assert server.final(answer) == b"e=invalid-proof"
    # A server that says yes anyway cannot sign with a password it does not have.
    server.accept_any_proof = True
    signed = server.final(answer)
    assert signed.startswith(b"v=")
    with pytest.raises(ServerNotVerified):
        client.success(signed)


def test_plain_sends_the_three_parts() -> None:
    # RFC 4616 §4's example: "tim" with the password "tanstaaftanstaaf".
    plain = Plain(username="tim", password="tanstaaftanstaaf")
    assert plain.initial_response() == b"\0tim\0tanstaaftanstaaf"
    plain.success(b"")
    with_authzid = Plain(username="tim", password="tanstaaftanstaaf", authzid="Ursel")
    assert with_authzid.initial_response() == b"Ursel\0tim\0tanstaaftanstaaf"


def test_plain_refuses_challenges_data_and_a_second_message() -> None:
    plain = Plain(username="tim", password="secret")
    with pytest.raises(SaslError, match="no challenges"):
        plain.challenge(b"anything")
    plain.initial_response()
    with pytest.raises(ProtocolError):
        plain.initial_response()
    with pytest.raises(SaslError, match="no data"):
        plain.success(b"v=abc")


@pytest.mark.parametrize("username", ["", "a\0b"])
def test_names_must_be_non_empty_without_nul(username: str) -> None:
    with pytest.raises(ArgumentValueError, match="username"):
        Plain(username=username, password="secret")


def test_the_password_is_prepared_as_an_opaque_string() -> None:
    # Non-ASCII spaces become ASCII spaces, and the result is in NFC.
    assert prepare_password("a\u00a0b") == "a b"
    assert prepare_password("e\u0301") == "\u00e9"
    assert Plain(username="u", password="a\u00a0b").initial_response() == b"\0u\0a b"
    for refused in ["", "tab\there", "soft\u00adhyphen"]:
        with pytest.raises(ArgumentValueError, match="OpaqueString"):
            prepare_password(refused)


def test_the_password_goes_once_used() -> None:
    plain = Plain(username="tim", password="secret")
    plain.initial_response()
    assert "secret" not in repr(vars(plain))
    _, server_first, _, _ = VECTORS["SCRAM-SHA-1"]
    scram = _vector_client("SCRAM-SHA-1")
    scram.initial_response()
    scram.challenge(server_first)
    assert "pencil" not in repr(vars(scram))


@pytest.mark.parametrize(("offered", "allow_plain", "chosen"), [
    (["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"], True, "SCRAM-SHA-256"),
    (["SCRAM-SHA-1", "PLAIN"], True, "SCRAM-SHA-1"),
    (["SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"], False, "SCRAM-SHA-1"),
    (["DIGEST-MD5", "PLAIN"], True, "PLAIN"),
])
def test_the_strongest_offered_mechanism_is_chosen(offered: list[str], allow_plain: bool,
                                                   chosen: str) -> None:
    assert choose_mechanism(offered, allow_plain=allow_plain) == chosen


@pytest.mark.parametrize(("offered", "allow_plain"), [
    (["PLAIN"], False), (["DIGEST-MD5", "X-OAUTH2"], True), ([], True),
])
def test_no_acceptable_mechanism_is_a_typed_error(offered: list[str],
                                                  allow_plain: bool) -> None:
    with pytest.raises(NoAcceptableMechanism) as caught:
        choose_mechanism(offered, allow_plain=allow_plain)
    assert caught.value.offered == tuple(offered)
    assert ("PLAIN" in caught.value.acceptable) is allow_plain
    assert isinstance(caught.value, XepCodecError)


def test_client_mechanism_builds_each_name() -> None:
    for name in MECHANISMS:
        mechanism = client_mechanism(name, username="u", password="p", nonce="n")
        assert mechanism.name == name
    with pytest.raises(ArgumentValueError, match="DIGEST-MD5"):
        client_mechanism("DIGEST-MD5", username="u", password="p", nonce="n")


def test_the_caller_may_narrow_the_preference() -> None:
    offered = ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]
    assert choose_mechanism(offered, allow_plain=True, preference=["PLAIN"]) == "PLAIN"
    assert choose_mechanism(offered, allow_plain=False,
                            preference=["SCRAM-SHA-1", "SCRAM-SHA-256"]) == "SCRAM-SHA-1"
    with pytest.raises(NoAcceptableMechanism):
        choose_mechanism(offered, allow_plain=False, preference=["PLAIN"])


@pytest.mark.parametrize("preference", [[], ["DIGEST-MD5"], ["PLAIN", "X"]])
def test_a_preference_names_only_known_mechanisms(preference: list[str]) -> None:
    with pytest.raises(ArgumentValueError, match="preference"):
        check_preference(preference)
    with pytest.raises(XepCodecError):
        check_preference("PLAIN")  # type: ignore[arg-type]
