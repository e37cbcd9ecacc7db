"""XMPP addresses (JIDs) as RFC 7622 defines them.

A :class:`JID` holds its three parts already normalized, so two JIDs that name the
same entity compare and hash equal however they were written.  Both ways of making
one validate: :meth:`JID.parse` for the string form and ``JID(local, domain,
resource)`` for separate parts; there is no way to build an un-normalized JID.

Normalization follows the profiles RFC 7622 names:

* localpart: the PRECIS ``UsernameCaseMapped`` profile (RFC 8265 §3.3), minus the
  eight characters RFC 7622 §3.3.1 excludes;
* resourcepart: the PRECIS ``OpaqueString`` profile (RFC 8265 §4.2);
* domainpart: an IPv4 address, a bracketed IPv6 address, or a domain name whose
  labels are ASCII letters, digits and hyphens or IDNA2008 U-labels.  A-labels
  (``xn--…``) are decoded to U-labels, so both spellings of a name compare equal.
  The code point rules for U-labels are approximated with the PRECIS derived
  property (which shares its letter/digit core with IDNA2008) plus the IDNA2008
  stability and ignorable-block rules, without a separate IDNA library.

PRECIS in pure Python costs several microseconds per part, and the same addresses
arrive on stanza after stanza, so parsing is memoized (see :func:`_parse_cached`).
A new address of the everyday shape (ASCII, no A-label, nothing to map but case) is
checked by one pattern over the whole string instead (:func:`_parse_plain`); every
other address, and every error, goes part by part through the full rules.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, TypeAlias

import precis_i18n
from precis_i18n.bidi import bidi_rule, has_rtl
from precis_i18n.context import context_rule_error
from precis_i18n.derived import CONTEXTJ, CONTEXTO, PVALID, derived_property

from xepcodec.errors import ArgumentTypeError, JIDError

__all__ = ["JID"]

_Prepare: TypeAlias = Callable[[str], str]

#: RFC 7622 §3.1: every part is 1 to 1023 octets of UTF-8 once normalized.
MAX_PART_OCTETS: Final = 1023

# No normalization step shrinks a string by more than four code points to one
# (the longest canonical decomposition is four code points, and width and case
# mapping never merge code points), and every code point is at least one octet.
# So a part longer than this many code points cannot fit once normalized, and is
# refused before any PRECIS work: a hostile peer cannot make us normalize megabytes.
_MAX_RAW_CHARS: Final = 4 * MAX_PART_OCTETS

# Memoization bounds.  Only short strings are memoized, so a peer sending long,
# distinct, valid addresses can hold at most a few megabytes in the caches.
_CACHE_SIZE: Final = 4096
_CACHEABLE_CHARS: Final = 256

_LOCAL_PROFILE: Final = precis_i18n.get_profile("UsernameCaseMapped")
_RESOURCE_PROFILE: Final = precis_i18n.get_profile("OpaqueString")
_UCD: Final = _LOCAL_PROFILE.base.ucd

#: RFC 7622 §3.3.1: allowed by the PRECIS IdentifierClass, excluded from localparts.
_LOCAL_EXCLUDED: Final = frozenset("\"&'/:<>@")

# IDNA2003 and UTS #46 treat these as label separators too; users type them with
# East Asian input methods.  (Width mapping already turns U+FF0E into '.', and
# U+FF61 into U+3002.)
_DOT_MAP: Final = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})

_LDH_LABEL: Final = re.compile(r"[a-z0-9-]+")
_MAX_LABEL_OCTETS: Final = 63
# The common case, checked in one step: lowercase ASCII letter-digit-hyphen labels
# without edge hyphens, the last one not purely numeric.  Anything else, including
# every error, goes through the label-by-label checks, which explain what is wrong.
_LABEL_PATTERN: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_HOSTNAME: Final = re.compile(
    rf"(?:{_LABEL_PATTERN}\.)*(?=[0-9-]*[a-z]){_LABEL_PATTERN}"
)
# Labels with hyphens in the third and fourth positions (A-labels, reserved ones).
_RESERVED_LABEL: Final = re.compile(r"(?:^|\.)[a-z0-9]{2}--")

# RFC 5892 §2.4 IgnorableBlocks: Mn code points that are PVALID under PRECIS but
# disallowed in domain names.
_IGNORABLE_BLOCKS: Final = ((0x20D0, 0x20FF), (0x1D100, 0x1D1FF), (0x1D200, 0x1D24F))

# Reasons precis_i18n reports (the text after "DISALLOWED/"), as phrases.
_PRECIS_REASONS: Final = {
    "spaces": "a space",
    "symbols": "a symbol",
    "punctuation": "a punctuation character",
    "controls": "a control character",
    "has_compat": "a compatibility character",
    "other_letter_digits": "a character outside the identifier repertoire",
    "precis_ignorable_properties": "a default-ignorable code point",
    "unassigned": "an unassigned code point",
    "old_hangul_jamo": "an archaic Hangul jamo",
    "exceptions": "a code point that RFC 5892 disallows",
    "other": "a disallowed code point",
}


def _show_char(ch: str) -> str:
    """Name one code point so a person can find it, whatever it is."""
    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "")
    # repr() quotes an apostrophe with double quotes, and everything else with single.
    if ch.isascii() and ch.isprintable() and ch != " ":
        return f"{ch!r} ({code})"
    if ch.isprintable() and unicodedata.category(ch)[0] not in "MZ":
        return f"{ch!r} ({code} {name})"
    # Marks, spaces, controls, surrogates: the glyph would be invisible or unsafe.
    return f"{code} {name}" if name else code


def _show(text: str, limit: int = 40) -> str:
    """Quote a piece of input for a message: escaped, and cut short if long."""
    if len(text) > limit:
        text = text[:limit] + "…"
    escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    return f"'{escaped}'"


def _check_length(part: str, value: str) -> None:
    if len(value) * 4 <= MAX_PART_OCTETS:
        return  # no code point takes more than four octets
    octets = len(value.encode("utf-8", "surrogatepass"))
    if octets > MAX_PART_OCTETS:
        raise JIDError(
            f"the {part} is {octets} octets long after normalization; "
            f"at most {MAX_PART_OCTETS} are allowed"
        )


def _check_raw(part: str, value: object) -> str:
    """Checks every part needs before it is normalized."""
    if not isinstance(value, str):
        # A programming error, not bad input: a TypeError, like any other API.
        raise ArgumentTypeError(f"the {part} must be a str, not {type(value).__name__}")
    if not value:
        raise JIDError(f"the {part} is empty")
    if len(value) > _MAX_RAW_CHARS:
        raise JIDError(
            f"the {part} is {len(value)} code points long; "
            f"at most {MAX_PART_OCTETS} octets are allowed"
        )
    return value


def _precis_failure(part: str, exc: UnicodeEncodeError) -> JIDError:
    """Turn a precis_i18n rejection into a sentence about the part."""
    reason = exc.reason.removeprefix("DISALLOWED/")
    if reason == "empty":
        return JIDError(f"the {part} is empty after normalization")
    if reason == "bidi_rule":
        return JIDError(
            f"the {part} mixes right-to-left and other text in a way the bidi rule "
            "(RFC 5893) forbids"
        )
    if reason == "not_idempotent":
        return JIDError(f"the {part} changes if normalized a second time")
    ch = _show_char(exc.object[exc.start])
    if reason in _CONTEXT_RULES:
        return JIDError(f"the {part} contains {ch} where its context rule does not allow it")
    what = _PRECIS_REASONS.get(reason, "a disallowed code point")
    return JIDError(f"the {part} contains {what}, {ch}")


#: The RFC 5892 Appendix A context rules, as precis_i18n names them when one fails.
_CONTEXT_RULES: Final = frozenset(
    {
        "zero_width_nonjoiner",
        "zero_width_joiner",
        "middle_dot",
        "greek_keraia",
        "hebrew_punctuation",
        "katakana_middle_dot",
        "arabic_indic",
        "extended_arabic_indic",
    }
)


def _memoized(prepare: _Prepare) -> _Prepare:
    """Memoize a part's normalization, for short inputs only."""
    cached = lru_cache(maxsize=_CACHE_SIZE)(prepare)

    def prepare_part(value: str) -> str:
        if len(value) <= _CACHEABLE_CHARS:
            return cached(value)
        return prepare(value)

    prepare_part.__doc__ = prepare.__doc__
    return prepare_part


