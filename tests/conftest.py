"""Test-wide settings.

The machines that run these tests are shared and noisy, so hypothesis judges no test
by its speed: no deadline, and no health check that times data generation.
"""

from collections.abc import Callable

import pytest
from conformance.examples import load_examples, parse_example, specs_dir
from hypothesis import HealthCheck, settings
from lxml import etree

from xepcodec.validation import default_catalog

settings.register_profile(
    "xepcodec",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("xepcodec")


@pytest.fixture(scope="session")
def schema() -> etree.XMLSchema:
    """The whole shipped catalog in libxml2: every namespace a test's XML nests is checked
    in depth, as ``xepcodec.validate`` does."""
    return default_catalog().libxml2()


SpecStanzas = Callable[[int], list[tuple[str, etree._Element]]]


@pytest.fixture(scope="session")
def spec_stanzas() -> SpecStanzas:
    """Reads one XEP's examples from its source beside the checkout (or
    ``$XEPCODEC_SPECS``), as the conformance test does: (caption, element) for every
    top-level element, each a standalone tree in the stream's namespaces.  A test that
    asks for a XEP whose source is not there is skipped, saying where it looked."""

    def read(xep: int) -> list[tuple[str, etree._Element]]:
        folder = specs_dir()
        if not (folder / f"xep-{xep:04d}.xml").is_file():
            pytest.skip(f"the specification sources are not beside the checkout ({folder})")
        return [(example.caption, element)
                for example in load_examples(folder, (xep,)) if example.has_markup
                for element in parse_example(example).elements]

    return read
