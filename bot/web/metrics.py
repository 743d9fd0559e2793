"""``/metrics``: the app's Prometheus metrics (``bot.observability.Metrics``).

They hold no personal data (counts by route template, decision, backend, reason, channel), but
they tell traffic, error rates and the knowledge base's size, and a scrape costs a little: with
``SERVICEDESK_METRICS_TOKEN`` set a scraper sends ``Authorization: Bearer <token>`` from
anywhere; without it only loopback clients are served (after the trusted proxies' forwarded
address: a public request relayed by the local reverse proxy is not loopback).
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.web.deps import ServicesDep

router = APIRouter(tags=["health"], include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request, services: ServicesDep) -> Response:
    """The metrics in Prometheus' text format, to whoever may read them."""
    check_scraper(request, services.config.bot.metrics_token.get_secret_value())
    return Response(services.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def check_scraper(request: Request, token: str) -> None:
    """Return when the request may read the metrics; raise 401 (token set, not sent) or 403."""
    if token:
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            sent.strip().encode(), token.encode()
        ):
            raise HTTPException(
                401, "metrics need a bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        return
    if not is_loopback(request.client.host if request.client else ""):
        raise HTTPException(
            403, "metrics are served to loopback clients only; set SERVICEDESK_METRICS_TOKEN"
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
