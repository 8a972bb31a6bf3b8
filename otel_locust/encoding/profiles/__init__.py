"""Framework profiles (``--otel-framework``): send what a real agent framework's instrumentation sends.

``semconv`` (the default) is the plain :class:`~otel_locust.encoding.instrument.Instrumentation`: the OTel GenAI
conventions. Every other name is a :class:`~.base.Profile` in :mod:`.frameworks`, encoded by
:class:`~.base.ProfileInstrumentation` from the same planned traces.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from otel_locust.encoding.dialects import Dialect
from otel_locust.encoding.instrument import Instrumentation
from otel_locust.encoding.profiles.base import Profile, ProfileInstrumentation, SpanSpec
from otel_locust.encoding.profiles.frameworks import PROFILES
from otel_locust.encoding.profiles.layout import Structure

SEMCONV = "semconv"
FRAMEWORKS = (SEMCONV, *PROFILES)


def instrumentation_for(
    framework: str,
    dialects: Sequence[Dialect],
    service_name: str = "travel-agent",
    resource_attributes: dict[str, str] | None = None,
    ids: random.Random | None = None,
) -> Instrumentation:
    """The instrumentation for ``--otel-framework``. With a framework profile the GenAI base dialect is not
    forced: a profile replaces it, and the other dialects add their keys on top."""
    if framework == SEMCONV:
        return Instrumentation(dialects, service_name, resource_attributes, ids)
    on_top = [d for d in dialects if d.name != "genai"]
    return ProfileInstrumentation(PROFILES[framework], on_top, service_name, resource_attributes, ids)


__all__ = [
    "FRAMEWORKS",
    "PROFILES",
    "SEMCONV",
    "Profile",
    "ProfileInstrumentation",
    "SpanSpec",
    "Structure",
    "instrumentation_for",
]
