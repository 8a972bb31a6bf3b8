"""otel-locust: load-test AI-observability backends with realistic AI-agent OpenTelemetry traces.

In a locustfile: ``from otel_locust import AgentTraceUser`` and subclass it. Importing the user (from here or
from ``otel_locust.plugin.user``) registers the plugin's options and listeners with Locust. The package itself
imports nothing heavy, so the standalone sink and the preview command run without gevent's monkey-patching.

The data flows through the subpackages in this order: ``engine`` (scenarios -> planned traces), ``encoding``
(planned traces -> OTLP bytes in the chosen attribute dialects), ``export`` (transports, retries, accounting),
``plugin`` (Locust wiring), ``sink`` (the verifying receiver); ``testing`` holds independent checks.
"""

from __future__ import annotations

from typing import Any

from otel_locust._version import __version__

__all__ = ["AgentTraceUser", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "AgentTraceUser":
        from otel_locust.plugin.user import AgentTraceUser

        return AgentTraceUser
    raise AttributeError(f"module 'otel_locust' has no attribute {name!r}")
