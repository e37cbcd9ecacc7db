"""XEP-0423 compliance suites: the tables held against the XEP's own (both editions),
and report() on answers that show, lack or cannot show each kind of requirement."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from conformance.examples import specs_dir
from lxml import etree

from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.protocols.compliance import (
    CS2020,
    CS2020_PROTOXEP,
    EDITIONS,
    Category,
    Cell,
    Edition,
    Hidden,
    Level,
    Need,
    Provider,
    Requirement,
    Role,
    Shown,
    Status,
    report,
)
from xepcodec.protocols.disco import FEATURE_INFO, Feature, Identity, InfoQuery
from xepcodec.protocols.stream_features import StreamFeatures
from xepcodec.protocols.stream_management import SmFeature

SERVER = Identity(category="server", type="im")
CLIENT = Identity(category="client", type="pc")


def info(*features: str, identities: tuple[Identity, ...] = (SERVER,)) -> InfoQuery:
    """A disco#info result: the identities, disco#info and the ``features``."""
    return InfoQuery(identities=identities,
                     features=tuple(Feature(var=var) for var in (FEATURE_INFO, *features)))


# -- the tables, against the XEP's ------------------------------------------------------------

_MARKS = {"yes": Need.REQUIRED, "✓": Need.REQUIRED, "no": Need.NOT_REQUIRED,
          "✕": Need.NOT_REQUIRED, "N/A": Need.NOT_APPLICABLE}
#: The XEP's footnote entities; "onlyone" is the one-provider rule, not a note.
_FOOTNOTES = {"component", "usecases", "nocli", "pubsubjid"}


def _spec_name(entity: str) -> str:
    kind, number = re.fullmatch(r"(xep|rfc)(\d+)", entity).groups()  # type: ignore[union-attr]
    return f"XEP-{number}" if kind == "xep" else f"RFC {number}"


def _cell(td: etree._Element) -> tuple[Need, int, bool]:
    """(the mark, how many footnotes, whether only one provider is needed)."""
    marks = [child.name for child in td if isinstance(child, etree._Entity)]
    text = (td.text or "").strip()
    mark = _MARKS[marks[0] if marks and marks[0] in _MARKS else text]
    notes = sum(1 for child in td if isinstance(child, etree._Entity)
                and child.name in _FOOTNOTES)
    notes += sum(1 for child in td if child.tag == "note")
    one = any(isinstance(child, etree._Entity) and child.name == "onlyone" for child in td)
    return mark, notes, one


def _providers(td: etree._Element) -> tuple[list[str], list[str], set[str]]:
    """(the providers, the see-also specs, the providers with a footnote)."""
    providers: list[str] = []
    see_also: list[str] = []
    noted: set[str] = set()
    in_see_also = False
    for child in td:
        if isinstance(child, etree._Entity):
            (see_also if in_see_also else providers).append(_spec_name(child.name))
        elif child.tag == "note":
            noted.add(providers[-1])
        tail = child.tail or ""
        if "See also" in tail:
            in_see_also = True
        elif tail.strip().startswith("(") and providers:
            noted.add(providers[-1])  # a parenthesised remark on the provider
    return providers, see_also, noted


def _tables(source: Path) -> dict[str, list[etree._Element]]:
    parser = etree.XMLParser(load_dtd=False, resolve_entities=False, no_network=True)
    root = etree.parse(str(source), parser).getroot()
    return {table.get("caption", "").split()[1]: table.findall("tr")[1:]
            for table in root.iter("table")}


@pytest.mark.parametrize(("source", "edition"), [("xep-0423.xml", CS2020),
                                                 ("protoxep-cs-2020.xml", CS2020_PROTOXEP)])
