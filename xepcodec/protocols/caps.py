"""Entity Capabilities (XEP-0115).

An entity advertises what it can do in its presence (or as a stream feature) with a
small ``<c/>`` element: the software (``node``), the hash function (``hash``) and a
verification string (``ver``), a hash of its disco#info answer.  Receivers who have
seen that ``ver`` before know the answer without asking; the others ask once
(``node#ver``), check that the answer hashes to the advertised ``ver``, and cache it.

* :class:`Caps` is the element.  Before version 1.4 of the XEP there was no ``hash``
  and ``ver`` was a software version: such a legacy element still parses (its ``hash``
  is None, :attr:`Caps.is_legacy` is true) but cannot be verified.  The deprecated
  ``ext`` attribute is kept as written, with :attr:`Caps.ext_names` splitting it.
* :func:`compute_ver` builds the verification string of a disco#info answer (the
  generation method of XEP-0115 §5.1), :meth:`Caps.for_info` the element advertising
  it, and :func:`verify` applies the processing method of §5.4 to an advertised
  element and the answer received for it.

Hash functions are named as in the IANA "Hash Function Textual Names" registry:
``sha-1`` (which the XEP makes mandatory), ``sha-224``, ``sha-256``, ``sha-384`` and
``sha-512`` are supported.  MD5 and MD2, also in that registry, are deliberately not:
a ``ver`` made with them is treated as one made with an unknown function, which the
XEP answers by not caching it globally.

Failures are :class:`CapsError`, a :class:`~xepcodec.errors.ParseError` (the data
received cannot be accepted) whose :attr:`CapsError.reason` says which rule failed.
"""

from __future__ import annotations

import base64
import enum
import hashlib
from collections.abc import Callable, Iterable
from typing import Any, Final

from xepcodec.core.namespaces import CLIENT
from xepcodec.core.stanzas import Iq
from xepcodec.datatypes.jid import JID
from xepcodec.errors import ParseError
from xepcodec.model import attr, element
from xepcodec.model.values import String
from xepcodec.protocols.dataforms import FORM_TYPE, FieldType, Form
from xepcodec.protocols.disco import InfoQuery, info_request

__all__ = [
    "FEATURE",
    "FEATURE_OPTIMIZE",
    "HASH_FUNCTIONS",
    "NS_CAPS",
    "Caps",
    "CapsError",
    "CapsFailure",
    "check_well_formed",
    "compute_ver",
    "ver_input",
    "verify",
]

#: The namespace of the ``<c/>`` element, also the feature an entity supporting caps
#: advertises in disco#info.
NS_CAPS: Final = "http://jabber.org/protocol/caps"
FEATURE: Final = NS_CAPS
#: The feature a server advertises when it strips repeated caps from presence.
FEATURE_OPTIMIZE: Final = NS_CAPS + "#optimize"

#: IANA hash function names -> the hashlib constructor computing them.
HASH_FUNCTIONS: Final[dict[str, Callable[[bytes], Any]]] = {
    "sha-1": hashlib.sha1,
    "sha-224": hashlib.sha224,
    "sha-256": hashlib.sha256,
    "sha-384": hashlib.sha384,
    "sha-512": hashlib.sha512,
}

# A hash function name: IANA's names are letters, digits and hyphens.
_HASH_NAME: Final = String(min_length=1, pattern=r"[A-Za-z0-9][A-Za-z0-9._\-]*")
# ASCII name tokens, what legacy ext bundle names are made of.  (XML allows more
# letters in an NMTOKEN; no bundle name in use needs them.)
_TOKEN_CHARS = r"[A-Za-z0-9._:\-]"
_TOKENS: Final = String(min_length=1,
                        pattern=f"[ \\t\\n\\r]*{_TOKEN_CHARS}+(?:[ \\t\\n\\r]+{_TOKEN_CHARS}+)*"
                                "[ \\t\\n\\r]*")
_NON_EMPTY: Final = String(min_length=1)


class CapsFailure(enum.StrEnum):
    """Which rule of XEP-0115 a caps element or its disco#info answer broke."""

    #: no ``hash``: the legacy format, whose ``ver`` is not a hash at all
    LEGACY = "legacy"
    #: a hash function this library does not implement
    UNSUPPORTED_HASH = "unsupported-hash"
    #: the disco#info answer is ill-formed for caps (duplicates, see :func:`verify`)
    ILL_FORMED = "ill-formed"
    #: the disco#info answer does not hash to the advertised ``ver``
    MISMATCH = "mismatch"


