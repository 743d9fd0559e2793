"""Messages: direct messages, @mentions, follow-ups in the bot's threads, and (optionally)
top-level questions in the support channels. Events are acknowledged at once; the answer is
worked out in a lazy listener."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.events import Question, looks_like_question, mentions, question_from_event
from bot.slack.runtime import SlackBot


def register(app: App, bot: SlackBot) -> None:
    """Answer mentions and the messages the bot should answer."""

    def acknowledge(ack) -> None:
        ack()

    def answer_mention(event: dict, context) -> None:
        question = question_from_event(event, context.bot_user_id or "")
        if question is not None:
            bot.responder.handle(question)

    def answer_message(event: dict, context) -> None:
        bot_user = context.bot_user_id or ""
        question = question_from_event(event, bot_user)
        if question is not None and should_answer(bot, question, event, bot_user):
            bot.responder.handle(question)

    app.event("app_mention")(ack=acknowledge, lazy=[answer_mention])
    app.event("message")(ack=acknowledge, lazy=[answer_message])


def should_answer(bot: SlackBot, question: Question, event: dict, bot_user: str) -> bool:
    """Whether a plain message (no app_mention of its own) is the bot's to answer."""
    if question.private:
        return True  # a direct message: every message is for the bot
    if mentions(event.get("text") or "", bot_user):
        return False  # the app_mention event of the same message answers it
    if not question.top_level:
        found = bot.services.store.conversation_by_thread("slack", question.thread_ref)
        return found is not None and found.user == question.user  # the asker follows up
    settings = bot.settings
    return (
        settings.answer_top_level
        and question.channel in settings.support_channels
        and looks_like_question(question.text)
    )
