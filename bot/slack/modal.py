"""The "Talk to a person" modal: the AI's draft ticket, editable, and reading it back.

``views.open`` must follow the click within Slack's 3 seconds, but the draft may take longer (the
LLM summarises), so a loading view opens first and ``views.update`` swaps the form in.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from bot.slack.texts import say
from bot.tickets.records import PRIORITIES, TicketDraft

CALLBACK_ID = "sd_ticket"
TEXT_LIMIT = 3000  # Slack's longest plain_text_input
FIELDS = ("subject", "summary", "category", "priority")


@dataclass(frozen=True)
class ModalContext:
    """Where the modal came from (kept in the view's ``private_metadata``)."""

    conversation_id: int
    channel: str
    thread_ts: str
    language: str = "ko"

    def dumps(self) -> str:
        """The view's ``private_metadata``."""
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> ModalContext:
        """Read ``private_metadata`` back; ValueError when it is not ours."""
        data = json.loads(text or "{}")
        if not isinstance(data.get("conversation_id"), int):
            raise ValueError("the modal carries no conversation")
        return cls(
            data["conversation_id"],
            str(data.get("channel", "")),
            str(data.get("thread_ts", "")),
            str(data.get("language", "ko")),
        )


def _plain(text: str, limit: int = 150) -> dict:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def _frame(language: str, blocks: list[dict], context: ModalContext | None) -> dict:
    view = {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain(say("modal_title", language), 24),
        "close": _plain(say("modal_cancel", language), 24),
        "blocks": blocks,
    }
    if context is not None:
        view["private_metadata"] = context.dumps()
    return view


def loading_view(language: str) -> dict:
    """What opens at once while the draft is written."""
    text = say("modal_loading", language)
    return _frame(language, [{"type": "section", "text": _plain(text, 3000)}], None)


def _option(value: str, label: str) -> dict:
    return {"text": _plain(label, 75), "value": value}


def _text_input(block: str, label: str, value: str, multiline: bool, limit: int) -> dict:
    element = {
        "type": "plain_text_input",
        "action_id": "value",
        "max_length": limit,
        "multiline": multiline,
        "initial_value": value[:limit],
    }
    return {"type": "input", "block_id": block, "label": _plain(label), "element": element}


def _select(block: str, label: str, options: list[dict], chosen: str) -> dict:
    element = {"type": "static_select", "action_id": "value", "options": options}
    initial = next((o for o in options if o["value"] == chosen), None)
    if initial is not None:
        element["initial_option"] = initial
    return {"type": "input", "block_id": block, "label": _plain(label), "element": element}


def ticket_view(draft: TicketDraft, context: ModalContext, groups: dict[str, str]) -> dict:
    """The editable draft: subject, summary, category (with its group) and priority."""
    lang = context.language
    categories = [_option(c, f"{c} — {g}" if g else c) for c, g in groups.items()]
    if draft.category not in groups:
        categories.append(_option(draft.category, draft.category))
    priorities = [_option(p, say(f"priority_{p}", lang)) for p in PRIORITIES]
    blocks = [
        {"type": "context", "elements": [{"type": "plain_text", "text": say("modal_note", lang)}]},
        _text_input("subject", say("field_subject", lang), draft.subject, False, 200),
        _text_input("summary", say("field_summary", lang), draft.summary, True, TEXT_LIMIT),
        _select("category", say("field_category", lang), categories, draft.category),
        _select("priority", say("field_priority", lang), priorities, draft.priority),
    ]
    view = _frame(lang, blocks, context)
    view["submit"] = _plain(say("modal_submit", lang), 24)
    return view


def read_submission(view: dict) -> tuple[TicketDraft, ModalContext]:
    """The draft as the employee submitted it, and where it came from."""
    context = ModalContext.loads(view.get("private_metadata", ""))
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str) -> str:
        field = (values.get(block) or {}).get("value") or {}
        chosen = field.get("selected_option") or {}
        return str(field.get("value") or chosen.get("value") or "")

    draft = TicketDraft(
        subject=value("subject"),
        summary=value("summary"),
        category=value("category"),
        priority=value("priority") or "P3",  # type: ignore[arg-type]
        group="",  # follows the category chosen
        language=context.language,
    )
    return draft, context


def field_errors(message: str) -> dict[str, str]:
    """Slack's ``response_action: errors`` for a refused draft: the message under its field."""
    lowered = message.lower()
    block = next((f for f in FIELDS if f in lowered), "subject")
    return {block: message[:150]}
