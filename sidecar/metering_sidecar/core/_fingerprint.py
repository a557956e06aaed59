"""An event's fingerprint: what ingest compares when an event_id comes again (I8: same content, a repeat;
other content, a conflict).

The fingerprint is BLAKE2b-128 of the event's deterministic wire form, in hex: the event exactly as
received, so a retry without a timestamp is the same event. Databases hold fingerprints made this way
since the first version, so it never changes.

Most events have the common shape: event_id, customer_aws_account_id, dimension and quantity, nothing
else set. Their wire form follows from those four values, which their row stores anyway, so ingest
stores ``DERIVED`` in place of their fingerprint: a batch of 1000 such events is neither encoded nor
hashed on the way in. When an event_id comes again (rare), the two copies are compared by what their
fingerprints stand for (``content``): two DERIVED copies by their columns, and a DERIVED copy against a
hash (an event with more fields, or one stored by a version before DERIVED) by computing its hash
(``common_fingerprint``). The answer is the one the stored hashes would give (tests/test_fingerprint.py
checks ``common_fingerprint`` against protobuf's own encoding).
"""

from __future__ import annotations

import hashlib

# The hash with no input yet: copying it costs less than building one (its keywords).
_STATE = hashlib.blake2b(digest_size=16)

DERIVED = "="  # a stored fingerprint that is common_fingerprint of its row's columns; never a hex digest
Content = str | tuple[str, str, str, int]
"""What a stored fingerprint stands for: the hash, or for DERIVED its row's event_id, customer_aws_account_id,
dimension and quantity."""

# UsageEvent's fields of the common shape: (field number << 3) | wire type (2 length-delimited, 0 varint).
_EVENT_ID, _ACCOUNT, _DIMENSION, _QUANTITY = b"\x0a", b"\x12", b"\x32", b"\x38"


def fingerprint_of_wire(wire: bytes) -> str:
    """Return the fingerprint of an event whose deterministic wire form is ``wire``."""
    digest = _STATE.copy()
    digest.update(wire)
    return digest.hexdigest()


def common_fingerprint(event_id: str, account: str, dimension: str, quantity: int) -> str:
    """Return the fingerprint of an event with these four fields set and no other."""
    wire = b"".join(
        (
            _text(_EVENT_ID, event_id),
            _text(_ACCOUNT, account),
            _text(_DIMENSION, dimension),
            _QUANTITY + _varint(quantity) if quantity else b"",
        )
    )
    return fingerprint_of_wire(wire)


def content(fingerprint: str, event_id: str, account: str, dimension: str, quantity: int) -> Content:
    """Return what a row's fingerprint stands for (a row's columns are only kept for DERIVED)."""
    return (event_id, account, dimension, quantity) if fingerprint == DERIVED else fingerprint


def same_content(first: Content, second: Content) -> bool:
    """Whether two copies of an event_id are the same event: hashed only when one is DERIVED and the other
    is not."""
    if isinstance(first, str) == isinstance(second, str):
        return first == second
    derived, hashed = (second, first) if isinstance(first, str) else (first, second)
    assert not isinstance(derived, str)  # for mypy: exactly one of the two is a hash
    return common_fingerprint(*derived) == hashed


def _text(tag: bytes, value: str) -> bytes:
    """A string field as protobuf encodes it (omitted when empty, as proto3 does)."""
    if not value:
        return b""
    data = value.encode()
    return tag + _varint(len(data)) + data


def _varint(value: int) -> bytes:
    """An int64 as a protobuf varint (a negative one as its 64-bit two's complement, 10 bytes)."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
