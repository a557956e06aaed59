"""The emulated Microsoft Entra ID: client-credentials tokens for the marketplace API's resource.

It answers what MSAL (inside azure-identity) asks: the tenant's OpenID configuration, then
``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials``, the client's id, a secret or a
signed assertion (certificate, workload identity) and the scope ``<marketplace resource>/.default``.
Tokens are opaque random strings the emulator remembers until they expire or are revoked; the marketplace
routes accept only those.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from metering_sidecar.emulator._azure_model import AzureSettings, AzureStats

MARKETPLACE_RESOURCE = "20e940b3-4c77-4b0b-9a53-9e16a1b010a7"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class TokenRefused(Exception):
    """An OAuth error answer of the token endpoint: ``error`` and ``error_description``, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class IssuedToken:
    """An access token the emulator handed out."""

    client_id: str
    expires_at: float


class EmulatedEntra:
    """Issued tokens and the rules for getting one; the caller holds the state's lock."""

    def __init__(self, settings: AzureSettings, stats: AzureStats) -> None:
        self.settings = settings
        self.stats = stats
        self._issued: dict[str, IssuedToken] = {}
        self.every_token: list[str] = []  # each token ever issued, for tests that look for leaks

    @staticmethod
    def openid_configuration(base_url: str, tenant: str) -> dict[str, Any]:
        """Return the tenant's OpenID configuration document (MSAL reads token_endpoint from it)."""
        root = f"{base_url}/{tenant}"
        return {
            "issuer": f"{root}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "tenant_region_scope": "EU",
        }

    def issue(self, form: Mapping[str, str], now: float) -> dict[str, Any]:
        """Answer a client-credentials token request, or raise TokenRefused."""
        self.stats.token_requests += 1
        try:
            client_id = self._authenticate(form)
        except TokenRefused:
            self.stats.token_refusals += 1
            raise
        token = "emu-" + secrets.token_urlsafe(32)
        lifetime = self.settings.token_lifetime_seconds
        self._issued = {t: i for t, i in self._issued.items() if i.expires_at > now}
        self._issued[token] = IssuedToken(client_id, now + lifetime)
        self.every_token.append(token)
        self.stats.tokens_issued += 1
        return {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }

    def _authenticate(self, form: Mapping[str, str]) -> str:
        if form.get("grant_type") != "client_credentials":
            raise TokenRefused("unsupported_grant_type", "only client_credentials is supported here")
        scope = form.get("scope", "")
        if f"{MARKETPLACE_RESOURCE}/.default" not in scope.split():
            raise TokenRefused(
                "invalid_scope", f"scope must be {MARKETPLACE_RESOURCE}/.default, got {scope!r}"
            )
        client_id = form.get("client_id", "")
        secret = form.get("client_secret")
        assertion = form.get("client_assertion")
        if not client_id:
            raise TokenRefused("invalid_request", "client_id is required")
        if secret is None and assertion is None:
            raise TokenRefused("invalid_client", "a client_secret or client_assertion is required", 401)
        if assertion is not None and (
            form.get("client_assertion_type") != JWT_BEARER or assertion.count(".") != 2
        ):
            raise TokenRefused("invalid_client", "client_assertion must be a JWT (jwt-bearer)", 401)
        clients = self.settings.clients
        if clients is None:
            return client_id
        if client_id not in clients:
            raise TokenRefused("unauthorized_client", f"application {client_id!r} was not found")
        registered = clients[client_id]
        if registered and secret != registered:
            raise TokenRefused("invalid_client", "invalid client secret provided", 401)
        if not registered and assertion is None:
            raise TokenRefused("invalid_client", "this application signs in with an assertion", 401)
        return client_id

    def client_of(self, authorization: str, now: float) -> str | None:
        """Return the client id a valid ``Bearer`` header stands for, or None."""
        scheme, _, token = authorization.partition(" ")
        issued = self._issued.get(token.strip()) if scheme.lower() == "bearer" else None
        if issued is None or issued.expires_at <= now:
            return None
        return issued.client_id

    def revoke_all(self) -> int:
        """Forget every issued token (the next call with one answers 403); return how many."""
        count = len(self._issued)
        self._issued.clear()
        return count
