"""What the AWS target needs from an AWS Marketplace adapter, and the answers it gets back.

The adapter (``metering_sidecar.marketplace``: boto3, threads, deadlines) implements it; the target sees
only these types. Whole-call failures raise RemoteError with botocore's error name as the code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

UsageRecord = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class UsageRecordResult:
    """AWS's verdict on one record: Success, CustomerNotSubscribed or DuplicateRecord."""

    usage_record: UsageRecord
    status: str
    metering_record_id: str


@dataclass(frozen=True, slots=True)
class BatchMeterUsageResult:
    """A BatchMeterUsage answer: per-record results and records AWS did not process."""

    results: Sequence[UsageRecordResult]
    unprocessed: Sequence[UsageRecord]


class AwsMeteringApi(Protocol):
    """The one AWS call the AWS target makes (``Marketplace`` in ``metering_sidecar.marketplace``)."""

    async def batch_meter_usage(
        self, *, product_code: str | None, records: Sequence[UsageRecord]
    ) -> BatchMeterUsageResult:
        """Send up to 25 records of one product; ``product_code`` is None for license records."""
        ...


# botocore's credential errors: raised while signing, before anything is sent. By name, so the list
# holds for any botocore version (the adapter looks up the classes its botocore has).
CREDENTIAL_ERROR_NAMES = (
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "TokenRetrievalError",
    "NoAuthTokenError",
    "UnknownCredentialError",
    "RefreshWithMFAUnsupportedError",
    "MetadataRetrievalError",
    "SSOError",
    "LoginError",
    "ProfileNotFound",
    "ConfigNotFound",
    "ConfigParseError",
    "InvalidConfigError",
)
# RemoteError codes of a call that got no answer because AWS is unreachable, hung or cannot be signed
# for: the next call would most likely meet the same, so a caller with more calls queued can stop early.
UNREACHABLE_CODES = frozenset(
    {
        "CallDeadlineExceeded",
        "TooManyCallsInFlight",
        "ThreadStartFailed",
        "ReadTimeoutError",
        "ConnectTimeoutError",
        "EndpointConnectionError",
        "ProxyConnectionError",
        "SSLError",
        *CREDENTIAL_ERROR_NAMES,
    }
)
