"""A destination-guide question answered from retrieved guide passages (retrieval-augmented generation).

The assistant embeds the question, searches the destination-guide store, reranks the hits, screens them with a
guardrail, and answers from the passages; sometimes it first looks up the traveller or checks policy afterwards
(an MCP tool), and sometimes a second search (travel advisories) adds context. 5-15 spans. Weight 0 in the
``realistic`` tier, so the default mix stays SPEC section 2's four scenarios; it joins the ``production`` and
``stress`` mixes and any ``--otel-mix`` naming it.
"""

from otel_locust.engine.scenario import Answer, Maybe, Retrieve, Route, Scenario, ToolRound

from .travel import EMBEDDER, FETCH_USER, LOOKUP_POLICY, RERANKER, assistant

GUIDES = Retrieve(
    "destination_guides",
    "vectors.internal.example",
    EMBEDDER,
    "guide.document",
    reranker=RERANKER,
    guardian="prompt-shield",
    top_k=(8, 16),
    keep=(3, 5),
)
ADVISORIES = Retrieve(
    "travel_advisories",
    "vectors.internal.example",
    EMBEDDER,
    "advisory.document",
    top_k=(4, 8),
    keep=(2, 3),
    latency_ms=30.0,
)

SCENARIO = Scenario(
    name="destination_guide",
    description="a destination-guide question answered from retrieved, reranked guide passages (RAG)",
    weight=0,
    tier_weights=(("production", 8), ("stress", 5)),
    question="question.guide",
    agent=assistant(
        Route(
            (
                (5, (GUIDES,)),
                (3, (ToolRound((FETCH_USER,)), GUIDES)),
                (2, (GUIDES, ADVISORIES)),
            )
        ),
        Maybe(0.2, (ToolRound((LOOKUP_POLICY,), thought="thought"),)),
        Route(((2, (Answer("answer.medium"),)), (1, (Answer("answer.long"),)))),
    ),
)
