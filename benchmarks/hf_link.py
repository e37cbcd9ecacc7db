"""What an HF radio link (XEP-0365) carries for a day of chat, and how long it takes.

Usage (from the repository root)::

    python -m benchmarks.hf_link             # table on stdout, JSON in benchmarks/results
    python -m benchmarks.hf_link --quick     # a shorter conversation
    python -m benchmarks.hf_link --output -  # JSON on stdout instead of a file

The corpus is generated from a fixed seed, so every run carries the same stanzas: users
on a ship's server and a shore server chatting across one zero-handshake link
(XEP-0361).  Before most messages the writer's client sends a standalone ``composing``
(sometimes ``paused`` and ``composing`` again); each message has a body, ``<active/>``
and a receipt request, and a third of them an XHTML-IM copy of the body; the recipient
answers with a receipt; now and then a user's presence changes (show, status, caps);
the servers ping each other across the link every so often, and answer.

Each stanza goes through :class:`~xepcodec.machines.zero_handshake.ZeroHandshakeSession`
(the ship's or the shore's end), so the bytes counted are the bytes the session
writes.  Four ways of sending are compared:

* **raw**: every stanza as it is;
* **optimised**: each stanza through :func:`xepcodec.protocols.stanag5066.optimise`
  with the default policy before it is sent;
* **compressed**: DEFLATE (zlib, level 9), one compression stream per direction for
  the whole run, flushed with ``Z_SYNC_FLUSH`` after each stanza so that each one can
  be read as soon as it arrives.  This stands in for SLEP's compression, which
  XEP-0365 makes mandatory; SLEP's own algorithm may do better or worse;
* **optimised + compressed**: both.

Transfer times are the bytes at 75, 300, 1200, 2400 and 9600 bit/s of user data, the
rates of HF modems; STANAG 5066's framing, its ARQ retransmissions and the radio's
turnaround time come on top and are not counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xepcodec import parse
from xepcodec.core.stanzas import Iq, Message, Presence
from xepcodec.machines.zero_handshake import ZeroHandshakeSession
from xepcodec.protocols.stanag5066 import TrafficPolicy, optimise
from xepcodec.protocols.zero_handshake import Agreement

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_OUTPUT = BENCH_DIR / "results" / "hf_link.json"
COMMAND = "python -m benchmarks.hf_link"
SEED = 365
MESSAGES = 400
QUICK_MESSAGES = 60
RATES = (75, 300, 1200, 2400, 9600)  # bit/s

SHIP, SHORE = "frigate.example", "harbour.example"
SHIP_USERS = ("captain", "navigator", "engineer", "cook")
SHORE_USERS = ("harbourmaster", "pilot", "agent")
CAPS = ("<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
        "node='https://client.example/caps' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/>")
# Lines written for this benchmark.
LINES = (
    "Request a berth for tonight, draught six metres.",
    "Berth four is free from twenty hundred.",
    "Fuel and water on arrival, please.",
    "Weather on the approach: wind north-west, four to five.",
    "Two crew need medical checks when we dock.",
    "Customs will board at the outer mole.",
    "ETA moved back an hour, the tide is against us.",
    "Pilot boat will meet you at the fairway buoy.",
    "Copy. We will call again at the buoy.",
    "Can the agent bring the mail and the spare pump seals?",
    "Seals are ordered; the mail goes with the pilot.",
    "Good. Galley needs fresh bread and forty litres of milk.",
)
# Sentences with figures in them, which change from one message to the next.
FIGURES = (
    "Position {a}°{b:02d}'N {c}°{d:02d}'W at {h:02d}{m:02d}.",
    "Speed {a} knots, course {c:03d}.",
    "Reply by {h:02d}{m:02d} please.",
    "We have {c} tonnes aboard for you.",
    "Barometer {p} hPa and falling.",
)
STATUSES = ("On watch", "Below deck", "In the engine room", "Off watch until 0400",
            "At the harbour office", "Out on the pilot boat")


@dataclass(frozen=True, slots=True)
class Stanza:
    """One stanza of the corpus and which way it goes."""

    kind: str
    from_ship: bool
    stanza: Message | Presence | Iq


def _user(rng: random.Random, ship: bool) -> str:
    return f"{rng.choice(SHIP_USERS if ship else SHORE_USERS)}@{SHIP if ship else SHORE}/" \
           f"{'bridge' if ship else 'office'}"


def _xhtml(line: str) -> str:
    words = line.split(" ", 2)
    rest = f" {words[2]}" if len(words) > 2 else ""
    return ("<html xmlns='http://jabber.org/protocol/xhtml-im'><body "
            "xmlns='http://www.w3.org/1999/xhtml'><p><strong>"
            f"{' '.join(words[:2])}</strong>{rest}</p></body></html>")


def corpus(messages: int, seed: int = SEED) -> list[Stanza]:
    """The stanzas of ``messages`` chat messages and everything around them."""
    rng = random.Random(seed)
    out: list[Stanza] = []

    def add(kind: str, from_ship: bool, xml: str) -> None:
        stanza = parse(xml)
        assert isinstance(stanza, Message | Presence | Iq)
        out.append(Stanza(kind, from_ship, stanza))

    pings = 0
    for n in range(messages):
        from_ship = rng.random() < 0.5
        sender, recipient = _user(rng, from_ship), _user(rng, not from_ship).split("/")[0]
        head = f"xmlns='jabber:server' from='{sender}' to='{recipient}'"
        thread = f"<thread>t{n // 6}</thread>"
        state = "<{} xmlns='http://jabber.org/protocol/chatstates'/>"
        if rng.random() < 0.8:
            add("chat state", from_ship, f"<message {head} type='chat'>{thread}"
                f"{state.format('composing')}</message>")
            if rng.random() < 0.3:
                for each in ("paused", "composing"):
                    add("chat state", from_ship, f"<message {head} type='chat'>{thread}"
                        f"{state.format(each)}</message>")
        line = rng.choice(LINES)
        if rng.random() < 0.5:
            line += " " + rng.choice(FIGURES).format(
                a=rng.randrange(10, 60), b=rng.randrange(60), c=rng.randrange(360),
                d=rng.randrange(60), h=rng.randrange(24), m=rng.randrange(60),
                p=rng.randrange(960, 1040))
        html = _xhtml(line) if rng.random() < 1 / 3 else ""
        add("message", from_ship, f"<message {head} type='chat' id='m{n}'>"
            f"<body>{line}</body>{thread}{state.format('active')}{html}"
            "<request xmlns='urn:xmpp:receipts'/></message>")
        back = f"xmlns='jabber:server' from='{recipient}/{'office' if from_ship else 'bridge'}' " \
               f"to='{sender}'"
        add("receipt", not from_ship, f"<message {back} id='r{n}'>"
            f"<received xmlns='urn:xmpp:receipts' id='m{n}'/></message>")
        if rng.random() < 0.15:
            who = _user(rng, from_ship)
            show = rng.choice(("", "<show>away</show>", "<show>dnd</show>", "<show>xa</show>"))
            add("presence", from_ship, f"<presence xmlns='jabber:server' from='{who}' "
                f"to='{_user(rng, not from_ship).split('/')[0]}'>{show}"
                f"<status>{rng.choice(STATUSES)}</status>{CAPS}</presence>")
        if n % 25 == 24:
            pings += 1
            here, there = (SHIP, SHORE) if pings % 2 else (SHORE, SHIP)
            add("ping", here == SHIP, f"<iq xmlns='jabber:server' from='{here}' to='{there}' "
                f"type='get' id='ping{pings}'><ping xmlns='urn:xmpp:ping'/></iq>")
            add("ping", here != SHIP, f"<iq xmlns='jabber:server' from='{there}' "
                f"to='{here}' type='result' id='ping{pings}'/>")
    return out


class _Direction:
    """One direction of the link: the session's bytes, raw and through one DEFLATE
    stream."""

    def __init__(self, session: ZeroHandshakeSession) -> None:
        self.session = session
        self.deflate = zlib.compressobj(9)

    def send(self, stanza: Message | Presence | Iq) -> tuple[int, int]:
        self.session.send(stanza)
        data = self.session.data_to_send()
        packed = self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        return len(data), len(packed)


def _link() -> tuple[_Direction, _Direction]:
    ship = Agreement(local=SHIP, peer=SHORE)
    return _Direction(ZeroHandshakeSession(ship)), \
        _Direction(ZeroHandshakeSession(ship.mirrored()))


def measure(stanzas: list[Stanza]) -> dict[str, Any]:
    """Bytes sent each way of sending, in total and by kind of stanza."""
    policy = TrafficPolicy()
    plain, thinned = _link(), _link()
    totals = dict.fromkeys(("raw", "compressed", "optimised", "optimised_compressed"), 0)
    kinds: dict[str, dict[str, int]] = {}
    for item in stanzas:
        ship_end, shore_end = plain
        raw, packed = (ship_end if item.from_ship else shore_end).send(item.stanza)
        kept = optimise(item.stanza, policy)
        thin, thin_packed = 0, 0
        if kept is not None:
            ship_end, shore_end = thinned
            thin, thin_packed = (ship_end if item.from_ship else shore_end).send(kept)
        for key, value in (("raw", raw), ("compressed", packed), ("optimised", thin),
                           ("optimised_compressed", thin_packed)):
            totals[key] += value
        kind = kinds.setdefault(item.kind, {"stanzas": 0, "sent": 0, "raw": 0,
                                            "optimised": 0})
        kind["stanzas"] += 1
        kind["sent"] += kept is not None
        kind["raw"] += raw
        kind["optimised"] += thin
    return {"totals": totals, "kinds": kinds}


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.1f} min"
    return f"{minutes / 60:.1f} h"


def _rows(totals: dict[str, int]) -> Iterator[dict[str, Any]]:
    raw = totals["raw"]
    for key, label in (("raw", "raw"), ("optimised", "optimised"),
                       ("compressed", "compressed (DEFLATE)"),
                       ("optimised_compressed", "optimised + compressed")):
        size = totals[key]
        yield {"way": label, "bytes": size, "of_raw": size / raw,
               "seconds": {str(rate): size * 8 / rate for rate in RATES}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_MESSAGES} messages instead of {MESSAGES}")
    parser.add_argument("--messages", type=int, default=None,
                        help=f"chat messages in the corpus (default {MESSAGES})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"corpus seed (default {SEED})")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT),
                        help="where to write the JSON results ('-' for stdout)")
    args = parser.parse_args(argv)
    messages = args.messages or (QUICK_MESSAGES if args.quick else MESSAGES)
    stanzas = corpus(messages, args.seed)
    measured = measure(stanzas)
    rows = list(_rows(measured["totals"]))
    print(f"== {COMMAND}: {messages} chat messages, {len(stanzas)} stanzas, seed {args.seed}")
    print()
    print("| sent as | bytes | of raw | " + " | ".join(f"{rate} bit/s" for rate in RATES)
          + " |")
    print("|---|---:|---:|" + "---:|" * len(RATES))
    for row in rows:
        times = " | ".join(_duration(row["seconds"][str(rate)]) for rate in RATES)
        print(f"| {row['way']} | {row['bytes']:,} | {row['of_raw']:.1%} | {times} |")
    print()
    print("| stanzas | count | sent after optimise | raw bytes | optimised bytes |")
    print("|---|---:|---:|---:|---:|")
    for kind, counts in measured["kinds"].items():
        print(f"| {kind} | {counts['stanzas']} | {counts['sent']} | {counts['raw']:,} | "
              f"{counts['optimised']:,} |")
    result = {"command": COMMAND, "python": platform.python_version(),
              "zlib": zlib.ZLIB_RUNTIME_VERSION,
              "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "messages": messages, "seed": args.seed, "stanzas": len(stanzas),
              "rows": rows, "kinds": measured["kinds"]}
    text = json.dumps(result, indent=2)
    if args.output == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
