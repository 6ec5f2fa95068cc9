"""Open a local HTML page in headless Chromium over the DevTools protocol and report what happened.

Reusable by every browser test (carte.html, rapport.html)::

    result = open_page(path)
    result.console_errors, result.dom_counts[".leaflet-control-layers"], result.seconds_to_interactive

Chromium runs with ``--no-sandbox`` (CI runs as root), a fresh ``--user-data-dir`` in a temporary folder, and no
network use of its own; the page is opened from ``file://``. Requests the page makes to anything but ``file:``
or ``data:`` URLs are recorded in :attr:`PageResult.external_requests` (an offline page must make none).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

#: Where Chromium is looked for (Debian's package installs /usr/bin/chromium).
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: DOM elements counted by default (CSS selector → count in :attr:`PageResult.dom_counts`).
DEFAULT_SELECTORS = (
    ".leaflet-container",
    ".leaflet-control-layers",
    ".leaflet-control-layers-selector",
    ".leaflet-control-search",
    ".territoires-legend",
    ".territoires-title",
    ".leaflet-marker-icon",
    "canvas",
    "img",
)


def find_chromium() -> str | None:
    """Return the path of a Chromium executable, or None (``CHROMIUM`` environment variable first)."""
    explicit = os.environ.get("CHROMIUM")
    if explicit and Path(explicit).exists():
        return explicit
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def websocket_available() -> bool:
    """Whether the ``websocket-client`` package (the DevTools transport) is installed."""
    try:
        import websocket  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class PageResult:
    """What a page did when opened in headless Chromium."""

    console_errors: list[str]
    dom_counts: dict[str, int]
    screenshot_path: Path | None
    seconds_to_interactive: float
    external_requests: list[str] = field(default_factory=list)
    evaluated: object = None


class _DevTools:
    """Minimal synchronous DevTools client: commands by id, events kept in order."""

    def __init__(self, ws_url: str, *, timeout: float):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, *, timeout: float = 60.0) -> dict:
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"DevTools {method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
        raise TimeoutError(f"DevTools {method}: no answer in {timeout} s")

    def wait_event(self, method: str, *, timeout: float) -> dict:
        for event in self.events:
            if event["method"] == method:
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if "method" in message:
                self.events.append(message)
                if message["method"] == method:
                    return message
        raise TimeoutError(f"DevTools: no {method} in {timeout} s")

    def evaluate(self, expression: str, *, timeout: float = 60.0):
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluation failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self.ws.close()


def _start_chromium(executable: str, profile: Path, *, width: int, height: int) -> tuple[subprocess.Popen, int]:
    args = [
        executable,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_file.exists():
            lines = port_file.read_text().split()
            if lines:
                return process, int(lines[0])
        if process.poll() is not None:
            raise RuntimeError(f"Chromium exited with code {process.returncode} before opening DevTools")
        time.sleep(0.05)
    process.kill()
    raise TimeoutError("Chromium did not open its DevTools port in 30 s")


_READY = """
new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))))
"""


def _counts_expression(selectors) -> str:
    return "(" + json.dumps(list(selectors)) + ").reduce((o, s) => (o[s] = document.querySelectorAll(s).length, o), {})"


class LivePage:
    """A page open in headless Chromium, to act on step by step (see :func:`live_page`)."""

    def __init__(self, client: _DevTools, path: Path):
        self.client = client
        self.path = path
        self._seen = 0

    def evaluate(self, expression: str, *, timeout: float = 60.0):
        """Evaluate a JavaScript expression (promises awaited) and return its JSON-able value."""
        return self.client.evaluate(expression, timeout=timeout)

    def settle(self, seconds: float = 0.3) -> None:
        """Wait two animation frames, then ``seconds``, and collect the events sent meanwhile."""
        self.client.evaluate(_READY)
        time.sleep(seconds)
        self.client.send("Runtime.evaluate", {"expression": "0"})

    def mouse_move(self, x: float, y: float) -> None:
        """Move the mouse to the viewport point (x, y) in CSS pixels, as a user would."""
        self.client.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": float(x), "y": float(y)})

    def new_errors(self) -> list[str]:
        """Console errors and uncaught exceptions since the previous call."""
        self.client.send("Runtime.evaluate", {"expression": "0"})  # flush pending events
        errors, _ = _collect(self.client.events[self._seen :])
        self._seen = len(self.client.events)
        return errors

    def external_requests(self) -> list[str]:
        """Every URL requested outside ``file:``/``data:`` since the page was opened."""
        return _collect(self.client.events)[1]

    def screenshot(self, path: str | Path) -> Path:
        """Write a PNG of the viewport."""
        data = self.client.send("Page.captureScreenshot", {"format": "png"})["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


@contextlib.contextmanager
def live_page(path: str | Path, *, width: int = 1280, height: int = 800, timeout: float = 60.0):
    """Open ``path`` (a local HTML file) in headless Chromium and yield a :class:`LivePage` once it has loaded.

    Chromium is stopped and its profile removed on exit.
    """
    path = Path(path).resolve()
    executable = find_chromium()
    if executable is None:
        raise RuntimeError("Chromium not found")
    profile = Path(tempfile.mkdtemp(prefix="territoires-chromium-"))
    process = None
    client = None
    try:
        process, port = _start_chromium(executable, profile, width=width, height=height)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        client = _DevTools(page["webSocketDebuggerUrl"], timeout=timeout)
        for domain in ("Page", "Runtime", "Log", "Network"):
            client.send(f"{domain}.enable")
        client.send("Page.navigate", {"url": path.as_uri()}, timeout=timeout)
        client.wait_event("Page.loadEventFired", timeout=timeout)
        yield LivePage(client, path)
    finally:
        if client is not None:
            client.close()
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(
    path: str | Path,
    *,
    screenshot: str | Path | None = None,
    selectors=DEFAULT_SELECTORS,
    evaluate: str | None = None,
    width: int = 1280,
    height: int = 800,
    timeout: float = 60.0,
    settle: float = 0.3,
) -> PageResult:
    """Open ``path`` headless in Chromium; collect errors, DOM counts, a screenshot and the time to interactive.

    Parameters
    ----------
    path
        Local HTML file, opened as ``file://``.
    screenshot
        PNG written after the page settled (default: ``<path stem>.png`` in a temporary folder).
    selectors
        CSS selectors to count in the DOM.
    evaluate
        Extra JavaScript expression whose (JSON-able) value is returned in :attr:`PageResult.evaluated`.
    width, height
        Window size, pixels.
    timeout
        Seconds allowed for the page to load.
    settle
        Seconds waited after the page is interactive before counting and taking the screenshot (tiles of
        canvas renderers, late console errors).

    Notes
    -----
    ``seconds_to_interactive`` is the time from navigation start until the load event has fired and two animation
    frames have been painted, i.e. every inline script (Leaflet, layers, controls) has run and the first map frame
    is on screen: ``performance.now()`` measured in the page.
    """
    with live_page(path, width=width, height=height, timeout=timeout) as page:
        ready_ms = page.evaluate(_READY, timeout=timeout)
        time.sleep(settle)
        counts = page.evaluate(_counts_expression(selectors))
        evaluated = page.evaluate(evaluate) if evaluate else None
        shot = page.screenshot(
            Path(screenshot)
            if screenshot
            else Path(tempfile.mkdtemp(prefix="territoires-shot-")) / (page.path.stem + ".png")
        )
        return PageResult(
            console_errors=page.new_errors(),
            dom_counts=counts,
            screenshot_path=shot,
            seconds_to_interactive=ready_ms / 1000.0,
            external_requests=page.external_requests(),
            evaluated=evaluated,
        )


def _collect(events: list[dict]) -> tuple[list[str], list[str]]:
    """Console errors, uncaught exceptions and failed loads; URLs requested outside file: and data:."""
    errors: list[str] = []
    external: list[str] = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            errors.append(f"exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
            errors.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            errors.append(f"log: {entry.get('text', '')} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:", "blob:", "about:")):
                external.append(url)
    return errors, external


def screenshot_stats(path: str | Path) -> dict[str, float]:
    """Return ``distinct_colours`` and ``non_white_share`` (0-1) of a PNG screenshot (Pillow + numpy)."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    distinct = len(np.unique(pixels.astype(np.uint32) @ np.array([65536, 256, 1], dtype=np.uint32)))
    non_white = float(np.mean(pixels.min(axis=1) < 245))
    return {"distinct_colours": float(distinct), "non_white_share": non_white}