_CONDITIONS: Final = {
    CapsFailure.LEGACY: "feature-not-implemented",
    CapsFailure.UNSUPPORTED_HASH: "feature-not-implemented",
    CapsFailure.ILL_FORMED: "bad-request",
    CapsFailure.MISMATCH: "not-acceptable",
}


class CapsError(ParseError):
    """Entity capabilities that cannot be accepted.

    ``reason`` tells the cases apart: a legacy element or an unknown hash function
    (``feature-not-implemented``: the XEP says to use the disco#info answer for that
    one JID only, without caching it under the ``ver``), an ill-formed answer
    (``bad-request``) and a ``ver`` that does not match (``not-acceptable``: do not
    cache; another entity advertising the same ``ver`` may be asked instead).
    """

    def __init__(self, message: str, *, reason: CapsFailure, path: str | None = None) -> None:
        super().__init__(message, condition=_CONDITIONS[reason], path=path, stream=False)
        self.reason = reason


@element(NS_CAPS, "c")
class Caps:
    """The caps element: ``hash`` (None in the legacy format), ``node`` (a URI naming
    the software), ``ver`` (the verification string, or in the legacy format the
    software's version) and the deprecated ``ext`` (space-separated bundle names)."""

    hash: str | None = attr(default=None, value=_HASH_NAME)
    node: str = attr(value=_NON_EMPTY)
    ver: str = attr(value=_NON_EMPTY)
    ext: str | None = attr(default=None, value=_TOKENS)

    @classmethod
    def for_info(cls, info: InfoQuery, node: str, algo: str = "sha-1") -> Caps:
        """The element advertising ``info`` for the software ``node``, hashed with
        ``algo`` (see :func:`compute_ver`)."""
        return cls(hash=algo, node=node, ver=compute_ver(info, algo))

    @property
    def is_legacy(self) -> bool:
        """Whether this is the legacy format (no ``hash``), which cannot be verified."""
        return self.hash is None

    @property
    def ext_names(self) -> tuple[str, ...]:
        """The names of the ``ext`` attribute, in order; empty when there is none."""
        return tuple(self.ext.split()) if self.ext is not None else ()

    @property
    def disco_node(self) -> str:
        """The node to ask disco#info about: ``node#ver``."""
        return f"{self.node}#{self.ver}"

    def disco_request(self, *, id: str, to: JID, from_: JID | None = None,
                      namespace: str = CLIENT) -> Iq:
        """The disco#info request to send to the advertising entity (``to`` must be
        its exact JID, the full JID of a client) to learn what ``ver`` stands for."""
        return info_request(id=id, to=to, node=self.disco_node, from_=from_,
                            namespace=namespace)


# -- the verification string ---------------------------------------------------------------


def _hash_function(algo: str | None) -> Callable[[bytes], Any]:
    if algo is None:
        raise CapsError("the caps element has no 'hash': it is in the legacy format "
                        "(XEP-0115 before 1.4), whose 'ver' is not a verification string",
                        reason=CapsFailure.LEGACY)
    function = HASH_FUNCTIONS.get(algo)
    if function is None:
        known = ", ".join(HASH_FUNCTIONS)
        raise CapsError(f"the hash function {algo!r} is not supported (supported: {known}); "
                        "the answer may be used for this entity only, not cached by 'ver'",
                        reason=CapsFailure.UNSUPPORTED_HASH)
    return function


def _form_type_field_values(form: Form) -> tuple[str, ...] | None:
    """The values of the form's FORM_TYPE field, or None when it has none."""
    field = form.get(FORM_TYPE)
    return None if field is None else field.values


def _counted_forms(info: InfoQuery) -> list[tuple[str, Form]]:
    """The forms that enter the verification string, with their FORM_TYPE: those
    whose FORM_TYPE field is hidden and has a value (XEP-0115 §5.4 says to ignore the
    others)."""
    counted: list[tuple[str, Form]] = []
    for form in info.forms:
        field = form.get(FORM_TYPE)
        if field is not None and field.type == FieldType.HIDDEN and field.values:
            counted.append((field.values[0], form))
    return counted


def _form_segment(form_type: str, form: Form) -> str:
    parts = [form_type]
    fields = sorted((field for field in form.fields
                     if field.var is not None and field.var != FORM_TYPE),
                    key=lambda field: (field.var or "", sorted(field.values)))
    for field in fields:
        parts.append(field.var or "")
        parts.extend(sorted(field.values))
    return "".join(part + "<" for part in parts)


