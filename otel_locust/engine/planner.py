"""The engine: walk a scenario with a random generator and plan one trace (spans, timing, conversation).

Timing is synthetic: the planner computes start and end offsets from latency models and never sleeps, so one
process can plan hundreds of traces a second. Sequential steps advance a cursor; parallel steps start together
and the cursor moves to the latest end. Children always lie inside their parents.

Conversation growth: every agent keeps its own history (a list of JSON-encoded messages). Each model call sends
the history so far, so later model spans in an agent are larger, as in real agents. Messages are encoded once
when they join the history and then only referenced.
"""

from __future__ import annotations

import random

from otel_locust.engine.pools import Pools
from otel_locust.engine.scenario import (
    Agent,
    Answer,
    Delegate,
    Loop,
    Maybe,
    Parallel,
    Route,
    Scenario,
    Step,
    Tool,
    ToolRound,
)
from otel_locust.engine.trace import PlannedSpan, PlannedTrace

MS = 1_000_000  # nanoseconds per millisecond
CHARS_PER_TOKEN = 4.0
TOOL_ERRORS = ("TimeoutError", "503", "ConnectionResetError", "429")
# the output message around its parts: [{"role":"assistant","parts":[...],"finish_reason":"..."}]
_OUTPUT_WRAPPER = len(b'[{"role":"assistant","parts":[],"finish_reason":""}]')


def _user_message(text: bytes) -> bytes:
    return b'{"role":"user","parts":[{"type":"text","content":' + text + b"}]}"


def _tool_message(call_id: str, response: bytes) -> bytes:
    return (b'{"role":"tool","parts":[{"type":"tool_call_response","id":"' + call_id.encode()
            + b'","response":' + response + b"}]}")


def _tool_call_part(call_id: str, name: str, arguments: bytes) -> bytes:
    return (b'{"type":"tool_call","id":"' + call_id.encode() + b'","name":"' + name.encode()
            + b'","arguments":' + arguments + b"}")


def _text_part(text: bytes) -> bytes:
    return b'{"type":"text","content":' + text + b"}"


class _AgentRun:
    """The mutable state of one agent while it is being planned: its span, history and cursor."""

    __slots__ = ("agent", "answer", "cursor", "history", "history_bytes", "index", "system")

    def __init__(self, agent: Agent, index: int, system: bytes, task: bytes, start: int) -> None:
        self.agent = agent
        self.index = index
        self.system = system
        first = _user_message(task)
        self.history: list[bytes] = [first]
        self.history_bytes = len(first)
        self.cursor = start
        self.answer = b'""'

    def add(self, message: bytes) -> None:
        self.history.append(message)
        self.history_bytes += len(message)


