"""``lcsp serve``: the same Textual app in the browser, through textual-serve.

Every browser tab opens a websocket; for each one textual-serve starts one ``lcsp`` process
(the TUI with Textual's web driver) and relays keys and screen between them. That process
is an ordinary workstation: its own home ``<home>/users/<user>/`` (local store, outbox,
cursor — so a user's offline work survives closing the tab), the server's ledger, the
server's environment and simulated day.

Who the user is. textual-serve itself knows no identity, so ``lcsp serve`` takes it from
one of two places, never from anything the browser alone controls:

- **loopback (default)**: one person on their own machine; every tab is ``--user``
  (``LCSP_USER``, else the login name). Refused on any address but loopback.
- **behind the region's login proxy** (``--user-header X-Forwarded-User``): the proxy
  authenticates (TLS + SSO) and sets that header on every request, the websocket upgrade
  included; a request without it gets 401. The header's raw value must be an ASCII user
  name (checked before it is lower-cased: a Kelvin sign is not ``k``); the header given
  twice, or a value that is no user name or looks like a personnummer, gets 400 — neither
  the response nor the log shows the value. The proxy must overwrite any such header a
  client sends, and ``lcsp serve`` must be reachable by the proxy only (see README).

A per-user URL or port was rejected: it is identity by knowing an address, which anyone
who sees the address can reuse.

Cross-site websocket hijacking: a page on another site could open
``ws://127.0.0.1:8000/ws`` in the user's browser and drive the app as them. So a websocket
whose ``Origin`` is not this server's own address is refused (403).

Only ``serve`` imports textual-serve (and aiohttp), inside the function: the headless
commands stay fast, and nothing here imports Textual (the app process does).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import re
import signal
import sys
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lcsp_tui.domain.personnummer import looks_like_personnummer
from lcsp_tui.domain.rules import Refusal

log = logging.getLogger("lcsp.serve")

WEB_DIR = Path(__file__).resolve().parent / "web"
TITLE = "lcsp – Prator → Lifecare SP"
# A user name as given (before any case folding): ASCII letters and digits and . _ @ -,
# at most 64, not starting with a dot. Checked on the raw text, so that no Unicode folding
# (the Kelvin sign K lower-cases to k) can turn one name into another.
_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", re.ASCII)
USER_RULE = "a–z, A–Z, 0–9, . _ @ -; högst 64 tecken"
SHUTDOWN_GRACE_S = 5.0  # a tab's app gets this long to quit when the server stops
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class ServeRefused(Refusal):
    """``lcsp serve`` will not start like this (exit 2, one line)."""


class BadIdentity(ValueError):
    """The login proxy's identity header cannot be used (HTTP 400); the message never holds
    the header's value."""


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def user_key(name: str) -> str:
    """The user's name as ``--user`` gives it, made a safe directory name.

    Surrounding spaces dropped, then the raw name checked against ``_USER`` (ASCII only)
    and only then lower-cased (directory logins are case-insensitive: Anna and anna are one
    person). Anything else raises ``ValueError`` — it is refused, never rewritten into
    someone else's name; a name shaped like a personnummer is refused without being shown.
    """
    raw = name.strip(" ")
    if looks_like_personnummer(raw):
        raise ValueError("användarnamnet ser ut som ett personnummer och går inte att använda")
    if not _USER.fullmatch(raw):
        shown_name = shown(name, ascii_only=False)
        raise ValueError(f"användarnamnet '{shown_name}' går inte att använda ({USER_RULE})")
    return raw.lower()


