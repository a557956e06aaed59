"""The emulated AWS Marketplace Metering service: AWS's rules, state and injected faults.

It knows nothing of the sidecar. It keeps what AWS keeps: one record per (product or license,
customer, dimension, dedup period); the first wins, an identical repeat gets the same id, any other
record for that slot gets DuplicateRecord and is not billed.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict
from typing import Any

from metering_sidecar.core import Clock, SystemClock
from metering_sidecar.emulator._hang import HangGate
from metering_sidecar.emulator._model import ApiError, BilledRecord, DropConnection, EmulatorSettings, Stats
from metering_sidecar.emulator._onboarding import OnboardingOperations

MAX_RECORDS = 25
MAX_BODY_BYTES = 1_000_000
MAX_QUANTITY = 2_147_483_647
LICENSE_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:[A-Za-z0-9][A-Za-z0-9_/.-]{0,62}:[A-Za-z0-9_/.-]{0,63}:"
    r"[A-Za-z0-9_/.-]{0,63}:[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,1023}$"
)
TAG_TEXT = re.compile(r"^[a-zA-Z0-9+ -=._:\/@]+$")


class MeteringState(OnboardingOperations):
    """Thread-safe state of the emulated Marketplace services."""

    def __init__(self, settings: EmulatorSettings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or EmulatorSettings()
        self.faults = self.settings.faults
        self.clock = clock or SystemClock()
        self.stats = Stats()
        self._lock = threading.Lock()
        self._gate = HangGate(self._lock)
        self._random = random.Random(self.settings.seed)
        self._slots: dict[tuple[str, str, str, int], BilledRecord] = {}
        self._resolved: set[str] = set()

    def billed(self) -> list[dict[str, Any]]:
        """Return every billed record, oldest slot first."""
        with self._lock:
            return [asdict(r) for r in sorted(self._slots.values(), key=lambda r: (r.timestamp, r.canonical))]

    def snapshot(self) -> dict[str, Any]:
        """Return the counters and the faults in force."""
        with self._lock:
            return {"stats": asdict(self.stats), "faults": asdict(self.faults)}

    def update_faults(self, values: Mapping[str, Any]) -> None:
        """Change faults at run time."""
        with self._lock:
            self.faults.update(values)
            self._gate.wake()

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """Count one AWS call from its arrival to its answer (or to its connection's end)."""
        with self._lock:
            self.stats.call_times.append(self.clock.now())
            self.stats.calls_in_flight += 1
            self.stats.calls_in_flight_peak = max(self.stats.calls_in_flight_peak, self.stats.calls_in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.stats.calls_in_flight -= 1

    def hold_if_hung(self, connection: socket.socket, stopping: Callable[[], bool]) -> bool:
        """Block while the hang fault is set; return True if the call was held (close it unanswered)."""
        return self._gate.hold(connection, lambda: self.faults.hang, stopping, self.stats)

    def wake_hung(self) -> None:
        """Wake held calls so they re-check the fault (used when the server stops)."""
        with self._lock:
            self._gate.wake()

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate

    def batch_meter_usage(self, body: Mapping[str, Any], size: int) -> dict[str, Any]:
        """Apply one BatchMeterUsage call; raise ApiError or DropConnection as AWS would fail."""
        with self._lock:
            self.stats.calls += 1
            self._inject_call_faults()
            try:
                records = self._validate_call(body, size)
            except ApiError:
                self.stats.rejected_calls += 1
                raise
            self.stats.records_received += len(records)
            self.stats.largest_call = max(self.stats.largest_call, len(records))
            product = str(body.get("ProductCode") or "")
            if not product:
                self.stats.calls_without_product += 1
            self.stats.products_seen.append(product)
            results: list[dict[str, Any]] = []
            unprocessed: list[dict[str, Any]] = []
            for record in records:
                if self._roll(self.faults.unprocessed_rate):
                    self.stats.unprocessed += 1
                    unprocessed.append(record)
                    continue
                results.append(self._meter(product, record))
            if self._roll(self.faults.drop_rate):
                self.stats.dropped += 1
                raise DropConnection()
            if self.faults.garble_echo_next > 0:
                self.faults.garble_echo_next -= 1
                for result in results:
                    echoed = dict(result["UsageRecord"])
                    echoed["Dimension"] = f"{echoed.get('Dimension', '')}-garbled"
                    result["UsageRecord"] = echoed
            return {"Results": results, "UnprocessedRecords": unprocessed}

    def _inject_call_faults(self) -> None:
        if self.faults.disabled:
            raise ApiError("DisabledApiException", "The API is disabled in this region.")
        if self.faults.outage or self._roll(self.faults.error_rate):
            self.stats.errors += 1
            raise ApiError("InternalServiceErrorException", "injected service error", 500)
        if self.faults.throttle_next > 0 or self._roll(self.faults.throttle_rate):
            self.faults.throttle_next = max(0, self.faults.throttle_next - 1)
            self.stats.throttled += 1
            raise ApiError("ThrottlingException", "Rate exceeded")

    def _validate_call(self, body: Mapping[str, Any], size: int) -> list[dict[str, Any]]:
        if size >= MAX_BODY_BYTES:
            raise ApiError("ValidationException", f"request of {size} bytes is over the 1 MB limit")
        records = body.get("UsageRecords")
        if not isinstance(records, list) or not records:
            raise ApiError("ValidationException", "UsageRecords must be a non-empty list")
        if len(records) > MAX_RECORDS:
            raise ApiError(
                "ValidationException", f"at most {MAX_RECORDS} UsageRecords per call, got {len(records)}"
            )
        product = body.get("ProductCode")
        if product:
            if self.settings.products is not None and product not in self.settings.products:
                raise ApiError("InvalidProductCodeException", f"product code {product!r} is not known")
        elif not all(isinstance(r, dict) and r.get("LicenseArn") for r in records):
            raise ApiError("ValidationException", "ProductCode is required for records without LicenseArn")
        now = self.clock.now()
        for record in records:
            self._validate_record(record, now)
            customer = str(record.get("CustomerAWSAccountId") or record.get("CustomerIdentifier"))
            if customer in self.faults.poison:
                raise ApiError(self.faults.poison[customer], f"injected: record of {customer} is refused")
        return records

    def _validate_record(self, record: Any, now: float) -> None:
        if not isinstance(record, dict):
            raise ApiError("ValidationException", "a UsageRecord must be an object")
        stamp = record.get("Timestamp")
        if not isinstance(stamp, int | float):
            raise ApiError("ValidationException", "Timestamp is required")
        if (
            stamp <= now - self.settings.max_age_seconds
            or stamp > now + self.settings.future_tolerance_seconds
        ):
            raise ApiError(
                "TimestampOutOfBoundsException", f"timestamp {stamp} is outside the accepted range"
            )
        dimension = record.get("Dimension")
        if not isinstance(dimension, str) or not 1 <= len(dimension) <= 255:
            raise ApiError("ValidationException", "Dimension must be 1-255 characters")
        if self.settings.dimensions is not None and dimension not in self.settings.dimensions:
            raise ApiError("InvalidUsageDimensionException", f"dimension {dimension!r} is not known")
        quantity = record.get("Quantity", 0)
        if not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
            raise ApiError("ValidationException", "Quantity must be 0..2147483647")
        has_account = bool(record.get("CustomerAWSAccountId"))
        has_identifier = bool(record.get("CustomerIdentifier"))
        if has_account == has_identifier:
            raise ApiError(
                "InvalidCustomerIdentifierException",
                "exactly one of CustomerIdentifier or CustomerAWSAccountId is required",
            )
        if has_account and not str(record["CustomerAWSAccountId"]).isdigit():
            raise ApiError("InvalidCustomerIdentifierException", "CustomerAWSAccountId must be digits")
        license_arn = record.get("LicenseArn")
        if license_arn is not None and not LICENSE_ARN.match(str(license_arn)):
            raise ApiError("InvalidLicenseException", f"license {license_arn!r} is not valid")
        if "UsageAllocations" in record:
            self._validate_allocations(record["UsageAllocations"], quantity)

    @staticmethod
    def _validate_allocations(allocations: Any, quantity: int) -> None:
        if not isinstance(allocations, list) or not 1 <= len(allocations) <= 2500:
            raise ApiError("InvalidUsageAllocationsException", "1..2500 UsageAllocations are allowed")
        total = 0
        keys: set[str] = set()
        tag_sets: set[str] = set()
        for allocation in allocations:
            amount = allocation.get("AllocatedUsageQuantity")
            if not isinstance(amount, int) or not 0 <= amount <= MAX_QUANTITY:
                raise ApiError(
                    "InvalidUsageAllocationsException", "AllocatedUsageQuantity must be 0..2147483647"
                )
            total += amount
            tags = allocation.get("Tags")
            if tags is None:
                tag_key = ""
            else:
                if not isinstance(tags, list) or not 1 <= len(tags) <= 5:
                    raise ApiError("InvalidTagException", "1..5 tags per allocation")
                for tag in tags:
                    key, value = str(tag.get("Key", "")), str(tag.get("Value", ""))
                    if not (1 <= len(key) <= 100 and TAG_TEXT.match(key)):
                        raise ApiError("InvalidTagException", f"tag key {key!r} is not valid")
                    if not (1 <= len(value) <= 256 and TAG_TEXT.match(value)):
                        raise ApiError("InvalidTagException", f"tag value {value!r} is not valid")
                    keys.add(key)
                tag_key = json.dumps(sorted((t["Key"], t["Value"]) for t in tags))
            if tag_key in tag_sets:
                raise ApiError("InvalidUsageAllocationsException", "two allocations have the same tag set")
            tag_sets.add(tag_key)
        if len(keys) > 5:
            raise ApiError("InvalidTagException", f"at most 5 distinct tag keys per record, got {len(keys)}")
        if total != quantity:
            raise ApiError(
                "InvalidUsageAllocationsException", f"allocations sum to {total}, but Quantity is {quantity}"
            )

    def _meter(self, product: str, record: dict[str, Any]) -> dict[str, Any]:
        customer_field = (
            "CustomerAWSAccountId" if record.get("CustomerAWSAccountId") else "CustomerIdentifier"
        )
        customer = str(record[customer_field])
        subscribed = self.settings.subscribed
        if subscribed is not None and customer not in subscribed:
            self.stats.not_subscribed += 1
            return {"UsageRecord": record, "Status": "CustomerNotSubscribed"}
        license_arn = str(record.get("LicenseArn") or "")
        slot = (license_arn or product, f"{customer_field}={customer}", str(record["Dimension"]),
                int(record["Timestamp"] // self.settings.dedup_seconds))  # fmt: skip
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"))
        existing = self._slots.get(slot)
        if existing is not None:
            if existing.canonical == canonical:
                self.stats.identical_repeats += 1
                return {
                    "UsageRecord": record,
                    "Status": "Success",
                    "MeteringRecordId": existing.metering_record_id,
                }
            self.stats.duplicate_records += 1
            return {"UsageRecord": record, "Status": "DuplicateRecord"}
        billed = BilledRecord(
            metering_record_id=str(uuid.UUID(int=self._random.getrandbits(128), version=4)),
            product_code=product,
            license_arn=license_arn,
            customer_field=customer_field,
            customer=customer,
            dimension=str(record["Dimension"]),
            quantity=int(record.get("Quantity", 0)),
            timestamp=float(record["Timestamp"]),
            allocations=record.get("UsageAllocations"),
            canonical=canonical,
        )
        self._slots[slot] = billed
        self.stats.success += 1
        return {"UsageRecord": record, "Status": "Success", "MeteringRecordId": billed.metering_record_id}
