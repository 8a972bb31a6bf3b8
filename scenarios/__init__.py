"""The travel pack: a travel assistant's scenarios. Each module that defines ``SCENARIO`` is one workload.

Add a workload by adding a module here that defines ``SCENARIO = Scenario(...)`` (building blocks are in
``travel.py``, content pools in ``content.py``), then name it in ``--otel-mix``. This folder ships inside the
wheel as ``otel_locust.scenarios``.
"""

from .content import TravelContent

CONTENT = TravelContent
