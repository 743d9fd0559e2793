"""The desk's jobs and their registration as huey tasks.

A :class:`Job` is a name, how often it runs and what it calls on the services. :class:`Tasks`
registers each as a huey task under its name (every process that enqueues or consumes registers
the same ones) and runs it at most once at a time per process: a check still running when its
next turn comes is not started twice. Running a job twice across processes does no harm: the
incident alerts are claimed once (``claim_event``), outbox rows are claimed with a lease,
retention deletes what is already gone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from huey import Huey

from bot.tickets.notify import Outbox, RetryPolicy
from bot.wiring import Services
from bot.worker.retention import Retention

log = logging.getLogger(__name__)
INCIDENTS, OUTBOX, RETENTION = "check_incidents", "deliver_outbox", "apply_retention"


@dataclass(frozen=True)
class Job:
    """A periodic job: ``run`` every ``every_s`` seconds (and whenever it is woken)."""

    name: str
    every_s: float
    run: Callable[[], object]


def desk_jobs(services: Services) -> list[Job]:
    """The incident check (when the knowledge base has an embedder), the outbox delivery and
    retention, on ``services`` and at the intervals their settings give."""
    bot = services.config.bot
    outbox = Outbox(services.store, services.notifiers, RetryPolicy.from_settings(bot))
    jobs = [
        Job(OUTBOX, bot.outbox_poll_s, outbox.deliver_due),
        Job(RETENTION, bot.retention_check_s, Retention(services.store, bot).apply),
    ]
    if services.incidents is not None:
        jobs.insert(0, Job(INCIDENTS, bot.incident_check_s, services.incidents.check))
    return jobs


class Tasks:
    """``jobs`` registered on ``huey``; :meth:`enqueue` puts one on the queue."""

    def __init__(self, huey: Huey, jobs: list[Job]):
        self.huey = huey
        self.jobs = list(jobs)
        self._tasks = {job.name: self._register(job) for job in self.jobs}

    def enqueue(self, name: str) -> None:
        """Queue the job called ``name`` (a job that waits longer than its interval expires:
        its next turn is queued by then)."""
        self._tasks[name]()

    def __contains__(self, name: str) -> bool:
        return name in self._tasks

    def _register(self, job: Job):
        busy = threading.Lock()

        def run() -> None:
            if not busy.acquire(blocking=False):
                log.debug("%s is still running: this turn is skipped", job.name)
                return
            started = time.monotonic()
            try:
                job.run()
            except Exception:  # logged; the job's next turn tries again
                log.exception("job %s failed", job.name)
            finally:
                busy.release()
            log.debug("%s took %.3f s", job.name, time.monotonic() - started)

        run.__doc__ = f"The {job.name} job."
        return self.huey.task(name=job.name, expires=max(job.every_s, 60))(run)
