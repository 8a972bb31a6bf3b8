"""Platform presets: where traces go, which headers and dialects they need, and how large a request may be."""

from __future__ import annotations

from dataclasses import dataclass

OTLP_DEFAULT_ENDPOINT = "http://localhost:4318/v1/traces"


@dataclass(frozen=True)
class Platform:
    """A destination preset. ``endpoint`` empty means the platform supplies it at run time (the sink)."""

    name: str
    description: str
    endpoint: str = ""
    dialects: tuple[str, ...] = ("genai",)
    max_request_bytes: int = 0  # 0: no limit known; one request per trace
    sends_otlp: bool = True


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("sink", "embedded local receiver that verifies every trace (no network needed)"),
        Platform("otlp", "any OTLP/HTTP receiver: collector, Jaeger, Tempo, ...", endpoint=OTLP_DEFAULT_ENDPOINT),
        Platform("console", "print each trace as a tree on stdout (debugging only)", sends_otlp=False),
    )
}
