"""XEP-0410 against the live server's MUC service, whose rooms answer self-pings
themselves: the :class:`SelfPing` machine of one client, driven with instants the test
chooses, pings over the live session and reads the answers; a second session of the
same user renames itself and pings across the first; a room left ends in
``RejoinNeeded``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import Iq, IqType, Message, Presence
from xepcodec.datatypes.jid import JID
from xepcodec.machines.base import Event, Send
from xepcodec.machines.selfping import Joined, RejoinNeeded, RoomState, SelfPing
from xepcodec.protocols.disco import InfoQuery, info_request
from xepcodec.protocols.muc import owner, presence
from xepcodec.protocols.muc.addresses import occupant_jid
from xepcodec.protocols.muc.features import room_info
from xepcodec.protocols.ping import is_ping, pong
from xepcodec.protocols.selfping import SELF_PING_OPTIMIZATION, Verdict, self_ping, verdict

from .client import LiveClient
from .driver import NOW
from .prosody import JULIET, PLAIN_HOST, Prosody
from .rooms import enter, presence_from, room, wait_for

#: The machine's default silence before a self-ping (XEP-0410's 15 minutes).
SILENCE = timedelta(minutes=15)


def feed(machine: SelfPing, client: LiveClient, *, since: int, now: Any) -> list[Event]:
    """Hand the machine what the client received from its rooms since ``since``, as
    the caller would: each message and presence, read at ``now``."""
    events: list[Event] = []
    for stanza in client.received()[since:]:
        if isinstance(stanza, Message | Presence) and machine.accepts(stanza):
            events += machine.receive(stanza, now=now)
    return events


def ping_round(machine: SelfPing, client: LiveClient, *, now: Any) -> tuple[Iq, list[Event]]:
    """Let the machine send the self-ping due at ``now`` over the live session, and
    hand it the answer, read at the same instant (a live answer takes milliseconds);
    the ping sent and the machine's events."""
    (send,) = machine.expire(now)
    assert isinstance(send, Send) and isinstance(send.stanza, Iq), send
    answer = client.request(send.stanza)
    assert machine.accepts(answer), answer
    return send.stanza, machine.receive(answer, now=now)


def test_self_ping_across_sessions_and_after_leaving(prosody: Prosody) -> None:
    vault = room("vault")
    first_jid = JID.parse(f"{JULIET[0]}@{PLAIN_HOST}/one")
    with (LiveClient(prosody, JULIET, resource="one") as first,
          LiveClient(prosody, JULIET, resource="two") as second):
        for client in (first, second):
            client.log_in()

        me = enter(first, vault, "jul")
        assert me.created, me
        made = first.request(owner.instant_room(vault, id="instant-1"))
        assert made.type is IqType.RESULT, made
        disco = first.request(info_request(id="info-1", to=vault)).find(InfoQuery)
        assert disco is not None
        optimized = room_info(disco).supports(SELF_PING_OPTIMIZATION)
        assert optimized  # Prosody 0.12's rooms answer self-pings themselves

        machine = SelfPing()
        machine.joined(vault, "jul", now=NOW, optimized=optimized)
        assert feed(machine, first, since=0, now=NOW) == []
        fed = len(first.received())
        # Nothing is due before the silence ends.
        assert machine.expire(NOW + SILENCE - timedelta(seconds=1)) == []
        assert machine.next_deadline() == NOW + SILENCE

        ping, events = ping_round(machine, first, now=NOW + SILENCE)
        assert ping.to == occupant_jid(vault, "jul"), ping
        assert events == [Joined(vault, "jul", ping)], events
        assert machine.state(vault) is RoomState.LISTENING

        # The same user's second session enters under the same nick (one occupant
        # with two sessions), then renames itself.
        joined = enter(second, vault, "jul")
        assert joined.is_self and not joined.created, joined
        since = len(second.received())
        second.send(presence.change_nick(vault, "romy"))
        renamed = presence.occupant(wait_for(
            second, presence_from(occupant_jid(vault, "jul"), own=True, available=False),
            since=since))
        assert renamed.new_nick == "romy", renamed
        there = presence.occupant(wait_for(
            second, presence_from(occupant_jid(vault, "romy"), own=True, available=True),
            since=since))
        assert there.jid == JID.parse(f"{JULIET[0]}@{PLAIN_HOST}/two"), there

        # Prosody splits the sessions rather than renaming the shared occupant: the
        # first session stays "jul", so its next self-ping still finds it joined.
        later = NOW + 2 * SILENCE + timedelta(minutes=1)
        wait_for(first, presence_from(occupant_jid(vault, "romy"), available=True), since=fed)
        assert feed(machine, first, since=fed, now=NOW + SILENCE + timedelta(minutes=1)) == []
        assert machine.next_deadline() == later  # what the room said restarted its silence
        ping, events = ping_round(machine, first, now=later)
        assert events == [Joined(vault, "jul", ping)], events

        # The second session pings its old occupant JID, as a client that missed its
        # rename would: the nick is the first session's now, so the room passes the
        # ping on to it, and the first session's answer comes back.
        stale = self_ping(occupant_jid(vault, "jul"), id="stale-1")
        since = len(first.received())
        second.send(stale)
        reflected = wait_for(first, is_ping, since=since)
        assert reflected.from_ == occupant_jid(vault, "romy"), reflected
        assert reflected.to == first_jid and reflected.id != stale.id, reflected
        first.send(pong(reflected))
        answer = second.answer_to(stale)
        assert verdict(answer, optimized=optimized) is Verdict.JOINED, answer

        # The first session leaves; the machine is not told, as after a restart the
        # client would not know: the next self-ping finds it gone.
        since = len(first.received())
        first.send(presence.leave(vault, "jul"))
        wait_for(first, presence_from(occupant_jid(vault, "jul"), own=True, available=False),
                 since=since)
        ping, events = ping_round(machine, first, now=later + SILENCE)
        (rejoin,) = events
        assert isinstance(rejoin, RejoinNeeded), events
        assert (rejoin.room, rejoin.nick, rejoin.ping) == (vault, "jul", ping), rejoin
        assert rejoin.reply.error is not None, rejoin
        assert rejoin.reply.error.condition is Condition.NOT_ACCEPTABLE, rejoin
        assert machine.state(vault) is RoomState.REJOIN_NEEDED
        assert machine.expire(later + 3 * SILENCE) == []  # no ping until rejoined

        # Nobody holds "jul" now: the second session's stale ping gets item-not-found,
        # which XEP-0410 reads as a nick changed by another client.
        stale = self_ping(occupant_jid(vault, "jul"), id="stale-2")
        answer = second.request(stale)
        assert answer.error is not None, answer
        assert answer.error.condition is Condition.ITEM_NOT_FOUND, answer
        assert verdict(answer, optimized=optimized) is Verdict.NICK_CHANGED, answer

        second.send(presence.leave(vault, "romy"))
        for client in (first, second):
            client.close()
            client.check()
