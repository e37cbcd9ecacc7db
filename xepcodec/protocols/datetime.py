"""XEP-0082: XMPP Date and Time Profiles, the module ``xepcodec.xep(82)`` finds.

The profiles are read and written in :mod:`xepcodec.datatypes.dates`, below the model,
whose date and time value kinds use them; this module gives them their place among the
protocols by number.
"""

from xepcodec.datatypes.dates import (
    format_date,
    format_datetime,
    format_time,
    parse_date,
    parse_datetime,
    parse_legacy_datetime,
    parse_time,
)

__all__ = [
    "format_date",
    "format_datetime",
    "format_time",
    "parse_date",
    "parse_datetime",
    "parse_legacy_datetime",
    "parse_time",
]
