"""What an operator watches: Prometheus metrics, readiness checks and request-scoped logs.

Built once per app by ``bot.wiring`` (no module-global registry: several apps in one test process
never share a counter) and read by the front ends (``/metrics``, ``/readyz``, the JSON logs).
"""

from bot.observability.metrics import Metrics
from bot.observability.readiness import Readiness

__all__ = ["Metrics", "Readiness"]
