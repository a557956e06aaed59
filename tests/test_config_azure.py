"""Azure settings: flags with env twins, workload identity's variables, and a clear error for each mistake."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from metering_sidecar import config as config_module
from metering_sidecar.core._errors import ConfigError
from metering_sidecar.marketplace import azure_from_config


def _build(argv: list[str], env: dict[str, str]) -> config_module.Config:
    parser = argparse.ArgumentParser()
    config_module.add_arguments(parser)
    return config_module.build(parser.parse_args(argv), env)


def test_azure_is_off_by_default_and_on_with_the_app_identity() -> None:
    """No Azure setting: Azure is off. Tenant and client id (flags or env twins) turn it on."""
    assert not _build([], {}).azure_enabled({})
    env = {"METERING_SIDECAR_AZURE_TENANT_ID": "t-1", "METERING_SIDECAR_AZURE_CLIENT_ID": "c-1"}
    cfg = _build([], env)
    assert cfg.azure_enabled(env)
    assert cfg.azure_identity(env) == ("c-1", "t-1")
    assert _build(["--azure-client-id", "c-2"], env).azure_identity(env) == ("c-2", "t-1")


def test_workload_identity_variables_complete_the_identity() -> None:
    """AKS workload identity sets AZURE_CLIENT_ID and AZURE_TENANT_ID; they fill what the flags leave out."""
    env = {"AZURE_CLIENT_ID": "wi-client", "AZURE_TENANT_ID": "wi-tenant"}
    cfg = _build(["--azure-tenant-id", "wi-tenant"], env)
    assert cfg.azure_identity(env) == ("wi-client", "wi-tenant")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--azure-client-id", "c"], "--azure-tenant-id: Azure needs the Entra tenant"),
        (["--azure-tenant-id", "t"], "--azure-client-id: Azure needs the client id"),
        (
            ["--azure-tenant-id", "t", "--azure-client-id", "c", "--azure-client-secret-file", "/a",
             "--azure-client-certificate-file", "/b"],
            "set one of them, not both",
        ),
        (["--azure-authority-host", "http://login.example"], "--azure-authority-host: expected a https URL"),
        (["--azure-metering-endpoint-url", "ftp://x"], "--azure-metering-endpoint-url: expected a https or http URL"),
    ],
)  # fmt: skip
def test_each_azure_mistake_is_named(argv: list[str], expected: str) -> None:
    """An incomplete identity, two secrets, or a bad URL stops the start with the flag's name."""
    with pytest.raises(ConfigError) as caught:
        _build(argv, {})
    assert expected in str(caught.value)


def test_endpoint_urls_lose_a_trailing_slash() -> None:
    """A base URL given with a trailing slash is the same base URL."""
    cfg = _build(["--azure-metering-endpoint-url", "http://127.0.0.1:8080/api/"], {})
    assert cfg.azure_metering_endpoint_url == "http://127.0.0.1:8080/api"


@pytest.mark.parametrize("flag", ["--azure-metering-endpoint-url", "--azure-fulfillment-endpoint-url"])
def test_plain_http_is_only_for_loopback(flag: str) -> None:
    """Every Azure call carries the bearer token: http is accepted for this machine only, https for any host."""
    for local in (
        "http://127.0.0.1:8080/api",
        "http://127.8.9.10/api",
        "http://[::1]:9/api",
        "http://localhost/api",
    ):
        assert getattr(_build([flag, local], {}), flag[2:].replace("-", "_")) == local
    assert _build([flag, "https://marketplace.example/api"], {})
    for remote in ("http://10.0.0.7/api", "http://marketplace.example/api", "http://localhost.example/api",
                   "http://128.0.0.1/api"):  # fmt: skip
        with pytest.raises(ConfigError) as caught:
            _build([flag, remote], {})
        assert str(caught.value).startswith(f"{flag}: http is only for an emulator on this machine")
    with pytest.raises(ConfigError, match=f"^{flag}: http is only"):
        config_module.from_mapping({}, **{flag[2:].replace("-", "_"): "http://192.0.2.1/api"})


