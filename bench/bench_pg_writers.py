"""PostgreSQL ledger, concurrent writers: the real push as the app role vs raw INSERT.

Not a test: prints figures and the ratio. Starts its own throwaway PostgreSQL server
(``tests/pg.py``) with crash-safe settings (fsync and synchronous_commit on) unless
``--fsync-off``.

Each round, ``--writers`` processes (8) each push ``--pushes`` batches of ``--batch``
(50) new events, all starting together at a barrier; the rate is all events over the time
from the first start to the last finish. The batches (``Event`` objects) are built before
the barrier; turning them into rows is inside the clock on both sides.

- ``ledger``: ``PostgresLedger(app_url).push(batch)`` — the code a workstation's sync runs —
  connected as the least-privilege app role that ``lcsp ledger init`` makes, on a ledger
  with the append-only guards that ``init`` installs (one ``lcsp_append`` call a push).
- ``earlier`` (unless ``--no-earlier``): the same push on a ledger set up by the earlier
  release's ``init`` (``tests/ledger_earlier.py``: a deferred check per inserted row), as
  its app role; the push takes the earlier path (insert unnumbered, then number), i.e. what
  the earlier release measured — the before of this release, in the same run.
- ``raw`` (the anchor): the same rows by the same kind of processes as plain psycopg: one
  multi-row ``INSERT`` (``executemany`` of the ten client columns) per batch, one
  transaction per batch, connected as the owner, into ``raw_events``, a table made
  ``LIKE lcsp_events INCLUDING ALL`` (the same columns, primary key and unique index, no
  triggers), ``seq`` left NULL. Its floor: storing the rows durably with the same indexes —
  no de-duplication, no numbering, no ordering of commits, no guards.

Each round runs every kind once, the order rotating from round to round, after one warm-up
round; medians of ``--rounds`` (≥ 5). At the end ``lcsp ledger check`` must find each
ledger dense with the guards on, holding exactly the events pushed.

    python -m bench.bench_pg_writers [--writers 8] [--batch 50] [--pushes 100] [--rounds 5]
    python -m bench.bench_pg_writers --no-earlier   # raw and ledger only
    python -m bench.bench_pg_writers --extras      # also single-push figures (SQLite, PG)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from lcsp_tui.domain.models import Event  # noqa: E402
from lcsp_tui.ledger.admin import check_ledger, init_ledger  # noqa: E402
from lcsp_tui.ledger.postgres import PostgresLedger  # noqa: E402
from lcsp_tui.ledger.sqlite import SqliteLedger  # noqa: E402
from tests import pg  # noqa: E402
from tests.ledger_earlier import earlier_ledger  # noqa: E402

GOAL = 0.6  # issue 14: the ledger's appends/s at least 0.6x raw INSERT's

_RAW_COLUMNS = (
    "event_id, replica_id, origin_seq, kind, schema_version, actor, role, unit, recorded_at, "
    "payload"
)
_RAW_INSERT = (
    f"INSERT INTO raw_events ({_RAW_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def make_events(n: int, writer: int = 0, start: int = 0) -> list[Event]:
    return [
        Event(
            replica_id=f"w{writer}",
            origin_seq=i,
            kind="item.ticked",
            actor="anna",
            role="kommun_bistand",
            unit="U1",
            recorded_at="2025-03-04T10:00:00",
            payload={"subject": f"S{i}", "item": "k3", "done": True, "note": None},
        )
        for i in range(start, start + n)
    ]


def _raw_rows(batch: list[Event]) -> list[tuple[Any, ...]]:
    return [
        (
            e.event_id,
            e.replica_id,
            e.origin_seq,
            e.kind,
            e.schema_version,
            e.actor,
            e.role,
            e.unit,
            e.recorded_at,
            json.dumps(e.payload, ensure_ascii=False, separators=(",", ":")),
        )
        for e in batch
    ]


def _writer(
    kind: str,
    url: str,
    writer: int,
    start: int,
    pushes: int,
    batch: int,
    barrier: Any,
    results: Any,
) -> None:
    batches = [make_events(batch, writer, start + p * batch) for p in range(pushes)]
    push: Callable[[list[Event]], int]
    if kind == "raw":
        conn = psycopg.connect(url, autocommit=True)

        def push(b: list[Event]) -> int:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(_RAW_INSERT, _raw_rows(b))
            return len(b)

        close = conn.close
    else:
        led = PostgresLedger(url, create=False)

        def push(b: list[Event]) -> int:
            return len(led.push(b))

        close = led.close
    barrier.wait()
    t0 = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
    n = sum(push(b) for b in batches)
    t1 = time.perf_counter()
    close()
    results.put((t0, t1, n))


def run_round(kind: str, url: str, args: argparse.Namespace, start: int) -> float:
    """One round of ``args.writers`` processes; returns appends/s."""
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(args.writers)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=_writer,
            args=(kind, url, w, start, args.pushes, args.batch, barrier, results),
        )
        for w in range(args.writers)
    ]
    for p in procs:
        p.start()
    got: list[tuple[float, float, int]] = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"{kind} writer failed (exit {p.exitcode})")
    begin = min(t0 for t0, _, _ in got)
    end = max(t1 for _, t1, _ in got)
    total = sum(n for _, _, n in got)
    assert total == args.writers * args.pushes * args.batch, total
    return total / (end - begin)


def bench_writers(server: pg.PgServer, args: argparse.Namespace) -> None:
    url = pg.create_database(server.base_url)
    report = init_ledger(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE raw_events (LIKE lcsp_events INCLUDING ALL)")
    # app_url: the generated password (the test server trusts loopback anyway)
    urls = {"raw": url, "ledger": report.app_url}
    admin = {"ledger": url}
    if not args.no_earlier:
        admin["earlier"] = pg.create_database(server.base_url)
        urls["earlier"] = earlier_ledger(admin["earlier"])
    kinds = list(urls)
    rates: dict[str, list[float]] = {k: [] for k in kinds}
    per_round = args.writers * args.pushes * args.batch
    start = 0
    print(
        f"  {args.writers} writer processes × {args.pushes} pushes × {args.batch} events "
        f"({per_round:,} events a round), {args.rounds} rounds + 1 warm-up"
    )
    for r in range(args.rounds + 1):
        order = kinds[r % len(kinds) :] + kinds[: r % len(kinds)]
        line = []
        for kind in order:
            rate = run_round("raw" if kind == "raw" else "ledger", urls[kind], args, start)
            start += args.pushes * args.batch
            if r > 0:
                rates[kind].append(rate)
            line.append(f"{kind} {rate:,.0f}/s")
        label = "warm-up" if r == 0 else f"round {r}"
        print(f"    {label}: {', '.join(line)}")
    med = {k: statistics.median(v) for k, v in rates.items()}

    def paired(k: str) -> float:
        return statistics.median(b / a for a, b in zip(rates["raw"], rates[k], strict=True))

    print(f"  raw INSERT (anchor):              median {med['raw']:,.0f} appends/s")
    print(f"  ledger push, app role:            median {med['ledger']:,.0f} appends/s")
    if "earlier" in med:
        print(f"  same, earlier release's ledger:   median {med['earlier']:,.0f} appends/s")
    verdict = "met" if med["ledger"] / med["raw"] >= GOAL else "NOT MET"
    print(
        f"  ratio ledger / raw: {med['ledger'] / med['raw']:.2f}× (median of per-round ratios "
        f"{paired('ledger'):.2f}×) — goal ≥ {GOAL}×: {verdict}"
    )
    if "earlier" in med:
        print(
            f"  ratio earlier / raw: {med['earlier'] / med['raw']:.2f}× (per-round "
            f"{paired('earlier'):.2f}×); ledger / earlier: {med['ledger'] / med['earlier']:.2f}×"
        )
    expected = (args.rounds + 1) * per_round
    for kind, admin_url in admin.items():
        check = check_ledger(admin_url)
        assert check.dense and check.guards and check.events == expected, check
        assert check.guards_current == (kind == "ledger"), check
        print(f"  ledger check ({kind}): {check.events:,} events, dense, guards on")
        pg.drop_database(server.base_url, admin_url)


def bench_single_push(led: SqliteLedger | PostgresLedger, n: int) -> None:
    events = make_events(n)
    t = time.perf_counter()
    led.push(events)
    one = time.perf_counter() - t
    t = time.perf_counter()
    led.push(events)
    dup = time.perf_counter() - t
    events = make_events(n, start=n)
    t = time.perf_counter()
    for i in range(0, n, 50):
        led.push(events[i : i + 50])
    small = time.perf_counter() - t
    t = time.perf_counter()
    pulled = led.pull(0, 3 * n)
    pull = time.perf_counter() - t
    assert len(pulled) == 2 * n
    print(
        f"  {type(led).__name__}: push of {n} events in one call {one * 1000:.0f} ms "
        f"({n / one:,.0f}/s); same again (all duplicates) {dup * 1000:.0f} ms; "
        f"{n // 50} pushes of 50: {small * 1000:.0f} ms ({n / small:,.0f}/s); "
        f"pull {2 * n}: {pull * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--pushes", type=int, default=100, help="pushes per writer a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--fsync-off", action="store_true", help="the tests' fast settings")
    parser.add_argument("--extras", action="store_true", help="also single-push figures")
    parser.add_argument(
        "--no-earlier", action="store_true", help="no ledger of the earlier release"
    )
    args = parser.parse_args()
    if args.rounds < 5:
        parser.error("--rounds: at least 5 (the figures are medians)")

    durable = not args.fsync_off
    with pg.running_server(durable=durable) as server:
        label = "fsync on" if durable else "fsync off"
        with psycopg.connect(server.base_url) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        print(f"PostgreSQL {version[0] if version else '?'}, {label}, loopback:")
        bench_writers(server, args)
        if args.extras:
            with PostgresLedger(pg.create_database(server.base_url)) as led:
                bench_single_push(led, 10_000)
    if args.extras:
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite ledger (synchronous=FULL, WAL):")
            with SqliteLedger(Path(tmp) / "ledger.db", create=True) as led:
                bench_single_push(led, 10_000)


if __name__ == "__main__":
    main()
