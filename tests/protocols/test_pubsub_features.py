"""Tests for xepcodec.protocols.pubsub.features: XEP-0060's disco features and PEP's
+notify features.

The service answer below is shaped as Prosody 0.12's pubsub component answers
disco#info: its identity, the disco and pubsub namespaces, and one pubsub# feature per
operation its service offers, written from how its mod_pubsub builds the feature set.
"""

from __future__ import annotations

import re

import pytest
from conformance.examples import specs_dir

import xepcodec
from xepcodec.errors import ArgumentTypeError, ArgumentValueError
from xepcodec.protocols.disco import InfoQuery
from xepcodec.protocols.pubsub.core import NS_PUBSUB
from xepcodec.protocols.pubsub.features import (
    FEATURE_PREFIX,
    Feature,
    notified_namespaces,
    notify_feature,
    service_features,
)

PROSODY_FEATURES = (
    "create-nodes", "instant-nodes", "item-ids", "create-and-configure", "delete-nodes",
    "retrieve-items", "retrieve-subscriptions", "retrieve-default", "publish",
    "multi-items", "publish-options", "purge-nodes", "delete-items", "retract-items",
    "config-node", "meta-data", "modify-affiliations", "subscribe",
    "subscription-options", "outcast-affiliation", "member-affiliation",
    "publisher-affiliation", "access-open", "persistent-items", "config-node-max")


def _info(features: tuple[str, ...], identity: str = "category='pubsub' type='service'",
          ) -> InfoQuery:
    vars_ = "".join(f"<feature var='{var}'/>" for var in features)
    iq = xepcodec.parse(
        "<iq xmlns='jabber:client' type='result' id='d1' from='pubsub.verona.example'>"
        "<query xmlns='http://jabber.org/protocol/disco#info'>"
        f"<identity {identity} name='Prosody PubSub Service'/>{vars_}</query></iq>")
    assert isinstance(iq.payload, InfoQuery)
    return iq.payload


def test_prosodys_pubsub_component_read_whole() -> None:
    info = _info(("http://jabber.org/protocol/disco#info",
                  "http://jabber.org/protocol/disco#items", NS_PUBSUB,
                  *(f"{FEATURE_PREFIX}{name}" for name in PROSODY_FEATURES)))
    features = service_features(info)
    # Every feature Prosody sends is one of the registry, typed.
    assert all(isinstance(feature, Feature) for feature in features)
    assert len(features) == len(PROSODY_FEATURES) + 1
    assert Feature.PUBSUB in features and Feature.PUBLISH_OPTIONS in features
    assert Feature.CONFIG_NODE_MAX in features and Feature.ACCESS_OPEN in features
    # The disco namespaces are no pubsub features, and what is not sent is not there.
    assert "http://jabber.org/protocol/disco#info" not in features
    assert Feature.AUTO_CREATE not in features and Feature.LAST_PUBLISHED not in features


def test_unknown_pubsub_features_are_kept_as_strings() -> None:
    info = _info((NS_PUBSUB, f"{FEATURE_PREFIX}collections",
                  f"{FEATURE_PREFIX}multi-collection", f"{FEATURE_PREFIX}subscribe",
                  "urn:xmpp:mam:2", "http://jabber.org/protocol/tune+notify"))
    features = service_features(info)
    assert features == {Feature.PUBSUB, Feature.SUBSCRIBE,
                        "http://jabber.org/protocol/pubsub#collections",
                        "http://jabber.org/protocol/pubsub#multi-collection"}
    assert not any(isinstance(each, Feature) and each.name == "COLLECTIONS"
                   for each in features)


def test_a_pep_account_and_an_entity_without_pubsub() -> None:
    pep = _info((NS_PUBSUB, f"{FEATURE_PREFIX}publish", f"{FEATURE_PREFIX}auto-create",
                 f"{FEATURE_PREFIX}last-published"),
                identity="category='pubsub' type='pep'")
    assert service_features(pep) == {Feature.PUBSUB, Feature.PUBLISH, Feature.AUTO_CREATE,
                                     Feature.LAST_PUBLISHED}
    client = _info(("urn:xmpp:ping", "http://jabber.org/protocol/geoloc+notify"),
                   identity="category='client' type='pc'")
    assert service_features(client) == frozenset()
    # The bare prefix names no feature.
    assert service_features(_info((FEATURE_PREFIX,))) == frozenset()


def test_the_registry_is_whole() -> None:
    # Every feature of the XEP's registry (§17.3) is a member, and nothing else is but
    # pubsub#rsm, which §6.5.4 defines and the registry leaves out.
    source = specs_dir() / "xep-0060.xml"
    if not source.is_file():
        pytest.skip(f"the specification sources are not beside the checkout ({source})")
    text = source.read_text(encoding="utf-8")
    registry = text[text.index("anchor='registrar-features'"):
                    text.index("anchor='registrar-formtypes'")]
    names = set(re.findall(r"<name>(http://jabber\.org/protocol/pubsub[^<]*)</name>",
                           registry))
    assert f"{FEATURE_PREFIX}rsm" not in names
    assert "http://jabber.org/protocol/pubsub#rsm" in text  # §6.5.4
    assert {feature.value for feature in Feature} == names | {Feature.RSM.value}


def test_paging_by_rsm_is_a_feature_of_its_own() -> None:
    # §6.5.4: pubsub#rsm says the service pages items; RSM itself (XEP-0059's
    # namespace) could be there for another protocol.
    info = _info((NS_PUBSUB, "http://jabber.org/protocol/rsm", f"{FEATURE_PREFIX}rsm"))
    assert service_features(info) == {Feature.PUBSUB, Feature.RSM}
    assert Feature.named("rsm") is Feature.RSM
    assert Feature.RSM not in service_features(_info((NS_PUBSUB,
                                                      "http://jabber.org/protocol/rsm")))


def test_short_names_as_an_error_writes_them() -> None:
    assert Feature.RETRIEVE_DEFAULT_SUB.short_name == "retrieve-default-sub"
    assert Feature.named("retrieve-default-sub") is Feature.RETRIEVE_DEFAULT_SUB
    assert Feature.named("collections") == f"{FEATURE_PREFIX}collections"
    assert all(Feature.named(feature.short_name) is feature
               for feature in Feature if feature is not Feature.PUBSUB)
    with pytest.raises(ArgumentValueError, match="no short name"):
        _ = Feature.PUBSUB.short_name


def test_notify_features_for_pep() -> None:
    assert notify_feature("http://jabber.org/protocol/tune") == \
        "http://jabber.org/protocol/tune+notify"
    client = _info(("http://jabber.org/protocol/geoloc",
                    "http://jabber.org/protocol/geoloc+notify",
                    notify_feature("urn:xmpp:avatar:metadata"),
                    "http://jabber.org/protocol/tune", "+notify"),
                   identity="category='client' type='pc'")
    # Understanding a namespace is not asking for its notifications: tune is not asked.
    assert notified_namespaces(client) == {"http://jabber.org/protocol/geoloc",
                                           "urn:xmpp:avatar:metadata"}


@pytest.mark.parametrize("node", ["", "urn:xmpp:avatar:data+notify"])
def test_notify_feature_refuses_what_names_no_node(node: str) -> None:
    with pytest.raises(ArgumentValueError, match=re.escape(repr(node))):
        notify_feature(node)


def test_readers_refuse_what_is_not_a_disco_answer() -> None:
    with pytest.raises(ArgumentTypeError, match="disco#info"):
        service_features("http://jabber.org/protocol/pubsub")  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="disco#info"):
        notified_namespaces(None)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match="node id"):
        notify_feature(3)  # type: ignore[arg-type]