class Planner:
    """Plans traces of any scenario from shared payload pools. One per Locust user (it holds the RNG)."""

    def __init__(self, pools: Pools, rng: random.Random) -> None:
        self.pools = pools
        self.rng = rng
        self._spans: list[PlannedSpan] = []
        self._depths: list[int] = []

    def plan(self, scenario: Scenario, conversation_id: str = "", user_id: str = "") -> PlannedTrace:
        """Plan one trace of ``scenario``; times are offsets in ns from the trace start."""
        self._spans, self._depths = [], []
        question = self.pools.pick(scenario.question, self.rng)
        self._run_agent(scenario.agent, -1, 0, question)
        return PlannedTrace(scenario, self._spans, max(self._depths), conversation_id, user_id)

    # -- spans ----------------------------------------------------------------------------------------------

    def _new(self, kind: str, parent: int, start: int, agent: Agent) -> PlannedSpan:
        span = PlannedSpan(kind, parent, start, agent)  # type: ignore[arg-type]
        self._spans.append(span)
        self._depths.append(self._depths[parent] + 1 if parent >= 0 else 1)
        return span

    def _gap(self, low_ms: float = 0.2, high_ms: float = 3.0) -> int:
        """Framework overhead between steps."""
        return int(self.rng.uniform(low_ms, high_ms) * MS)

    def _run_agent(self, agent: Agent, parent: int, start: int, task: bytes) -> tuple[int, bytes]:
        """Plan an ``invoke_agent`` span and its workflow; returns (end, answer text)."""
        span = self._new("agent", parent, start, agent)
        span.task = task
        run = _AgentRun(agent, len(self._spans) - 1, self.pools.pick(agent.system, self.rng), task,
                        start + self._gap(1, 8))
        self._steps(run, agent.steps)
        span.end = run.cursor + self._gap(0.5, 4)
        span.answer = run.answer
        return span.end, run.answer

    def _steps(self, run: _AgentRun, steps: tuple[Step, ...]) -> None:
        for step in steps:
            self._step(run, step)

    def _step(self, run: _AgentRun, step: Step) -> None:
        rng = self.rng
        if isinstance(step, ToolRound):
            self._tool_round(run, step)
        elif isinstance(step, Answer):
            text = self.pools.pick(step.text, rng)
            self._llm(run, _text_part(text), "stop")
            run.answer = text
        elif isinstance(step, Loop):
            for _ in range(rng.randint(step.low, step.high)):
                self._steps(run, step.body)
        elif isinstance(step, Maybe):
            if rng.random() < step.p:
                self._steps(run, step.body)
        elif isinstance(step, Route):
            weights = [w for w, _ in step.branches]
            branch = rng.choices(step.branches, weights)[0][1]
            self._steps(run, branch)
        elif isinstance(step, Delegate):
            self._delegate(run, (step,))
        elif isinstance(step, Parallel):
            self._parallel(run, step)
        else:  # pragma: no cover - guarded by the Step union
            raise TypeError(f"unknown step {step!r}")

    # -- model calls ----------------------------------------------------------------------------------------

    def _llm(self, run: _AgentRun, parts: bytes, finish_reason: str) -> PlannedSpan:
        """A model call sending the agent's history and returning ``parts``; advances the cursor."""
        rng, model = self.rng, run.agent.model
        span = self._new("llm", run.index, run.cursor + self._gap(), run.agent)
        span.model = model
        span.system = run.system
        span.history = tuple(run.history)
        span.history_bytes = run.history_bytes
        span.output = parts
        span.finish_reason = finish_reason
        span.input_tokens = int((run.history_bytes + len(run.system)) / CHARS_PER_TOKEN * rng.uniform(0.9, 1.1))
        output_chars = len(parts) + _OUTPUT_WRAPPER + len(finish_reason)
        span.output_tokens = max(1, int(output_chars / CHARS_PER_TOKEN * rng.uniform(0.9, 1.1)))
        span.response_id = f"chatcmpl-{rng.getrandbits(96):024x}"
        ttft = model.ttft_ms * rng.lognormvariate(0, 0.35) * (1 + span.input_tokens / 30000)
        span.end = span.start + int((ttft + span.output_tokens / model.tokens_per_s * 1000) * MS)
        run.cursor = span.end
        run.add(b'{"role":"assistant","parts":[' + parts + b"]}")
        return span

    def _call_id(self) -> str:
        return f"call_{self.rng.getrandbits(96):024x}"

    def _tool_round(self, run: _AgentRun, step: ToolRound) -> None:
        rng = self.rng
        calls = [(tool, self._call_id(), self.pools.pick(tool.args, rng)) for tool in step.tools]
        parts = [_tool_call_part(cid, tool.name, args) for tool, cid, args in calls]
        if step.thought:
            parts.insert(0, _text_part(self.pools.pick(step.thought, rng)))
        self._llm(run, b",".join(parts), "tool_call")
        failed = self._run_tools(run, calls, step.parallel)
        for tool, args in failed:  # the model sees the error and asks again, once
            retry = [(tool, self._call_id(), args)]
            self._llm(run, _tool_call_part(retry[0][1], tool.name, args), "tool_call")
            self._run_tools(run, retry, parallel=False, can_fail=False)

    def _run_tools(self, run: _AgentRun, calls: list[tuple[Tool, str, bytes]], parallel: bool,
                   can_fail: bool = True) -> list[tuple[Tool, bytes]]:
        """Plan tool spans (with their HTTP children); returns the calls that failed."""
        rng, start, end, failed = self.rng, run.cursor, run.cursor, []
        for tool, call_id, args in calls:
            begin = (start if parallel else end) + self._gap(0.1, 2)
            span = self._new("tool", run.index, begin, run.agent)
            span.tool, span.call_id, span.arguments = tool, call_id, args
            duration = tool.latency_ms * rng.lognormvariate(0, tool.sigma) * MS
            span.end = begin + int(duration)
            self._http_children(span, len(self._spans) - 1, duration)
            if can_fail and tool.fail_rate and rng.random() < tool.fail_rate:
                span.error = rng.choice(TOOL_ERRORS)
                span.result = f'{{"error":"{span.error}","message":"{tool.name} did not complete"}}'.encode()
                failed.append((tool, args))
            else:
                span.result = self.pools.pick(tool.result, rng)
            run.add(_tool_message(call_id, self.pools.model_view(span.result)))
            end = max(end, span.end)
        run.cursor = end
        return failed

    def _http_children(self, tool_span: PlannedSpan, index: int, duration: float) -> None:
        for http in tool_span.tool.http:  # type: ignore[union-attr]
            begin = tool_span.start + int(duration * self.rng.uniform(0.02, 0.1))
            child = self._new("http", index, begin, tool_span.agent)
            child.http, child.tool, child.error = http, tool_span.tool, tool_span.error
            child.end = min(tool_span.end - 1000, begin + int(duration * http.share))

    # -- delegation -----------------------------------------------------------------------------------------

    def _delegate(self, run: _AgentRun, delegates: tuple[Delegate, ...]) -> None:
        """One handoff model call naming every sub-agent, then the sub-agents run side by side."""
        rng = self.rng
        calls = [(d.agent, self._call_id(), self.pools.pick(d.agent.task, rng)) for d in delegates]
        parts = [_tool_call_part(cid, f"transfer_to_{agent.name}", b'{"task":' + task + b"}")
                 for agent, cid, task in calls]
        self._llm(run, b",".join(parts), "tool_call")
        start, end = run.cursor, run.cursor
        for agent, call_id, task in calls:
            agent_end, answer = self._run_agent(agent, run.index, start + self._gap(0.5, 5), task)
            run.add(_tool_message(call_id, answer))
            end = max(end, agent_end)
        run.cursor = end

    def _parallel(self, run: _AgentRun, step: Parallel) -> None:
        """Delegates in a Parallel share one handoff; other steps start together and the cursor takes the max."""
        delegates = tuple(s for s in step.steps if isinstance(s, Delegate))
        others = [s for s in step.steps if not isinstance(s, Delegate)]
        start, end = run.cursor, run.cursor
        if delegates:
            self._delegate(run, delegates)
            end = run.cursor
        for other in others:
            run.cursor = start
            self._step(run, other)
            end = max(end, run.cursor)
        run.cursor = end

