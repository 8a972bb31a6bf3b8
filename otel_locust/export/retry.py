"""How long and how often to retry (opentelemetry-proto ``docs/specification.md``, "Failures" and "Throttling").

Exponential backoff with full jitter, honouring the receiver's ``Retry-After`` (seconds or an HTTP date), within a
total time budget. Which answers may be retried is the transport's call (``Verdict.RETRY``).
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to retry one request."""

    max_elapsed: float = 30.0  # seconds from the first attempt; no retry starts after that
    max_attempts: int = 8
    initial_backoff: float = 0.25
    max_backoff: float = 5.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1``: the server's Retry-After, else jittered backoff."""
        if retry_after is not None:
            return min(retry_after, self.max_elapsed)
        return (rng or random).uniform(0, min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1)))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds to wait (delta-seconds or an HTTP date); None when absent or malformed."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))
