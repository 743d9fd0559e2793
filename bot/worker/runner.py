"""Running the jobs: huey's consumer (bounded worker threads) with a ticker that enqueues each
job on its interval.

huey's own periodic tasks have minute resolution (crontab); the incident check and the outbox
poll run every few seconds, so the consumer's scheduler thread is replaced by :class:`Ticker`,
which does what huey's scheduler does (moves due scheduled tasks to the queue) and also enqueues
each :class:`~bot.worker.tasks.Job` when its interval has passed.

``servicedesk worker`` calls :meth:`Worker.run` in its main thread: SIGTERM (what ``docker stop``
and systemd send) and SIGINT stop it gracefully, the running jobs finishing within
``worker_stop_s``. ``serve`` calls :func:`serve_jobs`: with ``SERVICEDESK_WORKER=embedded`` the
same consumer runs on threads of the web process (:meth:`Worker.start`, :meth:`Worker.stop`),
with ``external`` nothing runs there and replies only wake the external workers.
"""

from __future__ import annotations

import logging
import signal
import time

from huey import Huey
from huey.consumer import Consumer, Scheduler

from bot.wiring import Services
from bot.worker.queue import build_queue, describe
from bot.worker.tasks import OUTBOX, Job, Tasks, desk_jobs

log = logging.getLogger(__name__)
POLL_S = 1.0  # longest idle wait of a worker thread between looks at the queue


class Ticker(Scheduler):
    """huey's scheduler, also enqueueing every job whose interval has passed (each job runs
    once at start, then every ``every_s``)."""

    def __init__(self, huey: Huey, stop_flag, interval: float, periodic: bool, tasks: Tasks):
        super().__init__(huey, stop_flag, interval, periodic)
        self.tasks = tasks
        self._due = {job.name: time.monotonic() for job in tasks.jobs}

    def loop(self, now=None) -> None:
        """Enqueue the due jobs, then do huey's scheduling (which sleeps until the next turn)."""
        self.tick(time.monotonic())
        super().loop(now)

    def tick(self, clock: float) -> None:
        """Enqueue each job due at monotonic time ``clock``."""
        for job in self.tasks.jobs:
            if clock < self._due[job.name]:
                continue
            self._due[job.name] = clock + job.every_s
            try:
                self.tasks.enqueue(job.name)
            except Exception:  # the queue is down: the next turn tries again
                log.exception("could not enqueue %s", job.name)


class DeskConsumer(Consumer):
    """huey's consumer on threads, with :class:`Ticker` as its scheduler; signal handlers only
    when asked (a consumer inside ``serve`` leaves signals to the web server)."""

    def __init__(self, tasks: Tasks, workers: int, stop_s: float, signals: bool):
        self._tasks = tasks
        self._signals = signals
        # huey logs every task it runs at INFO: jobs every few seconds would drown the log. Its
        # consumer's start and stop lines stay; a job's failure is logged by Tasks.
        logging.getLogger("huey").setLevel(logging.WARNING)
        logging.getLogger("huey.consumer").setLevel(logging.INFO)
        super().__init__(
            tasks.huey,
            workers=workers,
            periodic=False,  # no crontab tasks: the ticker schedules the jobs
            worker_type="thread",
            max_delay=POLL_S,
            graceful_signal="TERM",
            shutdown_timeout=stop_s,
        )
        # Both stop gracefully (a second one stops at once); no SIGHUP re-exec.
        self._signal_actions = {signal.SIGTERM: (False, True), signal.SIGINT: (False, True)}

    def _create_scheduler(self) -> Ticker:
        return Ticker(self.huey, self.stop_flag, self.scheduler_interval, False, self._tasks)

    def _set_signal_handlers(self) -> None:
        if self._signals:
            super()._set_signal_handlers()


class Worker:
    """The desk's jobs on the configured queue (``huey`` and ``jobs`` replace them in tests).

    Registers itself with the services' notifiers: a queued reply enqueues the outbox job at
    once, whichever process consumes it.
    """

    def __init__(self, services: Services, huey: Huey | None = None, jobs: list[Job] | None = None):
        bot, data_dir = services.config.bot, services.config.app.data_dir
        self.huey = huey if huey is not None else build_queue(bot, data_dir)
        self.tasks = Tasks(self.huey, desk_jobs(services) if jobs is None else jobs)
        self.threads = bot.worker_threads
        self.stop_s = bot.worker_stop_s
        self.where = describe(bot, data_dir) if huey is None else type(huey.storage).__name__
        self._consumer: DeskConsumer | None = None
        self._store = services.store
        services.notifiers.on_queued(self.wake)

    def ready(self) -> str:
        """A readiness probe: raises when the queue does not answer, else says what waits."""
        waiting = self.huey.pending_count()
        outbox = self._store.outbox_counts()
        return (
            f"{self.where}: {waiting} jobs waiting; outbox {outbox['pending']} pending, "
            f"{outbox['failed']} failed"
        )

    def depth(self) -> dict[str, int]:
        """What waits, for ``servicedesk_queue_depth``: queued jobs, replies not yet delivered."""
        outbox = self._store.outbox_counts()
        return {"jobs": self.huey.pending_count(), "outbox": outbox["pending"] + outbox["sending"]}

    def describe(self) -> str:
        """One line: the queue, the threads, each job and its interval."""
        jobs = ", ".join(f"{j.name} every {j.every_s:g} s" for j in self.tasks.jobs)
        return f"queue {self.where}, {self.threads} threads; {jobs}"

    def wake(self) -> None:
        """Enqueue the outbox delivery now (an agent's reply was queued)."""
        if OUTBOX in self.tasks:
            self.tasks.enqueue(OUTBOX)

    def run(self) -> None:
        """Consume in this (main) thread until SIGTERM or SIGINT; running jobs finish first."""
        self._consumer = DeskConsumer(self.tasks, self.threads, self.stop_s, signals=True)
        self._consumer.run()

    def run_once(self) -> None:
        """Run every job once, here and now, in order (no queue involved)."""
        for job in self.tasks.jobs:
            log.info("running %s", job.name)
            job.run()

    def start(self) -> Worker:
        """Consume on background threads (inside ``serve``); :meth:`stop` ends them."""
        self._consumer = DeskConsumer(self.tasks, self.threads, self.stop_s, signals=False)
        self._consumer.start()
        return self

    def stop(self) -> None:
        """Let the running jobs finish (within ``worker_stop_s``) and stop; nothing when not
        started here."""
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
            self._consumer = None


def serve_jobs(services: Services) -> Worker:
    """The worker of ``servicedesk serve``: consuming on threads of its own with
    ``SERVICEDESK_WORKER=embedded``, only enqueueing wake-ups with ``external``; its queue is
    added to ``/readyz`` (not required: a queue that is down delays replies, it loses none) and
    to ``/metrics``. Call :meth:`Worker.stop` on the way out."""
    worker = Worker(services)
    services.readiness.add("queue", worker.ready, required=False)
    services.metrics.watch_queue_depth(worker.depth)
    if services.config.bot.worker == "embedded":
        worker.start()
        log.info("worker (embedded): %s", worker.describe())
    return worker


class NoTriage:
    """The triage of a worker process: the worker drafts no tickets, so no classifier is trained
    in it (training loads embedders and takes a core for a while)."""

    def suggest(self, text: str):
        """Refuse: nothing in the worker drafts a ticket."""
        raise RuntimeError("the worker drafts no tickets")
