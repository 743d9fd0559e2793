"""Session cookies, roles, safe redirects, notifiers and conversations, without a server."""

from __future__ import annotations

import stat
import time

import pytest

from bot.desk.desk import Desk
from bot.settings import BotSettings
from bot.store import open_store
from bot.tickets.conversations import ConversationService
from bot.tickets.notify import Notifiers
from bot.tickets.records import Account, NotFound
from bot.web.auth import allowed
from bot.web.login import safe_next
from bot.web.sessions import decode_session, encode_session, new_session
from bot.wiring import load_session_secret
from tests.fakes import StaticRetriever, make_hit

pytestmark = pytest.mark.unit


def test_a_signed_session_round_trips_and_any_change_voids_it() -> None:
    session = new_session("kim", BotSettings(session_hours=1))
    value = encode_session(session, "secret")
    assert decode_session(value, "secret") == session
    assert decode_session(value, "other secret") is None
    body, mac = value.split(".")
    assert decode_session(body + "x." + mac, "secret") is None
    assert decode_session("not a cookie", "secret") is None
    assert decode_session(value, "secret", now=time.time() + 2 * 3600) is None  # expired


def test_each_session_gets_its_own_csrf_token() -> None:
    settings = BotSettings()
    assert new_session("kim", settings)["csrf"] != new_session("kim", settings)["csrf"]


def test_the_generated_secret_is_private_and_kept(tmp_path) -> None:
    first = load_session_secret(BotSettings(session_secret=""), tmp_path)
    path = tmp_path / "session_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) >= 32
    assert load_session_secret(BotSettings(session_secret=""), tmp_path) == first


def test_a_configured_secret_wins_and_nothing_is_written(tmp_path) -> None:
    configured = "configured-" + "c" * 32
    assert load_session_secret(BotSettings(session_secret=configured), tmp_path) == configured
    assert not (tmp_path / "session_secret").exists()


@pytest.mark.parametrize(
    ("role", "roles", "ok"),
    [
        ("employee", (), True),
        ("employee", ("agent",), False),
        ("agent", ("agent",), True),
        ("admin", ("agent",), True),
        ("agent", ("admin",), False),
        ("employee", ("admin",), False),
    ],
)
def test_admins_may_act_as_agents_but_not_the_other_way_round(role, roles, ok) -> None:
    assert allowed(Account("someone", role), roles) is ok


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/tickets", "/tickets"),
        ("/agent?status=all", "/agent?status=all"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ],
)
def test_sign_in_only_returns_to_this_site(target, expected) -> None:
    assert safe_next(target) == expected


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def notify(self, ticket, message) -> None:
        self.seen.append(message.kind)


def test_notifiers_queue_replies_and_statuses_never_notes_and_survive_a_failing_waker() -> None:
    notifiers = Notifiers()
    assert notifiers.deliver_to("reply") == ()  # the web chat polls: nothing to deliver
    notifiers.register("slack", Recorder())
    assert notifiers.deliver_to("reply") == notifiers.deliver_to("status") == ("slack",)
    assert notifiers.deliver_to("note") == notifiers.deliver_to("employee") == ()
    woken: list[str] = []

    def queue_down() -> None:
        raise ConnectionError("the queue is down")

    notifiers.on_queued(queue_down)
    notifiers.on_queued(lambda: woken.append("worker"))
    notifiers.queued()  # the failing waker is logged; the agent's action goes on
    assert woken == ["worker"]


def test_conversations_record_both_turns_and_stay_with_their_owner(tmp_path) -> None:
    store = open_store(BotSettings(database_url=f"sqlite:///{tmp_path / 'd.db'}"))
    hit = make_hit("KB-VPN", "VPN이 끊기면 클라이언트를 다시 시작하세요.", confidence=0.95)
    desk = Desk(StaticRetriever([hit]), BotSettings(answer_backend="extractive"))
    service = ConversationService(desk, store)
    kim, lee = Account("kim", groups=["it"]), Account("lee")
    conversation = service.start("web", "kim")
    events = list(service.ask_stream(conversation.id, "VPN이 자꾸 끊겨요 010-1234-5678", kim))
    assert [e.kind for e in events][-2:] == ["answer", "stored"]
    turns = store.conversation(conversation.id).turns
    assert [t.role for t in turns] == ["user", "assistant"]
    assert "010-1234-5678" not in turns[0].text  # stored masked, like the logs
    assert turns[1].id == events[-1].data.id and turns[1].answer["citations"]
    with pytest.raises(NotFound):
        service.ask(conversation.id, "hello", lee)
    with pytest.raises(NotFound):
        service.feedback(conversation.id, lee, "resolved")
    assert service.feedback(conversation.id, kim, "resolved").user == "kim"
    store.close()
