"""Building blocks shared by the travel scenarios: models, tools and the specialist agents."""

from __future__ import annotations

import json

from otel_locust.engine.scenario import (
    Agent,
    Answer,
    Delegate,
    Http,
    Loop,
    Maybe,
    Model,
    Parallel,
    Route,
    Step,
    Tool,
    ToolRound,
)


def _schema(**props: str) -> str:
    """A JSON schema for a tool's parameters, from ``name="type: description"`` pairs."""
    properties = {}
    for name, spec in props.items():
        kind, _, description = spec.partition(": ")
        properties[name] = {"type": kind, "description": description}
    return json.dumps({"type": "object", "properties": properties, "required": list(props)[:2]}, separators=(",", ":"))


GPT = Model("gpt-4.1", "openai", "gpt-4.1-2025-04-14", "api.openai.com", ttft_ms=520, tokens_per_s=85)
MINI = Model("gpt-4.1-mini", "openai", "gpt-4.1-mini-2025-04-14", "api.openai.com", ttft_ms=320, tokens_per_s=140)
EMBEDDER = Model("text-embedding-3-small", "openai", "text-embedding-3-small", "api.openai.com", ttft_ms=60)
RERANKER = Model("rerank-v3.5", "cohere", "rerank-v3.5", "api.cohere.com", ttft_ms=120)
CLAUDE = Model(
    "claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5-20250929", "api.anthropic.com", ttft_ms=700, tokens_per_s=70
)

FETCH_USER = Tool(
    "fetch_user_info",
    "Fetch the traveller's profile, loyalty memberships and stored preferences.",
    "args.user",
    "result.user",
    latency_ms=60,
    sigma=0.4,
    document="trips",
    http=(Http("GET", "/v1/users/{user_id}", "profiles.internal.example"),),
    parameters=_schema(user_id="string: the traveller's id", fields="array: sections of the profile to return"),
)
LOOKUP_POLICY = Tool(
    "lookup_policy",
    "Look up corporate travel policy sections and fare rules by topic.",
    "args.policy",
    "result.policy",
    latency_ms=90,
    sigma=0.5,
    document="policy",
    mcp="travel-policy",
    http=(Http("POST", "/mcp", "policy-mcp.internal.example"),),
    parameters=_schema(topic="string: policy topic", traveller_tier="string: the traveller's approval tier"),
)
SEARCH_FLIGHTS = Tool(
    "search_flights",
    "Search flight offers between two airports for given dates, cabin and passengers.",
    "args.flights",
    "result.flights",
    latency_ms=900,
    sigma=0.6,
    fail_rate=0.04,
    document="fares",
    http=(Http("POST", "/v2/shopping/flight-offers", "api.gds.example", share=0.85),),
    parameters=_schema(
        origin="string: IATA code",
        destination="string: IATA code",
        depart_date="string: ISO date",
        return_date="string: ISO date",
        cabin="string: cabin class",
        passengers="integer: count",
        nonstop_only="boolean: only nonstop flights",
        max_price="number: upper bound in USD",
    ),
)
SEARCH_HOTELS = Tool(
    "search_hotels",
    "Search hotel availability and rates in a city for given dates.",
    "args.hotels",
    "result.hotels",
    latency_ms=700,
    sigma=0.6,
    fail_rate=0.04,
    document="hotels",
    http=(Http("GET", "/v3/hotels/availability", "api.hotels.example", share=0.85),),
    parameters=_schema(
        city="string: city name",
        check_in="string: ISO date",
        nights="integer: nights",
        guests="integer: guests",
        max_rate="number: nightly cap in USD",
        near="string: address",
        amenities="array: required amenities",
    ),
)
SEARCH_CARS = Tool(
    "search_cars",
    "Search rental cars at an airport or city location.",
    "args.cars",
    "result.cars",
    latency_ms=500,
    sigma=0.5,
    fail_rate=0.04,
    document="cars",
    mcp="car-rentals",
    http=(Http("POST", "/mcp", "mcp.cars.example", share=0.85),),
    parameters=_schema(
        pickup_location="string: IATA code or address",
        pickup_date="string: ISO date",
        days="integer: rental days",
        vehicle_class="string: class",
        driver_age="integer: years",
    ),
)
SELECT_OPTION = Tool(
    "select_option",
    "Hold a selected offer and re-confirm its price before booking.",
    "args.select",
    "result.select",
    latency_ms=180,
    sigma=0.4,
    http=(Http("POST", "/v1/holds", "api.gds.example"),),
    parameters=_schema(option_id="string: offer id", reason="string: why it was chosen"),
)
BOOK = Tool(
    "book_reservation",
    "Book a held offer with the traveller's payment method and loyalty number.",
    "args.book",
    "result.booking",
    latency_ms=1200,
    sigma=0.5,
    fail_rate=0.03,
    http=(
        Http("POST", "/v1/bookings", "api.gds.example", share=0.7),
        Http("POST", "/v1/payments/authorize", "payments.internal.example", share=0.2),
    ),
    parameters=_schema(
        option_id="string: held offer",
        traveller="string: full name",
        payment_method="string: payment method",
        loyalty_number="string: programme number",
    ),
)

