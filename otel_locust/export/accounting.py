"""Trace accounting: every generated trace ends in exactly one outcome, per scenario and in total (SPEC §5).

Outcomes: ``delivered`` (every request carrying its spans was accepted), ``failed`` (a request was finally
refused, spans were rejected by ``partial_success``, or a span was too large to send), ``dropped`` (some span
never left the generator: ``backpressure``, ``queue_full``, ``stop``) and ``unconfirmed`` (a request carrying its
spans timed out after it was sent: the backend may have stored it). A trace whose spans went out in several
requests takes the worst of its spans' outcomes (dropped > failed > unconfirmed > delivered), settled when its
last span is settled; spans are counted one by one in the same four outcomes.

:class:`TraceTicket` follows one trace through however many requests carry its spans (one per trace, split
parts, or batches that mix traces); :class:`TraceStats` holds the counters. Counters are plain nested dicts of
ints so they travel to the master unchanged (msgpack) and merge by addition. Shapes (spans, depth, KB per
trace) are exact histograms keyed by value: bounded by the number of distinct values, not of traces, so memory
stays flat and medians merge exactly across workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

OUTCOMES = ("generated", "delivered", "failed", "dropped", "unconfirmed")
SETTLED = OUTCOMES[1:]
#: worst first: a trace takes the worst outcome of its spans
PRECEDENCE = {"dropped": 3, "failed": 2, "unconfirmed": 1, "delivered": 0}
COUNTERS = ("bytes_sent", "requests", "retries", "failed_requests")
SHAPES = ("spans", "depth", "kb")
#: reasons that are the generator's own truncation, not the backend's loss (excluded from --otel-max-loss)
NOT_LOSS_REASONS = frozenset({"stop"})


#: the key under which :meth:`TraceStats.take` ships the log records' account (never a scenario name)
LOGS_KEY = "__logs__"


def blank_logs() -> dict[str, Any]:
    """The log records' account: the same outcomes as spans, counted per record, and the requests."""
    return {
        "records": dict.fromkeys(OUTCOMES, 0),
        "dropped_by_reason": {},
        "failed_by_reason": {},
        **dict.fromkeys(COUNTERS, 0),
    }


def _blank() -> dict[str, Any]:
    return {
        "traces": dict.fromkeys(OUTCOMES, 0),
        "spans": dict.fromkeys(OUTCOMES, 0),
        "dropped_by_reason": {},
        "failed_by_reason": {},
        "dropped_loss": 0,
        **dict.fromkeys(COUNTERS, 0),
        "shape": {name: {} for name in SHAPES},
    }


