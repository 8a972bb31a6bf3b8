"""A locustfile add-on for the benchmarks: each Locust process records its own CPU at milestones.

Loaded beside the real locustfile (``-f locustfiles/agent_mix.py,benchmarks/probe.py``); it defines no users.
At each milestone it reads ``resource.getrusage(RUSAGE_SELF)`` (user + system CPU of this process since exec, or
since the fork for ``--processes`` children, whose start-up the parent paid) and the wall time since the process
was created. "Delivered" is a successful OTLP request: with trace delivery, one request per trace. On quit it
writes ``probe-<pid>.json`` into ``$OTEL_BENCH_PROBE_DIR``.

Milestones: ``loaded`` (interpreter, Locust, the plugin and the locustfile imported), ``init``, ``test_start``,
``first_delivered``, ``delivered_100``, ``test_stop``, ``quitting``.
"""

from __future__ import annotations

from locust import events

import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import psutil

CREATED = psutil.Process().create_time()
MILESTONES: dict[str, dict[str, float]] = {}
COUNTS = {"delivered": 0, "failed": 0, "bytes": 0}


def mark(name: str) -> None:
    """Record CPU, wall time since process creation and peak RSS now, once per milestone."""
    if name in MILESTONES:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    MILESTONES[name] = {
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
        "wall_s": round(time.time() - CREATED, 4),
        "maxrss_mb": round(usage.ru_maxrss / 1024, 1),
    }


mark("loaded")


@events.init.add_listener
def _init(environment: Any, **_: Any) -> None:
    mark("init")


@events.test_start.add_listener
def _start(environment: Any, **_: Any) -> None:
    mark("test_start")


@events.request.add_listener
def _request(request_type: str, exception: BaseException | None = None, response_length: int = 0, **_: Any) -> None:
    if request_type != "OTLP":
        return
    if exception is not None:
        COUNTS["failed"] += 1
        return
    COUNTS["delivered"] += 1
    COUNTS["bytes"] += response_length or 0
    if COUNTS["delivered"] == 1:
        mark("first_delivered")
    elif COUNTS["delivered"] == 100:
        mark("delivered_100")


@events.test_stop.add_listener
def _stop(environment: Any, **_: Any) -> None:
    mark("test_stop")


@events.quitting.add_listener
def _quit(environment: Any, **_: Any) -> None:
    mark("quitting")
    folder = os.environ.get("OTEL_BENCH_PROBE_DIR")
    if not folder:
        return
    runner = type(environment.runner).__name__ if environment.runner else "none"
    record = {"pid": os.getpid(), "runner": runner, "milestones": MILESTONES, **COUNTS}
    Path(folder, f"probe-{os.getpid()}.json").write_text(json.dumps(record))
