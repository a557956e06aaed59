"""Helpers for the Azure tests: the emulator's Azure side reached over real HTTP, and its Entra ID over TLS."""

from __future__ import annotations

import datetime as dt
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import (
    AzureSettings,
    AzureState,
    EmulatorServer,
    EmulatorSettings,
    MeteringState,
)

from tests.conftest import PRODUCT, START

TENANT = "72f988bf-0000-4000-8000-000000000001"
CLIENT = "app-0000-offer"
SECRET = "client-secret-value-9f8e7d"
SCOPE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default"
PLAN = "gold"
SUBSCRIPTION = "5c1b6b4e-0000-4000-8000-00000000aaaa"


def start_emulator(clock: ManualClock, **settings: Any) -> EmulatorServer:
    """Start the emulator (AWS and Azure) on the test's clock, with one Entra app and one subscription."""
    azure = AzureState(AzureSettings(seed=1, **settings), clock)
    azure.set_clients({CLIENT: SECRET})
    azure.set_subscriptions({SUBSCRIPTION: {"planId": PLAN, "status": "Subscribed", "clientId": CLIENT}})
    state = MeteringState(EmulatorSettings(seed=1), clock)
    return EmulatorServer(state, azure=azure, azure_token_endpoint=True).start()


def sidecar_settings(
    emulator: EmulatorServer, secret_file: Path, db: Path, **overrides: Any
) -> dict[str, Any]:
    """Return the settings of a sidecar shipping to both of the emulator's sides (Azure over TLS), its passes
    driven by Flush, retries due at once; ``overrides`` win."""
    secret_file.write_text(SECRET + "\n")
    return {
        "listen": "127.0.0.1:0", "health_listen": "", "metrics_listen": "", "db": str(db),
        "product_code": PRODUCT, "close_delay_seconds": 60.0, "flush_interval_seconds": 3600.0,
        "max_backoff_seconds": 0.0, "aws_max_attempts": 1, "metering_endpoint_url": emulator.url,
        "entitlement_endpoint_url": emulator.url, "azure_metering_endpoint_url": emulator.azure_api_url,
        "azure_fulfillment_endpoint_url": emulator.azure_api_url,
        "azure_authority_host": emulator.azure_authority_host, "azure_ca_file": emulator.azure_ca_path,
        "azure_tenant_id": TENANT, "azure_client_id": CLIENT, "azure_client_secret_file": str(secret_file),
        **overrides,
    }  # fmt: skip


def iso(stamp: float) -> str:
    """Return an epoch time as Azure's effectiveStartTime text."""
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(
    *,
    resource: str = SUBSCRIPTION,
    dimension: str = "emails",
    quantity: Any = 5,
    when: float = START,
    plan: str = PLAN,
) -> dict[str, Any]:
    """Return one usage event as the sidecar sends it."""
    return {"resourceId": resource, "planId": plan, "dimension": dimension, "quantity": quantity,
            "effectiveStartTime": iso(when)}  # fmt: skip


def tls_context(emulator: EmulatorServer) -> ssl.SSLContext:
    """Return a TLS context that trusts the emulator's generated CA (and nothing else)."""
    return ssl.create_default_context(cafile=emulator.azure_ca_path)


def request_token(
    emulator: EmulatorServer, form: dict[str, str] | None = None, *, tenant: str = TENANT
) -> tuple[int, dict[str, Any]]:
    """POST a client-credentials request to the emulated Entra ID; return status and JSON answer."""
    fields = {
        "grant_type": "client_credentials",
        "client_id": CLIENT,
        "client_secret": SECRET,
        "scope": SCOPE,
    }
    fields.update(form or {})
    url = f"{emulator.azure_authority_host}/{tenant}/oauth2/v2.0/token"
    data = urllib.parse.urlencode(fields).encode()
    return _open(urllib.request.Request(url, data=data, method="POST"), tls_context(emulator))


def token(emulator: EmulatorServer) -> str:
    """Return a fresh access token for the test app."""
    status, answer = request_token(emulator)
    assert status == 200, answer
    return str(answer["access_token"])


def api(
    emulator: EmulatorServer,
    method: str,
    path: str,
    body: Any = None,
    *,
    bearer: str | None = None,
    headers: dict[str, str] | None = None,
    api_version: str | None = "2018-08-31",
) -> tuple[int, Any]:
    """Call the emulated marketplace API; return status and JSON answer (None for an empty body)."""
    url = f"{emulator.azure_api_url}{path}"
    if api_version is not None:
        url += f"?api-version={api_version}"
    sent = dict(headers or {})
    if bearer is not None:
        sent["Authorization"] = f"Bearer {bearer}"
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    if data is not None:
        sent["Content-Type"] = "application/json"
    return _open(urllib.request.Request(url, data=data, headers=sent, method=method), None)


def batch(emulator: EmulatorServer, bearer: str, *events: dict[str, Any]) -> list[dict[str, Any]]:
    """Send one batchUsageEvent call that must answer 200; return its result list."""
    status, answer = api(emulator, "POST", "/batchUsageEvent", {"request": list(events)}, bearer=bearer)
    assert status == 200, answer
    assert answer["count"] == len(answer["result"])
    return list(answer["result"])


def admin(emulator: EmulatorServer, name: str, payload: Any = None) -> tuple[int, Any]:
    """Call the emulator's Azure admin API (GET without a payload, POST with one)."""
    url = f"{emulator.url}/_emulator/azure/{name}"
    if payload is None:
        return _open(urllib.request.Request(url), None)
    return _open(urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST"), None)


def _open(request: urllib.request.Request, context: ssl.SSLContext | None) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None