async def test_workload_identity_variables_alone_turn_azure_on(tmp_path: Path) -> None:
    """AKS workload identity's three variables, without any flag, turn Azure on with that identity; any two
    of them do not (AZURE_CLIENT_ID and AZURE_TENANT_ID also come with identities meant for other things)."""
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text("federated-token-from-the-cluster")
    env = {"AZURE_CLIENT_ID": "wi-client", "AZURE_TENANT_ID": "wi-tenant",
           "AZURE_FEDERATED_TOKEN_FILE": str(token_file)}  # fmt: skip
    cfg = _build([], env)
    assert cfg.azure_enabled(env)
    adapter = azure_from_config(cfg, env, None, lambda *_: None)
    assert adapter is not None
    try:
        who = adapter.identity
        assert (who.kind, who.client_id, who.tenant_id) == ("workload identity", "wi-client", "wi-tenant")
        assert who.federated_token_file == str(token_file)
    finally:
        await adapter.close()
    for left_out in env:
        partial = {name: value for name, value in env.items() if name != left_out}
        assert not _build([], partial).azure_enabled(partial)
        assert azure_from_config(_build([], partial), partial, None, lambda *_: None) is None


def test_short_windows_with_azure_need_an_emulated_azure(tmp_path: Path) -> None:
    """A custom AWS endpoint (a VPC endpoint) allows short windows for AWS, but not for real Azure, which
    would get one event per key and window, all but one an hour refused as Duplicate."""
    vpc = ["--window-seconds", "60", "--metering-endpoint-url", "https://vpce-0a1b.metering.marketplace.aws"]
    azure = ["--azure-tenant-id", "t", "--azure-client-id", "c"]
    assert _build(vpc, {}).window_seconds == 60  # no Azure: the AWS rule alone
    for to_real_azure in ([], ["--azure-metering-endpoint-url", "https://marketplaceapi.microsoft.com/api"]):
        with pytest.raises(ConfigError) as caught:
            _build(vpc + azure + to_real_azure, {})
        assert str(caught.value).startswith("--window-seconds: must be 3600 when Azure is on")
    token_file = tmp_path / "token"
    token_file.write_text("jwt")
    workload = {"AZURE_CLIENT_ID": "c", "AZURE_TENANT_ID": "t", "AZURE_FEDERATED_TOKEN_FILE": str(token_file)}
    with pytest.raises(ConfigError, match=r"^--window-seconds: must be 3600 when Azure is on"):
        _build(vpc, workload)
    emulated = ["--azure-metering-endpoint-url", "http://127.0.0.1:4566/api"]
    assert _build(vpc + azure + emulated, {}).window_seconds == 60
    assert _build(["--window-seconds", "10", "--emulator"], {}).window_seconds == 10


def test_azure_bounds_ship_concurrency_and_the_cluster_member_timeout() -> None:
    """With Azure on, a pass's calls must fit under --azure-max-calls-in-flight, and the cluster member timeout
    must comfortably exceed the Azure call deadline, as both already must for AWS."""
    azure = ["--azure-tenant-id", "t", "--azure-client-id", "c"]
    narrow = ["--azure-max-calls-in-flight", "4", "--ship-concurrency", "4"]
    assert _build(narrow, {}).ship_concurrency == 4  # Azure off: its bound does not apply
    with pytest.raises(ConfigError) as caught:
        _build(azure + narrow, {})
    assert str(caught.value).startswith(
        "--ship-concurrency: must be below --azure-max-calls-in-flight (4) when Azure is on"
    )
    cluster = ["--cluster-postgres-dsn", "postgresql://ledger", "--cluster-member-timeout-seconds", "40",
               "--aws-call-deadline-seconds", "20"]  # fmt: skip
    assert _build(cluster, {}).cluster_member_timeout_seconds == 40  # Azure off: 1.5 x 20 s is enough
    with pytest.raises(ConfigError) as caught:
        _build(cluster + azure + ["--azure-call-deadline-seconds", "30"], {})
    assert str(caught.value) == (
        "--cluster-member-timeout-seconds: must be at least 1.5 times --azure-call-deadline-seconds (45 s), "
        "or a slow Azure call would cost the shipper its lease; got 40"
    )
    assert (
        _build(cluster + azure + ["--azure-call-deadline-seconds", "26"], {}).azure_call_deadline_seconds
        == 26
    )
