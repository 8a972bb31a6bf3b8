"""The engine: a scenario describes an agent's steps; the planner turns it into a planned trace (spans, timing,
payloads), with no OpenTelemetry in sight. Imports neither Locust nor gevent."""
