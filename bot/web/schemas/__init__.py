"""Response models of the /api/v1 JSON API, as the routes return them today.

The routes still build plain dicts (``bot.web.views`` and friends); these models document and
check those dicts (``response_model=``) so /api/v1/openapi.json describes every response. Times
are ISO 8601 strings, and fields a route adds later pass through (see ``ApiModel``).
"""

from bot.web.schemas.admin import (
    ArticleDetail,
    ArticleDraft,
    ArticleEntry,
    ArticleList,
    AuditEvent,
    Dashboard,
    Deleted,
    DraftApproved,
    DraftRejected,
    Figures,
    FileResult,
    FileResults,
)
from bot.web.schemas.answers import Answer, Citation, Hit, SearchResults
from bot.web.schemas.base import TAGS, ApiModel, Error, Invalid, errors, event_stream
from bot.web.schemas.chat import (
    Account,
    AlreadyFiled,
    Asked,
    Conversation,
    ConversationSummary,
    Draft,
    FeedbackSaved,
    Session,
    TicketDraft,
    Updates,
)
from bot.web.schemas.tickets import Message, MyTicket, MyTicketStatus, ProposedArticle, Ticket

__all__ = [
    "TAGS",
    "Account",
    "AlreadyFiled",
    "Answer",
    "ApiModel",
    "ArticleDetail",
    "ArticleDraft",
    "ArticleEntry",
    "ArticleList",
    "Asked",
    "AuditEvent",
    "Citation",
    "Conversation",
    "ConversationSummary",
    "Dashboard",
    "Deleted",
    "Draft",
    "DraftApproved",
    "DraftRejected",
    "Error",
    "FeedbackSaved",
    "Figures",
    "FileResult",
    "FileResults",
    "Hit",
    "Invalid",
    "Message",
    "MyTicket",
    "MyTicketStatus",
    "ProposedArticle",
    "SearchResults",
    "Session",
    "Ticket",
    "TicketDraft",
    "Updates",
    "errors",
    "event_stream",
]
