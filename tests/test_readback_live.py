"""Read-back against the cloud services, live, when their keys are in the environment (skipped otherwise).

These cannot run in CI here (no network beyond 127.0.0.1); the clients are unit-tested in test_readback.py
against response examples shaped after each platform's documentation.
"""

from __future__ import annotations

import os

import pytest

from .helpers import run_locust, summary

pytestmark = pytest.mark.e2e

LIVE = {
    "langfuse": ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"),
    "langsmith": ("LANGSMITH_API_KEY",),
    "braintrust": ("BRAINTRUST_API_KEY",),
}


@pytest.mark.parametrize("platform", sorted(LIVE))
def test_live_readback(platform, tmp_path):
    missing = [name for name in LIVE[platform] if not os.environ.get(name)]
    if missing:
        pytest.skip(f"{platform}: set {', '.join(missing)} to read back from the live service")
    result = run_locust(
        [
            "--headless",
            "-u",
            "1",
            "-r",
            "1",
            "-t",
            "5s",
            "--otel-pace",
            "1",
            "--otel-platform",
            platform,
            "--otel-readback",
            "--otel-readback-sample",
            "1",
            "--otel-readback-timeout",
            "30",
            "--otel-mix",
            "simple_query",
            "--otel-summary",
            "summary.json",
        ],
        tmp_path,
        timeout=180,
    )
    data = summary(tmp_path / "summary.json")
    backend = data["backend"]["total"]
    print(f"{platform}: {data['total']['traces']} read-back {backend}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert backend["complete"] == data["total"]["traces"]["delivered"] > 0
