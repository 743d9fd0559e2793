"""The ticket modal's submission: checked and filed before the modal closes (a refused field shows
its error in the modal, nothing typed is lost), then confirmed in the thread with the ticket's
number and link."""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.slack.blocks import ticket_filed
from bot.slack.modal import CALLBACK_ID, field_errors, read_submission
from bot.slack.runtime import SlackBot
from bot.slack.texts import say
from bot.tickets.records import InvalidChange, NotFound, Ticket

log = logging.getLogger(__name__)


def register(app: App, bot: SlackBot) -> None:
    """File tickets from the modal."""

    def submit_ticket(ack, body: dict, view: dict) -> None:
        ticket = file_submission(bot, ack, body, view)
        if ticket is not None:
            confirm(bot, ticket, view)

    app.view(CALLBACK_ID)(submit_ticket)


def file_submission(bot: SlackBot, ack, body: dict, view: dict) -> Ticket | None:
    """Check and file the submitted draft, then close the modal; None (modal kept open with the
    reason) when it cannot be filed."""
    user = body["user"]["id"]
    try:
        draft, where = read_submission(view)
        conversation = bot.services.store.conversation(where.conversation_id)
        if conversation.user != user:
            raise NotFound("not this user's conversation")
        bot.services.escalation.checked(draft)
    except InvalidChange as err:
        ack(response_action="errors", errors=field_errors(str(err)))
        return None
    except (ValueError, NotFound):
        ack(response_action="errors", errors={"subject": say("gone", "en")})
        return None
    requester = bot.identity.user(user).email or user
    # One ticket per conversation: a second submission (another modal, a retry) gets the first.
    key = f"slack-conversation-{conversation.id}"
    ticket = bot.services.escalation.file(conversation, draft, requester, key)
    ack()
    return ticket


def confirm(bot: SlackBot, ticket: Ticket, view: dict) -> None:
    """Post the ticket's number and link in the thread (once per ticket)."""
    _, where = read_submission(view)
    if not bot.services.store.claim_event(f"slack:ticket-confirmed:{ticket.number}"):
        return
    message = ticket_filed(ticket, where.language, bot.base_url)
    if bot.responder.post(where.channel, where.thread_ts or None, message) is None:
        log.error("%s was filed but could not be confirmed in %s", ticket.number, where.channel)
