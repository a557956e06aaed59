"""Driven by tests/test_clients.py: send COUNT events through the Python client while the test kills
and restarts the sidecar, then print what was acknowledged as one JSON line."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

from metering_sidecar_client import Batcher, MeteringClient, Usage


def main() -> None:
    """Send the events; half one by one, half through a Batcher."""
    count, prefix = int(os.environ["COUNT"]), os.environ["PREFIX"]
    acked: Counter[str] = Counter()
    with MeteringClient(os.environ["TARGET"], timeout=2.0) as client:
        batcher = Batcher(client, max_events=7, flush_interval=0.2)
        for i in range(count):
            usage = Usage(
                event_id=f"{prefix}-{i}", customer_aws_account_id="121212121212",
                dimension="requests" if i % 2 else "storage", quantity=1 + i % 7, tags={"team": "py"},
            )  # fmt: skip
            if i % 2:
                client.record(usage)
            else:
                batcher.add(usage)
            acked[usage.dimension] += usage.quantity
            if i == count // 4:
                print("QUARTER", file=sys.stderr, flush=True)
            time.sleep(0.005)
        batcher.close()
    print(json.dumps({"acked": acked}))


if __name__ == "__main__":
    main()
