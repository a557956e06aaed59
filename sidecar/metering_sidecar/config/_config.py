"""Configuration: one frozen dataclass built from flags and an env mapping that is passed in.

Every field is a ``serve`` flag ``--field-name``, an env var ``METERING_SIDECAR_FIELD_NAME`` and a key
``field-name`` of the TOML file that ``--config`` names; a flag wins over the env var, the env var over the
file, and the file over the default. Bad values raise ConfigError naming the
flag or env var and what was expected, so a typo never starts a sidecar with a surprising setting.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import difflib
import re
import socket
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metering_sidecar.core import ConfigError

ENV_PREFIX = "METERING_SIDECAR_"
CONFIG_ENV = ENV_PREFIX + "CONFIG"
# METERING_SIDECAR_* names that are not settings but are ours: the config file, the crash points of the
# reliability tests, the soak switch and tools cache of the test suite, and the address the application's
# container is given (an envFrom shared by both containers must not stop the sidecar).
OTHER_ENV = frozenset(ENV_PREFIX + n for n in ("CONFIG", "CRASH_AT", "SOAK", "TOOLS", "ADDRESS"))
# Kubernetes injects these for a Service named metering-sidecar (or metering-sidecar-*) into every pod of
# the namespace unless enableServiceLinks is false; they are not ours, so they are ignored, not refused.
_SERVICE_LINK = re.compile(
    r"_SERVICE_HOST$|_SERVICE_PORT(_\w+)?$|_PORT_\d+_(TCP|UDP|SCTP)(_ADDR|_PORT|_PROTO)?$"
)
_SERVICE_LINK_URL = re.compile(r"^(tcp|udp|sctp)://")
# --help lists the flags in these groups, in this order.
API, STORAGE, WINDOWS, AWS, AZURE, CLUSTER, OPERATIONS = (
    "API", "storage", "windows and shipping", "AWS", "Azure", "cluster", "operations"
)  # fmt: skip
SECTIONS = (API, STORAGE, WINDOWS, AWS, AZURE, CLUSTER, OPERATIONS)
AZURE_MARKETPLACE_API = "https://marketplaceapi.microsoft.com/api"
AZURE_AUTHORITY_HOST = "https://login.microsoftonline.com"
STANDARD_WINDOW_SECONDS = 3600
_TAG_KEY = re.compile(r"^[a-zA-Z0-9+ -=._:\/@]{1,100}$")


def _int(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be {bound}, got {value}")
        return value

    return parse


def _float(low: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        if not value >= low:  # also refuses NaN
            raise ValueError(f"must be at least {low}, got {text}")
        return value

    return parse


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):  # also refuses NaN
        raise ValueError(f"must be a number above 0, got {text}")
    return value


def _str(text: str) -> str:
    return text.strip()


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().rstrip("/")
        if value and not value.startswith(tuple(f"{scheme}://" for scheme in schemes)):
            raise ValueError(f"expected a {' or '.join(schemes)} URL such as https://host/path, got {text!r}")
        return value

    return parse


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def parse_time(text: str) -> float:
    """Parse an ISO 8601 time (UTC unless it says otherwise) or epoch seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 time such as 2026-11-27T10:00:00Z or epoch seconds, got {text!r}"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def _choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {text!r}")
        return value

    return parse


