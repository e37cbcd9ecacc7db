"""Reading the protocol examples out of the XEP sources, and what the conformance test
needs around them: canonical forms for comparison and the errata file.

The XEP sources are XML documents whose examples sit in ``<example caption='...'>``
elements, each holding a CDATA section (a XEP without any, XEP-0301, shows them in bare
``<code/>`` blocks, of which those holding stanzas are read).  Inside, the stanzas are
written without the stream around them, so the ``jabber:client`` default namespace (and
the ``stream:`` prefix) that a stream header would declare are missing;
:func:`parse_example` supplies them by wrapping the text in one element that declares both.

The sources are trusted documents checked in beside the project, so an ordinary lxml
parser reads them (no DTD loading, no network, entities left alone).  Comments inside an
example are dropped before comparison and recorded on the parsed result.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final, Literal, cast

from lxml import etree

__all__ = [
    "DISPLAYED_TEXT",
    "ERRATA_FILE",
    "OUTCOMES",
    "SPECS_ENV",
    "XEPS",
    "ErrataFormatError",
    "Erratum",
    "Outcome",
    "ParsedExample",
    "SpecExample",
    "canonical",
    "canonical_bytes",
    "load_errata",
    "load_examples",
    "parse_example",
    "slug",
    "specs_dir",
]

#: The protocols implemented so far, by XEP number.  Add a number here when its module
#: lands; its examples are then checked like the others.
XEPS: Final[tuple[int, ...]] = (
    4, 12, 30, 45, 50, 59, 60, 68, 76, 85, 92, 115, 128, 133, 136, 163, 189, 199, 202, 203, 241,
    301, 308, 335, 359, 410, 432, 464,
)

#: Examples that hold neither XML nor an XMPP URI but the text a client shows its user,
#: by (XEP, example number), with what they show.  There is nothing in them to decode;
#: the test checks that they still hold no markup.
DISPLAYED_TEXT: Final[Mapping[tuple[int, int], str]] = {
    (45, 86): "the line a client may show in the room for a subject change (§8.1)",
}

#: Environment variable naming another folder of XEP sources.
SPECS_ENV: Final = "XEPCODEC_SPECS"

#: The errata file, next to this module.
ERRATA_FILE: Final = Path(__file__).resolve().with_name("errata.toml")

#: Namespaces a stream header would have declared around every example.
_STREAM_CONTEXT: Final = {
    None: "jabber:client",
    "stream": "http://etherx.jabber.org/streams",
}

Outcome = Literal["not-well-formed", "rejected", "changed"]
#: What an erratum says happens to its example:
#: ``not-well-formed``: the example is not XML at all (lxml cannot read it);
#: ``rejected``: xepcodec refuses it with a ParseError;
#: ``changed``: xepcodec reads it but writes back something canonically different.
OUTCOMES: Final[frozenset[str]] = frozenset({"not-well-formed", "rejected", "changed"})


def specs_dir() -> Path:
    """The folder of XEP sources: ``$XEPCODEC_SPECS`` if set, else ``shared/specs``
    beside the checkout."""
    override = os.environ.get(SPECS_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[2].parent / "shared" / "specs"


def slug(caption: str) -> str:
    """A caption made fit for a test id: lower case, runs of anything but letters and
    digits turned into one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", caption.lower()).strip("-")


@dataclasses.dataclass(frozen=True, slots=True)
class SpecExample:
    """One ``<example/>`` (or stanza ``<code/>`` block) of one XEP, numbered from 1 in
    document order."""

    xep: int
    number: int
    caption: str
    text: str

    @property
    def id(self) -> str:
        """The pytest id: ``xep0030-ex05-querying-for-information``."""
        return f"xep{self.xep:04d}-ex{self.number:02d}-{slug(self.caption)}"

    @property
    def key(self) -> tuple[int, int]:
        return (self.xep, self.number)

    @property
    def has_markup(self) -> bool:
        """False for examples that are not XML at all (XMPP URIs, say)."""
        return "<" in self.text


def _source_parser() -> etree.XMLParser:
    # The XEP sources reference an external DTD and its entities; neither is fetched
    # and the unresolved entity references are left alone.
    return etree.XMLParser(load_dtd=False, resolve_entities=False, no_network=True)


def _example_text(node: etree._Element, entities: Mapping[str, str]) -> str:
    # An example may be split into CDATA sections around references to entities the
    # document defines itself (XEP-0432 writes its namespace as &ns;): those are
    # expanded, any other reference is left as written.
    parts = [node.text or ""]
    for part in node:
        if isinstance(part, etree._Entity):
            name = str(part.text)[1:-1]
            parts.append(entities.get(name, str(part.text)))
        parts.append(part.tail or "")
    return "".join(parts)


def _read_xep(path: Path, xep: int) -> list[SpecExample]:
    tree = etree.parse(str(path), _source_parser())
    dtd = tree.docinfo.internalDTD
    entities = {entity.name: entity.content for entity in dtd.iterentities()
                if entity.name and entity.content} if dtd is not None else {}
    found = []
    for number, node in enumerate(tree.iter("example"), start=1):
        caption = " ".join((node.get("caption") or "").split())
        found.append(SpecExample(xep=xep, number=number, caption=caption,
                                 text=_example_text(node, entities)))
    return found or _read_code_blocks(tree, xep)


#: How a ``<code/>`` block holding a whole stanza starts.
_STANZA_START: Final = re.compile(r"\s*<(message|presence|iq)[\s>/]")


