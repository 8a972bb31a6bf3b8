"""Encoding: a planned trace becomes OTLP bytes, with the attribute dialects each backend reads. Imports neither
Locust nor gevent."""
