"""The lean HTTP/1.1 client against scripted servers on real sockets: framing, keep-alive, failures."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from otel_locust.export.http import OtlpHttpTransport
from otel_locust.export.http1 import AnswerCutOffError, ClosedBeforeAnswerError, Http1Pool, MalformedAnswerError
from otel_locust.export.transport import Verdict

Script = Callable[[socket.socket, bytes], bool]  # answers one request; False closes the connection


class Server:
    """Accepts connections; reads each request (head + Content-Length body) and lets ``script`` answer it."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.bodies: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = int(
                    next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(
                        b":"
                    )[1]
                )
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                body, buffer = buffer[:length], buffer[length:]
                self.bodies.append(body)
                if not self.script(conn, body):
                    return

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Script], Server]]:
    servers: list[Server] = []

    def start(script: Script) -> Server:
        servers.append(Server(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def ok(conn: socket.socket, body: bytes) -> bool:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 2\r\n\r\nok")
    return True


def test_one_keep_alive_connection_carries_every_request_and_the_body_intact(serve):
    server = serve(ok)
    pool = Http1Pool("127.0.0.1", server.port, timeout=5, size=1)
    head = pool.head("/v1/traces", {"Content-Type": "application/x-protobuf"})
    bodies = [bytes(range(256)) * 1000, b"", b"x" * 3_000_000]
    answers = [pool.post(head, body) for body in bodies]
    assert [(a.status, a.body) for a in answers] == [(200, b"ok")] * 3
    assert server.bodies == bodies and server.connections == 1


def test_chunked_and_close_delimited_answers(serve):
    def chunked(conn: socket.socket, body: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=1\r\ndefg\r\n0\r\n\r\n")
        return True

    def until_close(conn: socket.socket, body: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 503 Busy\r\nRetry-After: 2\r\n\r\nslow down")
        return False

    pool = Http1Pool("127.0.0.1", serve(chunked).port, timeout=5, size=1)
    head = pool.head("/", {})
    assert pool.post(head, b"1").body == pool.post(head, b"2").body == b"abcdefg"
    closing = Http1Pool("127.0.0.1", serve(until_close).port, timeout=5, size=1)
    answer = closing.post(closing.head("/", {}), b"1")
    assert (answer.status, answer.headers["retry-after"], answer.body) == (503, "2", b"slow down")


def test_connection_close_opens_a_new_connection_for_the_next_request(serve):
    def once(conn: socket.socket, body: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        return False

    server = serve(once)
    pool = Http1Pool("127.0.0.1", server.port, timeout=5, size=1)
    head = pool.head("/", {})
    assert [pool.post(head, b"a").status, pool.post(head, b"b").status] == [200, 200]
    assert server.connections == 2


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (lambda conn, body: False, ClosedBeforeAnswerError),  # closed without a word
        (
            lambda conn, body: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc") or False,
            AnswerCutOffError,
        ),
        (lambda conn, body: conn.sendall(b"SSH-2.0-OpenSSH\r\n\r\n") or False, MalformedAnswerError),
    ],
)
def test_failures_are_told_apart(serve, script, error):
    pool = Http1Pool("127.0.0.1", serve(script).port, timeout=5, size=1)
    with pytest.raises(error):
        pool.post(pool.head("/", {}), b"body")


def test_the_transport_maps_them_to_verdicts(serve):
    silent = serve(lambda conn, body: threading.Event().wait(3) and False)
    transport = OtlpHttpTransport(f"http://127.0.0.1:{silent.port}/v1/traces", {}, "none", timeout=0.5)
    assert transport.post(b"x").verdict is Verdict.UNCONFIRMED  # no answer in time: maybe stored
    cut = serve(lambda conn, body: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab") or False)
    transport = OtlpHttpTransport(f"http://127.0.0.1:{cut.port}/v1/traces", {}, "none", timeout=5)
    assert transport.post(b"x").verdict is Verdict.UNCONFIRMED
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there
    transport = OtlpHttpTransport(f"http://127.0.0.1:{port}/v1/traces", {}, "none", timeout=5)
    assert transport.post(b"x").verdict is Verdict.RETRY
    throttled = serve(lambda conn, body: conn.sendall(b"HTTP/1.1 429 No\r\nContent-Length: 0\r\n\r\n") or True)
    transport = OtlpHttpTransport(f"http://127.0.0.1:{throttled.port}/v1/traces", {"X-Key": "k"}, "none", 5)
    assert transport.post(b"x").verdict is Verdict.RETRY and throttled.bodies == [b"x"]
