"""One verdict: ``parse``, ``validate`` and ``StreamReader`` accept and refuse the same inputs.

Over every example of the specifications, the hostile corpus and mutated stanzas:

* ``parse(x)`` succeeds exactly when ``validate(x).ok``.  Unknown namespaces aside:
  ``parse`` keeps them raw and ``validate`` warns about them, which is agreement, and
  what ``validate`` finds inside such an element (it checks a known namespace wherever
  it appears, ``parse`` keeps the whole subtree raw) does not count against it; a
  top-level element of an unknown namespace is refused by ``parse`` (nothing knows it)
  and a warning in ``validate``.
* the same stanza inside a stream arrives as ``StanzaReceived`` exactly when ``parse``
  succeeds, and otherwise as ``StanzaFailed`` or a stream error, with the same condition.

Children are read in any order (RFC 6120 orders no stanza children, and servers differ)
and the schemas say the same, so every declared class, its children permuted, gets one
verdict too.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from conformance.examples import example_elements, specs_dir
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from payloads import library_classes

import xepcodec
from xepcodec.api import StreamReader
from xepcodec.errors import ParseError
from xepcodec.model import encode
from xepcodec.protocols import load_all
from xepcodec.testing.stanzas import stanzas
from xepcodec.testing.strategies import for_class
from xepcodec.validation import default_catalog
from xepcodec.xml import StanzaFailed, StanzaReceived, stream_header
from xepcodec.xml.paths import path_of

load_all()

CLIENT = "jabber:client"
HEADER = stream_header()
KNOWN = default_catalog().namespaces


@dataclass(frozen=True)
class Verdicts:
    parsed: ParseError | None  # None: parse succeeded
    report: xepcodec.ValidationReport
    streamed: ParseError | str | None  # "n/a" when the bytes cannot stand in a stream


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def _unknown_subtrees(data: bytes) -> list[str]:
    """Paths of the elements whose namespace no schema knows (parse keeps them raw)."""
    try:
        root = xepcodec.xml.parse_xml(data)
    except ParseError:
        return []
    return [path_of(node) for node in root.iter()
            if isinstance(node.tag, str) and _namespace(node.tag)
            and _namespace(node.tag) not in KNOWN]


def _streamed(data: bytes) -> ParseError | str | None:
    """What a jabber:client stream makes of the bytes as one stanza."""
    if data.startswith((b"<?", b"\xef\xbb\xbf")) or not data.startswith(b"<"):
        return "n/a"
    try:
        root = xepcodec.xml.parse_xml(data)
    except ParseError:
        pass
    else:
        if not str(root.tag).startswith("{"):
            return "n/a"  # in a stream it would take the stream's content namespace
    reader = StreamReader()
    try:
        events = reader.feed(HEADER + data)
    except ParseError as error:
        return error
    stanzas = [event for event in events if isinstance(event, StanzaReceived | StanzaFailed)]
    if len(stanzas) != 1:
        return "n/a"  # not one whole element: the XML layer has its own tests
    (event,) = stanzas
    return event.error if isinstance(event, StanzaFailed) else None


def verdicts(data: bytes) -> Verdicts:
    try:
        xepcodec.parse(data)
        parsed: ParseError | None = None
    except ParseError as error:
        parsed = error
    return Verdicts(parsed, xepcodec.validate(data), _streamed(data))


def disagreement(data: bytes) -> str | None:
    """Why the ways in disagree on *data*, or None when they agree."""
    seen = verdicts(data)
    report, parsed = seen.report, seen.parsed
    if parsed is None and not report.ok:
        unknown = _unknown_subtrees(data)
        if not all(any((e.path or "").startswith(top) for top in unknown)
                   for e in report.errors):
            return f"parse accepts, validate refuses: {[str(e) for e in report.errors]}"
    if parsed is not None and report.ok:
        root_unknown = parsed.condition == "feature-not-implemented" and any(
            w.path == parsed.path for w in report.warnings)
        if not root_unknown:
            return f"parse refuses ({parsed}), validate accepts"
    streamed = seen.streamed
    if streamed != "n/a":
        if (parsed is None) != (streamed is None):
            return f"parse says {parsed}, the stream says {streamed}"
        unknown_top = (isinstance(parsed, ParseError) and isinstance(streamed, ParseError)
                       and parsed.condition == "feature-not-implemented"
                       and streamed.condition == "unsupported-stanza-type")
        # An element no protocol knows, at the top of a stream, is no stanza: a stream
        # error (RFC 6120 §4.9.3.24).
        if (isinstance(parsed, ParseError) and not parsed.stream and not unknown_top
                and (not isinstance(streamed, ParseError)
                     or streamed.condition != parsed.condition)):
            # A stanza-level refusal arrives as StanzaFailed with the same condition.
            # (Bytes the XML layer refuses may be named differently inside a stream,
            # whose encoding is settled: a NUL there is a bad character, not UTF-16.)
            return f"parse says {parsed}, the stream says {streamed}"
    return None


# -- the specifications' examples -------------------------------------------------------


def _spec_documents() -> list[tuple[str, bytes]]:
    numbered: dict[str, int] = {}
    documents = []
    for example, element in example_elements():
        numbered[example.id] = numbered.get(example.id, 0) + 1
        documents.append((f"{example.id}-{numbered[example.id]}", etree.tostring(element)))
    return documents


SPEC_DOCUMENTS = _spec_documents()


def test_the_specification_examples_are_read() -> None:
    if not specs_dir().is_dir():
        pytest.skip(f"the specification sources are not beside the checkout ({specs_dir()})")
    assert len(SPEC_DOCUMENTS) > 200


@pytest.mark.parametrize(("name", "data"), SPEC_DOCUMENTS, ids=[n for n, _ in SPEC_DOCUMENTS])
def test_one_verdict_on_the_specification_examples(name: str, data: bytes) -> None:
    assert disagreement(data) is None, data.decode("utf-8", "replace")


# -- the hostile corpus ---------------------------------------------------------------


def _hostile_module() -> ModuleType:
    # tests/xml has no package of its own (its name would shadow the standard library).
    name = "test_xml_hostile"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).with_name("xml") / "test_xml_hostile.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


HOSTILE = [(case.name, case.data) for case in _hostile_module().CORPUS
           if len(case.data) <= 2 * 1024 * 1024]


@pytest.mark.parametrize(("name", "data"), HOSTILE, ids=[n for n, _ in HOSTILE])
def test_one_verdict_on_the_hostile_corpus(name: str, data: bytes) -> None:
    assert disagreement(data) is None


# -- the cases that once disagreed ------------------------------------------------------

E = "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'"
CASES = [
    # the error child anywhere, its parts in any order (RFC 6120 fixes no order)
    f"<message xmlns='{CLIENT}' type='error'><error type='cancel'><item-not-found {E}/>"
    "</error><body>hi</body></message>",
    f"<message xmlns='{CLIENT}' type='error'><error type='cancel'><app xmlns='urn:app'/>"
    f"<text {E}>x</text><item-not-found {E}/></error></message>",
    f"<iq xmlns='{CLIENT}' type='error' id='1'><error type='cancel'><item-not-found {E}/>"
    "</error><ping xmlns='urn:xmpp:ping'/></iq>",
    # undeclared elements of known namespaces
    f"<iq xmlns='{CLIENT}' type='get' id='1'><pingx xmlns='urn:xmpp:ping'/></iq>",
    f"<message xmlns='{CLIENT}'><y xmlns='jabber:x:data'/></message>",
    "<pingx xmlns='urn:xmpp:ping'/>",
    # no namespace, or the content namespace, where a payload belongs
    f"<iq xmlns='{CLIENT}' type='get' id='1'><query/></iq>",
    "<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
    f"<message xmlns='{CLIENT}'><show>x</show></message>",
    f"<iq xmlns='{CLIENT}' type='get' id='1'><query xmlns=''/></iq>",
    f"<presence xmlns='{CLIENT}'><body>x</body></presence>",
    # an xml:lang that is no language tag
    f"<iq xmlns='{CLIENT}' type='get' id='1' xml:lang=' '><ping xmlns='urn:xmpp:ping'/></iq>",
    # a known element inside a payload no schema knows: kept raw by parse, a warning
    f"<iq xmlns='{CLIENT}' type='get' id='1'><query xmlns='jabber:iq:register'>"
    "<x xmlns='jabber:x:data' type='bogus'/></query></iq>",
    # data form children in any order (the schema once fixed one), counts kept by both
    "<x xmlns='jabber:x:data' type='form'><field var='a'/><title>T</title></x>",
    "<x xmlns='jabber:x:data' type='form'><field var='a'><value>x</value><desc>late</desc>"
    "</field></x>",
    "<x xmlns='jabber:x:data' type='form'><title>a</title><field var='a'/><title>b</title></x>",
    "<x xmlns='jabber:x:data' type='result'><item><field var='a'/></item>"
    "<reported><field var='a'/></reported></x>",
    "<x xmlns='jabber:x:data' type='result'><item><field var='a'/></item></x>",
    # namespace faults
    f"<message xmlns='{CLIENT}'><foo:bar/></message>",
    f"<iq xmlns='{CLIENT}' type='get' id='1' xmlns:m=' '><y xmlns='-'/></iq>",
]


@pytest.mark.parametrize("text", CASES)
def test_one_verdict_on_known_cases(text: str) -> None:
    assert disagreement(text.encode()) is None


# -- mutated stanzas --------------------------------------------------------------------

Mutation = Callable[[etree._Element, etree._Element, st.DrawFn], None]


def _drop(root: etree._Element, node: etree._Element, draw: st.DrawFn) -> None:
    parent = node.getparent()
    if parent is not None:
        parent.remove(node)


def _duplicate(root: etree._Element, node: etree._Element, draw: st.DrawFn) -> None:
    parent = node.getparent()
    if parent is not None:
        parent.insert(parent.index(node), etree.fromstring(etree.tostring(node)))


def _move_first(root: etree._Element, node: etree._Element, draw: st.DrawFn) -> None:
    parent = node.getparent()
    if parent is not None:
        parent.insert(0, node)


def _rename(root: etree._Element, node: etree._Element, draw: st.DrawFn) -> None:
    namespace = _namespace(str(node.tag))
    local = str(node.tag).rpartition("}")[2]
    new = draw(st.sampled_from([local + "x", "query", "x", "error", "body", "show", "item"]))
    node.tag = f"{{{namespace}}}{new}" if namespace else new


def _renamespace(root: etree._Element, node: etree._Element, draw: st.DrawFn) -> None:
    local = str(node.tag).rpartition("}")[2]
    namespace = draw(st.sampled_from(
        ["", CLIENT, "jabber:server", "urn:xmpp:ping", "jabber:x:data", "urn:example:other",
         "http://jabber.org/protocol/disco#info", "urn:ietf:params:xml:ns:xmpp-stanzas"]))
    node.tag = f"{{{namespace}}}{local}" if namespace else local


def _drop_attribute(root: etree._Element, node: etree._Element, draw: st.DrawFn) -> None:
    names = list(node.attrib)
    if names:
        del node.attrib[draw(st.sampled_from(names))]


def _set_attribute(root: etree._Element, node: etree._Element, draw: st.DrawFn) -> None:
    name = draw(st.sampled_from(["type", "id", "to", "from", "var", "node", "extra"]))
    node.set(name, draw(st.sampled_from(["", "get", "error", "a@b", "@", "x" * 3, "1"])))


def _add_text(root: etree._Element, node: etree._Element, draw: st.DrawFn) -> None:
    node.text = (node.text or "") + draw(st.sampled_from([" ", "text", "\n"]))


MUTATIONS: list[Mutation] = [_drop, _duplicate, _move_first, _rename, _renamespace,
                             _drop_attribute, _set_attribute, _add_text]


@st.composite
def mutated_stanzas(draw: st.DrawFn) -> bytes:
    root = etree.fromstring(xepcodec.serialize(draw(stanzas())))
    for _ in range(draw(st.integers(1, 2))):
        nodes = list(root.iter())
        node = nodes[draw(st.integers(0, len(nodes) - 1))]
        draw(st.sampled_from(MUTATIONS))(root, node, draw)
    return etree.tostring(root)


@settings(max_examples=400, derandomize=True)
@given(mutated_stanzas())
def test_one_verdict_on_mutated_stanzas(data: bytes) -> None:
    assert disagreement(data) is None, data.decode("utf-8", "replace")


@settings(max_examples=100, derandomize=True)
@given(stanzas())
def test_generated_stanzas_pass_every_way_in(stanza: object) -> None:
    data = xepcodec.serialize(stanza)
    seen = verdicts(data)
    assert seen.parsed is None and seen.report.ok and seen.streamed in (None, "n/a"), data


# -- children in another order ----------------------------------------------------------


@st.composite
def permuted(draw: st.DrawFn, cls: type) -> bytes:
    """An instance of *cls*, written, with the children of every element that has several
    reordered: reversed, or rotated by a drawn step (each child keeps the text after it)."""
    root = etree.fromstring(encode(draw(for_class(cls))))
    for node in list(root.iter()):
        kids = list(node)
        if len(kids) > 1:
            step = draw(st.integers(0, len(kids) - 1))  # 0 reverses, otherwise a rotation
            node[:] = kids[::-1] if step == 0 else kids[step:] + kids[:step]
    return etree.tostring(root)


@pytest.mark.parametrize("cls", library_classes(),
                         ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
@settings(max_examples=10, derandomize=True)
@given(data=st.data())
def test_one_verdict_whatever_the_order_of_children(cls: type, data: st.DataObject) -> None:
    document = data.draw(permuted(cls))
    assert disagreement(document) is None, document.decode()
