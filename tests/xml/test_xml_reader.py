"""parse_xml: restricted XML, its error reports, its limits; path_of."""

from __future__ import annotations

import threading
import tracemalloc

import pytest
from lxml import etree

from xepcodec.api import StreamReader
from xepcodec.errors import ParseError
from xepcodec.xml import DEFAULT_LIMITS, Limits, parse_xml, path_of
from xepcodec.xml.paths import shorten
from xepcodec.xml.reader import LIBXML2_MAX_DEPTH


def fails(data: bytes | str, condition: str, *, limits: Limits = DEFAULT_LIMITS) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_xml(data, limits)
    assert caught.value.condition == condition, str(caught.value)
    assert caught.value.stream
    return caught.value


# -- what is accepted -----------------------------------------------------------------------


def test_plain_document() -> None:
    root = parse_xml(b"<iq xmlns='jabber:client' type='get' id='1'><query xmlns='q'/></iq>")
    assert root.tag == "{jabber:client}iq"
    assert root.get("id") == "1"
    assert root[0].tag == "{q}query"


def test_str_input() -> None:
    assert parse_xml("<a>h\u00e9llo \U0001f600</a>").text == "h\u00e9llo \U0001f600"


def test_bytearray_and_memoryview_input() -> None:
    assert parse_xml(bytearray(b"<a>x</a>")).text == "x"  # type: ignore[arg-type]
    assert parse_xml(memoryview(b"<a>y</a>")).text == "y"  # type: ignore[arg-type]


@pytest.mark.parametrize("declaration", [
    b"<?xml version='1.0'?>",
    b'<?xml version="1.0"?>',
    b"<?xml version='1.0' encoding='UTF-8'?>",
    b"<?xml version='1.0' encoding='utf-8'?>",
    b"<?xml version='1.0' encoding='utf8'?>",
    b"<?xml version = '1.0'\n encoding = \"UTF-8\" standalone='yes' ?>",
])
def test_xml_declaration_allowed(declaration: bytes) -> None:
    assert parse_xml(declaration + b"\n<a>x</a>").text == "x"


