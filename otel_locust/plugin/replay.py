"""The fast path: conversations recorded as they are generated fresh, then re-issued as new conversations.

A share ``--otel-fresh`` of new conversations is planned and encoded as before; each of their turns is kept as a
:class:`~otel_locust.encoding.reissue.Template` in a :class:`Recording`. Every other new conversation replays a
recording of the scenario Locust picked: each turn re-issues the recorded turn with new ids and times, the
issuing user's id, a new conversation id, dates moved by a random number of days and new opaque tokens (see
:mod:`otel_locust.encoding.reissue`). Conversations stay whole: turn k of a replay is turn k of one recording,
so the history a turn carries is the history of the turns the same replay sent before it.

The pool is bounded (recordings per scenario and bytes in all). A fresh conversation is recorded only while its
scenario has room (fewer than ``capacity`` recordings and the pool under 90 % of its byte budget; a scenario with
fewer than ``warm`` recordings always has room, the byte budget then evicting the oldest recording of the
scenario with the most): recording a complex turn costs more than planning and encoding it, and a full pool needs
a new recording only when one leaves it. The other fresh conversations are planned and sent all the same (they
are the ``--otel-fresh`` share), just not kept. A turn is recorded only when re-issuing it changes
what reached the agent from outside: a date in the user's question, or a date or token in the first tool result
(:func:`variation`), so every re-issued trace differs from its recording in what the user asked or what a tool
answered, not only in ids; a recording stops at its first turn that would not. Every recording is replayed once
per day shift (``DAY_SHIFTS``: 180 of them, in a shuffled order), then leaves the pool for a fresh one: so even
a recording that varies only by its dates never repeats, and every kind of conversation lives equally long in
the pool (one whose tokens can vary forever would otherwise crowd out those that vary by dates only). The kinds
that cannot be recorded keep their share too: of a scenario's new conversations, as many are planned fresh as
the share of its fresh first turns that could not be recorded.

The mix: a replay's first turn is of the scenario Locust picked, its later turns are of the scenarios its
recording had (each a Locust pick when it was recorded). That holds the mix on average, but a recording replayed
many times repeats its later turns' scenarios, which would make the shares of a short run wander (a few percent
over 10,000 traces). So the pool counts the traces of each scenario sent so far, and of a few recordings drawn at
random it replays the one whose turns bring those counts nearest the ``--otel-mix`` shares.
"""

from __future__ import annotations

import logging
import random
import re
from collections import deque

from otel_locust.encoding.instrument import EncodedTrace
from otel_locust.encoding.reissue import DATE, DAY_SHIFTS, Restamp, Template, TemplateError
from otel_locust.engine.conversation import Conversation
from otel_locust.engine.trace import PlannedTrace

logger = logging.getLogger("otel_locust")

WARM_RECORDINGS = 8  #: recordings a scenario needs before its conversations are re-issued
CANDIDATES = 4  #: recordings drawn per replay, of which the one that keeps the mix nearest its shares is taken
CAPACITY = 64  #: recordings kept per scenario (the oldest goes first)
BUDGET_BYTES = 96_000_000  #: bytes of templates kept per process, all scenarios together (realistic tier)
#: the budget per payload tier: a production-tier conversation's turns take megabytes each
TIER_BUDGET_BYTES = {"realistic": BUDGET_BYTES, "production": 320_000_000, "stress": 320_000_000}


class Recording:
    """One fresh conversation's turns as templates, in order (it grows while the conversation goes on)."""

    __slots__ = ("closed", "nbytes", "scenario", "scenarios", "shifts", "templates", "turns")

    def __init__(self, scenario: str, turns: int, rng: random.Random) -> None:
        self.scenario = scenario
        self.turns = turns  # planned turns (the recording may end before: see ``closed``)
        self.templates: list[Template] = []
        self.scenarios: dict[str, int] = {}  #: traces of each scenario a replay of it sends (its planned turns)
        self.nbytes = 0
        self.closed = False  # no further turn is recorded (a turn had nothing to vary, or the pool dropped it)
        self.shifts = [d for d in DAY_SHIFTS if d]  # the replays to come, one per day shift
        rng.shuffle(self.shifts)

    def day_shift(self) -> int:
        """The day shift of a new replay: the next one not given yet."""
        return self.shifts.pop()

    @property
    def exhausted(self) -> bool:
        return not self.shifts


