"""A limit probe for the ``stress`` tier: an approval escalating through 32 levels of nested agents.

Each approver checks policy and hands the request one level up; the top approver decides and every level reports
back down. The chain makes traces 30+ spans deep (each level is an ``invoke_agent`` span inside the previous
one), which probes backends that walk trace trees recursively. Weight 0 except in ``stress``.
"""

from otel_locust.engine.scenario import Agent, Answer, Delegate, Scenario, ToolRound

from .travel import LOOKUP_POLICY, MINI

LEVELS = 32


def _chain(level: int) -> Agent:
    """The approver at ``level`` and, through its delegation, every level above it."""
    steps: tuple = (ToolRound((LOOKUP_POLICY,)),)
    if level < LEVELS:
        steps += (Delegate(_chain(level + 1)),)
    return Agent(
        f"approver_level_{level}",
        f"Approves travel requests at level {level} or escalates them.",
        MINI,
        "system.policy_checker.brief",
        tools=(LOOKUP_POLICY,),
        steps=(*steps, Answer("answer.short")),
    )


SCENARIO = Scenario(
    name="approval_chain",
    description="a request escalating through 32 nested approvers (depth probe)",
    weight=0,
    tier_weights=(("stress", 5),),
    question="question.booking",
    agent=_chain(1),
)
