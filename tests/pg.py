"""Start and stop a throwaway PostgreSQL server for tests and benchmarks.

``initdb`` + ``pg_ctl`` in a temp dir, listening on a free port on 127.0.0.1 with trust
auth and the unix socket inside the temp dir. PostgreSQL refuses to run as root, so as
root the data dir is handed to the ``postgres`` user and the binaries run via ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_USER = "postgres"  # both the OS user (when we are root) and the database superuser


class PgUnavailable(RuntimeError):
    """No PostgreSQL server could be started here; the message says why."""


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``; raises PgUnavailable if none."""
    env = os.environ.get("LCSP_PG_BINDIR")
    candidates = [Path(env)] if env else []
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(Path(found).resolve().parent)
    candidates += [
        Path(p)
        for p in sorted(
            glob.glob("/usr/lib/postgresql/*/bin"),
            key=lambda p: int(p.split("/")[-2]),
            reverse=True,
        )
    ]
    candidates += [Path(p) for p in glob.glob("/usr/pgsql-*/bin")]
    for d in candidates:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    raise PgUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    root: Path
    bindir: Path
    port: int
    as_root: bool
    durable: bool = False  # False: fsync/synchronous_commit off (fast, for tests)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def base_url(self) -> str:
        """URL of the server's ``postgres`` database (for admin work)."""
        return self.url("postgres")

    def url(self, dbname: str) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{dbname}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", PG_USER, "--", *cmd]
        return subprocess.run(
            cmd, cwd=self.root, capture_output=True, text=True, check=check, timeout=120
        )

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        proc = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if proc.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise PgUnavailable(f"pg_ctl start failed: {proc.stderr.strip()} {tail}".strip())

    def stop(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-m",
            "immediate",
            "stop",
            check=False,
        )


def create_database(base_url: str) -> str:
    """A fresh empty database on the server of ``base_url``; returns its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url.rsplit('/', 1)[0]}/{name}"


def drop_database(base_url: str, url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_server(*, durable: bool = False) -> PgServer:
    """initdb + start a new server in a temp dir; raises PgUnavailable with the reason.

    ``durable=True`` keeps PostgreSQL's crash-safe defaults (for benchmarks).
    """
    bindir = find_bindir()
    as_root = os.geteuid() == 0
    if as_root and not shutil.which("runuser"):
        raise PgUnavailable("running as root but `runuser` is missing")
    root = Path(tempfile.mkdtemp(prefix="lcsp-pg-"))
    try:
        if as_root:
            try:
                shutil.chown(root, PG_USER, PG_USER)
            except (LookupError, PermissionError) as exc:
                raise PgUnavailable(f"cannot hand {root} to the {PG_USER} user: {exc}") from None
        server = PgServer(root=root, bindir=bindir, port=0, as_root=as_root, durable=durable)
        init = server._run(
            str(bindir / "initdb"),
            "-D",
            str(server.data),
            "-U",
            PG_USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            check=False,
        )
        if init.returncode != 0:
            raise PgUnavailable(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
        last: PgUnavailable | None = None
        for _ in range(3):  # a free port can be taken between probing and binding
            server.port = _free_port()
            try:
                server.start()
                return server
            except PgUnavailable as exc:
                last = exc
        assert last is not None
        raise last
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def stop_server(server: PgServer) -> None:
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@contextlib.contextmanager
def running_server(*, durable: bool = False) -> Iterator[PgServer]:
    server = start_server(durable=durable)
    try:
        yield server
    finally:
        stop_server(server)
