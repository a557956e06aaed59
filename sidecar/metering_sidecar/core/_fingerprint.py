"""An event's fingerprint: what ingest compares when an event_id comes again (I8: same content, a repeat;
other content, a conflict).

The fingerprint is BLAKE2b-128 of the event's deterministic wire form, in hex: the event exactly as
received, so a retry without a timestamp is the same event. Databases hold fingerprints made this way
since the first version, so it never changes.

Most events have the common shape: event_id, customer_aws_account_id, dimension and quantity, nothing
else set. Their wire form follows from those four values, which their row stores anyway, so ingest
stores ``DERIVED`` in place of their fingerprint and computes it (``common_fingerprint``) only when an
event_id comes again, which is rare: 1000 events then cost no hashing at all on the way in
(BENCHMARKS.md, "Where the time goes"). The comparison is the same as if the hash were stored
(tests/test_fingerprint.py checks ``common_fingerprint`` against protobuf's own encoding).
"""

from __future__ import annotations

import hashlib

# The hash with no input yet: copying it costs less than building one (its keywords).
_STATE = hashlib.blake2b(digest_size=16)

DERIVED = "="  # a stored fingerprint that is common_fingerprint of its row's columns; never a hex digest

# UsageEvent's fields of the common shape: (field number << 3) | wire type (2 length-delimited, 0 varint).
_EVENT_ID, _ACCOUNT, _DIMENSION, _QUANTITY = b"\x0a", b"\x12", b"\x32", b"\x38"


def fingerprint_of_wire(wire: bytes) -> str:
    """Return the fingerprint of an event whose deterministic wire form is ``wire``."""
    digest = _STATE.copy()
    digest.update(wire)
    return digest.hexdigest()


def fingerprint_state() -> hashlib.blake2b:
    """Return the fingerprint's hash state before any input (copy it, then feed it the wire form)."""
    return _STATE


def common_fingerprint(event_id: str, account: str, dimension: str, quantity: int) -> str:
    """Return the fingerprint of an event with these four fields set and no other (quantity not negative)."""
    wire = b"".join(
        (
            _text(_EVENT_ID, event_id),
            _text(_ACCOUNT, account),
            _text(_DIMENSION, dimension),
            _QUANTITY + _varint(quantity) if quantity else b"",
        )
    )
    return fingerprint_of_wire(wire)


def resolved(fingerprint: str, event_id: str, account: str, dimension: str, quantity: int) -> str:
    """Return a stored fingerprint as the hash it stands for: ``DERIVED`` computed from the row's columns."""
    return (
        common_fingerprint(event_id, account, dimension, quantity) if fingerprint == DERIVED else fingerprint
    )


def _text(tag: bytes, value: str) -> bytes:
    """A string field as protobuf encodes it (omitted when empty, as proto3 does)."""
    if not value:
        return b""
    data = value.encode()
    return tag + _varint(len(data)) + data


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
