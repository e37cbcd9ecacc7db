"""Strategies for Binary XMPP (XEP-0239): the same bits in the many XML spellings a
decoder must read, not only the canonical one :func:`encode_bytes` writes.

``spellings(data)`` draws a valid element sequence for ``data`` in which each element
is written one of several equivalent ways (``<zero />``, ``<zero></zero>``, a prefix
bound to ``urn:xmpp:bxmpp``, an empty default namespace, ...) with whitespace and
whitespace character references between elements.  Whatever it draws, a decoder must
give back ``data``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from xepcodec.protocols.binary import NS_BXMPP

__all__ = ["SEPARATORS", "spellings"]

_NS = NS_BXMPP.encode()


def _forms(name: bytes) -> tuple[bytes, ...]:
    """Ways to write the empty element ``name`` (bare or in urn:xmpp:bxmpp)."""
    return (
        b"<" + name + b"/>",
        b"<" + name + b" />",
        b"<" + name + b"\n/>",
        b"<" + name + b"></" + name + b">",
        b"<" + name + b">\r\n\t </" + name + b">",
        b"<" + name + b" xmlns=''/>",
        b"<" + name + b' xmlns="' + _NS + b'"/>',
        b"<" + name + b" xmlns='" + _NS + b"'></" + name + b">",
        b"<b:" + name + b" xmlns:b='" + _NS + b"'/>",
        b"<bx:" + name + b' xmlns:bx="' + _NS + b'"></bx:' + name + b">",
    )


_ZERO_FORMS = _forms(b"zero")
_ONE_FORMS = _forms(b"one")

#: What may stand between two elements: nothing, XML whitespace, or character
#: references to it.
SEPARATORS: tuple[bytes, ...] = (b"", b" ", b"\n", b"\r\n", b"\t", b"  \n  ", b"&#32;",
                                 b"&#x0A;", b"&#9;")


def spellings(data: bytes) -> st.SearchStrategy[bytes]:
    """A Binary XMPP sequence for ``data`` in varied, valid spellings.

    A short pattern of spellings and separators is drawn and repeated along the
    sequence, so long inputs cost hypothesis no more draws than short ones.
    """
    forms = st.lists(st.integers(0, len(_ZERO_FORMS) - 1), min_size=1, max_size=12)
    separators = st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=12)

    def build(form_pattern: list[int], separator_pattern: list[bytes],
              leading: bytes, trailing: bytes) -> bytes:
        out = [leading]
        position = 0
        for value in data:
            for shift in range(7, -1, -1):
                table = _ONE_FORMS if value >> shift & 1 else _ZERO_FORMS
                out.append(table[form_pattern[position % len(form_pattern)]])
                out.append(separator_pattern[position % len(separator_pattern)])
                position += 1
        out.append(trailing)
        return b"".join(out)

    return st.builds(build, forms, separators, st.sampled_from(SEPARATORS),
                     st.sampled_from(SEPARATORS))
