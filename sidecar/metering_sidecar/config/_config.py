"""Configuration: one frozen dataclass built from flags and an env mapping that is passed in.

Every field is a ``serve`` flag ``--field-name``, an env var ``METERING_SIDECAR_FIELD_NAME`` and a key
``field-name`` of the TOML file that ``--config`` names; a flag wins over the env var, the env var over the
file, and the file over the default. Bad values raise ConfigError naming the
flag or env var and what was expected, so a typo never starts a sidecar with a surprising setting.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass

from metering_sidecar.config._parsers import (
    _bool,
    _choice,
    _float,
    _int,
    _positive,
    _setting,
    _str,
    _tag_keys,
    _url,
    parse_ship_from,
)

# --help lists the flags in these groups, in this order.
API, STORAGE, WINDOWS, AWS, AZURE, CLUSTER, OPERATIONS = (
    "API", "storage", "windows and shipping", "AWS", "Azure", "cluster", "operations"
)  # fmt: skip
SECTIONS = (API, STORAGE, WINDOWS, AWS, AZURE, CLUSTER, OPERATIONS)
AZURE_MARKETPLACE_API = "https://marketplaceapi.microsoft.com/api"
AZURE_AUTHORITY_HOST = "https://login.microsoftonline.com"
STANDARD_WINDOW_SECONDS = 3600
# What the AKS workload identity webhook sets in the pod: all three turn Azure on without any flag.
WORKLOAD_IDENTITY_ENV = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE")


@dataclass(frozen=True)
class Config:
    """Everything ``serve`` needs; built once at start-up and never changed."""

    listen: str = _setting(
        "127.0.0.1:50051", _str, "gRPC API address: host:port or unix:///path", section=API
    )
    """Where the API listens. Loopback by default: the application shares the pod's network."""

    db: str = _setting(
        "metering-sidecar.db", _str, "SQLite database file (keep it on a volume)", section=STORAGE
    )
    """The database file; its WAL and journal live beside it."""

    product_code: str = _setting(
        "", _str, "default AWS Marketplace product code for events without one", section=API
    )
    """Used for events that carry neither product_code nor license_arn."""

    window_seconds: int = _setting(
        STANDARD_WINDOW_SECONDS, _int(1), "aggregation window (3600 for AWS)", section=WINDOWS
    )
    """Length of a metering window. Only a custom metering endpoint may use anything but 3600."""

    close_delay_seconds: float = _setting(
        60.0, _float(0), "wait after a window ends before sealing it", section=WINDOWS
    )
    """Grace for late events; a window is sealed at its end plus this delay."""

    flush_interval_seconds: float = _setting(
        10.0, _float(0.01), "time between sealing/shipping passes", section=WINDOWS
    )
    """How often the flusher wakes."""

    max_record_age_seconds: int = _setting(
        6 * 3600, _int(60), "oldest usage AWS accepts (6 h; some docs say 24 h)", section=WINDOWS
    )
    """AWS refuses records this old; events older than this are refused at ingest."""

    expiry_margin_seconds: int = _setting(
        900, _int(0), "dead-letter a record this long before AWS would refuse it", section=WINDOWS
    )
    """Safety margin before the maximum age."""

    max_backoff_seconds: float = _setting(
        60.0, _float(0), "cap on the retry delay of one record", section=WINDOWS
    )
    """Record-level exponential backoff never waits longer than this."""

    ship_concurrency: int = _setting(
        4, _int(1, 64), "shipping calls a pass keeps in flight at once, per marketplace", section=WINDOWS
    )
    """A backlog ships this many calls side by side to each marketplace; each call's records are disjoint from
    the others'."""

    ship_rate_per_second: float = _setting(
        10.0,
        _positive,
        "most shipping calls started in any second, per marketplace (AWS's quota: 10 per account and region)",
        section=WINDOWS,
    )
    """The shipper's own pace, each marketplace's on its own; a marketplace's throttling answers slow its
    pace down further for a while. Sidecars that share an AWS account and region share AWS's quota: give
    each its part."""

    id_retention_days: float = _setting(
        7.0, _float(0), "how long event ids are remembered for dedup", section=STORAGE
    )
    """Billed events are pruned once this has passed; until then a repeated id is a duplicate."""

    audit_retention_days: float = _setting(
        90.0, _float(0), "how long billed records are kept for audit", section=STORAGE
    )
    """Compact per-record audit rows (with the MeteringRecordId) live this long."""

    allocation_tag_keys: tuple[str, ...] = _setting(
        (), _tag_keys, "comma-separated allow-list of tag keys", section=API
    )
    """When set, tags with other keys are refused at ingest (at most 5 keys)."""

    max_pending_events: int = _setting(
        5_000_000, _int(1), "buffer cap: refuse ingest beyond this many", section=STORAGE
    )
    """Unshipped events allowed on disk before ingest answers RESOURCE_EXHAUSTED."""

    max_db_bytes: int = _setting(
        0, _int(0), "cap on the database size in bytes (0: the disk's size)", section=STORAGE
    )
    """A disk budget enforced by SQLite's max_page_count; past it ingest answers RESOURCE_EXHAUSTED."""

    commit_delay_seconds: float = _setting(
        0.003,
        _float(0, 0.1),
        "with many callers at once, wait up to this long after a commit so more share the next (0: off)",
        section=STORAGE,
    )
    """Engaged only while commits are shared by 9 or more callers; docs/runbook.md says what it trades."""

    max_message_bytes: int = _setting(
        4 * 1024 * 1024, _int(1024), "largest gRPC request accepted", section=API
    )
    """Larger requests get RESOURCE_EXHAUSTED from gRPC itself."""

    metering_endpoint_url: str = _setting(
        "", _str, "custom AWS Marketplace Metering endpoint (emulator)", section=AWS
    )
    """Overrides the SDK's endpoint; AWS_ENDPOINT_URL_MARKETPLACE_METERING does the same."""

    entitlement_endpoint_url: str = _setting(
        "", _str, "custom AWS Marketplace Entitlement endpoint (emulator)", section=AWS
    )
    """Overrides the SDK's endpoint; AWS_ENDPOINT_URL_MARKETPLACE_ENTITLEMENT_SERVICE does the same."""

    entitlement_ttl_seconds: float = _setting(
        60.0, _float(0), "how long a GetEntitlements answer is fresh", section=AWS
    )
    """Queries within this time of the last answer are served from the cache."""

    entitlement_max_stale_seconds: float = _setting(
        3600.0, _float(0), "serve a cached answer this long while AWS fails", section=AWS
    )
    """Past this, a failing GetEntitlements answers UNAVAILABLE instead of an old answer."""

    cluster_postgres_dsn: str = _setting(
        "", _str, "PostgreSQL DSN: turns cluster mode on (several replicas)", section=CLUSTER
    )
    """Cluster mode: sealed per-instance totals go to this shared ledger and one elected instance ships the
    sums. Never logged (it may hold a password)."""

    instance_id: str = _setting(
        "", _str, "this instance's stable id in cluster mode (default: pod name or hostname)", section=CLUSTER
    )
    """Must be stable across restarts on the same disk, and unique in the cluster."""

    cluster_member_timeout_seconds: float = _setting(
        60.0, _float(1), "a member without heartbeat this long is gone", section=CLUSTER
    )
    """The shipper stops waiting for a member's hand-over once its heartbeat is this old, and the shipper's
    lease lapses after this long without renewal. Both are renewed a few times per member timeout, apart
    from the passes; it must comfortably exceed --aws-call-deadline-seconds (at least 1.5 times), and
    --azure-call-deadline-seconds when Azure is on."""

    cluster_close_deadline_seconds: float = _setting(
        1800.0, _float(0), "close a window this long after it ends anyway", section=CLUSTER
    )
    """A window is shipped when every live member handed it over, or this long after it ended."""

    cluster_call_timeout_seconds: float = _setting(
        10.0, _float(0.5), "total deadline of one PostgreSQL call in cluster mode", section=CLUSTER
    )
    """Also the statement timeout (half of it the lock timeout): an unanswering PostgreSQL fails a call
    within this, so it never hangs a pass."""

    region: str = _setting("", _str, "AWS region (default: the SDK chain, else us-east-1)", section=AWS)
    """Region of the metering client."""

    aws_max_attempts: int = _setting(3, _int(1, 10), "botocore transport attempts per AWS call", section=AWS)
    """Transport-level retries inside one shipping attempt; record-level retries come on top."""

    aws_timeout_seconds: float = _setting(
        10.0, _float(0.1), "connect and read timeout of AWS calls", section=AWS
    )
    """A call that takes longer is retried later with the identical records."""

    aws_call_deadline_seconds: float = _setting(
        30.0, _float(0.1), "total time for one AWS call, botocore's own retries included", section=AWS
    )
    """Past it the call counts as failed (retried later with the identical records; ResolveCustomer answers
    that its outcome is unknown), and botocore sends no further attempt of it."""

    aws_max_calls_in_flight: int = _setting(
        16,
        _int(1, 1024),
        "AWS calls waiting for an answer at once; more fail fast and are retried",
        section=AWS,
    )
    """Calls to a hung endpoint hold a thread until their socket times out, even past the deadline; this
    bounds them."""

    emulator: bool = _setting(
        False, _bool, "start the embedded AWS and Azure emulator and ship to it", flag_only=True, section=AWS
    )
    """For local development: ships to an in-process emulator instead of AWS and Azure."""

    azure_metering_endpoint_url: str = _setting(
        "",
        _url("https", "http"),
        f"Azure metering API base URL (default {AZURE_MARKETPLACE_API}); http only on loopback",
        section=AZURE,
    )
    """Where batchUsageEvent is sent; the emulator's URL in development. Plain http is refused for any host
    but this machine's (127.0.0.0/8, ::1, localhost): every call carries the Entra ID bearer token."""

    azure_fulfillment_endpoint_url: str = _setting(
        "", _url("https", "http"),
        f"Azure SaaS fulfillment API base URL (default {AZURE_MARKETPLACE_API}); http only on loopback",
        section=AZURE,
    )  # fmt: skip
    """Where subscriptions are resolved, activated and read; http only on loopback, as for metering."""

    azure_authority_host: str = _setting(
        "", _url("https"), f"Microsoft Entra ID authority (default {AZURE_AUTHORITY_HOST}); https only",
        section=AZURE,
    )  # fmt: skip
    """The token endpoint's host; a sovereign cloud's, or the emulator's (over TLS) in development."""

    azure_tenant_id: str = _setting(
        "", _str, "the Entra tenant of the app registered on the offer: turns Azure on", section=AZURE
    )
    """With --azure-client-id, Azure Marketplace is on. Workload identity's AZURE_TENANT_ID also serves; its
    three variables (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE) alone turn Azure on too."""

    azure_client_id: str = _setting(
        "", _str, "the Entra app (client) id registered on the offer's technical configuration", section=AZURE
    )
    """Workload identity's AZURE_CLIENT_ID also serves."""

    azure_client_secret_file: str = _setting(
        "", _str, "file holding the Entra app's client secret (else certificate or workload identity)",
        section=AZURE,
    )  # fmt: skip
    """Read at start; never logged. Without it, --azure-client-certificate-file, then workload identity
    (AZURE_FEDERATED_TOKEN_FILE, set by AKS) is used."""

    azure_client_certificate_file: str = _setting(
        "", _str, "PEM file with the Entra app's certificate and private key", section=AZURE
    )
    """An alternative to the client secret."""

    azure_ca_file: str = _setting(
        "", _str, "PEM CA bundle: added to the system's CAs for the marketplace APIs, but the only CAs "
        "Entra ID's token endpoint is then checked against (include the public roots it needs)", section=AZURE,
    )  # fmt: skip
    """For a TLS-inspecting proxy, or the emulator's token endpoint in development. The marketplace APIs trust
    the system's store plus this file. azure-identity takes it as ``connection_verify``, which replaces its
    trust (certifi's bundle, or REQUESTS_CA_BUNDLE) for the token endpoint: only this file's CAs are trusted
    there."""

    azure_timeout_seconds: float = _setting(
        10.0, _float(0.1), "connect and read timeout of Azure calls", section=AZURE
    )
    """A call that takes longer is retried later with the identical events."""

    azure_call_deadline_seconds: float = _setting(
        30.0, _float(0.1), "total time for one Azure call, the token and a retry after a 403 included",
        section=AZURE,
    )  # fmt: skip
    """Past it the call counts as failed and is retried later with the identical events."""

    azure_max_calls_in_flight: int = _setting(
        16, _int(1, 1024), "Azure calls waiting for an answer at once; more fail fast and are retried",
        section=AZURE,
    )  # fmt: skip
    """Bounds the threads a hung Azure endpoint can hold."""

    log_level: str = _setting(
        "info",
        _choice("debug", "info", "warning", "error"),
        "debug, info, warning or error",
        section=OPERATIONS,
    )
    """Minimum level of log lines."""

    log_format: str = _setting(
        "json", _choice("json", "text"), "log line format: json or text", section=OPERATIONS
    )
    """JSON lines for log collectors, text for people."""

    health_listen: str = _setting(
        "0.0.0.0:50052", _str, "gRPC health port for kubelet probes ('' turns it off)", section=OPERATIONS
    )
    """Serves only grpc.health.v1, on the pod IP, so probes reach it while the API stays on loopback."""

    metrics_listen: str = _setting(
        "0.0.0.0:9464", _str, "HTTP port for /metrics and /healthz/* ('' turns it off)", section=OPERATIONS
    )
    """Prometheus metrics and HTTP liveness/readiness."""

    shutdown_delay_seconds: float = _setting(
        0.0, _float(0), "keep serving this long after SIGTERM", section=OPERATIONS
    )
    """For clusters without native sidecars, where the application gets SIGTERM at the same moment."""

    shutdown_grace_seconds: float = _setting(
        20.0, _float(0), "time for in-flight RPCs and the final shipment", section=OPERATIONS
    )
    """Bounds the whole drain after the delay; keep terminationGracePeriodSeconds above delay plus grace."""

    api_token_file: str = _setting(
        "", _str, "file holding a bearer token every API call must carry", section=API
    )
    """When set, API calls without `authorization: Bearer <token>` get UNAUTHENTICATED (health is exempt)."""

    ship_from: float = _setting(
        0.0, parse_ship_from, "record usage before this time but never ship it (migration)", section=WINDOWS
    )
    """Windows starting before this are sealed as 'skipped', so an hour billed by a previous integration is
    never billed twice."""

    def custom_endpoint(self, env: Mapping[str, str]) -> str:
        """Return the metering endpoint that overrides AWS's, or an empty string."""
        return (
            self.metering_endpoint_url
            or env.get("AWS_ENDPOINT_URL_MARKETPLACE_METERING", "")
            or env.get("AWS_ENDPOINT_URL", "")
        )

    def resolved_instance_id(self, env: Mapping[str, str]) -> str:
        """Return --instance-id, else the pod name, else the hostname."""
        return self.instance_id or env.get("POD_NAME", "") or env.get("HOSTNAME", "") or socket.gethostname()

    def entitlement_endpoint(self, env: Mapping[str, str]) -> str:
        """Return the entitlement endpoint that overrides AWS's, or an empty string."""
        return (
            self.entitlement_endpoint_url
            or env.get("AWS_ENDPOINT_URL_MARKETPLACE_ENTITLEMENT_SERVICE", "")
            or env.get("AWS_ENDPOINT_URL", "")
        )

    def azure_identity(self, env: Mapping[str, str]) -> tuple[str, str]:
        """Return (client id, tenant id) of the Entra app: the flags, else workload identity's env vars."""
        return (
            self.azure_client_id or env.get("AZURE_CLIENT_ID", ""),
            self.azure_tenant_id or env.get("AZURE_TENANT_ID", ""),
        )

    def azure_enabled(self, env: Mapping[str, str]) -> bool:
        """Return whether Azure Marketplace is on: with --emulator, with any of the Azure identity flags (the
        checks then want the whole identity), or with all three of workload identity's variables."""
        flags = (self.azure_client_id, self.azure_tenant_id, self.azure_client_secret_file,
                 self.azure_client_certificate_file)  # fmt: skip
        return self.emulator or any(flags) or all(env.get(name) for name in WORKLOAD_IDENTITY_ENV)

    @property
    def max_record_age(self) -> float:
        """Return the maximum age as a float of seconds."""
        return float(self.max_record_age_seconds)
