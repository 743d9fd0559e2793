"""The answer's buttons: Resolved and Not helpful are recorded (analytics reads them); Talk to a
person opens the ticket modal prefilled with the AI's draft. Only the asker may press them."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import ESCALATE, NOT_HELPFUL, RESOLVED, ButtonRef, feedback_given
from bot.slack.events import parse_thread_ref
from bot.slack.modal import ModalContext, loading_view, ticket_view
from bot.slack.runtime import SlackBot
from bot.slack.texts import say
from bot.tickets.escalation import conversation_language, questions
from bot.tickets.records import Account, Conversation, NotFound, TicketDraft

log = logging.getLogger(__name__)
NOTES = {"resolved": "marked_resolved", "not_helpful": "marked_not_helpful"}


def register(app: App, bot: SlackBot) -> None:
    """Handle the three buttons under an answer."""

    def acknowledge(ack) -> None:
        ack()

    def record_resolved(body: dict) -> None:
        record_feedback(bot, body, "resolved")

    def record_not_helpful(body: dict) -> None:
        record_feedback(bot, body, "not_helpful")

    def open_ticket_modal(body: dict) -> None:
        open_modal(bot, body)

    app.action(RESOLVED)(ack=acknowledge, lazy=[record_resolved])
    app.action(NOT_HELPFUL)(ack=acknowledge, lazy=[record_not_helpful])
    app.action(ESCALATE)(ack=acknowledge, lazy=[open_ticket_modal])


def clicked(bot: SlackBot, body: dict) -> tuple[ButtonRef, Conversation] | None:
    """The button's conversation, if the one who clicked owns it; else tell them why not."""
    user = body["user"]["id"]
    try:
        ref = ButtonRef.parse(body["actions"][0].get("value", ""))
        conversation = bot.services.store.conversation(ref.conversation_id)
    except (ValueError, NotFound):
        ephemeral(bot, body, say("gone", "ko") + "\n" + say("gone", "en"))
        return None
    if conversation.user != user:
        ephemeral(bot, body, say("only_asker", conversation_language(conversation)))
        return None
    return ref, conversation


def record_feedback(bot: SlackBot, body: dict, kind: str) -> None:
    """Record the verdict once per answer and replace the buttons with a thank-you."""
    found = clicked(bot, body)
    if found is None:
        return
    ref, conversation = found
    if bot.services.store.claim_event(f"slack:feedback:{ref.conversation_id}:{ref.turn_id}:{kind}"):
        account = Account(username=conversation.user)
        bot.services.conversations.feedback(ref.conversation_id, account, kind, ref.turn_id)
    language = conversation_language(conversation)
    note = say(NOTES[kind], language, user=body["user"]["id"])
    message = body.get("message") or {}
    blocks = feedback_given(
        message.get("blocks") or [], note, ref, language, keep_escalation=kind == "not_helpful"
    )
    try:
        bot.client.chat_update(
            channel=body["channel"]["id"],
            ts=message.get("ts", ""),
            text=message.get("text") or note,
            blocks=blocks,
        )
    except SlackApiError as err:  # recorded already; the buttons just stay
        log.warning("chat.update after feedback failed: %s", err.response.get("error"))


def open_modal(bot: SlackBot, body: dict) -> None:
    """Open the loading modal at once (the trigger expires in 3 s), then swap the draft in."""
    found = clicked(bot, body)
    if found is None:
        return
    _, conversation = found
    language = conversation_language(conversation)
    if conversation.ticket_number:
        ticket = bot.services.store.ticket(conversation.ticket_number)
        status = say(f"status_{ticket.status}", language)
        ephemeral(bot, body, say("already_filed", language, ticket=ticket.number, status=status))
        return
    try:
        opened = bot.client.views_open(trigger_id=body["trigger_id"], view=loading_view(language))
    except SlackApiError as err:  # e.g. the trigger expired: say so, the button still works
        log.warning("views.open failed: %s", err.response.get("error"))
        ephemeral(bot, body, say("modal_failed", language))
        return
    view = opened["view"]
    draft = draft_for(bot, conversation)
    channel, thread_ts = parse_thread_ref(conversation.thread_ref) or (body["channel"]["id"], "")
    where = ModalContext(conversation.id, channel, thread_ts, draft.language or language)
    bot.client.views_update(
        view_id=view["id"], hash=view.get("hash"), view=ticket_view(draft, where, bot.groups)
    )


def draft_for(bot: SlackBot, conversation: Conversation) -> TicketDraft:
    """The AI's draft; a plain one from the questions if drafting fails (a ticket can always
    be filed)."""
    try:
        return bot.services.escalation.draft(conversation)
    except Exception:
        log.exception("drafting the ticket of conversation %s failed", conversation.id)
    asked = questions(conversation)
    language = conversation_language(conversation)
    subject = (asked[0] if asked else say("modal_title", language))[:120]
    return TicketDraft(subject, "\n".join(asked), "other", "P3", "", language)


def ephemeral(bot: SlackBot, body: dict, text: str) -> None:
    """Tell only the one who clicked."""
    message = body.get("message") or {}
    try:
        bot.client.chat_postEphemeral(
            channel=body["channel"]["id"],
            user=body["user"]["id"],
            text=text,
            thread_ts=message.get("thread_ts") or message.get("ts"),
        )
    except SlackApiError as err:
        log.warning("chat.postEphemeral failed: %s", err.response.get("error"))
