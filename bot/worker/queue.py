"""The task queue: huey, on SQLite in the data folder or on Redis.

Why huey: a small, maintained queue with both back ends behind one API. SQLite needs no server,
so ``make run`` stays one command and every process on one host (``serve``, ``servicedesk
worker``, ``servicedesk slack``) shares ``<data_dir>/queue.db``; Redis
(``SERVICEDESK_QUEUE_URL=redis://...``) carries the same jobs between nodes on several hosts.
Nothing is kept in the queue that matters for long: the outbox and incident alerts live in the
desk's database, so a lost queue costs a wake-up, never a reply.
"""

from __future__ import annotations

from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey
from redis import ConnectionPool

from bot.settings import BotSettings

NAME = "servicedesk"
SQLITE_FILE = "queue.db"
# An unreachable Redis must not hold an agent's request (a wake-up is enqueued inside it) for
# the operating system's connect timeout: fail in seconds; the periodic poll delivers anyway.
REDIS_TIMEOUTS = {"socket_connect_timeout": 2.0, "socket_timeout": 10.0}


def build_queue(settings: BotSettings, data_dir: Path) -> Huey:
    """A huey instance on the configured queue: Redis at ``queue_url``, else SQLite at
    ``<data_dir>/queue.db``; results are not kept (no job returns anything anyone reads)."""
    if settings.queue_url:
        pool = ConnectionPool.from_url(settings.queue_url, **REDIS_TIMEOUTS)
        return RedisHuey(NAME, results=False, connection_pool=pool)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return SqliteHuey(NAME, results=False, filename=str(Path(data_dir) / SQLITE_FILE))


def describe(settings: BotSettings, data_dir: Path) -> str:
    """Where the queue is, without secrets: ``redis (host:port/db)`` or the SQLite file."""
    if not settings.queue_url:
        return f"sqlite {Path(data_dir) / SQLITE_FILE}"
    kwargs = ConnectionPool.from_url(settings.queue_url).connection_kwargs
    where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db')}"
    return f"redis {where}"
