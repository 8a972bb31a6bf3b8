"""The default mix under a ramp-up / steady / ramp-down profile.

locust -f locustfiles/ramp.py --headless --otel-profile-users 200 --otel-profile-seconds 600
"""

from otel_locust import AgentTraceUser
from otel_locust.plugin.profiles import RampShape  # noqa: F401 - Locust picks the shape up from this module


class TravelAgentUser(AgentTraceUser):
    """Each user is one agent front end; its traces follow --otel-mix."""
