"""``validate``: is this stanza (or payload) what its protocols allow?

Three checks, cheapest first:

1. the bytes are restricted XML (RFC 6120 §11.1) within the reader's limits;
2. the whole tree against the catalog's combined schema in libxml2, every nested
   namespace the catalog knows included (extension points are ``lax``, so a known
   namespace is checked wherever it appears); when libxml2 says no, ``xmlschema``
   re-validates to explain each failure with its path and line.  As ``lax`` skips
   what it has no declaration for, an element of a known namespace that its schema
   does not declare is looked for separately;
3. the rules no XSD 1.0 can say (an iq get carries exactly one payload, a data form's
   boolean holds a boolean, caps rules…), by reading the tree with the element model,
   whatever the schema said, so that a report lists every fault of both kinds.

Namespaces no schema describes are warnings, or errors under ``strict=True``; a
document element in no namespace at all is an error (XMPP qualifies every stanza and
payload).

The verdict is the one :func:`xepcodec.parse` gives: ``validate(x).ok`` exactly when
``parse(x)`` succeeds, unknown namespaces aside (``parse`` keeps them raw).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from lxml import etree

from xepcodec.errors import ParseError
from xepcodec.model import decode, registry
from xepcodec.validation.catalog import Catalog, default_catalog
from xepcodec.xml import parse_xml
from xepcodec.xml.paths import line_of, local_name, path_of

__all__ = ["Issue", "ValidationReport", "no_schema_message", "validate", "validate_tree"]


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


def _odd_tags(root: etree._Element, catalog: Catalog) -> dict[str, list[str]]:
    """The distinct tags of the tree that need a closer look, by their standing in the
    catalog (see :meth:`Catalog.classify`): one pass over the tree, after which the
    checks below visit only the elements with those tags, usually none."""
    classify = catalog.classify
    odd: dict[str, list[str]] = {}
    for tag in {node.tag for node in root.iter()}:
        if isinstance(tag, str) and (kind := classify(tag)) is not None:
            odd.setdefault(kind, []).append(tag)
    return odd


def no_schema_message(namespace: str) -> str:
    """What the finding about a namespace without a schema says."""
    return (f"no schema is known for the namespace {namespace or '(none)'!r}; its elements "
            "were not checked")


def _unknown_namespaces(root: etree._Element, tags: list[str],
                        reported: Container[str] = ()) -> Iterator[Issue]:
    """One finding per namespace without a schema (``tags``: the tree's tags in such
    namespaces), at its first element in document order, but for the namespaces
    ``reported`` already; paths and lines are only computed for findings."""
    left = {_namespace(tag) for tag in tags}
    if reported:
        left = {namespace for namespace in left if namespace not in reported}
    if not left:
        return
    # Only elements of those namespaces are visited (lxml filters by tag in C).
    for node in root.iter(*tags):
        namespace = _namespace(str(node.tag))
        if namespace in left:
            left.discard(namespace)
            yield Issue(no_schema_message(namespace), path_of(node), line_of(node),
                        namespace or None)
            if not left:
                return


def _reason(error: Any) -> str:
    """xmlschema's reason, said plainly for text in an element that holds nothing: such
    elements take the schemas' ``Blank`` type (whitespace at most), whose failed pattern
    xmlschema would report as a regular expression."""
    owner = getattr(error.validator, "parent", None)
    if local_name(str(getattr(owner, "name", None) or "")) == "Blank":
        return "character data is not allowed because content is empty"
    return str(error.reason or error)


def _explain(catalog: Catalog, root: etree._Element, log: Any) -> list[Issue]:
    """Precise findings from xmlschema; libxml2's own log if xmlschema finds nothing."""
    issues: list[Issue] = []
    try:
        schema = catalog.xmlschema()
        for error in schema.iter_errors(root):
            elem = error.elem
            node = elem if isinstance(elem, etree._Element) else None
            issues.append(Issue(
                _reason(error),
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


#: Compiled searches for undeclared names at namespace boundaries, by the names sought
#: (a document's few; bounded, as the names come from the input).
_BOUNDARY_SEARCHES: dict[tuple[str, ...], etree.XPath] = {}
_SEARCHES_KEPT = 1024


def _at_boundaries(tags: tuple[str, ...]) -> etree.XPath:
    """An XPath finding the elements with one of ``tags`` whose parent is not in their
    namespace: node tests and a parent axis, all in C."""
    search = _BOUNDARY_SEARCHES.get(tags)
    if search is None:
        prefixes: dict[str, str] = {}
        steps = []
        for tag in tags:
            namespace = _namespace(tag)
            prefix = prefixes.setdefault(namespace, f"n{len(prefixes)}")
            steps.append(f"descendant::{prefix}:{local_name(tag)}[not(parent::{prefix}:*)]")
        search = etree.XPath(" | ".join(steps),
                             namespaces={prefix: ns for ns, prefix in prefixes.items()})
        if len(_BOUNDARY_SEARCHES) < _SEARCHES_KEPT:
            _BOUNDARY_SEARCHES[tags] = search
    return search


def _undeclared(root: etree._Element, tags: list[str]) -> Iterator[Issue]:
    """Elements of a known namespace that its schema does not declare, below the root
    (the schema itself refuses an undeclared root); ``tags``: the tree's tags that
    their namespace does not declare at the top level.

    Only at a namespace boundary, where an element's namespace differs from its
    parent's, can a schema wildcard match (an element of the parent's own namespace is
    matched by the parent's content model, which names it), so only there is such a
    name an error.
    """
    if not tags:
        return
    found = cast("list[etree._Element]", _at_boundaries(tuple(sorted(tags)))(root))
    for node in found:
        tag = str(node.tag)
        namespace = _namespace(tag)
        yield Issue(f"<{local_name(tag)}/> is not an element of {namespace}: its schema "
                    "declares no such element", path_of(node), line_of(node), namespace,
                    "bad-request")


def _unqualified(root: etree._Element) -> Issue | None:
    """A document element in no namespace: RFC 6120 qualifies a stanza by its stream's
    content namespace and a payload by its own.  (Below the root, the schema of a known
    parent refuses an unqualified child: its wildcards say ``##other``.)"""
    if str(root.tag).startswith("{"):
        return None
    return Issue(f"<{root.tag}/> is in no namespace; every XMPP element is qualified by "
                 "one", path_of(root), line_of(root), None, "bad-request")


#: How many faults the model check reports for one document, at most: each after the
#: first costs one more decoding pass, so the bound keeps the work linear.
MAX_MODEL_ISSUES = 20


def _model_issues(root: etree._Element) -> list[Issue]:
    """Every rule of the element model that *root* breaks, up to MAX_MODEL_ISSUES.

    The model stops at the first fault, so after each one the faulty attribute or
    element is cut from a copy and the copy decoded again.  A fault then reported on
    an element from which something was cut may be a consequence of the cut (a
    required child now missing), so it is not reported, and the search ends there.
    """
    try:
        decode(root)
        return []
    except ParseError as error:
        fault = error
    namespace = _namespace(str(root.tag)) or None
    issues: list[Issue] = []
    work = copy.deepcopy(root)
    original = dict(zip(work.iter(), root.iter(), strict=True))
    above_cuts: set[etree._Element] = set()  # elements something was cut from, and theirs
    while True:
        target = _resolve(work, fault.path)
        if target is None:
            issues.append(Issue(fault.message, fault.path, fault.line, namespace,
                                fault.condition))
            break
        element, attribute = target
        if attribute is None and element in above_cuts:
            break  # perhaps only a consequence of an earlier cut
        # Paths and lines are the original's: cuts renumber siblings in the copy.
        source = original[element]
        issues.append(Issue(fault.message, path_of(source, attribute), line_of(source),
                            namespace, fault.condition))
        if len(issues) >= MAX_MODEL_ISSUES:
            break
        if attribute is not None:
            del element.attrib[attribute]
        else:
            parent = element.getparent()
            if parent is None:
                break
            above_cuts.add(parent)
            above_cuts.update(parent.iterancestors())
            parent.remove(element)
        try:
            decode(work)
            break
        except ParseError as error:
            fault = error
    return issues


def _said(issue: Issue, schema_issues: list[Issue]) -> bool:
    """Whether the schema already reported this model fault: at the same node, or at
    the owner of the same attribute, naming it."""
    owner, _, attribute = (issue.path or "").partition("/@")
    for found in schema_issues:
        if found.path == issue.path:
            return True
        if attribute and found.path == owner and f"'{attribute}'" in found.message:
            return True
    return False


def _resolve(root: etree._Element, path: str | None) -> tuple[etree._Element, str | None] | None:
    """The element (and attribute name) a :func:`path_of` path names under *root*;
    None for a path that cannot be followed (elided, or not from this tree)."""
    if not path or not path.startswith("/") or "…" in path:
        return None
    steps = path[1:].split("/")
    attribute: str | None = None
    if steps[-1].startswith("@"):
        attribute = steps.pop()[1:]
    node = root
    first, *rest = steps
    if first != local_name(str(root.tag)):
        return None
    for step in rest:
        name, _, index = step.partition("[")
        wanted = int(index[:-1]) if index else 1
        matches = [child for child in node
                   if isinstance(child.tag, str) and local_name(child.tag) == name]
        if len(matches) < wanted:
            return None
        node = matches[wanted - 1]
    if attribute is None:
        return node, None
    key = _XML_LANG if attribute == "xml:lang" else next(
        (str(key) for key in node.attrib if local_name(str(key)) == attribute), None)
    if key is None or key not in node.attrib:
        return node, None
    return node, key


_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _within(root: etree._Element, path: str | None, namespaces: set[str | None]) -> bool:
    """Whether the node at ``path`` lies below an element of one of ``namespaces``."""
    found = _resolve(root, path)
    if found is None:
        return False
    return any(_namespace(str(above.tag)) in namespaces
               for above in found[0].iterancestors())


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
    return validate_tree(root, catalog, strict=strict, semantic=semantic)


def validate_tree(root: etree._Element, catalog: Catalog, *, strict: bool = False,
                  semantic: bool = True, reported: Container[str] = ()) -> ValidationReport:
    """:func:`validate` on a parsed tree, leaving out the finding for each namespace
    without a schema in ``reported`` (a caller checking many stanzas of one input
    gives that warning once, and so need not have it placed again): its elements
    still count as unknown.  The rest of the report is :func:`validate`'s."""
    # (A stanza log runs this once per stanza: the checks that find nothing in a tree
    # without odd tags are skipped rather than run empty.)
    tag = str(root.tag)
    schema = catalog.libxml2()
    odd = _odd_tags(root, catalog)
    unknown_tags = odd.get("unknown")
    unknown = [issue for issue in _unknown_namespaces(root, unknown_tags, reported)
               if issue.namespace is not None] if unknown_tags else []
    errors: list[Issue] = []
    unqualified = _unqualified(root)
    if unqualified is not None:
        errors.append(unqualified)
    if _namespace(tag) in catalog.namespaces:
        if not schema.validate(root):
            errors.extend(_explain(catalog, root, schema.error_log))
        undeclared = odd.get("undeclared")
        if undeclared:
            errors.extend(_undeclared(root, undeclared))
    # Otherwise there is nothing to check it against: the unknown-namespace finding
    # says so.  The model's rules hold whatever the schema said.
    if semantic and registry.lookup(tag) is not None:
        faults = _model_issues(root)
        if faults:
            errors.extend(issue for issue in faults if not _said(issue, errors))
    if unknown_tags and errors:
        # parse keeps a payload of an unknown namespace as raw XML, whatever known
        # elements it holds: what the schemas find inside one is worth saying, but it
        # weighs no more than the unknown namespace itself.  (Namespaces left out as
        # ``reported`` count here too.)
        unknown_namespaces: set[str | None] = {
            namespace for namespace in map(_namespace, unknown_tags) if namespace}
        inside = [issue for issue in errors if _within(root, issue.path, unknown_namespaces)]
        errors = [issue for issue in errors if issue not in inside]
        unknown.extend(dataclasses.replace(
            issue, message=f"{issue.message} (inside an element of a namespace without a "
            "schema, which parse keeps as raw XML)") for issue in inside)
    if strict:
        return ValidationReport(errors=tuple(errors + unknown), root=tag)
    return ValidationReport(errors=tuple(errors), warnings=tuple(unknown), root=tag)
