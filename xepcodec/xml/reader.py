"""Restricted XML (RFC 6120 §11.1): the only XML xepcodec accepts.

XMPP forbids DTDs, comments, processing instructions and entity references other
than the five predefined ones, and it allows only UTF-8.  :func:`parse_xml` enforces
that and a set of size :class:`Limits` before anything else sees the tree.

How it stays fast: almost every stanza is small and plain, so every check starts
with a bound that is cheap to compute and usually proves the check cannot fail.

* Forbidden markup can only begin with ``<!`` or ``<?``, so when the input holds
  no ``!`` and no ``?`` at all (two ``memchr`` scans) there is nothing to look for.
  Otherwise a regular expression that skips CDATA sections finds the first suspect.
* Entity references need no scan: with every DTD refused before parsing, libxml2
  reports any reference beyond the predefined five as undeclared, and that error
  is reported as ``restricted-xml``.
* Invalid UTF-8 and characters outside XML 1.0 need no scan either: libxml2 rejects
  them itself, with error codes that tell the two apart.
* Size limits are checked on the tree only when a bound from the raw bytes (the
  length, the number of ``<``, the longest run of ``=`` between two ``<``) does not
  already prove them; the tree checks are XPath expressions, so they run in C.

The parser never fetches anything (no DTD loading, no network, no entity
substitution, no XInclude processing) whatever the input says.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, cast

from lxml import etree

from xepcodec.errors import ArgumentTypeError, ParseError
from xepcodec.xml.paths import line_of, path_of, shorten

__all__ = ["DEFAULT_LIMITS", "Limits", "namespace_error", "parse_xml"]

#: Deepest nesting libxml2 accepts without ``huge_tree``.  A stream reader needs one
#: level for the stream element, so a stanza can be at most this deep minus one.
LIBXML2_MAX_DEPTH: Final = 256


@dataclass(frozen=True)
class Limits:
    """Bounds on what a single document (or a single stanza of a stream) may contain.

    Exceeding any of them is a ``policy-violation``.  Lengths of text and attribute
    values are counted in characters, the document size in bytes.  The defaults are
    generous for XMPP, whose real stanzas are a few kilobytes and a dozen levels
    deep (Prosody refuses client stanzas over 256 KiB).

    ``max_size`` is what bounds memory: libxml2 spends about 140 bytes per element
    or attribute, so input made only of ``<c/>`` grows some 35-fold when parsed
    (measured: 16 MB of it took 550 MB).  The default of 1 MiB keeps the worst case
    near 35 MB; raise it for large files you trust more, such as archive exports.
    """

    #: Nesting depth of elements, the root counting as 1.  At most 255 (libxml2
    #: refuses 257 levels, and a stream needs one level for itself).
    max_depth: int = 100
    #: Characters in one attribute value.
    max_attribute_length: int = 64 * 1024
    #: Characters in one run of text (CDATA sections included).
    max_text_length: int = 256 * 1024
    #: Attributes on one element (namespace declarations not counted).
    max_attributes: int = 64
    #: Child elements of one element.
    max_children: int = 10_000
    #: Bytes of one document, or of one stanza in a stream.
    max_size: int = 1024 * 1024

    # Derived bounds, computed once: the smallest document that could break each
    # limit.  Documents shorter than _floor cannot break any, whatever they contain.
    _floor: int = field(init=False, repr=False, compare=False)
    _depth_floor: int = field(init=False, repr=False, compare=False)
    _elements_floor: int = field(init=False, repr=False, compare=False)
    _attributes_floor: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("max_depth", "max_attribute_length", "max_text_length",
                     "max_attributes", "max_children", "max_size"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{name} must be a positive int, not {value!r}")
        if self.max_depth > LIBXML2_MAX_DEPTH - 1:
            raise ValueError(f"Limits.max_depth cannot exceed {LIBXML2_MAX_DEPTH - 1}: libxml2 "
                             "itself stops at that depth unless huge_tree is on, which it never is")
        # Nesting d+1 levels takes at least "<a>" + "</a>" per level and "<a/>" inside;
        # n+1 children take 4 bytes each; n+1 attributes take at least ' a=""' each;
        # a value or text longer than n characters takes more than n bytes.
        depth_floor = 7 * self.max_depth + 4
        children_floor = 7 + 4 * (self.max_children + 1)
        attributes_floor = 4 + 5 * (self.max_attributes + 1)
        object.__setattr__(self, "_depth_floor", depth_floor)
        object.__setattr__(self, "_elements_floor", min(depth_floor, children_floor))
        object.__setattr__(self, "_attributes_floor", attributes_floor)
        object.__setattr__(self, "_floor", min(
            depth_floor, children_floor, attributes_floor,
            self.max_attribute_length + 1, self.max_text_length + 1))


DEFAULT_LIMITS: Final = Limits()

# ---------------------------------------------------------------------------------------
# The parser

#: Options that make libxml2 inert: nothing loaded, nothing substituted, nothing
#: dropped silently (comments and PIs are kept so that nothing is hidden from the
#: checks), no limit lifted.  CDATA sections become plain text, as XMPP treats them.
PARSER_OPTIONS: Final[dict[str, Any]] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "attribute_defaults": False,
    "huge_tree": False,
    "recover": False,
    "remove_comments": False,
    "remove_pis": False,
    "remove_blank_text": False,
    "strip_cdata": True,
    "ns_clean": False,
    "collect_ids": False,
}

# lxml parsers must not be used by two threads at once; one per thread costs a
# dictionary lookup per parse, measurably nothing next to parsing.
_local = threading.local()


def _parser() -> etree.XMLParser:
    try:
        return cast(etree.XMLParser, _local.parser)
    except AttributeError:  # the first parse in this thread
        parser = _local.parser = etree.XMLParser(**PARSER_OPTIONS)
        return parser


# ---------------------------------------------------------------------------------------
# Encoding and the XML declaration

_BOM_UTF8: Final = b"\xef\xbb\xbf"
_BOMS_OTHER: Final = (b"\xfe\xff", b"\xff\xfe", b"\x00\x00\xfe\xff")

_XML_DECL: Final = re.compile(
    rb"<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:'(?P<v1>[^'<&]*)'|\"(?P<v2>[^\"<&]*)\")"
    rb"(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:'(?P<e1>[^'<&]*)'|\"(?P<e2>[^\"<&]*)\"))?"
    rb"(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:'(?:yes|no)'|\"(?:yes|no)\"))?"
    rb"[ \t\r\n]*\?>"
)
#: "<?xml" followed by what can only be an XML declaration (not "<?xml-stylesheet").
_DECL_START: Final = re.compile(rb"<\?xml(?:[ \t\r\n?]|\Z)")
_UTF8_NAMES: Final = frozenset({b"utf-8", b"utf8"})


def check_encoding_start(data: bytes) -> None:
    """Refuse input whose first bytes show an encoding other than UTF-8."""
    if data.startswith(_BOMS_OTHER):
        raise ParseError("the input starts with a UTF-16 or UTF-32 byte order mark; XMPP "
                         "allows only UTF-8 (RFC 6120 §11.6)",
                         condition="unsupported-encoding", stream=True, line=1)
    if b"\x00" in data[:2]:
        raise ParseError("the input starts with NUL bytes, so it is UTF-16 or UTF-32 "
                         "encoded; XMPP allows only UTF-8 (RFC 6120 §11.6)",
                         condition="unsupported-encoding", stream=True, line=1)


def declaration_end(data: bytes, pos: int) -> int:
    """Check an XML declaration at *pos*, if there is one; return where it ends.

    The declaration must be well formed, say version 1.0 and, if it names an encoding,
    name UTF-8.  Without a declaration *pos* is returned unchanged.
    """
    if not _DECL_START.match(data, pos):
        return pos
    match = _XML_DECL.match(data, pos)
    if match is None:
        raise ParseError("malformed XML declaration", condition="not-well-formed", stream=True,
                         line=1)
    encoding = match["e1"] if match["e1"] is not None else match["e2"]
    if encoding is not None and encoding.lower() not in _UTF8_NAMES:
        name = encoding.decode("ascii", "replace")
        raise ParseError(f"the XML declaration names the encoding {name!r}; XMPP allows only "
                         "UTF-8 (RFC 6120 §11.6)", condition="unsupported-encoding", stream=True,
                         line=1)
    version = match["v1"] if match["v1"] is not None else match["v2"]
    if version != b"1.0":
        name = version.decode("ascii", "replace")
        raise ParseError(f"the XML declaration says version {name!r}; XMPP uses XML 1.0 "
                         "(RFC 6120 §11)", condition="not-well-formed", stream=True, line=1)
    return match.end()


# ---------------------------------------------------------------------------------------
# Forbidden markup

#: A whole CDATA section (skipped: its content is text) or a suspect "<!" / "<?".
#: Outside CDATA sections a "<" can only be markup, so this sees every DTD, comment
#: and PI of a well-formed document; in a malformed one libxml2 stops first.
_MARKUP: Final = re.compile(rb"<(?:!\[CDATA\[.*?\]\]>|[!?])", re.DOTALL)
_PI_TARGET: Final = re.compile(rb"[^ \t\r\n?]{0,40}")
_MARKUP_DECLS: Final = (b"<!ELEMENT", b"<!ATTLIST", b"<!NOTATION")


def markup_problem(data: bytes, pos: int) -> tuple[str, str] | None:
    """What is wrong with the ``<!`` or ``<?`` at *pos*: (condition, message).

    None means it opens a CDATA section (complete or not yet complete), which is fine.
    """
    if data.startswith(b"<?", pos):
        if _DECL_START.match(data, pos):
            return ("not-well-formed",
                    "an XML declaration is only allowed at the very start of the input")
        target = _PI_TARGET.match(data, pos + 2)
        name = target[0].decode("utf-8", "replace") if target else ""
        return ("restricted-xml", f"processing instruction <?{name}...?> found; XMPP forbids "
                "processing instructions (RFC 6120 §11.1)")
    opening = data[pos : pos + 9]
    if opening == b"<![CDATA[" or (len(opening) < 9 and b"<![CDATA[".startswith(opening)):
        return None
    if data.startswith(b"<!--", pos):
        return ("restricted-xml", "comment found; XMPP forbids comments (RFC 6120 §11.1)")
    if data.startswith(b"<!DOCTYPE", pos):
        return ("restricted-xml", "document type declaration (DTD) found; XMPP forbids DTDs "
                "and with them entity declarations (RFC 6120 §11.1)")
    if data.startswith(b"<!ENTITY", pos):
        return ("restricted-xml", "entity declaration found; XMPP forbids entity "
                "declarations (RFC 6120 §11.1)")
    if data.startswith(_MARKUP_DECLS, pos):
        return ("restricted-xml", "markup declaration found; XMPP forbids DTDs "
                "(RFC 6120 §11.1)")
    return ("not-well-formed", "'<!' that opens neither a CDATA section nor anything else "
            "XML allows in content")


def _first_suspect(data: bytes, start: int, mark: int, found: int) -> int:
    """Where the first "<" followed by *mark* ("!" or "?") is, or -1; *found* is where
    the first *mark* at or after *start* is (-1: nowhere).

    "!" and "?" are rare in stanzas and memchr finds them at once; the regular
    expression is only worth running where one of them follows a "<".  Text full of
    "!" would make this loop slow, so after many misses the regular expression takes
    over from the last one (none before it follows a "<"): a step of this loop costs
    about what the expression spends on a hundred bytes.
    """
    misses = 0
    while found > start:
        if data[found - 1] == 0x3C:  # "<"
            return found - 1
        misses += 1
        if misses > 64:
            return found
        found = data.find(mark, found + 1)
    return found  # -1, or start itself when the input begins with the mark


def _check_markup(data: bytes, start: int, bang: int, query: int) -> None:
    """Refuse DTDs, comments and PIs; *bang* and *query* are where the first "!" and
    "?" at or after *start* are (-1: nowhere)."""
    # The first "<!" or "<?" cannot lie inside a CDATA section, since that section
    # would have begun with an earlier "<!"; the scan starts there.
    bang = _first_suspect(data, start, 0x21, bang)
    query = _first_suspect(data, start, 0x3F, query)
    if bang < 0 and query < 0:
        return
    first = min(bang, query) if bang >= 0 and query >= 0 else max(bang, query)
    for match in _MARKUP.finditer(data, first):
        if match.end() - match.start() > 2:
            continue  # a complete CDATA section: its content is text
        problem = markup_problem(data, match.start())
        if problem is None:
            return  # an unterminated CDATA section: libxml2 reports it
        raise _located(data, match.start(), *problem)


def _located(data: bytes, pos: int, condition: str, message: str) -> ParseError:
    line = data.count(b"\n", 0, pos) + 1
    column = pos - data.rfind(b"\n", 0, pos)
    return ParseError(f"{message} (column {column})", condition=condition, stream=True,
                      path=open_path(data[:pos]), line=line)


# ---------------------------------------------------------------------------------------
# libxml2's own errors

# libxml2 error codes (xmlParserErrors); lxml.etree.ErrorTypes has the same numbers.
_ERR_INVALID_CHAR: Final = 9
_ERR_UNDECLARED_ENTITY: Final = 26
_ERR_UNPARSED_ENTITY: Final = 28
_ERR_UNKNOWN_ENCODING: Final = 31
_ERR_UNSUPPORTED_ENCODING: Final = 32
_ERR_INVALID_ENCODING: Final = 81
_ERR_ENTITY_LOOP: Final = 89
_ERR_NAME_TOO_LONG: Final = 110
_ERR_RESOURCE_LIMIT: Final = 114

_ENCODING_ERRORS: Final = frozenset(
    {_ERR_UNKNOWN_ENCODING, _ERR_UNSUPPORTED_ENCODING, _ERR_INVALID_ENCODING})
_ENTITY_ERRORS: Final = frozenset({_ERR_UNDECLARED_ENTITY, _ERR_UNPARSED_ENTITY, _ERR_ENTITY_LOOP})
_LIMIT_ERRORS: Final = frozenset({_ERR_NAME_TOO_LONG, _ERR_RESOURCE_LIMIT})
_LOCATION_SUFFIX: Final = re.compile(r",? line \d+, column \d+\s*$")

# Namespace errors (XML Namespaces 1.0): libxml2 reports them at level ERROR but does
# not stop, and lxml raises only when such an error is the last thing reported (a
# warning after it, as a relative namespace URI gives, hides it).  They are looked
# for in the error log instead, and refused whatever follows them.
_ERR_NS_INVALID_URI: Final = 99
_ERR_NS_UNDEFINED_PREFIX: Final = 201
_ERR_NS_QNAME: Final = 202
_ERR_NS_ATTRIBUTE_REDEFINED: Final = 203
_ERROR_LEVEL: Final = 2  # xmlErrorLevel XML_ERR_ERROR


_NAMESPACE_DOMAIN: Final = 3  # xmlErrorDomain XML_FROM_NAMESPACE


def first_error(log: Iterable[Any]) -> Any | None:
    """The first entry of an lxml error log at level ERROR or worse, if any."""
    for entry in log:
        if entry.level >= _ERROR_LEVEL:
            return entry
    return None


def is_namespace_error(entry: Any) -> bool:
    """Whether a libxml2 error log entry is a namespace error (see :func:`namespace_error`)."""
    return entry is not None and entry.domain == _NAMESPACE_DOMAIN


def namespace_error(entry: Any, candidates: Iterable[etree._Element]) -> ParseError:
    """The ParseError for a namespace error libxml2 logged as *entry*.

    *candidates* are the elements whose start tags were read while the error was
    reported, in document order (a whole document, or what one chunk of a stream
    completed); the culprit is the first of them on or after the error's line that
    shows the fault, so a document and the same bytes read as a stream, however
    split, name the same element.  An undeclared prefix is RFC 6120's
    ``bad-namespace-prefix``; anything else breaks XML Namespaces well-formedness.
    """
    code: int = entry.type
    text = " ".join(str(entry.message).split())
    if code == _ERR_NS_UNDEFINED_PREFIX:
        condition, message = "bad-namespace-prefix", f"undeclared namespace prefix: {text}"
    else:
        condition, message = "not-well-formed", f"namespace error: {text}"
    culprit = namespace_culprit(entry, candidates)
    path = shorten(path_of(culprit)) if culprit is not None else None
    return ParseError(f"{message} (column {entry.column})", condition=condition, stream=True,
                      path=path, line=entry.line)


def namespace_culprit(entry: Any, candidates: Iterable[etree._Element]) -> etree._Element | None:
    """The element :func:`namespace_error` names for *entry* among *candidates*."""
    code: int = entry.type
    line: int = entry.line
    fallback: etree._Element | None = None
    for element in candidates:
        source = element.sourceline
        if not isinstance(source, int) or source < line:
            continue
        if fallback is None:
            fallback = element
        if _shows_namespace_fault(element, code):
            return element
    return fallback


def _shows_namespace_fault(element: etree._Element, code: int) -> bool:
    """Whether *element* itself bears the namespace fault libxml2 reported as *code*.

    Some faults leave no trace on the element (libxml2 drops a misused ``xml`` or
    ``xmlns`` declaration); for those no element shows it.
    """
    if code in (_ERR_NS_UNDEFINED_PREFIX, _ERR_NS_QNAME):
        # An unresolved or malformed name stays as written, colon included.
        names = [element.tag, *element.attrib]
        return any(isinstance(name, str) and ":" in name.rpartition("}")[2] for name in names)
    own = _own_declarations(element)
    if code == _ERR_NS_INVALID_URI:
        return any(not _valid_uri(uri) for uri in own.values())
    if code == _ERR_NS_ATTRIBUTE_REDEFINED:
        namespaces = list(element.nsmap.values())
        names = [str(name) for name in element.attrib]
        return any(name.startswith("{") and namespaces.count(name[1:].partition("}")[0]) > 1
                   for name in names)
    return False


def _own_declarations(element: etree._Element) -> dict[str | None, str]:
    parent = element.getparent()
    inherited = parent.nsmap if parent is not None else {}
    return {prefix: uri for prefix, uri in element.nsmap.items()
            if inherited.get(prefix) != uri}


def _valid_uri(uri: str) -> bool:
    # lxml checks a namespace with the same libxml2 URI parser the XML parser uses.
    try:
        etree.Element("{" + uri + "}x")
    except ValueError:
        return False
    return True


def syntax_error(error: etree.XMLSyntaxError, path: str | None) -> ParseError:
    """Turn libxml2's complaint into a ParseError with the RFC 6120 condition."""
    code: int = getattr(error, "code", 0)  # lxml-stubs do not declare it
    text = _LOCATION_SUFFIX.sub("", " ".join(str(error.msg).split()))
    line, column = error.position
    if code in _ENCODING_ERRORS:
        condition = "unsupported-encoding"
        message = f"the input is not valid UTF-8 ({text}); XMPP allows only UTF-8 (RFC 6120 §11.6)"
    elif code in _ENTITY_ERRORS:
        condition = "restricted-xml"
        message = (f"entity reference: {text}; XMPP allows only &amp; &lt; &gt; &quot; &apos; "
                   "and character references (RFC 6120 §11.1)")
    elif code in _LIMIT_ERRORS or "too big" in text or "too long" in text:
        condition = "policy-violation"
        message = f"the input exceeds a parser limit: {text}"
    elif code == _ERR_INVALID_CHAR:
        condition = "not-well-formed"
        message = f"character not allowed in XML 1.0: {text}"
    else:
        condition = "not-well-formed"
        message = f"not well-formed XML: {text}"
    return ParseError(f"{message} (column {column})", condition=condition, stream=True, path=path,
                      line=line or None)


