"""Runs inside benchmarks/.venv-aioxmpp (aioxmpp pins lxml<5); started by ``_aioxmpp.py``.

Reads a JSON job on stdin ({"payloads": {name: xml text}, "min_time": s, "repeat": n}) and
writes JSON results on stdout. Besides aioxmpp it times bare lxml in this same environment,
so the harness can normalise aioxmpp against the lxml it actually runs with.

aioxmpp decodes through SAX: an expat parser feeds ``XMPPXMLProcessor``, which drives an
``xso.XSOParser`` holding the stanza classes. "stream" keeps one parser open on a stream
(how aioxmpp receives stanzas); "read_single_xso" parses one standalone document.
Unknown children are dropped by aioxmpp (here: the XEP-0334 hint and the XEP-0059 set).
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from typing import Any

import aioxmpp
import aioxmpp.chatstates
import aioxmpp.disco
import aioxmpp.forms
import aioxmpp.misc
import aioxmpp.rsm
import aioxmpp.xml
import aioxmpp.xso
import lxml
import lxml.etree

from benchmarks._timing import Budget, measure_group

ACCESSORS: dict[str, Callable[[Any], object]] = {
    "disco_info": lambda iq: (
        iq.from_,
        iq.payload.features,
        [{field.var: field.values for field in form.fields} for form in iq.payload.exts],
    ),
    "message": lambda msg: (
        msg.from_,
        msg.body.any(),
        msg.xep0085_chatstate,
        msg.xep0203_delay[0].stamp,
    ),
    "disco_items_rsm": lambda iq: (iq.from_, [item.jid for item in iq.payload.items]),
}

_ROOTS = {"iq": aioxmpp.IQ, "message": aioxmpp.Message}

_STREAM_HEADER = (
    b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
    b" from='shakespeare.example' id='bench' version='1.0'>"
)


class StreamDecoder:
    """One long-lived aioxmpp SAX pipeline; ``decode`` feeds one stanza's bytes."""

    def __init__(self) -> None:
        self._last: Any = None
        stanza_parser = aioxmpp.xso.XSOParser()
        for cls in _ROOTS.values():
            stanza_parser.add_class(cls, self._received)
        processor = aioxmpp.xml.XMPPXMLProcessor()
        processor.stanza_parser = stanza_parser
        self._parser = aioxmpp.xml.make_parser()
        self._parser.setContentHandler(processor)
        self._parser.feed(_STREAM_HEADER)

    def _received(self, stanza: Any) -> None:
        self._last = stanza

    def decode(self, data: bytes) -> Any:
        self._last = None
        self._parser.feed(data)
        if self._last is None:
            raise RuntimeError("aioxmpp produced no stanza")
        return self._last


def _encode(stanza: Any) -> bytes:
    buf = io.BytesIO()
    aioxmpp.xml.write_single_xso(stanza, buf)
    return buf.getvalue()


def _cases(name: str, data: bytes, decoder: StreamDecoder) -> list[tuple[str, str, Any]]:
    tree = lxml.etree.fromstring(data)
    root_cls = _ROOTS[lxml.etree.QName(tree).localname]
    access = ACCESSORS[name]
    stanza = decoder.decode(data)
    return [
        ("decode", "lxml.etree.fromstring", lambda: lxml.etree.fromstring(data)),
        ("decode", "aioxmpp (stream SAX)", lambda: decoder.decode(data)),
        (
            "decode",
            "aioxmpp (read_single_xso)",
            lambda: aioxmpp.xml.read_single_xso(io.BytesIO(data), root_cls),
        ),
        ("access", "aioxmpp (stream SAX)", lambda: access(decoder.decode(data))),
        ("encode", "lxml.etree.tostring", lambda: lxml.etree.tostring(tree)),
        ("encode", "aioxmpp (write_single_xso)", lambda: _encode(stanza)),
    ]


def main() -> int:
    job = json.load(sys.stdin)
    budget = Budget(min_time=float(job["min_time"]), repeat=int(job["repeat"]))
    decoder = StreamDecoder()
    results: list[dict[str, Any]] = []
    for name, text in job["payloads"].items():
        data = text.encode("utf-8")
        try:
            cases = _cases(name, data, decoder)
        except Exception as exc:
            note = f"{type(exc).__name__}: {exc}"[:200]
            results.append(
                {"payload": name, "op": "decode", "impl": "aioxmpp", "seconds": None, "note": note}
            )
            continue
        for ops in (("decode", "access"), ("encode",)):  # each group shares one lxml floor
            group = [(op, impl, fn) for op, impl, fn in cases if op in ops]
            timings = measure_group([fn for _, _, fn in group], budget)
            for (op, impl, _), timing in zip(group, timings, strict=True):
                row: dict[str, Any] = {"payload": name, "op": op, "impl": impl}
                if isinstance(timing, BaseException):
                    row["seconds"] = None
                    row["note"] = f"{type(timing).__name__}: {timing}"[:200]
                else:
                    row["seconds"] = timing
                results.append(row)
    versions = {
        "python": sys.version.split()[0],
        "aioxmpp": aioxmpp.__version__,
        "lxml": lxml.__version__,
    }
    json.dump({"versions": versions, "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
