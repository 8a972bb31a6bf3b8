"""The fast path: a re-issued trace is a new trace (ids, times, dates, tokens) of the same shape, and valid.

Decoded with the official protobuf classes (``testing.capture``), not with the module's own byte search.
"""

from __future__ import annotations

import datetime
import random
import re
import struct
import time
from collections.abc import Sequence
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from otel_locust.encoding import reissue
from otel_locust.encoding.instrument import EncodedTrace, Instrumentation
from otel_locust.encoding.profiles import SEMCONV, instrumentation_for
from otel_locust.encoding.reissue import DAY_SHIFTS, Issued, Restamp, Template, token_pattern
from otel_locust.engine.conversation import Conversation
from otel_locust.engine.planner import Planner
from otel_locust.plugin.replay import ReplayedConversation, TemplatePool
from otel_locust.scenarios import CONTENT as TRAVEL
from otel_locust.testing.capture import CaptureReceiver, decode_spans
from otel_locust.testing.conformance import check_trace
from tests.helpers import run_locust, summary

CONV, USER = "conv_00112233445566ff", "user_00112233aabb"
TOKENS = token_pattern(TRAVEL.token_fields)
DATE = re.compile(rb"20[23]\d-[01]\d-[0-3]\d")


def shifted_date(date: bytes, days: int) -> bytes:
    """The reference: ``YYYY-MM-DD`` moved by ``days``, by the standard library."""
    return (datetime.date.fromisoformat(date.decode()) + datetime.timedelta(days=days)).isoformat().encode()


def record(
    instrumentation: Instrumentation,
    planner: Planner,
    scenario: Any,
    conversation: Conversation | None = None,
    earlier: Sequence[Template] = (),
) -> tuple[EncodedTrace, bytes, Template]:
    """Plan, encode and record one trace (the next turn of ``conversation``, after the templates ``earlier``)."""
    trace = planner.plan(scenario, CONV, USER, conversation=conversation)
    end_ns = time.time_ns()
    encoded = instrumentation.encode(trace, end_ns)
    [request] = instrumentation.requests(encoded)
    template = Template.of(
        encoded,
        request.body,
        end_ns - trace.spans[0].end,
        trace.spans[0].end,
        scenario=scenario.name,
        conversation_id=CONV,
        user_id=USER,
        tokens=TOKENS,
        earlier=earlier,
    )
    return encoded, request.body, template


def stamp(shift: int = 3) -> Restamp:
    return Restamp(b"conv_fedcba9876543210", b"user_ba9876543210", shift)


@pytest.mark.parametrize("delta", [12_345_678_901, -5_000_000])
def test_a_reissued_trace_is_a_new_trace_of_the_same_shape(instrumentation, planner, scenarios, delta):
    _, body, template = record(instrumentation, planner, scenarios["multi_service_complex"])
    issued = template.issue(random.Random(1), delta, stamp())
    before, after = decode_spans(body), decode_spans(issued.body)
    assert len(issued.body) == len(body) and len(after) == len(before) == template.count
    assert {s.trace_id for s in after} == {issued.trace_id} != {before[0].trace_id}
    assert len({s.span_id for s in after}) == len(after)
    assert not {s.span_id for s in after} & {s.span_id for s in before}
    old_index = {s.span_id: i for i, s in enumerate(before)}
    new_index = {s.span_id: i for i, s in enumerate(after)}
    for old, new in zip(before, after, strict=True):
        assert (old.name, old.kind, len(old.attributes)) == (new.name, new.kind, len(new.attributes))
        assert old_index.get(old.parent_span_id, -1) == new_index.get(new.parent_span_id, -1)
        assert new.start_time_unix_nano - old.start_time_unix_nano == delta
        assert new.end_time_unix_nano - old.end_time_unix_nano == delta
        for old_event, new_event in zip(old.events, new.events, strict=True):
            assert new_event.time_unix_nano - old_event.time_unix_nano == delta


def test_conversation_and_user_ids_are_restamped(instrumentation, planner, scenarios):
    _, body, template = record(instrumentation, planner, scenarios["delegated_booking"])
    issued = template.issue(random.Random(1), 0, stamp())
    assert body.count(CONV.encode()) > 0
    assert CONV.encode() not in issued.body
    assert issued.body.count(b"conv_fedcba9876543210") == body.count(CONV.encode())
    assert issued.body.count(b"user_ba9876543210") == body.count(USER.encode())


