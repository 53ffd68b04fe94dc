"""``lcsp serve`` end to end: the TUI in headless Chromium, on a PostgreSQL ledger set up by
``lcsp ledger init`` (workstations connect as the least-privilege app role).

The browser sees the worklist, opens an admission with Enter and ticks an item with Space;
the tick is in that user's store under ``<home>/users/<user>/`` and reaches the ledger with
the background sync. Every request the page makes goes to the server on 127.0.0.1 (Chromium
also resolves every other host name to nothing). Stopping the server ends the tab's app
process. Without a browser: the login-proxy mode (user from a header; 401 without it, a
home per user), the websocket Origin check, and the refusals of ``lcsp serve``.

Chromium: Debian's ``chromium`` (``.ci/run`` installs it), driven by the ``playwright``
package with ``executable_path`` (Playwright's own browser download is never used).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.tools import need

TODAY = "2025-09-30T09:00"
SOMATIK, AVD11 = "slutenvard-somatik", "SUS-AVD11"
CHROMIUM = os.environ.get("LCSP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

# textual-serve keeps its xterm.js Terminal in a closure. Catch it as it is assigned to
# ``this.terminal`` (an inherited setter on Object.prototype) to read the screen as text.
HOOK_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    Object.defineProperty(this, 'terminal',
      {value: value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && !window.__lcspTerm) window.__lcspTerm = value;
  },
});
"""
SCREEN_TEXT = """() => {
  const t = window.__lcspTerm;
  if (!t) return '';
  const b = t.buffer.active, lines = [];
  for (let y = 0; y < t.rows; y++) {
    const line = b.getLine(b.viewportY + y);
    lines.push(line ? line.translateToString(true) : '');
  }
  return lines.join('\\n');
}"""


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    env.update(extra)
    return env


def lcsp(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    p = subprocess.run(
        [sys.executable, "-m", "lcsp_tui", *args],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=180,
    )
    if check:
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except FileNotFoundError:
            continue
        for t in tasks:
            try:
                children = Path(f"/proc/{p}/task/{t}/children").read_text().split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            for c in map(int, children):
                if c not in found:
                    found.add(c)
                    todo.append(c)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


class Served:
    def __init__(self, proc: subprocess.Popen[str], port: int, home: Path, log: Path) -> None:
        self.proc, self.port, self.home, self.log = proc, port, home, log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_serve(home: Path, ledger: str, *extra: str, port: int | None = None) -> Served:
    port = port or _free_port()
    log = home.parent / f"serve-{port}.log"
    out = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lcsp_tui", "--home", str(home), "--ledger", ledger]
        + ["serve", "--port", str(port), *extra],
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
        env=_clean_env(),
    )
    out.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"lcsp serve exited {proc.returncode}: {log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return Served(proc, port, home, log)
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"lcsp serve did not listen: {log.read_text()}")


@pytest.fixture
def app_ledger(pg_url: str, tmp_path: Path) -> str:
    """A ledger set up by ``lcsp ledger init``, with the small demo region in it, as the
    URL of the app role."""
    out = lcsp("ledger", "init", pg_url, "--json").stdout
    import json

    app_url = json.loads(out)["app_url"]
    lcsp(
        "--home", str(tmp_path / "seed"), "--ledger", app_url, "--role", "systemforvaltning",
        "demo", "--size", "small", "--no-tui",
    )  # fmt: skip
    return str(app_url)


@pytest.fixture
def browser() -> Iterator[object]:
    need(
        importlib.util.find_spec("playwright") is not None,
        "the playwright package is not installed (pip install -e '.[test]')",
    )
    need(Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="lcsp-chromium-")
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1200, "height": 760},
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _wait_screen(page, *texts: str, seconds: float = 40.0) -> str:  # type: ignore[no-untyped-def]
    """The terminal's text once every one of ``texts`` is on it (a repaint can be half done)."""
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = page.evaluate(SCREEN_TEXT)
        if all(t in screen for t in texts):
            return str(screen)
        time.sleep(0.2)
    raise AssertionError(f"{texts!r} did not appear in the browser:\n{screen}")