def ver_input(info: InfoQuery) -> bytes:
    """The string S the verification string hashes (XEP-0115 §5.1), UTF-8 encoded.

    Identities, sorted by category, then type, then xml:lang (then name), each as
    ``category/type/lang/name<``; the features' vars, sorted, each followed by ``<``;
    then the extended-information forms sorted by FORM_TYPE: the FORM_TYPE followed
    by ``<``, and for every other field, sorted by var, the var and then its sorted
    values, each followed by ``<``.  Strings compare by code point, which is the
    i;octet order of their UTF-8 bytes.  Nothing is unescaped: the four characters
    ``&lt;`` in a name stay four characters.

    Forms without a hidden FORM_TYPE field are left out, and so are fields without a
    var (which only a fixed field may lack).  The answer is not checked here; see
    :func:`check_well_formed`.
    """
    identities = sorted(
        (identity.category, identity.type, identity.lang or "", identity.name or "")
        for identity in info.identities)
    parts = ["/".join(identity) + "<" for identity in identities]
    parts.extend(var + "<" for var in sorted(info.feature_vars))
    segments = sorted((form_type, _form_segment(form_type, form))
                      for form_type, form in _counted_forms(info))
    parts.extend(segment for _, segment in segments)
    return "".join(parts).encode("utf-8")


def compute_ver(info: InfoQuery, algo: str = "sha-1") -> str:
    """The verification string of the disco#info answer ``info``: :func:`ver_input`
    hashed with the IANA-named function ``algo``, in Base64.

    Raises :class:`CapsError` for an unsupported function (``UNSUPPORTED_HASH``) and
    for an answer :func:`check_well_formed` refuses (``ILL_FORMED``): no receiver
    would accept a ``ver`` computed over it.
    """
    function = _hash_function(algo)
    check_well_formed(info)
    digest: bytes = function(ver_input(info)).digest()
    return base64.b64encode(digest).decode("ascii")


def _first_duplicate(keys: Iterable[Any]) -> Any:
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return None


def check_well_formed(info: InfoQuery) -> None:
    """Apply the checks XEP-0115 §5.4 makes of a disco#info answer before hashing it.

    The answer is ill-formed (:class:`CapsError`, ``ILL_FORMED``) when it holds two
    identities with the same category, type, xml:lang and name; two features with the
    same var; two forms with the same FORM_TYPE; or a FORM_TYPE field with different
    values.  (A form whose FORM_TYPE field is not hidden, or that has none, is not an
    error: it is left out of the hash.)
    """
    identity = _first_duplicate(
        (each.category, each.type, each.lang or "", each.name or "")
        for each in info.identities)
    if identity is not None:
        raise CapsError("the disco#info answer lists the identity "
                        f"{'/'.join(identity)!r} twice", reason=CapsFailure.ILL_FORMED,
                        path="/query/identity")
    feature = _first_duplicate(info.feature_vars)
    if feature is not None:
        raise CapsError(f"the disco#info answer lists the feature {feature!r} twice",
                        reason=CapsFailure.ILL_FORMED, path="/query/feature")
    form_types: list[str] = []
    for form in info.forms:
        values = _form_type_field_values(form)
        if not values:
            continue
        if len(set(values)) > 1:
            raise CapsError(f"a form's FORM_TYPE field holds different values "
                            f"({', '.join(repr(value) for value in values)})",
                            reason=CapsFailure.ILL_FORMED, path="/query/x")
        form_types.append(values[0])
    form_type = _first_duplicate(form_types)
    if form_type is not None:
        raise CapsError(f"the disco#info answer holds two forms with the FORM_TYPE "
                        f"{form_type!r}", reason=CapsFailure.ILL_FORMED, path="/query/x")


def verify(caps: Caps, info: InfoQuery) -> None:
    """Check the disco#info answer ``info`` against the advertised ``caps``, as the
    processing method of XEP-0115 §5.4 does.  Returns None when the answer may be
    cached under ``caps.ver``; otherwise raises :class:`CapsError` whose ``reason``
    is, in the order checked:

    * ``LEGACY``: no ``hash`` attribute;
    * ``UNSUPPORTED_HASH``: a hash function not in :data:`HASH_FUNCTIONS`;
    * ``ILL_FORMED``: see :func:`check_well_formed`;
    * ``MISMATCH``: the answer does not hash to ``caps.ver``.

    The answer's node is not compared with :attr:`Caps.disco_node`; a caller that
    asked with that node may check it with
    :func:`~xepcodec.protocols.disco.check_info_result`.
    """
    function = _hash_function(caps.hash)
    check_well_formed(info)
    digest: bytes = function(ver_input(info)).digest()
    computed = base64.b64encode(digest).decode("ascii")
    if computed != caps.ver:
        raise CapsError(f"the disco#info answer hashes ({caps.hash}) to {computed!r}, not "
                        f"to the advertised ver {caps.ver!r}", reason=CapsFailure.MISMATCH,
                        path="/c/@ver")
