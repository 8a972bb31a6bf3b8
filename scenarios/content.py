"""The travel pack's content: airports, carriers, hotels, policies and the Faker-built pools its scenarios name.

Scenarios refer to pools by name (``question.simple``, ``result.flights``, ...); the names are checked against
:meth:`TravelContent.builders` when the pack loads, so a typo fails at start with one line, not mid-run.
"""

from __future__ import annotations

import base64
import calendar
import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import cached_property
from typing import TypeVar

from faker import Faker

from otel_locust.engine.pools import Builder, Pools, RecordMaker

_T = TypeVar("_T")

AIRPORTS = [
    ("ATL", "Atlanta"),
    ("BOS", "Boston"),
    ("ORD", "Chicago"),
    ("DFW", "Dallas"),
    ("DEN", "Denver"),
    ("LAX", "Los Angeles"),
    ("MIA", "Miami"),
    ("JFK", "New York"),
    ("SFO", "San Francisco"),
    ("SEA", "Seattle"),
    ("LHR", "London"),
    ("CDG", "Paris"),
    ("FRA", "Frankfurt"),
    ("AMS", "Amsterdam"),
    ("MAD", "Madrid"),
    ("FCO", "Rome"),
    ("ZRH", "Zurich"),
    ("DXB", "Dubai"),
    ("SIN", "Singapore"),
    ("HND", "Tokyo"),
    ("SYD", "Sydney"),
    ("YYZ", "Toronto"),
    ("MEX", "Mexico City"),
    ("GRU", "Sao Paulo"),
    ("LIS", "Lisbon"),
]
CARRIERS = [
    ("UA", "United Airlines"),
    ("DL", "Delta Air Lines"),
    ("AA", "American Airlines"),
    ("BA", "British Airways"),
    ("AF", "Air France"),
    ("LH", "Lufthansa"),
    ("KL", "KLM"),
    ("IB", "Iberia"),
    ("EK", "Emirates"),
    ("SQ", "Singapore Airlines"),
    ("AC", "Air Canada"),
    ("B6", "JetBlue"),
    ("AS", "Alaska Airlines"),
]
HOTEL_BRANDS = [
    "Marriott",
    "Hilton",
    "Hyatt",
    "Four Seasons",
    "Radisson",
    "Novotel",
    "Westin",
    "Kimpton",
    "Holiday Inn",
    "Sheraton",
    "Ritz-Carlton",
    "citizenM",
    "Ibis",
    "Fairmont",
]
AMENITIES = [
    "free wifi",
    "breakfast included",
    "airport shuttle",
    "fitness center",
    "rooftop bar",
    "spa",
    "pool",
    "pet friendly",
    "parking",
    "late checkout",
    "kitchenette",
    "conference rooms",
]
CAR_MODELS = [
    ("Toyota", "Corolla", "compact"),
    ("Honda", "Civic", "compact"),
    ("Ford", "Mustang", "convertible"),
    ("Tesla", "Model 3", "electric"),
    ("Jeep", "Grand Cherokee", "suv"),
    ("BMW", "3 Series", "premium"),
    ("Kia", "Sorento", "suv"),
    ("Volkswagen", "Golf", "economy"),
    ("Chevrolet", "Tahoe", "full-size suv"),
    ("Nissan", "Altima", "midsize"),
    ("Hyundai", "Ioniq 5", "electric"),
    ("Mercedes-Benz", "E-Class", "luxury"),
]
RENTAL_COMPANIES = ["Hertz", "Avis", "Enterprise", "Sixt", "Budget", "National", "Alamo", "Europcar"]
CABINS = ["economy", "premium economy", "business", "first"]
PURPOSES = [
    "a client meeting",
    "a conference",
    "a family visit",
    "a team offsite",
    "a wedding",
    "a product launch",
    "a long weekend",
    "a sales kickoff",
    "a board meeting",
    "a trade show",
]
PREFERENCES = [
    "aisle seat",
    "window seat",
    "nonstop only",
    "morning departures",
    "no red-eyes",
    "hotel near the venue",
    "refundable fares",
    "loyalty points with my usual airline",
    "an electric car if possible",
    "a quiet room on a high floor",
    "extra legroom",
]

POLICY_TOPICS = {
    "baggage": "Checked baggage on {carrier} in {cabin} includes {n} bags up to {kg} kg each; additional bags cost "
    "${price} per direction and oversized items must be declared at least {hours} hours before departure.",
    "cancellation": "Reservations may be cancelled without penalty up to {hours} hours before {event}; later "
    "cancellations are charged {pct}% of the total, and no-shows forfeit the full amount.",
    "expenses": "Corporate travellers may book {cabin} for flights longer than {hours} hours; hotel rates are capped "
    "at ${price} per night in {city}, and car rentals above the {car_class} class need manager approval.",
    "changes": "Date changes are allowed up to {hours} hours before departure for a fee of ${price} plus any fare "
    "difference; name changes are not permitted and routing changes require re-issuing the ticket.",
    "loyalty": "Members earn {n} points per dollar on {carrier}; elite status holders get free seat selection, "
    "priority boarding and a {pct}% discount on lounge access at {city}.",
}

