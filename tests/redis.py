"""A throwaway Redis for the tiers that need one (shared counters, the worker's queue):
Debian's ``redis-server`` (`make system-deps`) on a free loopback port, nothing saved."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port

REDIS_SERVER = "/usr/bin/redis-server"


class RedisServer:
    """A throwaway ``redis-server`` on 127.0.0.1 at a free port, nothing saved to disk."""

    def __init__(self, folder: Path):
        if not Path(REDIS_SERVER).exists():
            pytest.fail(f"no {REDIS_SERVER}: run `make system-deps` (Debian's redis-server)")
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        """Start the server; return once it answers PING (within 10 s)."""
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(self.folder)]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)
            finally:
                client.close()

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
