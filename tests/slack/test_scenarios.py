"""The Slack bot end to end: signed requests through the real Bolt app on the real web app
(uvicorn, SQLite, the sample knowledge base), Slack's Web API played by a local stand-in."""

from __future__ import annotations

import copy
import time

import pytest

from bot.slack.blocks import ESCALATE, NOT_HELPFUL, RESOLVED
from tests.slack.conftest import EMPLOYEE, IT_STAFF, PUBLIC_URL, STRANGER, SUPPORT, Agent
from tests.slack.signed import fresh_id, fresh_ts
from tests.slack.slack_api import Posted

pytestmark = [pytest.mark.e2e, pytest.mark.slack]

PASSWORD_Q = "How do I reset my password when my account is locked?"
FIREWALL_Q = "How do I request a firewall rule change?"


def answered(site, channel: str, thread_ts: str, after: int = 0) -> Posted:
    """The bot's reply in the thread once it stops looking (answer, decline or apology)."""

    def done() -> Posted | None:
        finals = [
            p
            for p in site.api.thread(channel, thread_ts)
            if any(p.block(k) for k in ("answer", "error", "timeout", "unavailable"))
        ]
        return finals[after] if len(finals) > after else None

    return site.api.wait_for(done, what=f"an answer in {channel}:{thread_ts}")


def as_delivered(posted: Posted) -> dict:
    """The message as Slack puts it in a click's payload."""
    return copy.deepcopy(
        {
            "type": "message",
            "ts": posted.ts,
            "thread_ts": posted.thread_ts,
            "text": posted.text,
            "blocks": posted.blocks,
            "bot_id": "BBOT0001",
        }
    )


def turns(site, channel: str, thread_ts: str):
    conversation = site.store.conversation_by_thread("slack", f"{channel}:{thread_ts}")
    assert conversation is not None
    return conversation, conversation.turns


def test_a_mention_is_answered_in_its_thread_with_sources_and_buttons(slack_site) -> None:
    started = time.monotonic()
    ts, response = slack_site.sender.mention(EMPLOYEE, "C0GENERAL", PASSWORD_Q)
    assert response.status_code == 200
    assert time.monotonic() - started < 3  # acknowledged within Slack's 3 seconds
    reply = answered(slack_site, "C0GENERAL", ts)
    first = slack_site.api.calls_to("chat.postMessage", channel="C0GENERAL", thread_ts=ts)
    assert len(first) == 1 and "Looking" in first[0].args["text"]  # the placeholder ...
    assert reply.updates >= 1  # ... replaced by chat.update with the answer
    assert reply.block("answer") and reply.block("ai")
    sources = reply.block("sources")["elements"][0]["text"]
    assert f"<{PUBLIC_URL}/articles/" in sources
    assert [e["action_id"] for e in reply.block("sd_feedback")["elements"]] == [
        RESOLVED,
        NOT_HELPFUL,
        ESCALATE,
    ]
    conversation, stored = turns(slack_site, "C0GENERAL", ts)
    assert conversation.user == EMPLOYEE and conversation.channel == "slack"
    assert [t.role for t in stored] == ["user", "assistant"]
    assert stored[1].answer["decision"] == "answered"


def test_a_direct_message_is_answered_in_a_thread(slack_site) -> None:
    ts, response = slack_site.sender.message(
        EMPLOYEE, "D0EMPLOYEE", "VPN이 연결되지 않아요", channel_type="im"
    )
    assert response.status_code == 200
    reply = answered(slack_site, "D0EMPLOYEE", ts)
    assert reply.thread_ts == ts and reply.block("answer")
    _, stored = turns(slack_site, "D0EMPLOYEE", ts)
    assert stored[1].answer["language"] == "ko"


def test_a_follow_up_in_the_thread_uses_its_history(slack_site) -> None:
    ts, _ = slack_site.sender.mention(EMPLOYEE, "C0GENERAL", "VPN이 연결되지 않아요")
    answered(slack_site, "C0GENERAL", ts)
    slack_site.sender.message(EMPLOYEE, "C0GENERAL", "맥에서는요?", thread_ts=ts)
    second = answered(slack_site, "C0GENERAL", ts, after=1)
    assert second.block("answer")
    _, stored = turns(slack_site, "C0GENERAL", ts)
    assert [t.role for t in stored] == ["user", "assistant", "user", "assistant"]
    assert "VPN" in stored[3].answer["query"]  # the short follow-up was read with its history


