"""Export: transports (OTLP/HTTP, console), the retry loop, splitting and the accounting of every span."""
