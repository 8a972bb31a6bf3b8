"""The engine: walk a scenario with a random generator and plan one trace (spans, timing, conversation).

Timing is synthetic: the planner computes start and end offsets from latency models and never sleeps, so one
process can plan hundreds of traces a second. Sequential steps advance a cursor; parallel steps start together
and the cursor moves to the latest end. Children always lie inside their parents.

Conversation growth: every agent keeps its own history (a list of JSON-encoded messages). Each model call sends
the history so far, so later model spans in an agent are larger, as in real agents. Messages are encoded once
when they join the history and then only referenced. Across turns (:mod:`~otel_locust.engine.conversation`) the
root agent starts from the history its conversation carried over.

Payload tiers (:mod:`~otel_locust.engine.tiers`): in ``production`` and ``stress`` tools with a ``document`` kind
return large documents (the model sees a truncated view), lead agents' system prompts carry a handbook, and an
agent whose context passes the tier's threshold compacts it first: one extra model call whose output is a
``compaction`` part (finish reason ``compaction``); later calls carry ``gen_ai.conversation.compacted``.

Failures inside traces (``error_rate``: the share of traces that get one, on top of the tools' own failures):

* ``model_retry``: a model call fails (429 or 5xx) and the SDK retries it after a backoff;
* ``tool_timeout``: a tool times out after 30 s, the model sees the error and calls it again;
* ``guardrail``: the first model call is blocked (finish reason ``content_filter``), the turn ends there and the
  agent span records the guardrail's exception;
* ``subagent``: a sub-agent's tool fails twice, the sub-agent gives up with an error, and its parent reports it.

Beside the planned work: a share of the root agent's answers is scored by online evaluators (``Evaluation``,
reported as ``gen_ai.evaluation.result`` events), a share of user turns attach an image or a document by
reference (``uri``/``file`` parts, from the pack's ``attachment`` pool), and MCP tools get JSON-RPC request ids.
A :class:`~otel_locust.engine.scenario.Retrieve` step plans embeddings, retrieval, rerank and guardrail spans.
"""

from __future__ import annotations

import json
import random
import zlib
from functools import lru_cache

from otel_locust.engine.conversation import Conversation
from otel_locust.engine.pools import Pools
from otel_locust.engine.scenario import (
    Agent,
    Answer,
    Delegate,
    Loop,
    Maybe,
    Parallel,
    Retrieve,
    Route,
    Scenario,
    Step,
    Tool,
    ToolRound,
)
from otel_locust.engine.tiers import REALISTIC, Tier
from otel_locust.engine.trace import Document, Evaluation, PlannedSpan, PlannedTrace, SpanKindName

MS = 1_000_000  # nanoseconds per millisecond
CHARS_PER_TOKEN = 4.0
TOOL_ERRORS = ("TimeoutError", "503", "ConnectionResetError", "429")
FAULTS = ("model_retry", "tool_timeout", "guardrail", "subagent")
MODEL_ERRORS = ("RateLimitError", "RateLimitError", "InternalServerError", "APITimeoutError")
TOOL_TIMEOUT_MS = 30_000.0
GUARDRAIL_ERROR = "InputGuardrailTripwireTriggered"
SUBAGENT_ERROR = "ToolExecutionError"
REFUSALS = (
    b"\"I can't help with that request: it asks for other travellers' personal data, which I am not allowed to "
    b'share. I can help you with your own bookings and the travel policy instead."',
    b'"This request was blocked by the content policy of the travel assistant. Please rephrase it without '
    b'payment card numbers or passwords, and I will be glad to continue."',
)
# the output message around its parts: [{"role":"assistant","parts":[...]}] (the finish reason is reported in
# gen_ai.response.finish_reasons only: inside output messages it is deprecated)
_OUTPUT_WRAPPER = len(b'[{"role":"assistant","parts":[]}]')
EVALUATED_SHARE = 0.25  # root answers scored by online evaluators
ATTACHMENT_SHARE = 0.12  # user turns that attach an image or a document
# evaluator -> (score above which the label is the first, labels); groundedness only where documents were retrieved
EVALUATORS = {
    "relevance": (0.6, ("relevant", "irrelevant")),
    "helpfulness": (0.5, ("helpful", "unhelpful")),
    "groundedness": (0.7, ("grounded", "ungrounded")),
}
RAG_LATENCY_MS = {"embedding": 70.0, "rerank": 140.0, "guardrail": 35.0}
GUARD_DECISIONS = (("allow", 0.92), ("warn", 0.08))


