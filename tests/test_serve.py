"""``lcsp serve`` without a browser: who the user is, which origins may connect, what it
refuses, and that a tab's app process never outlives the server (the browser test is
``test_serve_e2e.py``). A websocket client stands in for a tab."""

from __future__ import annotations

import asyncio
import importlib.util
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lcsp_tui.serve import ServeConfig, origin_of, user_key
from tests.test_serve_e2e import (
    _alive,
    _clean_env,
    _descendants,
    _free_port,
    lcsp,
    start_serve,
)
from tests.tools import need


@pytest.fixture(autouse=True, scope="module")
def _aiohttp() -> None:
    """``lcsp serve`` runs on aiohttp (from textual-serve), and its client stands in for a tab."""
    need(importlib.util.find_spec("aiohttp") is not None, "aiohttp is not installed")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite ledger with the small demo region (serve is the same on PostgreSQL)."""
    root = tmp_path_factory.mktemp("serve")
    ledger = root / "ledger.sqlite"
    lcsp(
        "--home", str(root / "seed"), "--ledger", str(ledger), "--role", "systemforvaltning",
        "demo", "--size", "small", "--no-tui",
    )  # fmt: skip
    return str(ledger)


async def _open_tab(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Open the websocket like a tab; (HTTP status, first bytes the app painted)."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url + "/ws?width=100&height=30", headers=headers) as ws:
                data = b""
                deadline = time.monotonic() + 30
                while len(data) < 2000 and time.monotonic() < deadline:
                    msg = await ws.receive(timeout=30)
                    if msg.type == aiohttp.WSMsgType.BINARY:
                        data += msg.data
                    elif msg.type == aiohttp.WSMsgType.TEXT:
                        data += msg.data.encode()
                    else:
                        break
                return 101, data
        except aiohttp.WSServerHandshakeError as e:
            return e.status, b""


def _get(url: str, headers: dict[str, str]) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def test_behind_the_login_proxy_each_user_gets_a_home_of_their_own(
    seeded: str, tmp_path: Path
) -> None:
    home = tmp_path / "srv"
    port = _free_port()  # --public-url names the port
    public = f"http://127.0.0.1:{port}"
    served = start_serve(
        home, seeded, "--user-header", "X-Forwarded-User", "--public-url", public, port=port
    )
    try:
        origin = {"Origin": public}
        assert _get(public + "/", {}) == 401  # no login, no page
        assert _get(public + "/", {"X-Forwarded-User": "../../etc"}) == 400  # no user name
        assert _get(public + "/", {"X-Forwarded-User": "Bertil.Ek"}) == 200

        assert asyncio.run(_open_tab(public, origin))[0] == 401
        status, painted = asyncio.run(
            _open_tab(public, {**origin, "X-Forwarded-User": "Bertil.Ek"})
        )
        assert status == 101 and painted, "the app did not start for bertil.ek"
        status, _ = asyncio.run(
            _open_tab(public, {"Origin": "https://evil.example", "X-Forwarded-User": "cecilia"})
        )
        assert status == 403  # another site's page cannot drive the app
        status, _ = asyncio.run(_open_tab(public, {**origin, "X-Forwarded-User": "cecilia"}))
        assert status == 101
    finally:
        served.stop()
    assert sorted(p.name for p in (home / "users").iterdir()) == ["bertil.ek", "cecilia"]
    assert all((home / "users" / u / "store.sqlite").exists() for u in ("bertil.ek", "cecilia"))
    assert oct((home / "users").stat().st_mode & 0o777) == "0o700"
    log = served.log.read_text()
    assert "startad för bertil.ek" in log and "startad för cecilia" in log
    assert "nekade websocket från ursprunget https://evil.example" in log


def test_a_tabs_app_dies_with_a_killed_server(seeded: str, tmp_path: Path) -> None:
    served = start_serve(tmp_path / "srv", seeded, "--user", "dora")
    try:
        status, painted = asyncio.run(_open_tab(served.url, {}))
        # the tab closed again: its app quits; open one that stays while we kill the server
        assert status == 101 and painted

        async def keep_open() -> set[int]:
            import aiohttp

            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(served.url + "/ws?width=100&height=30") as ws,
            ):
                await ws.receive(timeout=30)
                apps = set()
                deadline = time.monotonic() + 10
                while not apps and time.monotonic() < deadline:
                    apps = _descendants(served.proc.pid)
                    await asyncio.sleep(0.1)
                served.proc.send_signal(signal.SIGKILL)  # no shutdown handlers run
                served.proc.wait()
                return apps

        apps = asyncio.run(keep_open())
        assert apps
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in apps):
            time.sleep(0.1)
        assert not any(_alive(p) for p in apps), "an app process outlived a killed server"
    finally:
        served.stop()


def _serve_error(*args: str) -> str:
    p = subprocess.run(
        [sys.executable, "-m", "lcsp_tui", *args],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=60,
    )
    assert p.returncode in (1, 2), (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return f"{p.returncode} {lines[0]}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["serve", "--host", "0.0.0.0"], "2 lcsp: lcsp serve lyssnar bara på den egna datorn (loopback)"),
        (["serve", "--host", "10.1.2.3", "--user-header", "X-User"], "2 lcsp: bakom en inloggningsproxy: ange --public-url"),
        (["serve", "--user-header", "X User", "--public-url", "https://a.se"], "2 lcsp: --user-header 'X User': inget giltigt namn på ett huvud"),
        (["serve", "--port", "70000"], "2 lcsp: --port 70000: ange en port från 1 till 65535"),
        (["serve", "--port", "eighty"], "2 lcsp: --port: 'eighty' är inget heltal"),
        (["--user", "anna svensson", "serve"], "2 lcsp: --user: användarnamnet 'anna svensson' går inte att använda"),
        (["serve", "--public-url", "ftp://x"], "2 lcsp: --public-url 'ftp://x': ange http(s)://värd[:port]"),
    ],
)  # fmt: skip
def test_serve_refuses_with_one_line(args: list[str], expected: str, tmp_path: Path) -> None:
    assert _serve_error("--home", str(tmp_path), *args).startswith(expected)
    assert not (tmp_path / "users").exists()


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        line = _serve_error("--home", str(tmp_path), "serve", "--port", str(port))
    assert line.startswith(f"1 lcsp: kan inte lyssna på 127.0.0.1:{port}: "), line


def test_user_keys() -> None:
    assert user_key("Anna.Svensson@RVN.se") == "anna.svensson@rvn.se"
    assert user_key(" bertil ") == "bertil"
    for bad in ("", ".hidden", "../x", "a/b", "RVN\\anna", "åsa", "a b", "x" * 65):
        with pytest.raises(ValueError):
            user_key(bad)


def test_origins() -> None:
    assert origin_of("https://LCSP.rvn.se/") == "https://lcsp.rvn.se"
    assert origin_of("https://lcsp.rvn.se:443/x") == "https://lcsp.rvn.se"
    assert origin_of("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    cfg = ServeConfig(
        host="127.0.0.1", port=8000, home=Path("/h"), ledger="l", env="utbildning",
        public_url="http://127.0.0.1:8000", user_header=None, default_user="anna",
    )  # fmt: skip
    assert cfg.origins() == {
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "http://[::1]:8000",
    }
    proxied = ServeConfig(
        host="127.0.0.1", port=8000, home=Path("/h"), ledger="l", env="utbildning",
        public_url="https://lcsp.rvn.se", user_header="X-Forwarded-User", default_user=None,
    )  # fmt: skip
    assert "https://lcsp.rvn.se" in proxied.origins()
    with pytest.raises(PermissionError):
        proxied.user_for({})
    assert proxied.user_for({"X-Forwarded-User": "Anna"}) == "anna"


def test_a_tab_gets_only_the_servers_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = ServeConfig(
        host="127.0.0.1", port=8000, home=Path("/srv/lcsp"), ledger="postgresql://lcsp_app@db/lcsp",
        env="produktion", public_url="https://lcsp.rvn.se", user_header="X-Forwarded-User",
        default_user=None, today="2025-09-30T09:00",
    )  # fmt: skip
    assert cfg.child_env("anna") == {
        "LCSP_HOME": "/srv/lcsp/users/anna",
        "LCSP_USER": "anna",
        "LCSP_LEDGER": "postgresql://lcsp_app@db/lcsp",
        "LCSP_ENV": "produktion",
        "LCSP_TODAY": "2025-09-30T09:00",
    }


def test_two_tabs_of_one_user_sync_the_same_home_at_once(tmp_path: Path) -> None:
    """Each tab is its own process on the user's one home; their background syncs overlap.
    Without the home's sync lock the second fold of the same batch stops on a "gap"."""
    import threading

    from lcsp_tui.config import settings_from
    from lcsp_tui.domain.models import Event
    from lcsp_tui.ledger.sqlite import SqliteLedger
    from lcsp_tui.workstation import Workstation

    ledger = str(tmp_path / "ledger.sqlite")

    def tab() -> Workstation:
        return Workstation(settings_from(home=str(tmp_path / "anna"), ledger=ledger, user="anna"))

    first = tab()
    first.sync()
    first.close()
    errors: list[str] = []

    def sync_in_a_tab() -> None:
        try:
            ws = tab()
            try:
                ws.sync()
            finally:
                ws.close()
        except Exception as e:  # noqa: BLE001 - every failure is collected
            errors.append(repr(e))

    for n in range(5):
        with SqliteLedger(ledger) as led:  # someone else's work arrives …
            led.push(
                [
                    Event(
                        replica_id="other",
                        origin_seq=n * 2000 + i,
                        kind="audit.read",
                        actor="bertil",
                        role="support",
                        unit="",
                        recorded_at="2025-09-30T09:00",
                        payload={"subject": None, "what": "sökning", "outcome": "ok"},
                    )  # fmt: skip
                    for i in range(2000)
                ]
            )
        tabs = [threading.Thread(target=sync_in_a_tab) for _ in range(3)]  # … three tabs pull it
        for t in tabs:
            t.start()
        for t in tabs:
            t.join()
    assert errors == []
    ws = tab()
    try:
        assert ws.store.cursor == 10_000
    finally:
        ws.close()
