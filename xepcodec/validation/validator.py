"""``validate``: is this stanza (or payload) what its protocols allow?

Three checks, cheapest first:

1. the bytes are restricted XML (RFC 6120 §11.1) within the reader's limits;
2. the whole tree against the catalog's combined schema in libxml2, every nested
   namespace the catalog knows included (extension points are ``lax``, so a known
   namespace is checked wherever it appears); when libxml2 says no, ``xmlschema``
   re-validates to explain each failure with its path and line;
3. the rules no XSD 1.0 can say (an iq get carries exactly one payload, a data form's
   boolean holds a boolean, caps rules…), by reading the tree with the element model.

Namespaces no schema describes are warnings, or errors under ``strict=True``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from xepcodec.errors import ParseError
from xepcodec.model import decode, registry
from xepcodec.validation.catalog import Catalog, default_catalog
from xepcodec.xml import parse_xml
from xepcodec.xml.paths import line_of, path_of

__all__ = ["Issue", "ValidationReport", "validate"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding: what is wrong, where, and in which namespace."""

    message: str
    path: str | None = None
    line: int | None = None
    namespace: str | None = None
    condition: str | None = None  # the RFC 6120 condition, when the finding maps to one

    def __str__(self) -> str:
        where = f"{self.line}: " if self.line is not None else ""
        at = f" (at {self.path})" if self.path else ""
        return f"{where}{self.message}{at}"


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The verdict.  ``ok`` is true when there are no errors; warnings do not count."""

    errors: tuple[Issue, ...] = ()
    warnings: tuple[Issue, ...] = ()
    root: str | None = field(default=None)  # Clark tag of the document element

    @property
    def ok(self) -> bool:
        return not self.errors

    def __bool__(self) -> bool:
        return self.ok


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


# A namespace declaration: an element can only be in a namespace declared somewhere
# in the document (or the xml namespace, which needs none).
_DECLARATION = re.compile(rb"""xmlns(?::[^\s=]+)?\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _all_declared_known(data: bytes | str | etree._Element, known: frozenset[str]) -> bool:
    """True when every namespace the raw document declares has a schema: then no element
    can be in an unknown one, and the tree need not be walked to find out."""
    if isinstance(data, etree._Element):
        return False
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return all((double or single).decode("utf-8", "replace") in known
               for double, single in _DECLARATION.findall(raw))


def _unknown_namespaces(root: etree._Element, known: frozenset[str]) -> Iterator[Issue]:
    seen: set[str] = set()
    for node in root.iter():
        tag = node.tag
        if not isinstance(tag, str):
            continue
        namespace = _namespace(tag)
        if namespace not in known and namespace not in seen:
            seen.add(namespace)
            yield Issue(f"no schema is known for the namespace {namespace or '(none)'!r}; "
                        "its elements were not checked", path_of(node), line_of(node),
                        namespace or None)


def _explain(catalog: Catalog, root: etree._Element, log: Any) -> list[Issue]:
    """Precise findings from xmlschema; libxml2's own log if xmlschema finds nothing."""
    issues: list[Issue] = []
    try:
        schema = catalog.xmlschema()
        for error in schema.iter_errors(root):
            elem = error.elem
            node = elem if isinstance(elem, etree._Element) else None
            issues.append(Issue(
                error.reason or str(error),
                path_of(node) if node is not None else error.path,
                getattr(error, "sourceline", None) or (line_of(node) if node is not None
                                                      else None),
                _namespace(str(node.tag)) if node is not None else None,
                "bad-request",
            ))
    except Exception:  # libxml2's account below is still a good answer
        issues = []
    if not issues:
        issues = [Issue(entry.message, entry.path or None, entry.line or None, None,
                        "bad-request") for entry in log]
    return issues


def validate(data: bytes | str | etree._Element, *, strict: bool = False,
             catalog: Catalog | None = None, semantic: bool = True) -> ValidationReport:
    """Check a stanza or payload; never raises on bad input, it reports it.

    ``strict`` turns namespaces without a schema into errors.  ``semantic`` (on by
    default) adds the rules the model knows and XSD 1.0 cannot say.
    """
    catalog = catalog or default_catalog()
    try:
        root = data if isinstance(data, etree._Element) else parse_xml(data)
    except ParseError as error:
        return ValidationReport(errors=(Issue(error.message, error.path, error.line, None,
                                              error.condition),))
    tag = str(root.tag)
    schema = catalog.libxml2()
    known = catalog.namespaces
    unknown = [] if _namespace(tag) in known and _all_declared_known(data, known) else list(
        _unknown_namespaces(root, known))
    errors: list[Issue] = []
    if _namespace(tag) not in catalog.namespaces:
        pass  # nothing to check it against: the unknown-namespace finding says so
    elif not schema.validate(root):
        errors = _explain(catalog, root, schema.error_log)
    elif semantic and registry.lookup(tag) is not None:
        try:
            decode(root)
        except ParseError as error:
            errors.append(Issue(error.message, error.path, error.line,
                                _namespace(tag) or None, error.condition))
    if strict:
        return ValidationReport(errors=tuple(errors + unknown), root=tag)
    return ValidationReport(errors=tuple(errors), warnings=tuple(unknown), root=tag)