def _tag_keys(text: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    if len(keys) > 5:
        raise ValueError(f"AWS allows at most 5 allocation tag keys per record, got {len(keys)}")
    for key in keys:
        if not _TAG_KEY.match(key):
            raise ValueError(f"tag key {key!r} must be 1-100 characters matching AWS's tag pattern")
    return keys


def _setting(default: Any, parse: Callable[[str], Any], help: str, *, section: str, **extra: Any) -> Any:
    return field(default=default, metadata={"parse": parse, "help": help, "section": section, **extra})


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
        4, _int(1, 64), "BatchMeterUsage calls a shipping pass keeps in flight at once", section=WINDOWS
    )
    """A backlog ships this many calls side by side; each call's records are disjoint from the others'."""

    ship_rate_per_second: float = _setting(
        10.0,
        _positive,
        "most BatchMeterUsage calls started in any second (AWS's quota: 10 per account and region)",
        section=WINDOWS,
    )
    """The shipper's own pace; throttling answers slow it down further for a while. Sidecars that share
    an AWS account and region share AWS's quota: give each its part."""

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
    from the passes; it must comfortably exceed --aws-call-deadline-seconds (at least 1.5 times)."""

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
        f"Azure metering API base URL (default {AZURE_MARKETPLACE_API})",
        section=AZURE,
    )
    """Where batchUsageEvent is sent; the emulator's URL in development."""

    azure_fulfillment_endpoint_url: str = _setting(
        "", _url("https", "http"), f"Azure SaaS fulfillment API base URL (default {AZURE_MARKETPLACE_API})",
        section=AZURE,
    )  # fmt: skip
    """Where subscriptions are resolved, activated and read."""

    azure_authority_host: str = _setting(
        "", _url("https"), f"Microsoft Entra ID authority (default {AZURE_AUTHORITY_HOST}); https only",
        section=AZURE,
    )  # fmt: skip
    """The token endpoint's host; a sovereign cloud's, or the emulator's (over TLS) in development."""

    azure_tenant_id: str = _setting(
        "", _str, "the Entra tenant of the app registered on the offer: turns Azure on", section=AZURE
    )
    """With --azure-client-id, Azure Marketplace is on. Workload identity's AZURE_TENANT_ID also serves."""

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
        "", _str, "PEM bundle to trust for Entra ID's TLS (default: the system's)", section=AZURE
    )
    """For a TLS-inspecting proxy, or the emulator's token endpoint in development."""

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
        0.0, parse_time, "record usage before this time but never ship it (migration)", section=WINDOWS
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
        """Return whether Azure Marketplace is configured (or the emulator stands in for it)."""
        return self.emulator or bool(self.azure_client_id or self.azure_tenant_id or self.azure_client_secret_file
                                     or self.azure_client_certificate_file)  # fmt: skip

    @property
    def max_record_age(self) -> float:
        """Return the maximum age as a float of seconds."""
        return float(self.max_record_age_seconds)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --config and one flag per Config field, grouped by section; defaults stay None so env applies."""
    parser.add_argument(
        "--config", default=None, metavar="FILE",
        help=f"TOML file whose keys are these flags without dashes (env {CONFIG_ENV}); flags and env win",
    )  # fmt: skip
    groups = {name: parser.add_argument_group(name) for name in SECTIONS}
    for f in dataclasses.fields(Config):
        group = groups[f.metadata["section"]]
        help_text = f"{f.metadata['help']} (env {_env_name(f.name)}; default {f.default!r})"
        if f.type == "bool":
            group.add_argument(_flag(f.name), action="store_true", default=None, help=help_text)
        else:
            group.add_argument(_flag(f.name), default=None, metavar=f.name.upper(), help=help_text)


def check_env(env: Mapping[str, str]) -> None:
    """Refuse a METERING_SIDECAR_* variable that is no setting, so a misspelt one never goes unnoticed."""
    known = {_env_name(f.name) for f in dataclasses.fields(Config)} | OTHER_ENV
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in known or _service_link(name, env[name]):
            continue
        hint = difflib.get_close_matches(name, sorted(known), n=1)
        also = f"; did you mean {hint[0]}?" if hint else ""
        raise ConfigError(f"{name}: unknown environment variable (no setting has this name){also}")


def _service_link(name: str, value: str) -> bool:
    # <SERVICE>_PORT alone carries tcp://ip:port; METERING_SIDECAR_PORT is the one of our own Service.
    if _SERVICE_LINK.search(name) or name == ENV_PREFIX + "PORT":
        return True
    return name.endswith("_PORT") and bool(_SERVICE_LINK_URL.match(value))


def read_file(path: str, source: str) -> dict[str, tuple[str, Any]]:
    """Read the TOML config file: field name -> (key as written, value); unknown keys are errors."""
    try:
        with Path(path).open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {path} is not valid TOML: {exc}") from None
    fields = {f.name for f in dataclasses.fields(Config)}
    values: dict[str, tuple[str, Any]] = {}
    for key, value in document.items():
        name = key.replace("-", "_")
        if name not in fields:
            hint = difflib.get_close_matches(
                name.replace("_", "-"), [n.replace("_", "-") for n in fields], n=1
            )
            also = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(
                f"{path}: unknown key {key!r} (the keys are serve's flags without dashes){also}"
            )
        if name in values:
            raise ConfigError(f"{path}: {key!r} and {values[name][0]!r} set the same setting")
        values[name] = (key, value)
    return values


def _text(f: dataclasses.Field[Any], value: Any) -> str:
    """Return the flag text that a TOML value stands for; a TOML type that the setting cannot take is refused."""
    # Strings go through the flag's parser as they are; other types must be the setting's own type, so
    # `window-seconds = 3600.5` or `emulator = 1` is refused rather than quietly converted.
    if isinstance(value, str):
        return value
    kind = f.type
    if isinstance(value, bool):
        if kind == "bool":
            return "true" if value else "false"
    elif isinstance(value, int):
        if kind in ("int", "float"):
            return str(value)
    elif isinstance(value, float):
        if kind == "float":
            return repr(value)
    elif isinstance(value, list):
        if kind == "tuple[str, ...]" and all(isinstance(v, str) and "," not in v for v in value):
            return ",".join(value)
    elif isinstance(value, dt.datetime) and f.metadata["parse"] is parse_time:
        return value.isoformat()
    expected = {"int": "an integer", "float": "a number", "bool": "true or false",
                "tuple[str, ...]": "an array of strings"}.get(str(kind), "a string")  # fmt: skip
    raise ValueError(f"expected {expected}, got {type(value).__name__} {value!r}")


def build(args: argparse.Namespace, env: Mapping[str, str], **overrides: Any) -> Config:
    """Build the Config from flags, then env vars, then the config file, then defaults; validate the whole."""
    check_env(env)
    path = getattr(args, "config", None)
    source = "--config"
    if path is None:
        path, source = env.get(CONFIG_ENV), CONFIG_ENV
    from_file = read_file(path, source) if path else {}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Config):
        parse: Callable[[str], Any] = f.metadata["parse"]
        raw = getattr(args, f.name, None)
        if raw is True or raw is False:
            values[f.name] = raw
            continue
        where = _flag(f.name)
        if raw is None:
            raw = env.get(_env_name(f.name))
            where = _env_name(f.name)
        try:
            if raw is None and f.name in from_file:
                key, value = from_file[f.name]
                where = f"{path}: {key}"
                raw = _text(f, value)
            if raw is None:
                continue
            values[f.name] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    values.update(overrides)
    config = Config(**values)
    _validate(config, env)
    return config


def from_mapping(env: Mapping[str, str], **overrides: Any) -> Config:
    """Build a Config from env vars and keyword overrides only (for embedding and tests)."""
    return build(argparse.Namespace(), env, **overrides)


def _validate(config: Config, env: Mapping[str, str]) -> None:
    if (
        config.window_seconds != STANDARD_WINDOW_SECONDS
        and not config.custom_endpoint(env)
        and not config.emulator
    ):
        raise ConfigError(
            f"--window-seconds: must be {STANDARD_WINDOW_SECONDS} against AWS (AWS bills per hour); "
            "other values are only for tests against a custom metering endpoint "
            "(--metering-endpoint-url, AWS_ENDPOINT_URL_MARKETPLACE_METERING or --emulator)"
        )
    if config.expiry_margin_seconds >= config.max_record_age_seconds:
        raise ConfigError("--expiry-margin-seconds: must be smaller than --max-record-age-seconds")
    if config.window_seconds + config.close_delay_seconds >= (
        config.max_record_age_seconds - config.expiry_margin_seconds
    ):
        raise ConfigError(
            "--close-delay-seconds: a window plus its close delay must end before records expire "
            "(--max-record-age-seconds minus --expiry-margin-seconds)"
        )
    if not config.db:
        raise ConfigError("--db: a database path is required")
    if config.aws_call_deadline_seconds < config.aws_timeout_seconds:
        raise ConfigError(
            f"--aws-call-deadline-seconds: must be at least --aws-timeout-seconds "
            f"({config.aws_timeout_seconds:g}), or no attempt could ever wait for its full timeout; "
            f"got {config.aws_call_deadline_seconds:g}"
        )
    if config.ship_concurrency >= config.aws_max_calls_in_flight:
        raise ConfigError(
            f"--ship-concurrency: must be below --aws-max-calls-in-flight ({config.aws_max_calls_in_flight}), "
            f"which also leaves room for ResolveCustomer and for calls a hung endpoint still holds; "
            f"got {config.ship_concurrency}"
        )
    _validate_cluster_timeouts(config)
    _validate_azure(config, env)
    budget = config.max_record_age_seconds - config.expiry_margin_seconds - config.window_seconds
    if (
        config.cluster_postgres_dsn
        and config.cluster_close_deadline_seconds + config.close_delay_seconds >= budget
    ):
        raise ConfigError(
            "--cluster-close-deadline-seconds: a window must be shipped well inside the maximum record age "
            f"(deadline plus close delay must stay under {budget} s)"
        )


# Cluster mode (issue 11): the shipper's lease and every member's liveness are judged by the member timeout.
# A shipping pass can wait up to the AWS call deadline; were that as long as the member timeout, a slow call
# would cost the shipper its lease, so the member timeout must comfortably exceed it.
CLUSTER_TIMEOUT_OVER_AWS_DEADLINE = 1.5


def _validate_cluster_timeouts(config: Config) -> None:
    minimum = CLUSTER_TIMEOUT_OVER_AWS_DEADLINE * config.aws_call_deadline_seconds
    if config.cluster_postgres_dsn and config.cluster_member_timeout_seconds < minimum:
        raise ConfigError(
            f"--cluster-member-timeout-seconds: must be at least {CLUSTER_TIMEOUT_OVER_AWS_DEADLINE:g} times "
            f"--aws-call-deadline-seconds ({minimum:g} s), or a slow AWS call would cost the shipper its lease; "
            f"got {config.cluster_member_timeout_seconds:g}"
        )


def _validate_azure(config: Config, env: Mapping[str, str]) -> None:
    if config.azure_call_deadline_seconds < config.azure_timeout_seconds:
        raise ConfigError(
            f"--azure-call-deadline-seconds: must be at least --azure-timeout-seconds "
            f"({config.azure_timeout_seconds:g}); got {config.azure_call_deadline_seconds:g}"
        )
    if config.azure_client_secret_file and config.azure_client_certificate_file:
        raise ConfigError(
            "--azure-client-secret-file and --azure-client-certificate-file: set one of them, not both"
        )
    wants_azure = any((config.azure_client_id, config.azure_tenant_id, config.azure_client_secret_file,
                       config.azure_client_certificate_file))  # fmt: skip
    if wants_azure and not config.azure_identity(env)[0]:
        raise ConfigError(
            "--azure-client-id: Azure needs the client id of the Entra app registered on the offer "
            "(--azure-client-id or workload identity's AZURE_CLIENT_ID)"
        )
    if wants_azure and not config.azure_identity(env)[1]:
        raise ConfigError(
            "--azure-tenant-id: Azure needs the Entra tenant of the app registered on the offer "
            "(--azure-tenant-id or workload identity's AZURE_TENANT_ID)"
        )


def read_token(path: str) -> str:
    """Read the token file; refuse a missing or empty one."""
    try:
        token = Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigError(f"--api-token-file: cannot read {path}: {exc.strerror}") from None
    if not token:
        raise ConfigError(f"--api-token-file: {path} is empty")
    return token
