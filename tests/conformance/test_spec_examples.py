"""Every example in the specifications of the implemented protocols, read and written back.

For each ``<example/>`` of the XEPs listed in :data:`examples.XEPS`, each top-level
element is decoded to its typed object and encoded again; the two must be the same XML
under C14N 2.0 (indentation and whitespace-only text aside), and decoding the written
bytes must give an equal object.

Where the specification itself is wrong, the example is listed in ``errata.toml`` with
the reason and what xepcodec does with it (refuses it, changes it, or cannot read it as
XML at all).  Those examples are checked to still behave that way, so an entry cannot
outlive the rule that made it necessary.  An erratum never covers a fault in xepcodec.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from lxml import etree

from .examples import (
    DISPLAYED_TEXT,
    ERRATA_FILE,
    SPECS_ENV,
    XEPS,
    Erratum,
    SpecExample,
    canonical,
    canonical_bytes,
    load_errata,
    load_examples,
    parse_example,
    slug,
    specs_dir,
)

SPECS = specs_dir()
if not SPECS.is_dir():
    pytest.skip(
        f"the specification sources are not beside the checkout (no folder {SPECS}; "
        f"set {SPECS_ENV} to where the XEP sources are)",
        allow_module_level=True,
    )

from xepcodec.errors import ParseError  # noqa: E402
from xepcodec.model import XmlFragment, decode, encode, lookup  # noqa: E402
from xepcodec.protocols import load_all, xep  # noqa: E402

load_all()
# Each protocol in scope must really be there: an example whose payload has no class
# would otherwise pass as raw XML kept unchanged, proving nothing.
PROTOCOL_MODULES = {number: xep(number) for number in XEPS}

EXAMPLES = load_examples(SPECS)
BY_KEY = {example.key: example for example in EXAMPLES}
ERRATA = load_errata()
ERRATA_BY_KEY = {erratum.key: erratum for erratum in ERRATA}

#: An XMPP URI (RFC 5122), the only thing an example may hold instead of XML.
_XMPP_URI = re.compile(r"xmpp:[^\s<>\"]+")


@dataclasses.dataclass(frozen=True)
class Result:
    """What happened to one example."""

    outcome: Literal["ok", "not-well-formed", "rejected", "changed", "unstable", "untyped"]
    detail: str = ""
    error: Exception | None = None
    comments_removed: int = 0


def _tag(element: etree._Element) -> str:
    return etree.QName(element).localname


def _raw_parts(obj: Any, path: str) -> Iterator[tuple[str, XmlFragment]]:
    """Every XmlFragment inside a decoded object, with where it sits."""
    if isinstance(obj, XmlFragment):
        yield path, obj
    elif isinstance(obj, tuple):
        for index, item in enumerate(obj):
            yield from _raw_parts(item, f"{path}[{index}]")
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for field in dataclasses.fields(obj):
            yield from _raw_parts(getattr(obj, field.name), f"{path}.{field.name}")


def _difference(original: str, rewritten: str) -> str:
    """A unified diff of two canonical forms, one tag per line."""
    def lines(text: str) -> list[str]:
        return text.replace("><", ">\n<").splitlines()
    return "\n".join(difflib.unified_diff(lines(original), lines(rewritten), "spec",
                                           "xepcodec", n=2, lineterm=""))


def _islands(element: etree._Element) -> list[etree._Element]:
    """Elements with a declared class inside elements without one (an RSM ``<set/>``
    in a ``jabber:iq:search`` query, say): the whole example is kept as raw XML there,
    so these are checked on their own as well."""
    found = []
    for node in element.iterdescendants():
        if not isinstance(node.tag, str) or lookup(node.tag) is None:
            continue
        parent = node.getparent()
        if parent is not None and lookup(str(parent.tag)) is None:
            island = copy.deepcopy(node)
            island.tail = None
            found.append(island)
    return found


def _round_trip(element: etree._Element, where: str, dropped: int) -> Result | None:
    """None if ``element`` decodes, re-encodes to the same canonical XML and decodes
    again to an equal object; otherwise what went wrong."""
    try:
        obj: Any = decode(element)
    except ParseError as exc:
        return Result("rejected", f"{where}: {exc}", exc, dropped)
    typed_but_raw = [f"{path} {fragment.tag}" for path, fragment in _raw_parts(obj, "")
                     if lookup(fragment.tag) is not None]
    if typed_but_raw:
        return Result("untyped",
                      f"{where}: elements with a declared class were kept as raw XML: "
                      + ", ".join(typed_but_raw), comments_removed=dropped)
    written = encode(obj)
    original, rewritten = canonical(element), canonical_bytes(written)
    if original != rewritten:
        return Result("changed",
                      f"{where} is written back differently:\n"
                      + _difference(original, rewritten),
                      comments_removed=dropped)
    again = decode(etree.fromstring(written))
    if again != obj:
        return Result("unstable",
                      f"{where}: decoding the written bytes gives another object:\n"
                      f"  first:  {obj!r}\n  second: {again!r}",
                      comments_removed=dropped)
    return None


def check(example: SpecExample) -> Result:
    """Read the example, decode and re-encode each top-level element, compare.

    A ParseError is the ``rejected`` outcome; any other exception escapes, because
    xepcodec must never fail on input with anything but its own typed errors.
    """
    try:
        parsed = parse_example(example)
    except etree.XMLSyntaxError as exc:
        return Result("not-well-formed", str(exc), exc)
    if not parsed.elements:
        return Result("not-well-formed", "the example holds no element")
    dropped = parsed.comments_removed
    for position, element in enumerate(parsed.elements, start=1):
        where = f"element {position} <{_tag(element)}/>"
        failure = _round_trip(element, where, dropped)
        if failure is not None:
            return failure
        for island in _islands(element):
            failure = _round_trip(island, f"{where}, in it <{_tag(island)}/>", dropped)
            if failure is not None:
                return failure
    return Result("ok", comments_removed=dropped)


def _example_params() -> list[Any]:
    return [pytest.param(example, id=example.id) for example in EXAMPLES]


@pytest.mark.parametrize("example", _example_params())
def test_spec_example(example: SpecExample, record_property: Any) -> None:
    erratum = ERRATA_BY_KEY.get(example.key)
    if example.key in DISPLAYED_TEXT:
        assert not example.has_markup, (
            f"{example.id} holds markup; it is no longer only text a client displays")
        return
    if not example.has_markup:
        # XMPP URIs (the XEP-0147 sections): nothing to decode, but make sure that is
        # what the example really is.
        assert erratum is None, f"{example.id} holds no XML; it needs no erratum"
        assert _XMPP_URI.fullmatch(example.text.strip()), (
            f"{example.id} holds neither XML nor an XMPP URI: {example.text.strip()!r}")
        return
    result = check(example)
    if result.comments_removed:
        # Restricted XML has no comments; they are the spec's annotations, dropped.
        record_property("comments_removed", result.comments_removed)
    if erratum is None:
        assert result.outcome == "ok", (
            f"{example.id} ({example.caption!r}) is {result.outcome}: {result.detail}")
        return
    _check_erratum(example, erratum, result)


def _check_erratum(example: SpecExample, erratum: Erratum, result: Result) -> None:
    if result.outcome == "ok":
        pytest.fail(
            f"{example.id} is listed in {ERRATA_FILE.name} ({erratum.reason}) but xepcodec "
            "now reads it and writes it back unchanged: remove the entry, or restore the "
            "rule that refused it")
    assert result.outcome == erratum.outcome, (
        f"{example.id}: {ERRATA_FILE.name} says {erratum.outcome!r} ({erratum.reason}), "
        f"but it is {result.outcome!r}: {result.detail}")
    if erratum.match is not None:
        assert re.search(erratum.match, result.detail), (
            f"{example.id} is {result.outcome} for another reason than the erratum gives "
            f"({erratum.reason}): {result.detail}")


# --- the errata file itself -------------------------------------------------------------


def test_errata_entries_name_existing_examples() -> None:
    stale = []
    for erratum in ERRATA:
        example = BY_KEY.get(erratum.key)
        if example is None:
            stale.append(f"XEP-{erratum.xep:04d} has no example {erratum.example} "
                         f"(or the XEP is not in scope)")
        elif example.caption != " ".join(erratum.caption.split()):
            stale.append(f"XEP-{erratum.xep:04d} example {erratum.example} is now "
                         f"{example.caption!r}, not {erratum.caption!r}")
    assert not stale, "stale entries in errata.toml:\n" + "\n".join(stale)


def test_errata_entries_are_unique_and_give_reasons() -> None:
    keys = [erratum.key for erratum in ERRATA]
    assert len(keys) == len(set(keys)), "an example is listed twice in errata.toml"
    for erratum in ERRATA:
        # A reason is a sentence about the specification, not a placeholder.
        assert len(erratum.reason.split()) >= 4, f"{erratum.key}: the reason is too thin"
        if erratum.match is not None:
            re.compile(erratum.match)


def test_errata_cover_only_examples_with_markup() -> None:
    for erratum in ERRATA:
        example = BY_KEY.get(erratum.key)
        if example is not None:
            assert example.has_markup, f"{example.id} is not XML and needs no erratum"


def test_displayed_text_entries_name_existing_examples_without_errata() -> None:
    for key in DISPLAYED_TEXT:
        assert key in BY_KEY, f"XEP-{key[0]:04d} has no example {key[1]} (or is not in scope)"
        assert key not in ERRATA_BY_KEY, f"{BY_KEY[key].id} is displayed text, not an erratum"


def test_an_erratum_on_an_example_xepcodec_handles_fails() -> None:
    example = BY_KEY[(199, 1)]
    stale = Erratum(xep=199, example=1, caption=example.caption,
                    reason="pretend the ping request were wrong", outcome="rejected")
    with pytest.raises(pytest.fail.Exception, match="remove the entry"):
        _check_erratum(example, stale, check(example))


def test_an_erratum_must_name_what_really_happens() -> None:
    example = BY_KEY[(30, 26)]  # an iq without id: refused
    result = check(example)
    assert result.outcome == "rejected"
    wrong_outcome = Erratum(xep=30, example=26, caption=example.caption,
                            reason="the iq lacks its id attribute", outcome="changed")
    with pytest.raises(AssertionError, match="says 'changed'"):
        _check_erratum(example, wrong_outcome, result)
    wrong_cause = dataclasses.replace(wrong_outcome, outcome="rejected", match="identity")
    with pytest.raises(AssertionError, match="another reason"):
        _check_erratum(example, wrong_cause, result)


def test_check_tells_xml_that_is_not_well_formed() -> None:
    elided = SpecExample(xep=1, number=1, caption="elided", text="<iq type='get' ...>")
    assert check(elided).outcome == "not-well-formed"


# --- the extraction ---------------------------------------------------------------------


def test_every_protocol_in_scope_has_examples() -> None:
    counts = {xep: sum(1 for e in EXAMPLES if e.xep == xep) for xep in XEPS}
    assert all(counts.values()), f"no examples found for some XEPs: {counts}"
    ids = [example.id for example in EXAMPLES]
    assert len(ids) == len(set(ids))


def test_examples_are_numbered_in_document_order() -> None:
    for number in XEPS:
        numbers = [e.number for e in EXAMPLES if e.xep == number]
        assert numbers == list(range(1, len(numbers) + 1))


def test_slug_makes_a_test_id_from_a_caption() -> None:
    assert slug("Announcing commands (via <message/>)") == "announcing-commands-via-message"
    assert slug("JID+node result") == "jid-node-result"
    example = SpecExample(xep=30, number=5, caption="Querying for information", text="")
    assert example.id == "xep0030-ex05-querying-for-information"


def test_parse_example_supplies_the_stream_namespaces_and_drops_comments() -> None:
    example = SpecExample(xep=1, number=1, caption="two stanzas", text="""
        <iq type='get' id='a'><!-- a remark --><query xmlns='urn:example'/></iq>
        <stream:features><c xmlns='urn:example:c'/></stream:features>
    """)
    parsed = parse_example(example)
    assert parsed.comments_removed == 1
    assert [el.tag for el in parsed.elements] == [
        "{jabber:client}iq", "{http://etherx.jabber.org/streams}features"]
    first = parsed.elements[0]
    assert first.getparent() is None
    assert not any(isinstance(node, etree._Comment) for node in first.iter())
    assert canonical(first) == (
        '<iq xmlns="jabber:client" id="a" type="get"><query xmlns="urn:example"></query></iq>')


def test_parse_example_refuses_elisions_that_break_the_xml() -> None:
    example = SpecExample(xep=1, number=1, caption="elided", text="<iq><query ...></iq>")
    with pytest.raises(etree.XMLSyntaxError):
        parse_example(example)


def test_canonical_form_ignores_indentation_but_not_content() -> None:
    spaced = canonical_bytes(b"<a xmlns='urn:x' y='1' x='2'>\n  <b> t </b>\n</a>")
    tight = canonical_bytes(b'<a xmlns="urn:x" x="2" y="1"><b>t</b></a>')
    assert spaced == tight
    assert canonical_bytes(b'<a xmlns="urn:x"><b>u</b></a>') != tight
