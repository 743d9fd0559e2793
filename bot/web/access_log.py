"""uvicorn's access log without query strings: ``/api/v1/search?q=...`` carries what employees
typed (personal data, secrets), so the log keeps the path only (issue 13)."""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG


class PathOnly(logging.Filter):
    """Drop the query string from uvicorn's access records (``client, method, path, version,
    status``); other records pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with :class:`PathOnly` on the access handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["path_only"] = {"()": PathOnly}
    config["handlers"]["access"].setdefault("filters", []).append("path_only")
    return config
