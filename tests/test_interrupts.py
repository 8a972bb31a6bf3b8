"""Ctrl-C lands in the main greenlet only (plugin/interrupts.py): real SIGINTs from another process, sent while
busy greenlets run Python code, which is where Python would otherwise raise KeyboardInterrupt."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent(
    """
    import os, signal, subprocess, sys
    import gevent
    from otel_locust.plugin.interrupts import route_ctrl_c_to_main_greenlet

    hit = []
    def busy(name):
        try:
            while True:
                sum(range(20000))
                gevent.sleep(0)
        except KeyboardInterrupt:
            hit.append(name)

    routed = sys.argv[1] == "route"
    if routed:
        assert route_ctrl_c_to_main_greenlet() and route_ctrl_c_to_main_greenlet()  # twice: one watcher
    workers = [gevent.spawn(busy, i) for i in range(4)]
    main_got = 0
    for _ in range(int(sys.argv[2])):
        subprocess.Popen(["sh", "-c", f"sleep 0.2; kill -INT {os.getpid()}"])
        try:
            gevent.sleep(30 if routed else 1)  # unrouted, a busy greenlet may keep the interrupt
        except KeyboardInterrupt:
            main_got += 1
        gevent.sleep(0.05)  # a forwarded interrupt arrives here if a worker took it
    print(main_got, len(hit))
    """
)


def _run(mode: str, signals: int) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode, str(signals)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    main_got, hit = map(int, done.stdout.split())
    return main_got, hit


def test_every_ctrl_c_is_raised_in_the_main_greenlet_and_never_in_a_busy_one():
    assert _run("route", 5) == (5, 0)


def test_without_the_route_python_raises_ctrl_c_in_whichever_greenlet_runs():
    """The reason for the route: unrouted, the busy greenlets take interrupts (and die half-way)."""
    _, hit = _run("plain", 3)
    assert hit > 0, "no busy greenlet took an interrupt: the route would have nothing to fix"
