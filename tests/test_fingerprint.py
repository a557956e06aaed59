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
from metering_sidecar.core import DERIVED, common_fingerprint, resolved

# Lengths where a string's length varint gains a byte; quantities where the value's does, up to int64's.
texts = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=20),
    st.sampled_from([0, 1, 127, 128, 255, 16383, 16384]).flatmap(
        lambda n: st.just("a7" * (n // 2) + "b" * (n % 2))
    ),
)
quantities = st.one_of(
    st.integers(0, 2**63 - 1), st.sampled_from([0, 1, 127, 128, 16383, 16384, 2**31 - 1, 2**63 - 1])
)


@settings(max_examples=500, deadline=None)
@given(texts, texts, texts, quantities)
def test_common_fingerprint_is_the_hash_of_protobufs_own_encoding(
    event_id: str, account: str, dimension: str, quantity: int
) -> None:
    """For any four values (empty, non-ASCII, at every length-varint boundary), the hand encoding gives
    the fingerprint of the protobuf event with those fields set."""
    message = pb.UsageEvent(
        event_id=event_id, customer_aws_account_id=account, dimension=dimension, quantity=quantity
    )
    assert common_fingerprint(event_id, account, dimension, quantity) == fingerprint(message)


def test_resolved_computes_derived_and_keeps_every_stored_hash() -> None:
    """A stored DERIVED stands for the hash of its row's columns; a stored hash is itself. DERIVED is never a
    hash (32 hex digits), so the two cannot be confused."""
    message = pb.UsageEvent(event_id="e-1", customer_aws_account_id="1234", dimension="d", quantity=3)
    assert resolved(DERIVED, "e-1", "1234", "d", 3) == fingerprint(message)
    assert resolved(DERIVED, "e-1", "1234", "d", 4) != fingerprint(message)
    assert resolved(fingerprint(message), "other", "9", "x", 1) == fingerprint(message)
    digest = fingerprint(message)
    assert len(digest) == 32
    assert set(digest) <= set(string.hexdigits)
    assert len(DERIVED) != 32