# -- localpart ------------------------------------------------------------------


def _prepare_local(raw: str) -> str:
    """Normalize and check a localpart (RFC 7622 §3.3)."""
    value = _check_raw("localpart", raw)
    if not _LOCAL_EXCLUDED.isdisjoint(value):
        ch = next(ch for ch in value if ch in _LOCAL_EXCLUDED)
        raise JIDError(f"the localpart contains the forbidden character {_show_char(ch)}")
    if value.isascii() and value.isprintable() and " " not in value:
        # For printable ASCII without spaces UsernameCaseMapped is exactly
        # lowercasing (every such code point is PVALID, width mapping and NFC change
        # nothing, there is no right-to-left text).  Skipping the per-code-point
        # work here makes the common case about twenty times faster.
        normalized = value.lower()
    else:
        try:
            normalized = _LOCAL_PROFILE.enforce(value)
        except UnicodeEncodeError as exc:
            raise _precis_failure("localpart", exc) from None
        # Width mapping can turn e.g. FULLWIDTH COMMERCIAL AT into '@'.
        for ch in normalized:
            if ch in _LOCAL_EXCLUDED:
                raise JIDError(
                    f"the localpart contains the forbidden character {_show_char(ch)} "
                    "once normalized"
                )
    _check_length("localpart", normalized)
    return normalized


