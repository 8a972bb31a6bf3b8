"""The transport-only client of issue 13: pre-built OTLP bodies over ONE keep-alive HTTP/1.1 connection.

    python benchmarks/replay.py BODIES_FILE COUNT HOST PORT [raw|http.client]

``BODIES_FILE`` holds bodies as 4-byte big-endian length + bytes (``transport_limit.py`` writes it from a
capture). The client posts ``COUNT`` requests, cycling through the bodies, each with a hand-written request
line and headers (``sendmsg`` of the header and the body, no copy), and reads each answer up to its
``Content-Length``. No generation, no HTTP library, no gevent: this is what putting the same bytes on the wire
costs a Python process, the floor the generator is measured against. Prints one JSON line: requests, bytes,
non-2xx answers, and the CPU of the send loop alone (the caller measures the whole process with ``os.wait4``).

``http.client`` instead of ``raw``: the same bodies through the standard library's keep-alive
``HTTPConnection`` (header parsing by ``email``, a response object per request), a second reference: what a
plain Python HTTP client costs, as opposed to the wire itself.
"""

from __future__ import annotations

import json
import mmap
import resource
import socket
import struct
import sys


def load(path: str) -> list[memoryview]:
    """The bodies in ``path`` (length-prefixed), as views of the mapped file.

    Mapped, not read: reading and copying a few hundred MB would cost more CPU than sending them, and that is
    not a transport cost; the pages are touched (and paid for) when the send loop hands them to the kernel.
    """
    with open(path, "rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    bodies, at = [], 0
    view = memoryview(data)
    while at < len(data):
        (size,) = struct.unpack_from(">I", data, at)
        bodies.append(view[at + 4 : at + 4 + size])
        at += 4 + size
    return bodies


def answer(sock: socket.socket, pending: bytearray) -> tuple[int, bytearray]:
    """Read one HTTP/1.1 response (status line, headers, Content-Length body); return its status and leftovers."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the receiver closed the connection")
        pending += chunk
    head, _, rest = bytes(pending).partition(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = bytearray(rest)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the receiver closed the connection mid-answer")
        body += chunk
    return status, body[length:]


class Poster:
    """One keep-alive connection; ``post`` sends a body with hand-written HTTP/1.1 framing and reads the answer."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.prefix = f"POST /v1/traces HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-protobuf\r\n"
        self.pending = bytearray()
        self.refused = 0

    def post(self, body: bytes | memoryview) -> None:
        head = f"{self.prefix}Content-Length: {len(body)}\r\n\r\n".encode()
        done = self.sock.sendmsg([head, body])
        if done < len(head) + len(body):  # a blocking send stopped early (a signal): send the rest
            self.sock.sendall((head + bytes(body))[done:])
        status, self.pending = answer(self.sock, self.pending)
        self.refused += not 200 <= status < 300


def replay(bodies: list[memoryview], count: int, host: str, port: int) -> dict[str, float]:
    """Post ``count`` bodies (cycling) on one connection; return requests, bytes, refusals and loop CPU."""
    poster = Poster(host, port)
    start = resource.getrusage(resource.RUSAGE_SELF)
    sent = 0
    for index in range(count):
        body = bodies[index % len(bodies)]
        poster.post(body)
        sent += len(body)
    end = resource.getrusage(resource.RUSAGE_SELF)
    poster.sock.close()
    loop = (end.ru_utime + end.ru_stime) - (start.ru_utime + start.ru_stime)
    return {"requests": count, "bytes": sent, "refused": poster.refused, "loop_cpu_s": loop}


def replay_stdlib(bodies: list[memoryview], count: int, host: str, port: int) -> dict[str, float]:
    """The same with ``http.client.HTTPConnection`` (one keep-alive connection)."""
    import http.client

    connection = http.client.HTTPConnection(host, port)
    start = resource.getrusage(resource.RUSAGE_SELF)
    sent = refused = 0
    for index in range(count):
        body = bodies[index % len(bodies)]
        connection.request(
            "POST",
            "/v1/traces",
            body=body,
            headers={"Content-Type": "application/x-protobuf", "Content-Length": str(len(body))},
        )
        response = connection.getresponse()
        response.read()
        sent += len(body)
        refused += not 200 <= response.status < 300
    end = resource.getrusage(resource.RUSAGE_SELF)
    connection.close()
    loop = (end.ru_utime + end.ru_stime) - (start.ru_utime + start.ru_stime)
    return {"requests": count, "bytes": sent, "refused": refused, "loop_cpu_s": loop}


def main() -> int:
    path, count, host, port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    client = replay_stdlib if sys.argv[5:] == ["http.client"] else replay
    print(json.dumps(client(load(path), count, host, port)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