def _read_code_blocks(tree: etree._ElementTree, xep: int) -> list[SpecExample]:
    # A XEP without <example/> elements (XEP-0301) shows its examples as bare <code/>
    # blocks, among others that hold lone fragments with placeholders ("<e p='#'/>") or
    # its schema.  The blocks holding stanzas are its examples, captioned with the title
    # of their section and numbered from 1 in document order among themselves.
    found = []
    for node in tree.iter("code"):
        text = node.text or ""
        if _STANZA_START.match(text) is None:
            continue
        section = next((above for above in node.iterancestors()
                        if str(above.tag).startswith("section")), None)
        caption = " ".join(((section.get("topic") if section is not None else "") or
                            "").split())
        found.append(SpecExample(xep=xep, number=len(found) + 1, caption=caption, text=text))
    return found


def load_examples(folder: Path, xeps: Iterable[int] = XEPS) -> list[SpecExample]:
    """Every example of the given XEPs, in XEP then document order.

    A missing source file is an error (FileNotFoundError), not a reason to check less.
    """
    examples: list[SpecExample] = []
    for xep in xeps:
        path = folder / f"xep-{xep:04d}.xml"
        if not path.is_file():
            raise FileNotFoundError(f"the source of XEP-{xep:04d} is missing: {path}")
        examples.extend(_read_xep(path, xep))
    return examples


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedExample:
    """The top-level elements of an example, each a standalone tree carrying the
    namespaces it inherited, and how many comments were dropped."""

    elements: tuple[etree._Element, ...]
    comments_removed: int


def _example_parser() -> etree.XMLParser:
    return etree.XMLParser(remove_comments=True, remove_pis=True, resolve_entities=False,
                           no_network=True, load_dtd=False, huge_tree=False)


def parse_example(example: SpecExample) -> ParsedExample:
    """Read an example's text as XML.  Raises lxml.etree.XMLSyntaxError if it is not
    well-formed."""
    declarations = " ".join(
        f'xmlns="{uri}"' if prefix is None else f'xmlns:{prefix}="{uri}"'
        for prefix, uri in _STREAM_CONTEXT.items()
    )
    wrapped = f"<example {declarations}>{example.text}</example>"
    counting = etree.fromstring(wrapped.encode("utf-8"),
                                etree.XMLParser(resolve_entities=False, no_network=True))
    comments = sum(1 for _ in counting.iter(etree.Comment))
    wrapper = etree.fromstring(wrapped.encode("utf-8"), _example_parser())
    # A deep copy of a child keeps the namespaces it uses from its ancestors.
    elements = tuple(copy.deepcopy(child) for child in wrapper
                     if isinstance(child.tag, str))
    for element in elements:
        element.tail = None
    return ParsedExample(elements=elements, comments_removed=comments)


def example_elements() -> list[tuple[SpecExample, etree._Element]]:
    """Every top-level element of the implemented protocols' examples that are XML (the
    errata file lists those that are not), with its example; none when the
    specifications are not beside the checkout."""
    folder = specs_dir()
    if not folder.is_dir():
        return []
    found: list[tuple[SpecExample, etree._Element]] = []
    for example in load_examples(folder):
        if not example.has_markup:
            continue
        try:
            elements = parse_example(example).elements
        except etree.XMLSyntaxError:
            continue
        found.extend((example, element) for element in elements)
    return found


def canonical(element: etree._Element) -> str:
    """C14N 2.0 of ``element`` with whitespace around text trimmed (so indentation and
    whitespace-only text do not count)."""
    return str(etree.canonicalize(element, strip_text=True))


def canonical_bytes(data: bytes) -> str:
    """:func:`canonical` of serialized XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return canonical(etree.fromstring(data, parser))


# --- errata ---------------------------------------------------------------------------


class ErrataFormatError(ValueError):
    """The errata file is malformed."""


@dataclasses.dataclass(frozen=True, slots=True)
class Erratum:
    """A spec example that is wrong, why, and what xepcodec does with it.

    ``match``, when given, is a regular expression the ParseError message must match
    for a ``rejected`` outcome, so that the example is refused for the stated reason.
    """

    xep: int
    example: int
    caption: str
    reason: str
    outcome: Outcome
    match: str | None = None

    @property
    def key(self) -> tuple[int, int]:
        return (self.xep, self.example)


def _erratum(entry: Mapping[str, object], index: int) -> Erratum:
    where = f"erratum #{index + 1}"
    known = {"xep", "example", "caption", "reason", "outcome", "match"}
    unknown = set(entry) - known
    if unknown:
        raise ErrataFormatError(f"{where}: unknown keys {sorted(unknown)}")
    xep, number = entry.get("xep"), entry.get("example")
    if not isinstance(xep, int) or not isinstance(number, int):
        raise ErrataFormatError(f"{where}: 'xep' and 'example' must be integers")
    caption, reason, outcome = entry.get("caption"), entry.get("reason"), entry.get("outcome")
    if not isinstance(caption, str) or not isinstance(reason, str):
        raise ErrataFormatError(f"{where}: 'caption' and 'reason' must be strings")
    if outcome not in OUTCOMES:
        raise ErrataFormatError(f"{where}: 'outcome' must be one of {sorted(OUTCOMES)}")
    match = entry.get("match")
    if match is not None and not isinstance(match, str):
        raise ErrataFormatError(f"{where}: 'match' must be a string")
    return Erratum(xep=xep, example=number, caption=caption, reason=reason,
                   outcome=cast(Outcome, outcome), match=match)


def load_errata(path: Path = ERRATA_FILE) -> list[Erratum]:
    """The ``[[erratum]]`` entries of the errata file."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    entries = data.get("erratum", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ErrataFormatError("the errata file must hold a list of [[erratum]] tables")
    return [_erratum(entry, index) for index, entry in enumerate(entries)]
