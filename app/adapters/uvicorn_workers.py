"""Serving with several uvicorn workers: a TCP listener that keeps TCP_NODELAY on the
workers' connections, and Prometheus in multiprocess mode so that a scrape answered by
any worker counts the requests of all of them."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Callable

import uvicorn
from prometheus_client.multiprocess import mark_process_dead
from uvicorn.supervisors import Multiprocess

from app.adapters.operational_metrics import MULTIPROCESS_ENV


def tcp_listener(config: uvicorn.Config) -> socket.socket:
    """The listening socket of `config`, made as uvicorn's supervisor makes it, but known
    to Python as TCP (`proto` IPPROTO_TCP). uvicorn 0.54 leaves `proto` at 0 and asyncio
    turns TCP_NODELAY on for accepted connections only when it is IPPROTO_TCP: under
    `uvicorn --workers N` every response then waits for the client's delayed ACK
    (Nagle), uvicorn issue #3149. The workers inherit the socket with its `proto`
    (multiprocessing rebuilds it with family, type and proto)."""
    bound = config.bind_socket()
    if bound.family not in (socket.AF_INET, socket.AF_INET6):
        return bound  # a Unix socket: no Nagle
    return socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())


class MetricsSupervisor(Multiprocess):
    """uvicorn's supervisor, which also clears the metric files' live gauges of a worker
    it replaces (killed, hung, or retired by SIGHUP's restart), as prometheus_client asks
    of the parent process; a worker that stops cleanly clears its own (app/lifespan.py)."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket],
                 metrics_dir: str) -> None:
        super().__init__(config, sockets)
        self.metrics_dir = metrics_dir

    def _replacing(self, step: Callable[[], None]) -> None:
        before = {process.pid for process in self.processes}
        step()
        for pid in before - {process.pid for process in self.processes}:
            if pid is not None:
                mark_process_dead(pid, self.metrics_dir)

    def keep_subprocess_alive(self) -> None:
        self._replacing(super().keep_subprocess_alive)

    def restart_all(self) -> None:
        self._replacing(super().restart_all)


def serve_workers(config: uvicorn.Config) -> None:
    """Serve `config` with its `workers` processes until the supervisor stops: a fresh,
    empty directory for the workers' metric files at each start (made in
    PROMETHEUS_MULTIPROC_DIR when that is set, else in the temporary directory),
    removed when the server stops."""
    # Files of a previous run would add its counts to this one's: always a new directory.
    metrics_dir = tempfile.mkdtemp(prefix="convention-metrics-",
                                   dir=os.environ.get(MULTIPROCESS_ENV) or None)
    os.environ[MULTIPROCESS_ENV] = metrics_dir  # inherited by the workers it spawns
    try:
        MetricsSupervisor(config, [tcp_listener(config)], metrics_dir).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
