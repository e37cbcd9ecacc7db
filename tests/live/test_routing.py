"""A client's iqs routed by the live server to a component, which answers them through
the library's ``Router``."""

from __future__ import annotations

from datetime import timedelta

from xepcodec.core.namespaces import COMPONENT
from xepcodec.core.stanzas import IqType
from xepcodec.datatypes.jid import JID
from xepcodec.machines.base import Send
from xepcodec.machines.router import Response, Router
from xepcodec.protocols.disco import Identity, InfoQuery, info_request
from xepcodec.protocols.ping import NS_PING, Ping, ping_request, pong
from xepcodec.protocols.version import (
    NS_VERSION,
    VersionQuery,
    version_answer,
    version_request,
)

from .client import LiveClient
from .component import LiveComponent
from .driver import NOW
from .prosody import COMPONENT_HOST, JULIET, PLAIN_HOST, Prosody


def test_iqs_to_the_component_are_answered_by_its_router(prosody: Prosody) -> None:
    service = JID.parse(COMPONENT_HOST)
    router = Router(service, [Identity(category="component", type="generic", name="echo")],
                    namespace=COMPONENT)
    router.handle(Ping, pong, features=[NS_PING])
    router.handle(VersionQuery, lambda iq: version_answer(iq, name="echo", version="1.0"),
                  features=[NS_VERSION])
    with LiveComponent(prosody) as component, \
            LiveClient(prosody, JULIET, resource="router") as client:
        assert component.accepted
        client.log_in()
        me = JID.parse(f"juliet@{PLAIN_HOST}/router")

        ping = ping_request(id="to-component-1", to=service)
        client.send(ping)
        (sent,) = component.serve(router)
        assert isinstance(sent, Send) and sent.stanza.to == me
        answer = client.answer_to(ping)
        assert answer.type is IqType.RESULT and answer.from_ == service

        request = info_request(id="to-component-2", to=service)
        client.send(request)
        component.serve(router)
        info = client.answer_to(request).find(InfoQuery)
        assert [identity.name for identity in info.identities] == ["echo"]
        assert {NS_PING, NS_VERSION} <= {feature.var for feature in info.features}

        request = version_request(id="to-component-3", to=service)
        client.send(request)
        component.serve(router)
        version = client.answer_to(request).find(VersionQuery)
        assert (version.name, version.version) == ("echo", "1.0")

        # And the other way: the component asks the client, whose own router answers.
        at_client = Router(me, [Identity(category="client", type="pc")])
        at_client.handle(Ping, pong, features=[NS_PING])
        deadline = NOW + timedelta(seconds=30)
        (sent,) = router.request(Ping(), to=me, deadline=deadline)
        component.send(sent.stanza)
        (ponged,) = client.serve(at_client)
        assert isinstance(ponged, Send) and ponged.stanza.type is IqType.RESULT
        (response,) = component.serve(router)
        assert isinstance(response, Response) and response.ok
        assert response.answer.from_ == me and router.pending == ()

        client.close()
        client.check()
        component.check()
