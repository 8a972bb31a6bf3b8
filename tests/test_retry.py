"""The OTLP retry rules as pure logic: how answers are classified, and how long to wait."""

from __future__ import annotations

import email.utils
import random

import pytest

from otel_locust.export.http import classify
from otel_locust.export.retry import RetryPolicy, parse_retry_after
from otel_locust.export.transport import Verdict


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (429, Verdict.RETRY),
        (502, Verdict.RETRY),
        (503, Verdict.RETRY),
        (504, Verdict.RETRY),
        (400, Verdict.REFUSED),
        (401, Verdict.REFUSED),
        (500, Verdict.REFUSED),
        (413, Verdict.TOO_LARGE),
        (200, Verdict.OK),
        (202, Verdict.OK),
    ],
)
def test_how_http_answers_are_classified(status, verdict):
    assert classify(status, b"", None).verdict is verdict


def test_retry_after_travels_with_a_throttled_answer():
    assert classify(429, b"slow down", "2").retry_after == 2.0
    assert classify(503, b"", None).retry_after is None


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