def test_the_tables_are_the_xeps(source: str, edition: Edition) -> None:
    path = specs_dir() / source
    if not path.is_file():
        pytest.skip(f"the specification sources are not beside the checkout ({path})")
    tables = _tables(path)
    assert list(tables) == [category.name for category in edition.categories]
    columns = [(Level.CORE, Role.SERVER), (Level.CORE, Role.CLIENT),
               (Level.ADVANCED, Role.SERVER), (Level.ADVANCED, Role.CLIENT)]
    for category in edition.categories:
        rows = tables[category.name]
        assert [row[0].findtext("strong") for row in rows] == [
            requirement.name for requirement in category.requirements]
        for row, requirement in zip(rows, category.requirements, strict=True):
            for td, (level, role) in zip(list(row)[1:5], columns, strict=True):
                need, notes, one = _cell(td)
                cell = requirement.cell(level, role)
                where = f"{category.name} {requirement.name} {level} {role}"
                assert (cell.need, len(cell.notes), cell.one_provider) == (need, notes, one), \
                    where
            providers, see_also, noted = _providers(row[5])
            assert [p.spec for p in requirement.providers] == providers, requirement.name
            assert list(requirement.see_also) == see_also
            assert {p.spec for p in requirement.providers if p.notes} == noted, \
                requirement.name


def test_the_editions_differ_where_the_documents_do() -> None:
    def names(edition: Edition, category: str) -> set[str]:
        return {r.name for r in edition.category(category).requirements}

    assert names(CS2020, "IM") - names(CS2020_PROTOXEP, "IM") == {
        "The /me Command", "Stream Management", "File Upload", "Direct File Transfer"}
    assert names(CS2020_PROTOXEP, "IM") - names(CS2020, "IM") == {
        "Session Resumption", "Stanza Acknowledgements"}
    assert names(CS2020, "Web") - names(CS2020_PROTOXEP, "Web") == {
        "Connection Mechanism Discovery"}
    assert EDITIONS == {"1.0.1": CS2020, "0.0.1": CS2020_PROTOXEP}
    with pytest.raises(ArgumentValueError, match="no category 'A/V'"):
        CS2020.category("A/V")  # the audio/video suite came in 2021


def test_a_table_cannot_require_what_a_role_has_nothing_of() -> None:
    only_clients = Provider("XEP-0085", "Chat States", None, Shown(any_of=("x",)))
    yes = Cell(Need.REQUIRED)
    with pytest.raises(ArgumentValueError, match=r"Core core server.*XEP-0085"):
        Edition("0", "test", (Category("Core", (
            Requirement("Chat", (only_clients,), yes, yes, yes, yes),)),))
    with pytest.raises(ArgumentValueError, match="Hidden"):
        Shown()


# -- report() -------------------------------------------------------------------------------


def test_advertised_features_are_met_and_absent_ones_missing() -> None:
    unlisted = InfoQuery(identities=(SERVER,), features=(Feature(var="urn:xmpp:carbons:2"),
                                                         Feature(var="vcard-temp")))
    found = report(unlisted, role="server")
    im = found.level("IM", "core")
    assert found.requirement("IM", "core", "Outbound Message Synchronization").status \
        is Status.MET
    assert found.requirement("IM", "core", "vcard-temp").providers[0].seen == ("vcard-temp",)
    upload = found.requirement("IM", "core", "File Upload")
    assert upload.status is Status.MISSING
    assert upload.providers[0].detail == "needs disco#info feature urn:xmpp:http:upload:0"
    assert upload in im.missing and not im.met
    # XEP-0030: an entity that answers supports disco#info, even unlisted.
    assert found.requirement("Core", "core", "Feature discovery").status is Status.MET


def test_a_servers_answers_are_pooled() -> None:
    domain = info("urn:xmpp:carbons:2")
    account = info("urn:xmpp:mam:2", identities=(Identity(category="pubsub", type="pep"),
                                                 Identity(category="account",
                                                          type="registered")))
    rooms = info("http://jabber.org/protocol/muc",
                 identities=(Identity(category="conference", type="text"),))
    found = report([domain, account, rooms])
    assert found.requirement("Core", "advanced", "Event publishing").providers[0].seen == (
        "pubsub/pep",)
    assert found.requirement("IM", "advanced", "History Storage / Retrieval").status \
        is Status.MET
    group_chat = found.requirement("IM", "core", "Group Chat")
    # MUC is seen; direct invitations are a server's to route, never advertised.
    assert [p.status for p in group_chat.providers] == [Status.MET, Status.NOT_DISCOVERABLE]
    assert group_chat.status is Status.NOT_DISCOVERABLE
    assert found.features == (FEATURE_INFO, "urn:xmpp:carbons:2", "urn:xmpp:mam:2",
                              "http://jabber.org/protocol/muc")


