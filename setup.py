"""The one thing pyproject.toml cannot say: the optional C extension that stamps re-issued traces.

``optional=True``: without a C compiler (or Python's headers) the install goes on without it, and re-issues use
the pure-Python path (same bytes, slower; ``otel_locust.encoding.reissue.STAMPING`` says which is in use)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("otel_locust.encoding._stamp", ["otel_locust/encoding/_stamp.c"], optional=True)])
