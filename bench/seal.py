"""Sealing benchmark, in its own process: buffer N events in the store, then seal them, sampling RSS.

Usage: python -m bench.seal N DB  -> prints one JSON line
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
import uuid

from metering_sidecar.core._clock import ManualClock
from metering_sidecar.core._model import CustomerField, UsageEvent
from metering_sidecar.store import Store, StoreSettings


def rss_mb() -> float:
    """Return this process's resident set size in MB (from /proc)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * 4096 / 1e6


async def main(count: int, path: str) -> dict[str, float]:
    """Fill and seal; return the figures."""
    start = 1_795_773_600.0
    clock = ManualClock(start - 10)  # a new database seals the current window: start just before ours
    settings = StoreSettings(window_seconds=3600, max_record_age=6 * 3600, expiry_margin=900,
                             max_pending_events=count + 1)  # fmt: skip
    async with Store(path, settings, clock) as store:
        filled = time.perf_counter()
        batch = 10_000
        tags = [(), (("team", "a"),), (("team", "b"), ("env", "prod"))]
        for offset in range(0, count, batch):
            events = [
                UsageEvent(str(uuid.uuid4()), "fp", "bench", "", CustomerField.ACCOUNT_ID, f"{100000 + i % 500}",
                           f"dim-{i % 4}", 1 + i % 9, start + 1 + (i % 3000), tags[i % 3])
                for i in range(offset, min(count, offset + batch))
            ]  # fmt: skip
            await store.append(events)
        fill_s = time.perf_counter() - filled
        before = rss_mb()
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.01):
                peak[0] = max(peak[0], rss_mb())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        sealing = time.perf_counter()
        result = await store.seal(start + 3600 + 61, 60)
        seal_s = time.perf_counter() - sealing
        done.set()
        sampler.join()
        return {"events": count, "records": result.records, "fill_s": round(fill_s, 2), "seal_s": round(seal_s, 2),
                "rss_before_mb": round(before, 1), "rss_peak_mb": round(peak[0], 1),
                "rss_growth_mb": round(peak[0] - before, 1)}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1]), sys.argv[2]))))