def open_path(data: bytes) -> str | None:
    """The path of the innermost element still open where *data* ends or fails.

    Only used to explain an error, so it may re-parse: the same inert options apply,
    and the parse stops at the first problem.
    """
    parser = etree.XMLPullParser(events=("start", "end"), **PARSER_OPTIONS)
    try:
        parser.feed(data)
        # libxml2 holds back a start tag at the very end of a short input until more
        # arrives; a space (mere text where a prefix of content ends) releases it.
        parser.feed(b" ")
    except etree.LxmlError:
        pass  # the events read before the failure are what we want
    stack: list[etree._Element] = []
    for event, node in parser.read_events():
        if event == "start":
            stack.append(cast(etree._Element, node))
        elif stack:
            stack.pop()
    return shorten(path_of(stack[-1])) if stack else None


def started_elements(data: bytes) -> list[etree._Element]:
    """Every element whose start tag libxml2 read in *data*, in document order.

    For error messages only: it re-parses, and stops at the first fatal error.
    """
    parser = etree.XMLPullParser(events=("start",), **PARSER_OPTIONS)
    with contextlib.suppress(etree.LxmlError):
        parser.feed(data)
    return [cast(etree._Element, node) for _, node in parser.read_events()]


# ---------------------------------------------------------------------------------------
# Limits on the tree