def test_someone_elses_chatter_in_the_thread_is_not_answered(slack_site) -> None:
    ts, _ = slack_site.sender.mention(EMPLOYEE, "C0GENERAL", PASSWORD_Q)
    answered(slack_site, "C0GENERAL", ts)
    slack_site.sender.message(STRANGER, "C0GENERAL", "same problem here", thread_ts=ts)
    slack_site.sender.message(EMPLOYEE, "C0GENERAL", "and on my phone?", thread_ts=ts)
    answered(slack_site, "C0GENERAL", ts, after=1)  # the asker's follow-up came after ...
    _, stored = turns(slack_site, "C0GENERAL", ts)
    assert [t.text for t in stored if t.role == "user"] == [PASSWORD_Q, "and on my phone?"]


def test_helpdesk_answers_in_the_askers_direct_messages(slack_site) -> None:
    response = slack_site.sender.command(EMPLOYEE, "Outlook keeps asking for my password")
    assert response.status_code == 200 and "direct messages" in response.text
    opened = slack_site.api.wait_for(
        lambda: slack_site.api.calls_to("conversations.open", users=EMPLOYEE), what="DM open"
    )
    assert opened
    question = slack_site.api.wait_for(
        lambda: [
            p for p in slack_site.api.top_level("D0EMPLOYEE") if "Outlook keeps" in p.all_text()
        ],
        what="the question posted in the DM",
    )[0]
    reply = answered(slack_site, "D0EMPLOYEE", question.ts)
    assert reply.thread_ts == question.ts
    conversation, _ = turns(slack_site, "D0EMPLOYEE", question.ts)
    assert conversation.user == EMPLOYEE


def test_helpdesk_without_a_question_explains_itself_and_posts_nothing(slack_site) -> None:
    before = len(slack_site.api.calls_to("conversations.open"))
    response = slack_site.sender.command(EMPLOYEE, "   ")
    assert response.status_code == 200 and "/helpdesk" in response.text
    assert len(slack_site.api.calls_to("conversations.open")) == before


def test_support_channels_get_top_level_questions_answered_and_chatter_ignored(
    slack_site,
) -> None:
    chatter, _ = slack_site.sender.message(EMPLOYEE, SUPPORT, "thanks all")
    elsewhere, _ = slack_site.sender.message(EMPLOYEE, "C0RANDOM1", PASSWORD_Q)
    ts, _ = slack_site.sender.message(EMPLOYEE, SUPPORT, PASSWORD_Q)
    assert answered(slack_site, SUPPORT, ts).block("answer")
    assert slack_site.api.thread(SUPPORT, chatter) == []
    assert slack_site.api.thread("C0RANDOM1", elsewhere) == []


def test_groups_apply_in_direct_messages_but_not_in_channels(slack_site) -> None:
    dm, _ = slack_site.sender.message(IT_STAFF, "D0ITSTAFF", FIREWALL_Q, channel_type="im")
    private = answered(slack_site, "D0ITSTAFF", dm)
    public_ts, _ = slack_site.sender.mention(IT_STAFF, "C0GENERAL", FIREWALL_Q)
    public = answered(slack_site, "C0GENERAL", public_ts)
    assert "KB-FW-001" in private.all_text()  # it-staff may read the firewall procedure ...
    assert "KB-FW-001" not in public.all_text()  # ... but not where everyone reads along
    _, stored = turns(slack_site, "C0GENERAL", public_ts)
    assert "KB-FW-001" not in stored[1].answer["retrieved"]


