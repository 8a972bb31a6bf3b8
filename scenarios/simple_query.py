"""A question answered from context after one user-info lookup (and sometimes a policy check)."""

from otel_locust.scenario import Answer, Maybe, Route, Scenario, ToolRound

from .travel import FETCH_USER, LOOKUP_POLICY, assistant

SCENARIO = Scenario(
    name="simple_query",
    description="question answered from context, one user-info lookup",
    weight=40,
    question="question.simple",
    agent=assistant(
        ToolRound((FETCH_USER,)),
        Maybe(0.6, (ToolRound((LOOKUP_POLICY,), thought="thought"),)),
        Route(((2, (Answer("answer.short"),)), (1, (Answer("answer.medium"),)))),
    ),
)