def test_dates_move_together_by_the_conversation_shift(instrumentation, planner, scenarios):
    _, body, template = record(instrumentation, planner, scenarios["single_service_search"])
    issued = template.issue(random.Random(1), 0, stamp(shift=-9))
    old, new = DATE.findall(body), DATE.findall(issued.body)
    assert old and len(old) == len(new)
    assert new == [shifted_date(d, -9) for d in old]
    assert old != new


def record_conversation(
    instrumentation: Instrumentation, planner: Planner, scenario: Any, turns: int
) -> list[tuple[bytes, Template]]:
    """A fresh conversation of ``turns`` turns, each recorded after the ones before it (as ``record_turn`` does)."""
    conversation = Conversation(CONV, USER, turns)
    recorded: list[tuple[bytes, Template]] = []
    for _ in range(turns):
        _, body, template = record(instrumentation, planner, scenario, conversation, [t for _, t in recorded])
        conversation.finish_turn(planner.rng)
        recorded.append((body, template))
    return recorded


def _tokens(body: bytes) -> list[bytes]:
    assert TOKENS is not None
    return [m.group(1) for m in TOKENS.finditer(body)]


@pytest.mark.parametrize("drop_first", [False, True])
def test_tokens_are_renewed_consistently_within_a_trace_and_across_turns(
    instrumentation, planner, scenarios, drop_first
):
    """Every occurrence of a token gets the same renewal, in its turn and in every later turn that carries it
    (``drop_first``: the first turn was dropped by backpressure, never issued; its renewals are made later)."""
    recorded = record_conversation(instrumentation, planner, scenarios["itinerary_replanning"], 3)
    old = [_tokens(body) for body, _ in recorded]
    assert set(old[0]) & set(old[2]), "the third turn carries tokens of the first in its history"
    conversation = stamp()
    issued = [t.issue(random.Random(k), 0, conversation) for k, (_, t) in enumerate(recorded) if k or not drop_first]
    new = [_tokens(i.body) for i in issued]
    old = old[1:] if drop_first else old
    renewal: dict[bytes, bytes] = {}
    for before, after in zip(old, new, strict=True):
        assert before and len(after) == len(before) and not set(before) & set(after)
        for o, n in zip(before, after, strict=True):
            assert renewal.setdefault(o, n) == n  # one renewal per token, across the turns
    again = recorded[2][1].issue(random.Random(99), 0, conversation)  # the same turn again: the same renewals
    assert _tokens(again.body) == new[-1]
    other = recorded[2][1].issue(random.Random(2), 0, stamp())  # another conversation: other tokens
    assert not set(_tokens(other.body)) & set(new[-1])


def test_a_day_shift_outside_the_date_strip_is_refused(instrumentation, planner, scenarios):
    _, _, template = record(instrumentation, planner, scenarios["single_service_search"])
    with pytest.raises(ValueError, match="day shift"):
        template.issue(random.Random(1), 0, stamp(shift=DAY_SHIFTS[-1] + 1))


@pytest.mark.skipif(reissue.STAMPING != "native", reason="the C extension is not built (no compiler at install)")
@pytest.mark.parametrize("profile", [SEMCONV, "google-adk"])  # google-adk: log records too
def test_native_stamping_makes_the_same_bytes_as_the_pure_python_path(planner, scenarios, profile, monkeypatch):
    instrumentation = instrumentation_for(profile, [], "travel-agent")
    for scenario in scenarios.values():
        for conversation_seed in range(2):
            recorded = record_conversation(instrumentation, planner, scenario, 3)
            made = {}
            for mode in ("native", "python"):
                monkeypatch.setattr(reissue, "STAMPING", mode)
                stamp_ = stamp(shift=conversation_seed * 7 - 3)
                made[mode] = [t.issue(random.Random(k), 1_234, stamp_) for k, (_, t) in enumerate(recorded)]
            for native, python in zip(made["native"], made["python"], strict=True):
                assert (native.body, native.logs, native.ids) == (python.body, python.logs, python.ids), scenario.name