def test_feedback_buttons_are_recorded_once_and_only_for_the_asker(slack_site) -> None:
    ts, _ = slack_site.sender.mention(EMPLOYEE, "C0GENERAL", PASSWORD_Q)
    reply = answered(slack_site, "C0GENERAL", ts)
    conversation, stored = turns(slack_site, "C0GENERAL", ts)
    delivered = as_delivered(reply)  # as it was when the buttons were pressed
    slack_site.sender.click(STRANGER, "C0GENERAL", delivered, RESOLVED)
    slack_site.api.wait_for(
        lambda: slack_site.api.calls_to("chat.postEphemeral", user=STRANGER, thread_ts=ts),
        what="the stranger told no",
    )
    for _ in range(2):  # a double click counts once
        slack_site.sender.click(EMPLOYEE, "C0GENERAL", delivered, RESOLVED)

    def recorded():
        return [f for f in slack_site.store.feedback() if f.conversation_id == conversation.id]

    slack_site.api.wait_for(lambda: "Marked resolved" in reply.all_text(), what="thanks")
    votes = recorded()
    assert [(f.kind, f.turn_id, f.user, f.channel) for f in votes] == [
        ("resolved", stored[1].id, EMPLOYEE, "slack")
    ]
    assert reply.block("sd_feedback") is None  # the buttons gave way to the thank-you


def test_not_helpful_is_recorded_and_keeps_talk_to_a_person(slack_site) -> None:
    ts, _ = slack_site.sender.message(EMPLOYEE, "D0EMPLOYEE", PASSWORD_Q, channel_type="im")
    reply = answered(slack_site, "D0EMPLOYEE", ts)
    conversation, _ = turns(slack_site, "D0EMPLOYEE", ts)
    slack_site.sender.click(EMPLOYEE, "D0EMPLOYEE", as_delivered(reply), NOT_HELPFUL)
    slack_site.api.wait_for(lambda: "Thanks for the feedback" in reply.all_text(), what="thanks")
    kinds = [f.kind for f in slack_site.store.feedback() if f.conversation_id == conversation.id]
    assert kinds == ["not_helpful"]
    assert [e["action_id"] for e in reply.block("sd_feedback")["elements"]] == [ESCALATE]


def escalate(site, channel: str, ts: str, user: str = EMPLOYEE) -> dict:
    """Press Talk to a person under the thread's answer; the modal with the draft."""
    reply = answered(site, channel, ts)
    opened_before = len(site.api.calls_to("views.open"))
    site.sender.click(user, channel, as_delivered(reply), ESCALATE)
    opened = site.api.wait_for(
        lambda: site.api.calls_to("views.open")[opened_before:], what="views.open"
    )
    view_id = opened[0].result["view"]["id"]
    update = site.api.wait_for(
        lambda: site.api.calls_to("views.update", view_id=view_id), what="the draft in the modal"
    )
    view = update[-1].args["view"]
    return {**view, "id": view_id, "hash": "h2"}


def test_talk_to_a_person_files_the_edited_draft_and_confirms_it_in_the_thread(
    slack_site,
) -> None:
    ts, _ = slack_site.sender.mention(EMPLOYEE, "C0GENERAL", "VPN이 연결되지 않아요")
    view = escalate(slack_site, "C0GENERAL", ts)
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert "VPN" in fields["subject"]["initial_value"]  # the AI's draft, prefilled
    assert fields["summary"]["initial_value"]
    assert fields["category"]["initial_option"]["value"] in slack_site_categories()
    response = slack_site.sender.submit(EMPLOYEE, view, {"priority": "P2"})
    assert response.status_code == 200 and response.text == ""  # the modal closes
    conversation, _ = turns(slack_site, "C0GENERAL", ts)
    ticket = slack_site.store.ticket(conversation.ticket_number)
    assert (ticket.priority, ticket.channel, ticket.thread_ref) == (
        "P2",
        "slack",
        f"C0GENERAL:{ts}",
    )
    assert ticket.requester == "emp@corp.example" and ticket.transcript
    confirmation = slack_site.api.wait_for(
        lambda: [
            p for p in slack_site.api.thread("C0GENERAL", ts) if ticket.number in p.all_text()
        ],
        what="the confirmation",
    )[0]
    assert f"<{PUBLIC_URL}/tickets/{ticket.number}|{ticket.number}>" in confirmation.all_text()
    # Submitting again (a double click, a retry) never files a second ticket.
    assert slack_site.sender.submit(EMPLOYEE, view, {}).status_code == 200
    assert (
        len([t for t in slack_site.store.tickets(_all()) if t.thread_ref == ticket.thread_ref]) == 1
    )
    assert (
        len([p for p in slack_site.api.thread("C0GENERAL", ts) if ticket.number in p.all_text()])
        == 1
    )


