"""Each marketplace's failing calls, for ``GetStatus.shipping_error``: since when, and what the last one said.

Only whole calls that failed for a reason that is not their records' content count (the target says so in
``CallResult.failure``: no credentials, no answer, a server error, throttling past the retries). A call the
marketplace answered ends the streak; so does a refusal to take calls (``stop``), which the shipper reports
as ``disabled_reason`` instead. None of this pauses shipping, fails readiness or marks shipping disabled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from metering_sidecar.core import utc_text
from metering_sidecar.targets import CallResult

log = logging.getLogger("sidecar.shipping")


@dataclass(frozen=True, slots=True)
class Failing:
    """A marketplace whose calls fail: since the first failure of the streak, and the latest's message."""

    since: float
    message: str


class CallFailures:
    """The failure streak of each marketplace, from the answers of its calls."""

    def __init__(self) -> None:
        self._failing: dict[str, Failing] = {}

    def note(self, marketplace: str, answer: CallResult, now: float) -> None:
        """Start or extend the streak on a failed call; end it when the marketplace answered or said stop."""
        if answer.failure:
            earlier = self._failing.get(marketplace)
            self._failing[marketplace] = Failing(earlier.since if earlier else now, answer.failure)
        elif (answer.answered or answer.stop) and self._failing.pop(marketplace, None) is not None:
            log.info("the marketplace's calls go through again",
                     extra={"fields": {"marketplace": marketplace}})  # fmt: skip

    def clear(self) -> None:
        """Forget every streak (this instance no longer ships)."""
        self._failing.clear()

    def describe(self) -> str:
        """Return one line per failing marketplace ("aws: ... since ..."), '' while none fails."""
        return "; ".join(
            f"{marketplace}: shipping calls failing since {utc_text(f.since)}: {f.message}"
            for marketplace, f in sorted(self._failing.items())
        )