@pytest.mark.skipif(reissue.STAMPING != "native", reason="the C extension is not built (no compiler at install)")
@pytest.mark.parametrize(
    ("slots", "sources", "error"),
    [
        (struct.pack("=4I", 2, 2, 0, 0), (b"xy",), None),  # fine: b"abxyef"
        (struct.pack("=4I", 5, 2, 0, 0), (b"xy",), ValueError),  # past the end of the data
        (struct.pack("=4I", 2, 2, 0, 1), (b"xy",), ValueError),  # past the end of its source
        (struct.pack("=4I", 2, 2, 1, 0), (b"xy",), ValueError),  # no such source
        (struct.pack("=8I", 3, 1, 0, 0, 2, 1, 0, 0), (b"x",), ValueError),  # out of order
        (struct.pack("=3I", 2, 2, 0), (b"xy",), ValueError),  # not whole entries
        (struct.pack("=4I", 2, 2, 0, 0), ("xy",), TypeError),  # a source that is not bytes
    ],
)
def test_the_c_stamp_checks_every_offset(slots, sources, error):
    from otel_locust.encoding._stamp import stamp as native_stamp

    if error is None:
        assert native_stamp(b"abcdef", slots, sources) == b"abxyef"
    else:
        with pytest.raises(error):
            native_stamp(b"abcdef", slots, sources)


@pytest.mark.parametrize("error_rate", [0.0, 0.5])
def test_reissued_traces_pass_every_conformance_check(instrumentation, scenarios, error_rate):
    from otel_locust.engine.pools import pools_for

    planner = Planner(pools_for(TRAVEL, 11), random.Random(5), error_rate=error_rate)
    for scenario in scenarios.values():
        _, _, template = record(instrumentation, planner, scenario)
        issued = template.issue(random.Random(3), 1_000, stamp())
        assert check_trace(decode_spans(issued.body)) == [], scenario.name


def test_log_records_follow_their_spans(planner, scenarios):
    adk = instrumentation_for("google-adk", [], "travel-agent")
    encoded, _, template = record(adk, planner, scenarios["single_service_search"])
    assert template.log_records == len(encoded.logs) > 0
    issued = template.issue(random.Random(1), 777, stamp())
    new_spans = {s.span_id for s in decode_spans(issued.body)}
    old_records = _records(adk.log_request(encoded.logs))
    new_records = _records(adk.log_request(list(issued.logs)))
    assert len(new_records) == len(old_records)
    for old, new in zip(old_records, new_records, strict=True):
        assert new.trace_id == issued.trace_id and new.span_id in new_spans
        assert new.time_unix_nano - old.time_unix_nano == 777
        assert new.observed_time_unix_nano - old.observed_time_unix_nano == 777


def _records(body: bytes) -> list[Any]:
    request = ExportLogsServiceRequest.FromString(body)
    return [r for rl in request.resource_logs for sl in rl.scope_logs for r in sl.log_records]


def test_the_same_seed_issues_the_same_bytes(instrumentation, planner, scenarios):
    _, _, template = record(instrumentation, planner, scenarios["delegated_booking"])
    first: Issued = template.issue(random.Random(9), 5, stamp())
    second: Issued = template.issue(random.Random(9), 5, stamp())
    third: Issued = template.issue(random.Random(10), 5, stamp())
    assert first.body == second.body and first.body != third.body


def test_the_read_back_probe_points_at_the_reissued_value(instrumentation, planner, scenarios):
    encoded, _, template = record(instrumentation, planner, scenarios["multi_service_complex"])
    assert template.probe is not None and encoded.probe_span
    offset, length, number = template.probe
    issued = template.issue(random.Random(1), 0, stamp())
    span = next(s for s in decode_spans(issued.body) if s.span_id == issued.span_id(number))
    messages = {a.key: a.value.string_value for a in span.attributes}["gen_ai.input.messages"]
    assert messages.encode() == b"[" + issued.body[offset : offset + length] + b"]"


# -- the pool ---------------------------------------------------------------------------------------------


class _Template:
    """Stands in for a template: only what the pool reads."""

    def __init__(self, nbytes: int = 100, scenario: str = "a") -> None:
        self.nbytes, self.scenario = nbytes, scenario


def _fill(pool: TemplatePool, scenario: str, count: int, nbytes: int = 100) -> list[Any]:
    recordings = []
    for _ in range(count):
        recording = pool.record(scenario, 2, random.Random(0))
        pool.add(recording, _Template(nbytes), "tokens")  # type: ignore[arg-type]
        recordings.append(recording)
    return recordings


