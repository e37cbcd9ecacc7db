"""Test support for xepcodec and for code that uses it.

``xepcodec.testing.strategies.for_class(Cls)`` gives a hypothesis strategy for any
declared element; importing this package registers the protocol-specific strategies
(stanzas, data forms, commands, …) that know the rules tying fields together.
Hypothesis is a test dependency: import this package from tests only.
"""

from xepcodec.testing import commands, cookies, dataforms, disco, rsm, server_buddies, stanzas
from xepcodec.testing.strategies import for_class, foreign_elements, register, values, xml_text

__all__ = [
    "commands",
    "cookies",
    "dataforms",
    "disco",
    "for_class",
    "foreign_elements",
    "register",
    "rsm",
    "server_buddies",
    "stanzas",
    "values",
    "xml_text",
]