class _TreeChecks:
    """Compiled XPath checks for one Limits value, relative to the context element."""

    def __init__(self, limits: Limits) -> None:
        self.depth = etree.XPath("(self::*" + "/*" * limits.max_depth + ")[1]")
        self.children = etree.XPath(
            f"(descendant-or-self::*[count(*) > {limits.max_children}])[1]")
        self.attributes = etree.XPath(
            f"(descendant-or-self::*[count(@*) > {limits.max_attributes}])[1]")
        self.attribute_length = etree.XPath(
            f"(descendant-or-self::*/@*[string-length() > {limits.max_attribute_length}])[1]")
        self.text_length = etree.XPath(
            f"(descendant-or-self::*/text()[string-length() > {limits.max_text_length}])[1]")


def _tree_checks(limits: Limits) -> _TreeChecks:
    # XPath objects are compiled once per thread and Limits value: compiling costs
    # more than evaluating, and sharing them across threads is not documented as safe.
    cache: dict[Limits, _TreeChecks] | None = getattr(_local, "checks", None)
    if cache is None:
        cache = _local.checks = {}
    checks = cache.get(limits)
    if checks is None:
        if len(cache) > 32:
            cache.clear()
        checks = cache[limits] = _TreeChecks(limits)
    return checks


def _first(result: Any) -> Any:
    return result[0] if isinstance(result, list) and result else None


