"""Block Kit for everything the bot posts: answers, declines, errors, tickets, agent replies.

Each builder returns a :class:`SlackMessage` (fallback ``text`` + ``blocks``), pure data that
``chat.postMessage`` / ``chat.update`` take as keyword arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.desk.answer import Answer, Citation
from bot.slack.mrkdwn import escape, link, to_mrkdwn
from bot.slack.texts import say
from bot.tickets.records import Ticket, TicketMessage

SECTION_LIMIT = 3000  # Slack's limit on one section's text
FALLBACK_LIMIT = 2900
RESOLVED, NOT_HELPFUL, ESCALATE = "sd_resolved", "sd_not_helpful", "sd_escalate"
FEEDBACK_BLOCK = "sd_feedback"


@dataclass
class SlackMessage:
    """A message to post: the notification text and its blocks."""

    text: str
    blocks: list[dict] = field(default_factory=list)

    def kwargs(self) -> dict:
        """Keyword arguments for ``chat.postMessage`` / ``chat.update``."""
        return {"text": self.text, "blocks": self.blocks}


@dataclass(frozen=True)
class ButtonRef:
    """What a button acts on: the conversation and, for feedback, the answer's turn."""

    conversation_id: int
    turn_id: int | None = None

    def value(self) -> str:
        """The button's ``value`` (Slack hands it back on click)."""
        return json.dumps({"c": self.conversation_id, "t": self.turn_id})

    @classmethod
    def parse(cls, value: str) -> ButtonRef:
        """The ref in a button's ``value``; ValueError when it is not one of ours."""
        data = json.loads(value or "{}")
        conversation, turn = data.get("c"), data.get("t")
        if not isinstance(conversation, int) or not (turn is None or isinstance(turn, int)):
            raise ValueError(f"not a servicedesk button value: {value!r}")
        return cls(conversation, turn)


def absolute(url: str, base: str) -> str:
    """``url`` as an absolute link (relative ones joined to ``base``); empty when impossible."""
    url = (url or "").strip()
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("/") and base:
        return base.rstrip("/") + url
    return ""


def fallback(text: str) -> str:
    """Notification text: escaped (never parsed as markup) and short enough."""
    text = " ".join(text.split())
    if len(text) > FALLBACK_LIMIT:
        text = text[: FALLBACK_LIMIT - 1] + "…"
    return escape(text)


def sections(mrkdwn: str, block_id: str = "") -> list[dict]:
    """``mrkdwn`` as section blocks, split between lines to stay under Slack's limit."""
    chunks: list[str] = []
    for line in mrkdwn.split("\n"):
        while len(line) > SECTION_LIMIT:  # one enormous line: cut it
            chunks.append(line[:SECTION_LIMIT])
            line = line[SECTION_LIMIT:]
        if chunks and len(chunks[-1]) + 1 + len(line) <= SECTION_LIMIT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks if c]
    if block_id and blocks:
        blocks[0]["block_id"] = block_id
    return blocks


def context(mrkdwn: str, block_id: str = "") -> dict:
    """A small grey line."""
    block = {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:SECTION_LIMIT]}]}
    if block_id:
        block["block_id"] = block_id
    return block


def button(label: str, action_id: str, value: str, style: str = "") -> dict:
    """A button; ``style`` primary or danger."""
    element = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def feedback_buttons(ref: ButtonRef, language: str, with_feedback: bool = True) -> dict:
    """Resolved / Not helpful / Talk to a person (or only the last)."""
    value = ref.value()
    elements = []
    if with_feedback:
        elements += [
            button(say("resolved", language), RESOLVED, value, "primary"),
            button(say("not_helpful", language), NOT_HELPFUL, value),
        ]
    elements.append(
        button(say("escalate", language), ESCALATE, value, "" if with_feedback else "primary")
    )
    return {"type": "actions", "block_id": FEEDBACK_BLOCK, "elements": elements}


def source_line(label: str, citations: list[Citation], base_url: str) -> str:
    """``*Sources:* [1] Title — Section · ...`` with each title a link when it has one."""
    items = []
    for c in citations:
        title = c.title + (f" — {c.section}" if c.section else "")
        items.append(f"[{c.n}] " + link(absolute(c.link, base_url), title))
    return f"*{escape(label)}:* " + " · ".join(items)