# -- resourcepart ---------------------------------------------------------------


def _prepare_resource(raw: str) -> str:
    """Normalize and check a resourcepart (RFC 7622 §3.4)."""
    value = _check_raw("resourcepart", raw)
    if value.isascii() and value.isprintable():
        # OpaqueString leaves printable ASCII (space included) exactly as it is.
        normalized = value
    else:
        try:
            normalized = _RESOURCE_PROFILE.enforce(value)
        except UnicodeEncodeError as exc:
            raise _precis_failure("resourcepart", exc) from None
    _check_length("resourcepart", normalized)
    return normalized


# -- domainpart -----------------------------------------------------------------


def _map_domain(text: str) -> str:
    """The mappings of RFC 5895 §2: width, lowercase, NFC, then the dots."""
    if text.isascii():
        return text.lower()
    mapped = unicodedata.normalize("NFC", _UCD.width_map(text).lower())
    return mapped.translate(_DOT_MAP)


def _ip_literal(text: str) -> str:
    """An IPv6 address in brackets (RFC 3986 IP-literal), in RFC 5952 form."""
    if not text.endswith("]"):
        raise JIDError(f"the domainpart {_show(text)} opens a '[' but does not end with ']'")
    inner = text[1:-1]
    # ipaddress accepts "%zone" suffixes, which an IP-literal cannot carry; IPvFuture
    # ("v1.x") has no use in XMPP and is refused as well.
    try:
        if "%" in inner:
            raise ValueError(inner)
        address = ipaddress.IPv6Address(inner)
    except ValueError:
        raise JIDError(
            f"the domainpart {_show(text)} is not a valid IPv6 address in brackets"
        ) from None
    # Spelled out rather than taken from str(): Python 3.13 changed how
    # IPv4-mapped addresses print, and the canonical form must not depend on that.
    mapped = address.ipv4_mapped
    canonical = f"::ffff:{mapped}" if mapped is not None else address.compressed
    return f"[{canonical}]"


def _check_hyphens(label: str) -> None:
    if label.startswith("-") or label.endswith("-"):
        raise JIDError(
            f"the domainpart label {_show(label)} begins or ends with a hyphen"
        )
    if label[2:4] == "--":
        # RFC 5891 §4.2.3.1: "??--" is reserved for IDNA; only "xn--" (handled by
        # the caller) has a meaning.
        raise JIDError(
            f"the domainpart label {_show(label)} has hyphens in its third and fourth "
            "positions, which IDNA reserves"
        )


def _check_u_label(label: str) -> None:
    """Code point rules of RFC 5891 §4.2.3 for a label with non-ASCII text."""
    _check_hyphens(label)
    if unicodedata.category(label[0]).startswith("M"):
        raise JIDError(
            f"the domainpart label {_show(label)} begins with a combining mark, "
            f"{_show_char(label[0])}"
        )
    for index, ch in enumerate(label):
        cp = ord(ch)
        if cp < 0x80:
            if not ("a" <= ch <= "z" or "0" <= ch <= "9" or ch == "-"):
                raise _bad_domain_char(ch)
            continue
        prop, kind = derived_property(cp, _UCD)
        if prop in (CONTEXTJ, CONTEXTO):
            if context_rule_error(label, index, _UCD):
                raise JIDError(
                    f"the domainpart contains {_show_char(ch)} where its context rule "
                    "does not allow it"
                )
            continue
        if prop != PVALID:
            reason = _PRECIS_REASONS.get(kind, "a disallowed code point")
            raise JIDError(f"the domainpart contains {reason}, {_show_char(ch)}")
        if any(low <= cp <= high for low, high in _IGNORABLE_BLOCKS) or (
            kind != "exceptions" and unicodedata.normalize("NFKC", ch.casefold()) != ch
        ):
            # RFC 5892 §2.3 (Unstable) and §2.4 (IgnorableBlocks), which PRECIS
            # does not have: e.g. Cherokee small letters, which case-fold upward.
            raise JIDError(
                f"the domainpart contains {_show_char(ch)}, which IDNA2008 disallows"
            )
    if _a_label_octets(label) > _MAX_LABEL_OCTETS:
        raise JIDError(
            f"the domainpart label {_show(label)} is longer than {_MAX_LABEL_OCTETS} "
            "octets in its ASCII (xn--) form"
        )


