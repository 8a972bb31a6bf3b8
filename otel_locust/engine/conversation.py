"""A multi-turn conversation: one end user talking to the agent over several traces (``--otel-turns``).

Each turn is one trace with the same conversation and user ids. The history carries over: turn k+1's first model
call sends turn k's messages, so later turns are larger, as in real chat. What carries depends on the payload
tier: in ``realistic`` only the user's questions and the assistant's answers; in ``production`` and ``stress``
the agent's tool calls and results too, until the context passes the tier's threshold and the agent compacts it.
The carried history is bounded per conversation (``Tier.history_limit``): the oldest messages go first.

Think time (``--otel-think-seconds``): after a turn ends the user reads and types; the next turn of the same
conversation may start at :meth:`Conversation.ready_at`. In pace mode (``--otel-pace``) the pace decides and
think time is not waited. In rate mode an arrival should continue a conversation that is :meth:`ready` (or start
a new one when none is).

Timestamps: a turn starts only after the previous one ended. :meth:`end_ns` places a turn's end at "now" unless
that would make it start before the previous turn's end; then the turn ends later than now by the overlap. In
pace mode with turns longer than the pace, later turns of one conversation can therefore lie up to a few turn
durations in the future; a new conversation starts at "now" again.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Self

from otel_locust.engine.tiers import REALISTIC, Tier

THINK_SIGMA = 0.6  # log-normal shape of think times around the configured median
TURN_GAP_NS = 300_000_000  # the least time between one turn's end and the next turn's start (the user types)


class Conversation:
    """Ids, turns, the carried history (bounded) and the think time of one end user's conversation."""

    __slots__ = (
        "history",
        "history_bytes",
        "id",
        "last_end_ns",
        "limit",
        "ready_at",
        "think",
        "think_median",
        "tier",
        "turn",
        "turns",
        "user_id",
    )

    def __init__(
        self, conversation_id: str, user_id: str, turns: int, tier: Tier = REALISTIC, think_median: float = 0.0
    ) -> None:
        self.id = conversation_id
        self.user_id = user_id
        self.turns = max(1, turns)
        self.turn = 1  # the turn the next trace plans (1-based)
        self.tier = tier
        self.limit = tier.history_limit
        self.history: list[bytes] = []  # earlier turns' messages, each a JSON object
        self.history_bytes = 0
        self.think_median = think_median
        self.think = 0.0  # seconds the user thinks after the last planned turn
        self.ready_at = 0.0  # monotonic seconds: when the user has read the last answer and typed the next turn
        self.last_end_ns = 0  # wall-clock end of the last emitted turn

    @classmethod
    def start(
        cls, rng: random.Random, user_id: str, turns: tuple[int, int], tier: Tier = REALISTIC, think_median: float = 0.0
    ) -> Self:
        """A new conversation of ``turns[0]..turns[1]`` turns with a random id."""
        return cls(f"conv_{rng.getrandbits(64):016x}", user_id, rng.randint(*turns), tier, think_median)

    @property
    def done(self) -> bool:
        """Every turn has been planned: the user's next trace starts a new conversation."""
        return self.turn > self.turns

    @property
    def compacted(self) -> bool:
        """The carried history begins with a compaction (an earlier turn compacted the context)."""
        return bool(self.history) and b'"type":"compaction"' in self.history[0][:200]

    def carry(self, messages: Sequence[bytes], replace: bool) -> None:
        """Keep ``messages`` for the next turn: appended to the history, or (``replace``) instead of it, then
        bounded to the tier's limit by dropping the oldest messages (the last two always stay)."""
        if replace:
            self.history, self.history_bytes = list(messages), sum(map(len, messages))
        else:
            self.history.extend(messages)
            self.history_bytes += sum(map(len, messages))
        drop = 0
        while self.history_bytes > self.limit and len(self.history) - drop > 2:
            self.history_bytes -= len(self.history[drop])
            drop += 1
        # never start with tool results whose call was dropped: a model API refuses such a history
        while drop and len(self.history) - drop > 2 and self.history[drop].startswith(b'{"role":"tool"'):
            self.history_bytes -= len(self.history[drop])
            drop += 1
        if drop:
            del self.history[:drop]

    def finish_turn(self, rng: random.Random) -> None:
        """The turn was planned: count it and draw the think time before the next one."""
        self.turn += 1
        self.think = self.think_median * rng.lognormvariate(0, THINK_SIGMA) if self.think_median > 0 else 0.0

    def emitted(self, now: float, end_ns: int) -> None:
        """The turn was emitted at monotonic ``now`` and ends at ``end_ns``: the next turn is ready after the
        think time."""
        self.ready_at = now + self.think
        self.last_end_ns = end_ns

    def ready(self, now: float) -> bool:
        """Whether the user has finished thinking (rate mode: an arrival may continue this conversation)."""
        return now >= self.ready_at

    def end_ns(self, duration_ns: int, now_ns: int) -> int:
        """Where the turn of ``duration_ns`` ends: now, unless it would then start before the previous turn's
        end (plus a short gap)."""
        if not self.last_end_ns:
            return now_ns
        return max(now_ns, self.last_end_ns + TURN_GAP_NS + duration_ns)