class TraceStats:
    """Per-scenario counters for one process (or, on the master, the sum over workers)."""

    def __init__(self) -> None:
        self.scenarios: dict[str, dict[str, Any]] = {}
        #: log records (profiles that put content in logs): their own account; they never change a trace's outcome
        self.logs: dict[str, Any] = blank_logs()

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

    def finished(self, scenario: str, outcome: str, spans: dict[str, int], reason: str = "") -> None:
        """A generated trace ended as ``outcome``; ``spans`` counts its spans per outcome (a trace split over
        several requests can be partly delivered). ``reason`` says why a trace was dropped or failed."""
        entry = self._entry(scenario)
        entry["traces"][outcome] += 1
        counts = entry["spans"]
        for name, value in spans.items():
            counts[name] += value
        if outcome in ("dropped", "failed"):
            reasons = entry[f"{outcome}_by_reason"]
            reasons[reason or "other"] = reasons.get(reason or "other", 0) + 1
            if outcome == "dropped" and reason not in NOT_LOSS_REASONS:
                entry["dropped_loss"] += 1

    def request(self, shares: dict[str, int], ok: bool = True, retries: int = 0) -> None:
        """One request (all its attempts); ``shares`` are its bytes on the wire per scenario, shared by span bytes
        when the request carried spans of several scenarios. The request itself counts under its first one."""
        first = True
        for scenario, nbytes in shares.items():
            entry = self._entry(scenario)
            entry["bytes_sent"] += nbytes
            if first:
                entry["requests"] += 1
                entry["retries"] += retries
                entry["failed_requests"] += not ok
                first = False

    # -- log records ---------------------------------------------------------------------------------------

    def logs_generated(self, records: int) -> None:
        self.logs["records"]["generated"] += records

    def logs_settled(self, outcome: str, records: int, reason: str = "") -> None:
        """``records`` log records ended as ``outcome`` (same outcomes and reasons as spans)."""
        if records <= 0:
            return
        self.logs["records"][outcome] += records
        if outcome in ("dropped", "failed"):
            reasons = self.logs[f"{outcome}_by_reason"]
            reasons[reason or "other"] = reasons.get(reason or "other", 0) + records

    def logs_request(self, nbytes: int, ok: bool, retries: int) -> None:
        logs = self.logs
        logs["requests"] += 1
        logs["bytes_sent"] += nbytes
        logs["retries"] += retries
        logs["failed_requests"] += not ok

    # -- transport ----------------------------------------------------------------------------------------

    def take(self) -> dict[str, Any]:
        """Return the counters and start again from zero (a worker's delta for the master); the log records'
        account rides along under :data:`LOGS_KEY` when there is one."""
        taken, self.scenarios = self.scenarios, {}
        if any(self.logs["records"].values()) or self.logs["requests"]:
            taken[LOGS_KEY], self.logs = self.logs, blank_logs()
        return taken

    def merge(self, other: dict[str, Any]) -> None:
        other = dict(other)
        theirs_logs = other.pop(LOGS_KEY, None)
        if theirs_logs:
            _merge_logs(self.logs, theirs_logs)
        for scenario, theirs in other.items():
            mine = self._entry(scenario)
            for group in ("traces", "spans"):
                for outcome, value in theirs[group].items():
                    mine[group][outcome] = mine[group].get(outcome, 0) + value
            for group in ("dropped_by_reason", "failed_by_reason"):
                for reason, value in theirs.get(group, {}).items():
                    mine[group][reason] = mine[group].get(reason, 0) + value
            for counter in (*COUNTERS, "dropped_loss"):
                mine[counter] += theirs.get(counter, 0)
            for name, hist in theirs["shape"].items():
                target = mine["shape"][name]
                for key, count in hist.items():
                    target[key] = target.get(key, 0) + count

    def clear(self) -> None:
        self.scenarios = {}
        self.logs = blank_logs()

    # -- views --------------------------------------------------------------------------------------------

    def total(self) -> dict[str, Any]:
        """The sum over scenarios, same shape as one scenario's entry."""
        total = TraceStats()
        for entry in self.scenarios.values():
            total.merge({"total": entry})
        return total.scenarios.get("total", _blank())


def _merge_logs(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    for outcome, value in theirs.get("records", {}).items():
        mine["records"][outcome] = mine["records"].get(outcome, 0) + value
    for group in ("dropped_by_reason", "failed_by_reason"):
        for reason, value in theirs.get(group, {}).items():
            mine[group][reason] = mine[group].get(reason, 0) + value
    for counter in COUNTERS:
        mine[counter] += theirs.get(counter, 0)


class TraceTicket:
    """One trace in flight: which scenario, how many of its spans are not settled yet, the worst outcome so far.

    Requests settle spans as they answer (:meth:`settle`); the trace is counted in :class:`TraceStats` when its
    last span is settled. ``on_done`` (optional) hears the final outcome, e.g. to start a read-back.
    """

    __slots__ = (
        "_spans",
        "_stats",
        "depth",
        "on_done",
        "outcome",
        "reason",
        "scenario",
        "spans",
        "trace_id",
        "unsettled",
    )

    def __init__(
        self,
        stats: TraceStats,
        scenario: str,
        spans: int,
        trace_id: bytes = b"",
        depth: int = 0,
        on_done: Callable[[TraceTicket], None] | None = None,
    ) -> None:
        self._stats = stats
        self.scenario = scenario
        self.spans = spans
        self.unsettled = spans
        self.on_done = on_done
        self.trace_id = trace_id
        self.depth = depth
        self.outcome = "delivered"
        self.reason = ""
        self._spans = dict.fromkeys(SETTLED, 0)

    @property
    def done(self) -> bool:
        return self.unsettled <= 0

    def taint(self, outcome: str, reason: str = "") -> None:
        """Mark the trace at least ``outcome`` without settling spans (a request mixing traces had spans rejected,
        and partial_success cannot say whose: every trace in it counts failed)."""
        if PRECEDENCE[outcome] > PRECEDENCE[self.outcome]:
            self.outcome, self.reason = outcome, reason

    def settle(self, outcome: str, spans: int, reason: str = "") -> bool:
        """``spans`` of this trace ended as ``outcome``; returns True when that settled the whole trace."""
        if spans <= 0 or self.unsettled <= 0:
            return False
        spans = min(spans, self.unsettled)
        self._spans[outcome] += spans
        self.unsettled -= spans
        self.taint(outcome, reason)
        if self.unsettled:
            return False
        self._stats.finished(self.scenario, self.outcome, self._spans, self.reason)
        if self.on_done is not None:
            self.on_done(self)
        return True


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
