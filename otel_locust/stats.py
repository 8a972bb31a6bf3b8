"""Trace accounting: every generated trace ends in exactly one outcome, per scenario and in total.

Counters are plain nested dicts of ints so they travel to the master unchanged (msgpack) and merge by addition.
Shapes (spans, depth, KB per trace) are kept as exact histograms keyed by value: bounded by the number of
distinct values, not by the number of traces, so memory stays flat over long runs and medians merge exactly
across workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

OUTCOMES = ("generated", "delivered", "failed", "dropped")
COUNTERS = ("bytes_sent", "requests", "retries", "failed_requests")
SHAPES = ("spans", "depth", "kb")


def _blank() -> dict[str, Any]:
    return {"traces": dict.fromkeys(OUTCOMES, 0), "spans": dict.fromkeys(OUTCOMES, 0),
            **dict.fromkeys(COUNTERS, 0), "shape": {name: {} for name in SHAPES}}


class TraceStats:
    """Per-scenario counters for one process (or, on the master, the sum over workers)."""

    def __init__(self) -> None:
        self.scenarios: dict[str, dict[str, Any]] = {}

    def _entry(self, scenario: str) -> dict[str, Any]:
        entry = self.scenarios.get(scenario)
        if entry is None:
            entry = self.scenarios[scenario] = _blank()
        return entry

    def generated(self, scenario: str, spans: int, depth: int, nbytes: int) -> None:
        """A trace was planned and encoded and is about to be exported."""
        entry = self._entry(scenario)
        entry["traces"]["generated"] += 1
        entry["spans"]["generated"] += spans
        shape = entry["shape"]
        for name, value in (("spans", spans), ("depth", depth), ("kb", round(nbytes / 1000))):
            hist = shape[name]
            key = str(value)
            hist[key] = hist.get(key, 0) + 1

    def finished(self, scenario: str, outcome: str, delivered: int, failed: int, dropped: int) -> None:
        """A generated trace ended as ``outcome`` (delivered, failed or dropped); spans are counted one by one,
        since a trace split over several requests can be partly delivered."""
        entry = self._entry(scenario)
        entry["traces"][outcome] += 1
        spans = entry["spans"]
        spans["delivered"] += delivered
        spans["failed"] += failed
        spans["dropped"] += dropped

    def request(self, scenario: str, nbytes: int, ok: bool, retries: int = 0) -> None:
        entry = self._entry(scenario)
        entry["requests"] += 1
        entry["bytes_sent"] += nbytes
        entry["retries"] += retries
        if not ok:
            entry["failed_requests"] += 1

    # -- transport ----------------------------------------------------------------------------------------

    def take(self) -> dict[str, Any]:
        """Return the counters and start again from zero (a worker's delta for the master)."""
        taken, self.scenarios = self.scenarios, {}
        return taken

    def merge(self, other: dict[str, Any]) -> None:
        for scenario, theirs in other.items():
            mine = self._entry(scenario)
            for group in ("traces", "spans"):
                for outcome, value in theirs[group].items():
                    mine[group][outcome] += value
            for counter in COUNTERS:
                mine[counter] += theirs.get(counter, 0)
            for name, hist in theirs["shape"].items():
                target = mine["shape"][name]
                for key, count in hist.items():
                    target[key] = target.get(key, 0) + count

    def clear(self) -> None:
        self.scenarios = {}

    # -- views --------------------------------------------------------------------------------------------

    def total(self) -> dict[str, Any]:
        """The sum over scenarios, same shape as one scenario's entry."""
        total = TraceStats()
        for entry in self.scenarios.values():
            total.merge({"total": entry})
        return total.scenarios.get("total", _blank())


def median(hist: dict[str, int]) -> float | None:
    """Median of a value histogram (keys are the values as strings)."""
    items = sorted((float(k), n) for k, n in hist.items())
    count = sum(n for _, n in items)
    if not count:
        return None
    return _nth(items, (count - 1) // 2) / 2 + _nth(items, count // 2) / 2


def _nth(items: Iterable[tuple[float, int]], index: int) -> float:
    seen = 0
    for value, n in items:
        seen += n
        if seen > index:
            return value
    raise IndexError(index)