def test_the_pool_replays_only_once_warm_and_keeps_planning_a_fresh_share():
    pool = TemplatePool(fresh=0.25, capacity=16, warm=4)
    rng = random.Random(1)
    _fill(pool, "a", 3)
    assert all(pool.draw("a", rng) is None for _ in range(50))  # not warm yet
    _fill(pool, "a", 1)
    draws = [pool.draw("a", rng) for _ in range(4000)]
    fresh = sum(d is None for d in draws) / len(draws)
    assert 0.22 < fresh < 0.28
    assert pool.draw("b", rng) is None


def test_the_pool_rotates_and_stays_within_its_budget():
    pool = TemplatePool(fresh=0.0, capacity=4, budget_bytes=1_000, warm=1)
    first = _fill(pool, "a", 4)
    newer = _fill(pool, "a", 2)
    assert pool.recordings("a") == 4 and first[0].closed and first[1].closed and not newer[-1].closed
    filled = _fill(pool, "b", 8, nbytes=300)  # over the byte budget: the largest scenario gives up its oldest
    assert pool.nbytes <= 1_000 and pool.recordings("a") >= 1 and pool.recordings("b") >= 1
    assert not filled[-1].closed and filled[0].closed


def test_a_recording_stops_at_the_first_turn_with_nothing_to_vary():
    pool = TemplatePool(fresh=0.0, warm=1)
    plain = pool.record("a", 3, random.Random(0))
    pool.add(plain, _Template(), "")  # type: ignore[arg-type]
    assert pool.recordings("a") == 0 and plain.closed
    varied = pool.record("a", 3, random.Random(0))
    pool.add(varied, _Template(), "tokens")  # type: ignore[arg-type]
    pool.add(varied, _Template(), "")  # type: ignore[arg-type]
    pool.add(varied, _Template(), "tokens")  # type: ignore[arg-type]
    assert len(varied.templates) == 1 and varied.closed
    replay = ReplayedConversation.of(varied, random.Random(1), USER, 0.0)
    assert replay.turns == 3 and not replay.done
    replay.finish_turn(random.Random(1))
    assert replay.done  # the recording holds one turn: the replay ends there


def test_a_recording_gives_each_day_shift_once_then_leaves_the_pool():
    pool = TemplatePool(fresh=0.0, warm=1)
    recording = pool.record("a", 1, random.Random(0))
    pool.add(recording, _Template(), "dates")  # type: ignore[arg-type]
    rng = random.Random(1)
    shifts = []
    while (drawn := pool.draw("a", rng)) is not None:
        shifts.append(ReplayedConversation.of(drawn, rng, USER, 0.0).stamp.day_shift)
    assert sorted(shifts) == [d for d in range(-30, 151) if d]  # each once, never 0 (the recording itself)
    assert pool.recordings("a") == 0  # then it leaves the pool: the next conversation is planned fresh


def test_replays_keep_the_mix_although_later_turns_follow_their_recordings():
    """Each turn of a fresh conversation is a weighted pick; a replay repeats its recording's later turns. The
    pool's choice among a few recordings keeps the shares of traces on the mix (here within 1 % over 12,000)."""
    weights = {"a": 40, "b": 30, "c": 20, "d": 10}
    pool = TemplatePool(fresh=0.02, warm=8, shares=weights)
    picks, users = random.Random(3), random.Random(4)
    open_: list[Any] = [None] * 16
    sent: dict[str, int] = dict.fromkeys(weights, 0)
    for index in range(12_000):
        pick = picks.choices(list(weights), list(weights.values()))[0]
        user = index % 16
        conversation = open_[user]
        if conversation is None or conversation[1] >= conversation[2]:
            recording = pool.draw(pick, users)
            if recording is None:
                recording = pool.record(pick, users.randint(1, 5), users)
                conversation = [recording, 0, recording.turns, True]
            else:
                conversation = [recording, 0, min(recording.turns, len(recording.templates)), False]
            open_[user] = conversation
        recording, turn, _, fresh = conversation
        scenario = pick if fresh else recording.templates[turn].scenario
        if fresh:
            pool.add(recording, _Template(scenario=scenario), "tokens")  # type: ignore[arg-type]
        pool.count(scenario)
        sent[scenario] += 1
        conversation[1] += 1
    assert all(abs(sent[name] / 12_000 - weight / 100) < 0.01 for name, weight in weights.items()), sent


