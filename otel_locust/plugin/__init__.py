"""The Locust side: options, the per-environment runtime, the user, listeners, web UI tab, reports, profiles."""