def test_all_of_needs_every_feature() -> None:
    one = report(info("http://jabber.org/protocol/pubsub#publish"))
    storage = one.requirement("IM", "advanced", "Persistent Storage of Private Data via PubSub")
    assert storage.status is Status.MISSING
    assert storage.providers[0].seen == ("http://jabber.org/protocol/pubsub#publish",)
    both = report(info("http://jabber.org/protocol/pubsub#publish",
                       "http://jabber.org/protocol/pubsub#publish-options"))
    assert both.requirement("IM", "advanced",
                            "Persistent Storage of Private Data via PubSub").status is Status.MET


def test_stream_features_show_what_disco_cannot() -> None:
    without = report(info())
    sm = without.requirement("Mobile", "core", "Stream Management")
    assert sm.status is Status.NOT_DISCOVERABLE
    assert "stream features were not given" in sm.providers[0].detail
    assert without.stream_features is None
    offered = report(info(), stream_features=StreamFeatures(sm=SmFeature()))
    assert offered.requirement("Mobile", "core", "Stream Management").providers[0].seen == (
        "stream feature urn:xmpp:sm:3",)
    assert offered.requirement("Mobile", "core", "Stream Management").status is Status.MET
    # Given, and without <csi/>: client state indication is missing, not unknown.
    assert offered.requirement("Mobile", "core", "Client State Indication").status \
        is Status.MISSING
    assert offered.stream_features == ("urn:xmpp:sm:3",)
    # Caps: in disco#info or in the stream features; neither given shows it missing.
    bare = report(info(), stream_features=StreamFeatures())
    assert bare.requirement("Core", "advanced", "Feature broadcasts").status is Status.MISSING


def test_hidden_requirements_are_not_discoverable_whatever_is_advertised() -> None:
    found = report(info(*(f"urn:example:{n}" for n in range(3))), role="client")
    for name in ("Core features", "TLS", "Direct TLS"):
        requirement = found.requirement("Core", "advanced", name)
        assert requirement.status is Status.NOT_DISCOVERABLE
        assert requirement.providers[0].detail  # says why
    assert found.requirement("IM", "core", "The /me Command").status \
        is Status.NOT_DISCOVERABLE


def _one_of_two(one_provider: bool) -> Edition:
    first = Provider("XEP-0001", "One", Shown(any_of=("urn:a",)), Shown(any_of=("urn:a",)))
    second = Provider("XEP-0002", "Two", Shown(any_of=("urn:b",)), Shown(any_of=("urn:b",)))
    cell = Cell(Need.REQUIRED, one_provider=one_provider)
    return Edition("test", "test", (Category("Core", (
        Requirement("Either", (first, second), cell, cell, cell, cell),)),))


def test_one_provider_suffices_only_where_the_cell_says_so() -> None:
    assert report(info("urn:a"), suites=_one_of_two(True)).requirement(
        "Core", "core", "Either").status is Status.MET
    assert report(info("urn:a"), suites=_one_of_two(False)).requirement(
        "Core", "core", "Either").status is Status.MISSING
    assert report(info("urn:a", "urn:b"), suites=_one_of_two(False)).requirement(
        "Core", "core", "Either").status is Status.MET
    web = report(info(), role="client").requirement("Web", "core", "Web Connection Mechanisms")
    assert web.one_provider and web.status is Status.NOT_DISCOVERABLE


def test_a_category_is_met_only_with_the_core_category_at_its_level() -> None:
    im_client = ("http://jabber.org/protocol/muc", "jabber:x:conference")
    without_caps = report(info(*im_client, identities=(CLIENT,)), role="client")
    assert not without_caps.level("IM", "core").missing
    assert not without_caps.level("Core", "core").met
    assert not without_caps.level("IM", "core").met
    with_caps = report(info(*im_client, "http://jabber.org/protocol/caps",
                            identities=(CLIENT,)), role="client")
    assert with_caps.level("Core", "core").met and with_caps.level("IM", "core").met
    assert with_caps.level("IM", "core").not_discoverable  # RFC 6121, /me, …
    assert "the Core suite, Core Client, is not" in without_caps.text()


