"""The scenario model: a declarative description of what an agent does, with no timing or payloads.

A scenario is a tree of steps. The engine (``planner``) walks it with a random generator and turns it into a
planned trace; nothing here knows about OpenTelemetry. Steps are frozen dataclasses so a scenario file reads like
a description of the agent, and so the instrumentation layer can cache per-step encodings by identity.

Step kinds:

* :class:`ToolRound`: the agent's model asks for one or more tool calls, the tools run (in parallel or one by
  one), and their results join the conversation. This is the core unit of an agent loop.
* :class:`Answer`: the model answers in text (ends an agent's turn).
* :class:`Loop`: repeat a body a varying number of times (an agent that needs 1-4 search rounds).
* :class:`Route`: a decision that picks one branch at run time, by weight.
* :class:`Maybe`: a step that happens only with some probability.
* :class:`Delegate`: hand work to a sub-agent, which runs its own workflow and conversation.
* :class:`Parallel`: run several steps at the same time (e.g. three specialists at once).
* :class:`Retrieve`: retrieval-augmented context: embed the question, search a data source, rerank the hits,
  screen them with a guardrail, and put the best documents in front of the model (a RAG step).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, eq=False)
class Http:
    """An outgoing HTTP call a tool makes (a CLIENT span under the tool span)."""

    method: str
    route: str
    host: str
    share: float = 0.8  # fraction of the tool's time spent in this call


@dataclass(frozen=True, eq=False)
class Tool:
    """A tool the model can call. ``args``/``result`` name payload pools; latency is log-normal."""

    name: str
    description: str
    args: str
    result: str
    latency_ms: float = 120.0  # median
    sigma: float = 0.5  # log-normal shape: larger means a longer tail
    http: tuple[Http, ...] = ()
    fail_rate: float = 0.0  # chance a call fails; the model then retries it once
    parameters: str = '{"type":"object"}'  # JSON schema of the arguments, sent in tool definitions
    document: str = ""  # record kind of the large document this tool returns in the production/stress tiers
    mcp: str = ""  # the MCP server that serves the tool (its HTTP call is then an MCP ``tools/call``)


@dataclass(frozen=True, eq=False)
class ToolRound:
    """One model turn that requests ``tools`` (each call counts), then runs them."""

    tools: tuple[Tool, ...]
    parallel: bool = False
    thought: str | None = None  # pool of visible reasoning text sent with the tool calls
    repeat: tuple[int, int] = (1, 1)  # the model asks for the tools this many times at once (uniform)
    grows: bool = False  # the payload tier scales ``repeat`` (stress fans out far wider)


@dataclass(frozen=True, eq=False)
class Answer:
    """The model's text answer; ``text`` names a pool."""

    text: str = "answer.medium"


@dataclass(frozen=True, eq=False)
class Loop:
    """Repeat ``body`` between ``low`` and ``high`` times (uniform)."""

    body: tuple[Step, ...]
    low: int = 1
    high: int = 3
    grows: bool = False  # a long-running loop: the payload tier scales its count (stress runs far longer)


@dataclass(frozen=True, eq=False)
class Route:
    """Pick one branch per trace, with the given weights."""

    branches: tuple[tuple[float, tuple[Step, ...]], ...]


@dataclass(frozen=True, eq=False)
class Maybe:
    """Run ``body`` with probability ``p``."""

    p: float
    body: tuple[Step, ...]


@dataclass(frozen=True, eq=False)
class Delegate:
    """Invoke a sub-agent; it gets a task message and runs its own steps and history."""

    agent: Agent


@dataclass(frozen=True, eq=False)
class Parallel:
    """Run the steps concurrently: their spans overlap in time."""

    steps: tuple[Step, ...]


@dataclass(frozen=True, eq=False)
class Retrieve:
    """Retrieval-augmented context from data source ``source`` (``gen_ai.data_source.id``).

    The question is embedded by ``embedder``, the store at ``store`` returns ``top_k`` documents of pool
    ``documents`` with similarity scores, ``reranker`` (if any) keeps ``keep`` of them with new scores, a
    ``guardian`` (if any) screens them for prompt injection, and the kept documents join the conversation as
    context the next model call reads.
    """

    source: str
    store: str
    embedder: Model
    documents: str
    reranker: Model | None = None
    guardian: str = ""
    top_k: tuple[int, int] = (8, 16)
    keep: tuple[int, int] = (3, 5)
    dimensions: int = 1536
    latency_ms: float = 45.0  # median of the vector search


Step = ToolRound | Answer | Loop | Route | Maybe | Delegate | Parallel | Retrieve


@dataclass(frozen=True, eq=False)
class Model:
    """An LLM as the conventions name it, plus how fast it is."""

    name: str
    provider: str
    response_model: str
    host: str
    ttft_ms: float = 450.0  # median time to first token
    tokens_per_s: float = 80.0


@dataclass(frozen=True, eq=False)
class Agent:
    """An agent: a model, a system prompt pool, the tools it offers, and the steps it takes."""

    name: str
    description: str
    model: Model
    system: str
    steps: tuple[Step, ...]
    tools: tuple[Tool, ...] = ()
    task: str = "thought"  # pool for the task message a delegating agent sends it


@dataclass(frozen=True, eq=False)
class Scenario:
    """A named workload: the root agent, the user's opening question, and its default weight in the mix."""

    name: str
    description: str
    agent: Agent
    question: str
    weight: float = 1.0
    tier_weights: tuple[tuple[str, float], ...] = ()  # (tier, weight) where the tier's weight differs

    def weight_in(self, tier: str) -> float:
        """The scenario's default weight in payload tier ``tier``."""
        return dict(self.tier_weights).get(tier, self.weight)