def _user_message(text: bytes, attachment: bytes = b"") -> bytes:
    extra = b"," + attachment if attachment else b""
    return b'{"role":"user","parts":[{"type":"text","content":' + text + b"}" + extra + b"]}"


@lru_cache(maxsize=256)
def rag_tool(step: Retrieve, kind: str) -> Tool:
    """The tool a framework profile shows for one span of a Retrieve step (frameworks run retrieval as a tool
    call or a chain step; OpenInference and the GenAI conventions have span types of their own for it)."""
    name, description = {
        "embedding": ("embed_query", f"Embed the search query with {step.embedder.name}."),
        "retrieval": (f"search_{step.source}", f"Search {step.source} for passages relevant to the query."),
        "rerank": ("rerank_documents", "Re-rank retrieved passages by relevance to the query."),
        "guardrail": ("screen_documents", "Screen retrieved passages for prompt injection."),
    }[kind]
    return Tool(name, description, "", "", parameters='{"type":"object","properties":{"query":{"type":"string"}}}')


def _tool_message(call_id: str, response: bytes) -> bytes:
    return (
        b'{"role":"tool","parts":[{"type":"tool_call_response","id":"'
        + call_id.encode()
        + b'","response":'
        + response
        + b"}]}"
    )


def _tool_call_part(call_id: str, name: str, arguments: bytes) -> bytes:
    return (
        b'{"type":"tool_call","id":"'
        + call_id.encode()
        + b'","name":"'
        + name.encode()
        + b'","arguments":'
        + arguments
        + b"}"
    )


def _text_part(text: bytes) -> bytes:
    return b'{"type":"text","content":' + text + b"}"


def _compaction_part(summary_id: str, text: bytes) -> bytes:
    return b'{"type":"compaction","id":"' + summary_id.encode() + b'","content":' + text + b"}"


class _AgentRun:
    """The mutable state of one agent while it is being planned: its span, history and cursor."""

    __slots__ = (
        "agent",
        "answer",
        "compacted",
        "cursor",
        "doomed",
        "error",
        "history",
        "history_bytes",
        "index",
        "retrieved",
        "stopped",
        "system",
        "task",
        "task_message",
    )

    def __init__(
        self,
        agent: Agent,
        index: int,
        system: bytes,
        task: bytes,
        start: int,
        carried: tuple[bytes, ...] = (),
        compacted: bool = False,
        attachment: bytes = b"",
    ) -> None:
        self.agent = agent
        self.index = index
        self.system = system
        self.task = task
        self.retrieved = False  # a Retrieve step ran: the answer can be judged for groundedness
        self.task_message = _user_message(task, attachment)
        self.history: list[bytes] = [*carried, self.task_message]
        self.history_bytes = sum(map(len, self.history))
        self.cursor = start
        self.answer = b'""'
        self.compacted = compacted  # the history holds a compaction
        self.doomed = False  # this agent (or its first sub-agent) fails: the ``subagent`` fault
        self.stopped = False  # the agent ended early (guardrail, failure): no more steps
        self.error: str | None = None

    def add(self, message: bytes) -> None:
        self.history.append(message)
        self.history_bytes += len(message)


