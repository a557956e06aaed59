"""The fingerprint ingest compares for I8, and DERIVED, the form common events store it in.

``common_fingerprint`` encodes an event's four common fields by hand; it must be exactly the hash of
protobuf's own deterministic encoding of that event (``fingerprint``), for any values, or a retry of an
event stored DERIVED would be taken for a conflict, or a conflict for a repeat.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar.api import fingerprint
from metering_sidecar.core import DERIVED, common_fingerprint, content, same_content

# Lengths where a string's length varint gains a byte; quantities where the value's does, up to int64's.
texts = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=20),
    st.sampled_from([0, 1, 127, 128, 255, 16383, 16384]).flatmap(
        lambda n: st.just("a7" * (n // 2) + "b" * (n % 2))
    ),
)
quantities = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, 127, 128, 16383, 16384, 2**31 - 1, 2**63 - 1, -1, -(2**63)]),
)


@settings(max_examples=500, deadline=None)
@given(texts, texts, texts, quantities)
def test_common_fingerprint_is_the_hash_of_protobufs_own_encoding(
    event_id: str, account: str, dimension: str, quantity: int
) -> None:
    """For any four values (empty, non-ASCII, at every length-varint boundary, any int64 quantity: a stored row
    is read back whatever it holds), the hand encoding gives the fingerprint of the protobuf event with those
    fields set."""
    message = pb.UsageEvent(
        event_id=event_id, customer_aws_account_id=account, dimension=dimension, quantity=quantity
    )
    assert common_fingerprint(event_id, account, dimension, quantity) == fingerprint(message)


def test_copies_compare_by_what_their_fingerprints_stand_for() -> None:
    """Two DERIVED copies are the same event when their columns are; a DERIVED copy and a hash (stored by an
    earlier version, or an event with more fields) when the columns hash to it; two hashes when equal. A
    hash is 32 hex digits, so it is never DERIVED."""
    message = pb.UsageEvent(event_id="e-1", customer_aws_account_id="1234", dimension="d", quantity=3)
    digest = fingerprint(message)
    derived = content(DERIVED, "e-1", "1234", "d", 3)
    assert derived == ("e-1", "1234", "d", 3)
    assert content(digest, "ignored", "9", "x", 1) == digest
    assert same_content(derived, ("e-1", "1234", "d", 3))
    assert same_content(derived, digest)
    assert same_content(digest, derived)
    assert same_content(digest, digest)
    for other in (("e-1", "1234", "d", 4), ("e-1", "1235", "d", 3), ("e-1", "1234", "e", 3)):
        assert not same_content(derived, other)
        assert not same_content(other, digest)
        assert not same_content(digest, other)
    assert not same_content(digest, fingerprint(pb.UsageEvent(event_id="e-1", quantity=3)))
    assert len(digest) == 32
    assert set(digest) <= set(string.hexdigits)
    assert not set(DERIVED) <= set(string.hexdigits)
