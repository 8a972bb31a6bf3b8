"""Ready-made load profiles: ramp up / hold / ramp down, and a spike, without writing a LoadTestShape.

Use ``locustfiles/ramp.py`` or ``locustfiles/spike.py``. The profile is a list of keyframes (fraction of the
duration, fraction of the peak users) joined by straight lines; ``--otel-profile-users`` and
``--otel-profile-seconds`` scale it. The trace rate follows the users: about ``users / --otel-pace`` traces/s.
"""

from __future__ import annotations

from locust import LoadTestShape

import itertools

RAMP = ((0.0, 0.0), (0.2, 1.0), (0.8, 1.0), (1.0, 0.0))
SPIKE = ((0.0, 0.2), (0.4, 0.2), (0.42, 1.0), (0.6, 1.0), (0.62, 0.2), (1.0, 0.2))


def users_at(keyframes: tuple[tuple[float, float], ...], progress: float, peak: int) -> int:
    """Users at ``progress`` (0-1) through the profile, interpolated between keyframes."""
    for (x0, y0), (x1, y1) in itertools.pairwise(keyframes):
        if x0 <= progress <= x1:
            share = y0 if x1 == x0 else y0 + (y1 - y0) * (progress - x0) / (x1 - x0)
            return round(share * peak)
    return round(keyframes[-1][1] * peak)


class ProfileShape(LoadTestShape):
    """Drives the user count along ``keyframes``; stops at the end of the profile."""

    abstract = True
    keyframes: tuple[tuple[float, float], ...] = RAMP

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options if self.runner else None
        peak = int(getattr(options, "otel_profile_users", 50))
        duration = float(getattr(options, "otel_profile_seconds", 300.0))
        elapsed = self.get_run_time()
        if elapsed >= duration:
            return None
        users = users_at(self.keyframes, elapsed / duration, peak)
        steepest = max(
            abs(y1 - y0) / max(x1 - x0, 1e-9)
            for (x0, y0), (x1, y1) in zip(self.keyframes, self.keyframes[1:], strict=False)
        )
        return users, max(1.0, steepest * peak / duration)  # spawn fast enough to follow the steepest edge


class RampShape(ProfileShape):
    """0 to the peak over the first 20% of the time, hold for 60%, back to 0 over the last 20%."""

    abstract = False
    keyframes = RAMP


class SpikeShape(ProfileShape):
    """A baseline of 20% of the peak, a spike to the peak between 40% and 60% of the time, then the baseline."""

    abstract = False
    keyframes = SPIKE
