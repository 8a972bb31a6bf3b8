"""Ground truth from real agent frameworks: re-run each framework's capture in its pinned venv (installed by
``.ci/install-frameworks``) and check that what its OpenTelemetry instrumentation emits still has the structure of
the committed capture in ``tests/frameworks/captures/`` (span types, nesting, attribute keys per span type, span
events, log records). A difference means the framework's output changed: re-run
``python3 tests/frameworks/venvs.py capture all --write`` and review the diff."""

from __future__ import annotations

import json

import pytest

from .frameworks import shape, venvs

pytestmark = pytest.mark.frameworks


def _committed(capture: str) -> dict:
    return json.loads((venvs.CAPTURES / f"{capture}.json").read_text())


@pytest.mark.parametrize("capture", sorted(venvs.VARIANTS))
def test_capture_structure_matches(capture: str) -> None:
    framework = venvs.VARIANTS[capture][0]
    if not venvs.installed(framework):
        pytest.skip(f"{framework} venv not installed at {venvs.venv(framework)} (run .ci/install-frameworks)")
    fresh, committed = venvs.run_capture(capture), _committed(capture)
    assert fresh["versions"] == committed["versions"]
    expected, got = shape.shape(committed), shape.shape(fresh)
    assert got["tree"] == expected["tree"]
    assert got["attributes"] == expected["attributes"]
    assert got["events"] == expected["events"]
    assert got["logs"] == expected["logs"]
    assert got["traces"] == expected["traces"]


@pytest.mark.parametrize("capture", sorted(venvs.VARIANTS))
def test_committed_capture_is_well_formed(capture: str) -> None:
    """Needs no venv: every capture is committed, is one trace, and its parent indices form a tree."""
    data = _committed(capture)
    assert data["framework"] == venvs.VARIANTS[capture][0]
    assert data["spans"], capture
    assert data["traces"] == 1
    roots = [i for i, s in enumerate(data["spans"]) if s["parent"] == -1]
    assert len(roots) == 1, roots
    for i, s in enumerate(data["spans"]):
        assert s["parent"] == -1 or 0 <= s["parent"] < i, (i, s["name"])