def _a_label_octets(u_label: str) -> int:
    return len(b"xn--" + u_label.encode("punycode"))


def _bad_domain_char(ch: str) -> JIDError:
    return JIDError(
        f"the domainpart contains the forbidden character {_show_char(ch)}; a domain "
        "name label is made of letters, digits and '-'"
    )


def _decode_a_label(label: str) -> str:
    """Turn an A-label into its U-label, refusing anything that is not one exactly."""
    try:
        u_label = label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        u_label = ""
    if not u_label or u_label.isascii() or _map_domain(u_label) != u_label:
        raise JIDError(f"the domainpart label {_show(label)} is not a valid A-label")
    try:
        _check_u_label(u_label)
    except JIDError as exc:
        raise JIDError(
            f"the domainpart label {_show(label)} is not a valid A-label: it decodes to "
            f"{_show(u_label)}, and {exc.message}"
        ) from None
    # Punycode has more than one spelling for some strings; only the one that
    # encoding produces is an A-label (RFC 5891 §5.4).
    if "xn--" + u_label.encode("punycode").decode("ascii") != label:
        raise JIDError(f"the domainpart label {_show(label)} is not a valid A-label")
    return u_label


def _prepare_label(label: str) -> str:
    if not label:
        raise JIDError("the domainpart contains an empty label (two dots in a row, or a "
                       "leading dot)")
    if label.startswith("xn--"):
        return _decode_a_label(label)
    if not label.isascii():
        _check_u_label(label)
        return label
    if _LDH_LABEL.fullmatch(label) is None:
        bad = next(c for c in label if not ("a" <= c <= "z" or "0" <= c <= "9" or c == "-"))
        raise _bad_domain_char(bad)
    _check_hyphens(label)
    if len(label) > _MAX_LABEL_OCTETS:
        raise JIDError(
            f"the domainpart label {_show(label)} is longer than {_MAX_LABEL_OCTETS} octets"
        )
    return label


def _prepare_domain(raw: str) -> str:
    """Normalize and check a domainpart (RFC 7622 §3.2)."""
    value = _check_raw("domainpart", raw)
    # RFC 7622 §3.2: one trailing dot goes, before any other canonicalization.
    if value.endswith("."):
        value = value[:-1]
        if not value:
            raise JIDError("the domainpart is empty once its trailing dot is removed")
    if value.startswith("["):
        return _ip_literal(value)
    if value.isascii():
        lowered = value.lower()
        if (
            len(lowered) <= MAX_PART_OCTETS
            and _PLAIN_HOSTNAME.fullmatch(lowered) is not None
            and ("--" not in lowered or _RESERVED_LABEL.search(lowered) is None)
        ):
            return lowered
    return _prepare_domain_name(value)


def _prepare_domain_name(value: str) -> str:
    """Map and check a domainpart that is not an IP-literal, label by label."""
    mapped = _map_domain(value)
    if not mapped.isascii() and _map_domain(mapped) != mapped:
        raise JIDError("the domainpart changes if normalized a second time")
    labels = mapped.split(".")
    last = labels[-1]
    if last.isascii() and last.isdigit():
        # RFC 1123 §2.1 and RFC 3696 §2: a top-level label is never all digits, so
        # a name ending in one is meant as an IPv4 address and must be a valid one.
        try:
            return str(ipaddress.IPv4Address(mapped))
        except ValueError:
            raise JIDError(
                f"the domainpart {_show(value)} ends in an all-numeric label but is not "
                "a valid IPv4 address"
            ) from None
    normalized = ".".join(_prepare_label(label) for label in labels)
    if not normalized.isascii() and has_rtl(normalized, _UCD):
        # RFC 5893 §2: once one label is right-to-left, every label must pass.
        for label in normalized.split("."):
            if not bidi_rule(label, _UCD):
                raise JIDError(
                    f"the domainpart label {_show(label)} breaks the bidi rule (RFC 5893)"
                )
    _check_length("domainpart", normalized)
    return normalized