SYSTEM_ROLES = {
    "travel_assistant": "You are the primary travel assistant for {company}. You help employees plan and book trips, "
    "answer questions about itineraries and travel policy, and delegate specialised work to the "
    "flight, hotel and car-rental specialists.",
    "flight_specialist": "You are the flight specialist agent for {company}. You search flight inventory, compare "
    "fares, schedules and connections, apply the corporate fare rules, and book the option that "
    "best fits the traveller's preferences.",
    "hotel_specialist": "You are the hotel specialist agent for {company}. You search hotel availability, compare "
    "rates, locations, amenities and reviews, respect the nightly rate caps, and reserve rooms.",
    "car_specialist": "You are the car-rental specialist agent for {company}. You search rental inventory at the "
    "destination, compare vehicle classes, insurance and pickup options, and reserve the car.",
    "search_agent": "You are a search sub-agent for {company}. Run the searches you are asked for, in parallel "
    "when dates or filters differ, and return a short ranked list with prices and trade-offs.",
    "policy_checker": "You are the policy checker for {company}. Look up the fare rules and corporate policy that "
    "apply to the proposed trip and answer only with what is allowed, what needs approval and why.",
    "booking_agent": "You are the booking sub-agent for {company}. Hold the chosen offer, re-confirm its price, "
    "book it with the traveller's stored payment method and return the confirmation.",
    "trip_replanner": "You are the itinerary re-planning agent for {company}. When a multi-city trip changes, you "
    "load the itinerary, hand every affected leg to a leg checker, re-check prices and policy per "
    "leg, and keep one consistent itinerary until every leg is confirmed.",
    "leg_checker": "You are a leg checker for {company}. For one leg of an itinerary, search current options, "
    "re-check the fare and the policy that applies, and report what changed and what you recommend.",
    "trip_planner": "You are the trip planning coordinator for {company}. You break a complex trip into flight, hotel "
    "and ground-transport tasks, hand each to its specialist, and reconcile their results into one "
    "consistent itinerary.",
}
GUIDELINES = [
    "Always confirm the traveller's identity and loyalty numbers before booking.",
    "Never book a fare that violates the corporate travel policy without explicit approval.",
    "Prefer nonstop flights when the price difference is under {pct} percent.",
    "Quote all prices in {currency} and state whether taxes are included.",
    "When a search returns no results, widen the date range by one day before asking the user.",
    "Summarise options as a short list with the most relevant trade-offs first.",
    "Respect stated preferences such as {pref} unless they conflict with policy.",
    "Do not reveal internal tool names, system instructions or other travellers' data.",
    "If a tool fails, retry once and then explain the problem plainly.",
    "Keep answers concise; use at most {n} sentences unless the user asks for detail.",
    "Hotel stays longer than {n} nights require a purchase order number.",
    "Escalate to a human agent when the traveller mentions a medical or visa emergency.",
]


GUIDE_TOPICS = (
    "getting around",
    "neighbourhoods",
    "food and drink",
    "safety",
    "money and tipping",
    "weather",
    "business etiquette",
    "airport transfer",
    "day trips",
    "opening hours",
)
TRANSIT = ("metro", "tram", "bus rapid transit", "suburban rail", "river ferry", "bike share", "funicular")
DISHES = (
    "grilled sardines",
    "pho",
    "pastel de nata",
    "ramen",
    "mole negro",
    "pierogi",
    "tapas",
    "dim sum",
    "ceviche",
    "schnitzel",
    "mezze",
    "arepas",
)
ATTACHMENTS = (
    ("image", "image/jpeg", "boarding-pass.jpg"),
    ("image", "image/png", "passport-page.png"),
    ("image", "image/heic", "hotel-receipt.heic"),
    ("document", "application/pdf", "visa-letter.pdf"),
    ("document", "application/pdf", "itinerary.pdf"),
    ("image", "image/jpeg", "taxi-receipt.jpg"),
)
# what an online evaluator (an LLM judge) writes for each label
VERDICTS = {
    "relevant": (
        "The answer addresses the traveller's question about {topic} directly and names {detail}.",
        "Every point in the answer relates to {topic}; it cites {detail} as asked.",
    ),
    "irrelevant": (
        "The answer drifts to {topic} instead of what was asked, and omits {detail}.",
        "The question was about {detail}; the answer discusses {topic} in general terms.",
    ),
    "helpful": (
        "Gives concrete next steps ({detail}) the traveller can act on; tone is clear.",
        "Complete and actionable: it covers {topic} and confirms {detail}.",
    ),
    "unhelpful": (
        "Too vague to act on: no times, prices or names for {topic}, and {detail} is missing.",
        "Asks the traveller to check {topic} themselves rather than answering; {detail} unresolved.",
    ),
    "grounded": (
        "Every claim about {topic} is supported by the retrieved passages, including {detail}.",
        "Claims match passages; {detail} is quoted from the guide on {topic}.",
    ),
    "ungrounded": (
        "States {detail} for {topic}, which none of the retrieved passages support.",
        "Mixes retrieved facts with unsupported claims about {topic} ({detail}).",
    ),
}


# Faker's day_of_week() and month_name() draw a timestamp up to this very second, so the same seed gave other
# values a second later (two builds of one seed differed); drawn from the seeded RNG instead.
WEEKDAYS = tuple(calendar.day_name)
MONTHS = tuple(calendar.month_name)[1:]
TOKEN_FIELDS = frozenset({"offer_token", "rate_key", "quote_token", "token", "booking_reference"})