@pytest.mark.postgres
def test_tick_in_the_browser_reaches_the_store_and_the_ledger(
    browser, app_ledger: str, pg_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "srv"
    served = start_serve(
        home, app_ledger,
        "--user", "Anna", "--role", SOMATIK, "--unit", AVD11, "--today", TODAY,
    )  # fmt: skip
    try:
        requests: list[str] = []
        page = browser.new_page()  # type: ignore[attr-defined]
        page.on("request", lambda r: requests.append(r.url))
        page.on("websocket", lambda ws: requests.append(ws.url))
        page.add_init_script(HOOK_TERMINAL)
        page.goto(served.url + "/")
        assert page.title() == "lcsp – Prator → Lifecare SP"
        # The worklist, with the header: environment, role and unit; the first admission.
        _wait_screen(
            page,
            "UTBILDNING",
            "Somatisk slutenvård · Avd 11 Medicin Sundsvall",
            "VT000002",
            "att göra",
        )

        page.evaluate("window.__lcspTerm.focus()")
        page.keyboard.press("Enter")
        _wait_screen(page, "Klart 0/5")
        page.keyboard.press("Space")
        # Ticked by anna: --user Anna, lower-cased as the key of her home.
        _wait_screen(page, "Klart 1/5", "klar av anna")

        # The tick is in anna's own store (and nobody else's home was made).
        user_home = home / "users" / "anna"
        assert sorted(p.name for p in (home / "users").iterdir()) == ["anna"]
        assert _done_in_store(user_home) == {("VT000002", "anna")}

        # … and the background sync pushes it to the ledger as the app role.
        deadline = time.monotonic() + 30
        ticks: list[tuple[str, str]] = []
        while time.monotonic() < deadline and not ticks:
            with psycopg.connect(pg_url) as conn:
                ticks = conn.execute(
                    "SELECT actor, payload->>'subject' FROM lcsp_events WHERE kind = 'item.ticked'"
                ).fetchall()
            time.sleep(0.3)
        assert ticks == [("anna", "VT000002")]
        deadline = time.monotonic() + 10  # … and comes back confirmed into anna's store
        while time.monotonic() < deadline and _pending(user_home):
            time.sleep(0.2)
        assert not _pending(user_home) and _done_in_store(user_home) == {("VT000002", "anna")}

        # Everything the page loaded came from this server on loopback.
        assert requests
        bad = [
            u for u in requests if not u.startswith((served.url, f"ws://127.0.0.1:{served.port}"))
        ]
        assert not bad, bad

        # Stopping the server ends the tab's app process.
        apps = _descendants(served.proc.pid)
        assert apps, "no app process for the tab"
        served.stop()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(p) for p in apps):
            time.sleep(0.1)
        assert not any(_alive(p) for p in apps), "app processes outlived lcsp serve"
    finally:
        served.stop()
    log = served.log.read_text()
    assert "session" in log and "startad för anna" in log, log
    assert "Traceback" not in log, log


def _done_in_store(user_home: Path) -> set[tuple[str, str]]:
    """Ticked items in a home's store, as the user sees them: confirmed or still pending."""
    from lcsp_tui.config import settings_from
    from lcsp_tui.workstation import Workstation

    ws = Workstation(settings_from(home=str(user_home), user="anna", today=TODAY))
    try:
        done = {
            (r[0], r[1])
            for r in ws.store._conn.execute("SELECT subject, actor FROM items WHERE done = 1")
        }
        for e in ws.store.outbox():
            if e.kind == "item.ticked" and e.payload.get("done"):
                done.add((str(e.payload["subject"]), e.actor))
        return done
    finally:
        ws.close()


def _pending(user_home: Path) -> int:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(user_home / "store.sqlite")) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])
