"""Token details and timing the GenAI conventions report beside the totals: cache reads and writes, reasoning
tokens, time to the first chunk. Derived from the planned span (no engine state), stable for a seed."""

from __future__ import annotations

import re
import zlib

from otel_locust.engine.trace import PlannedSpan

_REASONING = re.compile(r"^(o\d|gpt-5|claude-(sonnet|opus)-4|gemini-2\.5|deepseek-r)")


def reasoning_model(name: str) -> bool:
    """Models that think before answering and report reasoning tokens."""
    return bool(_REASONING.match(name))


def _fraction(span: PlannedSpan, salt: int) -> float:
    """A stable pseudo-random number in [0, 1) from the span's (seeded) response id."""
    return (zlib.crc32(f"{span.response_id}:{salt}".encode()) & 0xFFFF) / 65536.0


def usage_extras(span: PlannedSpan, previous_input: int, index: int) -> tuple[int, int, int]:
    """(cache_read, cache_write, reasoning) tokens of a model call, all inside the totals.

    The prompt prefix a previous call of the same agent sent is cached by the provider: the share of calls that
    hit it grows along the conversation (``index``: the call's place in the agent's run), and a hit reads up to
    that previous prompt. A miss writes the prompt to the cache on providers that bill writes (Anthropic).
    Reasoning models spend part of the output on reasoning.
    """
    cache_read = cache_write = reasoning = 0
    if previous_input and _fraction(span, 1) < min(0.9, 0.35 + 0.15 * index):
        cache_read = min(previous_input, span.input_tokens)
    elif span.model is not None and span.model.provider == "anthropic":
        cache_write = span.input_tokens
    if span.model is not None and reasoning_model(span.model.name):
        reasoning = int(span.output_tokens * (0.2 + 0.5 * _fraction(span, 2)))
    return cache_read, cache_write, reasoning


def time_to_first_chunk(span: PlannedSpan) -> float:
    """Seconds to the first output chunk: the planner's duration minus the time to stream the output."""
    model = span.model
    streaming = span.output_tokens / model.tokens_per_s if model is not None else 0.0
    return max(0.001, (span.end - span.start) / 1e9 - streaming)


__all__ = ["reasoning_model", "time_to_first_chunk", "usage_extras"]