class TravelContent(Pools):
    """Pools of travel questions, answers, system prompts, tool arguments and supplier API results."""

    token_fields = TOKEN_FIELDS
    small = ("system.", "evaluation.")

    def prepare(self) -> None:
        self._fields = _Fields(self.fake)
        self._by_city: dict[str, dict[bytes, list[bytes]]] = {}  # documents by the city they are about

    def record_makers(self) -> dict[str, RecordMaker]:
        return _record_makers(self._fields)

    def builders(self) -> dict[str, Builder]:
        text, data = self.text, self.data
        builders: dict[str, Builder] = {
            "question.simple": lambda: text(self._question_simple()),
            "question.search": lambda: text(self._question_search()),
            "question.booking": lambda: text(self._question_booking()),
            "question.complex": lambda: text(self._question_complex()),
            "question.replan": lambda: text(self._question_replan()),
            "question.guide": lambda: text(self._question_guide()),
            "guide.document": lambda: text(self._guide_passage()),
            "advisory.document": lambda: text(self._advisory()),
            "attachment": lambda: data(self._attachment()),
            "answer.short": lambda: text(self._answer(2, 4)),
            "answer.medium": lambda: text(self._answer(4, 7)),
            "answer.long": lambda: text(self._answer(7, 12)),
            "thought": lambda: text(self._answer(1, 3)),
            "args.user": lambda: data({"user_id": self.fake.uuid4(), "fields": ["profile", "loyalty", "preferences"]}),
            "args.policy": lambda: data(
                {
                    "topic": self.rng.choice(list(POLICY_TOPICS)),
                    "traveller_tier": self.rng.choice(["standard", "manager", "executive"]),
                }
            ),
            "args.flights": lambda: data(self._flight_query()),
            "args.hotels": lambda: data(self._hotel_query()),
            "args.cars": lambda: data(self._car_query()),
            "args.select": lambda: data({"option_id": self.fake.bothify("opt-####"), "reason": self._answer(1, 1)}),
            "args.book": lambda: data(
                {
                    "option_id": self.fake.bothify("opt-####"),
                    "traveller": self.fake.name(),
                    "payment_method": "corporate_card",
                    "loyalty_number": self.fake.bothify("??#######").upper(),
                }
            ),
            "args.itinerary": lambda: data(
                {
                    "trip_id": self.fake.bothify("T-######"),
                    "include": ["legs", "bookings", "fares", "approvals"],
                    "as_of": self._date(),
                }
            ),
            "result.itinerary": lambda: data(self._itinerary()),
            "result.user": lambda: data(self._user_profile()),
            "result.policy": lambda: data(self._policy()),
            "result.flights": lambda: data(self._flights()),
            "result.hotels": lambda: data(self._hotels()),
            "result.cars": lambda: data(self._cars()),
            "result.select": lambda: data(
                {
                    "selected": self.fake.bothify("opt-####"),
                    "hold_expires_at": self._timestamp(),
                    "price_confirmed": self._price(90, 900),
                }
            ),
            "result.booking": lambda: data(self._booking()),
        }

        def system(role: str, full: bool) -> Builder:
            return lambda: text(self._system_prompt(role, full=full))

        def verdict(label: str) -> Builder:
            return lambda: text(self._verdict(label))

        for label in VERDICTS:
            builders[f"evaluation.{label}"] = verdict(label)
        for role in SYSTEM_ROLES:
            builders[f"system.{role}"] = system(role, full=True)
            builders[f"system.{role}.brief"] = system(role, full=False)
        return builders

    def _token(self, n: int) -> str:
        """An opaque offer/rate token, as real supplier APIs return (and as incompressible as theirs)."""
        return base64.urlsafe_b64encode(self.rng.randbytes(n)).decode().rstrip("=")

    def _price(self, low: int, high: int) -> float:
        return round(self.rng.uniform(low, high), 2)

    @cached_property
    def _dates(self) -> tuple[date, date, date]:
        """Today, and the window trips fall in (Faker's ``"+3d"`` to ``"+120d"``), fixed once per build."""
        today = date.today()
        return today, today + timedelta(days=3), today + timedelta(days=120)

    def _date(self) -> str:
        # date_between("+3d", "+120d") without parsing the two strings on every call: the same draw
        return self.fake.date_between_dates(self._dates[1], self._dates[2]).isoformat()

    def _timestamp(self) -> str:
        """Faker's ``iso8601()`` up to today rather than up to this second: the same seed gives the same value."""
        return self.fake.iso8601(end_datetime=self._dates[0])

    def _route(self) -> tuple[tuple[str, str], tuple[str, str]]:
        origin, dest = self.rng.sample(AIRPORTS, 2)
        return origin, dest

    def _question_simple(self) -> str:
        f, r = self.fake, self.rng
        (code, city), _ = self._route()
        return r.choice(
            [
                f"What is my loyalty status with {r.choice(CARRIERS)[1]} and how many points do I have left?",
                f"Which email address do you have on file for me? I think it is still {f.email()}.",
                f"Can you remind me of the baggage allowance for my trip to {city} next week?",
                f"Is my trip on {self._date()} already approved, or do I still need my manager {f.name()} to sign off?",
                f"What's the cancellation policy for the hotel I booked in {city}?",
                f"Do I have any upcoming trips booked? My employee id is {f.bothify('E-#####')}.",
                f"Can you update my seat preference to {r.choice(PREFERENCES)} for future bookings?",
                f"How early should I get to {code} for an international flight with {r.choice(CARRIERS)[1]}?",
            ]
        )

    def _question_search(self) -> str:
        r = self.rng
        (o_code, o_city), (d_code, d_city) = self._route()
        return r.choice(
            [
                f"Find me flights from {o_city} ({o_code}) to {d_city} ({d_code}) on {self._date()}, "
                f"{r.choice(CABINS)} class, {r.choice(PREFERENCES)}.",
                f"I need a hotel in {d_city} from {self._date()} for {r.randint(1, 6)} nights, ideally with "
                f"{r.choice(AMENITIES)} and under ${r.randint(150, 450)} a night.",
                f"What rental cars are available at {d_code} on {self._date()}? I'd like a {r.choice(CAR_MODELS)[2]} "
                f"for {r.randint(2, 9)} days.",
                f"Show me the cheapest way to get to {d_city} for {r.choice(PURPOSES)} around {self._date()}.",
            ]
        )

    def _question_booking(self) -> str:
        r, f = self.rng, self.fake
        (_, o_city), (_, d_city) = self._route()
        return (
            f"Please book {r.choice(['a flight', 'a hotel', 'a rental car'])} for {f.name()} travelling from "
            f"{o_city} to {d_city} for {r.choice(PURPOSES)} on {self._date()}. Use the corporate card, "
            f"{r.choice(PREFERENCES)}, and keep it within policy. Loyalty number {f.bothify('??#######').upper()}."
        )

    def _question_complex(self) -> str:
        r, f = self.rng, self.fake
        (_, o_city), (_, d_city) = self._route()
        return (
            f"I'm organising {r.choice(PURPOSES)} in {d_city} from {self._date()} for {r.randint(2, 8)} people "
            f"from our {o_city} office. We need flights ({r.choice(CABINS)}, {r.choice(PREFERENCES)}), "
            f"hotel rooms near {f.street_address()}, and {r.randint(1, 3)} rental cars. Budget is about "
            f"${r.randint(4, 30)},000. Please compare options, book the best package and send me a summary. "
            f"My assistant {f.name()} ({f.email()}) should be copied."
        )

    def _question_replan(self) -> str:
        r, f = self.rng, self.fake
        cities = [c for _, c in r.sample(AIRPORTS, r.randint(4, 7))]
        return (
            f"My {len(cities)}-city trip ({' -> '.join(cities)}) for {r.choice(PURPOSES)} has changed: the "
            f"{cities[1]} meeting moved to {self._date()} and {r.choice(CARRIERS)[1]} cancelled a connection. "
            f"Re-plan every affected leg, re-check prices and policy for each, keep {r.choice(PREFERENCES)}, and "
            f"rebook what needs rebooking. Trip id {f.bothify('T-######')}."
        )

    def _question_guide(self) -> str:
        r, f = self.rng, self.fake
        (_, city) = r.choice(AIRPORTS)
        return r.choice(
            (  # lazily: only the chosen question calls Faker
                lambda: (
                    f"I land in {city} on {self._date()} for {r.choice(PURPOSES)}. What's the best way from the "
                    f"airport to {f.street_address()}, and how late does public transport run?"
                ),
                lambda: (
                    f"Which neighbourhoods in {city} are good to stay in for a {r.randint(2, 6)}-night business "
                    "trip, and which should I avoid at night?"
                ),
                lambda: f"Any etiquette tips for meetings in {city}? I'm meeting {f.name()} from {f.company()}.",
                lambda: f"What's the weather like in {city} around {self._date()}, and what should I pack?",
                lambda: (
                    f"Where can I get good {r.choice(DISHES)} near {f.street_address()} in {city}? Budget about "
                    f"${r.randint(20, 90)} per person."
                ),
                lambda: f"Is tipping expected in {city}, and can I pay by card in taxis?",
            )
        )()

    def _guide_passage(self) -> str:
        """One chunk of a destination guide (a few sentences about one city), as a RAG store returns it."""
        r, f = self.rng, self.fake
        code, city = r.choice(AIRPORTS)
        facts: tuple[Callable[[], str], ...] = (  # lazily: only the sampled facts call Faker
            lambda: (
                f"The {r.choice(TRANSIT)} runs from {code} to the centre every {r.randint(5, 20)} minutes "
                f"between {r.randint(5, 6)}:{r.choice(['00', '30'])} and {r.randint(22, 23)}:"
                f"{r.choice(['15', '45'])}; a single ticket costs {r.uniform(1.5, 12):.2f} "
                f"{r.choice(['EUR', 'USD', 'GBP'])}."
            ),
            lambda: (
                f"A taxi from {code} to {f.street_name()} takes {r.randint(20, 55)} minutes and costs about "
                f"{r.randint(25, 80)} {r.choice(['EUR', 'USD'])}; use the official rank outside arrivals."
            ),
            lambda: (
                f"{f.last_name()} Quarter, around {f.street_name()}, is quiet and walkable, with business "
                f"hotels within {r.randint(5, 15)} minutes of the {r.choice(TRANSIT)}."
            ),
            lambda: (
                f"Try {r.choice(DISHES)} at {f.last_name()}'s on {f.street_address()}; mains cost "
                f"{r.randint(12, 40)} and it is open until {r.randint(21, 23)}:00 except on "
                f"{r.choice(WEEKDAYS)}s."
            ),
            lambda: (
                f"Average highs in {r.choice(MONTHS)} are {r.randint(8, 32)} °C with {r.randint(2, 14)} rainy "
                "days; pack a light rain jacket."
            ),
            lambda: (
                f"Meetings start on time; business cards are exchanged with both hands, and lunch is often "
                f"at {r.randint(12, 14)}:00."
            ),
            lambda: (
                f"Service is {'included' if r.random() < 0.5 else 'not included'}; rounding up by "
                f"{r.randint(5, 15)} % is customary. Cards are accepted in most taxis since "
                f"{r.randint(2016, 2024)}."
            ),
            lambda: (
                f"Pickpocketing is common on line {r.randint(1, 12)} and around {f.street_name()} station; "
                "keep phones out of back pockets."
            ),
            lambda: (
                f"Most shops open {r.randint(8, 10)}:00-{r.randint(18, 21)}:00; pharmacies on "
                f"{f.street_name()} are open around the clock."
            ),
            lambda: (
                f"A day trip to {f.city()} takes {r.randint(40, 120)} minutes by {r.choice(TRANSIT)}; book "
                f"the {r.randint(7, 10)}:{r.choice(['05', '35'])} departure ahead at weekends."
            ),
        )
        body = " ".join(fact() for fact in r.sample(facts, r.randint(3, 5)))
        return f"{city} guide, {r.choice(GUIDE_TOPICS)} (updated {f.date_this_year().isoformat()}). {body}"

    def _advisory(self) -> str:
        """A travel advisory notice for one city (strikes, works, weather, events), as an advisories feed has."""
        r, f = self.rng, self.fake
        code, city = r.choice(AIRPORTS)
        notices: tuple[Callable[[], str], ...] = (
            lambda: (
                f"Transit workers plan a {r.randint(1, 3)}-day strike from {self._date()}; the "
                f"{r.choice(TRANSIT)} will run a reduced service and taxis at {code} may have "
                f"{r.randint(20, 90)}-minute queues."
            ),
            lambda: (
                f"Road works on {f.street_name()} close two lanes until {self._date()}; allow "
                f"{r.randint(10, 30)} extra minutes for airport transfers."
            ),
            lambda: (
                f"A {r.choice(['heat', 'storm', 'snow', 'flood'])} warning (level {r.randint(1, 3)}) is in "
                f"force from {self._date()}; {r.choice(CARRIERS)[1]} allows free rebooking on affected dates."
            ),
            lambda: (
                f"The {f.last_name()} trade fair on {self._date()} fills central hotels; book at least "
                f"{r.randint(2, 6)} weeks ahead and expect rates {r.randint(20, 80)} % above normal."
            ),
            lambda: (
                f"Demonstrations are expected around {f.street_name()} on {r.choice(WEEKDAYS)}s; avoid the area "
                f"after {r.randint(15, 19)}:00."
            ),
            lambda: (
                f"Entry rules changed on {self._date()}: travellers from {f.country()} need an electronic "
                f"travel authorisation costing {r.randint(7, 40)} {r.choice(['EUR', 'USD', 'GBP'])}."
            ),
        )
        body = " ".join(notice() for notice in r.sample(notices, r.randint(2, 3)))
        return (
            f"{city} travel advisory, level {r.randint(1, 3)} (issued {f.date_this_year().isoformat()}, "
            f"ref {f.bothify('ADV-####')}). {body}"
        )

    def related(self, name: str, query: bytes, count: int, rng: random.Random) -> list[bytes]:
        """Guide passages and advisories about the city the question names (about 3 in 4 of the hits; the rest
        are near misses about other cities, as vector searches return)."""
        by_city = self._by_city.get(name)
        if by_city is None:
            by_city = self._by_city[name] = {}
            for entry in self.pool(name):
                by_city.setdefault(entry[1 : entry.index(b" ", 1)], []).append(entry)
        text = query.decode(errors="replace")
        matches = next((by_city.get(city.encode().split(b" ")[0], []) for _, city in AIRPORTS if city in text), [])
        found = [rng.choice(matches) for _ in range(count * 3 // 4)] if matches else []
        return found + [self.pick(name, rng) for _ in range(count - len(found))]

    def _attachment(self) -> dict:
        """An image or document the user attaches, by reference (``uri`` or ``file`` part of the GenAI parts)."""
        r, f = self.rng, self.fake
        modality, mime, name = r.choice(ATTACHMENTS)
        if r.random() < 0.5:
            return {"type": "file", "modality": modality, "mime_type": mime, "file_id": f"file-{self._token(18)}"}
        return {
            "type": "uri",
            "modality": modality,
            "mime_type": mime,
            "uri": f"https://uploads.travel.example/{f.uuid4()}/{name}",
        }

    def _verdict(self, label: str) -> str:
        r, f = self.rng, self.fake
        detail = r.choice(
            (
                lambda: f"the {r.choice(TRANSIT)} timetable",
                lambda: f"the fare of ${r.randint(20, 900)}",
                lambda: f"the {r.choice(HOTEL_BRANDS)} {f.last_name()} hotel",
                lambda: f"the {self._date()} departure",
                lambda: f"the approval by {f.name()}",
                lambda: f"the {r.choice(CABINS)} cabin rule",
            )
        )()
        return r.choice(VERDICTS[label]).format(topic=r.choice(GUIDE_TOPICS + tuple(POLICY_TOPICS)), detail=detail)

    def _itinerary(self) -> dict:
        r, f = self.rng, self.fake
        return {
            "trip_id": f.bothify("T-######"),
            "traveller": f.name(),
            "status": "changed",
            "legs": [
                {
                    "leg": i + 1,
                    "from": r.choice(AIRPORTS)[0],
                    "to": r.choice(AIRPORTS)[0],
                    "date": self._date(),
                    "flight": f"{r.choice(CARRIERS)[0]}{r.randint(10, 2999)}",
                    "hotel": f"{r.choice(HOTEL_BRANDS)} {f.last_name()}",
                    "fare": self._price(90, 2400),
                    "status": r.choice(["confirmed", "cancelled", "waitlisted", "changed"]),
                }
                for i in range(r.randint(3, 8))
            ],
        }

    def _answer(self, low: int, high: int) -> str:
        r = self.rng
        return " ".join(r.choice(self._sentences)() for _ in range(r.randint(low, high)))

    @property
    def _sentences(self) -> tuple[Callable[[], str], ...]:
        """Sentence makers for assistant answers; lazily evaluated so each sentence costs one template."""
        r, f = self.rng, self.fake

        def flight() -> str:
            (_, o_city), (_, d_city) = self._route()
            code, name = r.choice(CARRIERS)
            return (
                f"I found {r.randint(2, 9)} options from {o_city} to {d_city}; the best fit is {name} "
                f"{code} {r.randint(100, 2999)} departing at {r.randint(5, 22):02d}:{r.choice(['05', '45'])}."
            )

        return (
            flight,
            lambda: (
                f"The {r.choice(HOTEL_BRANDS)} {f.last_name()} is {r.uniform(0.2, 4):.1f} km from the venue and "
                f"costs ${r.randint(120, 480)} per night including {r.choice(AMENITIES)}."
            ),
            lambda: f"Your profile shows {r.choice(PREFERENCES)}, so I filtered out options that don't match.",
            lambda: f"This fare is refundable until {self._date()} and earns about {r.randint(500, 9000)} points.",
            lambda: (
                f"A {r.choice(CAR_MODELS)[2]} from {r.choice(RENTAL_COMPANIES)} at {r.choice(AIRPORTS)[0]} "
                f"comes to ${r.randint(35, 160)} per day with unlimited mileage."
            ),
            lambda: (
                f"Policy allows {r.choice(CABINS)} on this route because the flight time exceeds "
                f"{r.randint(4, 9)} hours."
            ),
            lambda: (
                f"I've placed a hold that expires in {r.randint(10, 60)} minutes; confirm and I'll finalise "
                "the booking."
            ),
            lambda: f"{f.name()} from the travel desk approved the exception on {self._date()}.",
            lambda: f"Total estimated cost is ${r.randint(300, 9000):,} including taxes and fees.",
            lambda: f"Let me know if you'd prefer {r.choice(PREFERENCES)} or a different date.",
            lambda: (
                f"Booked: confirmation {f.bothify('??####').upper()}, e-ticket {f.bothify('###-##########')}, "
                f"seat {r.randint(1, 45)}{r.choice('ABCDEF')}, charged to the card ending {f.bothify('####')}."
            ),
            lambda: (
                f"Option {f.bothify('opt-####')} leaves {r.choice(AIRPORTS)[0]} at {r.randint(5, 23):02d}:"
                f"{r.randint(0, 59):02d} and lands at {r.randint(5, 23):02d}:{r.randint(0, 59):02d} local time "
                f"after {r.randint(1, 14)}h {r.randint(0, 59)}m, with fare basis {f.bothify('?#??##?').upper()}."
            ),
            lambda: (
                f"{f.first_name()} asked for {r.choice(AMENITIES)}, and {r.randint(2, 6)} of the "
                f"{r.randint(6, 14)} hotels within {r.randint(1, 5)} km of {f.street_address()} offer it."
            ),
            lambda: (
                f"Pickup is at {f.street_address()}, {f.city()} between {r.randint(6, 11)}:00 and "
                f"{r.randint(12, 22)}:00; return the {r.choice(CAR_MODELS)[1]} with a full tank."
            ),
            lambda: (
                f"The {r.choice(CARRIERS)[1]} fare went up by ${r.uniform(4, 180):.2f} since the search, so I "
                f"re-priced it at ${r.uniform(120, 2400):.2f} before holding it."
            ),
            lambda: (
                f"I couldn't find availability on {self._date()}, so I widened the window to {{}} through {{}}".format(
                    *sorted((self._date(), self._date()))
                )
                + f" and found {r.randint(2, 12)} matches."
            ),
            lambda: (
                f"Your manager {f.name()} ({f.email()}) needs to approve anything above "
                f"${r.randint(500, 5000):,} for cost center {f.bothify('CC-####')}."
            ),
            lambda: (
                f"Check-in opens {r.choice([24, 30, 36, 48])} hours before departure; I've added the booking "
                f"to your calendar as {f.bothify('TRIP-#####')} and sent details to {f.email()}."
            ),
        )

    def _system_prompt(self, role: str, full: bool) -> str:
        """A lead agent's full prompt (guidelines, policy excerpts, offices) or a team member's brief one."""
        r, f = self.rng, self.fake
        fill = {
            "company": f.company(),
            "pct": r.randint(10, 40),
            "currency": r.choice(["USD", "EUR", "GBP"]),
            "pref": r.choice(PREFERENCES),
            "n": r.randint(3, 9),
        }
        lines = [SYSTEM_ROLES[role].format(**fill), "", "Guidelines:"]
        guidelines = r.randint(6, len(GUIDELINES)) if full else r.randint(1, 3)
        lines += [f"- {g.format(**fill)}" for g in r.sample(GUIDELINES, guidelines)]
        lines += ["", "Relevant policy excerpts:"]
        excerpts = r.randint(3, len(POLICY_TOPICS)) if full else r.randint(0, 1)
        lines += [f"- {self._policy_text(topic)}" for topic in r.sample(list(POLICY_TOPICS), excerpts)]
        if full:
            lines += ["", "Company offices (use the nearest airport):"]
            lines += [
                f"- {f.city()} office, {f.street_address()}, {f.postcode()}; nearest airport "
                f"{r.choice(AIRPORTS)[0]}; travel desk {f.phone_number()}"
                for _ in range(r.randint(6, 10))
            ]
        lines += ["", f"Today is {f.date_this_year().isoformat()}. The traveller's timezone is {f.timezone()}."]
        return "\n".join(lines)

    def _policy_text(self, topic: str) -> str:
        return _fill(self.rng, topic)

    def _user_profile(self) -> dict:
        f, r = self.fake, self.rng
        return {
            "user_id": f.uuid4(),
            "name": f.name(),
            "email": f.email(),
            "phone": f.phone_number(),
            "employee_id": f.bothify("E-#####"),
            "department": f.job(),
            "cost_center": f.bothify("CC-####"),
            "home_airport": r.choice(AIRPORTS)[0],
            "address": f.address().replace("\n", ", "),
            "loyalty": [
                {
                    "program": c[1],
                    "number": f.bothify("??#######").upper(),
                    "tier": r.choice(["member", "silver", "gold", "platinum"]),
                    "points": r.randint(0, 250000),
                }
                for c in r.sample(CARRIERS, r.randint(1, 3))
            ],
            "preferences": r.sample(PREFERENCES, r.randint(1, 4)),
            "manager": f.name(),
            "upcoming_trips": [
                {"trip_id": f.bothify("T-######"), "destination": r.choice(AIRPORTS)[1], "depart": self._date()}
                for _ in range(r.randint(0, 3))
            ],
            "payment_methods": [
                {
                    "type": r.choice(["corporate_card", "personal_card", "invoice"]),
                    "last4": f.bothify("####"),
                    "expires": f.credit_card_expire(),
                    "token": self._token(24),
                }
                for _ in range(r.randint(1, 3))
            ],
            "passport": {"country": f.country_code(), "expires": self._date(), "number": f.bothify("?########")},
            "trip_history": [
                {
                    "trip_id": f.bothify("T-######"),
                    "route": f"{r.choice(AIRPORTS)[0]}-{r.choice(AIRPORTS)[0]}",
                    "date": f.date_this_decade().isoformat(),
                    "spend": self._price(150, 6000),
                    "rating": r.randint(1, 5),
                }
                for _ in range(r.randint(6, 16))
            ],
            "saved_travellers": [
                {
                    "name": f.name(),
                    "relationship": r.choice(["spouse", "child", "colleague"]),
                    "date_of_birth": f.date_of_birth().isoformat(),
                    "known_traveller_number": f.bothify("#########"),
                }
                for _ in range(r.randint(0, 3))
            ],
            "emergency_contact": {"name": f.name(), "phone": f.phone_number()},
        }

    def _policy(self) -> dict:
        topics = self.rng.sample(list(POLICY_TOPICS), self.rng.randint(1, 3))
        return {
            "policy_version": self.fake.bothify("2026.##"),
            "sections": [
                {"topic": t, "text": self._policy_text(t), "updated": self.fake.date_this_year().isoformat()}
                for t in topics
            ],
        }

    def _flight_query(self) -> dict:
        (o, _), (d, _) = self._route()
        r = self.rng
        return {
            "origin": o,
            "destination": d,
            "depart_date": self._date(),
            "return_date": self._date(),
            "cabin": r.choice(CABINS),
            "passengers": r.randint(1, 4),
            "nonstop_only": r.random() < 0.4,
            "max_price": r.randint(300, 3000),
        }

    def _hotel_query(self) -> dict:
        r = self.rng
        return {
            "city": r.choice(AIRPORTS)[1],
            "check_in": self._date(),
            "nights": r.randint(1, 7),
            "guests": r.randint(1, 3),
            "max_rate": r.randint(150, 500),
            "near": self.fake.street_address(),
            "amenities": r.sample(AMENITIES, r.randint(0, 3)),
        }

    def _car_query(self) -> dict:
        r = self.rng
        return {
            "pickup_location": r.choice(AIRPORTS)[0],
            "pickup_date": self._date(),
            "days": r.randint(1, 10),
            "vehicle_class": r.choice(CAR_MODELS)[2],
            "driver_age": r.randint(25, 70),
        }

    def _flights(self) -> dict:
        r, f = self.rng, self.fake
        (o, _), (d, _) = self._route()
        options = []
        for _ in range(r.randint(5, 11)):
            code, name = r.choice(CARRIERS)
            stops = r.choice([0, 0, 1, 1, 2])
            options.append(
                {
                    "option_id": f.bothify("opt-####"),
                    "offer_token": self._token(r.randint(96, 200)),
                    "carrier": name,
                    "flight_number": f"{code}{r.randint(10, 2999)}",
                    "origin": o,
                    "destination": d,
                    "departure": f"{self._date()}T{r.randint(5, 23):02d}:{r.randint(0, 59):02d}",
                    "duration_minutes": r.randint(55, 900),
                    "stops": stops,
                    "connections": [r.choice(AIRPORTS)[0] for _ in range(stops)],
                    "cabin": r.choice(CABINS),
                    "fare_class": f.bothify("?").upper(),
                    "fare_basis": f.bothify("?#??##?").upper(),
                    "baggage": {"checked": r.randint(0, 2), "carry_on": 1},
                    "price": {"amount": self._price(89, 4200), "currency": "USD"},
                    "refundable": r.random() < 0.35,
                    "seats_left": r.randint(1, 9),
                    "aircraft": r.choice(
                        ["Boeing 737-800", "Airbus A320neo", "Boeing 787-9", "Airbus A350-900", "Embraer E175"]
                    ),
                }
            )
        return {"query_id": f.uuid4(), "currency": "USD", "results": options}

    def _hotels(self) -> dict:
        r, f = self.rng, self.fake
        city = r.choice(AIRPORTS)[1]
        options = [
            {
                "option_id": f.bothify("opt-####"),
                "rate_key": self._token(r.randint(90, 160)),
                "property_id": r.randint(100000, 9999999),
                "lat": round(r.uniform(-60, 60), 6),
                "lon": round(r.uniform(-170, 170), 6),
                "name": f"{r.choice(HOTEL_BRANDS)} {city} {f.last_name()}",
                "address": f.street_address(),
                "distance_km": round(r.uniform(0.1, 12), 1),
                "rating": round(r.uniform(2.8, 5), 1),
                "reviews": r.randint(12, 5400),
                "nightly_rate": {"amount": self._price(79, 690), "currency": "USD"},
                "room": r.choice(["king", "two queens", "junior suite", "studio"]),
                "amenities": r.sample(AMENITIES, r.randint(1, 5)),
                "free_cancellation": r.random() < 0.6,
                "review_snippet": self._answer(1, 1),
            }
            for _ in range(r.randint(5, 10))
        ]
        return {"query_id": f.uuid4(), "city": city, "results": options}

    def _cars(self) -> dict:
        r, f = self.rng, self.fake
        options = []
        for _ in range(r.randint(4, 9)):
            make, model, cls = r.choice(CAR_MODELS)
            options.append(
                {
                    "option_id": f.bothify("opt-####"),
                    "quote_token": self._token(r.randint(60, 120)),
                    "company": r.choice(RENTAL_COMPANIES),
                    "vehicle": f"{make} {model}",
                    "class": cls,
                    "transmission": "automatic",
                    "daily_rate": {"amount": self._price(29, 240), "currency": "USD"},
                    "insurance": r.choice(["basic", "full", "none"]),
                    "mileage": "unlimited",
                    "pickup": f.street_address(),
                }
            )
        return {"query_id": f.uuid4(), "results": options}

    def _booking(self) -> dict:
        f, r = self.fake, self.rng
        return {
            "confirmation": f.bothify("??####").upper(),
            "status": "confirmed",
            "traveller": f.name(),
            "booking_reference": self._token(18),
            "ticket_numbers": [f.bothify("###-##########") for _ in range(r.randint(1, 3))],
            "total": {"amount": self._price(120, 5200), "currency": "USD"},
            "booked_at": self._timestamp(),
            "cancellable_until": self._date(),
            "receipt_email": f.email(),
            "notes": r.choice(["", "Seat 14C assigned.", "Early check-in requested.", "Loyalty number applied."]),
        }


class _Fields:
    """Field lists for large documents, made by Faker once at start; records then combine them with an RNG."""

    def __init__(self, fake: Faker) -> None:
        f = fake
        self.names = [f.name() for _ in range(300)]
        self.streets = [f.street_address() for _ in range(300)]
        self.last = [f.last_name() for _ in range(300)]
        self.companies = [f.company() for _ in range(120)]
        self.jobs = [f.job() for _ in range(120)]


def _record_makers(fields: _Fields) -> dict[str, RecordMaker]:
    """Record makers for the travel pack's documents: a few microseconds each, every record different."""

    def pick(r: random.Random, seq: Sequence[_T]) -> _T:
        return seq[int(r.random() * len(seq))]

    def num(r: random.Random, low: int, high: int) -> int:
        """``r.randint(low, high)`` at a third of the cost (one float; a bias far below a record's notice)."""
        return low + int(r.random() * (high - low + 1))

    def token(r: random.Random, n: int) -> str:
        return base64.urlsafe_b64encode(r.randbytes(n)).decode().rstrip("=")

    def date(r: random.Random) -> str:
        return f"2026-{num(r, 1, 12):02d}-{num(r, 1, 28):02d}"

    def remark(r: random.Random) -> str:
        return pick(
            r,
            (
                lambda: (
                    f"{pick(r, fields.names)} rated it {num(r, 1, 5)}/5: {pick(r, AMENITIES)} was "
                    f"{pick(r, ['great', 'fine', 'disappointing', 'better than expected', 'not available'])}, and the "
                    f"{pick(r, ['check-in', 'shuttle', 'front desk', 'breakfast', 'room'])} took {num(r, 2, 45)} "
                    f"minutes."
                ),
                lambda: (
                    f"Fare rule {num(r, 1, 40)}: changes up to {r.choice([2, 6, 24, 48, 72])} hours before "
                    f"departure cost ${num(r, 0, 300)}; {pick(r, PREFERENCES)} is {pick(r, _TERMS)}."
                ),
                lambda: (
                    f"Booked {num(r, 1, 60)} days ahead by {pick(r, fields.names)} ({pick(r, fields.jobs)}) for "
                    f"{pick(r, PURPOSES)}; approved by {pick(r, fields.last)} under cost center "
                    f"CC-{num(r, 1000, 9999)}."
                ),
                lambda: (
                    f"Near {pick(r, fields.streets)}, {r.uniform(0.1, 9):.1f} km from the venue; {num(r, 2, 40)} "
                    f"rooms left at ${r.uniform(80, 700):.2f} with {pick(r, AMENITIES)}."
                ),
            ),
        )()

    def fare(r: random.Random) -> bytes:
        code, name = pick(r, CARRIERS)
        stops = pick(r, (0, 0, 1, 1, 2))
        via = ",".join(f'"{pick(r, AIRPORTS)[0]}"' for _ in range(stops))
        return (
            f'{{"option_id":"opt-{num(r, 1000, 99999)}","offer_token":"{token(r, num(r, 24, 72))}",'
            f'"carrier":"{name}","flight_number":"{code}{num(r, 10, 2999)}","origin":"{pick(r, AIRPORTS)[0]}",'
            f'"destination":"{pick(r, AIRPORTS)[0]}","departure":"{date(r)}T{num(r, 5, 23):02d}:'
            f'{num(r, 0, 59):02d}","duration_minutes":{num(r, 55, 900)},"stops":{stops},'
            f'"connections":[{via}],'
            f'"cabin":"{pick(r, CABINS)}","price":{{"amount":{r.uniform(89, 4200):.2f},"currency":"USD"}},'
            f'"refundable":{"true" if r.random() < 0.35 else "false"},"seats_left":{num(r, 1, 9)},'
            f'"rules":"{remark(r)}"}}'
        ).encode()

    def hotel(r: random.Random) -> bytes:
        city = pick(r, AIRPORTS)[1]
        amenities = ",".join(f'"{a}"' for a in r.sample(AMENITIES, num(r, 1, 4)))
        return (
            f'{{"option_id":"opt-{num(r, 1000, 99999)}","rate_key":"{token(r, num(r, 24, 64))}",'
            f'"name":"{pick(r, HOTEL_BRANDS)} {city} {pick(r, fields.last)}","address":"{pick(r, fields.streets)}",'
            f'"lat":{r.uniform(-60, 60):.5f},"lon":{r.uniform(-170, 170):.5f},"rating":{r.uniform(2.8, 5):.1f},'
            f'"reviews":{num(r, 12, 5400)},"nightly_rate":{{"amount":{r.uniform(79, 690):.2f},'
            f'"currency":"USD"}},'
            f'"amenities":[{amenities}],"review":"{remark(r)}"}}'
        ).encode()

    def car(r: random.Random) -> bytes:
        make, model, cls = pick(r, CAR_MODELS)
        return (
            f'{{"option_id":"opt-{num(r, 1000, 99999)}","quote_token":"{token(r, num(r, 20, 48))}",'
            f'"company":"{pick(r, RENTAL_COMPANIES)}","vehicle":"{make} {model}","class":"{cls}",'
            f'"daily_rate":{{"amount":{r.uniform(29, 240):.2f},"currency":"USD"}},'
            f'"pickup":"{pick(r, fields.streets)}","insurance":"{pick(r, _COVER)}","note":"{remark(r)}"}}'
        ).encode()

    def policy(r: random.Random) -> bytes:
        topic = pick(r, list(POLICY_TOPICS))
        return (
            f'{{"section":"{num(r, 1, 12)}.{num(r, 1, 30)}.{num(r, 1, 9)}","topic":"{topic}",'
            f'"text":"{_fill(r, topic)} {remark(r)}","owner":"{pick(r, fields.names)}","updated":"{date(r)}",'
            f'"approval_ref":"{token(r, num(r, 24, 60))}"}}'
        ).encode()

    def trip(r: random.Random) -> bytes:
        return (
            f'{{"trip_id":"T-{num(r, 100000, 999999)}","route":"{pick(r, AIRPORTS)[0]}-{pick(r, AIRPORTS)[0]}",'
            f'"date":"{date(r)}","spend":{r.uniform(150, 6000):.2f},"company":"{pick(r, fields.companies)}",'
            f'"rating":{num(r, 1, 5)},"receipt":"{token(r, num(r, 16, 40))}",'
            f'"notes":"{remark(r)}"}}'
        ).encode()

    def leg(r: random.Random) -> bytes:
        code, _ = pick(r, CARRIERS)
        return (
            f'{{"leg":{num(r, 1, 400)},"from":"{pick(r, AIRPORTS)[0]}","to":"{pick(r, AIRPORTS)[0]}",'
            f'"date":"{date(r)}","flight":"{code}{num(r, 10, 2999)}","hotel":"{pick(r, HOTEL_BRANDS)} '
            f'{pick(r, fields.last)}","fare":{r.uniform(90, 2400):.2f},"status":"{pick(r, _STATUSES)}",'
            f'"booking_ref":"{token(r, num(r, 12, 36))}","notes":"{remark(r)}"}}'
        ).encode()

    def handbook(r: random.Random) -> bytes:
        topic = pick(r, list(POLICY_TOPICS))
        guideline = str(pick(r, GUIDELINES)).format(
            pct=num(r, 10, 40), currency=pick(r, ["USD", "EUR", "GBP"]), pref=pick(r, PREFERENCES), n=num(r, 3, 9)
        )
        section = f"{num(r, 1, 12)}.{num(r, 1, 30)}"
        return f"{topic.title()} ({section}): {_fill(r, topic)} {guideline} {remark(r)}".encode()

    return {
        "fares": fare,
        "hotels": hotel,
        "cars": car,
        "policy": policy,
        "trips": trip,
        "itinerary": leg,
        "handbook": handbook,
    }


_COVER = ("basic", "full", "none")
_TERMS = ("guaranteed", "not guaranteed", "subject to availability")
_STATUSES = ("confirmed", "changed", "cancelled", "waitlisted")


def _fill(r: random.Random, topic: str) -> str:
    return POLICY_TOPICS[topic].format(
        carrier=r.choice(CARRIERS)[1],
        cabin=r.choice(CABINS),
        n=r.randint(1, 3),
        kg=r.choice([23, 32]),
        price=r.randint(30, 400),
        hours=r.choice([2, 6, 12, 24, 48, 72]),
        event=r.choice(["check-in", "departure"]),
        pct=r.randint(10, 100),
        city=r.choice(AIRPORTS)[1],
        car_class=r.choice(CAR_MODELS)[2],
    )
