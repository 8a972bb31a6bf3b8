"""The fast path: conversations recorded as they are generated fresh, then re-issued as new conversations.

A share ``--otel-fresh`` of new conversations is planned and encoded as before; each of their turns is kept as a
:class:`~otel_locust.encoding.reissue.Template` in a :class:`Recording`. Every other new conversation replays a
recording of the scenario Locust picked: each turn re-issues the recorded turn with new ids and times, the
issuing user's id, a new conversation id, dates moved by a random number of days and new opaque tokens (see
:mod:`otel_locust.encoding.reissue`). Conversations stay whole: turn k of a replay is turn k of one recording,
so the history a turn carries is the history of the turns the same replay sent before it.

The pool is bounded (recordings per scenario and bytes in all) and rotates: once a scenario has
``capacity`` recordings, each fresh one replaces the oldest. Recordings whose first turn has nothing to vary (no
dates, no tokens) are not kept, so every re-issued trace differs from its recording in content, not only in ids.
Later turns of a recording stop at the first turn that has nothing to vary.
"""

from __future__ import annotations

import random
from collections import deque

from otel_locust.encoding.reissue import MAX_DAY_SHIFT, Restamp, Template
from otel_locust.engine.conversation import Conversation

WARM_RECORDINGS = 8  #: recordings a scenario needs before its conversations are re-issued
CAPACITY = 64  #: recordings kept per scenario (the oldest goes first)
BUDGET_BYTES = 96_000_000  #: bytes of templates kept per process, all scenarios together


class Recording:
    """One fresh conversation's turns as templates, in order (it grows while the conversation goes on)."""

    __slots__ = ("closed", "nbytes", "scenario", "templates", "turns")

    def __init__(self, scenario: str, turns: int) -> None:
        self.scenario = scenario
        self.turns = turns  # planned turns (the recording may end before: see ``closed``)
        self.templates: list[Template] = []
        self.nbytes = 0
        self.closed = False  # no further turn is recorded (a turn had nothing to vary, or the pool dropped it)


class TemplatePool:
    """Per process: the recordings of each scenario, bounded and rotating (see the module docstring)."""

    def __init__(
        self,
        fresh: float,
        capacity: int = CAPACITY,
        budget_bytes: int = BUDGET_BYTES,
        warm: int = WARM_RECORDINGS,
    ) -> None:
        self.fresh = fresh
        self.capacity = capacity
        self.budget_bytes = budget_bytes
        self.warm = min(warm, capacity)
        self._by_scenario: dict[str, deque[Recording]] = {}
        self._order: deque[Recording] = deque()  # every kept recording, oldest first (for the byte budget)
        self.nbytes = 0
        self.issued = 0  #: traces re-issued this test
        self.planned = 0  #: traces planned fresh this test

    def draw(self, scenario: str, rng: random.Random) -> Recording | None:
        """A recording to replay as a new conversation of ``scenario``, or None: plan this one fresh."""
        kept = self._by_scenario.get(scenario)
        if not kept or len(kept) < self.warm or rng.random() < self.fresh:
            return None
        return kept[int(rng.random() * len(kept))]

    def record(self, scenario: str, turns: int) -> Recording:
        """A new, empty recording of a fresh conversation (kept once its first turn is added)."""
        return Recording(scenario, turns)

    def add(self, recording: Recording, template: Template) -> None:
        """``template`` is the recording's next turn: keep it (and the recording, on its first turn) unless it
        has nothing to vary, which closes the recording."""
        if recording.closed:
            return
        if not template.varies:
            recording.closed = True
            return
        first = not recording.templates
        recording.templates.append(template)
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
        while self.nbytes > self.budget_bytes and len(self._order) > 1:
            self._drop(self._order[0])

    def _drop(self, recording: Recording) -> None:
        """Forget ``recording`` (replays under way keep their reference and finish)."""
        recording.closed = True
        self._by_scenario[recording.scenario].remove(recording)
        self._order.remove(recording)
        self.nbytes -= recording.nbytes

    def recordings(self, scenario: str) -> int:
        return len(self._by_scenario.get(scenario, ()))

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
        conversation.stamp = Restamp(
            conversation.id.encode(), user_id.encode(), rng.randint(-MAX_DAY_SHIFT, MAX_DAY_SHIFT)
        )
        return conversation

    @property
    def done(self) -> bool:
        """Every recorded turn was re-issued (a recording may hold fewer turns than were planned)."""
        return self.turn > min(self.turns, len(self.recording.templates))

    def template(self) -> Template:
        return self.recording.templates[self.turn - 1]