def shown(text: str, limit: int = 64, *, ascii_only: bool = True) -> str:
    """Text as an error or log line may show it: every control or format character escaped
    (no newline or ESC gets through) and, for text from a request, every character outside
    ASCII too (no look-alike letter); cut to ``limit``."""
    if ascii_only:
        text = text.encode("ascii", "backslashreplace").decode("ascii")
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return out if len(out) <= limit else out[:limit] + "…"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` as a browser sends it in ``Origin`` (default port left out)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


@dataclass
class ServeConfig:
    host: str
    port: int
    home: Path  # users' homes go under home/users/
    ledger: str
    env: str
    public_url: str
    user_header: str | None  # None: single user (loopback)
    default_user: str | None  # the single user's key
    today: str | None = None  # the simulated day, passed on to every tab
    role: str | None = None
    unit: str | None = None
    argv: list[str] = field(default_factory=lambda: [sys.executable, "-m", "lcsp_tui"])

    @property
    def users_dir(self) -> Path:
        return self.home / "users"

    def user_home(self, user: str) -> Path:
        return self.users_dir / user

    def origins(self) -> set[str]:
        allowed = {origin_of(self.public_url)}
        if is_loopback(self.host):
            for name in ("127.0.0.1", "localhost", "[::1]"):
                allowed.add(f"http://{name}:{self.port}")
        return allowed

    def child_env(self, user: str) -> dict[str, str]:
        """What a tab's ``lcsp`` process gets: every LCSP_* variable is set here or removed."""
        env = {
            "LCSP_HOME": str(self.user_home(user)),
            "LCSP_USER": user,
            "LCSP_LEDGER": self.ledger,
            "LCSP_ENV": self.env,
        }
        for key, value in (
            ("LCSP_TODAY", self.today),
            ("LCSP_ROLE", self.role),
            ("LCSP_UNIT", self.unit),
        ):
            if value:
                env[key] = value
        return env

    def user_for(self, headers: Any) -> str:
        """The user of a request; raises PermissionError (401: no identity) or BadIdentity
        (400: an identity header given twice, or a value that is no user name).

        The raw value is checked before anything folds its case: ``\\u212aalle`` (a Kelvin
        sign) is refused, not taken for ``kalle``. ``headers`` is aiohttp's multidict (a
        plain mapping in tests): ``getall`` sees every copy of the header."""
        if self.user_header is None:
            assert self.default_user is not None
            return self.default_user
        header = self.user_header
        getall = getattr(headers, "getall", None)
        if getall is not None:
            values = [str(v) for v in getall(header, [])]
        else:
            values = [str(headers[header])] if header in headers else []
        if len(values) > 1:
            raise BadIdentity(f"huvudet {header} finns mer än en gång")
        if not values or not values[0]:
            raise PermissionError(f"inget huvud {header} från inloggningsproxyn")
        value = values[0]
        if looks_like_personnummer(value):
            raise BadIdentity(f"användarnamnet i {header} ser ut som ett personnummer")
        if not _USER.fullmatch(value):
            raise BadIdentity(f"användarnamnet i {header} går inte att använda ({USER_RULE})")
        return value.lower()


def configure(args: argparse.Namespace) -> ServeConfig:
    """Settings of ``lcsp serve`` from its options, checked; the server's home resolved."""
    from lcsp_tui.config import settings_from
    from lcsp_tui.workstation import Workstation

    user_header = args.user_header or os.environ.get("LCSP_USER_HEADER") or None
    public_url = args.public_url or os.environ.get("LCSP_PUBLIC_URL") or None
    host = args.host
    if not 0 < args.port < 65536:
        raise ServeRefused(f"--port {args.port}: ange en port från 1 till 65535")
    if user_header is None and not is_loopback(host):
        raise ServeRefused(
            "lcsp serve lyssnar bara på den egna datorn (loopback) om ingen inloggningsproxy "
            f"står framför: ange --user-header (och --public-url), eller --host 127.0.0.1 "
            f"(inte {host})"
        )
    if user_header is not None and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", user_header):
        raise ServeRefused(f"--user-header {user_header!r}: inget giltigt namn på ett huvud")
    if user_header is not None and public_url is None:
        raise ServeRefused(
            "bakom en inloggningsproxy: ange --public-url, https://-adressen som webbläsarna "
            "använder"
        )
    if public_url is not None:
        parts = urllib.parse.urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServeRefused(f"--public-url {public_url!r}: ange http(s)://värd[:port]")
        public_url = public_url.rstrip("/")
    settings = settings_from(
        **{
            k: getattr(args, k, None)
            for k in ("home", "ledger", "user", "role", "unit", "today", "env")
        }
    )
    default_user = None
    if user_header is None:
        try:
            default_user = user_key(settings.user)
        except ValueError as e:
            raise ServeRefused(f"--user: {e}") from None
    # The server's own home decides the ledger, environment and simulated day of every tab.
    ws = Workstation(settings)
    try:
        ledger, env = ws.ledger_spec(), ws.env
        today = ws.settings.today
    finally:
        ws.close()
    return ServeConfig(
        host=host,
        port=args.port,
        home=settings.home,
        ledger=ledger,
        env=env,
        public_url=public_url or f"http://{f'[{host}]' if ':' in host else host}:{args.port}",
        user_header=user_header,
        default_user=default_user,
        today=today.strftime("%Y-%m-%dT%H:%M") if today is not None else None,
        role=settings.role,
        unit=settings.unit,
    )


def describe_ledger(spec: str) -> str:
    from lcsp_tui.ledger.base import is_postgres

    if is_postgres(spec):
        from lcsp_tui.ledger.postgres import describe

        return describe(spec)  # never the password
    return spec


def serve(args: argparse.Namespace) -> int:
    cfg = configure(args)
    cfg.users_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    server = make_server(cfg)
    try:
        server.serve()
    except OSError as e:
        from lcsp_tui.errors import OS_ERRORS, os_error_text

        reason = OS_ERRORS.get(e.errno or 0) or os_error_text(e)  # aiohttp words its own
        raise OSError(e.errno, f"kan inte lyssna på {cfg.host}:{cfg.port}: {reason}") from None
    return 0


def _die_with_parent() -> None:
    """In the app process before exec: SIGTERM when ``lcsp serve`` dies (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _hidden(text: str) -> str:
    """``shown``, and nothing shaped like a personnummer."""
    return "(dolt)" if looks_like_personnummer(text) else shown(text)


def _path(request: Any) -> str:
    return _hidden(str(request.path))


def make_server(cfg: ServeConfig) -> Any:
    """A textual-serve ``Server`` that starts each tab as the request's user."""
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    class LcspAppService(AppService):
        def __init__(self, *args: Any, lcsp_env: dict[str, str], **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._lcsp_env = lcsp_env

        async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
            # No shell between us and the app (textual-serve runs a shell command line),
            # and the app dies with the server even if the server is killed outright.
            environment = self._build_environment(width=width, height=height)
            self._process = process = await asyncio.create_subprocess_exec(
                *cfg.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=environment,
                preexec_fn=_die_with_parent,
            )
            assert process.stdin is not None
            self._stdin = process.stdin
            return process

        async def end(self, grace: float) -> None:
            """Ask the app to quit; after ``grace`` seconds, terminate it."""
            with contextlib.suppress(Exception):  # a timeout included: terminate below
                await asyncio.wait_for(asyncio.shield(self.stop()), grace)
            process = self._process
            if process is not None and process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), grace)
                except TimeoutError:
                    process.kill()

        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            env = super()._build_environment(width=width, height=height)
            for key in [k for k in env if k.startswith("LCSP_")]:
                del env[key]
            env.update(self._lcsp_env)
            return env

    @web.middleware
    async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path == "/":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    class LcspServer(Server):
        def __init__(self) -> None:
            super().__init__(
                " ".join(cfg.argv),  # shown in logs; the app is started from cfg.argv
                host=cfg.host,
                port=cfg.port,
                title=TITLE,
                public_url=cfg.public_url,
                templates_path=WEB_DIR,
            )
            self.origins = cfg.origins()
            self.sessions: set[LcspAppService] = set()

        def initialize_logging(self) -> None:
            logging.basicConfig(
                level="DEBUG" if self.debug else "INFO",
                format="%(asctime)s %(name)s %(levelname)s %(message)s",
                stream=sys.stderr,
            )

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(security_headers)
            return app

        async def on_startup(self, app: web.Application) -> None:
            """Nothing to show before the port is bound (see ``serve``)."""

        def serve(self, debug: bool = False) -> None:
            """textual-serve's ``serve``, announcing the address once it is bound."""
            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.request_exit)
            who = (
                f"användarna från huvudet {cfg.user_header}"
                if cfg.user_header
                else f"användaren {cfg.default_user}"
            )
            announce = (
                f"lcsp serve: {cfg.public_url} (lyssnar på {cfg.host}:{cfg.port}; {who}; "
                f"hemmen under {cfg.users_dir}; den gemensamma databasen "
                f"{describe_ledger(cfg.ledger)}; {cfg.env})"
            )

            def printed(*_: object) -> None:  # run_app's "Running on …", after binding
                sys.stderr.write(announce + "\n")
                sys.stderr.flush()

            web.run_app(
                self._make_app(),
                host=self.host,
                port=self.port,
                handle_signals=False,
                loop=loop,
                print=printed,
                access_log=logging.getLogger("aiohttp.access"),
            )

        async def on_shutdown(self, app: web.Application) -> None:
            """Every tab's app quits with the server (its local work is already saved)."""
            if self.sessions:
                await asyncio.gather(*(s.end(SHUTDOWN_GRACE_S) for s in list(self.sessions)))

        def _user(self, request: web.Request) -> str:
            """The request's user; 401 without one, 400 for a header that is no user
            name. Neither the response nor the log shows the header's value."""
            try:
                return cfg.user_for(request.headers)
            except PermissionError as e:
                log.warning("nekade %s %s: %s", request.method, _path(request), e)
                raise web.HTTPUnauthorized(text=f"{e}\n") from None
            except BadIdentity as e:
                log.warning("nekade %s %s: %s", request.method, _path(request), e)
                raise web.HTTPBadRequest(text=f"{e}\n") from None

        async def handle_index(self, request: web.Request) -> Any:
            self._user(request)
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            origin = request.headers.get("Origin")
            if origin is not None and origin.lower().rstrip("/") not in self.origins:
                log.warning("nekade websocket från ursprunget %s", _hidden(origin))
                raise web.HTTPForbidden(text="ursprunget (Origin) är inte tillåtet\n")
            user = self._user(request)
            websocket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            app_service: LcspAppService | None = None
            try:
                await websocket.prepare(request)
                app_service = LcspAppService(
                    self.command,
                    write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str,
                    close=websocket.close,
                    download_manager=self.download_manager,
                    debug=self.debug,
                    lcsp_env=cfg.child_env(user),
                )
                self.sessions.add(app_service)
                log.info("session %s startad för %s", app_service.app_service_id[:8], user)
                await app_service.start(width, height)
                try:
                    await self._process_messages(websocket, app_service)
                finally:
                    await app_service.stop()
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:  # one tab failing must not stop the server
                log.exception(error)
            finally:
                if app_service is not None:
                    await app_service.stop()
                    self.sessions.discard(app_service)
                    log.info("session %s avslutad för %s", app_service.app_service_id[:8], user)
            return websocket

    return LcspServer()