LOAD_ITINERARY = Tool(
    "load_itinerary",
    "Load a trip's itinerary with every leg, booking, fare and approval.",
    "args.itinerary",
    "result.itinerary",
    latency_ms=250,
    sigma=0.5,
    document="itinerary",
    http=(Http("GET", "/v1/trips/{trip_id}/itinerary", "trips.internal.example"),),
    parameters=_schema(trip_id="string: the trip's id", include="array: sections to return", as_of="string: ISO date"),
)
CHECK_FARE = Tool(
    "check_fare",
    "Re-price a held or candidate fare for one date and confirm it is still available.",
    "args.select",
    "result.select",
    latency_ms=220,
    sigma=0.5,
    http=(Http("POST", "/v1/holds/reprice", "api.gds.example"),),
    parameters=_schema(option_id="string: offer id", reason="string: why it is re-checked"),
)


POLICY_AGENT = Agent(
    "policy_checker",
    "Checks fare rules and corporate policy for a proposed trip.",
    MINI,
    "system.policy_checker.brief",
    tools=(LOOKUP_POLICY,),
    steps=(ToolRound((LOOKUP_POLICY,)), Answer("answer.short")),
)
BOOKING_AGENT = Agent(
    "booking_agent",
    "Holds the chosen offer, re-confirms the price and books it.",
    MINI,
    "system.booking_agent.brief",
    tools=(SELECT_OPTION, BOOK),
    steps=(ToolRound((SELECT_OPTION,), thought="thought"), ToolRound((BOOK,)), Answer("answer.short")),
)


def search_agent(service: str, search: Tool) -> Agent:
    """A sub-agent that runs 1-3 searches at once (different dates or filters) and summarises them."""
    return Agent(
        f"{service}_search_agent",
        f"Runs {service} searches and shortlists the best options.",
        MINI,
        "system.search_agent.brief",
        tools=(search,),
        steps=(
            Route(
                (
                    (2, (ToolRound((search, search), parallel=True, thought="thought"),)),
                    (1, (ToolRound((search,), thought="thought"),)),
                    (1, (ToolRound((search, search, search), parallel=True, thought="thought"),)),
                )
            ),
            Answer("answer.medium"),
        ),
    )


def specialist(service: str, search: Tool, refinements: tuple[int, int] = (0, 1), lead: bool = False) -> Agent:
    """A booking specialist: searches and checks policy through sub-agents in parallel, refines the search a
    few times, then books through the booking sub-agent. A ``lead`` specialist (working alone for the
    traveller) has the full system prompt; one in a team has a brief one."""
    system = f"system.{service}_specialist" + ("" if lead else ".brief")
    return Agent(
        f"{service}_specialist",
        f"Searches, compares and books {service}s.",
        GPT,
        system,
        steps=(
            Parallel((Delegate(search_agent(service, search)), Delegate(POLICY_AGENT))),
            Loop((Delegate(search_agent(service, search)),), *refinements),
            Delegate(BOOKING_AGENT),
            Answer("answer.short"),
        ),
    )


FLIGHT_SPECIALIST = specialist("flight", SEARCH_FLIGHTS)
HOTEL_SPECIALIST = specialist("hotel", SEARCH_HOTELS)
CAR_SPECIALIST = specialist("car", SEARCH_CARS)

TRIP_PLANNER = Agent(
    "trip_planner",
    "Splits a complex trip into flight, hotel and car work and reconciles the results.",
    CLAUDE,
    "system.trip_planner.brief",
    steps=(
        Parallel((Delegate(FLIGHT_SPECIALIST), Delegate(HOTEL_SPECIALIST), Delegate(CAR_SPECIALIST))),
        Maybe(0.3, (Delegate(POLICY_AGENT),)),
        Answer("answer.long"),
    ),
)

SEARCH_BY_SERVICE = Route(
    (
        (1, (Delegate(search_agent("flight", SEARCH_FLIGHTS)),)),
        (1, (Delegate(search_agent("hotel", SEARCH_HOTELS)),)),
        (1, (Delegate(search_agent("car", SEARCH_CARS)),)),
    )
)

ALL_TOOLS = (FETCH_USER, LOOKUP_POLICY, SEARCH_FLIGHTS, SEARCH_HOTELS, SEARCH_CARS, SELECT_OPTION, BOOK)


def assistant(*steps: Step) -> Agent:
    """The primary travel assistant running ``steps``."""
    return Agent(
        "travel_assistant",
        "Primary travel assistant that answers, searches and delegates.",
        GPT,
        "system.travel_assistant",
        tools=ALL_TOOLS,
        steps=steps,
    )
