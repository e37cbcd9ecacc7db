"""What ``import xepcodec`` costs, and that loading protocols on first use loses nothing.

What is measured runs in fresh interpreters: this test process has long since loaded
every module.  Memory is asserted, time is not (the machines are shared and noisy):
``python -m benchmarks`` reports the times next to their goals.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import resource
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from conformance.examples import example_elements
from lxml import etree

import xepcodec
from benchmarks import startup
from xepcodec.errors import ArgumentTypeError, UnknownProtocolError, XepCodecError
from xepcodec.model import registry
from xepcodec.protocols import DECLARED_IN, MODULES

ROOT = Path(__file__).resolve().parents[1]
PING = b'<iq xmlns="jabber:client" type="get" id="p1"><ping xmlns="urn:xmpp:ping"/></iq>'

#: The goal for a program that imports xepcodec and reads a stanza.
PEAK_RSS_LIMIT_MB = 60
#: The address space the library must fit in, with room to spare.
ADDRESS_SPACE_LIMIT = 1 << 30

#: Dependencies only some uses need; importing the library must not import them.
OPTIONAL = ("xmlschema", "cryptography", "precis_i18n", "tqdm", "hypothesis")

_PROTOCOL_MODULES = frozenset(name for names in DECLARED_IN.values() for name in names)


def _python(code: str, *, limit_address_space: bool = False) -> str:
    """Run ``code`` in a fresh interpreter; its standard output."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=False,
                          preexec_fn=limit if limit_address_space else None)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _start(code: str, given: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``code`` in a fresh interpreter, the file ``given`` as its standard input;
    it runs on while the caller starts others."""
    with given.open("rb") as stdin:
        return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, text=True,
                                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _result(child: subprocess.Popen[str]) -> Any:
    """What a child started by :func:`_start` printed, read as JSON."""
    out, err = child.communicate()
    assert child.returncode == 0, err
    return json.loads(out)


def _modules_after(code: str) -> set[str]:
    out = _python(f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))")
    return set(json.loads(out))


# -- what importing costs ---------------------------------------------------------------

def test_importing_the_library_loads_no_protocol_and_no_optional_dependency() -> None:
    loaded = _modules_after("import xepcodec")
    assert not loaded & _PROTOCOL_MODULES
    assert not {name.partition(".")[0] for name in loaded} & set(OPTIONAL)
    assert "xepcodec.validation.catalog" not in loaded


def test_reading_a_stanza_loads_only_the_protocols_it_carries() -> None:
    loaded = _modules_after(f"import xepcodec\nxepcodec.parse({PING!r})")
    assert loaded & _PROTOCOL_MODULES == {"xepcodec.core.stanzas",
                                          "xepcodec.core.stanza_errors",
                                          "xepcodec.protocols.ping"}
    assert not {name.partition(".")[0] for name in loaded} & {"xmlschema", "cryptography"}


def test_the_pytest_plugin_imports_nothing_of_the_library_until_used() -> None:
    loaded = _modules_after("import xepcodec.testing.pytest_plugin")
    library = {name for name in loaded if name.startswith("xepcodec.")}
    assert library <= {"xepcodec.errors", "xepcodec.protocols", "xepcodec.testing",
                       "xepcodec.testing.pytest_plugin"}, library
    assert "lxml.etree" not in loaded


# The child's own high-water mark: the ru_maxrss the kernel keeps for a child also
# counts the pages of the process it was forked from (this whole test session).
_PEAK = """
import xepcodec
from xepcodec.protocols import load_all
{work}
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


@pytest.mark.parametrize("work", [
    "",
    f"xepcodec.parse({PING!r})",
    f"assert xepcodec.validate({PING!r}).ok",
    f"load_all(); assert xepcodec.validate({PING!r}).ok",
], ids=["import", "parse", "validate", "every-protocol"])
def test_peak_memory_stays_small_within_a_gibibyte_of_address_space(work: str) -> None:
    peak_kb = int(_python(_PEAK.format(work=work), limit_address_space=True))
    assert peak_kb < PEAK_RSS_LIMIT_MB * 1024, f"{peak_kb / 1024:.1f} MB"


def _own_peak_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def test_the_start_up_benchmark_accounts_each_child_alone() -> None:
    """``python -m benchmarks`` reports start-up from fresh processes; each one's peak is
    its own, below this session's (which a child's ru_maxrss would include)."""
    rows = startup.measure(1)
    assert [row.what for row in rows] == [what for what, _, _ in startup.COMMANDS]
    session = _own_peak_mb()
    for row in rows:
        assert row.note == "" and row.runs == 1, row
        assert row.cpu_seconds and row.wall_seconds and row.peak_mb, row
        assert row.peak_mb < session, (row, session)
    assert {target["status"] for target in startup.evaluate(rows)} <= {"PASS", "FAIL"}


# -- the namespace table ----------------------------------------------------------------

def _import_every_module() -> None:
    for info in pkgutil.walk_packages(xepcodec.__path__, "xepcodec."):
        if info.name != "xepcodec.__main__":  # runs the command line
            importlib.import_module(info.name)


def test_the_table_names_exactly_the_modules_that_declare_each_namespace() -> None:
    _import_every_module()
    declared: dict[str, set[str]] = defaultdict(set)
    for tag, cls in registry.registered():
        if cls.__module__.startswith("xepcodec.") and tag.startswith("{"):
            declared[tag[1:].partition("}")[0]].add(cls.__module__)
    assert declared == {namespace: set(names) for namespace, names in DECLARED_IN.items()}


def test_every_protocol_module_is_known_by_number_or_namespace() -> None:
    package = Path(importlib.import_module("xepcodec.protocols").__file__ or "").parent
    on_disk = {info.name for info in pkgutil.iter_modules([str(package)])}
    # A protocol package (muc) is known by its own name, not its modules' names.
    known = {*MODULES.values(),
             *(name.split(".")[2] for name in _PROTOCOL_MODULES
               if name.startswith("xepcodec.protocols."))}
    assert on_disk == known | _SHARED_MACHINERY


#: Modules under xepcodec.protocols that implement no protocol of their own: the typed
#: views that several protocols' forms (XEP-0133, XEP-0045, XEP-0060) are declared on.
_SHARED_MACHINERY = frozenset({"form_views"})


_LOOKUP = """
import json, sys
from xepcodec.model import registry
expected = json.load(sys.stdin)
found = {}
for tag in expected:
    cls = registry.lookup(tag)
    found[tag] = None if cls is None else f"{cls.__module__}.{cls.__qualname__}"
print(json.dumps(found))
"""


def test_the_first_namespace_met_types_all_its_elements(tmp_path: Path) -> None:
    """In a fresh interpreter, the first lookup in a namespace finds every class of that
    namespace; one interpreter per namespace, all started at once."""
    by_namespace: dict[str, dict[str, str]] = defaultdict(dict)
    for tag, cls in registry.registered():
        if cls.__module__.startswith("xepcodec.") and tag.startswith("{"):
            by_namespace[tag[1:].partition("}")[0]][tag] = f"{cls.__module__}.{cls.__qualname__}"
    assert set(by_namespace) == set(DECLARED_IN)
    running = {}
    for number, (namespace, expected) in enumerate(by_namespace.items()):
        given = tmp_path / f"{number}.json"
        given.write_text(json.dumps(expected))
        running[namespace] = _start(_LOOKUP, given)
    for namespace, child in running.items():
        assert _result(child) == by_namespace[namespace], namespace


def test_a_namespace_nobody_declares_stays_unknown() -> None:
    assert registry.lookup("{urn:example:nobody}thing") is None
    assert registry.lookup("no-namespace") is None


# -- reading with protocols loaded on first use gives what reading with all loaded gives -

_OUTCOMES = """
import json, sys
import xepcodec
from xepcodec.protocols import load_all
from xepcodec.xml import StanzaReceived

if sys.argv[1] == "eager":
    load_all()

def attempt(call):
    try:
        return repr(call())
    except xepcodec.XepCodecError as error:
        return f"{type(error).__name__}: {error}"

def read_as_stream(data):
    reader = xepcodec.StreamReader()
    events = reader.feed(b"<stream:stream xmlns='jabber:client' "
                         b"xmlns:stream='http://etherx.jabber.org/streams'>")
    events += reader.feed(data) + reader.feed(b"</stream:stream>")
    return [event.stanza if isinstance(event, StanzaReceived) else type(event).__name__
            for event in events]

outcomes = []
for text in json.load(sys.stdin):
    data = text.encode()
    report = xepcodec.validate(data)
    outcomes.append([attempt(lambda: xepcodec.parse(data)),
                     attempt(lambda: read_as_stream(data)),
                     report.ok, sorted(error.message for error in report.errors)])
print(json.dumps(outcomes))
"""


def _corpus() -> list[str]:
    """The shipped examples and every top-level element of the specs' examples."""
    texts = [path.read_text("utf-8") for path in sorted((ROOT / "examples").glob("*.xml"))]
    texts.extend(etree.tostring(element, encoding="unicode")
                 for _, element in example_elements())
    return texts


def test_loading_on_first_use_reads_everything_as_loading_all_does(tmp_path: Path) -> None:
    corpus = _corpus()
    assert len(corpus) > 100
    given = tmp_path / "corpus.json"
    given.write_text(json.dumps(corpus))
    children = [_start(_OUTCOMES, given, mode) for mode in ("eager", "lazy")]
    eager, lazy = (_result(child) for child in children)
    typed = sum(1 for parsed, *_ in eager if "XmlFragment" not in parsed)
    assert typed > len(corpus) // 2  # the comparison is about typed payloads
    for text, all_loaded, loaded_on_use in zip(corpus, eager, lazy, strict=True):
        assert loaded_on_use == all_loaded, text


# -- protocols by number ----------------------------------------------------------------

@pytest.mark.parametrize("number", [0, 46, 9999, -1])
def test_an_unknown_xep_number_is_the_library_s_lookup_error(number: int) -> None:
    with pytest.raises(UnknownProtocolError, match=f"XEP-{number:04d}") as caught:
        xepcodec.xep(number)
    assert isinstance(caught.value, XepCodecError) and isinstance(caught.value, LookupError)


@pytest.mark.parametrize("number", ["30", 30.0, None, True])
def test_a_xep_number_must_be_an_int(number: Any) -> None:
    with pytest.raises(ArgumentTypeError, match="XEP number"):
        xepcodec.xep(number)
