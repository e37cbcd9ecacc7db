"""Runs inside benchmarks/.venv-aioxmpp (aioxmpp pins lxml<5); started by ``_aioxmpp.py``.

Reads a JSON job on stdin ({"payloads": {name: xml text}, "min_time": s, "repeat": n}) and
writes JSON results on stdout. Besides aioxmpp it times bare lxml in this same environment,
so the harness can normalise aioxmpp against the lxml it actually runs with.

aioxmpp decodes through SAX: an expat parser feeds ``XMPPXMLProcessor``, which drives an
``xso.XSOParser`` holding the stanza classes. "stream" keeps one parser open on a stream
(how aioxmpp receives stanzas); "read_single_xso" parses one standalone document.
Unknown children are dropped by aioxmpp (see NOTES); where it reads nothing of a payload
(the XEP-0136 archive page), there is no access row.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from typing import Any

import aioxmpp
import aioxmpp.adhoc
import aioxmpp.chatstates
import aioxmpp.disco
import aioxmpp.entitycaps
import aioxmpp.forms
import aioxmpp.misc
import aioxmpp.rsm
import aioxmpp.xml
import aioxmpp.xso
import lxml
import lxml.etree

from benchmarks._timing import Budget, measure_group


def _stanza(stanza: Any) -> tuple[object, ...]:
    return (stanza.from_, stanza.to, stanza.id_, stanza.type_)


def _fields(form: Any) -> list[tuple[object, ...]]:
    return [
        (field.var, field.type_, field.label, field.required, field.values,
         field.options)
        for field in form.fields
    ]


def _command(iq: Any) -> object:
    command = iq.payload
    form = command.first_payload
    return (_stanza(iq), command.node, command.sessionid, command.status,
            command.actions.allowed_actions, [(note.type_, note.body) for note in command.notes],
            form.type_, form.title, form.instructions, _fields(form))


# The same facts benchmarks/run.py reads with xepcodec, as far as aioxmpp keeps them.
ONE_FIELD: dict[str, Callable[[Any], object]] = {
    "disco_info": lambda iq: iq.payload.node,
    "message": lambda msg: msg.body.any(),
    "command_form": lambda iq: iq.payload.status,
    "presence_caps": lambda presence: presence.xep0115_caps.ver,
}
ACCESSORS: dict[str, Callable[[Any], object]] = {
    "disco_info": lambda iq: (
        _stanza(iq),
        iq.payload.node,
        [(i.category, i.type_, i.name) for i in iq.payload.identities],
        iq.payload.features,
        [(form.type_, _fields(form)) for form in iq.payload.exts],
    ),
    "message": lambda msg: (
        _stanza(msg),
        msg.body.any(),
        msg.xep0085_chatstate,
        msg.xep0203_delay[0].stamp,
        msg.xep0203_delay[0].from_,
        msg.xep0203_delay[0].reason,
    ),
    "disco_items_rsm": lambda iq: (
        _stanza(iq),
        iq.payload.node,
        [(item.jid, item.node, item.name) for item in iq.payload.items],
    ),
    "command_form": _command,
    "presence_caps": lambda presence: (
        _stanza(presence),
        presence.show,
        presence.status.any(),
        presence.priority,
        presence.xep0115_caps.hash_,
        presence.xep0115_caps.node,
        presence.xep0115_caps.ver,
    ),
}
#: What aioxmpp drops or cannot read, per payload.
NOTES = {
    "message": "the XEP-0334 hint is dropped",
    "disco_items_rsm": "the XEP-0059 set is dropped (no RSM on disco#items)",
    "archive_page": "no XEP-0136 support: aioxmpp refuses the iq",
    "presence_caps": "the XEP-0203 delay is dropped (aioxmpp reads it on messages only)",
}

_ROOTS = {"iq": aioxmpp.IQ, "message": aioxmpp.Message, "presence": aioxmpp.Presence}

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
    stanza = decoder.decode(data)
    cases = [
        ("decode", "lxml.etree.fromstring", lambda: lxml.etree.fromstring(data)),
        ("decode", "aioxmpp (stream SAX)", lambda: decoder.decode(data)),
        (
            "decode",
            "aioxmpp (read_single_xso)",
            lambda: aioxmpp.xml.read_single_xso(io.BytesIO(data), root_cls),
        ),
    ]
    for op, accessors in (("access_one", ONE_FIELD), ("access_all", ACCESSORS)):
        access = accessors.get(name)
        if access is not None:
            access(stanza)  # fails here, not in the timed loop, if aioxmpp lacks a field
            cases.append((op, "aioxmpp (stream SAX)",
                          lambda access=access: access(decoder.decode(data))))
    cases += [
        ("encode", "lxml.etree.tostring", lambda: lxml.etree.tostring(tree)),
        ("encode", "aioxmpp (write_single_xso)", lambda: _encode(stanza)),
    ]
    return cases


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
            decoder = StreamDecoder()  # an error ends aioxmpp's stream: start a new one
            note = f"{NOTES.get(name, '')} ({type(exc).__name__}: {exc})"[:200].lstrip(" (")
            results.append(
                {"payload": name, "op": "decode", "impl": "aioxmpp", "seconds": None, "note": note}
            )
            continue
        note = NOTES.get(name, "")
        for ops in (("decode", "access_one", "access_all"), ("encode",)):  # one floor each
            group = [(op, impl, fn) for op, impl, fn in cases if op in ops]
            timings = measure_group([fn for _, _, fn in group], budget)
            for (op, impl, _), timing in zip(group, timings, strict=True):
                row: dict[str, Any] = {"payload": name, "op": op, "impl": impl}
                if impl.startswith("aioxmpp") and note:
                    row["note"] = note
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
