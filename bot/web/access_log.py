"""``serve``'s logging: uvicorn's access log without query strings, or JSON lines.

``/api/v1/search?q=...`` carries what employees typed (personal data, secrets), so no log keeps a
query string (issue 13): the text access log goes through :class:`PathOnly`; in JSON the request
record (``bot.web.request_ids``) holds the path alone, with the route template, status,
duration and request id.
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Literal

from uvicorn.config import LOGGING_CONFIG

LogFormat = Literal["text", "json"]


class PathOnly(logging.Filter):
    """Drop the query string from uvicorn's access records (``client, method, path, version,
    status``); other records pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def log_config(log_format: LogFormat = "text") -> dict[str, Any]:
    """uvicorn's logging configuration: its own (text, the access log through
    :class:`PathOnly`), or every logger as JSON lines on stderr (``json``)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["path_only"] = {"()": PathOnly}
    config["handlers"]["access"].setdefault("filters", []).append("path_only")
    if log_format == "json":
        return _as_json(config)
    # The request records repeat uvicorn's access log in text: JSON lines only.
    config["loggers"]["bot.web.access"] = {"level": "WARNING"}
    return config


def _as_json(config: dict[str, Any]) -> dict[str, Any]:
    config["formatters"]["json"] = {"()": "bot.observability.logs.JsonFormatter"}
    for handler in config["handlers"].values():
        handler["formatter"] = "json"
    # One record per request comes from bot.web.request_ids (with its id and duration);
    # uvicorn's access line would repeat it without them.
    config["loggers"]["uvicorn.access"] = {"handlers": [], "level": "WARNING", "propagate": False}
    config["root"] = {"handlers": ["default"], "level": "INFO"}
    return config
