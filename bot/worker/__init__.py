"""The task worker: the desk's background jobs on a maintained task queue (huey).

Jobs (:mod:`bot.worker.tasks`): the incident check (every ``incident_check_s``), delivery of the
outbox (agents' replies to Slack, every ``outbox_poll_s`` and whenever a reply is queued) and
retention (every ``retention_check_s``). The queue (:mod:`bot.worker.queue`) is huey on SQLite in
the data folder by default (no server: ``make run`` stays one command; processes on one host
share it) or on Redis (``SERVICEDESK_QUEUE_URL``; nodes on several hosts).

Where the jobs run (:mod:`bot.worker.runner`): ``SERVICEDESK_WORKER=embedded`` (the default)
runs them on threads of ``servicedesk serve``; ``external`` leaves them to ``servicedesk worker``
processes, ``serve`` only enqueuing wake-ups. ``serve``'s worker adds the queue to ``/readyz``
and ``/metrics`` through the services' seams. A layer above ``bot.wiring``: it runs the services.
"""

from __future__ import annotations

from bot.worker.queue import build_queue
from bot.worker.runner import Worker, serve_jobs
from bot.worker.tasks import Job, desk_jobs

__all__ = ["Job", "Worker", "build_queue", "desk_jobs", "serve_jobs"]
