"""The demo's report in a real browser: headless Chromium driven over WebDriver (chromedriver, plain HTTP).

Asserts no console errors, every plot present and non-empty (an SVG with drawing elements), no external fetch,
and saves a screenshot. Skipped only when chromium or chromedriver is absent (CI installs them with
``.ci/install-browser.sh``).
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("typer")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                reason="chromium and chromedriver are not installed (run .ci/install-browser.sh)")

PLOTS = ("loss", "grad_norm", "flow_heatmap", "flow_bars", "weight_norm", "update_ratio")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1366,900"]
CHECK_JS = """
const out = {};
for (const name of arguments[0]) {
  const svg = document.querySelector(`svg[data-plot="${name}"]`);
  if (!svg) { out[name] = null; continue; }
  const box = svg.getBoundingClientRect();
  out[name] = {width: box.width, height: box.height,
               drawn: svg.querySelectorAll('path, image, rect, line, polyline, use').length};
}
out.resources = performance.getEntriesByType('resource').map(r => r.name);
out.title = document.title;
out.height = document.documentElement.scrollHeight;
return out;
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WebDriver:
    """The few W3C WebDriver calls the test needs, over urllib."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.session = ""

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())["value"]

    def s(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call(method, f"/session/{self.session}{path}", body)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    port = _free_port()
    proc = subprocess.Popen([str(CHROMEDRIVER), f"--port={port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wd = WebDriver(port)
    try:
        for _ in range(100):
            try:
                wd.call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        profile = tmp_path_factory.mktemp("chrome-profile")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": CHROMIUM, "args": [*CHROME_FLAGS, f"--user-data-dir={profile}"]}}}}
        wd.session = wd.call("POST", "/session", caps)["sessionId"]
        yield wd
        wd.call("DELETE", f"/session/{wd.session}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    subprocess.run([sys.executable, "-m", "gradguard", "demo", "--steps", "120", "--out", str(out)], check=True,
                   capture_output=True, timeout=240)
    return out / "report.html"


def test_report_renders_in_chromium(driver: WebDriver, demo_report: Path) -> None:
    driver.s("POST", "/url", {"url": demo_report.resolve().as_uri()})
    result = driver.s("POST", "/execute/sync", {"script": CHECK_JS, "args": [list(PLOTS)]})
    for name in PLOTS:
        plot = result[name]
        assert plot is not None, f"plot {name} missing"
        assert plot["width"] > 300 and plot["height"] > 100, (name, plot)
        assert plot["drawn"] > 5, (name, plot)
    assert result["resources"] == [], "the report must not fetch anything"
    assert "gradguard" in result["title"]
    logs = driver.s("POST", "/se/log", {"type": "browser"})
    errors = [entry for entry in logs if entry.get("level") == "SEVERE"]
    assert errors == [], errors

    driver.s("POST", "/window/rect", {"width": 1366, "height": min(int(result["height"]) + 40, 12000)})
    png = base64.b64decode(driver.s("GET", "/screenshot"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    shot = Path(__file__).resolve().parent.parent / "build" / "report-screenshot.png"
    shot.parent.mkdir(exist_ok=True)
    shot.write_bytes(png)
