"""XEP-0133 against the live server: its admin lists the administration commands and
runs one, every form read through the typed views."""

from __future__ import annotations

from xepcodec.core.stanzas import IqType
from xepcodec.datatypes.jid import JID
from xepcodec.protocols import admin
from xepcodec.protocols.commands import Command, Status
from xepcodec.protocols.disco import ItemsQuery

from .client import LiveClient
from .prosody import ADMIN, PLAIN_HOST, Prosody


def test_admin_lists_and_runs_a_command(prosody: Prosody) -> None:
    server = JID.parse(PLAIN_HOST)
    me = JID.parse(f"{ADMIN[0]}@{ADMIN[1]}/console")
    with LiveClient(prosody, ADMIN, resource="console") as client:
        client.log_in()

        listed = client.request(admin.commands_request(id="commands-1", to=server))
        assert listed.type is IqType.RESULT, listed
        nodes = admin.admin_nodes(listed.find(ItemsQuery))
        online = str(admin.Node.GET_ONLINE_USERS_LIST)
        assert online in nodes, nodes
        # Every administration command the server lists is one XEP-0133 (or an alias
        # known for it) defines, whose forms read typed: view_class raises otherwise.
        for node in nodes:
            admin.view_class(node, result=False)

        started = client.request(admin.execute_request(online, id="run-1", to=server))
        assert started.type is IqType.RESULT, started
        form = started.find(Command)
        assert form.status is Status.EXECUTING and form.sessionid
        asked = admin.read(form)
        assert isinstance(asked, admin.MaxItems), asked

        submitted = client.request(admin.submit_request(
            form, admin.MaxItems(max_items=asked.max_items or "all"), id="run-2", to=server))
        assert submitted.type is IqType.RESULT, submitted
        done = submitted.find(Command)
        assert done.status is Status.COMPLETED, done
        users = admin.read(done)
        assert isinstance(users, admin.OnlineUsers), users
        # The administrator is online, so it is listed (as its bare or its full JID).
        assert {me, me.bare} & set(users.onlineuserjids), users

        # Get User Statistics of the administrator's own account: one more request
        # view and result view, read from Prosody's forms.
        stats = str(admin.Node.USER_STATS)
        started = client.request(admin.execute_request(stats, id="stats-1", to=server))
        form = started.find(Command)
        assert isinstance(admin.read(form), admin.UserAccount), form
        submitted = client.request(admin.submit_request(
            form, admin.UserAccount(accountjid=me.bare), id="stats-2", to=server))
        done = submitted.find(Command)
        assert done.status is Status.COMPLETED, done
        figures = admin.read(done)
        assert isinstance(figures, admin.UserStats), figures
        assert figures.onlineresources == ("console",), figures
        assert figures.ipaddresses == ("127.0.0.1",), figures
        assert figures.rostersize == 0, figures

        client.close()
        client.check()
