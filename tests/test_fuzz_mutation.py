"""A seeded, bounded mutation run: a few thousand damaged stanzas keep the invariants.

The seeds are the repository's examples, stanzas built with the library, and the
specifications' examples when they are beside the checkout; the mutator and the
invariants are the fuzzing harnesses' own (``fuzz/``, see its README).  Only
XepCodecError escapes; what parses writes back to an equal object and a fixed point;
``parse`` and ``validate`` agree (unknown namespaces aside); ``parse`` and a
StreamReader fed the same bytes in pieces agree.
Any break fails with its input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from random import Random

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the fuzzing harnesses' shared modules

from fuzz.invariants import Broken, check  # noqa: E402
from fuzz.mutate import MUTATIONS, mutants, mutate  # noqa: E402
from fuzz.seeds import built, examples, seeds  # noqa: E402
from fuzz.targets import TARGETS, join_cuts, split_cuts  # noqa: E402

SEED = 20_260_101
MUTANTS = 2_000


def test_the_mutator_is_deterministic_and_does_damage() -> None:
    corpus = examples() + built()
    assert list(mutants(corpus, 200, SEED)) == list(mutants(corpus, 200, SEED))
    assert list(mutants(corpus, 200, SEED)) != list(mutants(corpus, 200, SEED + 1))
    # each mutation changes a stanza it can apply to, for some choice of the dice
    stanza = corpus[0]
    for name, mutation in MUTATIONS.items():
        random = Random(name)
        assert any(mutation(stanza, random) != stanza for _ in range(20)), name
    assert mutate(stanza, Random(1), 0) == stanza


def test_mutated_stanzas_keep_the_invariants() -> None:
    corpus = seeds()
    inputs = corpus + list(mutants(corpus, MUTANTS, SEED))
    random = Random(SEED)
    accepted = 0
    broken: list[str] = []
    for data in inputs:
        cuts = [random.randrange(len(data) + 1) for _ in range(random.randint(0, 3))]
        try:
            accepted += check(data, cuts).ok
        except Broken as failure:
            broken.append(str(failure))
    assert not broken, "\n\n".join(broken[:5])
    # The run means something: many inputs, a fair share of them accepted (so the round
    # trip and the stream comparison ran), and most of them refused (so refusals were
    # compared too).
    assert len(inputs) >= MUTANTS
    assert len(inputs) // 10 < accepted < len(inputs) * 9 // 10, accepted
    print(f"{len(inputs)} inputs, {accepted} accepted")


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_each_fuzz_target_takes_the_seeds_and_their_mutants(name: str) -> None:
    corpus = examples() + built()
    inputs = corpus + list(mutants(corpus, 60, SEED))
    if name == "stream":
        inputs = [join_cuts(data, (len(data) // 3, len(data) // 2)) for data in inputs]
    for data in inputs:
        TARGETS[name](data)


def test_the_stream_target_reads_its_cut_points_from_a_trailer() -> None:
    assert split_cuts(join_cuts(b"<a/>", (1, 300))) == (b"<a/>", (1, 300))
    assert split_cuts(join_cuts(b"<a/>", ())) == (b"<a/>", ())
    assert split_cuts(b"") == (b"", ())
    assert split_cuts(b"\x04") == (b"", ())  # asks for more cut bytes than there are