_normalize_local: Final = _memoized(_prepare_local)
_normalize_domain: Final = _memoized(_prepare_domain)
# Resourceparts are not memoized on their own: they vary more than the other parts,
# whole addresses are memoized by JID.parse, and the ASCII path is already cheap.
_normalize_resource: Final = _prepare_resource


# -- the JID --------------------------------------------------------------------


class _Spelled:
    """Where a JID keeps its string form once it is known (see :meth:`JID.__str__`):
    the same addresses are written on stanza after stanza.  Not a field, so it takes
    no part in comparing, hashing, copying or pickling."""

    __slots__ = ("_text",)
    _text: str | None


@dataclass(frozen=True, slots=True, repr=False)
class JID(_Spelled):
    """An XMPP address, ``[local@]domain[/resource]``, with normalized parts.

    ``JID(local, domain, resource)`` normalizes and checks each part and raises
    :class:`~xepcodec.errors.JIDError` (condition ``jid-malformed``) naming the part
    and the rule it breaks; ``JID.parse(text)`` does the same for the string form.
    Because the fields always hold normalized parts, ``==`` and ``hash`` compare
    addresses as RFC 7622 §3 does: ``JID.parse("Juliet@Example.COM") ==
    JID.parse("juliet@example.com")``.
    """

    local: str | None
    domain: str
    resource: str | None = None

    def __post_init__(self) -> None:
        # Fields are assigned through the slots' own setters because the class is frozen.
        local, resource = self.local, self.resource
        if local is not None:
            _set_local(self, _normalize_local(local))
        _set_domain(self, _normalize_domain(self.domain))
        if resource is not None:
            _set_resource(self, _normalize_resource(resource))
        _set_text(self, None)

    @classmethod
    def parse(cls, text: str) -> JID:
        """Parse the string form of a JID (RFC 7622 §3.1).

        The resourcepart is everything after the first '/', so it may contain '@'
        and '/'; the localpart is whatever precedes the first '@' before that.
        Results are memoized, so parsing an address seen recently is a lookup.
        """
        if not isinstance(text, str):
            raise ArgumentTypeError(f"a JID is parsed from a str, not {type(text).__name__}")
        if cls is JID and len(text) <= _CACHEABLE_CHARS:
            return _parse_cached(text)
        return _parse(cls, text)

    @classmethod
    def _trusted(cls, local: str | None, domain: str, resource: str | None,
                 text: str | None = None) -> JID:
        """Build a JID from normalized parts (and its string form, when known),
        skipping the checks."""
        if cls is JID:
            return _build(local, domain, resource, text)
        jid = object.__new__(cls)
        _set_local(jid, local)
        _set_domain(jid, domain)
        _set_resource(jid, resource)
        _set_text(jid, text)
        return jid

    @property
    def bare(self) -> JID:
        """This address without its resourcepart."""
        if self.resource is None:
            return self
        return self._trusted(self.local, self.domain, None)

    @property
    def domain_jid(self) -> JID:
        """The address of this address's domain (no localpart, no resourcepart)."""
        if self.local is None and self.resource is None:
            return self
        return self._trusted(None, self.domain, None)

    @property
    def is_bare(self) -> bool:
        """True when there is no resourcepart."""
        return self.resource is None

    @property
    def is_full(self) -> bool:
        """True when there is a resourcepart."""
        return self.resource is not None

    @property
    def is_domain(self) -> bool:
        """True for a domain alone: no localpart and no resourcepart."""
        return self.local is None and self.resource is None

    def with_resource(self, resource: str | None) -> JID:
        """The same bare address with ``resource`` (checked), or bare for ``None``."""
        if resource is None:
            return self.bare
        return self._trusted(self.local, self.domain, _normalize_resource(resource))

    def __str__(self) -> str:
        try:
            text = self._text
        except AttributeError:  # unpickled or copied: only the fields came along
            text = None
        if text is None:
            text = self.domain if self.local is None else f"{self.local}@{self.domain}"
            if self.resource is not None:
                text = f"{text}/{self.resource}"
            _set_text(self, text)
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}.parse({str(self)!r})"


