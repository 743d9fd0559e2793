"""What is kept for review: feedback on answers, the audit trail, drafted articles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.store import records
from bot.store.base import StoreBase, one_of, required
from bot.store.conversations import CHANNELS, FEEDBACK_KINDS
from bot.store.schema import ArticleDraftRow, AuditEventRow, ConversationRow, FeedbackRow
from bot.tickets.records import ArticleDraft, AuditEvent, Feedback, NotFound

DRAFT_STATUSES = ("pending", "approved", "rejected")
DRAFT_ACTIONS = {
    "pending": "draft.pending",
    "approved": "draft.approve",
    "rejected": "draft.reject",
}


class ReviewRecords(StoreBase):
    """Feedback, audit events and article drafts."""

    def add_feedback(self, feedback: Feedback) -> Feedback:
        """Keep an employee's verdict; NotFound when the conversation does not exist."""
        row = FeedbackRow(
            conversation_id=feedback.conversation_id,
            turn_id=feedback.turn_id,
            user=required(feedback.user, "user"),
            kind=one_of(feedback.kind, FEEDBACK_KINDS, "feedback kind"),
            channel=one_of(feedback.channel, CHANNELS, "channel"),
            created_at=feedback.created_at,
        )
        with self._write() as session:
            if session.get(ConversationRow, feedback.conversation_id) is None:
                raise NotFound(f"no conversation {feedback.conversation_id}")
            session.add(row)
            session.flush()
            return records.feedback(row)

    def feedback(self, since: datetime | None = None) -> list[Feedback]:
        """Every verdict given at/after ``since``, oldest first."""
        query = select(FeedbackRow).order_by(FeedbackRow.created_at, FeedbackRow.id)
        if since is not None:
            query = query.where(FeedbackRow.created_at >= since)
        with self._read() as session:
            return [records.feedback(r) for r in session.scalars(query)]

    def audit(self, event: AuditEvent) -> None:
        """Record an agent's or admin's action."""
        row = AuditEventRow(
            actor=required(event.actor, "actor"),
            action=required(event.action, "action"),
            target=event.target,
            detail=dict(event.detail),
            created_at=event.created_at,
        )
        with self._write() as session:
            session.add(row)

    def audit_events(self, limit: int = 200) -> list[AuditEvent]:
        """The latest audited actions, newest first."""
        query = select(AuditEventRow).order_by(
            AuditEventRow.created_at.desc(), AuditEventRow.id.desc()
        )
        with self._read() as session:
            return [records.audit_event(r) for r in session.scalars(query.limit(limit))]

    def add_draft(self, draft: ArticleDraft) -> ArticleDraft:
        """Propose an article (pending until an admin decides)."""
        row = ArticleDraftRow(
            title=required(draft.title, "title"),
            body=required(draft.body, "body"),
            author=required(draft.author, "author"),
            ticket_number=draft.ticket_number,
            status=one_of(draft.status, DRAFT_STATUSES, "draft status"),
            article_id=draft.article_id,
            created_at=draft.created_at,
        )
        with self._write() as session:
            session.add(row)
            session.flush()
            return records.draft(row)

    def drafts(self, status: str | None = "pending") -> list[ArticleDraft]:
        """Drafts in ``status`` (every draft when None), newest first."""
        query = select(ArticleDraftRow).order_by(ArticleDraftRow.id.desc())
        if status is not None:
            query = query.where(ArticleDraftRow.status == status)
        with self._read() as session:
            return [records.draft(r) for r in session.scalars(query)]

    def set_draft_status(
        self, draft_id: int, status: str, actor: str, article_id: str | None = None
    ) -> ArticleDraft:
        """Approve or reject a draft (audited as ``draft.approve`` / ``draft.reject``)."""
        one_of(status, DRAFT_STATUSES, "draft status")
        actor = required(actor, "actor")
        with self._write() as session:
            row = session.get(ArticleDraftRow, draft_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no draft {draft_id}")
            detail = {"before": row.status, "after": status, "article_id": article_id}
            row.status = status
            if article_id is not None:
                row.article_id = article_id
            session.add(
                AuditEventRow(
                    actor=actor,
                    action=DRAFT_ACTIONS[status],
                    target=str(draft_id),
                    detail=detail,
                    created_at=self._now(),
                )
            )
            session.flush()
            return records.draft(row)
