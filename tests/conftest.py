"""Test-wide settings.

The machines that run these tests are shared and noisy, so hypothesis judges no test
by its speed: no deadline, and no health check that times data generation.
"""

import pytest
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
