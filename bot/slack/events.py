"""What Slack delivers, read as plain data: questions in messages, thread refs, delivery keys.

Pure functions of the payloads (no Web API calls), so every rule is tested input -> output.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

# Messages people write; edits, joins, deletions and other bots' posts are not questions.
USER_SUBTYPES = (None, "file_share", "thread_broadcast")

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_QUESTION_WORDS = re.compile(
    r"^(how|what|why|where|when|who|which|can|could|is|are|do|does|did|should|would|will|"
    r"may|i can'?t|i cannot|my .* (is|are|does|doesn'?t|won'?t|can'?t))\b",
    re.IGNORECASE,
)
_TROUBLE = re.compile(
    r"(어떻게|어디서|어디에|무엇|뭔가요|왜 |안 ?돼|안 ?됩|안 ?되|방법|오류|에러|문의|도와|알려|"
    r"할 수 있|하나요|나요\b|까요\b|니까\b|인가요|은가요|는가요|"
    r"\berror\b|\bfails?\b|\bbroken\b|\bnot working\b|\bdoesn'?t work|\bhelp\b|\bissue\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Question:
    """A message the bot may answer: where it was written and where the answer goes."""

    channel: str
    user: str
    text: str
    ts: str
    thread_ts: str  # the thread the answer goes into (the message itself starts one)
    channel_type: str  # im | channel | group | mpim

    @property
    def thread_ref(self) -> str:
        """The conversation's key: ``CHANNEL:THREAD_TS``."""
        return thread_ref(self.channel, self.thread_ts)

    @property
    def private(self) -> bool:
        """A direct message: the only place the asker's groups apply."""
        return self.channel_type == "im"

    @property
    def top_level(self) -> bool:
        """Written in the channel itself, not inside a thread."""
        return self.thread_ts == self.ts


def thread_ref(channel: str, thread_ts: str) -> str:
    """The key of a Slack thread in the store: ``CHANNEL:THREAD_TS``."""
    return f"{channel}:{thread_ts}"


def parse_thread_ref(ref: str) -> tuple[str, str] | None:
    """``(channel, thread_ts)`` from ``CHANNEL:THREAD_TS``, or None when it is not one."""
    channel, _, thread_ts = (ref or "").partition(":")
    if not channel or not re.fullmatch(r"\d+\.\d+", thread_ts):
        return None
    return channel, thread_ts


def channel_type_of(channel: str, given: str | None = None) -> str:
    """The channel's type: as Slack said, else from its id (``D``: a direct message)."""
    if given:
        return given
    return "im" if channel.startswith("D") else "channel"


def slack_to_plain(text: str, bot_user_id: str = "") -> str:
    """Slack's message markup as the plain text a person meant (the bot's mention removed)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = _MENTION.sub(lambda m: f"@{m[1]}", text)
    text = _CHANNEL.sub(lambda m: f"#{m[1]}", text)
    text = _SPECIAL.sub(lambda m: f"@{m[1]}", text)
    text = _SUBTEAM.sub(lambda m: m[1] or "@group", text)
    text = _LINK.sub(_link_text, text)
    text = html.unescape(text)  # Slack escapes only &, < and >
    return re.sub(r"[ \t]+", " ", text).strip()


def _link_text(match: re.Match) -> str:
    url, label = match[1], match[2]
    if url.startswith("mailto:"):
        return label or url[len("mailto:") :]
    return f"{label} ({url})" if label and label != url else url


def mentions(text: str, user_id: str) -> bool:
    """Whether ``text`` @mentions ``user_id``."""
    return bool(user_id) and re.search(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>", text) is not None


def question_from_event(event: dict, bot_user_id: str = "") -> Question | None:
    """The question in a ``message`` or ``app_mention`` event, or None when there is none."""
    if event.get("subtype") not in USER_SUBTYPES or event.get("bot_id"):
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not (user and channel and ts) or user == bot_user_id:
        return None
    text = slack_to_plain(event.get("text") or "", bot_user_id)
    if not text:
        return None
    return Question(
        channel=channel,
        user=user,
        text=text,
        ts=ts,
        thread_ts=event.get("thread_ts") or ts,
        channel_type=channel_type_of(channel, event.get("channel_type")),
    )


def looks_like_question(text: str) -> bool:
    """Whether a top-level message in a support channel reads like a question or a problem."""
    text = text.strip()
    if len(text) < 4:
        return False
    if text.endswith(("?", "？")):
        return True
    return bool(_QUESTION_WORDS.match(text) or _TROUBLE.search(text))


def delivery_key(body: dict) -> str | None:
    """What makes a delivery unique across Slack's retries: the event id, or the trigger id of a
    click, submission or command (a second click has its own). None when there is neither."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"slack:event:{body['event_id']}"
    trigger = body.get("trigger_id")
    if trigger:
        kind = body.get("type") or ("command" if body.get("command") else "interaction")
        return f"slack:{kind}:{trigger}"
    return None
