"""The OTLP retry rules as pure logic: which answers are retried, and how long to wait."""

from __future__ import annotations

import email.utils
import random

import pytest

from otel_locust.retry import RetryPolicy, parse_retry_after


@pytest.mark.parametrize(("status", "error", "retry"), [
    (429, None, True), (502, None, True), (503, None, True), (504, None, True),
    (400, None, False), (401, None, False), (413, None, False), (500, None, False), (200, None, False),
    (None, ConnectionRefusedError(), True), (None, ConnectionResetError(), True),
    (None, TimeoutError(), False), (None, ValueError(), False),
])
def test_what_is_retried(status, error, retry):
    assert RetryPolicy().should_retry(status, error) is retry


def test_backoff_grows_with_jitter_and_honours_retry_after():
    policy, rng = RetryPolicy(initial_backoff=0.25, max_backoff=5.0, max_elapsed=30.0), random.Random(1)
    for attempt, cap in ((1, 0.25), (2, 0.5), (3, 1.0), (8, 5.0)):
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert min(delays) >= 0 and max(delays) <= cap and max(delays) > cap / 2
    assert policy.delay(1, 7.0) == 7.0
    assert policy.delay(1, 120.0) == 30.0, "never wait past the retry budget"


def test_retry_after_in_seconds_or_as_a_date():
    assert parse_retry_after("3") == 3.0 and parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    when = email.utils.formatdate(1_000_010, usegmt=True)
    assert parse_retry_after(when, now=1_000_000) == pytest.approx(10.0)
    assert parse_retry_after(when, now=2_000_000) == 0.0
