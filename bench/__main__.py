"""Benchmark harness: python -m bench [--smoke] [--out BENCHMARKS.md]

Measures in one run, on this machine, with the load generator in this process and each server in
its own process:

  (a) ceiling: a no-op grpc.aio server with the same proto, driven by the same client
  (b) naive durable: one SQLite commit per request (WAL, synchronous=FULL)
  (c) raw storage: SQLite inserting the same rows in batches, no gRPC (same schema and indexes)
  the sidecar: RecordUsage at 1, 16 and 64 callers; RecordUsageBatch with 100 and 1000 events;
  sealing 1,000,000 buffered events; RSS idle, with 2,000 idle client connections, and after
  1,000,000 events; shipping an hour of 100,000 keys to the emulator, with and without throttling
  (bench/ship.py).

The targets are judged on repeated runs: RecordUsage at 64 callers against (a), and batches of 100
and 1000 against (b) and (c), alternate run by run (bench/ingest.py), and the report gives medians
with their spread. Results are ratios against the baselines of the same run. --smoke runs everything
tiny and fast, to keep the harness working in CI; it asserts no timings.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

from bench import ingest
from bench.servers import UNDELAYED

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = (1, 16, 64)
BATCHES = (100, 1000)
# Calls per second for the shipping benchmark: 4,000 calls at AWS's own 10 per second take 400 s unthrottled
# and more than 8 minutes throttled, so the default run paces at 40 (the ratio to the ideal is the measure).
SHIP_RATE = 40.0
SMOKE_SHIP_RATE = 100.0
ROUNDS = 5  # alternating runs behind each target's median
SMOKE_ROUNDS = 2  # enough to exercise the alternation and the pairwise ratios
IDLE_CONNECTIONS = 2000


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One server under test in its own process."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.port = _port()
        self.target = f"127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("METERING_SIDECAR_")}
        env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.servers", kind, str(self.port), str(workdir / f"{kind}.db")],
            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "READY" not in line:
            raise RuntimeError(f"{kind} server did not start: {line!r}")

    def rss_mb(self) -> float:
        """Return the server's resident set size in MB."""
        with open(f"/proc/{self.proc.pid}/statm") as handle:
            return int(handle.read().split()[1]) * 4096 / 1e6

    def stop(self) -> None:
        """Stop the process."""
        self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _event(n: int, prefix: str) -> pb.UsageEvent:
    return pb.UsageEvent(event_id=f"{prefix}-{n}", customer_aws_account_id=f"{100000 + n % 300}",
                         dimension=("requests", "storage")[n % 2], quantity=1 + n % 5)  # fmt: skip


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def drive_unary(target: str, callers: int, seconds: float, prefix: str) -> dict[str, float]:
    """``callers`` concurrent RecordUsage loops for ``seconds``: calls/s, p50 and p99 in ms."""
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=_event(0, prefix + "warm")), timeout=10)

        async def caller(c: int) -> None:
            n = 0
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                await stub.RecordUsage(pb.RecordUsageRequest(event=_event(n, f"{prefix}{c}")), timeout=30)
                latencies.append(time.perf_counter() - started)
                n += 1

        began = time.perf_counter()
        await asyncio.gather(*[caller(c) for c in range(callers)])
        elapsed = time.perf_counter() - began
    return {"throughput": len(latencies) / elapsed, "p50_ms": _percentile(latencies, 0.5) * 1000,
            "p99_ms": _percentile(latencies, 0.99) * 1000, "calls": len(latencies)}  # fmt: skip


async def drive_batch(target: str, size: int, total: int, prefix: str) -> dict[str, float]:
    """RecordUsageBatch with ``size`` events per call until ``total`` events: events/s."""
    events = [_event(n, prefix) for n in range(total)]
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        began = time.perf_counter()
        for start in range(0, total, size):
            await stub.RecordUsageBatch(
                pb.RecordUsageBatchRequest(events=events[start : start + size]), timeout=60
            )
        elapsed = time.perf_counter() - began
    return {"events_per_s": total / elapsed, "events": total}