def test_conversations_that_cannot_be_recorded_keep_their_share():
    """A quarter of a scenario's fresh first turns have nothing to vary: a quarter of new conversations are
    planned fresh, so re-issuing does not favour the kinds that can be recorded."""
    pool = TemplatePool(fresh=0.0, warm=1)
    rng = random.Random(2)
    for index in range(400):
        recording = pool.record("a", 1, rng)
        pool.add(recording, _Template(), "" if index % 4 == 0 else "tokens")  # type: ignore[arg-type]
    fresh = sum(pool.draw("a", rng) is None for _ in range(4000)) / 4000
    assert 0.22 < fresh < 0.28


@pytest.mark.e2e
def test_a_run_on_the_fast_path_sends_new_valid_traces(tmp_path):
    """A real run with the default --otel-fresh: most traces are re-issued (the process says how many), every
    trace has its own id, passes the conformance checks, and nearly every one differs in what the user asked or
    what its first tool answered."""
    receiver = CaptureReceiver()
    try:
        result = run_locust(
            [
                "--headless",
                "-u",
                "8",
                "-r",
                "8",
                "-t",
                "6s",
                "--otel-pace",
                "0",
                "--otel-seed",
                "3",
                "--otel-platform",
                "otlp",
                "--otel-endpoint",
                receiver.url,
                "--otel-summary",
                "summary.json",
            ],
            tmp_path,
        )
    finally:
        receiver.shutdown()
    assert result.returncode == 0, result.stderr[-3000:]
    issued = re.search(r"(\d+) traces re-issued from (\d+) recordings .* (\d+) planned fresh", result.stderr)
    assert issued, result.stderr[-2000:]
    reissued, fresh = int(issued.group(1)), int(issued.group(3))
    traces = receiver.traces()
    assert len(traces) == summary(tmp_path / "summary.json")["total"]["traces"]["delivered"] == reissued + fresh
    assert reissued > 4 * fresh
    inputs = set()
    for spans in traces.values():
        assert check_trace(spans) == []
        attrs = [{a.key: a.value.string_value for a in s.attributes} for s in spans]
        question = next(
            a["gen_ai.input.messages"] for s, a in zip(spans, attrs, strict=True) if s.name.startswith("chat ")
        )
        result_ = next(
            (
                a.get("gen_ai.tool.call.result", "")
                for s, a in zip(spans, attrs, strict=True)
                if s.name.startswith("execute_tool ")
            ),
            "",
        )
        inputs.add((question, result_))
    assert len(inputs) >= 0.95 * len(traces)


def test_a_fresh_conversation_is_recorded_only_while_its_scenario_has_room():
    """Recording costs more than planning: a full pool keeps planning its fresh share without recording it until
    a recording leaves; a scenario short of ``warm`` recordings always records (the budget makes room)."""
    from types import SimpleNamespace

    from otel_locust.engine.conversation import Conversation
    from otel_locust.engine.tiers import REALISTIC
    from otel_locust.plugin.replay import RecordedConversation
    from otel_locust.plugin.runtime import Session

    pool = TemplatePool(fresh=1.0, capacity=4, budget_bytes=100_000, warm=2)  # fresh 1: every draw plans fresh
    planner: Any = SimpleNamespace(tier=REALISTIC)  # starting a conversation reads only the tier
    session = Session(planner, random.Random(5), (1, 1), 0.0, pool)
    assert isinstance(session._start("a"), RecordedConversation), "an empty scenario records"
    kept = _fill(pool, "a", 4)
    assert not pool.has_room("a") and type(session._start("a")) is Conversation, "at capacity: fresh, not kept"
    for recording in kept:
        recording.shifts.clear()  # every day shift given: the next draw lets one leave
    pool.fresh = 0.0
    assert pool.draw("a", random.Random(1)) is None and pool.recordings("a") == 3
    assert pool.has_room("a") and isinstance(session._start("a"), RecordedConversation)
    _fill(pool, "b", 1, nbytes=95_000)  # over 90 % of the byte budget: no room, except below warm
    assert pool.full and not pool.has_room("a") and pool.has_room("c")
