"""The default mix with a traffic spike: 20% of the peak, the peak for a fifth of the run, then 20% again.

locust -f locustfiles/spike.py --headless --otel-profile-users 500 --otel-profile-seconds 300
"""

from otel_locust import AgentTraceUser
from otel_locust.plugin.profiles import SpikeShape  # noqa: F401 - Locust picks the shape up from this module


class TravelAgentUser(AgentTraceUser):
    """Each user is one agent front end; its traces follow --otel-mix."""
