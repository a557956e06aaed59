"""The Python client's conformance runner (clients/conformance): one JSON request per stdin line, one
JSON result per stdout line. Calls run on the blocking MeteringClient; a case that cancels runs on
AsyncMeteringClient, since cancelling is an asyncio task's (a blocking call has no caller to cancel it)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import grpc
from metering_sidecar_client import AsyncMeteringClient, MeteringClient, Usage


def _usages(call: dict[str, Any]) -> list[Usage]:
    usages = []
    for u in call["usages"]:
        fields = {k: v for k, v in u.items() if k != "event_id" or v}
        usages.append(Usage(**fields))
    return usages


def _options(request: dict[str, Any]) -> dict[str, Any]:
    client = request["client"]
    return {
        "timeout": client.get("attempt_timeout_ms", 5000) / 1000,
        "retry_budget": client.get("retry_budget_ms", 60000) / 1000,
        "token": client.get("token") or None,
    }


def _blocking(request: dict[str, Any], usages: list[Usage], deadline: float | None) -> None:
    with MeteringClient(request["target"], **_options(request)) as client:
        if request["call"]["method"] == "record":
            client.record(usages[0], deadline=deadline)
        else:
            client.record_batch(usages, deadline=deadline)


async def _cancelled(request: dict[str, Any], usages: list[Usage], deadline: float | None) -> str:
    async with AsyncMeteringClient(request["target"], **_options(request)) as client:
        call = request["call"]
        coro = client.record(usages[0], deadline=deadline) if call["method"] == "record" else client.record_batch(usages, deadline=deadline)  # fmt: skip
        task = asyncio.ensure_future(coro)
        await asyncio.sleep(call["cancel_after_ms"] / 1000)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return "CANCELLED"
        return "OK"


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Run one call and report its outcome and the event ids it carried."""
    call = request["call"]
    usages = _usages(call)
    deadline = call["deadline_ms"] / 1000 if call.get("deadline_ms") else None
    result: dict[str, Any] = {"outcome": "OK", "event_ids": [u.event_id for u in usages]}
    try:
        if call.get("cancel_after_ms"):
            result["outcome"] = asyncio.run(_cancelled(request, usages, deadline))
        else:
            _blocking(request, usages, deadline)
    except grpc.RpcError as exc:
        result["outcome"] = exc.code().name
        result["message"] = exc.details()
    return result


def main() -> None:
    """Answer each request line."""
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
