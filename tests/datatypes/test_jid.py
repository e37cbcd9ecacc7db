"""Tests for xepcodec.datatypes.jid (RFC 7622 addresses)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import string

import precis_i18n
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from xepcodec.datatypes import jid as jid_module
from xepcodec.datatypes.jid import JID
from xepcodec.errors import JIDError, ParseError
from xepcodec.testing.jids import jids

# -- valid addresses: (as written, canonical form) --------------------------------

VALID = [
    # the plain shapes
    ("example.com", "example.com"),
    ("juliet@example.com", "juliet@example.com"),
    ("juliet@example.com/balcony", "juliet@example.com/balcony"),
    ("example.com/some-service", "example.com/some-service"),
    ("localhost", "localhost"),
    # resourceparts are free-form: spaces, '@' and '/' are all fine in them
    ("juliet@example.com/foo bar", "juliet@example.com/foo bar"),
    ("juliet@example.com/at@sign", "juliet@example.com/at@sign"),
    ("juliet@example.com/a/b/c", "juliet@example.com/a/b/c"),
    ("juliet@example.com/x@y/z", "juliet@example.com/x@y/z"),
    ("juliet@example.com/ leading and trailing ", "juliet@example.com/ leading and trailing "),
    ("a.example.com/b@example.net", "a.example.com/b@example.net"),
    ("king@example.com/\u265a", "king@example.com/\u265a"),  # a chess king symbol
    # resourceparts keep their case and width; other spaces become U+0020
    ("juliet@example.com/Balcony", "juliet@example.com/Balcony"),
    ("juliet@example.com/\uff52\uff45\uff53", "juliet@example.com/\uff52\uff45\uff53"),
    ("juliet@example.com/no\u00a0break", "juliet@example.com/no break"),
    # localparts and domainparts are case-insensitive
    ("Juliet@Example.COM", "juliet@example.com"),
    ("JULIET@EXAMPLE.COM/Balcony", "juliet@example.com/Balcony"),
    # fullwidth forms are mapped to ASCII in localparts and domainparts
    ("\uff4a\uff55\uff4c\uff49\uff45\uff54@example.com", "juliet@example.com"),
    ("juliet@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d",
     "juliet@example.com"),
    # ASCII punctuation other than the excluded eight is allowed in localparts
    ("foo\\20bar@example.com", "foo\\20bar@example.com"),
    ("first.last+tag_1-2@example.com", "first.last+tag_1-2@example.com"),
    ("#channel%irc.example@gateway.example", "#channel%irc.example@gateway.example"),
    # non-ASCII letters
    ("fu\u00dfball@example.com", "fu\u00dfball@example.com"),  # sharp s is kept
    ("\u03c0@example.com", "\u03c0@example.com"),
    ("\u03a3@example.com", "\u03c3@example.com"),  # capital sigma lowercases
    ("\u00e9mile@example.com", "\u00e9mile@example.com"),
    ("e\u0301mile@example.com", "\u00e9mile@example.com"),  # NFC composes the accent
    ("\u212a@example.com", "k@example.com"),  # KELVIN SIGN lowercases to 'k'
    # domainparts: a trailing dot is dropped
    ("example.com.", "example.com"),
    ("juliet@example.com./balcony", "juliet@example.com/balcony"),
    # domainparts: IP addresses
    ("juliet@192.0.2.1", "juliet@192.0.2.1"),
    ("[::1]", "[::1]"),
    ("juliet@[2001:DB8::1]/r", "juliet@[2001:db8::1]/r"),
    ("[0:0:0:0:0:0:0:1]", "[::1]"),
    ("[::FFFF:192.0.2.1]", "[::ffff:192.0.2.1]"),
    # domainparts: internationalized names, and A-labels decoded to U-labels
    ("B\u00dcCHER.example", "b\u00fccher.example"),
    ("xn--bcher-kva.example", "b\u00fccher.example"),
    ("XN--BCHER-KVA.example", "b\u00fccher.example"),
    ("stra\u00dfe.example", "stra\u00dfe.example"),
    ("\u4f8b\u3048.\u30c6\u30b9\u30c8", "\u4f8b\u3048.\u30c6\u30b9\u30c8"),
    ("\u4f8b\u3048\u3002\u30c6\u30b9\u30c8", "\u4f8b\u3048.\u30c6\u30b9\u30c8"),  # ideographic dot
    ("\u0627\u0644\u0639\u0631\u0628\u064a\u0629.example",
     "\u0627\u0644\u0639\u0631\u0628\u064a\u0629.example"),
    ("a-b.c-d.example", "a-b.c-d.example"),
    ("1example.org", "1example.org"),
    ("a.1b", "a.1b"),
    # every separator is found before normalization can invent new ones
    ("juliet@example.com/\uff20", "juliet@example.com/\uff20"),
]


@pytest.mark.parametrize(("text", "canonical"), VALID)
def test_valid(text: str, canonical: str) -> None:
    jid = JID.parse(text)
    assert str(jid) == canonical
    # The canonical form is a fixed point, and parses to the same address.
    assert str(JID.parse(canonical)) == canonical
    assert JID.parse(str(jid)) == jid
    assert JID(jid.local, jid.domain, jid.resource) == jid


def test_parts_are_split_at_the_first_separators() -> None:
    jid = JID.parse("juliet@example.com/x@y/z")
    assert (jid.local, jid.domain, jid.resource) == ("juliet", "example.com", "x@y/z")
    jid = JID.parse("example.com/user@host")
    assert (jid.local, jid.domain, jid.resource) == (None, "example.com", "user@host")


# -- invalid addresses: (text, words the message must contain) -------------------

INVALID = [
    # empty parts
    ("", "the JID is empty"),
    ("@example.com", "the localpart is empty"),
    ("@", "the localpart is empty"),
    ("juliet@", "the domainpart is empty"),
    ("juliet@/balcony", "the domainpart is empty"),
    ("/balcony", "the domainpart is empty"),
    ("example.com/", "the resourcepart is empty"),
    ("juliet@example.com/", "the resourcepart is empty"),
    (".", "the domainpart is empty once its trailing dot is removed"),
    # the characters RFC 7622 excludes from localparts
    ('"juliet"@example.com', "the localpart contains the forbidden character '\"'"),
    ("tom&jerry@example.com", "the localpart contains the forbidden character '&'"),
    ("o'brien@example.com", "the localpart contains the forbidden character \"'\""),
    ("a:b@example.com", "the localpart contains the forbidden character ':'"),
    ("<a>@example.com", "the localpart contains the forbidden character '<'"),
    ("a>@example.com", "the localpart contains the forbidden character '>'"),
    # ... also when width mapping produces them
    ("a\uff20b@example.com", "the localpart contains the forbidden character '@'"),
    ("a\uff0fb@example.com", "the localpart contains the forbidden character '/'"),
    ("a\uff02b@example.com", "the localpart contains the forbidden character '\"'"),
    # other PRECIS IdentifierClass rules for localparts
    ("juliet capulet@example.com", "the localpart contains a space"),
    ("henry\u2163@example.com", "the localpart contains a compatibility character"),
    ("\u265a@example.com", "the localpart contains a symbol"),
    ("a\u00a1b@example.com", "the localpart contains a punctuation character"),
    ("a\u0007b@example.com", "the localpart contains a control character"),
    ("a\u200bb@example.com", "the localpart contains a default-ignorable code point"),
    ("\u200d@example.com", "the localpart contains U+200D"),
    ("a\U000e0001@example.com", "the localpart"),
    ("a\u0378@example.com", "the localpart contains an unassigned code point"),
    ("\u05d0a@example.com", "the localpart mixes right-to-left"),
    # resourceparts: the FreeformClass still forbids controls and ignorables
    ("juliet@example.com/a\u0000b", "the resourcepart contains a control character"),
    ("juliet@example.com/tab\there", "the resourcepart contains a control character"),
    ("juliet@example.com/line\nbreak", "the resourcepart contains a control character"),
    ("juliet@example.com/del\u007f", "the resourcepart contains a control character"),
    ("juliet@example.com/a\u200bb", "the resourcepart contains a default-ignorable"),
    ("juliet@example.com/\ud800", "the resourcepart contains a disallowed code point"),
    # domainparts
    ("juliet@exa mple.com", "the domainpart contains the forbidden character U+0020 SPACE"),
    ("juliet@exa_mple.com", "the domainpart contains the forbidden character '_'"),
    ("a@b@example.com", "the domainpart contains the forbidden character '@'"),
    ("juliet@example..com", "the domainpart contains an empty label"),
    (".example.com", "the domainpart contains an empty label"),
    ("example.com..", "the domainpart contains an empty label"),
    ("-example.com", "begins or ends with a hyphen"),
    ("example-.com", "begins or ends with a hyphen"),
    ("ab--cd.example", "hyphens in its third and fourth positions"),
    ("xn--abc.example", "is not a valid A-label"),
    ("xn--.example", "is not a valid A-label"),
    ("xn--example.com", "is not a valid A-label"),
    ("xn--bcher-kva\u00e9.example", "is not a valid A-label"),
    ("a" * 64 + ".example", "is longer than 63 octets"),
    ("\u00e9" * 58 + ".example", "is longer than 63 octets in its ASCII (xn--) form"),
    ("\u0301a.example", "begins with a combining mark"),
    ("\uab70.example", "which IDNA2008 disallows"),  # Cherokee small letter: folds upward
    ("a\u20d0.example", "which IDNA2008 disallows"),
    ("\u265a.example", "the domainpart contains a symbol"),
    ("\u05d0.1example", "breaks the bidi rule"),
    ("1.2.3", "is not a valid IPv4 address"),
    ("256.1.1.1", "is not a valid IPv4 address"),
    ("01.2.3.4", "is not a valid IPv4 address"),
    ("example.123", "is not a valid IPv4 address"),
    ("[::1", "does not end with ']'"),
    ("[::g]", "is not a valid IPv6 address"),
    ("[]", "is not a valid IPv6 address"),
    ("[192.0.2.1]", "is not a valid IPv6 address"),
    ("[fe80::1%eth0]", "is not a valid IPv6 address"),
    ("[v1.future]", "is not a valid IPv6 address"),
    ("[::1]x", "does not end with ']'"),
    ("example.com\u3002\u3002", "empty label"),
    # sizes: 1023 octets of UTF-8 after normalization, per part
    ("a" * 1024 + "@example.com", "the localpart is 1024 octets long"),
    ("\u00e9" * 512 + "@example.com", "the localpart is 1024 octets long"),
    ("example.com/" + "r" * 1024, "the resourcepart is 1024 octets long"),
    ("example.com/" + "\u00e9" * 512, "the resourcepart is 1024 octets long"),
    (".".join(["a" * 63] * 15 + ["b" * 62, "c"]), "the domainpart is 1024 octets long"),
    ("a" * 5000 + "@example.com", "the localpart is 5000 code points long"),
    ("example.com/" + "r" * 100_000, "the resourcepart is 100000 code points long"),
]


@pytest.mark.parametrize(("text", "words"), INVALID)
def test_invalid(text: str, words: str) -> None:
    with pytest.raises(JIDError) as info:
        JID.parse(text)
    error = info.value
    assert words in error.message
    assert error.condition == "jid-malformed"
    assert error.stream is False
    assert isinstance(error, ParseError)
    # Each message is one sentence about one part.
    assert error.message.startswith(("the localpart", "the domainpart", "the resourcepart",
                                     "the JID"))


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1023 + "@example.com",
        "\u00e9" * 511 + "a@example.com",
        "example.com/" + "r" * 1023,
        "example.com/" + "\u00e9" * 511 + "r",
        ".".join(["a" * 63] * 16),
        "\u00e9" * 57 + ".example",  # its A-label is exactly 63 octets
        "a" * 63 + ".example",
    ],
)
def test_longest_parts_are_accepted(text: str) -> None:
    assert JID.parse(str(JID.parse(text))) == JID.parse(text)


def test_errors_do_not_quote_unprintable_input() -> None:
    with pytest.raises(JIDError) as info:
        JID.parse("bad\u0000\u202e@example.com")
    assert "\u0000" not in str(info.value)
    assert "U+0000" in str(info.value)


# -- equality, hashing, immutability --------------------------------------------


def test_equality_is_after_normalization() -> None:
    assert JID.parse("Juliet@Example.COM") == JID.parse("juliet@example.com")
    assert JID.parse("\uff4a\uff55\uff4c\uff49\uff45\uff54@example.com") == JID.parse(
        "juliet@example.com"
    )
    assert JID.parse("xn--bcher-kva.example") == JID.parse("B\u00fccher.Example.")
    assert JID.parse("[::1]") == JID.parse("[0::0:1]")
    assert len({JID.parse("A@B.C/r"), JID.parse("a@b.c/r"), JID.parse("a@b.c./r")}) == 1
    assert hash(JID.parse("A@B.C/r")) == hash(JID.parse("a@b.c/r"))


def test_resources_are_case_sensitive() -> None:
    assert JID.parse("juliet@example.com/Balcony") != JID.parse("juliet@example.com/balcony")


def test_different_addresses_differ() -> None:
    assert JID.parse("juliet@example.com") != JID.parse("example.com")
    assert JID.parse("juliet@example.com") != JID.parse("juliet@example.com/r")
    assert JID.parse("example.com/juliet") != JID.parse("juliet@example.com")
    assert JID.parse("fussball@example.com") != JID.parse("fu\u00dfball@example.com")


def test_frozen() -> None:
    jid = JID.parse("juliet@example.com")
    with pytest.raises(dataclasses.FrozenInstanceError):
        jid.local = "romeo"  # type: ignore[misc]


def test_pickle_and_copy() -> None:
    jid = JID.parse("Juliet@example.com/balcony")
    assert pickle.loads(pickle.dumps(jid)) == jid
    assert copy.copy(jid) == jid
    assert copy.deepcopy(jid) == jid


# -- construction from parts ----------------------------------------------------


def test_constructor_normalizes() -> None:
    jid = JID("Juliet", "Example.COM.", "Balcony")
    assert (jid.local, jid.domain, jid.resource) == ("juliet", "example.com", "Balcony")
    assert jid == JID.parse("juliet@example.com/Balcony")
    assert JID(None, "example.com") == JID.parse("example.com")


@pytest.mark.parametrize(
    ("local", "domain", "resource", "words"),
    [
        ("", "example.com", None, "the localpart is empty"),
        ("a@b", "example.com", None, "forbidden character '@'"),
        ("a/b", "example.com", None, "forbidden character '/'"),
        ("a b", "example.com", None, "the localpart contains a space"),
        (None, "", None, "the domainpart is empty"),
        (None, "a@example.com", None, "forbidden character '@'"),
        (None, "example.com/r", None, "forbidden character '/'"),
        (None, "example.com", "", "the resourcepart is empty"),
        (None, "example.com", "a\u0000", "the resourcepart contains a control character"),
    ],
)
def test_constructor_validates(
    local: str | None, domain: str, resource: str | None, words: str
) -> None:
    with pytest.raises(JIDError, match=words):
        JID(local, domain, resource)


def test_constructor_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        JID(None, b"example.com")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        JID(42, "example.com")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        JID.parse(b"example.com")  # type: ignore[arg-type]


def test_resource_with_separators_round_trips() -> None:
    jid = JID("juliet", "example.com", "a/b@c")
    assert str(jid) == "juliet@example.com/a/b@c"
    assert JID.parse(str(jid)) == jid


def test_replace_validates() -> None:
    jid = JID.parse("juliet@example.com")
    assert dataclasses.replace(jid, local="Romeo").local == "romeo"
    with pytest.raises(JIDError):
        dataclasses.replace(jid, local="ro meo")


# -- derived addresses and predicates -------------------------------------------


def test_derived_addresses() -> None:
    full = JID.parse("juliet@example.com/balcony")
    assert full.bare == JID.parse("juliet@example.com")
    assert full.domain_jid == JID.parse("example.com")
    assert full.with_resource("Orchard") == JID.parse("juliet@example.com/Orchard")
    assert full.with_resource(None) == full.bare
    assert full.bare.with_resource("balcony") == full
    assert JID.parse("example.com/r").bare == JID.parse("example.com")
    bare = JID.parse("juliet@example.com")
    assert bare.bare is bare
    domain = JID.parse("example.com")
    assert domain.domain_jid is domain


def test_with_resource_validates_and_normalizes() -> None:
    jid = JID.parse("juliet@example.com")
    assert jid.with_resource("no\u00a0break").resource == "no break"
    with pytest.raises(JIDError, match="the resourcepart is empty"):
        jid.with_resource("")
    with pytest.raises(JIDError, match="control character"):
        jid.with_resource("\u0000")


@pytest.mark.parametrize(
    ("text", "is_bare", "is_full", "is_domain"),
    [
        ("juliet@example.com/balcony", False, True, False),
        ("juliet@example.com", True, False, False),
        ("example.com/service", False, True, False),
        ("example.com", True, False, True),
    ],
)
def test_predicates(text: str, is_bare: bool, is_full: bool, is_domain: bool) -> None:
    jid = JID.parse(text)
    assert (jid.is_bare, jid.is_full, jid.is_domain) == (is_bare, is_full, is_domain)


def test_repr_evaluates_to_an_equal_jid() -> None:
    jid = JID.parse("Juliet@example.com/foo bar")
    assert repr(jid) == "JID.parse('juliet@example.com/foo bar')"
    assert eval(repr(jid)) == jid


# -- memoization ----------------------------------------------------------------


def test_parse_is_memoized() -> None:
    text = "memo-test@example.com/one"
    assert JID.parse(text) is JID.parse(text)


def test_long_input_is_parsed_but_not_memoized() -> None:
    text = "juliet@example.com/" + "r" * 400
    first, second = JID.parse(text), JID.parse(text)
    assert first == second
    assert first is not second


def test_failures_are_not_memoized() -> None:
    for _ in range(2):
        with pytest.raises(JIDError):
            JID.parse("bad user@example.com")


# -- properties -----------------------------------------------------------------


@given(jids())
def test_generated_jids_round_trip(jid: JID) -> None:
    assert JID.parse(str(jid)) == jid
    assert JID(jid.local, jid.domain, jid.resource) == jid
    assert str(JID.parse(str(jid))) == str(jid)


@given(jids(bare=True, with_local=True))
def test_strategy_bare_with_local(jid: JID) -> None:
    assert jid.is_bare
    assert jid.local is not None


@given(jids(bare=False, with_local=False))
def test_strategy_full_without_local(jid: JID) -> None:
    assert jid.is_full
    assert jid.local is None


_ANY_CHARACTER = st.characters(codec=None, categories=None)
_JID_LIKE = st.text(
    st.sampled_from("aZ09.-_@/[]:% \u00e9\u00df\u03a3\uff20\uff0f\u3002\u200d\u0301\u05d0xn"),
    max_size=30,
)


@given(st.one_of(st.text(), st.text(_ANY_CHARACTER), _JID_LIKE))
@example("a@b/\ud800")
@example("xn--" + "z" * 59 + ".example")
def test_arbitrary_text_raises_only_jid_error(text: str) -> None:
    try:
        jid = JID.parse(text)
    except JIDError:
        return
    # Whatever parses is a fixed point of normalization.
    again = JID.parse(str(jid))
    assert again == jid
    assert str(again) == str(jid)


@given(st.text(st.characters(codec="ascii")))
def test_ascii_localpart_shortcut_matches_precis(text: str) -> None:
    profile = precis_i18n.get_profile("UsernameCaseMapped")
    try:
        expected: str | None = profile.enforce(text)
    except UnicodeEncodeError:
        expected = None
    if expected is not None and set(expected) & set("\"&'/:<>@"):
        expected = None
    try:
        actual: str | None = jid_module._prepare_local(text)
    except JIDError:
        actual = None
    assert actual == expected


@given(st.text(st.characters(codec="ascii")))
def test_ascii_resourcepart_shortcut_matches_precis(text: str) -> None:
    profile = precis_i18n.get_profile("OpaqueString")
    try:
        expected: str | None = profile.enforce(text)
    except UnicodeEncodeError:
        expected = None
    try:
        actual: str | None = jid_module._prepare_resource(text)
    except JIDError:
        actual = None
    assert actual == expected


_HOSTNAME_ISH = st.text(
    st.sampled_from(string.ascii_letters + string.digits + ".-"), min_size=1, max_size=40
)


@given(st.one_of(_HOSTNAME_ISH, st.from_regex(r"[a-zA-Z0-9]{1,4}(\.[a-zA-Z0-9-]{1,5}){0,3}",
                                              fullmatch=True)))
def test_ascii_domain_shortcut_matches_label_checks(text: str) -> None:
    assume(not text.endswith("."))
    try:
        expected: str | None = jid_module._prepare_domain_name(text)
    except JIDError:
        expected = None
    try:
        actual: str | None = jid_module._prepare_domain(text)
    except JIDError:
        actual = None
    assert actual == expected


# -- the whole-address shortcut -------------------------------------------------

_USERNAME = precis_i18n.get_profile("UsernameCaseMapped")
_OPAQUE = precis_i18n.get_profile("OpaqueString")


def _careful(text: str) -> tuple[str | None, str, str | None] | None:
    """The parts of ``text`` by the long path: PRECIS itself for the local- and
    resourcepart, the label-by-label checks for the domainpart; None when refused."""
    try:
        local, domain, resource = jid_module._split(text)
        if local is not None:
            local = _USERNAME.enforce(local)
            if set(local) & set("\"&'/:<>@"):
                return None
        if resource is not None:
            resource = _OPAQUE.enforce(resource)
        if domain.endswith(".") or domain.startswith("["):
            return None  # the shortcut never takes these; the tests above cover them
        domain = jid_module._prepare_domain_name(domain)
    except (JIDError, UnicodeEncodeError):
        return None
    if any(len(part.encode()) > jid_module.MAX_PART_OCTETS
           for part in (local, domain, resource) if part is not None):
        return None
    return local, domain, resource


_ADDRESS_PIECE = st.text(
    st.sampled_from(string.ascii_letters + string.digits + ".-_@/ :'&\u00e9\u212a\uff20"),
    max_size=12,
)
_ADDRESS_LIKE = st.builds(
    lambda local, domain, resource: local + domain + resource,
    st.one_of(st.just(""), _ADDRESS_PIECE.map(lambda piece: piece + "@")),
    st.from_regex(r"[a-zA-Z0-9-]{1,70}(\.[a-zA-Z0-9-]{1,8}){0,3}\.?", fullmatch=True),
    st.one_of(st.just(""), _ADDRESS_PIECE.map(lambda piece: "/" + piece)),
)


@given(st.one_of(_ADDRESS_LIKE, _JID_LIKE, st.text(st.characters(codec="ascii"))))
@example("Juliet@Capulet.Example/Balcony")
@example("juliet@capulet.example/balcony")
@example("a@" + "b" * 64 + ".example")
@example("a@xn--bcher-kva.example")
@example("a@b.123")
@example("a@b.1-2")
@example("a@b--c.example")
@example("!#$%()*+,-.;=?[]^_`{|}~@example.com/ @/\"")
@example("x" * 1000 + "@example.com")
def test_whole_address_shortcut_matches_the_long_path(text: str) -> None:
    fast = jid_module._parse_plain(text)
    if fast is None:
        return  # not taken: JID.parse goes part by part
    careful = _careful(text)
    assert careful is not None, "the shortcut accepted what the long path refuses"
    assert (fast.local, fast.domain, fast.resource) == careful
    # The text is kept as the string form exactly when normalizing changed nothing.
    assert fast._text == (text if careful == jid_module._split(text) else None)
    assert str(fast) == str(jid_module._parse_parts(text))


@given(st.one_of(_ADDRESS_LIKE, _JID_LIKE))
def test_parse_and_constructor_agree(text: str) -> None:
    try:
        parsed: JID | str = JID.parse(text)
    except JIDError as exc:
        parsed = exc.message
    try:
        built: JID | str = JID(*jid_module._split(text))
    except JIDError as exc:
        built = exc.message
    assert parsed == built


def test_shortcut_takes_the_common_forms() -> None:
    # Not a speed test: it holds that the forms routers see most are the ones the
    # shortcut is for, so a regression in its pattern shows up here.
    for text in ("juliet@capulet.example/balcony", "capulet.example",
                 "Romeo@Montague.Example", "room-01@conference.shakespeare.example/Nurse 2"):
        assert jid_module._parse_plain(text) is not None, text
    for text in ("juliet@capulet.example.", "juliet@xn--bcher-kva.example",
                 "ju liet@capulet.example", "juliet@192.0.2.1", "jüliet@capulet.example"):
        assert jid_module._parse_plain(text) is None, text
