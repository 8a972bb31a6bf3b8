"""Read-back counters (per scenario, mergeable across workers) and the loss verdict built from them.

Per scenario and per *origin* (the export outcome of the trace: ``delivered`` or ``unconfirmed``), each
sampled trace ends in one verdict: ``complete`` (visible with every span, probe attribute intact), ``incomplete``
(visible with fewer spans than sent, or the probe attribute truncated), ``missing`` (never visible before the
read-back timeout), ``unknown`` (the read API never gave a usable answer: errors only, not loss) or
``pending_at_stop`` (still being polled when the run ended; not missing). ``checked`` = complete + incomplete +
missing. Visibility latency (accept -> first seen complete) is a histogram of rounded milliseconds (Locust's own
rounding), so percentiles merge exactly across workers, like TraceStats' shapes.
"""

from __future__ import annotations

import math
from typing import Any

VERDICTS = ("complete", "incomplete", "missing", "unknown", "pending_at_stop")
ORIGINS = ("delivered", "unconfirmed")
LOST = ("incomplete", "missing")
RESOLVED = ("complete", "incomplete", "missing")


def _blank() -> dict[str, Any]:
    return {
        "by_origin": {origin: dict.fromkeys(VERDICTS, 0) for origin in ORIGINS},
        "latency": {},
        "latency_max_ms": 0.0,
        "throttled": 0,
        "read_errors": 0,
    }


def bucket(ms: float) -> str:
    """Locust's response-time rounding: exact below 100 ms, then 2 significant digits, 3 above 10 s."""
    value: float
    if ms < 100:
        value = round(ms)
    elif ms < 1000:
        value = round(ms, -1)
    elif ms < 10000:
        value = round(ms, -2)
    else:
        value = round(ms, -3)
    return str(int(value))


class ReadbackStats:
    """Read-back counters of one process (or, on the master, the sum over workers)."""

    def __init__(self) -> None:
        self.scenarios: dict[str, dict[str, Any]] = {}

    def _entry(self, scenario: str) -> dict[str, Any]:
        entry = self.scenarios.get(scenario)
        if entry is None:
            entry = self.scenarios[scenario] = _blank()
        return entry

    def record(self, scenario: str, origin: str, verdict: str, latency_ms: float | None = None) -> None:
        entry = self._entry(scenario)
        entry["by_origin"][origin][verdict] += 1
        if latency_ms is not None and verdict == "complete":
            key = bucket(latency_ms)
            entry["latency"][key] = entry["latency"].get(key, 0) + 1
            entry["latency_max_ms"] = max(entry["latency_max_ms"], round(latency_ms, 1))

    def count(self, scenario: str, key: str) -> None:
        """``throttled`` (a 429 from the read API) or ``read_errors``: informative, never loss."""
        self._entry(scenario)[key] += 1

    def take(self) -> dict[str, Any]:
        taken, self.scenarios = self.scenarios, {}
        return taken

    def merge(self, other: dict[str, Any]) -> None:
        for scenario, theirs in other.items():
            mine = self._entry(scenario)
            for origin, verdicts in theirs["by_origin"].items():
                for verdict, value in verdicts.items():
                    mine["by_origin"][origin][verdict] = mine["by_origin"][origin].get(verdict, 0) + value
            for key, value in theirs["latency"].items():
                mine["latency"][key] = mine["latency"].get(key, 0) + value
            mine["latency_max_ms"] = max(mine["latency_max_ms"], theirs.get("latency_max_ms", 0.0))
            for key in ("throttled", "read_errors"):
                mine[key] += theirs.get(key, 0)

    def clear(self) -> None:
        self.scenarios = {}

    def total(self) -> dict[str, Any]:
        total = ReadbackStats()
        for entry in self.scenarios.values():
            total.merge({"total": entry})
        return total.scenarios.get("total", _blank())


def percentile(hist: dict[str, int], fraction: float) -> float | None:
    """The value at ``fraction`` (0-1) of a histogram keyed by values as strings."""
    items = sorted((float(k), n) for k, n in hist.items())
    count = sum(n for _, n in items)
    if not count:
        return None
    rank = max(1, math.ceil(fraction * count))
    seen = 0
    for value, n in items:
        seen += n
        if seen >= rank:
            return value
    return items[-1][0]


def public(entry: dict[str, Any]) -> dict[str, Any]:
    """One entry as the summary shows it: verdict counts, the unconfirmed resolution, latency percentiles."""
    by_origin = entry["by_origin"]
    counts = {v: sum(by_origin[o][v] for o in ORIGINS) for v in VERDICTS}
    unconfirmed = by_origin["unconfirmed"]
    latency = entry["latency"]
    return {
        "checked": sum(counts[v] for v in RESOLVED),
        **counts,
        "unconfirmed": {
            "checked": sum(unconfirmed[v] for v in RESOLVED),
            "stored": unconfirmed["complete"],
            "lost": sum(unconfirmed[v] for v in LOST),
        },
        "visibility_ms": {
            "p50": percentile(latency, 0.5),
            "p95": percentile(latency, 0.95),
            "p99": percentile(latency, 0.99),
            "max": entry["latency_max_ms"] if latency else None,
        },
        "throttled": entry["throttled"],
        "read_errors": entry["read_errors"],
    }


def wilson(lost: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion ``lost / n``."""
    if n <= 0:
        return 0.0, 1.0
    p = lost / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def loss_verdict(readback: dict[str, Any], traces: dict[str, Any], dropped_loss: int) -> dict[str, Any]:
    """Estimated lost traces with read-back: failed + dropped (not ``stop``) + the traces read-back found (or,
    from its sample, estimates) missing or incomplete among delivered and unconfirmed ones.

    Each origin is a stratum: its loss rate is lost / resolved among its sampled traces, scaled to all its
    traces, with a 95 % Wilson interval (exact when every trace of the stratum was resolved). A stratum with no
    resolved trace keeps the no-read-back rule: delivered count as stored, unconfirmed as lost.
    """
    generated = traces.get("generated", 0)
    base = traces.get("failed", 0) + dropped_loss
    estimate, low, high = float(base), float(base), float(base)
    strata: dict[str, Any] = {}
    for origin in ORIGINS:
        population = traces.get(origin, 0)
        verdicts = readback["by_origin"][origin]
        resolved = sum(verdicts[v] for v in RESOLVED)
        lost = sum(verdicts[v] for v in LOST)
        if resolved == 0:
            rate = lo = hi = 0.0 if origin == "delivered" else 1.0
        elif resolved >= population:
            rate = lo = hi = lost / resolved
        else:
            rate = lost / resolved
            lo, hi = wilson(lost, resolved)
        estimate += rate * population
        low += lo * population
        high += hi * population
        strata[origin] = {
            "traces": population,
            "resolved": resolved,
            "lost": lost,
            "rate": round(rate, 6),
            "rate_95": [round(lo, 6), round(hi, 6)],
        }
    return {
        "estimate": _share(estimate, generated),
        "low": _share(low, generated),
        "high": _share(high, generated),
        "lost_traces_estimate": round(estimate, 1),
        "strata": strata,
        "method": "failed + dropped (not stop) + per-origin read-back loss rate x traces; 95% Wilson",
    }


def _share(traces: float, generated: int) -> float:
    return round(traces / generated, 6) if generated else 0.0
