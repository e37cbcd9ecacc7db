"""Tests for the xepcodec.protocols.pubsub package: XEP-0060 (and XEP-0163) reached by
number, every public name of its modules a name of the package."""

from __future__ import annotations

import importlib
import pkgutil

import xepcodec
from xepcodec.protocols.pubsub import client, features

MODULES = ("core", "base", "owner", "event", "errors", "features", "forms", "client", "pep")


def test_the_package_holds_every_public_name_of_its_modules() -> None:
    package = xepcodec.xep(60)
    assert package.__name__ == "xepcodec.protocols.pubsub"
    assert xepcodec.xep(163) is package
    expected: set[str] = set()
    for name in MODULES:
        module = importlib.import_module(f"xepcodec.protocols.pubsub.{name}")
        expected |= set(module.__all__)
        assert all(getattr(package, each) is getattr(module, each) for each in module.__all__)
    assert set(package.__all__) == expected
    assert len(package.__all__) == len(expected)  # no two modules export one name
    assert package.publish is client.publish and package.Feature is features.Feature


def test_the_modules_of_the_package_are_all_listed() -> None:
    package = xepcodec.xep(60)
    assert {info.name for info in pkgutil.iter_modules(package.__path__)} == set(MODULES)