def test_a_refused_draft_keeps_the_modal_open_with_the_reason(slack_site) -> None:
    ts, _ = slack_site.sender.message(EMPLOYEE, "D0EMPLOYEE", PASSWORD_Q, channel_type="im")
    view = escalate(slack_site, "D0EMPLOYEE", ts)
    response = slack_site.sender.submit(EMPLOYEE, view, {"subject": "   "})
    assert response.status_code == 200
    assert response.json()["response_action"] == "errors" and "subject" in response.json()["errors"]
    conversation, _ = turns(slack_site, "D0EMPLOYEE", ts)
    assert slack_site.store.conversation(conversation.id).ticket_number is None


def test_agent_replies_and_resolution_reach_the_thread(slack_site) -> None:
    ts, _ = slack_site.sender.mention(EMPLOYEE, "C0GENERAL", PASSWORD_Q)
    view = escalate(slack_site, "C0GENERAL", ts)
    slack_site.sender.submit(EMPLOYEE, view, {})
    conversation, _ = turns(slack_site, "C0GENERAL", ts)
    number = slack_site.store.conversation(conversation.id).ticket_number
    agent = Agent(slack_site)
    try:
        reply = agent.post(
            f"/api/v1/agent/tickets/{number}/reply",
            {"text": "Unlock it at <https://id.example> & sign in again"},
        )
        assert reply.status_code == 201, reply.text
        posted = slack_site.api.wait_for(
            lambda: [
                c
                for c in slack_site.api.calls_to(
                    "chat.postMessage", channel="C0GENERAL", thread_ts=ts
                )
                if "Unlock it" in c.args["text"]
            ],
            what="the agent's reply in the thread",
        )
        body = posted[0].args["blocks"][0]["text"]["text"]
        assert "&lt;https://id.example&gt; &amp; sign in again" in body  # shown as typed
        note = agent.post(f"/api/v1/agent/tickets/{number}/notes", {"text": "internal only"})
        assert note.status_code == 201
        resolved = agent.post(
            f"/api/v1/agent/tickets/{number}/resolve", {"resolution": "Unlocked the account"}
        )
        assert resolved.status_code == 200, resolved.text
    finally:
        agent.close()
    status = slack_site.api.wait_for(
        lambda: [
            p
            for p in slack_site.api.thread("C0GENERAL", ts)
            if "Unlocked the account" in p.all_text()
        ],
        what="the resolution in the thread",
    )[0]
    assert "resolved" in status.all_text()
    assert not any("internal only" in p.all_text() for p in slack_site.api.thread("C0GENERAL", ts))


def test_a_follow_up_while_the_ticket_is_open_goes_to_the_agent(slack_site) -> None:
    ts, _ = slack_site.sender.message(
        EMPLOYEE, "D0EMPLOYEE", "VPN이 연결되지 않아요", channel_type="im"
    )
    slack_site.sender.submit(EMPLOYEE, escalate(slack_site, "D0EMPLOYEE", ts), {})
    conversation, _ = turns(slack_site, "D0EMPLOYEE", ts)
    number = slack_site.store.conversation(conversation.id).ticket_number
    follow, _ = slack_site.sender.message(
        EMPLOYEE, "D0EMPLOYEE", "It started after the update", channel_type="im", thread_ts=ts
    )
    slack_site.api.wait_for(
        lambda: slack_site.api.calls_to("reactions.add", timestamp=follow),
        what="the follow-up marked as received",
    )
    ticket = slack_site.store.ticket(number)
    # Recorded through Casework as the web records it: the requester's own message.
    assert [(m.kind, m.author, m.text) for m in ticket.messages if m.kind == "employee"] == [
        ("employee", ticket.requester, "It started after the update")
    ]
    assert ticket.requester == "emp@corp.example"


