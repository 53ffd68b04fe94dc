"""Many workstations at once on one PostgreSQL ledger: the load test and its benchmark.

``run_load`` sets up a ledger with ``lcsp ledger init`` (the workstations connect as the
least-privilege app role, so the append-only guards are on the hot path), fills it with a
demo region, finds what each (role, unit) can tick, and starts N workstation *processes*
(``python -m tests.loadsim WORKER.json``). Each has its own home and user, ticks and unticks
items on its own interval and syncs on another, for a bounded time, then pushes what is
left and writes what it did. Afterwards every replica syncs once more, and the run checks:

- every replica's ``state-hash`` equals that of a fresh replica built from the whole ledger;
- the ledger is healthy (``lcsp ledger check``: dense seq, guards on);
- no event was lost: each workstation's recorded event ids are exactly the ledger's events
  of that user; none duplicated: event ids unique, (replica_id, origin_seq) unique;
- every outbox is empty.

It reports throughput (events appended per second, syncs per second) and the latency of a
sync (push + pull, connection included, as the TUI's background sync does it), p50/p99.
Used by ``tests/test_load.py`` (bounded, CI) and ``bench/bench_load.py`` (full).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2025-09-30T12:00"  # steps 2-4 open; Prator not yet read-only


@dataclass
class Work:
    role: str
    unit: str
    items: list[tuple[str, str]]  # (subject, item) this role may tick at this unit


@dataclass
class LoadResult:
    workstations: int
    seconds: float
    size: str
    ticks: int = 0  # events recorded locally (ticks and unticks)
    refused: int = 0  # ticks the rules refused (e.g. an item that waits again)
    syncs: int = 0
    sync_errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    first_sync_s: list[float] = field(default_factory=list)
    ledger_events: int = 0  # events of the workstations in the ledger
    seed_events: int = 0
    hashes: int = 0  # distinct state hashes over all replicas (must be 1)
    problems: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.ledger_events / self.seconds

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_ms
        return {
            "workstations": self.workstations,
            "seconds": self.seconds,
            "size": self.size,
            "seed_events": self.seed_events,
            "ticks": self.ticks,
            "refused": self.refused,
            "ledger_events": self.ledger_events,
            "events_per_s": round(self.throughput, 1),
            "syncs": self.syncs,
            "syncs_per_s": round(self.syncs / self.seconds, 1),
            "sync_ms_p50": round(self.pct(50), 1),
            "sync_ms_p99": round(self.pct(99), 1),
            "sync_ms_max": round(max(lat), 1) if lat else None,
            "sync_ms_mean": round(statistics.fmean(lat), 1) if lat else None,
            "first_sync_s_p50": round(statistics.median(self.first_sync_s), 2)
            if self.first_sync_s
            else None,
            "sync_errors": len(self.sync_errors),
            "distinct_state_hashes": self.hashes,
            "problems": self.problems,
        }


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LCSP_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _lcsp(*args: str) -> str:
    p = subprocess.run(
        [sys.executable, "-m", "lcsp_tui", *args],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=900,
    )
    if p.returncode != 0:
        raise RuntimeError(f"lcsp {' '.join(args[:6])}… exited {p.returncode}: {p.stderr}")
    return p.stdout


def find_work(home: Path, ledger: str) -> list[Work]:
    """Every (role, unit) of the region with items it can tick now, from a synced replica."""
    from lcsp_tui.config import settings_from
    from lcsp_tui.domain.roles import ROLES
    from lcsp_tui.workstation import Workstation

    ws = Workstation(settings_from(home=str(home), ledger=ledger, today=TODAY))
    try:
        q, now = ws.q, ws.now()
        units = sorted(u.unit_id for u in q.units())
        found = []
        for role, spec in ROLES.items():
            if not spec.needs_unit:
                continue
            for unit in units:
                items = []
                for row in q.worklist(role, unit, now):
                    found_list = q.checklist(role, unit, row.subject, now)
                    if found_list is None:
                        continue
                    for s in found_list.items:
                        if s.applies and not s.waiting and not s.locked and s.opens is None:
                            items.append((row.subject, s.item.id))
                if items:
                    found.append(Work(role, unit, items))
        return found
    finally:
        ws.close()


def run_load(
    admin_url: str,
    root: Path,
    workstations: int,
    seconds: float,
    *,
    size: str = "small",
    tick_every: tuple[float, float] = (0.3, 1.5),
    sync_every: tuple[float, float] = (1.0, 5.0),
    seed: int = 1,
    log: Any = None,
) -> LoadResult:
    """Run the load (see module doc) and check its outcome; problems are in the result."""
    from lcsp_tui.ledger import admin

    say = log or (lambda _msg: None)
    root.mkdir(parents=True, exist_ok=True)
    app_url = admin.init_ledger(admin_url).app_url
    t = time.perf_counter()
    seed_home = root / "seed"
    _lcsp("--home", str(seed_home), "--ledger", app_url, "--role", "systemforvaltning", "--user", "seed",
          "--today", TODAY, "demo", "--size", size, "--no-tui")  # fmt: skip
    say(f"demo region '{size}' in the ledger ({time.perf_counter() - t:.1f} s)")
    work = find_work(seed_home, app_url)
    if not work:
        raise RuntimeError("no tickable work in the demo region")
    say(f"{len(work)} (role, unit) pairs with work; {workstations} workstations")

    rng = random.Random(seed)
    start_at = time.time() + 5.0 + 0.25 * workstations  # after every first sync
    end_at = start_at + seconds
    procs = []
    for i in range(workstations):
        w = work[i % len(work)]
        cfg = {
            "home": str(root / f"ws{i:03d}"),
            "ledger": app_url,
            "user": f"user{i:03d}",
            "role": w.role,
            "unit": w.unit,
            "items": w.items,
            "seed": rng.randrange(2**32),
            "start_at": start_at,
            "end_at": end_at,
            "tick_every": tick_every,
            "sync_every": sync_every,
            "result": str(root / f"ws{i:03d}.json"),
        }
        path = root / f"ws{i:03d}.config.json"
        path.write_text(json.dumps(cfg))
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.loadsim", str(path)],
                cwd=ROOT,
                env=_env(),
                stdout=subprocess.DEVNULL,
                stderr=(root / f"ws{i:03d}.err").open("w"),
            )
        )
    result = LoadResult(workstations=workstations, seconds=seconds, size=size)
    for i, p in enumerate(procs):
        rc = p.wait(timeout=seconds + 600)
        if rc != 0:
            err = (root / f"ws{i:03d}.err").read_text()[-2000:]
            result.problems.append(f"workstation {i} exited {rc}: {err}")
    say(f"{workstations} workstations done; checking")
    _check(result, admin_url, app_url, root, workstations)
    return result


def _check(result: LoadResult, admin_url: str, app_url: str, root: Path, n: int) -> None:
    import psycopg

    from lcsp_tui import sync
    from lcsp_tui.config import settings_from
    from lcsp_tui.ledger import admin
    from lcsp_tui.ledger.base import open_ledger
    from lcsp_tui.store.store import LocalStore
    from lcsp_tui.workstation import Workstation

    recorded: dict[str, set[str]] = {}
    for i in range(n):
        path = root / f"ws{i:03d}.json"
        if not path.exists():
            result.problems.append(f"workstation {i} wrote no result")
            continue
        r = json.loads(path.read_text())
        result.ticks += len(r["event_ids"])
        result.refused += r["refused"]
        result.syncs += len(r["latencies_ms"])
        result.latencies_ms += r["latencies_ms"]
        result.sync_errors += r["errors"]
        result.first_sync_s.append(r["first_sync_s"])
        recorded[r["user"]] = set(r["event_ids"])
        if not r["event_ids"] or not r["latencies_ms"]:
            result.problems.append(f"workstation {i} did not both tick and sync")

    # Every replica catches up and must equal a fresh home of its bucket (issue 15: each
    # holds its role's bucket at its unit) pulled anew.
    hashes: dict[str, set[str]] = {}
    for name in [f"ws{i:03d}" for i in range(n)]:
        ws = Workstation(settings_from(home=str(root / name), ledger=app_url, today=TODAY))
        try:
            ws.sync()
            if ws.store.pending_count():
                result.problems.append(f"{name}: outbox not empty after sync")
            hashes.setdefault(ws.store.bucket or "", set()).add(ws.store.state_hash())
        except Exception as e:  # noqa: BLE001 - a failed replica is a finding, not a crash
            result.problems.append(f"{name}: sync failed: {e}")
        finally:
            ws.close()
    hashes.setdefault("region:audit", set())  # (systemförvaltning's: every event, dense)
    ledger = open_ledger(app_url, create=False)
    try:
        for bucket in sorted(hashes):
            fresh = LocalStore(root / "fresh" / bucket.replace(":", "-") / "store.sqlite")
            try:
                fresh.enter_bucket(bucket)
                sync.pull(fresh, ledger)
                hashes[bucket].add(fresh.state_hash())
            except Exception as e:  # noqa: BLE001 - a finding, not a crash
                result.problems.append(f"fresh: sync failed: {e}")
            finally:
                fresh.close()
    finally:
        ledger.close()
    result.hashes = max((len(h) for h in hashes.values()), default=0)
    if result.hashes != 1:
        result.problems.append(f"{result.hashes} different state hashes in one bucket")

    check = admin.check_ledger(admin_url)
    if not check.ok:
        result.problems.append(f"ledger check: {check.problems}")
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute(
            "SELECT actor, event_id FROM lcsp_events WHERE actor LIKE 'user%'"
        ).fetchall()
        dup = conn.execute(
            "SELECT count(*) - count(DISTINCT (replica_id, origin_seq)) FROM lcsp_events "
            "WHERE actor LIKE 'user%'"  # (imported records all carry origin_seq 0)
        ).fetchone()
    result.seed_events = check.head - len(rows)
    result.ledger_events = len(rows)
    in_ledger: dict[str, set[str]] = {}
    for actor, event_id in rows:
        in_ledger.setdefault(actor, set()).add(event_id)
    for user, ids in recorded.items():
        got = in_ledger.get(user, set())
        if got != ids:
            result.problems.append(
                f"{user}: {len(ids - got)} event(s) lost, {len(got - ids)} unknown in the ledger"
            )
    if dup and dup[0]:
        result.problems.append(f"{dup[0]} event(s) duplicated under another id")
    if sum(len(v) for v in recorded.values()) != result.ledger_events:
        result.problems.append("the ledger's count of workstation events differs from theirs")


# ---------------------------------------------------------------------- one workstation


def worker(cfg: dict[str, Any]) -> dict[str, Any]:
    from lcsp_tui.config import settings_from
    from lcsp_tui.domain.rules import Refusal
    from lcsp_tui.ledger.base import LedgerError
    from lcsp_tui.workstation import Workstation

    rng = random.Random(cfg["seed"])
    ws = Workstation(
        settings_from(
            home=cfg["home"],
            ledger=cfg["ledger"],
            user=cfg["user"],
            role=cfg["role"],
            unit=cfg["unit"],
            today=TODAY,
        )
    )
    items = [tuple(i) for i in cfg["items"]]
    done: dict[tuple[str, str], bool] = {}
    out: dict[str, Any] = {
        "user": cfg["user"],
        "event_ids": [],
        "refused": 0,
        "latencies_ms": [],
        "errors": [],
    }
    t = time.perf_counter()
    ws.sync()  # the morning's first pull of the region
    out["first_sync_s"] = time.perf_counter() - t

    tick_every = rng.uniform(*cfg["tick_every"])
    sync_every = rng.uniform(*cfg["sync_every"])
    start, end = max(cfg["start_at"], time.time()), cfg["end_at"]  # a late start: no burst
    next_tick = start + rng.uniform(0, tick_every)
    next_sync = start + rng.uniform(0, sync_every)
    while True:
        now = time.time()
        due = min(next_tick, next_sync)
        if due >= end:
            break
        if due > now:
            time.sleep(due - now)
        if next_tick <= next_sync:
            next_tick += tick_every
            subject, item = rng.choice(items)
            want = not done.get((subject, item), False)
            try:
                ev = ws.tick(subject, item, done=want)
                out["event_ids"].append(ev.event_id)
                done[(subject, item)] = want
            except Refusal:
                out["refused"] += 1
        else:
            next_sync += sync_every
            t = time.perf_counter()
            try:
                ws.sync()
                out["latencies_ms"].append((time.perf_counter() - t) * 1000)
            except LedgerError as e:
                out["errors"].append(str(e))
    for _ in range(10):  # push what is left
        try:
            ws.sync()
            break
        except LedgerError as e:
            out["errors"].append(str(e))
            time.sleep(0.5)
    ws.close()
    return out


if __name__ == "__main__":
    config = json.loads(Path(sys.argv[1]).read_text())
    result = worker(config)
    Path(config["result"]).write_text(json.dumps(result))


__all__ = ["LoadResult", "Work", "asdict", "find_work", "run_load"]
