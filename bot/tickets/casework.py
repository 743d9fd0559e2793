"""What agents do to tickets, front-end agnostic: every action goes through the store (which
audits it); what the employee should hear about (a reply, a new status) is queued in the same
transaction for the channel's notifier (the outbox, :mod:`bot.tickets.notify`), and the worker
delivers it: a channel that is down delays the message, never the agent or the message's loss."""

from __future__ import annotations

from bot.text.pii import mask_pii
from bot.tickets.notify import Notifiers
from bot.tickets.records import (
    OPEN_STATUSES,
    Account,
    ArticleDraft,
    AuditEvent,
    Conversation,
    InvalidChange,
    NotFound,
    Priority,
    Status,
    Ticket,
    TicketMessage,
    TicketStore,
)

PUBLIC_KINDS = ("reply", "status", "employee")


def public_messages(ticket: Ticket) -> list[TicketMessage]:
    """What the requester may read on a ticket: never the agents' internal notes."""
    return [m for m in ticket.messages if m.kind in PUBLIC_KINDS]


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidChange(f"{what} must not be empty")
    return value


class Casework:
    """Replies, notes, status/priority/group changes, resolution, reopening, article drafts."""

    def __init__(self, store: TicketStore, notifiers: Notifiers | None = None):
        self.store = store
        self.notifiers = notifiers or Notifiers()

    def requester_ticket(self, number: str, account: Account) -> Ticket:
        """The ticket if ``account`` asked for it; NotFound otherwise (never someone else's)."""
        ticket = self.store.ticket(number)
        if ticket.requester != account.username:
            raise NotFound(f"no ticket {number}")
        return ticket

    def reply(self, number: str, agent: Account, text: str) -> TicketMessage:
        """Answer the employee (they see it in the web chat or their Slack thread)."""
        return self._say(number, agent, "reply", _text(text, "the reply"))

    def note(self, number: str, agent: Account, text: str) -> TicketMessage:
        """Leave an internal note that only agents see."""
        return self._say(number, agent, "note", _text(text, "the note"))

    def employee_message(self, number: str, account: Account, text: str) -> TicketMessage:
        """Add the requester's own message to their ticket."""
        return self._employee_says(self.requester_ticket(number, account), text)

    def follow_up(self, conversation: Conversation, text: str) -> TicketMessage | None:
        """Add a follow-up in ``conversation`` to its ticket while that is open (the agent reads
        it); None when there is no ticket or it is resolved or closed (the Desk answers)."""
        if not conversation.ticket_number:
            return None
        try:
            ticket = self.store.ticket(conversation.ticket_number)
        except NotFound:
            return None
        if ticket.status not in OPEN_STATUSES:
            return None
        return self._employee_says(ticket, text)

    def update(
        self,
        number: str,
        agent: Account,
        *,
        status: Status | None = None,
        priority: Priority | None = None,
        group: str | None = None,
        category: str | None = None,
    ) -> Ticket:
        """Change status, priority, group or category (the store audits and recomputes SLA)."""
        before = self.store.ticket(number)
        ticket = self.store.update_ticket(
            number,
            agent.username,
            status=status,
            priority=priority,
            group=group or None,
            category=category or None,
            deliver_to=self.notifiers.deliver_to("status"),
        )
        if ticket.status != before.status:
            self._queued(ticket)
        return ticket

    def resolve(self, number: str, agent: Account, resolution: str) -> Ticket:
        """Resolve with a resolution text (required)."""
        resolution = _text(resolution, "the resolution")
        told = self.notifiers.deliver_to("status")
        ticket = self.store.resolve(number, agent.username, resolution, deliver_to=told)
        self._queued(ticket)
        return ticket

    def reopen(self, number: str, account: Account, reason: str = "") -> Ticket:
        """Reopen a resolved or closed ticket (an agent, or the requester themself)."""
        if account.role == "employee":
            self.requester_ticket(number, account)
        reason = mask_pii(reason.strip()).text
        told = self.notifiers.deliver_to("status")
        ticket = self.store.reopen(number, account.username, reason, deliver_to=told)
        self._queued(ticket)
        return ticket

    def draft_article(self, number: str, agent: Account, title: str, body: str) -> ArticleDraft:
        """Propose a knowledge article from the ticket; it waits in the admin's review queue."""
        ticket = self.store.ticket(number)
        draft = ArticleDraft(
            title=_text(title or ticket.subject, "the title"),
            body=_text(body or ticket.resolution, "the article text"),
            author=agent.username,
            ticket_number=ticket.number,
        )
        saved = self.store.add_draft(draft)
        self.store.audit(
            AuditEvent(agent.username, "draft.create", ticket.number, {"draft_id": saved.id})
        )
        return saved

    def _employee_says(self, ticket: Ticket, text: str) -> TicketMessage:
        # Whichever front end it came from, it is recorded as the requester's own message.
        # Stored masked, like the conversation's turns: agents and analytics read it.
        text = mask_pii(_text(text, "the message")).text
        message = TicketMessage("employee", ticket.requester, text)
        return self.store.add_message(ticket.number, message)

    def _say(self, number: str, agent: Account, kind: str, text: str) -> TicketMessage:
        said = TicketMessage(kind, agent.username, text)  # type: ignore[arg-type]
        told = self.notifiers.deliver_to(kind)
        message = self.store.add_message(number, said, deliver_to=told)
        if told:  # queued when the ticket's channel is one of them: wake the delivery anyway
            self.notifiers.queued()
        return message

    def _queued(self, ticket: Ticket) -> None:
        """Wake the outbox delivery when the new status was queued for ``ticket``'s channel."""
        if ticket.channel in self.notifiers.deliver_to("status"):
            self.notifiers.queued()
