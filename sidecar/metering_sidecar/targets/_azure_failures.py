"""What an operator reads when a whole Azure call failed for a reason that is not its events' content.

Built from the adapter's code, plus Azure's own message for server errors (the adapter scrubbed it of secrets).
"""

from __future__ import annotations

from metering_sidecar.core import RemoteError
from metering_sidecar.targets._target import short_message

NO_ANSWER_CODES = frozenset({"ConnectionError", "Timeout", "TooManyCallsInFlight", "ThreadStartFailed"})
AUTHENTICATION_FAILED = "AuthenticationFailed"  # no Entra ID token: nothing was sent
THROTTLED = "Throttled"  # the adapter's code for HTTP 429: the shipper slows Azure's pace down


def call_failure(exc: RemoteError) -> str:
    """Return what failed and what to do, for ``GetStatus.shipping_error``."""
    code = exc.code
    if code == AUTHENTICATION_FAILED:
        return (
            f"no Entra ID token for the Azure Marketplace API ({code}), nothing is sent: check the tenant id, "
            "client id and the app's secret, certificate or federated credential"
        )
    if code in NO_ANSWER_CODES:
        return (
            f"Azure Marketplace or Entra ID did not answer ({code}): check the network to "
            "marketplaceapi.microsoft.com and Entra ID (--azure-authority-host; --azure-ca-file behind a TLS proxy)"
        )
    if code == THROTTLED:
        return f"Azure throttles usage calls past the retries ({code}): lower --ship-rate-per-second"
    detail = short_message(exc)
    return (
        f"Azure Marketplace failed the call ({code}: {detail}): an Azure-side error or outage; events are "
        "sent again, identical, so nothing to do unless it lasts"
    )
