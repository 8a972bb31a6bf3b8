"""Ctrl-C is raised in the main greenlet only, where Locust and the plugin's drain wait for it.

Python raises ``KeyboardInterrupt`` in whatever code runs when SIGINT arrives. Under gevent that is any greenlet:
an export between sending a request and settling its spans, a user between accounting a trace and submitting it.
gevent forwards the exception to the main greenlet, where Locust shuts down, but the greenlet it landed in has
died half-way, and its trace stays counted as generated and never settled (seen under load: generated 3,
delivered 2, nothing dropped). Through the hub's signal watcher, the interrupt is raised in the main greenlet
only: in ``main_greenlet.join()`` the first time, in the plugin's drain (which catches it) the second time.
"""

from __future__ import annotations

import signal
import threading

import gevent
from greenlet import getcurrent, greenlet

_routed = False  # once per process: a second watcher would raise every Ctrl-C twice


def route_ctrl_c_to_main_greenlet() -> bool:
    """Install the route from the main greenlet of the main thread; returns whether it was installed (not when
    something else already handles SIGINT, as Locust's ``--processes`` parent does)."""
    global _routed
    if _routed or threading.current_thread() is not threading.main_thread():
        return _routed
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return False
    main = getcurrent()
    while main.parent is not None:  # the main greenlet is the root of this thread's greenlets
        main = main.parent
    gevent.signal_handler(signal.SIGINT, _interrupt, main)
    _routed = True
    return True


def _interrupt(main: greenlet) -> None:
    """Raise KeyboardInterrupt in ``main`` once the hub runs callbacks (as gevent forwards a system error)."""
    if not main.dead:
        gevent.get_hub().loop.run_callback(main.throw, KeyboardInterrupt)
