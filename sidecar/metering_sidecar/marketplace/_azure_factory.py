"""Build the Azure adapter from the configuration, or from the embedded emulator in development."""

from __future__ import annotations

import atexit
import importlib.util
import logging
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from metering_sidecar.config import Config
from metering_sidecar.core import ConfigError
from metering_sidecar.marketplace._azure import DEFAULT_API_URL, AzureMarketplace, CallObserver
from metering_sidecar.marketplace._azure_auth import DEFAULT_AUTHORITY_HOST, AzureIdentity

log = logging.getLogger("sidecar.marketplace")
EMULATOR_TENANT = "emulator-tenant"
INSTALL_HINT = "pip install 'metering-sidecar[azure]'"
EMULATOR_CLIENT = "emulator-app"


class EmulatedAzure(Protocol):
    """What the embedded emulator tells the adapter: where its Azure side and its token endpoint are."""

    @property
    def azure_api_url(self) -> str: ...

    @property
    def azure_authority_host(self) -> str: ...

    @property
    def azure_ca_path(self) -> str: ...


def azure_from_config(
    config: Config, env: Mapping[str, str], emulator: EmulatedAzure | None, observe: CallObserver
) -> AzureMarketplace | None:
    """Return the Azure adapter, or None when Azure is not configured (Azure events are then refused)."""
    installed = importlib.util.find_spec("azure.identity") is not None
    if emulator is not None and not (installed and emulator.azure_authority_host):
        log.warning(f"the emulator runs without Azure: azure-identity is not installed ({INSTALL_HINT})")
        return None
    if emulator is None and config.azure_enabled(env) and not installed:
        raise ConfigError(
            f"--azure-client-id: Azure Marketplace needs azure-identity, which is not installed: {INSTALL_HINT}"
        )
    if emulator is not None:
        identity = AzureIdentity(
            tenant_id=EMULATOR_TENANT, client_id=EMULATOR_CLIENT, client_secret_file=_emulator_secret(),
            authority_host=emulator.azure_authority_host, ca_bundle=emulator.azure_ca_path,
        )  # fmt: skip
        metering = fulfillment = emulator.azure_api_url
    elif config.azure_enabled(env):
        client_id, tenant_id = config.azure_identity(env)
        identity = AzureIdentity.resolve(
            tenant_id=tenant_id, client_id=client_id, client_secret_file=config.azure_client_secret_file,
            certificate_path=config.azure_client_certificate_file,
            authority_host=config.azure_authority_host or DEFAULT_AUTHORITY_HOST,
            ca_bundle=config.azure_ca_file, environ=env,
        )  # fmt: skip
        metering = config.azure_metering_endpoint_url or DEFAULT_API_URL
        fulfillment = config.azure_fulfillment_endpoint_url or DEFAULT_API_URL
    else:
        return None
    return AzureMarketplace(
        identity, metering_endpoint_url=metering, fulfillment_endpoint_url=fulfillment,
        timeout_seconds=config.azure_timeout_seconds, call_deadline_seconds=config.azure_call_deadline_seconds,
        max_calls_in_flight=config.azure_max_calls_in_flight, observe=observe,
    )  # fmt: skip


def _emulator_secret() -> str:
    # The emulator takes any secret; the adapter reads one from a file, as from a mounted Kubernetes Secret.
    folder = tempfile.mkdtemp(prefix="metering-sidecar-emulator-")
    atexit.register(shutil.rmtree, folder, True)
    path = Path(folder) / "client-secret"
    path.write_text("emulator-secret\n")
    path.chmod(0o600)
    return str(path)
