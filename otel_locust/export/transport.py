"""The transport interface: post one encoded request body, classify the answer, close.

A transport knows its protocol (OTLP/HTTP today; gRPC and JSON plug in beside it) and nothing about traces or
Locust: the exporter writes the retry loop, splitting and accounting once, over any transport. Classifying the
answer is the transport's job because each protocol says differently what may be retried (HTTP 429/503 vs gRPC
UNAVAILABLE), what is too large (413 vs RESOURCE_EXHAUSTED) and what was lost in flight.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Verdict(enum.Enum):
    """What an attempt's answer means for the spans it carried."""

    OK = "ok"  #: accepted (``Reply.rejected`` spans may still have been refused by partial_success)
    RETRY = "retry"  #: throttled or not reached: nothing was stored, safe to resend after a backoff
    TOO_LARGE = "too_large"  #: refused for its size: split it, or fail a single span with reason too_large
    REFUSED = "refused"  #: finally refused; never retried
    UNCONFIRMED = "unconfirmed"  #: sent, but no answer in time: the backend may have stored it; not resent


@dataclass(slots=True)
class Reply:
    """What one attempt got back."""

    verdict: Verdict
    status: int | None = None  #: protocol status (HTTP status code, gRPC status code), None without an answer
    body: bytes = b""
    retry_after: float | None = None  #: seconds the receiver asked us to wait, if it said
    rejected: int = 0  #: partial_success.rejected_spans of an accepted request
    message: str = ""  #: why it was not accepted, in one line (never a header value)


class Transport(Protocol):
    """One protocol client, shared by every user of a process (it pools its connections)."""

    def wire(self, body: bytes) -> bytes:
        """The bytes that go on the wire for ``body`` (compressed, re-encoded)."""
        ...

    def post(self, wire: bytes) -> Reply:
        """Send one request and classify the answer. Never raises, except ``GreenletExit`` when killed."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
