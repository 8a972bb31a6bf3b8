"""Load profiles: the user count follows the keyframes, and a real run follows the profile."""

from __future__ import annotations

import subprocess
import sys

import pytest

from otel_locust.plugin.profiles import RAMP, SPIKE, users_at

from .helpers import ROOT, summary


def test_ramp_and_spike_keyframes():
    assert [users_at(RAMP, p, 100) for p in (0, 0.1, 0.2, 0.5, 0.8, 0.9, 1.0)] == [0, 50, 100, 100, 100, 50, 0]
    assert [users_at(SPIKE, p, 100) for p in (0, 0.3, 0.42, 0.5, 0.7, 1.0)] == [20, 20, 100, 100, 20, 20]


@pytest.mark.e2e
def test_a_ramp_run_ends_by_itself_with_every_trace_accounted(tmp_path):
    ramp = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "locustfiles" / "ramp.py"),
            "--headless",
            "--otel-profile-users",
            "6",
            "--otel-profile-seconds",
            "6",
            "--otel-pace",
            "0.2",
            "--otel-summary",
            "ramp.json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert ramp.returncode == 0, ramp.stderr[-2000:]
    data = summary(tmp_path / "ramp.json")
    assert data["total"]["traces"]["generated"] == data["sink"]["traces_complete"] > 10
    assert "Shape test stopping" in ramp.stderr
