"""uvicorn's access log keeps paths, never query strings (issue 13)."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest

from bot.web.access_log import log_config

pytestmark = pytest.mark.unit


def test_the_access_log_writes_the_path_without_the_query() -> None:
    out = io.StringIO()
    config = log_config()
    config["handlers"]["access"]["stream"] = out
    config["loggers"] = {"uvicorn.access": config["loggers"]["uvicorn.access"]}  # only this one
    logger = logging.getLogger("uvicorn.access")
    saved = (logger.handlers[:], logger.filters[:], logger.level, logger.propagate)
    try:
        logging.config.dictConfig(config)
        # The call uvicorn's HTTP protocols make for every response.
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "10.0.0.7:52100",
            "GET",
            "/api/v1/search?q=%EB%B9%84%EB%B0%80%EB%B2%88%ED%98%B8+Summer2024",
            "1.1",
            200,
        )
        logger.info('%s - "%s %s HTTP/%s" %d', "10.0.0.7:52100", "GET", "/healthz", "1.1", 200)
    finally:
        logger.handlers[:], logger.filters[:] = saved[0], saved[1]
        logger.setLevel(saved[2])
        logger.propagate = saved[3]
    written = out.getvalue()
    assert '"GET /api/v1/search HTTP/1.1" 200' in written
    assert '"GET /healthz HTTP/1.1" 200' in written
    assert "?q=" not in written and "Summer2024" not in written
