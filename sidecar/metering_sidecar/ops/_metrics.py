"""Prometheus metrics (prometheus-client), every name prefixed ``metering_sidecar_``.

Each Sidecar has its own registry, so several can live in one process (tests) without clashing.
Counters move as things happen; gauges that need the database are refreshed by every flusher pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from metering_sidecar.core import Outcome, PassResult, RecordOutcome, Status
from metering_sidecar.store import MarketplaceCounts
from metering_sidecar.targets import default_targets

PREFIX = "metering_sidecar_"
# Dead-letter reasons meaning "the marketplace holds another record for this key and hour".
_CONFLICT_REASONS = default_targets().conflict_reasons
# *_created series double the exposition and no dashboard or alert here uses them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus-client
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The sidecar's metrics and the hooks that feed them."""

    def __init__(self, max_record_age: float, *, cluster: bool = False) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events_received = Counter(
            PREFIX + "events_received", "Usage events received, by result.", ["result"], registry=r
        )
        self.ingest_latency = Histogram(
            PREFIX + "ingest_latency_seconds", "Time from request to durable acknowledgement.",
            ["rpc"], buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.ingest_commits = Counter(
            PREFIX + "ingest_commits", "Commits of acknowledged usage (calls arriving together share one).",
            registry=r,
        )  # fmt: skip
        self.ingest_delayed_commits = Counter(
            PREFIX + "ingest_delayed_commits",
            "Commits the commit delay held back so more calls share them (--commit-delay-seconds).",
            registry=r,
        )
        self._commits_seen = (0, 0)
        self.pending_events = Gauge(
            PREFIX + "pending_events", "Acknowledged events neither billed nor dead-lettered.", registry=r
        )
        self.oldest_pending_age = Gauge(
            PREFIX + "oldest_pending_event_age_seconds",
            "Age of the oldest pending event (0 when none).",
            registry=r,
        )
        self.max_record_age = Gauge(
            PREFIX + "max_record_age_seconds",
            "The maximum record age AWS accepts, as configured.",
            registry=r,
        )
        self.max_record_age.set(max_record_age)
        self.records = Gauge(PREFIX + "records", "Stored records by state.", ["state"], registry=r)
        self.dead_letters = Counter(
            PREFIX + "dead_letters", "Records dead-lettered, by reason.", ["reason"], registry=r
        )
        self.duplicate_records = Counter(
            PREFIX + "duplicate_records",
            "Duplicate answers (AWS DuplicateRecord, Azure Duplicate not ours): usage the marketplace did not bill "
            "because another record holds the hour.",
            registry=r,
        )
        self.rolled_forward = Gauge(
            PREFIX + "rolled_forward_events", "Events that arrived for a sealed window and rolled forward.",
            registry=r,
        )  # fmt: skip
        self.folded_tag_sets = Counter(
            PREFIX + "folded_tag_sets",
            "Tag sets folded into the untagged allocation by AWS's limits.",
            registry=r,
        )
        self.aws_calls = Counter(
            PREFIX + "aws_calls", "AWS calls, by operation and outcome.", ["operation", "outcome"], registry=r
        )
        self.aws_call_duration = Histogram(
            PREFIX + "aws_call_duration_seconds",
            "AWS call duration, by operation.",
            ["operation"],
            registry=r,
        )
        self.azure_calls = Counter(
            PREFIX + "azure_calls",
            "Azure Marketplace calls, by operation and outcome.",
            ["operation", "outcome"],
            registry=r,
        )
        self.azure_call_duration = Histogram(
            PREFIX + "azure_call_duration_seconds",
            "Azure Marketplace call duration, by operation.",
            ["operation"],
            registry=r,
        )
        self.last_shipment = Gauge(
            PREFIX + "last_successful_shipment_timestamp_seconds",
            "Unix time when AWS last confirmed a record (0 when never).",
            registry=r,
        )
        self.shipping_disabled = Gauge(
            PREFIX + "shipping_disabled", "1 while AWS answers DisabledApiException.", registry=r
        )
        # The same signals per marketplace (the series above, unlabelled, stay as alerts and dashboards use
        # them): while AWS ships, an Azure that refuses calls or bills nothing shows here.
        self.marketplace_shipping_disabled = Gauge(
            PREFIX + "marketplace_shipping_disabled",
            "1 while this marketplace refuses calls (AWS DisabledApiException, Azure 403 after a new token).",
            ["marketplace"], registry=r,
        )  # fmt: skip
        self.marketplace_last_shipment = Gauge(
            PREFIX + "marketplace_last_successful_shipment_timestamp_seconds",
            "Unix time when this marketplace last confirmed a record (0 when not in the day before start).",
            ["marketplace"], registry=r,
        )  # fmt: skip
        self.marketplace_pending_records = Gauge(
            PREFIX + "marketplace_pending_records",
            "Records of this marketplace not billed yet (pending, or handed over in cluster mode).",
            ["marketplace"], registry=r,
        )  # fmt: skip
        self.open_dead_letters = Gauge(
            PREFIX + "open_dead_letters",
            "Dead letters not discarded yet, by marketplace and reason.",
            ["marketplace", "reason"], registry=r,
        )  # fmt: skip
        self.serving = Gauge(
            PREFIX + "serving", "1 while the sidecar can take usage (readiness).", registry=r
        )
        self.flush_passes = Counter(PREFIX + "flush_passes", "Sealing and shipping passes.", registry=r)
        self.flush_pass_failures = Counter(
            PREFIX + "flush_pass_failures",
            "Flusher passes that raised, by loop and error type (the loop goes on, with backoff).",
            ["loop", "error_type"], registry=r,
        )  # fmt: skip
        self.unmatched_results = Counter(
            PREFIX + "unmatched_results",
            "Per-record results from the marketplace that match no record sent (retried, and logged).",
            registry=r,
        )
        # Cluster mode's gauges exist only in cluster mode, so an alert on them never sees a single-mode 0.
        self.cluster = cluster
        if cluster:
            self.cluster_postgres_up = Gauge(
                PREFIX + "cluster_postgres_up", "Cluster mode: 1 while the shared ledger answers.", registry=r
            )
            self.cluster_backlog = Gauge(
                PREFIX + "cluster_handover_backlog_records",
                "Cluster mode: sealed records not yet handed over.",
                registry=r,
            )
            self.cluster_leader = Gauge(
                PREFIX + "cluster_shipper",
                "Cluster mode: 1 while this instance is the elected shipper.",
                registry=r,
            )
            self.cluster_conflicts = Gauge(
                PREFIX + "cluster_handover_conflicts",
                "Cluster mode: contributions whose ledger row holds other content (an alarm).",
                registry=r,
            )
        for state in ("pending", "billed", "dead", "skipped"):
            self.records.labels(state)
        # Children are looked up once: ingest counts every call.
        self._received = {
            outcome: self.events_received.labels(outcome)
            for outcome in ("accepted", "duplicate", "invalid", "conflict", "exhausted", "unavailable")
        }
        self._latency = {rpc: self.ingest_latency.labels(rpc) for rpc in ("RecordUsage", "RecordUsageBatch")}

    def observe_ingest(self, rpc: str, result: str, events: int, seconds: float) -> None:
        """Count ingested events by result, and the time to a durable answer."""
        self._received[result].inc(events)
        if seconds:
            self._latency[rpc].observe(seconds)

    def observe_call(self, operation: str, outcome: str, seconds: float) -> None:
        """Count one AWS call."""
        self.aws_calls.labels(operation, outcome).inc()
        self.aws_call_duration.labels(operation).observe(seconds)

    def observe_azure_call(self, operation: str, outcome: str, seconds: float) -> None:
        """Count one Azure Marketplace call."""
        self.azure_calls.labels(operation, outcome).inc()
        self.azure_call_duration.labels(operation).observe(seconds)

    def observe_outcome(self, outcome: RecordOutcome) -> None:
        """Count a dead letter by reason."""
        if outcome.outcome is Outcome.DEAD:
            self.dead_letters.labels(outcome.reason).inc()
            if outcome.reason in _CONFLICT_REASONS:
                self.duplicate_records.inc()

    def observe_pass_failure(self, loop: str, error: BaseException) -> None:
        """Count a flusher pass that raised."""
        self.flush_pass_failures.labels(loop, type(error).__name__).inc()

    def observe_unmatched(self) -> None:
        """Count a marketplace result that matches no record sent."""
        self.unmatched_results.inc()

    def observe_pass(self, result: PassResult) -> None:
        """Count a flusher pass."""
        self.flush_passes.inc()

    def observe_commits(self, commits: int, delayed: int) -> None:
        """Bring the commit counters up to ingest's own (read after each flusher pass)."""
        seen_commits, seen_delayed = self._commits_seen
        self.ingest_commits.inc(max(0, commits - seen_commits))
        self.ingest_delayed_commits.inc(max(0, delayed - seen_delayed))
        self._commits_seen = (max(commits, seen_commits), max(delayed, seen_delayed))

    def observe_status(self, status: Status, now: float, shipping_disabled: bool) -> None:
        """Refresh the gauges that come from the database."""
        self.pending_events.set(status.pending_events)
        oldest = status.oldest_pending_event
        self.oldest_pending_age.set(max(0.0, now - oldest) if oldest is not None else 0.0)
        self.records.labels("pending").set(status.pending_records)
        self.records.labels("billed").set(status.billed_records)
        self.records.labels("dead").set(status.dead_letter_records)
        self.records.labels("skipped").set(status.skipped_records)
        self.rolled_forward.set(status.rolled_forward_events)
        self.last_shipment.set(status.last_shipment or 0.0)
        self.shipping_disabled.set(1 if shipping_disabled else 0)

    def observe_marketplaces(
        self, marketplaces: Iterable[str], counts: MarketplaceCounts, stopped: Mapping[str, str]
    ) -> None:
        """Refresh the per-marketplace gauges: ``marketplaces`` are those configured (shown even when idle),
        ``stopped`` the shipper's reasons by marketplace."""
        for marketplace in {*marketplaces, *counts.last_billed, *counts.unbilled_records, *stopped}:
            self.marketplace_shipping_disabled.labels(marketplace).set(1 if stopped.get(marketplace) else 0)
            self.marketplace_last_shipment.labels(marketplace).set(counts.last_billed.get(marketplace, 0.0))
            self.marketplace_pending_records.labels(marketplace).set(
                counts.unbilled_records.get(marketplace, 0)
            )
        self.open_dead_letters.clear()  # a reason whose dead letters were all discarded or retried goes
        for (marketplace, reason), count in counts.open_dead_letters.items():
            self.open_dead_letters.labels(marketplace, reason).set(count)

    def observe_cluster(self, *, postgres_up: bool, backlog: int, leader: bool, conflicts: int) -> None:
        """Refresh the cluster-mode gauges."""
        if not self.cluster:
            return
        self.cluster_postgres_up.set(1 if postgres_up else 0)
        self.cluster_backlog.set(backlog)
        self.cluster_leader.set(1 if leader else 0)
        self.cluster_conflicts.set(conflicts)

    def render(self) -> bytes:
        """Return the text exposition format."""
        return generate_latest(self.registry)
