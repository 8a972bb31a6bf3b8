"""The span tree a framework's instrumentation would build around a planned trace.

Planned spans are agents, model calls, tools and HTTP calls. Frameworks add spans of their own: a workflow above
the agent (OpenAI Agents ``Agent workflow``, ADK ``invoke_workflow``, CrewAI ``execute crew``/``execute task``),
one per model round (OpenAI Agents ``turn``, Strands ``execute_event_loop_cycle``), graph nodes around the model
call and the tools (LangGraph ``model``/``tools``), and a span for each delegation (a tool span that the sub-agent
nests under, or an OpenAI Agents ``handoff to X`` beside it). :func:`layout` builds that tree as a flat list of
:class:`Node`, parents before children, from a small :class:`Structure` description.
"""

from __future__ import annotations

from dataclasses import dataclass

from otel_locust.engine.scenario import Agent
from otel_locust.engine.trace import RAG_KINDS, PlannedSpan, PlannedTrace

# the spans of a retrieval step are shown as tool spans (frameworks run retrieval as a tool or a chain step; the
# planner gives each a tool named for what it does: embed_query, search_<source>, rerank_documents, ...)
_TOOL_LIKE = ("tool", *RAG_KINDS)
_EDGE = 40_000  # ns a framework span starts before / ends after what it wraps


@dataclass(frozen=True)
class Structure:
    """Which framework spans a profile adds; each entry is a span type named in the profile's specs."""

    root: tuple[str, ...] = ()  #: span types above the root agent, outermost first
    agent: tuple[str, ...] = ()  #: span types above every delegated agent
    round: str = ""  #: one span per model round (the model call and the tools it asked for)
    around_llm: str = ""  #: a span around each model call
    around_tools: str = ""  #: a span around the tools of one round
    delegation: str = "tool"  #: "tool": the sub-agent nests under a tool span; "handoff": a leaf handoff span
    http: bool = False  #: keep the HTTP client spans of tools (framework captures have none)


class Node:
    """One output span: its type, the planned span it stands for (or wraps), its parent and its times."""

    __slots__ = ("agent", "children", "end", "index", "parent", "span", "start", "stype", "target")

    def __init__(self, stype: str, span: PlannedSpan, parent: int, index: int, agent: Agent) -> None:
        self.stype = stype
        self.span = span
        self.parent = parent
        self.index = index
        self.agent = agent  #: the agent whose step this is
        self.target: Agent | None = None  #: the delegated agent (delegation spans)
        self.start = span.start
        self.end = span.end
        self.children: list[int] = []


def layout(trace: PlannedTrace, structure: Structure) -> list[Node]:
    """The output spans of ``trace`` under ``structure``, parents before children."""
    spans = trace.spans
    children: list[list[int]] = [[] for _ in spans]
    for index, span in enumerate(spans):
        if span.parent >= 0:
            children[span.parent].append(index)
    return _Builder(spans, children, structure).build()


class _Builder:
    def __init__(self, spans: list[PlannedSpan], children: list[list[int]], structure: Structure) -> None:
        self.spans, self.children, self.s = spans, children, structure
        self.nodes: list[Node] = []
        self.workflow = -1  # the innermost root wrapper (where handed-off agents go)

    def add(self, stype: str, span: PlannedSpan, parent: int, agent: Agent) -> Node:
        node = Node(stype, span, parent, len(self.nodes), agent)
        self.nodes.append(node)
        if parent >= 0:
            self.nodes[parent].children.append(node.index)
        return node

    def build(self) -> list[Node]:
        self.agent(0, -1, self.s.root)
        return self.nodes

    def wrap(self, stypes: tuple[str, ...], span: PlannedSpan, parent: int, agent: Agent) -> tuple[int, list[Node]]:
        made = []
        for stype in stypes:
            node = self.add(stype, span, parent, agent)
            made.append(node)
            parent = node.index
        return parent, made

    def agent(self, index: int, parent: int, wrappers: tuple[str, ...]) -> Node:
        span = self.spans[index]
        parent, made = self.wrap(wrappers, span, parent, span.agent)
        if index == 0 and made:
            self.workflow = made[-1].index
        node = self.add("agent", span, parent, span.agent)
        for round_ in self.rounds(index):
            self.round(node, round_)
        for depth, wrapper in enumerate(reversed(made), start=1):
            wrapper.start, wrapper.end = span.start - depth * _EDGE, span.end + depth * _EDGE
        return node

    def rounds(self, index: int) -> list[list[int]]:
        """The agent's children grouped per model round: a model call, then the tools and agents it started."""
        rounds: list[list[int]] = []
        for child in self.children[index]:
            if self.spans[child].kind == "llm" or not rounds:
                rounds.append([])
            rounds[-1].append(child)
        return rounds

    def round(self, agent: Node, members: list[int]) -> None:
        s, spans = self.s, self.spans
        parent = agent.index
        lead = spans[members[0]]
        if s.round:
            parent = self.add(s.round, lead, parent, agent.agent).index
        first = len(self.nodes) - 1 if s.round else -1
        tools_parent = parent
        tools = [m for m in members if spans[m].kind in _TOOL_LIKE]
        delegated = [m for m in members if spans[m].kind == "agent"]
        for member in members:
            span = spans[member]
            if span.kind == "llm":
                llm_parent = self.add(s.around_llm, span, parent, agent.agent).index if s.around_llm else parent
                self.add("llm", span, llm_parent, agent.agent)
                if s.around_llm:
                    _cover(self.nodes, llm_parent)
        if (tools or (delegated and s.delegation == "tool")) and s.around_tools:
            tools_parent = self.add(s.around_tools, spans[(tools or delegated)[0]], parent, agent.agent).index
        for member in tools:
            tool = self.add("tool", spans[member], tools_parent, agent.agent)
            if s.http:
                for child in self.children[member]:
                    self.add("http", spans[child], tool.index, agent.agent)
        for member in delegated:
            self.delegate(agent, member, parent, tools_parent)
        if s.around_tools and tools_parent != parent:
            _cover(self.nodes, tools_parent)
        if first >= 0:
            _cover(self.nodes, parent)

    def delegate(self, agent: Node, member: int, round_parent: int, tools_parent: int) -> None:
        sub = self.spans[member]
        if self.s.delegation == "handoff":
            handoff = self.add("handoff", sub, round_parent, agent.agent)
            handoff.target = sub.agent
            handoff.start = sub.start - _EDGE
            handoff.end = sub.start - _EDGE // 2
            self.agent(member, self.workflow if self.workflow >= 0 else agent.index, self.s.agent)
            return
        tool = self.add("delegate", sub, tools_parent, agent.agent)
        tool.target = sub.agent
        self.agent(member, tool.index, self.s.agent)
        _cover(self.nodes, tool.index)


def _cover(nodes: list[Node], index: int) -> None:
    """A framework span lasts from just before its first child to just after its last."""
    node = nodes[index]
    if node.children:
        node.start = min(nodes[c].start for c in node.children) - _EDGE
        node.end = max(nodes[c].end for c in node.children) + _EDGE


def depth(nodes: list[Node]) -> int:
    """Spans on the longest root-to-leaf path."""
    levels = [0] * len(nodes)
    for node in nodes:
        levels[node.index] = 1 if node.parent < 0 else levels[node.parent] + 1
    return max(levels, default=0)
