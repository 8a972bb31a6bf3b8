"""Run the sink in a child process for ``--otel-platform sink`` and read its counts back.

A separate process keeps decoding and verification off the Locust process's gevent hub and CPU budget.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tempfile
import urllib.request
from typing import Any


class EmbeddedSink:
    """A ``python -m otel_locust.sink`` child bound to a free port on ``host``."""

    def __init__(self, host: str = "127.0.0.1", extra_args: str = "", protocol: str = "http/protobuf") -> None:
        """Start the sink; ``extra_args`` are more ``otel-locust-sink`` options (fault injection, limits).
        With ``protocol`` grpc it also listens for OTLP/gRPC, and :attr:`endpoint` points there.

        Raises ValueError with the sink's own one-line complaint when it refuses the arguments.
        """
        # stderr to a file, never a pipe: a full pipe would block the sink; closed in stop()
        self._errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "otel_locust.sink", "--host", host, "--port", "0", "--interval", "0", "--json",
             *(["--grpc-port", "0"] if protocol == "grpc" else []), *shlex.split(extra_args)],
            stdout=subprocess.PIPE, stderr=self._errors, text=True)
        self.url = self._listening("otel-locust-sink listening on ")
        self._base = self.url.rsplit("/v1/traces", 1)[0]
        self.grpc_url = self._listening("otel-locust-sink gRPC listening on ") if protocol == "grpc" else ""

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
        return line[len(prefix):].strip()

    def stats(self, timeout: float = 5.0) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self._base}/stats", timeout=timeout) as response:
            return json.load(response)

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
