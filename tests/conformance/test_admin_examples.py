"""Every example of XEP-0133 that carries an administration form reads into its view.

The generic conformance test reads each example and writes it back; this one goes on
to the meaning: the form of each command in the examples reads into the typed view of
its node (the request view before completion, the result view after), and the view
written back as a form reads into the same view.  The examples the errata file lists as
rejected are refused before any form is read.
"""

from __future__ import annotations

import pytest

from .examples import SPECS_ENV, SpecExample, load_errata, load_examples, parse_example, specs_dir

SPECS = specs_dir()
if not SPECS.is_dir():
    pytest.skip(f"the specification sources are not beside the checkout (set {SPECS_ENV})",
                allow_module_level=True)

from xepcodec.core.stanzas import Iq  # noqa: E402
from xepcodec.errors import ParseError  # noqa: E402
from xepcodec.model import decode  # noqa: E402
from xepcodec.protocols import load_all  # noqa: E402
from xepcodec.protocols.admin import ADMIN, AdminForm, admin_form, read, view_class  # noqa: E402
from xepcodec.protocols.commands import Command, Status  # noqa: E402

load_all()
EXAMPLES = load_examples(SPECS, [133])
REJECTED = {erratum.key for erratum in load_errata()
            if erratum.xep == 133 and erratum.outcome == "rejected"}


def _commands(example: SpecExample) -> list[Command]:
    found = []
    for element in parse_example(example).elements:
        iq = decode(element)
        assert isinstance(iq, Iq) and isinstance(iq.payload, Command), example.id
        found.append(iq.payload)
    return found


@pytest.mark.parametrize("example", [pytest.param(example, id=example.id)
                                     for example in EXAMPLES])
def test_the_form_of_each_example_reads_into_its_view(example: SpecExample) -> None:
    if example.key in REJECTED:
        with pytest.raises(ParseError):
            _commands(example)
        return
    for command in _commands(example):
        form = admin_form(command)
        view = read(command)
        if form is None:
            assert view is None
            continue
        assert form.form_type == ADMIN, example.id
        assert isinstance(view, AdminForm), example.id
        completed = command.status is Status.COMPLETED
        assert type(view) is view_class(command.node, result=completed)
        # Nothing the XEP defines is left aside.
        assert view.extra == (), example.id
        assert type(view).from_form(view.to_form(form.type)) == view


def test_the_examples_cover_the_forms() -> None:
    """Most examples carry a form: a walk that read none would prove nothing."""
    read_forms = 0
    for example in EXAMPLES:
        if example.key in REJECTED:
            continue
        read_forms += sum(read(command) is not None for command in _commands(example))
    assert read_forms >= 50
    assert len(REJECTED) == 3
