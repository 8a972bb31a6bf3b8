"""OTLP/HTTP transports, protobuf and JSON (opentelemetry-proto ``docs/specification.md``, "OTLP/HTTP").

Retry 429, 502, 503 and 504 and connection failures (refused, reset, closed before an answer), honouring
``Retry-After``. A request that timed out is not retried: the receiver may have stored it, and a retry would send
its spans twice; it is ``unconfirmed``. Other statuses are final; 413 asks for smaller requests.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable

from geventhttpclient import HTTPClient
from geventhttpclient.response import HTTPConnectionClosed
from geventhttpclient.url import URL

from otel_locust import __version__
from otel_locust.encoding import otlp, otlp_json
from otel_locust.export.http1 import AnswerCutOffError, Http1Pool
from otel_locust.export.retry import parse_retry_after
from otel_locust.export.transport import Reply, Verdict

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


class OtlpHttpTransport:
    """A keep-alive connection pool to one OTLP/HTTP receiver, shared by a process's users."""

    content_type = "application/x-protobuf"

    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        compression: str,
        timeout: float,
        connections: int = 64,
        ca_file: str = "",
    ) -> None:
        parsed = URL(url)
        self._path = parsed.request_uri
        self._gzip = compression == "gzip"
        self._headers = {"Content-Type": self.content_type, **headers}
        if self._gzip:
            self._headers["Content-Encoding"] = "gzip"
        self._client: HTTPClient | None = None
        self._lean: Http1Pool | None = None
        if parsed.scheme == "http":  # plain HTTP: the lean client (see export/http1.py for why)
            self._lean = Http1Pool(parsed.host, parsed.port or 80, timeout, connections)
            self._head = self._lean.head(self._path, {"User-Agent": f"otel-locust/{__version__}", **self._headers})
        else:
            self._client = HTTPClient.from_url(
                parsed,
                concurrency=max(1, connections),
                connection_timeout=timeout,
                network_timeout=timeout,
                ssl_options={"ca_certs": ca_file} if ca_file else None,
            )

    def wire(self, body: bytes) -> bytes:
        return gzip.compress(body, compresslevel=1) if self._gzip else body

    def post(self, wire: bytes) -> Reply:
        if self._lean is not None:
            return self._post_lean(wire)
        assert self._client is not None
        try:
            response = self._client.request("POST", self._path, body=wire, headers=self._headers)
        except TimeoutError as exc:
            return Reply(Verdict.UNCONFIRMED, message=f"no answer in time ({exc or 'timeout'}); unconfirmed")
        except (ConnectionError, HTTPConnectionClosed) as exc:
            return Reply(Verdict.RETRY, message=f"{type(exc).__name__}: {exc}")
        except OSError as exc:
            return Reply(Verdict.REFUSED, message=f"{type(exc).__name__}: {exc}")
        try:
            body = response.read()
            retry_after = response.get("retry-after")
        except TimeoutError as exc:
            return Reply(Verdict.UNCONFIRMED, response.status_code, message=f"answer cut off ({exc}); unconfirmed")
        except (ConnectionError, HTTPConnectionClosed) as exc:
            return Reply(Verdict.UNCONFIRMED, response.status_code, message=f"answer cut off: {exc}")
        finally:
            response.release()
        return classify(
            response.status_code, body, retry_after if isinstance(retry_after, str) else None, self.rejected_spans
        )

    def _post_lean(self, wire: bytes) -> Reply:
        assert self._lean is not None
        try:
            answer = self._lean.post(self._head, wire)
        except TimeoutError as exc:
            return Reply(Verdict.UNCONFIRMED, message=f"no answer in time ({exc or 'timeout'}); unconfirmed")
        except AnswerCutOffError as exc:
            return Reply(Verdict.UNCONFIRMED, message=f"answer cut off: {exc}")
        except ConnectionError as exc:  # refused, reset or closed before an answer
            return Reply(Verdict.RETRY, message=f"{type(exc).__name__}: {exc}")
        except OSError as exc:
            return Reply(Verdict.REFUSED, message=f"{type(exc).__name__}: {exc}")
        return classify(answer.status, answer.body, answer.headers.get("retry-after"), self.rejected_spans)

    @staticmethod
    def rejected_spans(body: bytes) -> int:
        """partial_success.rejected_spans of a 2xx answer."""
        return otlp.rejected_spans(body)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._lean is not None:
            self._lean.close()


class OtlpJsonTransport(OtlpHttpTransport):
    """OTLP/HTTP with JSON bodies (``http/json``): each protobuf body is re-encoded once, before its first attempt
    (see :mod:`otel_locust.encoding.otlp_json` for why a re-encoder), then compressed like protobuf."""

    content_type = "application/json"

    def wire(self, body: bytes) -> bytes:
        return super().wire(otlp_json.to_json(body))

    @staticmethod
    def rejected_spans(body: bytes) -> int:
        return otlp_json.rejected_spans(body) if body[:1] == b"{" else otlp.rejected_spans(body)


def classify(
    status: int, body: bytes, retry_after: str | None, rejected_spans: Callable[[bytes], int] = otlp.rejected_spans
) -> Reply:
    """The verdict for an HTTP answer (``rejected_spans`` reads partial_success in the answer's encoding)."""
    if 200 <= status < 300:
        return Reply(Verdict.OK, status, body, rejected=rejected_spans(body))
    if status == 413:
        return Reply(Verdict.TOO_LARGE, status, body, message=f"HTTP 413: {excerpt(body)}")
    verdict = Verdict.RETRY if status in RETRYABLE_STATUSES else Verdict.REFUSED
    return Reply(verdict, status, body, parse_retry_after(retry_after), message=f"HTTP {status}: {excerpt(body)}")


def excerpt(body: bytes | None, limit: int = 120) -> str:
    text = (body or b"").decode("utf-8", "replace").strip().replace("\n", " ")
    return text[:limit] or "(empty body)"
