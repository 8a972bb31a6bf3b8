"""Travel-agent scenarios. Each module that defines ``SCENARIO`` is one workload in the mix.

Add a workload by adding a module here that defines ``SCENARIO = Scenario(...)`` (building blocks are in
``travel.py``), then name it in ``--otel-mix``.
"""