def check_tree(root: etree._Element, limits: Limits, *, size: int, elements: int,
               attributes_suspect: bool, check_depth: bool = True) -> None:
    """Enforce *limits* on the tree under *root*, skipping what the bounds rule out.

    *size* bounds the bytes the tree was read from, *elements* its number of
    elements; *attributes_suspect* says some element may have too many attributes.
    """
    deep = check_depth and elements > limits.max_depth and size >= limits._depth_floor
    wide = elements > limits.max_children + 1
    long_values = size > limits.max_attribute_length
    long_texts = size > limits.max_text_length
    if not (deep or wide or attributes_suspect or long_values or long_texts):
        return
    checks = _tree_checks(limits)
    if deep:
        found = _first(checks.depth(root))
        if found is not None:
            raise ParseError(f"elements are nested more than {limits.max_depth} deep",
                             condition="policy-violation", stream=True,
                             path=shorten(path_of(found)), line=line_of(found))
    if wide:
        found = _first(checks.children(root))
        if found is not None:
            raise ParseError(f"an element has {len(found)} child elements, more than the "
                             f"{limits.max_children} allowed", condition="policy-violation",
                             stream=True, path=path_of(found), line=line_of(found))
    if attributes_suspect:
        found = _first(checks.attributes(root))
        if found is not None:
            raise ParseError(f"an element has {len(found.attrib)} attributes, more than the "
                             f"{limits.max_attributes} allowed", condition="policy-violation",
                             stream=True, path=path_of(found), line=line_of(found))
    if long_values:
        found = _first(checks.attribute_length(root))
        if found is not None:
            owner = found.getparent()
            raise ParseError(f"an attribute value is {len(found)} characters long, more than "
                             f"the {limits.max_attribute_length} allowed",
                             condition="policy-violation", stream=True,
                             path=path_of(owner, str(found.attrname)), line=line_of(owner))
    if long_texts:
        found = _first(checks.text_length(root))
        if found is not None:
            owner = found.getparent()
            if not found.is_text:  # a tail: the text belongs to the owner's parent
                owner = owner.getparent()
            raise ParseError(f"a text is {len(found)} characters long, more than the "
                             f"{limits.max_text_length} allowed", condition="policy-violation",
                             stream=True, path=path_of(owner) + "/text()", line=line_of(owner))


