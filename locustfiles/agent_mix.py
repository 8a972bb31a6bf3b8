"""The default workload: a travel assistant's four scenarios, weighted 40/30/20/10.

locust -f locustfiles/agent_mix.py                       # web UI, embedded sink, no configuration
locust -f locustfiles/agent_mix.py --headless -u 20 -r 5 -t 1m --otel-summary summary.json
"""

from otel_locust import AgentTraceUser


class TravelAgentUser(AgentTraceUser):
    """Each user is one agent front end; its traces follow --otel-mix (default: the scenarios' weights)."""