class Planner:
    """Plans traces of any scenario from shared payload pools. One per Locust user (it holds the RNG)."""

    def __init__(self, pools: Pools, rng: random.Random, tier: Tier = REALISTIC, error_rate: float = 0.0) -> None:
        self.pools = pools
        self.rng = rng
        self.tier = tier
        self.error_rate = error_rate
        self._spans: list[PlannedSpan] = []
        self._depths: list[int] = []
        self._fault: str | None = None
        self._root: _AgentRun | None = None
        self._huge = False  # this trace's first document is a limit probe (stress tier)
        self._rpc = 0  # JSON-RPC request ids of this trace's MCP calls
        self._query = b""  # the query of the retrieval being planned

    def plan(
        self, scenario: Scenario, conversation_id: str = "", user_id: str = "", conversation: Conversation | None = None
    ) -> PlannedTrace:
        """Plan one trace of ``scenario``; times are offsets in ns from the trace start.

        With a ``conversation`` the trace is its next turn: it starts from the carried history, and what it adds
        is carried on (the conversation's ids win over the arguments).
        """
        self._spans, self._depths, self._root, self._rpc = [], [], None, 0
        self._fault = self._pick_fault(scenario)
        self._huge = bool(self.tier.huge_p) and self.rng.random() < self.tier.huge_p
        question = self.pools.pick(scenario.question, self.rng)
        attachment = self._attachment()
        turn = 1
        if conversation is not None:
            conversation_id, user_id, turn = conversation.id, conversation.user_id, conversation.turn
            self._run_agent(
                scenario.agent,
                -1,
                0,
                question,
                tuple(conversation.history),
                conversation.compacted,
                attachment=attachment,
            )
            self._carry(conversation)
        else:
            self._run_agent(scenario.agent, -1, 0, question, attachment=attachment)
        trace = PlannedTrace(scenario, self._spans, max(self._depths), conversation_id, user_id, turn)
        # keep nothing of this trace between plans: every user has a planner, and 10,000 users each holding their
        # last trace's spans and messages (tens of KB) made RSS climb as users got their first traces (issue 13)
        self._spans, self._depths, self._root, self._query = [], [], None, b""
        return trace

    def _attachment(self) -> bytes:
        """An image or document part (by reference) the user attaches to this turn, on a share of turns; none
        when the pack has no ``attachment`` pool."""
        if "attachment" not in self.pools.entries or self.rng.random() >= ATTACHMENT_SHARE:
            return b""
        return self.pools.pick("attachment", self.rng)

    def _pick_fault(self, scenario: Scenario) -> str | None:
        """One of the injected failures for this trace (with ``error_rate``), among those its scenario allows."""
        if not (self.error_rate and self.rng.random() < self.error_rate):
            return None
        faults = FAULTS if _delegates(scenario.agent.steps) else FAULTS[:-1]
        return faults[int(self.rng.random() * len(faults))]

    def _carry(self, conversation: Conversation) -> None:
        """Hand the turn's messages to the conversation: all of them (tiers that carry tools), else only the
        question and the answer."""
        root = self._root
        assert root is not None
        if self.tier.carry_tools:
            conversation.carry(root.history, replace=True)
        else:
            answer = b'{"role":"assistant","parts":[' + _text_part(root.answer) + b"]}"
            conversation.carry((root.task_message, answer), replace=False)
        conversation.finish_turn(self.rng)

    # -- spans ----------------------------------------------------------------------------------------------

    def _new(self, kind: SpanKindName, parent: int, start: int, agent: Agent) -> PlannedSpan:
        span = PlannedSpan(kind, parent, start, agent)
        self._spans.append(span)
        self._depths.append(self._depths[parent] + 1 if parent >= 0 else 1)
        return span

    def _gap(self, low_ms: float = 0.2, high_ms: float = 3.0) -> int:
        """Framework overhead between steps."""
        return int(self.rng.uniform(low_ms, high_ms) * MS)

    def _run_agent(
        self,
        agent: Agent,
        parent: int,
        start: int,
        task: bytes,
        carried: tuple[bytes, ...] = (),
        compacted: bool = False,
        doomed: bool = False,
        attachment: bytes = b"",
    ) -> _AgentRun:
        """Plan an ``invoke_agent`` span and its workflow; returns the finished run (end cursor, answer)."""
        span = self._new("agent", parent, start, agent)
        span.task = task
        system = self.pools.pick(agent.system, self.rng)
        if self.tier.system_extra and not agent.system.endswith(".brief"):
            system = self.pools.handbook(system, self.tier.system_extra)
        run = _AgentRun(
            agent, len(self._spans) - 1, system, task, start + self._gap(1, 8), carried, compacted, attachment
        )
        run.doomed = doomed
        if parent < 0:
            self._root = run
        self._steps(run, agent.steps)
        span.end = run.cursor + self._gap(0.5, 4)
        run.cursor = span.end
        span.answer = run.answer
        span.error = run.error
        return run

    def _steps(self, run: _AgentRun, steps: tuple[Step, ...]) -> None:
        for step in steps:
            if run.stopped:
                return
            self._step(run, step)

    def _step(self, run: _AgentRun, step: Step) -> None:
        rng = self.rng
        if isinstance(step, ToolRound):
            self._tool_round(run, step)
        elif isinstance(step, Answer):
            text = self.pools.pick(step.text, rng)
            span = self._llm(run, _text_part(text), "stop")
            if not run.stopped:
                run.answer = text
                if run.index == 0 and rng.random() < EVALUATED_SHARE:
                    span.evaluations = self._evaluations(run.retrieved)
        elif isinstance(step, Retrieve):
            self._retrieve(run, step)
        elif isinstance(step, Loop):
            count = rng.randint(step.low, step.high)
            if step.grows:
                count = round(count * self.tier.loop_scale)
            for _ in range(count):
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

    def _evaluations(self, retrieved: bool) -> tuple[Evaluation, ...]:
        """One or two online evaluations of an answer (groundedness only where documents were retrieved)."""
        rng, pools = self.rng, self.pools
        names = ["relevance", "helpfulness", *(["groundedness"] if retrieved else [])]
        chosen = rng.sample(names, 2 if rng.random() < 0.4 else 1)
        found = []
        for name in chosen:
            threshold, (good, bad) = EVALUATORS[name]
            score = round(min(1.0, max(0.0, rng.betavariate(6, 1.6))), 3)
            label = good if score >= threshold else bad
            pool = f"evaluation.{label}"
            explanation = json.loads(pools.pick(pool, rng)) if pool in pools.entries else f"Judged {label}."
            found.append(Evaluation(name, score, label, explanation))
        return tuple(found)

    # -- retrieval ------------------------------------------------------------------------------------------

    def _retrieve(self, run: _AgentRun, step: Retrieve) -> None:
        """Embed the question, search the data source, rerank and screen the hits; the kept documents join the
        history as context for the next model call."""
        rng = self.rng
        embed = self._rag_span("embedding", run, step, RAG_LATENCY_MS["embedding"])
        embed.model = step.embedder
        embed.input_tokens = max(1, int(len(run.task) / CHARS_PER_TOKEN * rng.uniform(0.9, 1.1)))
        embed.arguments = b'{"input":' + run.task + b"}"
        embed.result = b'{"dimensions":%d}' % step.dimensions
        self._query = run.task
        found = self._rag_span("retrieval", run, step, step.latency_ms, self._search(step))
        kept = found.documents
        if step.reranker is not None:
            rescored = sorted(
                (Document(d.id, round(rng.uniform(0.05, 0.99), 4), d.content) for d in kept), key=lambda d: -d.score
            )
            rerank = self._rag_span(
                "rerank", run, step, RAG_LATENCY_MS["rerank"], tuple(rescored[: rng.randint(*step.keep)])
            )
            rerank.model = step.reranker
            kept = rerank.documents
        if step.guardian:
            guard = self._rag_span("guardrail", run, step, RAG_LATENCY_MS["guardrail"], kept)
            guard.decision = rng.choices([d for d, _ in GUARD_DECISIONS], [w for _, w in GUARD_DECISIONS])[0]
        context = b"\\n\\n".join(b"[" + d.id.encode() + b"] " + d.content[1:-1] for d in kept)
        run.add(_user_message(b'"Passages from ' + step.source.encode() + b":\\n\\n" + context + b'"'))
        run.retrieved = True

    def _search(self, step: Retrieve) -> tuple[Document, ...]:
        """``top_k`` distinct documents of the step's pool with falling similarity scores."""
        rng, pools = self.rng, self.pools
        contents = dict.fromkeys(pools.related(step.documents, self._query, rng.randint(*step.top_k), rng))
        score, found = rng.uniform(0.78, 0.93), []
        for content in contents:
            found.append(Document(f"{step.source}:{zlib.crc32(content):08x}", round(score, 4), content))
            score -= rng.uniform(0.004, 0.035)
        return tuple(found)

    def _rag_span(
        self, kind: SpanKindName, run: _AgentRun, step: Retrieve, median_ms: float, documents: tuple[Document, ...] = ()
    ) -> PlannedSpan:
        """One span of a Retrieve step, after the previous one; advances the cursor."""
        span = self._new(kind, run.index, run.cursor + self._gap(0.1, 1.5), run.agent)
        span.retrieve, span.tool, span.query, span.documents = step, rag_tool(step, kind), run.task, documents
        span.arguments = b'{"query":' + run.task + b"}"
        if documents:
            span.result = (
                b"["
                + b",".join(
                    b'{"id":"%s","score":%s,"content":%s}' % (d.id.encode(), repr(d.score).encode(), d.content)
                    for d in documents
                )
                + b"]"
            )
        span.end = span.start + int(median_ms * self.rng.lognormvariate(0, 0.4) * MS)
        run.cursor = span.end
        return span

    # -- model calls ----------------------------------------------------------------------------------------

    def _llm(self, run: _AgentRun, parts: bytes, finish_reason: str) -> PlannedSpan:
        """A model call sending the agent's history and returning ``parts``; advances the cursor.

        Before it: a compaction when the context has grown past the tier's threshold, and the injected model
        failure (a failed call, then the SDK's backoff). The guardrail fault replaces the output with a refusal
        and stops the agent."""
        if self.tier.compact_at and run.history_bytes + len(run.system) > self.tier.compact_at:
            self._compact(run)
        if self._fault == "model_retry":
            self._fault = None
            self._failed_call(run)
        if self._fault == "guardrail" and run.index == 0:
            self._fault = None
            parts, finish_reason = _text_part(REFUSALS[int(self.rng.random() * len(REFUSALS))]), "content_filter"
            run.stopped, run.error = True, GUARDRAIL_ERROR
            run.answer = parts[len(b'{"type":"text","content":') : -1]
        span = self._call(run, parts, finish_reason)
        run.add(b'{"role":"assistant","parts":[' + parts + b"]}")
        return span

    def _call(self, run: _AgentRun, parts: bytes, finish_reason: str) -> PlannedSpan:
        """The chat span of one model call on the agent's current history; advances the cursor."""
        rng, model = self.rng, run.agent.model
        span = self._new("llm", run.index, run.cursor + self._gap(), run.agent)
        span.model = model
        span.system = run.system
        span.history = tuple(run.history)
        span.history_bytes = run.history_bytes
        span.compacted = run.compacted
        span.output = parts
        span.finish_reason = finish_reason
        span.input_tokens = int((run.history_bytes + len(run.system)) / CHARS_PER_TOKEN * rng.uniform(0.9, 1.1))
        output_chars = len(parts) + _OUTPUT_WRAPPER
        span.output_tokens = max(1, int(output_chars / CHARS_PER_TOKEN * rng.uniform(0.9, 1.1)))
        span.response_id = f"chatcmpl-{rng.getrandbits(96):024x}"
        ttft = model.ttft_ms * rng.lognormvariate(0, 0.35) * (1 + span.input_tokens / 30000)
        span.end = span.start + int((ttft + span.output_tokens / model.tokens_per_s * 1000) * MS)
        run.cursor = span.end
        return span

    def _failed_call(self, run: _AgentRun) -> None:
        """A model call that fails (rate limit, server error, timeout); the SDK waits and retries it."""
        rng = self.rng
        span = self._new("llm", run.index, run.cursor + self._gap(), run.agent)
        span.model, span.system, span.compacted = run.agent.model, run.system, run.compacted
        span.history, span.history_bytes = tuple(run.history), run.history_bytes
        span.error = MODEL_ERRORS[int(rng.random() * len(MODEL_ERRORS))]
        span.finish_reason = "error"
        span.input_tokens = int((run.history_bytes + len(run.system)) / CHARS_PER_TOKEN * rng.uniform(0.9, 1.1))
        took_ms = {"RateLimitError": rng.uniform(40, 300), "APITimeoutError": 60_000.0}.get(
            span.error, rng.uniform(400, 3000)
        )
        span.end = span.start + int(took_ms * MS)
        run.cursor = span.end + int(rng.uniform(500, 4000) * MS)  # the SDK's backoff before the retry

    def _compact(self, run: _AgentRun) -> None:
        """One model call that summarises the whole history into a compaction part; the agent continues from the
        summary, its task and its latest exchange."""
        rng, pools = self.rng, self.pools
        want = min(24_000, max(2_000, run.history_bytes // 30))
        pieces, size = [], 0
        while size < want:
            pieces.append(pools.pick("answer.long", rng)[1:-1])
            size += len(pieces[-1]) + 1
        summary = b'"' + b" ".join(pieces) + b'"'
        part = _compaction_part(f"cmp_{rng.getrandbits(64):016x}", summary)
        self._call(run, part, "compaction")
        # the latest exchange: the last assistant message and the tool results answering it (never a result
        # without the call it answers: model APIs refuse such a history)
        start = max(
            (i for i, m in enumerate(run.history) if m.startswith(b'{"role":"assistant"')), default=len(run.history) - 1
        )
        tail = [m for m in run.history[start:] if m is not run.task_message]
        run.history = [b'{"role":"assistant","parts":[' + part + b"]}", run.task_message, *tail]
        run.history_bytes = sum(map(len, run.history))
        run.compacted = True

    def _call_id(self) -> str:
        return f"call_{self.rng.getrandbits(96):024x}"

    def _tool_round(self, run: _AgentRun, step: ToolRound) -> None:
        rng = self.rng
        tools = step.tools
        if step.repeat != (1, 1):
            count = rng.randint(*step.repeat)
            tools *= round(count * self.tier.loop_scale) if step.grows else count
        calls = [(tool, self._call_id(), self.pools.pick(tool.args, rng)) for tool in tools]
        parts = [_tool_call_part(cid, tool.name, args) for tool, cid, args in calls]
        if step.thought:
            parts.insert(0, _text_part(self.pools.pick(step.thought, rng)))
        self._llm(run, b",".join(parts), "tool_call")
        if run.stopped:
            return
        doomed, run.doomed = run.doomed, False
        failed = self._run_tools(run, calls, step.parallel, force="503" if doomed else "")
        for tool, args in failed:  # the model sees the error and asks again, once
            retry = [(tool, self._call_id(), args)]
            self._llm(run, _tool_call_part(retry[0][1], tool.name, args), "tool_call")
            if self._run_tools(run, retry, parallel=False, can_fail=False, force="503" if doomed else "") and doomed:
                run.stopped, run.error = True, SUBAGENT_ERROR
                run.answer = f'"{tool.name} failed twice (503 from the supplier); I could not finish."'.encode()
                return

    def _run_tools(
        self,
        run: _AgentRun,
        calls: list[tuple[Tool, str, bytes]],
        parallel: bool,
        can_fail: bool = True,
        force: str = "",
    ) -> list[tuple[Tool, bytes]]:
        """Plan tool spans (with their HTTP children); returns the calls that failed. ``force`` fails the first
        call with that error (the injected faults)."""
        rng, start, end, failed = self.rng, run.cursor, run.cursor, []
        if not force and self._fault == "tool_timeout":
            self._fault, force = None, "TimeoutError"
        for tool, call_id, args in calls:
            begin = (start if parallel else end) + self._gap(0.1, 2)
            span = self._new("tool", run.index, begin, run.agent)
            span.tool, span.call_id, span.arguments = tool, call_id, args
            if tool.mcp:
                self._rpc += 1
                span.rpc_id = self._rpc
            duration = tool.latency_ms * rng.lognormvariate(0, tool.sigma) * MS
            if force == "TimeoutError":
                duration = TOOL_TIMEOUT_MS * rng.uniform(1.0, 1.01) * MS
            span.end = begin + int(duration)
            self._http_children(span, tool, len(self._spans) - 1, duration)
            if force or (can_fail and tool.fail_rate and rng.random() < tool.fail_rate):
                span.error = force or rng.choice(TOOL_ERRORS)
                span.result = f'{{"error":"{span.error}","message":"{tool.name} did not complete"}}'.encode()
                view = span.result
                failed.append((tool, args))
                force = ""
            else:
                span.result, view = self._result(tool)
            run.add(_tool_message(call_id, view))
            end = max(end, span.end)
        run.cursor = end
        return failed

    def _result(self, tool: Tool) -> tuple[bytes, bytes]:
        """A tool's result and the view of it its model is shown: a pool entry, or (in tiers with documents) a
        document of a log-normal size with a heavy tail."""
        tier, rng = self.tier, self.rng
        if not (tier.doc_median and tool.document):
            result = self.pools.pick(tool.result, rng)
            return result, self.pools.model_view(result)
        if self._huge:
            self._huge, size = False, int(rng.uniform(*tier.huge))
        else:
            size = min(tier.doc_max, max(1_500, int(tier.doc_median * rng.lognormvariate(0, tier.doc_sigma))))
        return self.pools.document(tool.document, size, tier.view_limit, rng)

    def _http_children(self, tool_span: PlannedSpan, tool: Tool, index: int, duration: float) -> None:
        for http in tool.http:
            begin = tool_span.start + int(duration * self.rng.uniform(0.02, 0.1))
            child = self._new("http", index, begin, tool_span.agent)
            child.http, child.tool, child.error = http, tool, tool_span.error
            child.rpc_id = tool_span.rpc_id
            child.end = min(tool_span.end - 1000, begin + int(duration * http.share))

    # -- delegation -----------------------------------------------------------------------------------------

    def _delegate(self, run: _AgentRun, delegates: tuple[Delegate, ...]) -> None:
        """One handoff model call naming every sub-agent, then the sub-agents run side by side. A failed
        sub-agent's error is what its parent is told (and reports)."""
        rng = self.rng
        calls = [(d.agent, self._call_id(), self.pools.pick(d.agent.task, rng)) for d in delegates]
        parts = [
            _tool_call_part(cid, f"transfer_to_{agent.name}", b'{"task":' + task + b"}") for agent, cid, task in calls
        ]
        self._llm(run, b",".join(parts), "tool_call")
        if run.stopped:
            return
        doom = run.doomed or self._fault == "subagent"
        if doom:
            self._fault, run.doomed = None if self._fault == "subagent" else self._fault, False
        start, end = run.cursor, run.cursor
        for number, (agent, call_id, task) in enumerate(calls):
            sub = self._run_agent(agent, run.index, start + self._gap(0.5, 5), task, doomed=doom and number == 0)
            response = sub.answer
            if sub.error:
                response = (
                    b'{"error":"'
                    + sub.error.encode()
                    + b'","agent":"'
                    + agent.name.encode()
                    + b'","message":'
                    + sub.answer
                    + b"}"
                )
            run.add(_tool_message(call_id, response))
            end = max(end, sub.cursor)
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


def _delegates(steps: tuple[Step, ...]) -> bool:
    """Whether any of ``steps`` (looking inside loops, routes and parallels) hands work to a sub-agent."""
    for step in steps:
        if isinstance(step, Delegate):
            return True
        inner = (
            step.body
            if isinstance(step, Loop | Maybe)
            else step.steps
            if isinstance(step, Parallel)
            else tuple(s for _, branch in step.branches for s in branch)
            if isinstance(step, Route)
            else ()
        )
        if _delegates(inner):
            return True
    return False
