"""A question answered from context after one user-info lookup (and sometimes a policy check)."""

from otel_locust.engine.scenario import Answer, Route, Scenario, ToolRound

from .travel import FETCH_USER, LOOKUP_POLICY, assistant

SCENARIO = Scenario(
    name="simple_query",
    description="question answered from context, one user-info lookup",
    weight=40,
    question="question.simple",
    agent=assistant(
        Route(
            (
                (4, (ToolRound((FETCH_USER,)),)),
                (3, (ToolRound((FETCH_USER,)), ToolRound((LOOKUP_POLICY,), thought="thought"))),
                (3, (ToolRound((FETCH_USER, LOOKUP_POLICY), parallel=True, thought="thought"),)),
            )
        ),
        Route(((2, (Answer("answer.short"),)), (1, (Answer("answer.medium"),)))),
    ),
)
