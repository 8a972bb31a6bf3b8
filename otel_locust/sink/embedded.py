"""Run the sink in a child process for ``--otel-platform sink`` and read its counts back.

A separate process keeps decoding and verification off the Locust process's gevent hub and CPU budget.

Safe stops: the child runs in its own session (process group), so Ctrl-C in a terminal, ``timeout``'s SIGTERM
or ``kill -- -PGID`` meant for Locust never reach it; the plugin reads its counts and stops it explicitly at
quit. It watches its parent (``--parent-pid``) and exits when Locust is gone, so it never outlives a Locust that
was SIGKILLed.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import urllib.request
from typing import Any


class EmbeddedSink:
    """A ``python -m otel_locust.sink`` child bound to a free port on ``host``."""

    def __init__(
        self, host: str = "127.0.0.1", extra_args: str = "", port: int = 0, protocol: str = "http/protobuf"
    ) -> None:
        """Start the sink; ``extra_args`` are more ``otel-locust-sink`` options (fault injection, limits).
        With ``protocol`` grpc it also listens for OTLP/gRPC, and :attr:`endpoint` points there.

        Raises ValueError with the sink's own one-line complaint when it refuses the arguments.
        """
        # stderr to a file, never a pipe: a full pipe would block the sink; closed in stop()
        self._errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "otel_locust.sink",
                "--host",
                host,
                "--port",
                str(port),
                "--interval",
                "0",
                "--json",
                "--parent-pid",
                str(os.getpid()),
                *(["--grpc-port", "0"] if protocol == "grpc" else []),
                *shlex.split(extra_args),
            ],
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
            start_new_session=True,
        )
        self.pid = self._proc.pid
        # bound to every address: this process reaches it on loopback
        self.url = self._listening("otel-locust-sink listening on ").replace("//0.0.0.0:", "//127.0.0.1:")
        self.port = int(self.url.rsplit(":", 1)[1].split("/", 1)[0])
        self._base = self.url.rsplit("/v1/traces", 1)[0]
        grpc_url = self._listening("otel-locust-sink gRPC listening on ") if protocol == "grpc" else ""
        self.grpc_url = grpc_url.replace("//0.0.0.0:", "//127.0.0.1:")

    @property
    def endpoint(self) -> str:
        """Where the exporter sends: the gRPC endpoint when the sink was started for gRPC, else the HTTP URL."""
        return self.grpc_url or self.url

    def _listening(self, prefix: str) -> str:
        """The address on the sink's next line, which must start with ``prefix``; else its complaint."""
        line = self._proc.stdout.readline() if self._proc.stdout else ""
        if not line.startswith(prefix):
            self._proc.kill()
            self._proc.wait()
            self._errors.seek(0)
            complaint = [ln for ln in self._errors.read().splitlines() if ln.strip()]
            raise ValueError(complaint[-1] if complaint else line.strip() or "the sink exited without a word")
        return line[len(prefix) :].strip()

    def stats(self, timeout: float = 5.0) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self._base}/stats", timeout=timeout) as response:
            return json.load(response)

    @property
    def base_url(self) -> str:
        return self._base

    def reset(self, timeout: float = 5.0) -> None:
        request = urllib.request.Request(f"{self._base}/reset", method="POST", data=b"")
        urllib.request.urlopen(request, timeout=timeout).close()

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._errors.close()
