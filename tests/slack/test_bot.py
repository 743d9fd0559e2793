"""The bot's parts with a scripted Desk (fakes behind the Retriever seam), a real SQLite store and
the Web API stand-in: timeouts and errors are never silent, Socket Mode deliveries, identity."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.desk.desk import Desk
from bot.settings import DEFAULT_SLA_HOURS, BotSettings, SlackConfigError
from bot.slack.app import SlackServices, build_bot, build_slack_app, web_client
from bot.slack.events import Question
from bot.slack.notifier import SlackNotifier
from bot.slack.web import install_slack
from bot.store import SqlStore, upgrade
from bot.tickets.accounts import hash_password
from bot.tickets.casework import Casework
from bot.tickets.conversations import ConversationService
from bot.tickets.escalation import Escalation
from bot.tickets.records import Account, TicketMessage
from tests.fakes import FixedTriage, HashEmbeddings, StaticRetriever, make_hit
from tests.sites import Site, build_site, site_config
from tests.slack.conftest import EMPLOYEE, IT_STAFF, slack_settings
from tests.slack.signed import fresh_id, fresh_ts
from tests.slack.slack_api import SlackApi

pytestmark = [pytest.mark.unit, pytest.mark.slack]

VPN = "VPN 연결이 끊기면 클라이언트를 재시작하고 다시 로그인하세요. 재설치가 필요할 수도 있습니다."


class GatedRetriever(StaticRetriever):
    """Searches only once the test opens the gate (a slow Desk); raises when told to."""

    def __init__(self, hits, fail: bool = False):
        super().__init__(hits)
        self.gate = threading.Event()
        self.fail = fail

    def search(self, query, user=None, k=5):
        if self.fail:
            raise RuntimeError("the index is gone")
        self.gate.wait(20)
        return super().search(query, user, k)


@pytest.fixture()
def api() -> Iterator[SlackApi]:
    stand_in = SlackApi().start()
    stand_in.add_user(EMPLOYEE, "emp@corp.example", "Eun")
    stand_in.add_user(IT_STAFF, "it.staff@corp.example", "Ina")
    yield stand_in
    stand_in.stop()


@pytest.fixture()
def store(tmp_path) -> Iterator[SqlStore]:
    sql = SqlStore(f"sqlite:///{tmp_path}/desk.db", DEFAULT_SLA_HOURS)
    upgrade(sql.engine)
    yield sql
    sql.close()


def services(store: SqlStore, retriever) -> SlackServices:
    settings = BotSettings(_env_file=None, answer_backend="extractive", triage_backend="classifier")
    desk = Desk(retriever, settings)
    escalation = Escalation(store, FixedTriage(), settings)
    return SlackServices(ConversationService(desk, store), escalation, store, desk, Casework(store))


def question(channel: str = "C0TEAM001", text: str = "VPN이 자꾸 끊겨요") -> Question:
    ts = fresh_ts()
    return Question(channel, EMPLOYEE, text, ts, ts, "channel")


def test_a_slow_answer_gets_a_timeout_note_then_arrives_in_the_thread(api, store) -> None:
    retriever = GatedRetriever([make_hit("KB-VPN", VPN, title="VPN")])
    bot = build_bot(slack_settings(api, timeout=0.3), services(store, retriever))
    q = question()
    bot.responder.handle(q)  # returns at the timeout
    [note] = api.thread(q.channel, q.ts)
    assert note.block("timeout") and "sd_escalate" in note.all_text()
    retriever.gate.set()
    late = api.wait_for(
        lambda: [p for p in api.thread(q.channel, q.ts) if p.block("answer")],
        what="the late answer",
    )
    assert late[0].ts != note.ts and "KB-VPN" in late[0].all_text()


def test_a_failing_desk_gets_an_apology_offering_a_ticket_and_keeps_the_question(
    api, store
) -> None:
    bot = build_bot(slack_settings(api), services(store, GatedRetriever([], fail=True)))
    q = question()
    bot.responder.handle(q)
    [apology] = api.thread(q.channel, q.ts)
    assert apology.block("error") and "sd_escalate" in apology.all_text()
    conversation = store.conversation_by_thread("slack", q.thread_ref)
    assert [t.text for t in conversation.turns] == [q.text]  # what was asked is not lost


def test_rejected_blocks_still_deliver_the_text(api, store) -> None:
    retriever = GatedRetriever([make_hit("KB-VPN", VPN, title="VPN")])
    retriever.gate.set()
    bot = build_bot(slack_settings(api), services(store, retriever))
    api.fail_next("chat.update", status=200, error="invalid_blocks")
    q = question()
    bot.responder.handle(q)
    [reply] = api.thread(q.channel, q.ts)
    updates = api.calls_to("chat.update", channel=q.channel)
    assert [c.status for c in updates] == [200, 200] and updates[1].args["blocks"] == []
    assert "VPN" in reply.text


def test_a_channel_the_bot_cannot_post_in_is_logged_not_crashed(api, store) -> None:
    retriever = GatedRetriever([make_hit("KB-VPN", VPN)])
    bot = build_bot(slack_settings(api), services(store, retriever))
    api.fail_next("chat.postMessage", status=200, error="not_in_channel", channel="C0LOCKED1")
    bot.responder.handle(question("C0LOCKED1"))
    assert api.calls_to("chat.update", channel="C0LOCKED1") == []
    assert store.conversations() == []  # nothing started that nobody can see


class RecordingSocket:
    """Stands in for the Socket Mode client: keeps the acknowledgements sent back."""

    def __init__(self) -> None:
        self.sent = []
        self.logger = logging.getLogger("socket-mode-test")

    def send_socket_mode_response(self, response) -> None:
        self.sent.append(response)


def test_socket_mode_deliveries_are_answered_and_redeliveries_dropped(api, store) -> None:
    retriever = GatedRetriever([make_hit("KB-VPN", VPN, title="VPN")])
    retriever.gate.set()
    app = build_slack_app(
        slack_settings(api, mode="socket", signing_secret=""), services(store, retriever)
    )
    ts, socket = fresh_ts(), RecordingSocket()
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0EMPLOYEE",
        "user": EMPLOYEE,
        "text": "VPN이 끊겨요",
        "ts": ts,
    }
    payload = {
        "type": "event_callback",
        "event_id": fresh_id("Ev"),
        "team_id": "T0TEAM01",
        "event": event,
    }
    for attempt in (None, 1):  # the same envelope again, as after a reconnect
        request = SocketModeRequest("events_api", fresh_id("env"), payload, retry_attempt=attempt)
        send_response(socket, request, run_bolt_app(app, request), 0)
    assert [r.envelope_id for r in socket.sent] != [] and len(socket.sent) == 2  # both acked
    api.wait_for(
        lambda: [p for p in api.thread("D0EMPLOYEE", ts) if p.block("answer")], what="the answer"
    )
    assert len(api.calls_to("chat.postMessage", channel="D0EMPLOYEE", thread_ts=ts)) == 1


def test_groups_come_from_mappings_and_accounts_in_dms_only(api, store) -> None:
    api.usergroups["S0ITTEAM"] = [IT_STAFF]
    store.add_account(
        Account("it.staff@corp.example", "employee", groups=["vpn-admins"]),
        hash_password("pw-123456"),
    )
    mappings = {
        "it.staff@corp.example": ["it-staff"],
        "@corp.example": ["staff"],
        "S0ITTEAM": ["network"],
    }
    bot = build_bot(
        slack_settings(api, group_mappings=mappings), services(store, StaticRetriever([]))
    )
    dm = bot.identity.account(IT_STAFF, private=True)
    assert (dm.username, dm.email) == (IT_STAFF, "it.staff@corp.example")
    assert dm.groups == ["it-staff", "network", "staff", "vpn-admins"]
    assert bot.identity.account(IT_STAFF, private=False).groups == []
    assert bot.identity.account(EMPLOYEE, private=True).groups == ["staff"]
    assert len(api.calls_to("users.info", user=IT_STAFF)) == 1  # cached


def test_an_unknown_user_gets_public_answers_and_is_looked_up_again_later(api, store) -> None:
    now = [0.0]
    bot = build_bot(
        slack_settings(api, group_mappings={"@corp.example": ["staff"]}),
        services(store, StaticRetriever([])),
    )
    bot.identity.clock = lambda: now[0]
    assert bot.identity.account("U0NOBODY", private=True).groups == []
    bot.identity.account("U0NOBODY", private=True)
    assert len(api.calls_to("users.info", user="U0NOBODY")) == 1
    now[0] += 61  # a failed lookup is retried after a minute, not an hour
    api.add_user("U0NOBODY", "new@corp.example")
    assert bot.identity.account("U0NOBODY", private=True).groups == ["staff"]


def test_the_notifier_posts_replies_and_statuses_but_never_notes(api) -> None:
    notifier = SlackNotifier(web_client(slack_settings(api)), "https://desk.example.com")
    ticket = SimpleNamespace(
        number="SD-000007",
        thread_ref="C0TEAM001:1.000200",
        subject="VPN",
        summary="VPN down",
        status="open",
        resolution="",
    )
    notifier.notify(ticket, TicketMessage("reply", "agent", "Try again"))
    notifier.notify(ticket, TicketMessage("note", "agent", "internal"))
    notifier.notify(
        SimpleNamespace(**{**vars(ticket), "thread_ref": ""}),
        TicketMessage("reply", "agent", "lost?"),
    )
    calls = api.calls_to("chat.postMessage")
    assert [(c.args["channel"], c.args["thread_ts"]) for c in calls] == [("C0TEAM001", "1.000200")]
    assert "Try again" in calls[0].args["text"]


def _web_site(folder: Path) -> Site:
    """A web app on fakes (hash embedder, fixed triage), its data in ``folder``."""
    return build_site(site_config(folder), embedder=HashEmbeddings(), triage=FixedTriage())


def test_serve_in_socket_mode_only_takes_agent_replies_to_slack(api, tmp_path) -> None:
    web = _web_site(tmp_path / "socket")
    assert install_slack(web.app, web.services, slack_settings(api, mode="socket")) is None
    assert isinstance(web.services.notifiers.notifier("slack"), SlackNotifier)
    assert "/slack/events" not in [getattr(route, "path", "") for route in web.app.routes]
    off = _web_site(tmp_path / "off")
    assert install_slack(off.app, off.services, slack_settings(api, bot_token="")) is None
    assert off.services.notifiers.notifier("slack") is None
    unsigned = _web_site(tmp_path / "unsigned")
    with pytest.raises(SlackConfigError, match="SIGNING_SECRET"):
        install_slack(unsigned.app, unsigned.services, slack_settings(api, signing_secret=""))
    for site in (web, off, unsigned):
        site.services.close()
