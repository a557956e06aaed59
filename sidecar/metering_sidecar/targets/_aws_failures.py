"""What an operator reads when a whole AWS call failed for a reason that is not its records' content.

Built from the error's code (botocore's name or AWS's), plus AWS's own message for server errors. The
adapter already scrubbed messages of secrets; credential errors never quote their provider here at all.
"""

from __future__ import annotations

from metering_sidecar.core import RemoteError
from metering_sidecar.targets._aws_api import CREDENTIAL_ERROR_NAMES
from metering_sidecar.targets._target import short_message

# AWS answered, but refused who is calling (the role, its policy, an expired or unknown key).
IDENTITY_REFUSED_CODES = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationTokenException",
    }
)
UNREACHABLE = frozenset(
    {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ProxyConnectionError",
        "SSLError",
        "ConnectionClosedError",
    }
)
NO_ANSWER_IN_TIME = frozenset({"CallDeadlineExceeded", "ReadTimeoutError", "TooManyCallsInFlight"})
# Whole-call failures that say "too fast": the shipper slows AWS's pace down.
THROTTLED = frozenset({"ThrottlingException", "TooManyRequestsException"})


def call_failure(exc: RemoteError) -> str:
    """Return what failed and what to do, for ``GetStatus.shipping_error``."""
    code = exc.code
    if code in CREDENTIAL_ERROR_NAMES:
        return (
            f"no usable AWS credentials ({code}), nothing is sent: give the pod its IAM role (IRSA or EKS Pod "
            "Identity) or set AWS credentials"
        )
    if code in IDENTITY_REFUSED_CODES:
        return (
            f"AWS refuses this sidecar's identity ({code}): check the IAM role and its policy "
            "(aws-marketplace:BatchMeterUsage), and that its credentials are current"
        )
    if code in UNREACHABLE:
        return (
            f"AWS Marketplace is unreachable ({code}): check network egress, DNS, proxy and TLS to the "
            "metering endpoint"
        )
    if code in NO_ANSWER_IN_TIME:
        return (
            f"AWS Marketplace did not answer in time ({code}): check the network to the metering endpoint; "
            "records are sent again, identical"
        )
    if code in THROTTLED:
        return (
            f"AWS throttles BatchMeterUsage past the retries ({code}): lower --ship-rate-per-second (several "
            "meterers share one account's quota) or ask AWS for a higher quota"
        )
    detail = short_message(exc)
    return (
        f"AWS Marketplace failed the call ({code}: {detail}): an AWS-side error or outage; records are sent "
        "again, identical, so nothing to do unless it lasts"
    )
