"""``lcsp serve`` against a hostile login header (issue 13, point 9 and the serve side of
point 1): the identity header is checked raw, before any case folding — a Kelvin sign is
not ``k`` —, given twice it is refused, and a personnummer is never a user name. Each is
HTTP 400, creates no home and is never echoed in the response or the server's log."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lcsp_tui.serve import BadIdentity, ServeConfig, shown, user_key
from tests.test_serve_e2e import _clean_env, _free_port, lcsp, start_serve
from tests.tools import need

HEADER = "X-Forwarded-User"
PNR = "194411216015"  # fictitious; the same digits in every form below
PNR_FORMS = [PNR, "19441121-6015", "441121-6015", "19441121/6015", "19441121T6015"]


@pytest.fixture(autouse=True, scope="module")
def _aiohttp() -> None:
    need(importlib.util.find_spec("aiohttp") is not None, "aiohttp is not installed")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite ledger with the small demo region."""
    root = tmp_path_factory.mktemp("hostile-serve")
    ledger = root / "ledger.sqlite"
    lcsp(
        "--home", str(root / "seed"), "--ledger", str(ledger), "--role", "systemforvaltning",
        "demo", "--size", "small", "--no-tui",
    )  # fmt: skip
    return str(ledger)


def _proxied() -> ServeConfig:
    return ServeConfig(
        host="127.0.0.1", port=8000, home=Path("/h"), ledger="l", env="utbildning",
        public_url="https://lcsp.rvn.se", user_header=HEADER, default_user=None,
    )  # fmt: skip


def _multidict(*pairs: tuple[str, str]) -> object:
    from multidict import CIMultiDict, CIMultiDictProxy

    return CIMultiDictProxy(CIMultiDict(pairs))


# --- the check itself ---------------------------------------------------------------------


def test_the_raw_header_is_checked_before_case_folding() -> None:
    cfg = _proxied()
    assert "\u212aalle".lower() == "kalle"  # why the order matters
    assert cfg.user_for(_multidict((HEADER, "Kalle"))) == "kalle"
    assert cfg.user_for(_multidict(("x-forwarded-user", "Anna.Ek@RVN.se"))) == "anna.ek@rvn.se"
    for bad in (
        "\u212aalle",  # Kelvin sign
        "\u0130da",  # I with a dot: lower() makes two characters
        "ﬁlip",  # the fi ligature
        "kalle\u200b",  # zero width space
        "åsa",
        "kalle\x1b[31m",
        "kalle\t",
        "../kalle",
        ".kalle",
        "kalle,bertil",  # a proxy that joined two headers
        "x" * 65,
    ):
        with pytest.raises(BadIdentity) as e:
            cfg.user_for(_multidict((HEADER, bad)))
        assert bad not in str(e.value) and "\x1b" not in str(e.value)


def test_the_header_given_twice_is_refused_even_with_one_name() -> None:
    cfg = _proxied()
    for first, second in (("kalle", "kalle"), ("kalle", "bertil"), ("kalle", "")):
        with pytest.raises(BadIdentity, match="finns mer än en gång"):
            cfg.user_for(_multidict((HEADER, first), (HEADER.lower(), second)))


@pytest.mark.parametrize("form", PNR_FORMS)
def test_a_personnummer_is_no_user_name(form: str) -> None:
    with pytest.raises(BadIdentity) as e:
        _proxied().user_for(_multidict((HEADER, form)))
    assert "personnummer" in str(e.value)
    assert "6015" not in str(e.value)
    with pytest.raises(ValueError) as v:  # --user, for a server on loopback
        user_key(form)
    assert "personnummer" in str(v.value) and "6015" not in str(v.value)


def test_no_header_is_401_not_400() -> None:
    with pytest.raises(PermissionError):
        _proxied().user_for(_multidict())
    with pytest.raises(PermissionError):
        _proxied().user_for(_multidict((HEADER, "")))


