"""Assertions for tests of code that sends or stores stanzas.

::

    from xepcodec.testing.assertions import assert_valid_stanza

    def test_my_bot_answers_pings():
        reply = my_bot.handle(ping)          # bytes, str, an lxml element or a typed object
        assert_valid_stanza(reply)

A failure is an :class:`AssertionError` whose message shows each error under the line
it is on, with a caret at its column::

    the stanza is not valid: 1 error
        1 | <iq xmlns='jabber:client' type='get' id='p2'>
        2 | <ping xmlns='urn:xmpp:ping'>x</ping></iq>
          | ^ error: character data is not allowed ... (at /iq/ping) [bad-request]

This module needs neither pytest nor hypothesis.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, Final

from lxml import etree

from xepcodec.validation.checking import Checker, CheckOptions, CheckResult, Finding, check_bytes
from xepcodec.validation.inputs import InputError
from xepcodec.validation.reports import describe

__all__ = ["StanzaAssertionError", "assert_valid_stanza", "format_failure"]

_CONTEXT: Final = 2  # lines shown before the line of an error
_WIDTH: Final = 100  # longer lines are shown around the column only
_MOST: Final = 20  # findings shown with their lines


class StanzaAssertionError(AssertionError):
    """A stanza (or a file of them) that should be valid is not."""


@functools.cache
def _checker(options: CheckOptions) -> Checker:
    return Checker(options)


def _as_bytes(stanza: Any) -> bytes:
    if isinstance(stanza, bytes | bytearray | memoryview):
        return bytes(stanza)
    if isinstance(stanza, str):
        return stanza.encode("utf-8")
    if isinstance(stanza, etree._Element):
        return etree.tostring(stanza, encoding="UTF-8")  # ASCII would mangle names
    if hasattr(type(stanza), "__xml_codec__"):
        from xepcodec.api import serialize

        return serialize(stanza)
    raise TypeError(f"assert_valid_stanza takes bytes, str, an lxml element or a typed "
                    f"xepcodec object, not {type(stanza).__name__}")


def assert_valid_stanza(stanza: Any, *, strict: bool = False, xep: Sequence[int] = (),
                        schema_dirs: Sequence[str] = (),
                        default_namespace: str = "jabber:client") -> CheckResult:
    """Fail unless ``stanza`` is valid, as ``xepcodec validate`` would judge it.

    ``stanza`` is bytes, str, an lxml element or a typed object (serialized first);
    it may hold several stanzas, or a whole stream.  The options are those of the
    command: ``strict`` (unknown namespaces are errors), ``xep`` (only these
    protocols), ``schema_dirs`` (your own XSDs), ``default_namespace``.  Returns the
    result, whose warnings a test may look at.
    """
    data = _as_bytes(stanza)
    options = CheckOptions(strict=strict, xeps=tuple(xep), schema_dirs=tuple(schema_dirs),
                           default_namespace=default_namespace)
    try:
        result = check_bytes(data, checker=_checker(options), name="the stanza")
    except InputError as error:  # "the stanza: is empty" and the like
        raise StanzaAssertionError(f"the stanza {error.problem}") from None
    if not result.ok:
        raise StanzaAssertionError(format_failure(result, data.decode("utf-8", "replace")
                                                  .splitlines()))
    return result


def _window(text: str, column: int) -> tuple[str, int]:
    """The part of a long line around ``column`` (1-based), and the column in it."""
    if len(text) <= _WIDTH:
        return text, column
    start = max(0, min(column - 1 - _WIDTH // 2, len(text) - _WIDTH))
    part = text[start : start + _WIDTH]
    shown = column - start
    if start > 0:
        part, shown = "…" + part, shown + 1
    if start + _WIDTH < len(text):
        part += "…"
    return part, shown


def format_failure(result: CheckResult, lines: Iterable[str], *,
                   what: str = "the stanza") -> str:
    """The failure message: a headline, then each finding under its line.

    ``lines`` are the lines of the input (an iterator is read only as far as the last
    line needed, so a file can be passed as it is).
    """
    findings = [f for f in result.all_findings() if f.severity == "error"] + [
        f for f in result.all_findings() if f.severity == "warning"]
    summary = result.summary
    count = f"{summary.errors} error" + ("" if summary.errors == 1 else "s")
    if summary.input_error is not None:
        return summary.input_error
    if summary.stanzas > 1:
        headline = (f"{what} is not valid: {count} in {summary.invalid} of "
                    f"{summary.stanzas} stanzas")
    else:
        headline = f"{what} is not valid: {count}"
    placed: dict[int, list[Finding]] = {}
    unplaced: list[Finding] = []
    for finding in findings:
        if finding.line is None:
            unplaced.append(finding)
        else:
            placed.setdefault(finding.line, []).append(finding)
    wanted: set[int] = set()
    for line in placed:
        wanted.update(range(max(1, line - _CONTEXT), line + 1))
    text: dict[int, str] = {}
    last = max(wanted, default=0)
    for number, content in enumerate(lines, 1):
        if number > last:
            break
        if number in wanted:
            text[number] = content.replace("\t", " ").rstrip("\r\n")
    width = len(str(last)) if last else 1
    out = [headline]
    shown = 0
    budget = _MOST
    for line in sorted(placed):
        if budget <= 0:
            break
        here = placed[line][:budget]
        budget -= len(here)
        first_column = here[0].column or 1
        for number in range(max(shown + 1, line - _CONTEXT), line):
            if number in text:
                out.append(f"    {number:>{width}} | {_window(text[number], first_column)[0]}")
        shown = line
        full = text.get(line, "")
        # A short line is shown once with a caret per finding; a long one is shown
        # around each finding's column.
        groups = [here] if len(full) <= _WIDTH else [[finding] for finding in here]
        for group in groups:
            content, at = _window(full, group[0].column or 1)
            out.append(f"    {line:>{width}} | {content}")
            for finding in group:
                column = at + (finding.column or 1) - (group[0].column or 1)
                out.append(f"    {'':>{width}} | {' ' * max(0, column - 1)}^ "
                           f"{finding.severity}: {describe(finding)}")
    hidden = len(findings) - len(unplaced) - (_MOST - max(budget, 0))
    if hidden > 0:
        out.append(f"    … and {hidden} more")
    out.extend(f"    {finding.severity}: {describe(finding)}" for finding in unplaced)
    return "\n".join(out)
