"""The Traces tab in a real browser: Debian's Chromium, driven by Playwright (which never downloads a browser)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from .backends import free_port, wait_until
from .helpers import LOCUSTFILE

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def _total_traces(page) -> int:
    row = page.locator("tr", has_text="Total").first
    return int(row.locator("td").nth(1).inner_text().strip())


def test_traces_tab_shows_live_rows_that_grow(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: apt-get install chromium (see .ci/run)")
    port = free_port()
    with open(tmp_path / "locust.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--web-host", "127.0.0.1",
                                 "--web-port", str(port), "--autostart", "-u", "8", "-r", "8", "--otel-pace", "0.5"],
                                cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}/"
            wait_until(lambda: urllib.request.urlopen(base, timeout=2).status == 200, 60, what="the web UI")
            with playwright.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1600, "height": 900})
                page.goto(base)
                page.get_by_role("tab", name="Traces").click()
                page.wait_for_selector("text=multi_service_complex", timeout=30_000)
                first = _total_traces(page)
                time.sleep(5)  # the UI polls every 2 s
                later = _total_traces(page)
                assert later > first > 0, (first, later)
                for name in ("simple_query", "single_service_search", "delegated_booking", "Sink verified"):
                    assert page.get_by_text(name).count() >= 1
                page.screenshot(path=str(tmp_path / "traces-tab.png"), full_page=True)
                if target := os.environ.get("OTEL_LOCUST_SCREENSHOT"):
                    shutil.copy(tmp_path / "traces-tab.png", target)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