def looking(language: str) -> SlackMessage:
    """The placeholder posted at once and replaced by the answer."""
    text = say("looking", language)
    return SlackMessage(text, [context(escape(text))])


def answer_message(answer: Answer, ref: ButtonRef, base_url: str = "") -> SlackMessage:
    """The Desk's answer (or decline) with sources, the AI label and the buttons."""
    language = answer.language
    urls = {c.n: absolute(c.link, base_url) for c in answer.citations}
    blocks = sections(to_mrkdwn(answer.text, {n: u for n, u in urls.items() if u}), "answer")
    if answer.answered:
        if answer.citations:
            blocks.append(
                context(
                    source_line(say("sources", language), answer.citations, base_url), "sources"
                )
            )
        blocks.append(context(escape(say("ai_generated", language)), "ai"))
        blocks.append(feedback_buttons(ref, language))
    else:
        if answer.related:
            blocks.append(
                context(source_line(say("related", language), answer.related, base_url), "sources")
            )
        if answer.offer_ticket:
            blocks.append(feedback_buttons(ref, language, with_feedback=False))
    return SlackMessage(fallback(answer.text), blocks)


def problem_message(kind: str, language: str, ref: ButtonRef | None) -> SlackMessage:
    """A short apology (``error``, ``timeout`` or ``unavailable``) offering a ticket when one
    can be filed (there is a conversation to file it from)."""
    text = say(kind, language)
    blocks = sections(escape(text), kind)
    if ref is not None:
        blocks.append(feedback_buttons(ref, language, with_feedback=False))
    return SlackMessage(fallback(text), blocks)


def feedback_given(
    blocks: list[dict], note: str, ref: ButtonRef, language: str, keep_escalation: bool
) -> list[dict]:
    """The answer's blocks with its buttons replaced by ``note`` (and Talk to a person kept)."""
    kept = [b for b in blocks if b.get("block_id") != FEEDBACK_BLOCK]
    kept.append(context(note, "feedback_note"))
    if keep_escalation:
        kept.append(feedback_buttons(ref, language, with_feedback=False))
    return kept


def ticket_link(ticket: Ticket, base_url: str) -> str:
    """The ticket's number, linked to its web page when the public URL is known."""
    url = f"{base_url.rstrip('/')}/tickets/{ticket.number}" if base_url else ""
    return link(url, ticket.number)


def ticket_filed(ticket: Ticket, language: str, base_url: str = "") -> SlackMessage:
    """The confirmation posted in the thread once the ticket exists."""
    text = say(
        "ticket_filed",
        language,
        ticket=ticket_link(ticket, base_url),
        subject=escape(ticket.subject),
    )
    return SlackMessage(fallback(f"{ticket.number}: {ticket.subject}"), sections(text, "ticket"))


def agent_reply(
    ticket: Ticket, message: TicketMessage, language: str, base_url: str = ""
) -> SlackMessage:
    """An agent's reply from the console, quoted under who said it."""
    head = say(
        "agent_reply", language, agent=escape(message.author), ticket=ticket_link(ticket, base_url)
    )
    body = "\n".join(f">{escape(line)}" if line else ">" for line in message.text.splitlines())
    return SlackMessage(
        fallback(f"{ticket.number}: {message.text}"), sections(f"{head}\n{body}", "agent_reply")
    )


def status_change(ticket: Ticket, language: str, base_url: str = "") -> SlackMessage:
    """The ticket's new status (and its resolution, once resolved)."""
    status = say(f"status_{ticket.status}", language)
    text = say("status_changed", language, ticket=ticket_link(ticket, base_url), status=status)
    if ticket.status == "resolved" and ticket.resolution:
        quoted = "\n".join(f">{escape(line)}" for line in ticket.resolution.splitlines())
        text += f"\n*{escape(say('resolution', language))}*\n{quoted}"
    return SlackMessage(fallback(f"{ticket.number}: {status}"), sections(text, "status"))


def plain(text: str) -> SlackMessage:
    """A short notice in the bot's own words (escaped)."""
    return SlackMessage(fallback(text), sections(escape(text)))