#: Every byte except "<" and "=": deleting them leaves a skeleton in which a run of
#: "=" counts the "=" between two "<", an upper bound on one element's attributes.
_NOT_LT_OR_EQUALS: Final = bytes(b for b in range(256) if b not in b"<=")


def skeleton(data: bytes) -> bytes:
    """Only the "<" and "=" of *data*, in order (one C-speed pass)."""
    return data.translate(None, _NOT_LT_OR_EQUALS)


# ---------------------------------------------------------------------------------------
# The entry point


def parse_xml(data: bytes | str, limits: Limits = DEFAULT_LIMITS) -> etree._Element:
    """Parse one restricted-XML document and return its root element.

    Raises :class:`~xepcodec.errors.ParseError`: ``unsupported-encoding`` for anything
    but UTF-8 (including invalid UTF-8), ``not-well-formed`` for malformed XML and
    characters outside XML 1.0, ``restricted-xml`` for DTDs, comments, processing
    instructions and entity references beyond the predefined five, and
    ``policy-violation`` when *limits* are exceeded.

    A leading UTF-8 byte order mark is accepted and ignored: documents on disk (test
    fixtures, archive exports) often carry one, and XML 1.0 §4.3.3 allows it.  A
    stream is different: RFC 6120 §11.6 says a U+FEFF there is a character, which
    :class:`~xepcodec.xml.stream.XmlStreamReader` therefore refuses.  The XML declaration
    is allowed; it must say version 1.0 and, if it names an encoding, UTF-8.  CDATA
    sections are allowed and become plain text.  XInclude elements are ordinary
    elements: nothing is ever included.
    """
    if type(data) is bytes:
        pass  # the usual case, tested first
    elif isinstance(data, str):
        text = data
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise _surrogate_error(text, error) from None
    elif isinstance(data, bytearray | memoryview):
        data = bytes(data)  # accepted for convenience
    elif not isinstance(data, bytes):
        # bytes(5) would be five NUL bytes and bytes(None) a TypeError: say what is wrong.
        raise ArgumentTypeError(f"XML is read from bytes or str, not {type(data).__name__}")
    size = len(data)
    if size > limits.max_size:
        raise ParseError(f"the document is {size} bytes, more than the {limits.max_size} "
                         "allowed", condition="policy-violation", stream=True)
    if not data:
        raise ParseError("the document is empty", condition="not-well-formed", stream=True)
    if data.startswith(_BOM_UTF8):
        start = 3
    else:
        if data[0] != 0x3C or data[1:2] == b"\x00":  # anything but "<" and a non-NUL
            check_encoding_start(data)
        start = 0
    if data.startswith(b"<?xml", start):
        start = declaration_end(data, start)
    bang, query = data.find(0x21, start), data.find(0x3F, start)  # "!", "?"
    if bang >= 0 or query >= 0:
        _check_markup(data, start, bang, query)
    try:
        parser = _local.parser
    except AttributeError:  # the first parse in this thread
        parser = _parser()
    try:
        # The push interface (feed, then close) costs less per call than fromstring and
        # accepts the same documents; the errors fromstring reports are better placed
        # (close reports a broken entity as a missing element), so a refused document
        # is read again by fromstring for its error.
        parser.feed(data)
        root: etree._Element = parser.close()
    except etree.XMLSyntaxError:
        with contextlib.suppress(etree.LxmlError):
            parser.close()  # ready for the next document
        root = _refused(data, parser)
        log = parser.error_log
    else:
        log = parser.feed_error_log  # the push interface keeps a log of its own
    if log:  # warnings too: rare enough to look closer only then
        fault = first_error(log)
        if fault is not None:
            raise namespace_error(fault, root.iter())
    if size >= limits._floor:
        # Bounds from the bytes, cheapest first; the tree is only walked (in C, by
        # XPath) for a limit they do not settle.  Every element has a "<".
        if size >= limits._elements_floor:
            # One pass keeps the "<" and "=": both counts come from the short result.
            shape = skeleton(data)
            elements = shape.count(b"<")
            suspect = (len(shape) - elements > limits.max_attributes
                       and has_equals_run(shape, limits.max_attributes + 1))
        else:
            elements = 0
            suspect = (size >= limits._attributes_floor
                       and data.count(b"=") > limits.max_attributes
                       and has_equals_run(skeleton(data), limits.max_attributes + 1))
        if (suspect or elements > limits.max_depth or elements > limits.max_children + 1
                or size > limits.max_attribute_length or size > limits.max_text_length):
            check_tree(root, limits, size=size, elements=elements, attributes_suspect=suspect)
    return root


def _refused(data: bytes, parser: etree.XMLParser) -> etree._Element:
    """Read ``data``, which the push interface refused, with fromstring, to raise its error.

    Returns the root only if fromstring accepts what the push interface refused, which
    they are not known to disagree on.
    """
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        fault = first_error(parser.error_log)
        if is_namespace_error(fault):
            # The first fault decides, as it does when a stream reads the same bytes.
            raise namespace_error(fault, started_elements(data)) from None
        raise syntax_error(error, open_path(data)) from None


def has_equals_run(shape: bytes, length: int) -> bool:
    """Whether ``shape`` (a :func:`skeleton`) holds ``length`` "=" with no "<" between
    them, the least an element with ``length`` attributes needs."""
    # The run is built only once the input holds that many "=": a bound of 2**31 must
    # cost nothing until input that large arrives.
    return shape.count(b"=") >= length and b"=" * length in shape


def _surrogate_error(text: str, error: UnicodeEncodeError) -> ParseError:
    line = text.count("\n", 0, error.start) + 1
    return ParseError(f"lone surrogate U+{ord(text[error.start]):04X} is not an XML character "
                      "and cannot be encoded in UTF-8", condition="not-well-formed", stream=True,
                      line=line)
