"""However the user class is imported, the plugin's options and listeners are registered with Locust."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import {module}
from locust import events
from locust.argument_parser import get_parser
names = [h.__module__ for h in events.init._handlers]
print("listeners" if "otel_locust.plugin.listeners" in names else "none")
print("option" if "--otel-rate" in get_parser().format_help() else "no-option")
"""


@pytest.mark.parametrize("module", ["otel_locust.plugin.user", "otel_locust"])
def test_importing_the_user_registers_the_plugin(module):
    statement = "otel_locust.plugin.user" if module != "otel_locust" else "otel_locust; otel_locust.AgentTraceUser"
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=statement)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["listeners", "option"], result.stdout
