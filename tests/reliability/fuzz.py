"""Bad-input fuzzing with hypothesis against a `serve` process: every case gets the status an
independent oracle expects, nothing invalid is stored, and the process never falls over."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any, cast

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

MAX = 2_147_483_647
MAX_AGE = 6 * 3600
GOOD_ARN = "arn:aws:license-manager::123456789012:license:l-0123456789abcdef"
TAG = re.compile(r"[a-zA-Z0-9+ -=._:\/@]+")
PRODUCT = re.compile(r"[-a-zA-Z0-9/=:_.@]{1,255}")
ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:"
    r"[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,1023}"
)

texts = st.text(max_size=24)
events = st.fixed_dictionaries({
    "event_id": st.one_of(st.just(""), st.sampled_from(["dup-1", "dup-2", "dup-3"]), st.uuids().map(str),
                          texts, st.text(min_size=120, max_size=140)),
    "customer_aws_account_id": st.one_of(st.just(""), st.from_regex(r"[0-9]{12}", fullmatch=True), texts),
    "customer_identifier": st.one_of(st.just(""), st.just(""), st.just("cust-1"), texts, st.text(min_size=250, max_size=260)),
    "license_arn": st.one_of(st.just(""), st.just(GOOD_ARN), st.just(GOOD_ARN + "\n"), texts),
    "product_code": st.one_of(st.just(""), st.just("prod-x"), texts),
    "dimension": st.one_of(st.just("requests"), texts, st.text(min_size=250, max_size=260)),
    "quantity": st.one_of(st.integers(0, 100), st.integers(-(2**63), 2**63 - 1), st.just(MAX), st.just(MAX + 1)),
    "offset": st.one_of(st.none(), st.floats(-60, 60), st.floats(-10 * 3600, 3600)),
    "tags": st.dictionaries(st.one_of(st.sampled_from(["team", "env", "a b", "x>y"]), texts,
                                      st.text(min_size=99, max_size=102)),
                            st.one_of(st.just("v"), texts, st.text(min_size=255, max_size=258)), max_size=7),
})  # fmt: skip


def _safe_offset(offset: float | None) -> bool:
    # Stay clear of the time limits: the server checks them a moment after the oracle does.
    return offset is None or (abs(offset - 300) > 10 and abs(offset + MAX_AGE) > 10)


def _clear_of_limits(event: dict[str, object]) -> bool:
    # fixed_dictionaries types its values as object; "offset" is drawn as None or a float (see events).
    return _safe_offset(cast("float | None", event["offset"]))


def oracle(event: dict[str, Any]) -> str | None:
    """Return the field the sidecar must name as invalid, or None for a valid event (rules of issue 2)."""
    if len(event["event_id"]) > 128 or (event["event_id"] and not event["event_id"].isprintable()):
        return "event_id"
    account, identifier = event["customer_aws_account_id"], event["customer_identifier"]
    if bool(account) == bool(identifier):
        return "customer_aws_account_id"
    if account and not (account.isascii() and account.isdigit() and len(account) <= 255):
        return "customer_aws_account_id"
    if identifier and (len(identifier) > 255 or not identifier.isprintable()):
        return "customer_identifier"
    if event["license_arn"] and not ARN.fullmatch(event["license_arn"]):
        return "license_arn"
    if event["product_code"] and not PRODUCT.fullmatch(event["product_code"]):
        return "product_code"
    if not 1 <= len(event["dimension"]) <= 255:
        return "dimension"
    if not 0 <= event["quantity"] <= MAX:
        return "quantity"
    offset = event["offset"]
    if offset is not None and (offset > 300 or offset <= -MAX_AGE):
        return "timestamp"
    tags = event["tags"]
    if len(tags) > 5:
        return "tags"
    for key, value in tags.items():
        if not (1 <= len(key) <= 100 and TAG.fullmatch(key)) or not (
            1 <= len(value) <= 256 and TAG.fullmatch(value)
        ):
            return "tags"
    return None


def message(event: dict[str, Any], now: float) -> pb.UsageEvent:
    """Build the wire event."""
    fields = {k: v for k, v in event.items() if k != "offset"}
    out = pb.UsageEvent(**fields)
    if event["offset"] is not None:
        stamp = Timestamp()
        stamp.FromNanoseconds(int((now + event["offset"]) * 1e9))
        out.timestamp.CopyFrom(stamp)
    return out


@dataclass
class FuzzTally:
    """What the fuzzer sent and what went wrong."""

    cases: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    wrong_status: list[str] = field(default_factory=list)
    stored_invalid: int = 0

    def count(self, code: grpc.StatusCode) -> None:
        """Count one answer."""
        self.by_status[code.name] = self.by_status.get(code.name, 0) + 1


class Fuzzer:
    """Drives RecordUsage and RecordUsageBatch with generated events and checks every answer."""

    def __init__(self, target: str) -> None:
        self.channel = grpc.insecure_channel(target)
        self.stub = pb_grpc.MeteringSidecarStub(self.channel)
        self.stored: dict[str, bytes] = {}  # event_id -> the content first stored under it
        self.tally = FuzzTally()

    def _pending(self) -> int:
        return int(self.stub.GetStatus(pb.GetStatusRequest(), timeout=10).pending_events)

    def _expect(self, batch: list[tuple[dict[str, Any], pb.UsageEvent]]) -> tuple[grpc.StatusCode, str, int]:
        """Return (status, text the message must hold, new events) the sidecar must answer."""
        for index, (event, _) in enumerate(batch):
            bad = oracle(event)
            if bad is not None:
                where = f"events[{index}].{bad}" if len(batch) > 1 else bad
                return grpc.StatusCode.INVALID_ARGUMENT, where, 0
        seen = dict(self.stored)
        new = 0
        for _, msg in batch:
            if not msg.event_id:
                new += 1
                continue
            content = msg.SerializeToString(deterministic=True)
            if msg.event_id in seen and seen[msg.event_id] != content:
                return grpc.StatusCode.ALREADY_EXISTS, msg.event_id, 0
            new += msg.event_id not in seen
            seen[msg.event_id] = content
        return grpc.StatusCode.OK, "", new

    def send(self, batch: list[dict[str, Any]], as_batch: bool) -> None:
        """Send one case and check the answer against the oracle."""
        now = time.time()
        pairs = [(e, message(e, now)) for e in batch]
        expected, text, new = self._expect(pairs)
        before = self._pending()
        try:
            if as_batch:
                self.stub.RecordUsageBatch(
                    pb.RecordUsageBatchRequest(events=[m for _, m in pairs]), timeout=10
                )
            else:
                self.stub.RecordUsage(pb.RecordUsageRequest(event=pairs[0][1]), timeout=10)
            code, details = grpc.StatusCode.OK, ""
        except grpc.RpcError as exc:
            code, details = exc.code(), exc.details() or ""
        self.tally.cases += 1
        self.tally.count(code)
        if code != expected or text not in details:
            self.tally.wrong_status.append(
                f"{expected.name} != {code.name}: {details[:120]!r} for {batch!r}"[:400]
            )
        stored = self._pending() - before
        if code == grpc.StatusCode.OK:
            for _, msg in pairs:
                if msg.event_id and msg.event_id not in self.stored:
                    self.stored[msg.event_id] = msg.SerializeToString(deterministic=True)
        elif stored:
            self.tally.stored_invalid += stored
        if code == grpc.StatusCode.OK and stored != new:
            self.tally.wrong_status.append(f"stored {stored} events, expected {new}")

    def oversized(self) -> None:
        """Over-sized messages and over-long batches: RESOURCE_EXHAUSTED / INVALID_ARGUMENT, nothing stored."""
        before = self._pending()
        huge = [pb.UsageEvent(customer_aws_account_id="1", dimension="d" * 255, quantity=1,
                              tags={f"k{i}": "v" * 256 for i in range(5)}) for _ in range(4000)]  # fmt: skip
        for request, expected in (
            (pb.RecordUsageBatchRequest(events=huge), grpc.StatusCode.RESOURCE_EXHAUSTED),
            (pb.RecordUsageBatchRequest(events=[pb.UsageEvent(customer_aws_account_id="1", dimension="d",
                                                               quantity=1)] * 1001), grpc.StatusCode.INVALID_ARGUMENT),
        ):  # fmt: skip
            try:
                self.stub.RecordUsageBatch(request, timeout=30)
                code = grpc.StatusCode.OK
            except grpc.RpcError as exc:
                code = exc.code()
            self.tally.cases += 1
            self.tally.count(code)
            if code != expected:
                self.tally.wrong_status.append(f"oversized: {expected.name} != {code.name}")
        self.tally.stored_invalid += self._pending() - before

    def run(self, cases: int) -> FuzzTally:
        """Run ``cases`` single events and ``cases`` batches."""
        config = settings(max_examples=cases, deadline=None, database=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))  # fmt: skip

        @config
        @given(events.filter(_clear_of_limits))
        def single(event: dict[str, Any]) -> None:
            self.send([event], as_batch=False)

        @config
        @given(st.lists(events.filter(_clear_of_limits), min_size=1, max_size=5))
        def batches(batch: list[dict[str, Any]]) -> None:
            self.send(batch, as_batch=True)

        single()
        batches()
        self.oversized()
        self.channel.close()
        return self.tally


def main() -> None:
    """`python -m tests.reliability.fuzz TARGET CASES`: run the fuzzer, print its tally as one JSON line.

    The scenario runs it in a process of its own, unmeasured by coverage: it runs no metering_sidecar code,
    and hypothesis under the test worker's tracer took twice the CPU.
    """
    tally = Fuzzer(sys.argv[1]).run(int(sys.argv[2]))
    print(json.dumps(dataclasses.asdict(tally)))


if __name__ == "__main__":
    main()
