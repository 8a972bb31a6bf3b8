"""One search service (flights, hotels or cars), refined a few times, then the results presented."""

from otel_locust.engine.scenario import Answer, Maybe, Route, Scenario, ToolRound

from .travel import FETCH_USER, LOOKUP_POLICY, SEARCH_BY_SERVICE, assistant

SCENARIO = Scenario(
    name="single_service_search",
    description="one search (flights, hotels or cars) and a presentation of results",
    weight=30,
    question="question.search",
    agent=assistant(
        ToolRound((FETCH_USER,)),
        Route(((3, (SEARCH_BY_SERVICE,)), (1, (SEARCH_BY_SERVICE, SEARCH_BY_SERVICE)))),  # refined once in 1 of 4
        Maybe(0.3, (ToolRound((LOOKUP_POLICY,), thought="thought"),)),
        Answer("answer.medium"),
    ),
)
