"""Side-by-side benchmark of xepcodec against bare lxml/libxml2, xmlschema, slixmpp, aioxmpp.

Usage (from the repository root)::

    python -m benchmarks                    # full run, a few minutes
    python -m benchmarks --quick --no-aioxmpp   # smoke run, a few seconds

Six payloads (issue 17, ``benchmarks/fixtures/``) are decoded, decoded with cold JID caches,
read field by field, encoded and validated, each operation timed in the same run next to its
floor (``lxml.etree.fromstring``, ``lxml.etree.tostring``, libxml2 parse + XSD validation).
Times are the thread's CPU time, best of several calibrated loops (``benchmarks/_timing.py``).
The targets of issue 17 are held over the six payloads: on the median or on the worst.

Every implementation that is missing or broken is reported as n/a with the reason; the run
itself only fails on a harness bug, when xepcodec refuses a payload (exit 2), or, with
``--check``, when a measured target fails (exit 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import inspect
import io
import json
import os
import platform
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import lxml
import lxml.etree as etree

from benchmarks import startup
from benchmarks._timing import FULL, QUICK, Budget, measure_group
from benchmarks.python_floor import build_untyped, read_every_node

try:  # the classes the accessors look for; without them xepcodec's rows say n/a
    from xepcodec.model.raw import XmlFragment
    from xepcodec.protocols.caps import Caps
    from xepcodec.protocols.chatstates import ChatStateNotification
    from xepcodec.protocols.delay import Delay
except Exception:  # any failure is reported by the rows that need xepcodec
    pass

# ---------------------------------------------------------------------------------------------
# xepcodec "typed field access": read the same facts slixmpp and aioxmpp are asked for
# (benchmarks/_slixmpp.py, benchmarks/_aioxmpp_worker.py). XEPCODEC_ONE_FIELD reads the one
# value a router or client looks at first; XEPCODEC_ACCESSORS reads every value the payload
# carries. Hints have no xepcodec classes: they stay raw XmlFragments in msg.extensions and
# are read by name.
def _stanza(stanza: Any) -> tuple[object, ...]:
    return (stanza.from_, stanza.to, stanza.id, stanza.type)


def _fields(form: Any) -> list[tuple[object, ...]]:
    return [
        (field.var, field.type, field.label, field.required, field.values,
         [(option.label, option.value) for option in field.options])
        for field in form.fields
    ]


def _disco_info(iq: Any) -> object:
    query = iq.payload
    return (
        _stanza(iq),
        query.node,
        [(identity.category, identity.type, identity.name) for identity in query.identities],
        [feature.var for feature in query.features],
        [(form.type, _fields(form)) for form in query.forms],
    )


def _message(msg: Any) -> object:
    delay = msg.find(Delay)
    raw = [ext for ext in msg.extensions if isinstance(ext, XmlFragment)]
    state = msg.find(ChatStateNotification)
    chat_state = None if state is None else state.state
    no_store = any(ext.namespace == "urn:xmpp:hints" and ext.name == "no-store" for ext in raw)
    return (_stanza(msg), msg.body, chat_state, delay.stamp, delay.from_, delay.reason, no_store)


def _disco_items(iq: Any) -> object:
    query = iq.payload
    rsm = query.rsm
    return (
        _stanza(iq),
        query.node,
        [(item.jid, item.node, item.name) for item in query.items],
        rsm.first,
        rsm.index,
        rsm.last,
        rsm.count,
    )


def _archive(iq: Any) -> object:
    chat = iq.payload
    rsm = chat.rsm
    return (
        _stanza(iq),
        chat.with_,
        chat.start,
        chat.subject,
        chat.version,
        [(entry.direction, entry.secs, entry.bodies) for entry in chat.entries],
        rsm.first,
        rsm.index,
        rsm.last,
        rsm.count,
    )


def _command(iq: Any) -> object:
    command = iq.payload
    actions = command.actions
    form = command.payload[0]
    return (
        _stanza(iq),
        command.node,
        command.sessionid,
        command.status,
        (actions.execute, actions.prev, actions.next, actions.complete),
        [(note.type, note.text) for note in command.notes],
        form.type,
        form.title,
        form.instructions,
        _fields(form),
    )


def _presence(presence: Any) -> object:
    caps, delay = presence.find(Caps), presence.find(Delay)
    return (
        _stanza(presence),
        presence.show,
        presence.status,
        presence.priority,
        caps.hash,
        caps.node,
        caps.ver,
        delay.stamp,
        delay.from_,
    )


XEPCODEC_ONE_FIELD: dict[str, Callable[[Any], object]] = {
    "disco_info": lambda iq: iq.payload.node,
    "message": lambda msg: msg.body,
    "disco_items_rsm": lambda iq: iq.payload.rsm.count,
    "archive_page": lambda iq: iq.payload.with_,
    "command_form": lambda iq: iq.payload.status,
    "presence_caps": lambda presence: presence.find(Caps).ver,
}
XEPCODEC_ACCESSORS: dict[str, Callable[[Any], object]] = {
    "disco_info": _disco_info,
    "message": _message,
    "disco_items_rsm": _disco_items,
    "archive_page": _archive,
    "command_form": _command,
    "presence_caps": _presence,
}
# ---------------------------------------------------------------------------------------------

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
FIXTURES = BENCH_DIR / "fixtures"
DEFAULT_SCHEMA = REPO_ROOT / "schemas" / "catalog.xsd"
DEFAULT_OUTPUT = BENCH_DIR / "results" / "latest.json"

# Fixture files (pretty-printed for reading; benchmarked compact, as on the wire).
# The six payloads of issue 17, as servers send them.
PAYLOADS = {
    "disco_info": "disco#info result: 20 features + XEP-0128 softwareinfo form",
    "message": "chat message: body + XEP-0085 chat state + XEP-0203 delay + XEP-0334 hint",
    "disco_items_rsm": "disco#items result: 50 rooms of a MUC service + XEP-0059 RSM set",
    "archive_page": "XEP-0136 archive page: a <chat/> of 200 messages + XEP-0059 RSM set",
    "command_form": "XEP-0050 command, executing: actions, a note, a 10-field XEP-0004 form",
    "presence_caps": "presence: show, status, priority + XEP-0115 caps + XEP-0203 delay",
}

OPS = ("decode", "decode_cold", "access_one", "access_all", "encode", "validate")
OP_TITLES = {
    "decode": "decode: bytes -> object",
    "decode_cold": "decode (cold JID caches): every JID cache cleared, untimed, before each call",
    "access_one": "access one field: bytes -> one typed value (x floor = vs lxml.etree.fromstring)",
    "access_all": "access all fields: bytes -> every typed value (x floor = vs fromstring)",
    "encode": "encode: object -> bytes",
    "validate": "validate: bytes -> verdict against the schema catalog",
}
# Which operation's floor row a ratio is taken against, and the floor implementations.
FLOOR_OP = {
    "decode": "decode",
    "decode_cold": "decode_cold",
    "access_one": "decode",
    "access_all": "decode",
    "encode": "encode",
    "validate": "validate",
}
FLOOR_IMPL = {
    "decode": "lxml.etree.fromstring",
    "decode_cold": "lxml.etree.fromstring",
    "encode": "lxml.etree.tostring",
    "validate": "libxml2 (fromstring + XMLSchema.validate)",
}
# Operations timed together: each group shares one floor row. The cold group times every
# call on its own after clearing the JID caches (the floor's calls too, so both are timed
# alike; see benchmarks/_timing.py).
GROUPS = (("decode", "access_one", "access_all"), ("decode_cold",), ("encode",), ("validate",))
COLD_GROUP = ("decode_cold",)
MAIN, VENV = "main", "aioxmpp-venv"


class Unavailable(Exception):
    """An implementation cannot be measured (yet); the message says why."""


@dataclass
class Row:
    payload: str
    op: str
    impl: str
    seconds: float | None
    env: str = MAIN
    note: str = ""

    @property
    def is_floor(self) -> bool:
        return self.impl == FLOOR_IMPL.get(self.op)


Factory = Callable[[], tuple[Callable[[], object], str]]


# --- inputs ----------------------------------------------------------------------------------


def load_payloads() -> dict[str, bytes]:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    out = {}
    for name in PAYLOADS:
        tree = etree.parse(str(FIXTURES / f"{name}.xml"), parser)
        out[name] = etree.tostring(tree.getroot())
    return out


def check_payloads(payloads: dict[str, bytes]) -> list[str]:
    """Why xepcodec does not take each payload as the typed, valid stanza it is (empty: all do).

    A benchmark of a parse that fails, or that keeps the payload as raw XML, measures
    nothing; ``main`` refuses to run on such a payload. Missing xepcodec is not a refusal:
    its rows say n/a.
    """
    xepcodec, _ = _import("xepcodec")
    if xepcodec is None:
        return []
    problems = []
    for name, data in payloads.items():
        try:
            stanza = xepcodec.parse(data)
            report = xepcodec.validate(data)
        except Exception as exc:
            problems.append(f"{name}: {_short(exc)}")
            continue
        typed = [ext for ext in stanza.extensions if not isinstance(ext, XmlFragment)]
        if not typed:
            problems.append(f"{name}: parsed without a typed payload: {stanza.extensions!r}"[:200])
        if not report.ok:
            problems.append(f"{name}: validate refuses it: {report.errors[0]}"[:200])
    return problems


@dataclass
class Schemas:
    path: Path
    libxml2: etree.XMLSchema | None = None
    libxml2_error: str = ""
    xmlschema: Any = None
    xmlschema_error: str = ""


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:limit]


def load_schemas(path: Path) -> Schemas:
    schemas = Schemas(path=path)
    if not path.is_file():
        missing = f"{_display(path)} not found"
        schemas.libxml2_error = schemas.xmlschema_error = missing
        return schemas
    try:
        schemas.libxml2 = etree.XMLSchema(etree.parse(str(path)))
    except Exception as exc:
        schemas.libxml2_error = f"libxml2 cannot load {_display(path)}: {_short(exc)}"
    try:
        import xmlschema

        schemas.xmlschema = xmlschema.XMLSchema(str(path))
    except Exception as exc:
        schemas.xmlschema_error = f"xmlschema cannot load {_display(path)}: {_short(exc)}"
    return schemas


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _import(name: str) -> tuple[Any, str]:
    try:
        return importlib.import_module(name), ""
    except Exception as exc:
        return None, f"import {name} failed: {_short(exc)}"


# --- cold JID caches -------------------------------------------------------------------------


def jid_cache_clearers() -> list[Callable[[], None]]:
    """The ``cache_clear`` of every memo in ``xepcodec.datatypes.jid``.

    Found rather than listed, so a cache added later is cleared too: module-level
    ``lru_cache`` functions, those held in the closures of module-level wrappers (the
    per-part normalizers), and those on the ``JID`` class. Raises Unavailable when
    there are none, since "cold" would then mean nothing.
    """
    try:
        jid = importlib.import_module("xepcodec.datatypes.jid")
    except Exception as exc:
        raise Unavailable(f"import xepcodec.datatypes.jid failed: {_short(exc)}") from exc
    found: dict[int, Callable[[], None]] = {}

    def visit(obj: Any) -> None:
        obj = getattr(obj, "__func__", obj)  # classmethod, staticmethod
        if callable(getattr(obj, "cache_clear", None)):
            found[id(obj)] = obj.cache_clear
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                held = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if callable(getattr(held, "cache_clear", None)):
                found[id(held)] = held.cache_clear

    for value in vars(jid).values():
        visit(value)
    for value in vars(jid.JID).values():
        visit(value)
    if not found:
        raise Unavailable("no cache found in xepcodec.datatypes.jid")
    return list(found.values())


def clear_jid_caches(clearers: Sequence[Callable[[], None]]) -> Callable[[], None]:
    """A setup step clearing every JID cache."""

    def clear() -> None:
        for cache_clear in clearers:
            cache_clear()

    return clear


# --- what is measured ------------------------------------------------------------------------


def _need(module: Any, why: str, attr: str) -> Any:
    if module is None:
        raise Unavailable(why)
    func = getattr(module, attr, None)
    if func is None:
        raise Unavailable(f"{module.__name__}.{attr} does not exist yet")
    return func


def _libxml2_verdict(schema: etree.XMLSchema, tree: Any) -> str:
    if schema.validate(tree):
        return "valid"
    error = schema.error_log.last_error
    return f"INVALID: {error.message if error else '?'}"[:120]


def cases(name: str, data: bytes, schemas: Schemas) -> list[tuple[str, str, Factory]]:
    """(op, implementation, factory) for one payload; a factory returns (callable, note)."""
    tree = etree.fromstring(data)
    xepcodec, xepcodec_why = _import("xepcodec")
    slix, slix_why = _import("benchmarks._slixmpp")

    def lxml_decode() -> tuple[Callable[[], object], str]:
        return (lambda: etree.fromstring(data)), ""

    def python_read() -> tuple[Callable[[], object], str]:
        return (lambda: read_every_node(data)), "reference: the cost of reading the tree"

    def python_build() -> tuple[Callable[[], object], str]:
        return (lambda: build_untyped(data)), "reference: nothing typed, no rule checked"

    def lxml_encode() -> tuple[Callable[[], object], str]:
        return (lambda: etree.tostring(tree)), ""

    def slix_decode() -> tuple[Callable[[], object], str]:
        decode = _need(slix, slix_why, "decode")
        return (lambda: decode(data)), slix.UNSUPPORTED.get(name, "")

    def slix_access(accessors_name: str) -> Factory:
        def factory() -> tuple[Callable[[], object], str]:
            decode = _need(slix, slix_why, "decode")
            if name in slix.UNSUPPORTED:
                raise Unavailable(slix.UNSUPPORTED[name])
            access = getattr(slix, accessors_name)[name]
            return (lambda: access(decode(data))), ""

        return factory
    def slix_encode() -> tuple[Callable[[], object], str]:
        encode = _need(slix, slix_why, "encode")
        stanza = slix.decode(data)
        return (lambda: encode(stanza)), ""

    def xc_parse() -> tuple[Callable[[], object], str]:
        parse = _need(xepcodec, xepcodec_why, "parse")
        return (lambda: parse(data)), ""

    def xc_parse_lazy() -> tuple[Callable[[], object], str]:
        # Issue 17's router mode: stanza attributes and the payload's class at once, the
        # payload decoded on first access. Measured once xepcodec.parse takes lazy=True.
        parse = _need(xepcodec, xepcodec_why, "parse")
        if "lazy" not in inspect.signature(parse).parameters:
            raise Unavailable("xepcodec.parse has no lazy mode (lazy=True) yet")

        def route() -> object:
            stanza = parse(data, lazy=True)
            return (stanza.from_, stanza.to, stanza.id, stanza.type)

        return route, "reads from, to, id, type"

    def xc_parse_cold() -> tuple[Callable[[], object], str]:
        parse = _need(xepcodec, xepcodec_why, "parse")
        caches = len(jid_cache_clearers())
        return (lambda: parse(data)), f"{caches} JID caches cleared before each call"

    def lxml_decode_cold() -> tuple[Callable[[], object], str]:
        return (lambda: etree.fromstring(data)), "timed call by call, like the row below"

    def xc_access(accessors: dict[str, Callable[[Any], object]], how: str) -> Factory:
        # how: "eager" (parse, then read), "lazy" (parse(lazy=True), then read the lazy
        # stanza: the parts read are decoded alone) or "lazy-stanza" (parse(lazy=True),
        # then read its stanza, decoded whole: a caller reading everything).
        def factory() -> tuple[Callable[[], object], str]:
            parse, access = _need(xepcodec, xepcodec_why, "parse"), accessors[name]
            if how != "eager" and "lazy" not in inspect.signature(parse).parameters:
                raise Unavailable("xepcodec.parse has no lazy mode (lazy=True) yet")
            if how == "eager":
                def run() -> object:
                    return access(parse(data))
            elif how == "lazy":
                def run() -> object:
                    return access(parse(data, lazy=True))
            else:
                def run() -> object:
                    return access(parse(data, lazy=True).stanza)
            try:
                run()
            except AttributeError as exc:
                hint = "fix the accessors in benchmarks/run.py"
                raise Unavailable(f"{_short(exc)} ({hint})") from exc
            return run, ""

        return factory

    def xc_serialize() -> tuple[Callable[[], object], str]:
        parse = _need(xepcodec, xepcodec_why, "parse")
        serialize = _need(xepcodec, xepcodec_why, "serialize")
        obj = parse(data)
        return (lambda: serialize(obj)), ""

    def libxml2_bytes() -> tuple[Callable[[], object], str]:
        schema = schemas.libxml2
        if schema is None:
            raise Unavailable(schemas.libxml2_error)
        return (lambda: schema.validate(etree.fromstring(data))), _libxml2_verdict(schema, tree)

    def libxml2_tree() -> tuple[Callable[[], object], str]:
        schema = schemas.libxml2
        if schema is None:
            raise Unavailable(schemas.libxml2_error)
        return (lambda: schema.validate(tree)), "reference only: parse excluded"

    def xmlschema_bytes() -> tuple[Callable[[], object], str]:
        schema = schemas.xmlschema
        if schema is None:
            raise Unavailable(schemas.xmlschema_error)
        error = next(iter(schema.iter_errors(io.BytesIO(data))), None)
        verdict = "valid" if error is None else f"INVALID: {_short(error, 100)}"
        return (lambda: schema.is_valid(io.BytesIO(data))), verdict

    def xc_validate() -> tuple[Callable[[], object], str]:
        validate = _need(xepcodec, xepcodec_why, "validate")
        report = validate(data)
        if getattr(report, "ok", False):
            verdict = "valid"
        else:
            errors = list(getattr(report, "errors", ()) or ())
            first = getattr(errors[0], "message", errors[0]) if errors else "?"
            verdict = f"INVALID: {first}"[:120]
        return (lambda: validate(data)), verdict

    def xc_validate_schema_only() -> tuple[Callable[[], object], str]:
        validate = _need(xepcodec, xepcodec_why, "validate")
        report = validate(data, semantic=False)
        return (lambda: validate(data, semantic=False)), "valid" if report.ok else "INVALID"

    return [
        ("decode", FLOOR_IMPL["decode"], lxml_decode),
        ("decode", "slixmpp (ElementTree + stanza objects)", slix_decode),
        ("decode", "Python floor: fromstring + every node read", python_read),
        ("decode", "Python floor: fromstring + a frozen object per node", python_build),
        ("decode", "xepcodec.parse", xc_parse),
        ("decode", "xepcodec lazy: parse(lazy=True) + stanza attributes", xc_parse_lazy),
        ("decode_cold", FLOOR_IMPL["decode_cold"], lxml_decode_cold),
        ("decode_cold", "xepcodec.parse (cold JID caches)", xc_parse_cold),
        ("access_one", "slixmpp", slix_access("ONE_FIELD")),
        ("access_one", "xepcodec lazy: parse(lazy=True), the part read alone",
         xc_access(XEPCODEC_ONE_FIELD, "lazy")),
        ("access_one", "xepcodec eager: parse, then read", xc_access(XEPCODEC_ONE_FIELD, "eager")),
        ("access_all", "slixmpp", slix_access("ACCESSORS")),
        ("access_all", "xepcodec lazy: parse(lazy=True).stanza",
         xc_access(XEPCODEC_ACCESSORS, "lazy-stanza")),
        ("access_all", "xepcodec eager: parse, then read", xc_access(XEPCODEC_ACCESSORS, "eager")),
        ("encode", FLOOR_IMPL["encode"], lxml_encode),
        ("encode", "slixmpp str(stanza)", slix_encode),
        ("encode", "xepcodec.serialize", xc_serialize),
        ("validate", FLOOR_IMPL["validate"], libxml2_bytes),
        ("validate", "libxml2 validate only (pre-parsed tree)", libxml2_tree),
        ("validate", "xmlschema.is_valid", xmlschema_bytes),
        ("validate", "xepcodec.validate", xc_validate),
        ("validate", "xepcodec.validate(semantic=False)", xc_validate_schema_only),
    ]


def run_main(payloads: dict[str, bytes], schemas: Schemas, budget: Budget) -> list[Row]:
    rows = []
    for name, data in payloads.items():
        print(f"  measuring {name} ...", file=sys.stderr, flush=True)
        all_cases = cases(name, data, schemas)
        for group in GROUPS:
            # Prepare every implementation sharing a floor, then time the ready ones together
            # (interleaved repeats), so their ratios see the same machine load.
            op_rows: list[Row] = []
            ready: list[tuple[Row, Callable[[], object]]] = []
            for op, impl, factory in all_cases:
                if op not in group:
                    continue
                row = Row(name, op, impl, None)
                op_rows.append(row)
                try:
                    fn, row.note = factory()
                except Exception as exc:
                    row.note = str(exc) if isinstance(exc, Unavailable) else _short(exc)
                    continue
                ready.append((row, fn))
            setup = None
            if group == COLD_GROUP and ready:
                try:
                    setup = clear_jid_caches(jid_cache_clearers())
                except Unavailable as exc:
                    for row, _ in ready:
                        row.note = str(exc)
                    rows.extend(op_rows)
                    continue
            timings = measure_group([fn for _, fn in ready], budget, setup=setup)
            for (row, _), timing in zip(ready, timings, strict=True):
                if isinstance(timing, BaseException):
                    row.note = _short(timing)
                else:
                    row.seconds = timing
            rows.extend(op_rows)
    return rows


def run_aioxmpp(
    payloads: dict[str, bytes], budget: Budget, *, reinstall: bool
) -> tuple[list[Row], dict[str, Any]]:
    from benchmarks import _aioxmpp

    print("  measuring aioxmpp (separate venv) ...", file=sys.stderr, flush=True)
    result = _aioxmpp.run(payloads, budget.min_time, budget.repeat, reinstall=reinstall)
    info: dict[str, Any] = {"setup": result.setup, "error": result.error, **result.versions}
    if result.error:
        print(f"[aioxmpp] n/a: {result.error}", file=sys.stderr)
        rows = [
            Row(name, op, "aioxmpp", None, env=VENV, note=result.error)
            for name in payloads
            for op in ("decode", "access_all", "encode")
        ]
        return rows, info
    rows = [
        Row(r["payload"], r["op"], r["impl"], r["seconds"], env=VENV, note=r.get("note", ""))
        for r in result.results
    ]
    return rows, info


# --- ratios and targets ----------------------------------------------------------------------


def floor_seconds(rows: Sequence[Row], row: Row) -> float | None:
    op = FLOOR_OP[row.op]
    for candidate in rows:
        if (candidate.payload, candidate.op, candidate.env) == (row.payload, op, row.env) and (
            candidate.impl == FLOOR_IMPL[op]
        ):
            return candidate.seconds
    return None


def ratio(rows: Sequence[Row], row: Row) -> float | None:
    base = floor_seconds(rows, row)
    if row.seconds is None or not base:
        return None
    return row.seconds / base


def _find(rows: Sequence[Row], payload: str, op: str, impl_prefix: str) -> Row | None:
    for row in rows:
        if row.payload == payload and row.op == op and row.impl.startswith(impl_prefix):
            return row
    return None


@dataclass
class Target:
    """A goal of issue 17, held over the payloads by ``aggregate``.

    ``median``: the median over the payloads measured must meet the bound; ``worst``: every
    payload must (the highest ratio, or the lowest speedup). Ratios must be at most the
    bound; speedups (``higher_is_better``) strictly above it.
    """

    key: str
    text: str
    bound: float
    higher_is_better: bool
    aggregate: str  # "median" or "worst"
    measure: Callable[[Sequence[Row], str], float | None]
    missing: str = ""  # why no payload can be measured, when that is known in advance

    def passes(self, value: float) -> bool:
        return value > self.bound if self.higher_is_better else value <= self.bound

    def combine(self, values: Sequence[float]) -> float:
        if self.aggregate == "median":
            return statistics.median(values)
        return min(values) if self.higher_is_better else max(values)


def _vs_floor(op: str, impl: str) -> Callable[[Sequence[Row], str], float | None]:
    def value(rows: Sequence[Row], payload: str) -> float | None:
        row = _find(rows, payload, op, impl)
        return ratio(rows, row) if row else None

    return value


def _speedup(op: str, slow: str, fast: str) -> Callable[[Sequence[Row], str], float | None]:
    """How many times faster ``fast`` is than ``slow`` on one payload."""

    def value(rows: Sequence[Row], payload: str) -> float | None:
        a, b = _find(rows, payload, op, slow), _find(rows, payload, op, fast)
        if a is None or b is None or not a.seconds or not b.seconds:
            return None
        return a.seconds / b.seconds

    return value


# Issue 17, "Targets". import xepcodec <= 0.3 s is held by benchmarks/startup.py, the CLI's
# throughput by benchmarks/cli_throughput.py.
TARGETS = (
    Target("decode_median", "decode <= 3x fromstring (median payload)", 3.0, False, "median",
           _vs_floor("decode", "xepcodec")),
    Target("decode_worst", "decode <= 4x fromstring (worst payload)", 4.0, False, "worst",
           _vs_floor("decode", "xepcodec")),
    Target("decode_cold_median", "decode, cold JID caches <= 3x (median)", 3.0, False,
           "median", _vs_floor("decode_cold", "xepcodec")),
    Target("decode_cold_worst", "decode, cold JID caches <= 4x (worst)", 4.0, False, "worst",
           _vs_floor("decode_cold", "xepcodec")),
    Target("lazy", "lazy decode <= 1.5x fromstring (worst)", 1.5, False, "worst",
           _vs_floor("decode", "xepcodec lazy"), missing="xepcodec.parse has no lazy mode yet"),
    # "With it" (the lazy mode): the lazy rows are the ones held to the targets.
    Target("access_one_slixmpp", "access one field (lazy): faster than slixmpp (worst)", 1.0,
           True, "worst", _speedup("access_one", "slixmpp", "xepcodec lazy")),
    Target("access_all_slixmpp", "access all fields (lazy): faster than slixmpp (worst)", 1.0,
           True, "worst", _speedup("access_all", "slixmpp", "xepcodec lazy")),
    Target("encode", "encode <= 3x tostring (worst payload)", 3.0, False, "worst",
           _vs_floor("encode", "xepcodec")),
    Target("validate", "validate <= 1.5x libxml2 (median payload)", 1.5, False, "median",
           _vs_floor("validate", "xepcodec.validate")),
)


def evaluate(rows: Sequence[Row], payloads: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for target in TARGETS:
        cells = {payload: target.measure(rows, payload) for payload in payloads}
        values = [v for v in cells.values() if v is not None]
        value = target.combine(values) if values else None
        if value is None:
            status = "n/a"
        elif not target.passes(value):
            status = "FAIL"
        else:
            status = "PASS"
        if values and len(values) < len(cells):
            status += f" ({len(values)}/{len(cells)} payloads)"
        out.append(
            {
                "key": target.key,
                "target": target.text,
                "bound": target.bound,
                "higher_is_better": target.higher_is_better,
                "aggregate": target.aggregate,
                "payloads": cells,
                "value": value,
                "status": status,
                "note": "" if values else target.missing or "no measured payload",
            }
        )
    return out


# --- output ----------------------------------------------------------------------------------


def _us(seconds: float | None) -> str:
    return "n/a   " if seconds is None else f"{seconds * 1e6:,.2f} us"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def print_report(
    rows: Sequence[Row],
    targets: Sequence[dict[str, Any]],
    meta: dict[str, Any],
    payloads: dict[str, bytes],
) -> None:
    print(
        f"\nxepcodec benchmarks ({meta['mode']}: thread CPU time, best of {meta['repeat']} loops"
        f" of >= {meta['min_time']} s each)"
    )
    aio = meta["aioxmpp"]
    aio_text = (
        f"aioxmpp {aio.get('aioxmpp')} with lxml {aio.get('lxml')} ({aio.get('setup')})"
        if aio.get("aioxmpp")
        else f"aioxmpp n/a ({aio.get('error')})"
    )
    print(
        f"python {meta['python']} | lxml {meta['lxml']} (libxml2 {meta['libxml2']}) | "
        f"slixmpp {meta['slixmpp']} | xmlschema {meta['xmlschema']} | {aio_text}"
    )
    print(
        f"schemas: {meta['schemas']['path']}"
        + (f"  [{meta['schemas']['error']}]" if meta["schemas"]["error"] else "")
    )
    print(
        "x floor: us/op over bare lxml (decode, access, encode) or libxml2 (validate) "
        "in the same environment; [venv] rows are over the venv's own lxml."
    )
    width = max(len(_label(r)) for r in rows)
    for name, data in payloads.items():
        print(f"\n== {name} ({len(data)} bytes): {PAYLOADS[name]}")
        for op in OPS:
            op_rows = [r for r in rows if r.payload == name and r.op == op]
            if not op_rows:
                continue
            print(f"  {OP_TITLES[op]}")
            for r in op_rows:
                print(
                    f"    {_label(r):<{width}}  {_us(r.seconds):>14}  "
                    f"{_x(ratio(rows, r)):>8}  {r.note}".rstrip()
                )
    names = list(payloads)
    print("\n== targets (issue 17): ratios to the floor per payload, then the median or worst")
    width = max(len(t["target"]) for t in targets)
    print(f"  {'target':<{width}}" + "".join(f"{n[:15]:>16}" for n in names)
          + f"{'median/worst':>14}   status")
    for t in targets:
        cells = "".join(f"{_x(t['payloads'][n]):>16}" for n in names)
        note = f"  {t['note']}" if t["note"] else ""
        print(f"  {t['target']:<{width}}{cells}{_x(t['value']):>14}   {t['status']}{note}")
    print("  (access targets: slixmpp's time over xepcodec's, above 1.00x is faster; decode,"
          " encode and validate: xepcodec's time over the floor's)")
    print("  (measured elsewhere: import time below; CLI throughput by "
          "python -m benchmarks.cli_throughput; archive encryption of 10,000 messages by "
          "python -m benchmarks.archive; 1 GB capture memory by "
          "python -m benchmarks.capture_memory)")
    if meta["mode"] == "quick":
        print("  (quick run: loops are tiny, so timings and verdicts are rough)")
    load, cores = meta["load"], meta["load"]["cores"] or 1
    # The one-minute average at the end includes this run itself: about one busy core.
    others = [load["before"], None if load["after"] is None else load["after"] - 1]
    busiest = round(max((x for x in others if x is not None), default=0.0), 2)
    if busiest > cores * 0.75:
        print(
            f"  WARNING: the machine was busy (load average {busiest} on {cores} cores);"
            " timings are noisy, rerun on an idle machine before judging a target."
        )


def _load() -> float | None:
    """The one-minute load average, where the platform has one."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _label(row: Row) -> str:
    label = row.impl + (" (floor)" if row.is_floor else "")
    return label + (" [venv]" if row.env == VENV else "")


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        loaded = sys.modules.get(module)
        return str(getattr(loaded, "__version__", "n/a"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: tiny loops, numbers are rough"
    )
    parser.add_argument(
        "--no-aioxmpp", action="store_true", help="skip aioxmpp (no venv creation, no subprocess)"
    )
    parser.add_argument(
        "--reinstall-aioxmpp", action="store_true", help="recreate benchmarks/.venv-aioxmpp"
    )
    parser.add_argument(
        "--schema",
        type=Path,
        default=DEFAULT_SCHEMA,
        help="XSD catalog to validate against (default: schemas/catalog.xsd)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="JSON results file (default: benchmarks/results/latest.json)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if a measured target fails")
    args = parser.parse_args(argv)

    budget = QUICK if args.quick else FULL
    load_before = _load()
    payloads = load_payloads()
    problems = check_payloads(payloads)
    if problems:
        print("xepcodec does not take the benchmark payloads as typed, valid stanzas:",
              *problems, sep="\n  ", file=sys.stderr)
        return 2
    schemas = load_schemas(args.schema)
    _import("xepcodec")
    _import("benchmarks._slixmpp")
    # Everything loaded so far lives to the end: keep it out of the collections that
    # measure_group starts with (a loaded XSD catalog alone is ~100k objects).
    gc.collect()
    gc.freeze()
    rows = run_main(payloads, schemas, budget)
    aioxmpp_info: dict[str, Any] = {"error": "skipped (--no-aioxmpp)"}
    if not args.no_aioxmpp:
        aio_rows, aioxmpp_info = run_aioxmpp(payloads, budget, reinstall=args.reinstall_aioxmpp)
        rows.extend(aio_rows)
    print("  measuring start-up (fresh processes) ...", file=sys.stderr, flush=True)
    startup_rows = startup.measure(budget.repeat)
    startup_targets = startup.evaluate(startup_rows)

    meta = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "min_time": budget.min_time,
        "repeat": budget.repeat,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
        "lxml": lxml.__version__,
        "libxml2": ".".join(map(str, etree.LIBXML_VERSION)),
        "slixmpp": _version("slixmpp"),
        "xmlschema": _version("xmlschema"),
        "xepcodec": _version("xepcodec"),
        "aioxmpp": aioxmpp_info,
        "schemas": {
            "path": _display(args.schema),
            "error": "; ".join(
                dict.fromkeys(filter(None, (schemas.libxml2_error, schemas.xmlschema_error)))
            ),
        },
    }
    meta["load"] = {"cores": os.cpu_count(), "before": load_before, "after": _load()}
    targets = evaluate(rows, list(payloads))
    print_report(rows, targets, meta, payloads)
    startup.print_report(startup_rows, startup_targets)

    results = []
    for r in rows:
        entry = asdict(r)
        entry["us_per_op"] = None if r.seconds is None else r.seconds * 1e6
        entry["x_floor"] = ratio(rows, r)
        entry["floor"] = r.is_floor
        results.append(entry)
    document = {
        "meta": meta,
        "payload_bytes": {n: len(d) for n, d in payloads.items()},
        "results": results,
        "targets": targets,
        "startup": startup.as_json(startup_rows, startup_targets),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {_display(args.output)}")
    if args.check and any(t["status"] == "FAIL" for t in [*targets, *startup_targets]):
        return 1
    return 0