class TemplatePool:
    """Per process: the recordings of each scenario, bounded and rotating (see the module docstring)."""

    def __init__(
        self,
        fresh: float,
        capacity: int = CAPACITY,
        budget_bytes: int = BUDGET_BYTES,
        warm: int = WARM_RECORDINGS,
        shares: dict[str, float] | None = None,
    ) -> None:
        self.fresh = fresh
        total = sum((shares or {}).values())
        self.shares = {name: share / total for name, share in (shares or {}).items() if share > 0}
        self.sent: dict[str, int] = dict.fromkeys(self.shares, 0)  #: traces of each scenario sent, this test
        self.capacity = capacity
        self.budget_bytes = budget_bytes
        self.warm = min(warm, capacity)
        self._by_scenario: dict[str, deque[Recording]] = {}
        self._order: deque[Recording] = deque()  # every kept recording, oldest first (for the byte budget)
        self.nbytes = 0
        #: per scenario: fresh conversations' first turns, and how many of them could be recorded
        self._first_turns: dict[str, tuple[int, int]] = {}
        self.issued = 0  #: traces re-issued this test
        self.planned = 0  #: traces planned fresh this test

    def draw(self, scenario: str, rng: random.Random) -> Recording | None:
        """A recording to replay as a new conversation of ``scenario``, or None: plan this one fresh."""
        kept = self._by_scenario.get(scenario)
        if not kept or (len(kept) < self.warm and not self.full) or rng.random() < self.fresh:
            return None
        first, recorded = self._first_turns.get(scenario, (0, 0))
        if recorded < first and rng.random() * first >= recorded:
            return None  # as many new conversations as could not be recorded are planned fresh: no bias
        recording = min((kept[int(rng.random() * len(kept))] for _ in range(CANDIDATES)), key=self._deviation_after)
        if recording.exhausted:  # every day shift was given: plan fresh (its replacement)
            self._drop(recording)
            return None
        return recording

    def count(self, scenario: str) -> None:
        """A trace of ``scenario`` was sent (fresh or re-issued)."""
        if scenario in self.sent:
            self.sent[scenario] += 1

    def _deviation_after(self, recording: Recording) -> float:
        """How far the per-scenario counts would be from the shares after replaying ``recording`` whole."""
        turns, shares = recording.scenarios, self.shares
        total = sum(self.sent.values()) + min(recording.turns, len(recording.templates))
        return sum(abs(sent + turns.get(name, 0) - shares[name] * total) for name, sent in self.sent.items())

    def has_room(self, scenario: str) -> bool:
        """Whether a fresh conversation of ``scenario`` is worth recording (see the module docstring)."""
        kept = len(self._by_scenario.get(scenario, ()))
        return kept < self.warm or (kept < self.capacity and not self.full)

    def record(self, scenario: str, turns: int, rng: random.Random) -> Recording:
        """A new, empty recording of a fresh conversation (kept once its first turn is added)."""
        return Recording(scenario, turns, rng)

    def add(self, recording: Recording, template: Template | None, variation: str) -> None:
        """``template`` is the recording's next turn, ``variation`` what its issues change (see
        :func:`variation`): keep it (and the recording, on its first turn), or close the recording when the
        turn has nothing to vary or could not be made a template (None)."""
        if recording.closed:
            return
        if not recording.templates:
            first, recorded = self._first_turns.get(recording.scenario, (0, 0))
            self._first_turns[recording.scenario] = (first + 1, recorded + bool(template and variation))
        if template is None or not variation:
            recording.closed = True
            return
        first = not recording.templates
        recording.templates.append(template)
        if len(recording.templates) <= recording.turns:
            recording.scenarios[template.scenario] = recording.scenarios.get(template.scenario, 0) + 1
        recording.nbytes += template.nbytes
        if first:
            kept = self._by_scenario.setdefault(recording.scenario, deque())
            if len(kept) >= self.capacity:
                self._drop(kept[0])
            kept.append(recording)
            self._order.append(recording)
            self.nbytes += recording.nbytes
        else:
            self.nbytes += template.nbytes
        while self.nbytes > self.budget_bytes and len(self._order) > 1:  # the largest scenario gives up its oldest
            self._drop(max(self._by_scenario.values(), key=len)[0])

    def _drop(self, recording: Recording) -> None:
        """Forget ``recording`` (replays under way keep their reference and finish)."""
        recording.closed = True
        self._by_scenario[recording.scenario].remove(recording)
        self._order.remove(recording)
        self.nbytes -= recording.nbytes

    def recordings(self, scenario: str) -> int:
        return len(self._by_scenario.get(scenario, ()))

    @property
    def full(self) -> bool:
        """Near the byte budget: a scenario with fewer than ``warm`` recordings is replayed all the same."""
        return self.nbytes >= 0.9 * self.budget_bytes

    @property
    def kept(self) -> int:
        """Recordings kept, all scenarios."""
        return len(self._order)