def test_not_applicable_and_not_required_rows_are_left_out() -> None:
    server = report(info())
    names = {r.name for r in server.level("IM", "advanced").requirements}
    assert "Chat States" not in names  # N/A for servers
    assert "User Blocking" not in {r.name for r in server.level("IM", "core").requirements}
    assert "User Blocking" in names


def test_the_edition_is_chosen_by_object_or_version() -> None:
    proto = report(info(), suites="0.0.1")
    assert proto.edition == "0.0.1"
    assert {r.name for r in proto.level("Mobile", "core").requirements} == {
        "Session Resumption", "Stanza Acknowledgements", "Client State Indication"}
    assert report(info(), suites=CS2020_PROTOXEP) == proto
    assert report(info()).edition == "1.0.1"


def test_footnotes_reach_the_report_and_its_text() -> None:
    client = report(info(), role="client")
    avatars = client.requirement("IM", "advanced", "User Avatars")
    assert avatars.notes == ("not required of command-line or terminal clients",)
    text = client.text()
    assert "note: not required of command-line or terminal clients" in text
    assert "note: see also XEP-0124" in text
    assert "(one provider suffices)" in text
    server = report(info())
    assert any("component" in note for note in
               server.requirement("IM", "core", "Group Chat").notes)
    muc_archive = server.requirement("IM", "advanced", "Advanced Group Chat").providers[1]
    assert muc_archive.spec == "XEP-0313" and "room's archive" in muc_archive.notes[0]


def test_the_report_is_immutable_and_json_safe() -> None:
    found = report(info("urn:xmpp:carbons:2"), role=Role.SERVER,
                   stream_features=StreamFeatures(sm=SmFeature()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.role = Role.CLIENT  # type: ignore[misc]
    data = found.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["xep"] == 423 and data["role"] == "server"
    assert data["stream_features"] == ["urn:xmpp:sm:3"]
    (im_core,) = [level for level in data["levels"]
                  if (level["category"], level["level"]) == ("IM", "core")]
    (carbons,) = [r for r in im_core["requirements"]
                  if r["name"] == "Outbound Message Synchronization"]
    assert carbons["status"] == "met"
    assert carbons["providers"][0]["seen"] == ["urn:xmpp:carbons:2"]
    assert len(data["levels"]) == 2 * len(CS2020.categories)


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"info": []}, ArgumentValueError, "at least one disco#info answer"),
    ({"info": InfoQuery()}, ArgumentValueError, r"info\[0\] is not a disco#info result"),
    ({"info": [info(), "vcard-temp"]}, ArgumentTypeError, r"info\[1\] is a str"),
    ({"info": b"<query/>"}, ArgumentTypeError, "not bytes"),
    ({"info": info(), "role": "bot"}, ArgumentValueError, "role 'bot' is none of"),
    ({"info": info(), "role": 1}, ArgumentTypeError, "role is a Role"),
    ({"info": info(), "suites": "2.0"}, ArgumentValueError, "no edition '2.0'"),
    ({"info": info(), "suites": 2020}, ArgumentTypeError, "suites is an Edition"),
    ({"info": info(), "stream_features": info()}, ArgumentTypeError, "StreamFeatures"),
])
def test_bad_arguments_are_typed_errors(arguments: dict[str, object], error: type[Exception],
                                        message: str) -> None:
    with pytest.raises(error, match=message):
        report(**arguments)  # type: ignore[arg-type]


def test_lookups_name_what_is_not_there() -> None:
    found = report(info())
    with pytest.raises(ArgumentValueError, match="no category 'Chat'"):
        found.level("Chat", "core")
    with pytest.raises(ArgumentValueError, match="level 'expert'"):
        found.level("IM", "expert")
    with pytest.raises(ArgumentValueError, match="requires nothing called 'Chat States'"):
        found.requirement("IM", "core", "Chat States")


def test_every_required_provider_says_how_it_shows_or_why_not() -> None:
    for edition in EDITIONS.values():
        for category in edition.categories:
            for requirement in category.requirements:
                for provider in requirement.providers:
                    for shown in (provider.server, provider.client):
                        assert shown is None or isinstance(shown, Shown) or (
                            isinstance(shown, Hidden) and shown.reason)
