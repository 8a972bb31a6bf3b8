"""The primary agent delegates to one specialist that plans, searches, selects and books."""

from otel_locust.engine.scenario import Answer, Delegate, Route, Scenario, ToolRound

from .travel import FETCH_USER, LOOKUP_POLICY, SEARCH_CARS, SEARCH_FLIGHTS, SEARCH_HOTELS, assistant, specialist

# A lone specialist has the traveller's full attention: it refines its search once or twice more.
REFINEMENTS = (1, 2)

SCENARIO = Scenario(
    name="delegated_booking",
    description="primary delegates to one specialist that plans, searches, selects, books",
    weight=20,
    question="question.booking",
    agent=assistant(
        ToolRound((FETCH_USER, LOOKUP_POLICY), parallel=True),
        Route(
            (
                (2, (Delegate(specialist("flight", SEARCH_FLIGHTS, REFINEMENTS, lead=True)),)),
                (1, (Delegate(specialist("hotel", SEARCH_HOTELS, REFINEMENTS, lead=True)),)),
                (1, (Delegate(specialist("car", SEARCH_CARS, REFINEMENTS, lead=True)),)),
            )
        ),
        Answer("answer.medium"),
    ),
)