class RecordedConversation(Conversation):
    """A fresh conversation whose turns are recorded for re-issue."""

    __slots__ = ("recording",)

    recording: Recording


class ReplayedConversation(Conversation):
    """A new conversation that re-issues a recording, turn by turn."""

    __slots__ = ("recording", "stamp")

    recording: Recording
    stamp: Restamp

    @classmethod
    def of(cls, recording: Recording, rng: random.Random, user_id: str, think_median: float) -> ReplayedConversation:
        conversation = cls(f"conv_{rng.getrandbits(64):016x}", user_id, recording.turns, think_median=think_median)
        conversation.recording = recording
        conversation.stamp = Restamp(conversation.id.encode(), user_id.encode(), recording.day_shift())
        return conversation

    @property
    def done(self) -> bool:
        """Every recorded turn was re-issued (a recording may hold fewer turns than were planned)."""
        return self.turn > min(self.turns, len(self.recording.templates))

    def template(self) -> Template:
        return self.recording.templates[self.turn - 1]


def variation(trace: PlannedTrace, tokens: re.Pattern[bytes] | None) -> str:
    """What a re-issue of ``trace`` changes in what reached the agent: ``"tokens"`` (its first tool result has
    an opaque token: new at every issue), ``"dates"`` (its question or first tool result has a date: one of the
    day shifts) or ``""`` (neither: not worth re-issuing)."""
    llm = next((span for span in trace.spans if span.kind == "llm"), None)
    question = next((m for m in reversed(llm.history) if m.startswith(b'{"role":"user"')), b"") if llm else b""
    result = next((span.result for span in trace.spans if span.kind == "tool"), b"")
    if tokens is not None and tokens.search(result):
        return "tokens"
    return "dates" if DATE.search(question) or DATE.search(result) else ""


def record_turn(
    pool: TemplatePool,
    conversation: RecordedConversation,
    trace: PlannedTrace,
    encoded: EncodedTrace,
    body: bytes,
    base_ns: int,
    tokens: re.Pattern[bytes] | None,
) -> None:
    """Keep a fresh turn, sent as the one request ``body``, as the next template of its conversation's
    recording; ``base_ns`` is where its planned times start (the trace's start)."""
    recording = conversation.recording
    if recording.closed:
        return
    try:
        template = Template.of(
            encoded,
            body,
            base_ns,
            trace.spans[0].end,
            scenario=trace.scenario.name,
            conversation_id=conversation.id,
            user_id=conversation.user_id,
            tokens=tokens,
            earlier=recording.templates,
        )
    except TemplateError as exc:
        logger.debug("otel-locust: a %s trace is not re-issued: %s", trace.scenario.name, exc)
        pool.add(recording, None, "")
        return
    pool.add(recording, template, variation(trace, tokens))
