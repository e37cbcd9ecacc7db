"""XEP-0045 against the live server's MUC service: an owner creates a room, configures it
through its form and reads the result back from disco#info; another user enters and is
kicked, and the owner destroys the room, pointing to another.  Every request is built by
the library, every answer read through its typed readers, and everything the service
sends parses typed, validates and round-trips: XEP-0421 occupant ids in the occupants'
presence and XEP-0122 validation in the configuration form's fields among them."""

from __future__ import annotations

from xepcodec.core.stanza_errors import Condition
from xepcodec.core.stanzas import IqType, Message
from xepcodec.datatypes.jid import JID
from xepcodec.protocols.data_validation import validate_form_values, validation_of
from xepcodec.protocols.disco import InfoQuery, info_request
from xepcodec.protocols.muc import admin, messages, owner, presence
from xepcodec.protocols.muc.addresses import occupant_jid
from xepcodec.protocols.muc.core import Affiliation, Role
from xepcodec.protocols.muc.features import Anonymity, room_info
from xepcodec.protocols.muc.forms import RoomConfigForm, Whois
from xepcodec.protocols.muc.presence import Departure
from xepcodec.protocols.muc.user import StatusCode
from xepcodec.protocols.occupant_id import NS_OCCUPANT_ID
from xepcodec.protocols.selfping import SELF_PING_OPTIMIZATION, Verdict, self_ping, verdict

from .client import LiveClient
from .prosody import JULIET, NURSE, PLAIN_HOST, SCRAM_HOST, Prosody
from .rooms import enter, presence_from, room, wait_for