def test_shown_escapes_and_cuts() -> None:
    assert shown("https://evil.example") == "https://evil.example"
    assert shown("a\nb\x1b[2J\u212a") == "a\\nb\\x1b[2J\\u212a"
    assert shown("x" * 100) == "x" * 64 + "…"
    assert shown("åsa\x1b", ascii_only=False) == "åsa\\x1b"


def test_serve_refuses_a_personnummer_as_user_without_echoing_it(tmp_path: Path) -> None:
    for form in PNR_FORMS[:3]:
        p = subprocess.run(
            [sys.executable, "-m", "lcsp_tui", "--home", str(tmp_path), "--user", form, "serve"],
            capture_output=True,
            text=True,
            env=_clean_env(),
            timeout=60,
        )
        assert p.returncode == 2, (p.returncode, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert "Traceback" not in p.stderr and "6015" not in p.stderr + p.stdout
        assert not (tmp_path / "users").exists()


# --- a running server ---------------------------------------------------------------------


def _raw(port: int, path: str, headers: list[bytes]) -> tuple[int, bytes]:
    """A request with header lines exactly as given (bytes a client library would not
    send: UTF-8 in a value, a header twice); (status, body)."""
    lines = [
        f"GET {path} HTTP/1.1".encode(),
        f"Host: 127.0.0.1:{port}".encode(),
        f"Origin: http://127.0.0.1:{port}".encode(),
        *headers,
        b"Connection: close",
    ]
    if path == "/ws":
        lines += [
            b"Upgrade: websocket",
            b"Connection: Upgrade",
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            b"Sec-WebSocket-Version: 13",
        ]
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and path == "/ws":
                break  # an accepted upgrade keeps the connection open
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _user(value: str | bytes) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return HEADER.encode() + b": " + raw


def _open_tab(url: str, user: str) -> int:
    import aiohttp

    async def run() -> int:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(
                    url + "/ws?width=100&height=30", headers={"Origin": url, HEADER: user}
                ) as ws:
                    await ws.receive(timeout=30)
                    return 101
            except aiohttp.WSServerHandshakeError as e:
                return e.status

    return asyncio.run(run())


def test_a_running_server_refuses_hostile_identities_with_400(seeded: str, tmp_path: Path) -> None:
    home = tmp_path / "srv"
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    served = start_serve(home, seeded, "--user-header", HEADER, "--public-url", public, port=port)
    hostile: list[list[bytes]] = [
        [_user("\u212aalle")],  # the Kelvin sign, as UTF-8 on the wire
        [_user(b"\xe2\x84\xaaALLE")],
        [_user(b"k\xe4lle")],  # Latin-1, not UTF-8
        [_user("kalle"), _user("kalle")],
        [_user("kalle"), _user("bertil")],
        [_user("kalle"), b"x-forwarded-user: kalle"],
        *[[_user(form)] for form in PNR_FORMS],
    ]
    bodies = b""
    try:
        for headers in hostile:
            for path in ("/", "/ws"):
                status, body = _raw(port, path, headers)
                assert status == 400, (headers, path, status, body)
                bodies += body
        assert _raw(port, "/", [_user("Kalle")])[0] == 200  # the check is no blanket refusal
        assert _open_tab(public, "Kalle") == 101
    finally:
        served.stop()
    # kalle's own tab made kalle's home; none of the hostile requests made one
    assert sorted(p.name for p in (home / "users").iterdir()) == ["kalle"]
    log = served.log.read_text(encoding="utf-8", errors="replace")
    assert log.count("nekade GET /: ") == len(hostile)
    assert log.count("nekade GET /ws: ") == len(hostile)
    for shown_text in (log, bodies.decode("utf-8", errors="replace")):
        assert "6015" not in shown_text
        assert "\u212a" not in shown_text and "\x1b" not in shown_text
    assert "finns mer än en gång" in log and "ser ut som ett personnummer" in log
