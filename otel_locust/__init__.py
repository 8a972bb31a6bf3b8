"""otel-locust: load-test AI-observability backends with realistic AI-agent OpenTelemetry traces.

In a locustfile: ``from otel_locust import AgentTraceUser`` and subclass it. That import registers the plugin's
options and listeners with Locust. The package itself imports nothing heavy, so the standalone sink and the
preview command run without Locust's gevent monkey-patching.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["AgentTraceUser", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "AgentTraceUser":
        from otel_locust.plugin import AgentTraceUser  # registers the Locust listeners

        return AgentTraceUser
    raise AttributeError(f"module 'otel_locust' has no attribute {name!r}")
