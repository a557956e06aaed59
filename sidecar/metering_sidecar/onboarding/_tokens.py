"""The checks every marketplace's registration token and tenant id pass, and the token's digest: the only
form in which a token is kept (stored, logged or used as a key)."""

from __future__ import annotations

import hashlib

from metering_sidecar.core import InvalidUsage

MAX_TOKEN = 4096
MAX_TENANT = 256


def checked_token(token: str, tenant_id: str, *, field: str, source: str) -> tuple[str, str]:
    """Return the token without surrounding blanks and its SHA-256; ``source`` says where to find it."""
    token = token.strip()
    if not token:
        raise InvalidUsage(field, f"is required: forward {source}")
    if len(token) > MAX_TOKEN:
        raise InvalidUsage(field, f"must be at most {MAX_TOKEN} characters")
    if not all("!" <= c <= "~" for c in token):
        # Marketplace tokens are printable ASCII. A line break would fail inside the HTTP request (Azure sends
        # the token as a header) and be retried as a connection error; a space is often a '+' decoded as one.
        raise InvalidUsage(
            field, f"must be printable ASCII without blanks or control characters: forward {source} exactly "
            "as given (URL-decoded, with a '+' kept as '+')",
        )  # fmt: skip
    if len(tenant_id) > MAX_TENANT or not tenant_id.isprintable():
        raise InvalidUsage("tenant_id", f"must be at most {MAX_TENANT} printable characters")
    return token, hashlib.sha256(token.encode()).hexdigest()
