"""assert_valid_stanza: passes on valid stanzas, fails showing the errors in context."""

from __future__ import annotations

import pytest
from lxml import etree

from xepcodec.core.stanzas import Iq, IqType, Message
from xepcodec.protocols.ping import Ping
from xepcodec.testing.assertions import StanzaAssertionError, assert_valid_stanza

GOOD = b"<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"
BAD = b"<iq xmlns='jabber:client' type='get' id='p2'>\n<ping xmlns='urn:xmpp:ping'>x</ping></iq>"


@pytest.mark.parametrize("stanza", [
    GOOD,
    GOOD.decode(),
    bytearray(GOOD),
    etree.fromstring(GOOD),
    Iq(type=IqType.GET, id="p1", extensions=(Ping(),)),
    b"<message><body>no xmlns: read as a client stream's</body></message>",
    GOOD + b"\n" + GOOD,  # a log
])
def test_valid_stanzas_pass(stanza: object) -> None:
    result = assert_valid_stanza(stanza)
    assert result.ok and result.summary.errors == 0


def test_the_failure_shows_each_error_under_its_line() -> None:
    with pytest.raises(StanzaAssertionError) as failed:
        assert_valid_stanza(BAD)
    assert isinstance(failed.value, AssertionError)
    assert str(failed.value).splitlines() == [
        "the stanza is not valid: 1 error",
        "    1 | <iq xmlns='jabber:client' type='get' id='p2'>",
        "    2 | <ping xmlns='urn:xmpp:ping'>x</ping></iq>",
        "      | ^ error: character data is not allowed because content is empty "
        "(at /iq/ping) [bad-request]",
    ]


def test_the_caret_points_at_the_column() -> None:
    stanza = (b"<iq type='get' id='x'>\n"
              b"  <query xmlns='http://jabber.org/protocol/disco#info'><identity type='pc'/>"
              b"</query></iq>")
    with pytest.raises(StanzaAssertionError) as failed:
        assert_valid_stanza(stanza)
    lines = str(failed.value).splitlines()
    source = lines.index("    2 |   <query xmlns='http://jabber.org/protocol/disco#info'>"
                         "<identity type='pc'/></query></iq>")
    caret = lines[source + 1]
    column = caret.index("^") - caret.index("|") - 1
    assert lines[source][lines[source].index("|") + 1 + column:].startswith("<identity")
    assert "missing required attribute 'category'" in caret


def test_a_long_line_is_shown_around_the_error() -> None:
    payload = "".join(f"<feature var='urn:example:{n}'/>" for n in range(40))
    stanza = (f"<iq type='result' id='x'><query xmlns='http://jabber.org/protocol/disco#info'>"
              f"{payload}<identity type='pc'/></query></iq>")
    with pytest.raises(StanzaAssertionError) as failed:
        assert_valid_stanza(stanza)
    shown = str(failed.value).splitlines()[1]
    assert shown.startswith("    1 | …") and len(shown) < 120
    caret = str(failed.value).splitlines()[2]
    column = caret.index("^") - caret.index("|") - 1
    assert shown[shown.index("|") + 1 + column:].startswith("<identity")


def test_many_errors_are_cut_short() -> None:
    stanza = "<iq type='result' id='x'><query xmlns='http://jabber.org/protocol/disco#info'>" + (
        "<feature/>\n" * 30) + "</query></iq>"
    with pytest.raises(StanzaAssertionError) as failed:
        assert_valid_stanza(stanza)
    text = str(failed.value)
    assert text.startswith("the stanza is not valid: 30 errors")
    assert text.count("^ error:") == 20
    assert text.endswith("… and 10 more")


def test_a_log_says_which_stanzas_failed() -> None:
    with pytest.raises(StanzaAssertionError, match=r"1 error in 1 of 3 stanzas"):
        assert_valid_stanza(GOOD + b"\n" + BAD + b"\n" + GOOD)


def test_options_strict_and_xep() -> None:
    own = b"<message><x xmlns='urn:example:own'/></message>"
    result = assert_valid_stanza(own)
    assert [w.namespace for w in result.all_findings()] == ["urn:example:own"]
    with pytest.raises(StanzaAssertionError, match="no schema is known"):
        assert_valid_stanza(own, strict=True)
    with pytest.raises(StanzaAssertionError, match="not selected with --xep"):
        assert_valid_stanza(GOOD, xep=[30], strict=True)
    assert_valid_stanza(GOOD, xep=[199], strict=True)


def test_typed_objects_are_serialized_first() -> None:
    message = Message(extensions=())
    assert assert_valid_stanza(message).summary.kind == "stanza"


def test_what_is_not_a_stanza() -> None:
    with pytest.raises(TypeError, match="not int"):
        assert_valid_stanza(42)
    with pytest.raises(StanzaAssertionError, match=r"^the stanza is empty$"):
        assert_valid_stanza(b"")
