"""Test-wide settings.

The machines that run these tests are shared and noisy, so hypothesis judges no test
by its speed: no deadline, and no health check that times data generation.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "xepcodec",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("xepcodec")
