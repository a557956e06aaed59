"""The targets a sidecar knows, found by marketplace name or by the store's ``customer_field``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from metering_sidecar.core import ConfigError
from metering_sidecar.targets._aws import AWS_MAX_RECORD_AGE, AwsTarget
from metering_sidecar.targets._aws_api import AwsMeteringApi
from metering_sidecar.targets._azure import AzureTarget
from metering_sidecar.targets._azure_api import AzureApi
from metering_sidecar.targets._target import Target

DEFAULT_EXPIRY_MARGIN = 900.0


class TargetRegistry:
    """Targets by marketplace and by customer field; also when each target's records expire."""

    def __init__(self, targets: Iterable[Target], *, expiry_margin: float = DEFAULT_EXPIRY_MARGIN) -> None:
        self._by_name: dict[str, Target] = {}
        self._by_field: dict[str, Target] = {}
        for target in targets:
            if target.marketplace in self._by_name:
                raise ConfigError(f"two targets for the marketplace {target.marketplace!r}")
            self._by_name[target.marketplace] = target
            for field in target.customer_fields:
                if field in self._by_field:
                    raise ConfigError(f"two targets claim the customer field {field!r}")
                self._by_field[field] = target
        self.expiry_margin = expiry_margin

    def __iter__(self) -> Iterator[Target]:
        return iter(self._by_name.values())

    def get(self, marketplace: str) -> Target:
        """Return the target of ``marketplace``."""
        try:
            return self._by_name[marketplace]
        except KeyError:
            raise LookupError(
                f"no target for the marketplace {marketplace!r} (known: {', '.join(sorted(self._by_name))}); "
                "was this database written by a newer metering-sidecar?"
            ) from None

    def for_field(self, customer_field: str) -> Target:
        """Return the target whose customer field ``customer_field`` is."""
        try:
            return self._by_field[customer_field]
        except KeyError:
            raise LookupError(
                f"no target for the customer field {customer_field!r} (known: "
                f"{', '.join(sorted(self._by_field))}); was this database written by a newer metering-sidecar?"
            ) from None

    def expiry_after(self, target: Target) -> float:
        """Return how long after its timestamp a record of ``target`` becomes an 'expired' dead letter."""
        return target.max_record_age - self.expiry_margin

    @property
    def longest_expiry(self) -> float:
        """Return the longest ``expiry_after`` of any target."""
        return max(self.expiry_after(t) for t in self)

    @property
    def conflict_reasons(self) -> frozenset[str]:
        """Return the dead-letter reasons meaning "the marketplace holds another record for this hour"."""
        return frozenset(t.conflict_reason for t in self)


def default_targets(
    *,
    max_record_age: float = AWS_MAX_RECORD_AGE,
    expiry_margin: float = DEFAULT_EXPIRY_MARGIN,
    aws: AwsMeteringApi | None = None,
    azure: AzureApi | None = None,
) -> TargetRegistry:
    """Return every marketplace's target; without adapters they encode and plan but cannot send.

    ``max_record_age`` is AWS's (``--max-record-age-seconds``); Azure's is its own 24 hours.
    """
    return TargetRegistry(
        [AwsTarget(aws, max_record_age=max_record_age), AzureTarget(azure)], expiry_margin=expiry_margin
    )
