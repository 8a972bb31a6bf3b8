"""Flight, hotel and car specialists work in parallel under a trip planner; the assistant summarises."""

from otel_locust.engine.scenario import Answer, Delegate, Scenario, ToolRound

from .travel import FETCH_USER, LOOKUP_POLICY, TRIP_PLANNER, assistant

SCENARIO = Scenario(
    name="multi_service_complex",
    description="flight + hotel + car specialists, parallel searches, final summary",
    weight=10,
    question="question.complex",
    agent=assistant(
        ToolRound((FETCH_USER, LOOKUP_POLICY), parallel=True),
        Delegate(TRIP_PLANNER),
        Answer("answer.long"),
    ),
)
