"""`convention-api serve` (app/cli.py): the listening socket handed to uvicorn's workers is
known as TCP, so that asyncio turns TCP_NODELAY on for every accepted connection (without
it, each keep-alive response under several workers waits for the client's delayed ACK:
uvicorn issue #3149)."""

from __future__ import annotations

import asyncio
import pickle
import socket
from multiprocessing.reduction import ForkingPickler

import httpx
import uvicorn

from app.adapters.uvicorn_workers import MetricsSupervisor, tcp_listener
from tests.processes import UvicornProcess, service_env


def _config(workers: int = 2) -> uvicorn.Config:
    return uvicorn.Config("app.main:create_app", factory=True, host="127.0.0.1", port=0,
                          workers=workers)


async def _nodelay_of_an_accepted_connection(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection accepted by an asyncio server on `listener`."""
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Report(asyncio.Protocol):
        def connection_made(self, transport):
            accepted = transport.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Report, sock=listener)
    try:
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        result = await asyncio.wait_for(seen, 5)
        writer.close()
        return result
    finally:
        server.close()
        await server.wait_closed()


async def test_connections_accepted_on_the_listener_get_tcp_nodelay():
    listener = tcp_listener(_config())
    assert listener.proto == socket.IPPROTO_TCP
    assert await _nodelay_of_an_accepted_connection(listener) != 0


async def test_the_listener_keeps_its_protocol_when_handed_to_a_worker():
    """uvicorn's workers are spawned: the socket reaches them pickled by multiprocessing."""
    listener = tcp_listener(_config())
    received = pickle.loads(ForkingPickler.dumps(listener))
    try:
        assert (received.family, received.proto) == (socket.AF_INET, socket.IPPROTO_TCP)
        assert received.getsockname() == listener.getsockname()
    finally:
        received.close()
        listener.close()


def test_serve_with_two_workers_answers_on_kept_alive_connections(databases, key_file, tmp_path):
    url = asyncio.run(databases.fresh())
    try:
        with UvicornProcess(service_env(url, key_file), tmp_path / "serve.log",
                            workers=2) as service, \
                httpx.Client(base_url=service.base_url, timeout=10) as client:
            assert [client.get("/healthz").status_code for _ in range(3)] == [200] * 3
    finally:
        asyncio.run(databases.drop(url))


class _Worker:
    def __init__(self, pid: int) -> None:
        self.pid = pid


def test_the_supervisor_clears_the_live_metric_files_of_the_workers_it_replaced(tmp_path):
    supervisor = MetricsSupervisor.__new__(MetricsSupervisor)  # no signal handlers here
    supervisor.metrics_dir = str(tmp_path)
    supervisor.processes = [_Worker(101), _Worker(102)]
    for name in ("gauge_livesum_101.db", "gauge_livesum_102.db", "counter_101.db"):
        (tmp_path / name).write_bytes(b"")

    def replace_the_first() -> None:
        supervisor.processes[0] = _Worker(103)

    supervisor._replacing(replace_the_first)

    # The replaced worker's live gauges go; its counts and the other worker's stay.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "counter_101.db", "gauge_livesum_102.db"
    ]
