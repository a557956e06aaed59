"""Microsoft Entra ID tokens for the Azure Marketplace APIs, through azure-identity.

The Entra app registered on the offer signs in with one of: a client secret (read from a file, again at
every new credential so a rotated secret is picked up), a certificate, or AKS workload identity (the
federated token file that azure-identity's standard variables name). Tokens are for the scope
``20e940b3-4c77-4b0b-9a53-9e16a1b010a7/.default``.

Why the synchronous credentials, on the call's own thread: ``azure.identity.aio`` needs aiohttp, which the
sidecar does not otherwise depend on; the sync credentials use requests (azure-core's default transport)
and run on the call's daemon thread, inside the call's deadline like the marketplace request itself.

Caching: ``TokenSource`` keeps the token and asks the credential again only within ``REFRESH_MARGIN_SECONDS``
of its expiry; the credential (MSAL's in-memory cache) renews it ahead of expiry by itself. After a 403,
``refresh()`` builds a new credential, whose empty cache forces a new token from Entra ID. Tokens and
secrets are never logged, and never put in an error message.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metering_sidecar.config import AZURE_AUTHORITY_HOST
from metering_sidecar.core import ConfigError
from metering_sidecar.targets import AZURE_MARKETPLACE_SCOPE

DEFAULT_AUTHORITY_HOST = AZURE_AUTHORITY_HOST  # the settings' default, one definition
REFRESH_MARGIN_SECONDS = 300.0


@dataclass(frozen=True)
class AzureIdentity:
    """Who the sidecar is to Entra ID: the offer's app, and how it proves it.

    Exactly one way is used, in this order: ``client_secret_file``, ``certificate_path`` (a PEM or PKCS12
    file holding the private key), ``federated_token_file`` (AKS workload identity).
    """

    tenant_id: str
    client_id: str
    client_secret_file: str = ""
    certificate_path: str = ""
    federated_token_file: str = ""
    authority_host: str = DEFAULT_AUTHORITY_HOST
    # A CA file: the only CAs trusted for the authority host (azure-identity's connection_verify replaces
    # its defaults); the marketplace calls trust it on top of the system's store (tests: the emulator's CA).
    ca_bundle: str = ""

    @classmethod
    def resolve(
        cls,
        *,
        tenant_id: str = "",
        client_id: str = "",
        client_secret_file: str = "",
        certificate_path: str = "",
        authority_host: str = "",
        ca_bundle: str = "",
        environ: Mapping[str, str] | None = None,
    ) -> AzureIdentity:
        """Fill what settings left empty from azure-identity's variables, then check it; raise ConfigError.

        The variables: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE (set by the AKS workload
        identity webhook), AZURE_AUTHORITY_HOST and AZURE_CLIENT_CERTIFICATE_PATH.
        """
        env = os.environ if environ is None else environ
        identity = cls(
            tenant_id=tenant_id or env.get("AZURE_TENANT_ID", ""),
            client_id=client_id or env.get("AZURE_CLIENT_ID", ""),
            client_secret_file=client_secret_file,
            certificate_path=certificate_path or env.get("AZURE_CLIENT_CERTIFICATE_PATH", ""),
            federated_token_file=env.get("AZURE_FEDERATED_TOKEN_FILE", ""),
            authority_host=(authority_host or env.get("AZURE_AUTHORITY_HOST", "") or DEFAULT_AUTHORITY_HOST),
            ca_bundle=ca_bundle,
        )
        identity.check()
        return identity

    @property
    def kind(self) -> str:
        """Return how the app signs in: "client secret", "certificate" or "workload identity"."""
        if self.client_secret_file:
            return "client secret"
        if self.certificate_path:
            return "certificate"
        return "workload identity"

    def check(self) -> None:
        """Raise ConfigError naming what is missing or unusable."""
        if not self.tenant_id:
            raise ConfigError("Azure: the tenant id is required (--azure-tenant-id or AZURE_TENANT_ID)")
        if not self.client_id:
            raise ConfigError("Azure: the client id is required (--azure-client-id or AZURE_CLIENT_ID)")
        if not self.authority_host.startswith("https://"):
            raise ConfigError(
                f"Azure: the authority host must be an https:// URL (azure-identity refuses others), got "
                f"{self.authority_host!r} (--azure-authority-host)"
            )
        path, what = {
            "client secret": (self.client_secret_file, "--azure-client-secret-file"),
            "certificate": (self.certificate_path, "the certificate path"),
            "workload identity": (self.federated_token_file, "AZURE_FEDERATED_TOKEN_FILE"),
        }[self.kind]
        if not path:
            raise ConfigError(
                "Azure: no way to sign in: give --azure-client-secret-file, a certificate, or run with AKS "
                "workload identity (AZURE_FEDERATED_TOKEN_FILE)"
            )
        if not Path(path).is_file():
            raise ConfigError(f"Azure: {what} names {path!r}, which is not a readable file")
        if self.kind == "client secret":
            self.read_secret()
        if self.ca_bundle and not Path(self.ca_bundle).is_file():
            raise ConfigError(f"Azure: the CA bundle {self.ca_bundle!r} is not a readable file")

    def read_secret(self) -> str:
        """Return the client secret from its file (trailing newline removed); raise ConfigError."""
        try:
            secret = Path(self.client_secret_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"Azure: cannot read the client secret file {self.client_secret_file!r}: {type(exc).__name__}"
            ) from None
        if not secret:
            raise ConfigError(f"Azure: the client secret file {self.client_secret_file!r} is empty")
        return secret

    def credential(self, timeout_seconds: float) -> Any:
        """Return a new azure-identity credential (synchronous) for this identity."""
        from azure.identity import (
            CertificateCredential,
            ClientSecretCredential,
            WorkloadIdentityCredential,
        )

        options: dict[str, Any] = {
            "authority": self.authority_host,
            # Without it, azure-identity asks Microsoft's login host about any other authority.
            "disable_instance_discovery": self.authority_host.rstrip("/") != DEFAULT_AUTHORITY_HOST,
            # azure-core's transport waits 300 s by default; the call's deadline bounds it anyway.
            "connection_timeout": timeout_seconds,
            "read_timeout": timeout_seconds,
            # No transport retries: a failed token fails this call, and the caller retries the call.
            "retry_total": 0,
        }
        if self.ca_bundle:
            options["connection_verify"] = self.ca_bundle
        if self.kind == "client secret":
            return ClientSecretCredential(self.tenant_id, self.client_id, self.read_secret(), **options)
        if self.kind == "certificate":
            return CertificateCredential(self.tenant_id, self.client_id, self.certificate_path, **options)
        return WorkloadIdentityCredential(
            tenant_id=self.tenant_id,
            client_id=self.client_id,
            token_file_path=self.federated_token_file,
            **options,
        )


class TokenSource:
    """The current access token, shared by every call; thread-safe (calls run on threads of their own)."""

    def __init__(
        self,
        make_credential: Callable[[], Any],
        *,
        margin_seconds: float = REFRESH_MARGIN_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._make_credential = make_credential
        self._margin = margin_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._credential: Any = None
        self._token = ""
        self._expires_on = 0.0
        self.fetches = 0  # tokens asked of a credential (not of Entra ID: its cache may answer)

    def token(self) -> str:
        """Return a token valid for at least the margin, asking the credential only when needed."""
        with self._lock:
            if self._token and self._expires_on - self._clock() > self._margin:
                return self._token
            return self._fetch(new_credential=self._credential is None)

    def refresh(self, stale: str) -> str:
        """Return a new token after ``stale`` was refused (403), unless another call already renewed it."""
        with self._lock:
            if self._token and self._token != stale:
                return self._token
            return self._fetch(new_credential=True)

    def close(self) -> None:
        """Close the credential's connections."""
        with self._lock:
            self._close_credential()

    def _fetch(self, *, new_credential: bool) -> str:
        if new_credential:
            self._close_credential()
            self._token = ""
            self._credential = self._make_credential()
        self.fetches += 1
        try:
            access = self._credential.get_token(AZURE_MARKETPLACE_SCOPE)
        except Exception:
            # The next call starts from a new credential: it reads the secret file again (fixed or
            # rotated) and forgets whatever state the failure left.
            self._close_credential()
            raise
        self._token, self._expires_on = str(access.token), float(access.expires_on)
        return self._token

    def _close_credential(self) -> None:
        credential, self._credential = self._credential, None
        if credential is not None:
            try:
                credential.close()
            except Exception:
                pass  # closing a session that is already broken
