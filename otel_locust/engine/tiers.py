"""Payload tiers: how large and how long the planned traces are (``--otel-payload``).

* ``realistic`` (default): today's shapes (SPEC section 2). Tools return their pool entries; only the earlier
  turns' user and assistant text carries into the next turn, a few KB per turn.
* ``production``: the heavy tail of real agent traffic. Long system prompts (policy handbooks), tool results
  drawn from a log-normal size distribution of documents (some over 1 MB), of which the model sees a truncated
  view; tool calls and results carry into the next turn, so contexts grow toward the model's window and are then
  compacted. The long-running scenario joins the mix.
* ``stress``: limit probes. Single attributes of 5-20 MB, long-running traces of 10,000+ spans, delegation
  chains 30+ deep, traces larger than every platform's request limit.

Sizes are bytes of JSON text (about 4 characters per token).
"""

from __future__ import annotations

from dataclasses import dataclass

KB, MB = 1000, 1000 * 1000


@dataclass(frozen=True)
class Tier:
    """The size knobs of one payload tier."""

    name: str
    carry_tools: bool  # tool calls and results carry into the next turn (else only user and assistant text)
    history_limit: int  # bytes of earlier turns kept per conversation (bounded per user)
    compact_at: int  # an agent whose context passes this many bytes compacts it first; 0: never
    view_limit: int  # bytes of a document the agent shows its model (agents truncate long tool results)
    doc_median: int  # median size of a tool's document; 0: tools return their small pool entries
    doc_sigma: float  # log-normal shape of document sizes: larger means a heavier tail
    doc_max: int
    huge_p: float  # chance a trace's first document is a limit probe of ``huge`` bytes
    huge: tuple[int, int]
    system_extra: int  # bytes of handbook text appended to system prompts (production prompts are long)
    loop_scale: float  # long-running loops (``Loop.grows``) repeat this many times more


REALISTIC = Tier(
    "realistic",
    carry_tools=False,
    history_limit=6 * KB,
    compact_at=0,
    view_limit=0,
    doc_median=0,
    doc_sigma=0.0,
    doc_max=0,
    huge_p=0.0,
    huge=(0, 0),
    system_extra=0,
    loop_scale=1.0,
)
PRODUCTION = Tier(
    "production",
    carry_tools=True,
    history_limit=480 * KB,
    compact_at=420 * KB,
    view_limit=40 * KB,
    doc_median=12 * KB,
    doc_sigma=1.5,
    doc_max=4 * MB,
    huge_p=0.0,
    huge=(0, 0),
    system_extra=9 * KB,
    loop_scale=1.0,
)
STRESS = Tier(
    "stress",
    carry_tools=True,
    history_limit=640 * KB,
    compact_at=560 * KB,
    view_limit=48 * KB,
    doc_median=14 * KB,
    doc_sigma=1.35,
    doc_max=4 * MB,
    huge_p=0.05,
    huge=(5 * MB, 20 * MB),
    system_extra=12 * KB,
    loop_scale=60.0,
)
TIERS = {tier.name: tier for tier in (REALISTIC, PRODUCTION, STRESS)}