def test_utf8_bom_is_accepted_and_ignored() -> None:
    # Documented choice: files often carry one, XML 1.0 §4.3.3 allows it.  (The
    # stream reader refuses it; see test_xml_stream.)
    assert parse_xml(b"\xef\xbb\xbf<a>x</a>").text == "x"
    assert parse_xml(b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?><a>x</a>").text == "x"
    assert parse_xml("\ufeff<a>x</a>").text == "x"


def test_only_one_bom() -> None:
    fails(b"\xef\xbb\xbf\xef\xbb\xbf<a/>", "not-well-formed")


def test_predefined_entities_and_character_references() -> None:
    root = parse_xml(b"<a b='&quot;&apos;&#9;'>&amp;&lt;&gt;&#65;&#x1F600;&#xe9;</a>")
    assert root.text == "&<>A\U0001f600\u00e9"
    assert root.get("b") == "\"'\t"


@pytest.mark.parametrize("content", [
    b"<!-- not a comment -->",
    b"&foo; &amp; &#0;",
    b"<?pi not a PI?>",
    b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
    b"]] ] > ]>",
    b"<![CDATA[",
    b"",
])
def test_cdata_sections_keep_working(content: bytes) -> None:
    root = parse_xml(b"<a>x<![CDATA[" + content + b"]]>y<b/></a>")
    assert root.text == "x" + content.decode() + "y"


def test_cdata_and_text_merge_into_one_text() -> None:
    assert parse_xml(b"<a>1<![CDATA[2]]>3<![CDATA[4]]></a>").text == "1234"


def test_markup_in_attribute_values_is_data() -> None:
    root = parse_xml(b"<a b='x > y ? ! -- ]]>' c=\"'\"/>")
    assert root.get("b") == "x > y ? ! -- ]]>"


def test_question_and_exclamation_marks_in_text() -> None:
    text = "Wherefore art thou? Deny thy father! " * 20
    assert parse_xml(f"<a>{text}</a>").text == text


def test_xinclude_is_never_processed(tmp_path: object) -> None:
    root = parse_xml(b"<a xmlns:xi='http://www.w3.org/2001/XInclude'>"
                     b"<xi:include href='file:///etc/passwd' parse='text'/></a>")
    assert root[0].tag == "{http://www.w3.org/2001/XInclude}include"
    assert root.text is None and root[0].text is None


# -- what is refused, and how it is reported ----------------------------------------------


def test_comment_is_restricted_with_path_and_line() -> None:
    data = b"<iq>\n<query>\n<identity/><identity>\n<!-- hi --></identity></query></iq>"
    error = fails(data, "restricted-xml")
    assert "comment" in error.message
    assert error.path == "/iq/query/identity[2]"
    assert error.line == 4


def test_libxml2_error_has_path_and_line() -> None:
    data = b"<iq>\n<query>\n<identity/>\n<identity>\x01</identity></query></iq>"
    error = fails(data, "not-well-formed")
    assert "character" in error.message
    assert error.path == "/iq/query/identity[2]"
    assert error.line == 4


def test_malformed() -> None:
    error = fails(b"<a><b></a>", "not-well-formed")
    assert "mismatch" in error.message.lower()
    assert error.path == "/a/b"


@pytest.mark.parametrize("data", [b"", b"   ", b"\n"])
def test_empty(data: bytes) -> None:
    fails(data, "not-well-formed")


@pytest.mark.parametrize(("data", "condition", "word"), [
    (b"<?xml version='1.1'?><a/>", "not-well-formed", "version"),
    (b"<?xml version='2.0'?><a/>", "not-well-formed", "version"),
    (b"<?xml encoding='UTF-8'?><a/>", "not-well-formed", "declaration"),
    (b"<?xml version='1.0' encoding='UTF-8' version='1.0'?><a/>", "not-well-formed",
     "declaration"),
    (b"<?xml version='1.0'><a/>", "not-well-formed", "declaration"),
    (b"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xe9</a>", "unsupported-encoding",
     "ISO-8859-1"),
    (b"<?xml version='1.0' encoding='UTF-16'?><a/>", "unsupported-encoding", "UTF-16"),
    (b"<?xml version='1.0' encoding='us-ascii'?><a/>", "unsupported-encoding", "us-ascii"),
    (b" <?xml version='1.0'?><a/>", "not-well-formed", "declaration"),
    (b"<a/><?xml version='1.0'?>", "not-well-formed", "declaration"),
    (b"<?xml-stylesheet href='x.xsl'?><a/>", "restricted-xml", "processing instruction"),
    (b"<?XML version='1.0'?><a/>", "restricted-xml", "processing instruction"),
])
def test_declarations(data: bytes, condition: str, word: str) -> None:
    assert word in fails(data, condition).message


def test_lone_surrogate_in_str() -> None:
    error = fails("<a>\n\ud800</a>", "not-well-formed")
    assert "surrogate" in error.message and error.line == 2


def test_bare_ampersand_is_not_well_formed() -> None:
    fails(b"<a>fish & chips</a>", "not-well-formed")


def test_undeclared_entity_is_restricted() -> None:
    error = fails(b"<a>\n<b>&nbsp;</b></a>", "restricted-xml")
    assert "nbsp" in error.message and "entity" in error.message
    assert error.path == "/a/b" and error.line == 2


# -- limits -------------------------------------------------------------------------------


def nested(depth: int) -> bytes:
    return b"<a>" * (depth - 1) + b"<a/>" + b"</a>" * (depth - 1)


SMALL = Limits(max_depth=5, max_attribute_length=10, max_text_length=20, max_attributes=3,
               max_children=4, max_size=400)


def test_limits_at_the_bound_pass_and_one_beyond_fails() -> None:
    parse_xml(nested(5), SMALL)
    error = fails(nested(6), "policy-violation", limits=SMALL)
    assert "deep" in error.message and error.path == "/a/a/a/a/a/a"

    parse_xml(b"<a b='0123456789'/>", SMALL)
    error = fails(b"<a><b/><b c='01234567890'/></a>", "policy-violation", limits=SMALL)
    assert "attribute value" in error.message and error.path == "/a/b[2]/@c"

    parse_xml(b"<a>" + b"x" * 20 + b"</a>", SMALL)
    error = fails(b"<a><b/>" + b"x" * 21 + b"</a>", "policy-violation", limits=SMALL)
    assert "text" in error.message and error.path == "/a/text()"

    parse_xml(b"<a b='' c='' d=''/>", SMALL)
    error = fails(b"<a><b b='' c='' d='' e=''/></a>", "policy-violation", limits=SMALL)
    assert "4 attributes" in error.message and error.path == "/a/b"

    parse_xml(b"<a>" + b"<b/>" * 4 + b"</a>", SMALL)
    error = fails(b"<r><a>" + b"<b/>" * 5 + b"</a></r>", "policy-violation", limits=SMALL)
    assert "5 child elements" in error.message and error.path == "/r/a"

    sized = Limits(max_size=400)
    parse_xml(b"<a>" + b" " * 393 + b"</a>", sized)
    error = fails(b"<a>" + b" " * 394 + b"</a>", "policy-violation", limits=sized)
    assert "401 bytes" in error.message


def test_text_limit_counts_cdata_and_characters() -> None:
    # 20 characters, 80 bytes: within the limit.
    parse_xml("<a>" + "\U0001f600" * 20 + "</a>", SMALL)
    error = fails(b"<a>" + b"x" * 10 + b"<![CDATA[" + b"y" * 11 + b"]]></a>", "policy-violation",
                  limits=SMALL)
    assert "21 characters" in error.message


def test_attribute_bound_is_not_fooled_by_equals_in_text() -> None:
    parse_xml(b"<a b='1'>" + b"=" * 50 + b"</a>", Limits(max_attributes=3))
    # ... nor by ">" inside attribute values hiding the attributes that follow.
    fails(b"<a b='>' c='>' d='>' e='>'/>", "policy-violation", limits=Limits(max_attributes=3))


def test_namespace_declarations_are_not_attributes() -> None:
    parse_xml(b"<a xmlns='x' xmlns:p='y' xmlns:q='z' xmlns:r='w' b='1'/>", Limits(max_attributes=1))


def test_default_limits_hold_for_big_valid_documents() -> None:
    # Past every fast bound, so every tree check runs, and nothing is refused.
    items = b"".join(b"<item jid='u%d@example.com' name='User %d'><group>G</group></item>" % (i, i)
                     for i in range(3000))
    root = parse_xml(b"<query xmlns='jabber:iq:roster'>" + items + b"</query>")
    assert len(root) == 3000
    parse_xml(nested(100))
    parse_xml(b"<a>" + b"<b/>" * 10_000 + b"</a>")


@pytest.mark.parametrize("kwargs", [
    {"max_depth": 0}, {"max_size": -1}, {"max_text_length": 1.5}, {"max_attributes": True},
    {"max_depth": LIBXML2_MAX_DEPTH},
])
def test_invalid_limits(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Limits"):
        Limits(**kwargs)  # type: ignore[arg-type]


def test_limits_are_values() -> None:
    assert Limits() == DEFAULT_LIMITS
    assert hash(Limits(max_depth=7)) == hash(Limits(max_depth=7))
    assert "max_depth=7" in repr(Limits(max_depth=7)) and "_floor" not in repr(Limits())


def test_huge_limits_cost_nothing_until_input_needs_them() -> None:
    # Bounds of 2**31 are how callers say "no limit": building them must not allocate
    # anything proportional to the bound, and they must still be enforced.
    tracemalloc.start()
    try:
        unbounded = Limits(max_attributes=2**31, max_children=2**31, max_size=2**62,
                           max_attribute_length=2**31, max_text_length=2**31)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    many = b"<a " + b" ".join(b"x%d='1'" % i for i in range(100)) + b"/>"
    assert len(parse_xml(many, unbounded).attrib) == 100
    small = Limits(max_attributes=99)
    fails(many, "policy-violation", limits=small)
    reader = StreamReader(limits=unbounded)
    events = reader.feed(b"<stream:stream xmlns='jabber:client' "
                         b"xmlns:stream='http://etherx.jabber.org/streams'>"
                         b"<message><x xmlns='urn:x' " + many[3:] + b"</message>")
    assert any(type(event).__name__ == "StanzaReceived" for event in events)


def test_deepest_allowed_limit_works() -> None:
    limits = Limits(max_depth=LIBXML2_MAX_DEPTH - 1)
    parse_xml(nested(LIBXML2_MAX_DEPTH - 1), limits)
    fails(nested(LIBXML2_MAX_DEPTH), "policy-violation", limits=limits)


# -- threads --------------------------------------------------------------------------------


def test_threads_parse_independently() -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(300):
                root = parse_xml(b"<a n='%d'>%s</a>" % (n, b"<b/>" * (i % 50)))
                assert root.get("n") == str(n) and len(root) == i % 50
                with pytest.raises(ParseError):
                    parse_xml(b"<a><!-- x --></a>")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


# -- path_of --------------------------------------------------------------------------------


def test_path_of() -> None:
    root = etree.fromstring(
        b"<iq xmlns='jabber:client'><query xmlns='d'><identity/><feature/><identity c='x'/>"
        b"<x:identity xmlns:x='other'/></query></iq>")
    query = root[0]
    assert path_of(root) == "/iq"
    assert path_of(query) == "/iq/query"
    assert path_of(query[0]) == "/iq/query/identity[1]"
    assert path_of(query[1]) == "/iq/query/feature"
    assert path_of(query[2]) == "/iq/query/identity[2]"
    # Siblings are counted by local name, the only name the path shows.
    assert path_of(query[3]) == "/iq/query/identity[3]"
    assert path_of(query[2], "c") == "/iq/query/identity[2]/@c"
    assert path_of(root, "{http://www.w3.org/XML/1998/namespace}lang") == "/iq/@xml:lang"
    assert path_of(root, "{urn:x}foo") == "/iq/@foo"


def test_path_of_leaves_out_the_stream() -> None:
    stream = etree.fromstring(b"<stream:stream xmlns='jabber:client' xmlns:stream="
                              b"'http://etherx.jabber.org/streams'><message><body/></message>"
                              b"<message/></stream:stream>")
    first = stream[0]
    assert path_of(first) == "/message"  # no index: it depends on how bytes were split
    assert path_of(first[0]) == "/message/body"
    assert path_of(first, "to") == "/message/@to"
    assert path_of(stream) == "/stream"


def test_path_of_other_nodes() -> None:
    root = etree.fromstring(b"<a><!--c--><b/></a>")
    assert path_of(root[0]) == "/a/node()"


def test_shorten() -> None:
    assert shorten("/a/b/c") == "/a/b/c"
    deep = "/" + "/".join(f"e{i}" for i in range(20))
    assert shorten(deep) == "/e0/e1/e2/e3/…/e16/e17/e18/e19"


def test_libxml2_error_codes_match_lxml() -> None:
    from xepcodec.xml import reader

    for name in ("INVALID_CHAR", "UNDECLARED_ENTITY", "UNPARSED_ENTITY", "UNKNOWN_ENCODING",
                 "UNSUPPORTED_ENCODING", "INVALID_ENCODING", "ENTITY_LOOP", "NAME_TOO_LONG",
                 "RESOURCE_LIMIT"):
        assert getattr(reader, f"_ERR_{name}") == getattr(etree.ErrorTypes, f"ERR_{name}")
