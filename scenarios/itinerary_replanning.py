"""A long-running planner: a multi-city trip changed, every leg is re-checked and the itinerary re-planned.

It runs the way coding and research agents do: dozens of rounds over a growing context. The re-planner loads the
itinerary, hands the legs to leg checkers three at a time (each searches, re-prices the fare on several dates and
checks policy), sometimes re-reads the policy itself, and finally rebooks. Its context grows round by round and
is compacted when it passes the payload tier's threshold. Planned duration: minutes. Weight 0 in the
``realistic`` tier (so the default mix stays SPEC section 2's four scenarios); in ``stress`` the re-pricing fans
out far wider, for traces of 10,000+ spans.
"""

from otel_locust.engine.scenario import Agent, Answer, Delegate, Loop, Maybe, Parallel, Scenario, ToolRound

from .travel import (
    BOOK,
    CHECK_FARE,
    CLAUDE,
    FETCH_USER,
    LOAD_ITINERARY,
    LOOKUP_POLICY,
    MINI,
    SEARCH_FLIGHTS,
    SEARCH_HOTELS,
)

LEG_CHECKER = Agent(
    "leg_checker",
    "Re-checks one leg of an itinerary: options, fare and policy.",
    MINI,
    "system.leg_checker.brief",
    tools=(SEARCH_FLIGHTS, LOOKUP_POLICY, SEARCH_HOTELS, CHECK_FARE),
    steps=(
        ToolRound((SEARCH_FLIGHTS, LOOKUP_POLICY), parallel=True, thought="thought"),
        ToolRound((CHECK_FARE,), parallel=True, repeat=(1, 4), grows=True),
        Maybe(0.35, (ToolRound((SEARCH_HOTELS,)),)),
        Answer("answer.short"),
    ),
)

REPLANNER = Agent(
    "trip_replanner",
    "Re-plans a changed multi-city itinerary leg by leg.",
    CLAUDE,
    "system.trip_replanner",
    tools=(FETCH_USER, LOAD_ITINERARY, LOOKUP_POLICY, BOOK),
    steps=(
        ToolRound((FETCH_USER, LOAD_ITINERARY), parallel=True, thought="thought"),
        Loop(
            (
                Parallel((Delegate(LEG_CHECKER), Delegate(LEG_CHECKER), Delegate(LEG_CHECKER))),
                Maybe(0.25, (ToolRound((LOOKUP_POLICY,), thought="thought"),)),
            ),
            8,
            24,
        ),
        ToolRound((BOOK,), thought="thought"),
        Answer("answer.long"),
    ),
)

SCENARIO = Scenario(
    name="itinerary_replanning",
    description="a long-running re-planner: dozens of leg checks over a growing, compacted context",
    weight=0,
    tier_weights=(("production", 6), ("stress", 10)),
    question="question.replan",
    agent=REPLANNER,
)
