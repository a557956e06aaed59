"""I6: calls stay within AWS's limits, whatever the records look like."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from metering_sidecar.core._model import Record
from metering_sidecar.shipping import MAX_CALL_BYTES, MAX_RECORDS_PER_CALL, plan_calls


def _record(i: int, product: str, size: int, license: bool = False) -> Record:
    return Record(i, product, license, '{"x":"' + "a" * size + '"}', 0, 0.0)


def test_records_of_one_product_split_into_25s() -> None:
    """60 small records of one product make calls of 25, 25 and 10."""
    calls = list(plan_calls([_record(i, "p", 10) for i in range(60)]))
    assert [len(c.records) for c in calls] == [25, 25, 10]
    assert {c.product_code for c in calls} == {"p"}


def test_large_records_split_under_1mb() -> None:
    """Records of 300 kB each go at most three to a call, so no call reaches 1 MB."""
    calls = list(plan_calls([_record(i, "p", 300_000) for i in range(7)]))
    assert [len(c.records) for c in calls] == [2, 2, 2, 1]


def test_license_records_and_unknown_products_are_apart() -> None:
    """License records get calls without ProductCode; a license record of unknown product goes alone."""
    records = [
        _record(1, "p", 5, license=True),
        _record(2, "p", 5),
        _record(3, "", 5, True),
        _record(4, "", 5, True),
    ]
    calls = list(plan_calls(records))
    shapes = sorted((c.product_code or "-", tuple(r.id for r in c.records)) for c in calls)
    assert shapes == [("-", (1,)), ("-", (3,)), ("-", (4,)), ("p", (2,))]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["p1", "p2", ""]), st.integers(0, 400_000), st.booleans()),
        max_size=80,
    )
)
def test_every_plan_is_within_limits(specs: list[tuple[str, int, bool]]) -> None:
    """Any mix of records: each record in exactly one call, each call one product, <= 25 and under 1 MB."""
    records = [_record(i, p, size, lic or not p) for i, (p, size, lic) in enumerate(specs)]
    calls = list(plan_calls(records))
    seen = [r.id for c in calls for r in c.records]
    assert sorted(seen) == list(range(len(records)))
    for call in calls:
        assert 1 <= len(call.records) <= MAX_RECORDS_PER_CALL
        assert len({(r.product_code, r.has_license) for r in call.records}) == 1
        assert len(call.records) == 1 or sum(len(r.request_json) for r in call.records) < MAX_CALL_BYTES
        if any(not r.product_code for r in call.records):
            assert len(call.records) == 1
