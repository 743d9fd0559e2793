"""Log records as JSON lines, each carrying the id of the request it was emitted in.

The web layer sets :data:`REQUEST_ID` for the length of a request (``bot.web.request_ids``);
every record emitted meanwhile, in the request's task or in the worker thread of a sync endpoint
(both copy the context), is stamped with it. Messages are written as their code formats them:
what employees typed is masked before it is logged (``bot.desk``), and request paths lose their
query strings (``bot.web.access_log``).
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
# Fields a record may carry through ``extra=`` that a JSON line keeps.
EXTRA_FIELDS = ("method", "route", "path", "status", "duration_ms", "client")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request_id and the
    request fields the access record carries; a traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
