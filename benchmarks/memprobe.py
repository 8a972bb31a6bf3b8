"""A locustfile add-on for memory investigations: where a Locust process's memory goes, over time.

Loaded beside the real locustfile (``-f locustfiles/agent_mix.py,benchmarks/memprobe.py``); it defines no users
and does nothing unless ``OTEL_BENCH_MEMPROBE`` names an output file. Then, every ``OTEL_BENCH_MEMPROBE_EVERY``
seconds (default 30) from the test's start, it appends to that file: the RSS, glibc's heap (held, in use, free;
mmapped chunks), the live greenlets, the gc-tracked objects by type (the largest counts) and, when
``OTEL_BENCH_TRACEMALLOC`` is a frame count (tracemalloc is started at import with that many frames), the
allocation sites that grew most since the first sample.

Slow at 10,000 users (``gc.get_objects`` walks every object; tracemalloc about doubles allocation cost): use it to
find a cause, not to quote figures (``benchmarks/memory.py`` does that without it).
"""

from __future__ import annotations

from locust import events

import collections
import ctypes
import gc
import os
import time
import tracemalloc
from typing import Any

import gevent
import psutil

OUT = os.environ.get("OTEL_BENCH_MEMPROBE", "")
EVERY = float(os.environ.get("OTEL_BENCH_MEMPROBE_EVERY", "30"))
FRAMES = int(os.environ.get("OTEL_BENCH_TRACEMALLOC", "0") or 0)
if OUT and FRAMES:
    tracemalloc.start(FRAMES)

_state: dict[str, Any] = {"first": None, "counts": None, "started": 0.0}


def _write(text: str) -> None:
    with open(OUT, "a", encoding="utf-8") as handle:
        handle.write(text + "\n")


def sample() -> None:
    """One record: RSS, greenlets, object counts by type (and their change), tracemalloc growth."""
    elapsed = time.monotonic() - _state["started"]
    rss = psutil.Process().memory_info().rss / 1e6
    objects = gc.get_objects()
    counts = collections.Counter(type(o).__qualname__ for o in objects)
    greenlets = counts.get("Greenlet", 0) + counts.get("greenlet", 0)
    del objects
    lines = [f"== t={elapsed:.0f}s RSS {rss:.0f} MB, gc objects {sum(counts.values())}, greenlets {greenlets}"]
    lines.append("  malloc: " + _malloc())
    previous = _state["counts"]
    if previous is not None:
        grown = sorted(((n - previous.get(k, 0), k, n) for k, n in counts.items()), reverse=True)[:15]
        grown_text = ", ".join(f"{k} +{d} ({n})" for d, k, n in grown)
        lines.append(f"  object types grown since the previous sample: {grown_text}")
    lines.append("  most objects: " + ", ".join(f"{k} {n}" for k, n in counts.most_common(15)))
    _state["counts"] = counts
    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
        )
        traced = sum(stat.size for stat in snapshot.statistics("filename")) / 1e6
        lines.append(f"  traced {traced:.0f} MB")
        if _state["first"] is None:
            _state["first"] = snapshot
            for stat in snapshot.statistics("lineno")[:12]:
                lines.append(f"  top {stat.size / 1e6:8.1f} MB {stat.count:>8} blocks  {stat.traceback}")
        else:
            for stat in snapshot.compare_to(_state["first"], "traceback")[:10]:
                lines.append(
                    f"  grew {stat.size_diff / 1e6:+8.1f} MB ({stat.size / 1e6:.1f} MB, {stat.count_diff:+} blocks)"
                )
                lines.extend(f"      {frame}" for frame in stat.traceback.format()[-2 * FRAMES :])
    _write("\n".join(lines))


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _malloc() -> str:
    """glibc's view of the heap (mallinfo2): what it holds from the system, in use and free; mmapped chunks."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):
        return "not glibc"
    info = libc.mallinfo2()
    return (
        f"heap {info.arena / 1e6:.0f} MB (in use {info.uordblks / 1e6:.0f}, free {info.fordblks / 1e6:.0f}), "
        f"mmapped {info.hblks} chunks {info.hblkhd / 1e6:.0f} MB"
    )


def _loop() -> None:
    while True:
        gevent.sleep(EVERY)
        sample()


@events.test_start.add_listener
def _start(environment: Any, **_: Any) -> None:
    if OUT:
        _state["started"] = time.monotonic()
        _write(f"memprobe pid {os.getpid()}, tracemalloc frames {FRAMES}, every {EVERY:g} s")
        gevent.spawn(_loop)
