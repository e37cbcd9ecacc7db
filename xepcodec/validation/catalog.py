"""The schema catalog: which XSD describes which namespace, and the combined schemas.

The XSDs live at the repository root in ``schemas/``; the package reaches them as
``xepcodec/_schemas``, a link in a checkout and a real folder in a built wheel, so an
editable install and an installed wheel find them by the same path.  Users may add
their own folder of XSDs for their own namespaces.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from lxml import etree

from xepcodec.errors import SchemaError

__all__ = ["Catalog", "SchemaEntry", "default_catalog", "schema_dir"]


@dataclass(frozen=True, slots=True)
class SchemaEntry:
    """One namespace and the XSD that describes it."""

    namespace: str
    path: Path
    title: str
    xep: int | None = None
    rfc: int | None = None


def schema_dir() -> Path:
    """The folder of the shipped XSDs."""
    return Path(str(resources.files("xepcodec") / "_schemas"))


def _read_entries(folder: Path) -> list[SchemaEntry]:
    listing = folder / "catalog.json"
    try:
        raw: list[dict[str, Any]] = json.loads(listing.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise SchemaError(f"cannot read the schema catalog {listing}: {error}") from None
    return [SchemaEntry(item["namespace"], folder / item["file"], item.get("title", ""),
                        item.get("xep"), item.get("rfc")) for item in raw]


def _entries_from_folder(folder: Path) -> list[SchemaEntry]:
    """Entries for a user's folder: its catalog.json, or every XSD's targetNamespace."""
    if (folder / "catalog.json").is_file():
        return _read_entries(folder)
    entries = []
    for path in sorted(folder.glob("*.xsd")):
        try:
            root = etree.parse(str(path)).getroot()
        except (OSError, etree.XMLSyntaxError) as error:
            raise SchemaError(f"cannot read the schema {path}: {error}") from None
        target = root.get("targetNamespace")
        if target:
            entries.append(SchemaEntry(target, path, path.stem))
    return entries


_XS: Final = "{http://www.w3.org/2001/XMLSchema}"


def _global_elements(path: Path, seen: set[Path]) -> set[str]:
    """The names of the top-level elements an XSD declares, its includes' with them
    (an included file, even one without a target namespace, declares into the
    including one)."""
    path = path.resolve()
    if path in seen:
        return set()
    seen.add(path)
    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as error:
        raise SchemaError(f"cannot read the schema {path}: {error}") from None
    names = {str(node.get("name")) for node in root.iterchildren(_XS + "element")
             if node.get("name")}
    for include in root.iterchildren(_XS + "include"):
        location = include.get("schemaLocation")
        if location:
            names |= _global_elements(path.parent / location, seen)
    return names


#: How many tags a catalog remembers the standing of (see Catalog.classify).
_KINDS_KEPT: Final = 4096


class Catalog:
    """A set of schemas by namespace, with one combined schema for libxml2 (fast) and
    one for xmlschema (precise messages), each built on first use."""

    def __init__(self, entries: Sequence[SchemaEntry]) -> None:
        self.entries = tuple(entries)
        self.by_namespace = {entry.namespace: entry for entry in self.entries}
        self.namespaces = frozenset(self.by_namespace)
        self._libxml2: etree.XMLSchema | None = None
        self._xmlschema: Any = None
        self._elements: dict[str, frozenset[str]] | None = None
        self._kinds: dict[str, str | None] = {}

    def elements(self, namespace: str) -> frozenset[str]:
        """The local names of the top-level elements the catalog declares in *namespace*.

        Only these may stand where a schema opens a wildcard: ``lax`` processing skips an
        element it has no declaration for, so a misspelt element of a known namespace
        would otherwise pass unchecked.
        """
        if self._elements is None:
            self._elements = {entry.namespace: frozenset(_global_elements(entry.path, set()))
                              for entry in self.entries}
        return self._elements.get(namespace, frozenset())

    def classify(self, tag: str) -> str | None:
        """How an element's Clark tag stands here: ``"unknown"`` in a namespace without
        a schema, ``"undeclared"`` when its namespace has no top-level element of that
        name (it may stand only inside an element of its own namespace), else None.
        Remembered, as a document's tags are mostly the same few."""
        kinds = self._kinds
        if tag in kinds:
            return kinds[tag]
        namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        kind = ("unknown" if namespace not in self.by_namespace
                else "undeclared" if local not in self.elements(namespace) else None)
        if len(kinds) < _KINDS_KEPT:  # the tags come from the input: bounded
            kinds[tag] = kind
        return kind

    def extended(self, folders: Iterable[Path]) -> Catalog:
        """This catalog plus the schemas in ``folders`` (a user's own namespaces)."""
        entries = list(self.entries)
        for folder in folders:
            entries.extend(_entries_from_folder(Path(folder)))
        return Catalog(entries)

    def combined_source(self) -> bytes:
        """An XSD with no target namespace that imports every namespace of the catalog."""
        imports = "".join(
            f'<xs:import namespace="{entry.namespace}" '
            f'schemaLocation="{entry.path.resolve().as_uri()}"/>'
            for entry in self.entries
        )
        return (f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}'
                "</xs:schema>").encode()

    def libxml2(self) -> etree.XMLSchema:
        if self._libxml2 is None:
            try:
                self._libxml2 = etree.XMLSchema(etree.fromstring(self.combined_source()))
            except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as error:
                raise SchemaError(f"the schema catalog does not load in libxml2: {error}") \
                    from None
        return self._libxml2

    def xmlschema(self) -> Any:
        if self._xmlschema is None:
            import xmlschema  # only needed to explain failures, so loaded only then

            # The shipped schemas are checked against the XSD meta-schema by the test
            # suite, so checking them again at every load (two thirds of its time) is
            # skipped; a catalog with a user's schemas is checked.
            shipped = schema_dir().resolve()
            checked = "skip" if all(entry.path.resolve().is_relative_to(shipped)
                                    for entry in self.entries) else "strict"
            try:
                # use_fallback=False: xmlschema must not bring schemas of its own (XHTML,
                # XML Signature…) that libxml2 does not know, or the two would disagree.
                self._xmlschema = xmlschema.XMLSchema10(
                    self.combined_source().decode(), base_url=str(schema_dir()),
                    use_fallback=False, validation=checked)
            except xmlschema.XMLSchemaException as error:
                raise SchemaError(f"the schema catalog does not load in xmlschema: {error}") \
                    from None
        return self._xmlschema


@cache
def default_catalog() -> Catalog:
    """The catalog of the schemas shipped with xepcodec."""
    return Catalog(_read_entries(schema_dir()))
