"""Ledger write throughput: concurrent PostgreSQL writers, and SQLite bulk pushes.

Not a test: prints figures. Starts its own throwaway PostgreSQL server (tests/pg.py).

    python bench/bench_pg_writers.py [--writers 8] [--batch 50] [--seconds 10]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lcsp_tui.domain.models import Event  # noqa: E402
from lcsp_tui.ledger.postgres import PostgresLedger  # noqa: E402
from lcsp_tui.ledger.sqlite import SqliteLedger  # noqa: E402
from tests import pg  # noqa: E402


def make_events(n: int, writer: int = 0) -> list[Event]:
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
        for i in range(n)
    ]


def _writer(url: str, batch: int, seconds: float, writer: int, start_at: float) -> int:
    led = PostgresLedger(url)
    while time.time() < start_at:
        time.sleep(0.001)
    appended = 0
    end = start_at + seconds
    while time.time() < end:
        appended += len(led.push(make_events(batch, writer)))
    led.close()
    return appended


def _proc_writer(args: tuple[str, int, float, int, float]) -> int:
    return _writer(*args)


def bench_pg(url: str, writers: int, batch: int, seconds: float, processes: bool) -> float:
    start_at = time.time() + 1.0  # everyone connected before the clock starts
    jobs = [(url, batch, seconds, w, start_at) for w in range(writers)]
    if processes:
        with mp.get_context("fork").Pool(writers) as pool:
            total = sum(pool.map(_proc_writer, jobs))
    else:
        counts = [0] * writers

        def run(w: int) -> None:
            counts[w] = _writer(*jobs[w])

        threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = sum(counts)
    with PostgresLedger(url) as led:
        head = led.head()
        assert head >= total, (head, total)
        t = time.perf_counter()
        n = 0
        after = 0
        while page := led.pull(after, 5000):
            n += len(page)
            after = page[-1].seq or 0
        pull_s = time.perf_counter() - t
    assert n == head
    print(f"    pull of all {n} events: {n / pull_s:,.0f} events/s")
    return total / seconds


def bench_single_push(led: SqliteLedger | PostgresLedger, n: int) -> None:
    events = make_events(n)
    t = time.perf_counter()
    led.push(events)
    one = time.perf_counter() - t
    t = time.perf_counter()
    led.push(events)
    dup = time.perf_counter() - t
    events = make_events(n)
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite ledger (synchronous=FULL, WAL):")
        with SqliteLedger(Path(tmp) / "ledger.db", create=True) as led:
            bench_single_push(led, 10_000)

    for durable in (True, False):
        label = "durable (fsync on)" if durable else "test settings (fsync off)"
        with pg.running_server(durable=durable) as server:
            print(f"PostgreSQL, {label}:")
            with PostgresLedger(pg.create_database(server.base_url)) as led:
                bench_single_push(led, 10_000)
            for processes in (True, False):
                url = pg.create_database(server.base_url)
                kind = "processes" if processes else "threads"
                rate = bench_pg(url, args.writers, args.batch, args.seconds, processes)
                verdict = "OK" if rate >= 5000 else "BELOW GOAL"
                print(
                    f"  {args.writers} writer {kind}, {args.batch} events/push, "
                    f"{args.seconds:.0f} s: {rate:,.0f} appends/s "
                    f"({rate / args.batch:,.0f} pushes/s) — goal 5,000: {verdict}"
                )


if __name__ == "__main__":
    main()
