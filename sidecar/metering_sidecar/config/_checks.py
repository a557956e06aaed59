"""Checks across settings, made once the whole Config is built; each names the flag to change."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from metering_sidecar.config._config import STANDARD_WINDOW_SECONDS, Config
from metering_sidecar.config._parsers import is_loopback_http
from metering_sidecar.core import ConfigError


def validate(config: Config, env: Mapping[str, str]) -> None:
    """Raise ConfigError for settings that cannot work together."""
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
    if (
        config.window_seconds != STANDARD_WINDOW_SECONDS
        and config.azure_enabled(env)
        and not config.emulator
        and not is_loopback_http(config.azure_metering_endpoint_url)
    ):
        raise ConfigError(
            f"--window-seconds: must be {STANDARD_WINDOW_SECONDS} when Azure is on (Azure takes one usage event "
            "per resource, dimension and hour, and refuses the rest as Duplicate); other values are only for "
            "tests against an emulated Azure (--emulator, or an http loopback --azure-metering-endpoint-url)"
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
    if config.azure_enabled(env) and config.ship_concurrency >= config.azure_max_calls_in_flight:
        raise ConfigError(
            f"--ship-concurrency: must be below --azure-max-calls-in-flight ({config.azure_max_calls_in_flight}) "
            f"when Azure is on, which also leaves room for the subscription calls and for calls a hung endpoint "
            f"still holds; got {config.ship_concurrency}"
        )
    _validate_cluster_timeouts(config, env)
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
# A shipping pass can wait up to a marketplace's call deadline; were that as long as the member timeout, a
# slow call would cost the shipper its lease, so the member timeout must comfortably exceed each of them.
CLUSTER_TIMEOUT_OVER_AWS_DEADLINE = 1.5


def _validate_cluster_timeouts(config: Config, env: Mapping[str, str]) -> None:
    if not config.cluster_postgres_dsn:
        return
    deadlines = [("AWS", "--aws-call-deadline-seconds", config.aws_call_deadline_seconds)]
    if config.azure_enabled(env):
        deadlines.append(("Azure", "--azure-call-deadline-seconds", config.azure_call_deadline_seconds))
    for marketplace, flag, deadline in deadlines:
        minimum = CLUSTER_TIMEOUT_OVER_AWS_DEADLINE * deadline
        if config.cluster_member_timeout_seconds < minimum:
            raise ConfigError(
                f"--cluster-member-timeout-seconds: must be at least {CLUSTER_TIMEOUT_OVER_AWS_DEADLINE:g} times "
                f"{flag} ({minimum:g} s), or a slow {marketplace} call would cost the shipper its lease; "
                f"got {config.cluster_member_timeout_seconds:g}"
            )


def _validate_azure(config: Config, env: Mapping[str, str]) -> None:
    for flag, url in (("--azure-metering-endpoint-url", config.azure_metering_endpoint_url),
                      ("--azure-fulfillment-endpoint-url", config.azure_fulfillment_endpoint_url)):  # fmt: skip
        if url.startswith("http://") and not is_loopback_http(url):
            raise ConfigError(
                f"{flag}: http is only for an emulator on this machine (127.0.0.1, ::1 or localhost), since "
                f"every call carries the Entra ID bearer token; use https for {url!r}"
            )
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


def read_token(path: str, source: str = "--api-token-file") -> str:
    """Read the token file; refuse a missing or empty one, naming ``source``: the flag or env var that gave it."""
    try:
        token = Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: {path} is not UTF-8 text") from None
    if not token:
        raise ConfigError(f"{source}: {path} is empty")
    return token