def raw_storage(path: Path, size: int, total: int) -> dict[str, float]:
    """(c) The same rows into the same schema, ``size`` per transaction, no gRPC."""
    conn = ingest.raw_database(path)
    rows = [(f"raw-{n}", "fp", "p", "", "CustomerAWSAccountId", f"{100000 + n % 300}", ("requests", "storage")[n % 2],
             1 + n % 5, 0, 0, "", 0) for n in range(total)]  # fmt: skip
    began = time.perf_counter()
    for start in range(0, total, size):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO events (event_id, fingerprint, product, license_arn, customer_field, customer, dimension, "
            "quantity, event_ms, window_start, tags, received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows[start : start + size],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return {"events_per_s": total / elapsed, "events": total}


def ship(workdir: Path, smoke: bool, rate: float) -> dict[str, Any]:
    """Ship an hour of 100,000 keys (1,000 in smoke), with no throttling and with 20%, each in its own process."""
    keys, interval = (1_000, 1.0) if smoke else (100_000, 10.0)
    runs = {}
    for name, throttle in (("plain", 0.0), ("throttled", 0.2)):
        out = subprocess.run([sys.executable, "-m", "bench.ship", str(keys), str(rate), str(throttle), str(workdir), str(interval)],
                             capture_output=True, text=True, check=True, cwd=ROOT)  # fmt: skip
        runs[name] = json.loads(out.stdout)
    return runs


def seal(workdir: Path, events: int) -> dict[str, Any]:
    """Run the sealing benchmark in its own process."""
    out = subprocess.run([sys.executable, "-m", "bench.seal", str(events), str(workdir / "seal.db")],
                         capture_output=True, text=True, check=True, cwd=ROOT)  # fmt: skip
    return dict(json.loads(out.stdout))


async def repeated(workdir: Path, smoke: bool) -> dict[str, Any]:
    """The runs the targets are judged on: each alternates with its baselines, round by round."""
    seconds = 0.3 if smoke else 4.0
    rounds = SMOKE_ROUNDS if smoke else ROUNDS
    kinds = ("noop", "naive", "sidecar", UNDELAYED)
    servers = {kind: Server(kind, workdir / "repeated") for kind in kinds}
    try:
        unary = await ingest.alternate(
            {kind: functools.partial(_unary64, servers[kind].target, seconds, f"{kind}r")
             for kind in ("noop", "sidecar", UNDELAYED)},
            rounds,
        )  # fmt: skip
        batch = {}
        for size in BATCHES:
            total = size * (5 if smoke else 100)
            runs: dict[str, ingest.Measure] = {
                kind: functools.partial(_batch, servers[kind].target, size, total, f"{kind}r{size}-")
                for kind in ("sidecar", "naive")
            }
            runs["raw"] = functools.partial(_raw, workdir / "repeated", size, total)
            batch[size] = await ingest.alternate(runs, rounds)
    finally:
        for server in servers.values():
            server.stop()
    return {"rounds": rounds, "unary64": unary, "batch": batch}


async def _unary64(target: str, seconds: float, prefix: str, number: int) -> dict[str, float]:
    return await drive_unary(target, 64, seconds, f"{prefix}{number}-")


async def _batch(target: str, size: int, total: int, prefix: str, number: int) -> dict[str, float]:
    return await drive_batch(target, size, total, f"{prefix}{number}-")


async def _raw(workdir: Path, size: int, total: int, number: int) -> dict[str, float]:
    return await asyncio.to_thread(raw_storage, workdir / f"raw{size}-{number}.db", size, total)


async def idle_rss(server: Server, count: int) -> dict[str, float]:
    """The server's RSS before and with ``count`` idle client connections."""
    before = server.rss_mb()
    channels, seconds = await ingest.idle_connections(server.target, count)
    try:
        await asyncio.sleep(0.5)
        return {"connections": count, "before_mb": before, "with_mb": server.rss_mb(), "open_s": seconds}
    finally:
        await ingest.close_all(channels)


async def measure(workdir: Path, smoke: bool, ship_rate: float = SHIP_RATE) -> dict[str, Any]:
    """Run every measurement; return the raw results."""
    seconds = 0.3 if smoke else 4.0
    volume = 2_000 if smoke else 1_000_000
    connections = 50 if smoke else IDLE_CONNECTIONS
    results: dict[str, Any] = {"unary": {}, "batch": {}, "raw": {}}
    results["open_files_limit"] = ingest.raise_open_files(2 * connections + 1024)  # servers inherit it
    (workdir / "repeated").mkdir()
    for kind in ("noop", "naive", "sidecar"):
        server = Server(kind, workdir)
        try:
            if kind == "sidecar":
                await asyncio.sleep(0.5)
                results["rss_idle_mb"] = server.rss_mb()
                results["idle_connections"] = await idle_rss(server, connections)
            results["unary"][kind] = {
                c: await drive_unary(server.target, c, seconds, f"{kind}u{c}-") for c in CONCURRENCY
            }
            if kind != "noop":
                results["batch"][kind] = {s: await drive_batch(server.target, s, s * (5 if smoke else 100), f"{kind}b{s}-")
                                          for s in BATCHES}  # fmt: skip
            if kind == "sidecar":
                await drive_batch(server.target, 1000, volume, "volume-")
                results["rss_after_volume_mb"] = server.rss_mb()
                results["volume_events"] = volume
        finally:
            server.stop()
    for size in BATCHES:
        results["raw"][size] = raw_storage(workdir / f"raw{size}.db", size, size * (5 if smoke else 100))
    results["repeated"] = await repeated(workdir, smoke)
    results["seal"] = seal(workdir, 10_000 if smoke else 1_000_000)
    results["ship"] = ship(workdir, smoke, SMOKE_SHIP_RATE if smoke else ship_rate)
    results["breakdown"] = await asyncio.to_thread(
        ingest.breakdown, workdir, 2_000 if smoke else 100_000, _event
    )
    return results


def ratios(r: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The ratios the targets are stated in: medians (and spread) of the alternating runs' pairs."""
    sidecar, naive = r["unary"]["sidecar"], r["unary"]["naive"]
    unary, batch = r["repeated"]["unary64"], r["repeated"]["batch"]
    out = {
        "throughput_vs_ceiling_64": ingest.compare(unary, "sidecar", "noop", "throughput"),
        "p99_vs_ceiling_64": ingest.compare(unary, "sidecar", "noop", "p99_ms"),
        "undelayed_throughput_vs_ceiling_64": ingest.compare(unary, UNDELAYED, "noop", "throughput"),
        "undelayed_p99_vs_ceiling_64": ingest.compare(unary, UNDELAYED, "noop", "p99_ms"),
        "throughput_vs_naive_64": {"median": sidecar[64]["throughput"] / naive[64]["throughput"]},
    }
    for size in BATCHES:
        out[f"batch{size}_vs_raw"] = ingest.compare(batch[size], "sidecar", "raw", "events_per_s")
        out[f"batch{size}_vs_naive"] = ingest.compare(batch[size], "sidecar", "naive", "events_per_s")
    return out


def chart(r: dict[str, Any], path: Path) -> None:
    """Throughput and p99 against concurrency for (a), (b) and the sidecar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    names = {"noop": "(a) no-op ceiling", "naive": "(b) naive durable", "sidecar": "sidecar (durable)"}
    for kind, label in names.items():
        points = r["unary"][kind]
        left.plot(CONCURRENCY, [points[c]["throughput"] for c in CONCURRENCY], marker="o", label=label)
        right.plot(CONCURRENCY, [points[c]["p99_ms"] for c in CONCURRENCY], marker="o", label=label)
    left.set(title="RecordUsage throughput", xlabel="concurrent callers", ylabel="calls/s", xscale="log")
    right.set(title="RecordUsage p99 latency", xlabel="concurrent callers", ylabel="ms", xscale="log")
    for axis in (left, right):
        axis.set_xticks(list(CONCURRENCY), [str(c) for c in CONCURRENCY])
        axis.grid(alpha=0.3)
        axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def report(r: dict[str, Any], chart_name: str, smoke: bool) -> str:
    """Render BENCHMARKS.md from the results of this run."""
    q = ratios(r)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m bench{' --smoke' if smoke else ''}` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. "
        f"Machine: {machine}. The load generator runs in one process, each server in its own; the machine is",
        "shared and noisy, so the ratios (measured in the same run) matter more than the absolute numbers.",
        "",
        "## RecordUsage",
        "",
        "| callers | (a) no-op calls/s | (a) p50 / p99 ms | (b) naive calls/s | (b) p50 / p99 ms | sidecar calls/s | sidecar p50 / p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in CONCURRENCY:
        a, b, s = (r["unary"][k][c] for k in ("noop", "naive", "sidecar"))
        lines.append(f"| {c} | {a['throughput']:.0f} | {a['p50_ms']:.2f} / {a['p99_ms']:.2f} | {b['throughput']:.0f} | "
                     f"{b['p50_ms']:.2f} / {b['p99_ms']:.2f} | {s['throughput']:.0f} | {s['p50_ms']:.2f} / {s['p99_ms']:.2f} |")  # fmt: skip
    lines += ["", f"![throughput and p99 against concurrency]({chart_name})", "", "## RecordUsageBatch", "",
              "One run each, in the sequence above; the targets' runs are in the next section.", "",
              "| events per call | sidecar events/s | (b) naive events/s | (c) raw SQLite events/s |", "|---:|---:|---:|---:|"]  # fmt: skip
    for size in BATCHES:
        lines.append(f"| {size} | {r['batch']['sidecar'][size]['events_per_s']:.0f} | "
                     f"{r['batch']['naive'][size]['events_per_s']:.0f} | {r['raw'][size]['events_per_s']:.0f} |")  # fmt: skip
    lines += ["", *ingest.repeated_lines(r, q, BATCHES)]
    seal_ = r["seal"]
    plain, throttled = r["ship"]["plain"], r["ship"]["throttled"]
    lines += [
        "",
        "## Shipping a big hour",
        "",
        f"An hour of {plain['keys']:,} keys ({plain['calls']:,} BatchMeterUsage calls of 25 records) shipped by the "
        f"sidecar's own loops to the emulator (another process), at --ship-rate-per-second {plain['rate']:g} "
        f"(AWS's quota is 10; {plain['calls']:,} calls at 10 would take {plain['calls'] / 10:.0f} s before "
        f"throttling) and the default --ship-concurrency {plain['concurrency']}, botocore's default 3 attempts. "
        "Timed from the first call the emulator saw to the last record billed; the ideal is calls / rate.",
        "",
        "| run | seconds | ideal s | actual / ideal | calls the emulator saw | throttled | most in flight |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, run in (("no throttling", plain), ("20% of calls throttled", throttled)):
        lines.append(f"| {name} | {run['seconds']} | {run['ideal_s']} | {run['ratio']:.2f} | {run['emulator_calls']:,} | "
                     f"{run['throttled']:,} | {run['peak_in_flight']} |")  # fmt: skip
    lines += [
        "", "## Sealing and memory", "",
        f"* Sealing {seal_['events']:,} buffered events into {seal_['records']:,} records: {seal_['seal_s']} s "
        f"(buffering them took {seal_['fill_s']} s); RSS grew {seal_['rss_growth_mb']} MB during sealing "
        f"({seal_['rss_before_mb']} → {seal_['rss_peak_mb']} MB).",
        f"* Sidecar RSS idle: {r['rss_idle_mb']:.0f} MB; after {r['volume_events']:,} events: {r['rss_after_volume_mb']:.0f} MB.",
        "", *ingest.time_lines(r),        "## Against the targets", "",
        "| measure | target | this run | before issue 16 |", "|---|---|---:|---:|",
        *ingest.target_lines(q),
        f"| durable RecordUsage vs (b) naive durable, 64 callers | ≥ 2× | {q['throughput_vs_naive_64']['median']:.2f}× | 2.79× |",
        f"| sealing 1,000,000 events | ≤ 10 s, RSS +≤ 50 MB | {seal_['seal_s']} s, +{seal_['rss_growth_mb']} MB | 9.03 s, +2.7 MB |",
        f"| idle RSS | ≤ 100 MB | {r['rss_idle_mb']:.0f} MB | 79 MB |",
        f"| shipping {plain['calls']:,} calls at {plain['rate']:g}/s vs calls / rate | ≤ 1.2× | {plain['ratio']:.2f}× | one call at a time |",
        f"| the same with 20% of calls throttled | ≤ 2.4× | {throttled['ratio']:.2f}× | 171 s for 20,000 keys |",
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    """Run the benchmarks and write the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="tiny and fast; for CI, asserts no timings")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--ship-rate", type=float, default=SHIP_RATE,
                        help=f"--ship-rate-per-second of the shipping benchmark (default {SHIP_RATE:g}; smoke: {SMOKE_SHIP_RATE:g})")  # fmt: skip
    args = parser.parse_args()
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        results = asyncio.run(measure(Path(tmp), args.smoke, args.ship_rate))
    chart_path = out.with_name("benchmarks.png")
    chart(results, chart_path)
    out.write_text(report(results, chart_path.name, args.smoke))
    (out.with_name("benchmarks.json")).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"wrote {out} and {chart_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