def test_room_from_creation_to_destruction(prosody: Prosody) -> None:
    garden = room("garden")
    elsewhere = room("orchard")
    juliet = JID.parse(f"{JULIET[0]}@{PLAIN_HOST}/balcony")
    nurse = JID.parse(f"{NURSE[0]}@{SCRAM_HOST}/chamber")
    with (LiveClient(prosody, JULIET, resource="balcony") as owner_client,
          LiveClient(prosody, JULIET, resource="desk") as desk,
          LiveClient(prosody, NURSE, resource="chamber") as guest):
        for client in (owner_client, desk, guest):
            client.log_in()

        # Entering a room that does not exist creates it, locked, with the creator
        # as its owner (§10.1.1).
        me = enter(owner_client, garden, "jul")
        assert me.is_self and me.created, me
        # Prosody names the user behind each occupant by an XEP-0421 occupant id.
        assert me.occupant_id, me
        assert (me.affiliation, me.role, me.jid) == (Affiliation.OWNER, Role.MODERATOR, juliet)

        # The owner's other session (ownership belongs to the bare JID) fetches the
        # configuration form and answers it.
        asked = desk.request(owner.config_request(garden, id="config-1"))
        assert asked.type is IqType.RESULT, asked
        query = owner.check_owner_iq(asked)
        assert query is not None and query.form is not None, asked
        offered = RoomConfigForm.from_form(query.form)
        assert offered.whois is Whois.MODERATORS, offered
        assert offered.publicroom is False, offered
        assert Role.MODERATOR in offered.presencebroadcast, offered
        # Prosody's own options are kept, not lost.
        assert any(field.var == "muc#roomconfig_historylength" for field in offered.extra)
        # Its XEP-0122 rules are typed in the fields, and its default values keep them.
        rules = {field.var: validation_of(field) for field in query.form.fields}
        history = rules["muc#roomconfig_historylength"]
        assert history is not None and history.effective_datatype == "xs:integer", rules
        assert validate_form_values(query.form) == {}, query.form

        since = len(owner_client.received())
        wanted = RoomConfigForm(roomname="Capulet garden", roomdesc="Under the balcony",
                                whois=Whois.ANYONE, changesubject=False)
        done = desk.request(owner.submit_config(garden, wanted.to_form(), id="config-2"))
        assert done.type is IqType.RESULT, done
        # The occupants hear of the change: the room is now non-anonymous (§10.2.1).
        notice = messages.read_message(wait_for(
            owner_client, lambda stanza: isinstance(stanza, Message)
            and stanza.from_ == garden and messages.read_message(stanza) is not None,
            since=since))
        assert isinstance(notice, messages.RoomNotice), notice
        assert notice.config_changed and notice.anonymity is Anonymity.NON_ANONYMOUS, notice

        described = desk.request(info_request(id="info-1", to=garden))
        disco = described.find(InfoQuery)
        assert disco is not None, described
        info = room_info(disco)
        assert info.name == "Capulet garden", info
        assert info.anonymity is Anonymity.NON_ANONYMOUS, info
        assert info.persistent is False and info.public is False, info
        assert info.supports(SELF_PING_OPTIMIZATION), info
        assert info.supports(NS_OCCUPANT_ID), info
        assert info.form is not None and info.form.occupants == 1, info
        assert info.form.description == "Under the balcony", info
        optimized = info.supports(SELF_PING_OPTIMIZATION)
        desk.close()
        desk.check()

        # The room is unlocked: another user enters, and everyone may see real JIDs.
        since = len(owner_client.received())
        visitor = enter(guest, garden, "nurse")
        assert (visitor.affiliation, visitor.role, visitor.jid) == (
            Affiliation.NONE, Role.PARTICIPANT, nurse)
        assert visitor.non_anonymous, visitor
        seen = presence.occupant(wait_for(
            owner_client, presence_from(occupant_jid(garden, "nurse"), available=True),
            since=since))
        assert not seen.is_self and seen.jid == nurse, seen
        # The guest's occupant id is the same in every presence about it, and not the
        # owner's.
        assert visitor.occupant_id and seen.occupant_id == visitor.occupant_id, seen
        assert visitor.occupant_id != me.occupant_id, visitor

        answer = guest.request(self_ping(occupant_jid(garden, "nurse"), id="self-ping-1"))
        assert verdict(answer, optimized=optimized) is Verdict.JOINED, answer

        # The owner lists the owners, then kicks the guest with a reason (§8.2).
        listed = owner_client.request(admin.list_request(garden, Affiliation.OWNER, id="owners"))
        assert [item.jid for item in admin.read_list(listed, Affiliation.OWNER)] == [
            juliet.bare], listed
        since = len(guest.received())
        kicked = owner_client.request(admin.kick(garden, "nurse", reason="Too talkative",
                                                 id="kick-1"))
        assert kicked.type is IqType.RESULT, kicked
        out = presence.occupant(wait_for(
            guest, presence_from(occupant_jid(garden, "nurse"), own=True, available=False),
            since=since))
        assert out.departure is Departure.KICKED and StatusCode.KICKED in out.codes, out
        assert (out.role, out.affiliation) == (Role.NONE, Affiliation.NONE), out
        assert out.reason == "Too talkative", out
        assert out.actor is not None and out.actor.nick == "jul", out
        assert out.occupant_id == visitor.occupant_id, out
        # The owner, a moderator, is also shown who acted by real JID.
        told = presence.occupant(wait_for(
            owner_client, presence_from(occupant_jid(garden, "nurse"), available=False),
            since=0))
        assert told.departure is Departure.KICKED and not told.is_self, told
        assert told.actor is not None and told.actor.jid == juliet, told
        assert told.occupant_id == visitor.occupant_id, told

        # The kicked client is no occupant any more: the room itself says so.
        answer = guest.request(self_ping(occupant_jid(garden, "nurse"), id="self-ping-2"))
        assert answer.error is not None, answer
        assert answer.error.condition is Condition.NOT_ACCEPTABLE, answer
        assert verdict(answer, optimized=optimized) is Verdict.NOT_JOINED, answer

        # The owner destroys the room and points to another (§10.9).
        since = len(owner_client.received())
        gone = owner_client.request(owner.destroy_room(garden, alternate=elsewhere,
                                                       reason="Moving to the orchard",
                                                       id="destroy-1"))
        assert gone.type is IqType.RESULT, gone
        last = presence.occupant(wait_for(
            owner_client, presence_from(occupant_jid(garden, "jul"), available=False),
            since=since))
        assert last.is_self and last.departure is Departure.DESTROYED, last
        assert last.occupant_id == me.occupant_id, last
        assert last.destroyed is not None and last.destroyed.jid == elsewhere, last
        assert last.reason == "Moving to the orchard", last
        assert (last.affiliation, last.role) == (Affiliation.OWNER, Role.NONE), last

        # A self-ping to the destroyed room is answered by the service, not the room:
        # item-not-found, which XEP-0410's table reads as a nick changed elsewhere.  The
        # destruction notice above is what tells the client the truth.
        answer = owner_client.request(self_ping(occupant_jid(garden, "jul"), id="self-ping-3"))
        assert answer.error is not None, answer
        assert answer.error.condition is Condition.ITEM_NOT_FOUND, answer
        assert answer.error.by == garden.domain_jid, answer
        assert verdict(answer, optimized=optimized) is Verdict.NICK_CHANGED, answer

        for client in (owner_client, guest):
            client.close()
            client.check()

