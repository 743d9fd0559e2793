"""What Slack delivers, read as plain data: pure input -> output."""

from __future__ import annotations

import pytest

from bot.slack.events import (
    delivery_key,
    looks_like_question,
    mentions,
    parse_thread_ref,
    question_from_event,
    slack_to_plain,
    thread_ref,
)

pytestmark = [pytest.mark.unit, pytest.mark.slack]

BOT = "UBOT0001"


@pytest.mark.parametrize(
    ("markup", "plain"),
    [
        ("<@UBOT0001> VPN이 안 돼요", "VPN이 안 돼요"),
        ("<@UBOT0001|servicedesk> help", "help"),
        ("ask <@U0OTHER> about it", "ask @U0OTHER about it"),
        ("see <#C0GENERAL|general>", "see #general"),
        ("<!here> wifi down", "@here wifi down"),
        ("<!subteam^S0IT|@it-team> printer", "@it-team printer"),
        ("open <https://vpn.example.com|the portal>", "open the portal (https://vpn.example.com)"),
        ("open <https://vpn.example.com>", "open https://vpn.example.com"),
        ("mail <mailto:it@corp.example|it@corp.example>", "mail it@corp.example"),
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        ("  spaced   out\ttext ", "spaced out text"),
        ("비밀번호 &amp; OTP", "비밀번호 & OTP"),
    ],
)
def test_slack_markup_becomes_the_text_a_person_meant(markup: str, plain: str) -> None:
    assert slack_to_plain(markup, BOT) == plain


def test_a_mention_of_the_bot_is_recognised_with_or_without_a_label() -> None:
    assert mentions("<@UBOT0001> hi", BOT)
    assert mentions("hi <@UBOT0001|servicedesk>", BOT)
    assert not mentions("<@UBOT00012> hi", BOT)
    assert not mentions("hi", "")


def _event(**fields) -> dict:
    base = {"type": "message", "user": "U1", "channel": "C1", "ts": "1.000100", "text": "hello?"}
    return {**base, **fields}


def test_a_top_level_message_starts_its_own_thread() -> None:
    q = question_from_event(_event(channel_type="channel"), BOT)
    assert q is not None
    assert (q.thread_ts, q.thread_ref, q.top_level, q.private) == (
        "1.000100",
        "C1:1.000100",
        True,
        False,
    )


def test_a_reply_in_a_thread_keeps_the_thread() -> None:
    q = question_from_event(_event(thread_ts="0.000001", channel_type="channel"), BOT)
    assert q is not None and q.thread_ref == "C1:0.000001" and not q.top_level


def test_direct_messages_are_private_and_mentions_without_a_type_are_judged_by_id() -> None:
    assert question_from_event(_event(channel="D1", channel_type="im"), BOT).private
    mention = {k: v for k, v in _event(type="app_mention", channel="D9").items()}
    assert question_from_event(mention, BOT).private
    assert not question_from_event(_event(type="app_mention", channel="C9"), BOT).private


@pytest.mark.parametrize(
    "fields",
    [
        {"subtype": "message_changed"},
        {"subtype": "message_deleted"},
        {"subtype": "bot_message"},
        {"subtype": "channel_join"},
        {"bot_id": "B9"},
        {"user": BOT},
        {"user": None},
        {"text": "<@UBOT0001>"},
        {"text": "   "},
    ],
)
def test_edits_joins_bots_and_empty_messages_are_not_questions(fields: dict) -> None:
    assert question_from_event(_event(**fields), BOT) is None


def test_file_shares_and_broadcasts_are_questions_too() -> None:
    assert question_from_event(_event(subtype="file_share"), BOT) is not None
    assert question_from_event(_event(subtype="thread_broadcast"), BOT) is not None


@pytest.mark.parametrize(
    "text",
    [
        "How do I reset my password",
        "VPN won't connect?",
        "프린터가 안 돼요",
        "비밀번호를 어떻게 바꾸나요",
        "Outlook 오류가 납니다",
        "my laptop is not working",
        "Can someone help with MFA",
        "와이파이 연결 방법 알려주세요",
        "회의실 예약은 어디서 하나요",
    ],
)
def test_questions_and_problems_look_like_questions(text: str) -> None:
    assert looks_like_question(text)


@pytest.mark.parametrize(
    "text",
    ["thanks all", "감사합니다!", "ok", "lunch at noon", "회의 자료 공유드립니다", "👍", "done."],
)
def test_chatter_does_not_look_like_a_question(text: str) -> None:
    assert not looks_like_question(text)


def test_deliveries_are_keyed_by_event_id_or_trigger_id() -> None:
    assert delivery_key({"type": "event_callback", "event_id": "Ev1"}) == "slack:event:Ev1"
    assert delivery_key({"type": "block_actions", "trigger_id": "t1"}) == "slack:block_actions:t1"
    assert delivery_key({"type": "view_submission", "trigger_id": "t2"}) == (
        "slack:view_submission:t2"
    )
    assert delivery_key({"command": "/helpdesk", "trigger_id": "t3"}) == "slack:command:t3"
    assert delivery_key({"type": "url_verification", "challenge": "x"}) is None
    assert delivery_key({"type": "view_closed"}) is None


def test_thread_refs_round_trip_and_reject_what_is_not_one() -> None:
    ref = thread_ref("C1", "1700000001.000100")
    assert parse_thread_ref(ref) == ("C1", "1700000001.000100")
    for bad in ("", "C1", "C1:", ":1.2", "C1:abc", "web-chat"):
        assert parse_thread_ref(bad) is None
