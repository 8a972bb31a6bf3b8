"""The sink: an OTLP receiver that verifies every trace arrived whole (embedded or ``otel-locust-sink``)."""