def test_a_slack_retry_never_answers_twice(slack_site) -> None:
    event_id, ts = fresh_id("Ev"), fresh_ts()
    _, first = slack_site.sender.mention(
        EMPLOYEE, "C0GENERAL", PASSWORD_Q, ts=ts, event_id=event_id
    )
    _, retry = slack_site.sender.mention(
        EMPLOYEE, "C0GENERAL", PASSWORD_Q, ts=ts, event_id=event_id, retry=1
    )
    assert first.status_code == retry.status_code == 200
    answered(slack_site, "C0GENERAL", ts)
    # The same message also arrives as a plain message event (another event id): still once.
    slack_site.sender.event(
        {
            "type": "message",
            "user": EMPLOYEE,
            "channel": "C0GENERAL",
            "ts": ts,
            "text": f"<@UBOT0001> {PASSWORD_Q}",
            "channel_type": "channel",
        },
        retry=2,
    )
    _, late_retry = slack_site.sender.mention(
        EMPLOYEE, "C0GENERAL", PASSWORD_Q, ts=ts, event_id=event_id, retry=3
    )
    assert late_retry.status_code == 200
    calls = slack_site.api.calls_to("chat.postMessage", channel="C0GENERAL", thread_ts=ts)
    assert len(calls) == 1
    _, stored = turns(slack_site, "C0GENERAL", ts)
    assert len(stored) == 2


def test_a_redelivered_command_is_answered_once(slack_site) -> None:
    trigger, question = fresh_id("tr."), f"Wi-Fi keeps dropping {fresh_id('')}"
    for retry in (None, 1):
        response = slack_site.sender.command(IT_STAFF, question, trigger_id=trigger, retry=retry)
        assert response.status_code == 200
    posted = slack_site.api.wait_for(
        lambda: [p for p in slack_site.api.top_level("D0ITSTAFF") if question in p.all_text()],
        what="the question in the DM",
    )
    answered(slack_site, "D0ITSTAFF", posted[0].ts)
    assert len([p for p in slack_site.api.top_level("D0ITSTAFF") if question in p.all_text()]) == 1


@pytest.mark.parametrize(
    ("how", "kw"),
    [
        ("wrong secret", {"secret": "not-the-secret"}),
        ("stale timestamp", {"timestamp": int(time.time()) - 600}),
    ],
)
def test_a_bad_or_stale_signature_is_refused_and_nothing_is_posted(slack_site, how, kw) -> None:
    ts, response = slack_site.sender.mention(EMPLOYEE, "C0GENERAL", PASSWORD_Q, **kw)
    assert response.status_code == 401, how
    click = slack_site.sender.command(EMPLOYEE, PASSWORD_Q, **kw)
    assert click.status_code == 401
    assert slack_site.api.calls_to("chat.postMessage", channel="C0GENERAL", thread_ts=ts) == []
    assert slack_site.store.conversation_by_thread("slack", f"C0GENERAL:{ts}") is None


def test_rate_limits_are_retried_after_retry_after(slack_site) -> None:
    slack_site.api.fail_next("chat.postMessage", 429, retry_after=0, channel="C0RATELIM")
    ts, _ = slack_site.sender.mention(EMPLOYEE, "C0RATELIM", PASSWORD_Q)
    assert answered(slack_site, "C0RATELIM", ts).block("answer")
    statuses = [c.status for c in slack_site.api.calls_to("chat.postMessage", channel="C0RATELIM")]
    assert statuses == [429, 200]  # refused once, retried, posted once


def test_with_the_llm_down_a_fallback_answer_is_still_posted(llm_down_site) -> None:
    ts, _ = llm_down_site.sender.mention(EMPLOYEE, "C0LLMDOWN", PASSWORD_Q)
    reply = answered(llm_down_site, "C0LLMDOWN", ts)
    assert reply.block("answer") and reply.block("sd_feedback")
    assert "AI model is not available" in reply.all_text()
    _, stored = turns(llm_down_site, "C0LLMDOWN", ts)
    assert (stored[1].answer["backend"], stored[1].answer["fallback_reason"]) == (
        "extractive",
        "llm_unavailable",
    )


def _all():
    from bot.tickets.records import TicketQuery

    return TicketQuery(statuses=(), limit=1000)


def slack_site_categories() -> set[str]:
    from bot.settings import DEFAULT_GROUPS

    return set(DEFAULT_GROUPS)