def _split(text: str) -> tuple[str | None, str, str | None]:
    """Cut a JID string into its parts (RFC 7622 §3.1), before any normalization.

    The separators are found first because normalization could create new ones
    (FULLWIDTH SOLIDUS becomes '/').
    """
    if not text:
        raise JIDError("the JID is empty")
    rest, slash, resource = text.partition("/")
    if slash and not resource:
        raise JIDError("the resourcepart is empty: nothing follows the '/'")
    local, at, domain = rest.partition("@")
    if not at:
        local, domain = "", local
    elif not local:
        raise JIDError("the localpart is empty: nothing precedes the '@'")
    if not domain:
        raise JIDError("the domainpart is empty")
    return local or None, domain, resource if slash else None


# The common case of a whole address, checked by one match: an ASCII localpart that
# is printable, without spaces and without the eight characters RFC 7622 §3.3.1
# excludes; LDH labels without edge or doubled hyphens (so no A-label or other
# reserved label), the last one not all digits; a printable ASCII resourcepart.
# For such text each part's normalization is at most lowercasing (see _prepare_local
# and _prepare_domain), and nothing in it can be an error but an over-long label.
# Possessive quantifiers: a failed match gives up at once instead of backtracking.
_ASCII_LABEL: Final = r"[a-zA-Z0-9]++(?:-[a-zA-Z0-9]++)*+"
_PLAIN_JID: Final = re.compile(
    r"(?:([!#-%(-.0-9;=?A-~]++)@)?"
    rf"((?:{_ASCII_LABEL}\.)*+(?=[0-9-]*+[a-zA-Z]){_ASCII_LABEL})"
    r"(?:/([ -~]++))?"
)


def _parse_plain(text: str) -> JID | None:
    """The address ``text`` names if it has the common form above, else None.

    None says only "not checked here": the caller takes the part-by-part path, which
    accepts or explains everything.  Whatever this returns, that path returns too
    (a property test holds them equal).
    """
    if len(text) > MAX_PART_OCTETS:
        return None  # then a part could be too long: the part-by-part path measures
    match = _PLAIN_JID.fullmatch(text)
    if match is None:
        return None
    local, domain, resource = match.groups()
    if len(domain) > _MAX_LABEL_OCTETS and any(
        len(label) > _MAX_LABEL_OCTETS for label in domain.split(".")
    ):
        return None
    lower_domain = domain.lower()
    spelled = lower_domain == domain  # the text is the string form unless lowercasing changed it
    if local is not None:
        lower_local = local.lower()
        spelled = spelled and lower_local == local
        local = lower_local
    return _build(local, lower_domain, resource, text if spelled else None)


def _parse(cls: type[JID], text: str) -> JID:
    if cls is JID:
        return _parse_plain(text) or _parse_parts(text)
    return cls(*_split(text))


def _parse_parts(text: str) -> JID:
    """Parse any JID part by part: what :func:`_parse_plain` leaves."""
    local, domain, resource = _split(text)
    # The parts are normalized in the constructor's order, so the same part is blamed
    # first; the text is kept as the string form when normalizing changed nothing.
    parts = (None if local is None else _normalize_local(local), _normalize_domain(domain),
             None if resource is None else _normalize_resource(resource))
    return JID._trusted(*parts, text if parts == (local, domain, resource) else None)


def _setter(name: str) -> Callable[[JID, str | None], None]:
    setter: Callable[[JID, str | None], None] = getattr(JID, name).__set__
    return setter


# The slots' own setters: cheaper than object.__setattr__, which looks the name up.
_set_local: Final = _setter("local")
_set_domain: Final = _setter("domain")
_set_resource: Final = _setter("resource")
_set_text: Final = _setter("_text")


class _Draft(_Spelled):
    """A JID being built: JID's own slots without its frozen ``__setattr__``.

    Plain assignment stores the fields at a fraction of the cost of the slots' setters;
    the draft then becomes a JID by ``__class__`` assignment, which CPython allows only
    between classes of identical layout (hence the shared ``__slots__``).
    """

    __slots__ = JID.__slots__
    local: str | None
    domain: str
    resource: str | None


def _build(local: str | None, domain: str, resource: str | None, text: str | None) -> JID:
    """A JID of parts already normalized (and its string form, when known)."""
    draft = _Draft()
    draft.local = local
    draft.domain = domain
    draft.resource = resource
    draft._text = text
    draft.__class__ = JID  # type: ignore[assignment]
    return draft  # type: ignore[return-value]


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_cached(text: str) -> JID:
    """Memoized :meth:`JID.parse`.

    Only successes are stored (lru_cache does not keep exceptions), only for
    strings of up to _CACHEABLE_CHARS code points, and JIDs are immutable, so
    handing the same object to every caller is safe.
    """
    return _parse_plain(text) or _parse_parts(text)
