"""Structured logs: one JSON object per line (or plain text), with the event's fields.

Call sites pass fields as ``extra={"fields": {...}}``. Secrets are masked by key, at any depth: a string
(or structured) value whose key names a secret (``token``, ``password``, ``credentials``, ``api_key``...)
becomes ``***``, while booleans, numbers and null under such a key stay visible, since they describe a
secret rather than hold one (``token_auth: true``, ``fencing_token: 7``). A DSN's password is scrubbed out
of every string, the message and the traceback included. Structured values are written as JSON objects
and arrays, never as Python reprs.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import itertools
import json
import logging
import re
import sys
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, TextIO

MASK = "***"
# Words that make a key a secret's name, once the key is split into lower-case words (camelCase,
# snake_case, kebab-case and dotted keys alike): "registration_token", "SecretAccessKey", "api-key".
_SECRET_WORDS = frozenset(
    {"token", "tokens", "password", "passwd", "pwd", "secret", "secrets", "credential", "credentials",
     "authorization", "cookie", "apikey", "passphrase"}
)  # fmt: skip
# Pairs of words that name a secret although neither word does alone.
_SECRET_PAIRS = frozenset({("api", "key"), ("access", "key"), ("private", "key"), ("session", "key")})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# A DSN's password in its two forms (as in the cluster ledger's scrub, which cannot be imported here:
# it needs psycopg, an optional extra).
_DSN_SECRETS = (
    re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE),  # key=value form
    re.compile(r"(://[^:/@\s]*:)([^@\s]*)(@)"),  # URI form: scheme://user:password@host
)
# What the Azure libraries' own lines might carry: a bearer token, and OAuth's secret parameters in form
# (client_secret=...) or JSON ("access_token": "...") form.
_OAUTH_SECRETS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"""(?i)((?:client_secret|client_assertion|assertion|access_token|refresh_token|id_token)["']?\s*[=:]\s*["']?)"""
        r"""[^\s&"',;]+"""
    ),
)
# Third-party loggers whose warnings matter (azure-identity's failed tokens, MSAL's, urllib3's discarded
# connections): written by the sidecar's handler, as JSON and scrubbed, instead of Python's last-resort
# handler, which writes bare unscrubbed text.
THIRD_PARTY_LOGGERS = ("azure", "msal", "urllib3")


def is_secret_key(key: str) -> bool:
    """Return whether a field's key names a secret."""
    words = [w.lower() for w in _WORD.findall(key)]
    # A word that ends in a secret word counts too: PGPASSWORD, sslpassword, authtoken.
    return (
        any(w.endswith(s) for w in words for s in _SECRET_WORDS if len(s) > 3)
        or any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))
        or bool(_SECRET_WORDS.intersection(words))
    )


def scrub(text: str) -> str:
    """Return ``text`` with any DSN password replaced by ``***``."""
    for pattern in _DSN_SECRETS:
        text = pattern.sub(lambda m: m.group(1) + MASK + (m.group(3) if m.lastindex == 3 else ""), text)
    for pattern in _OAUTH_SECRETS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def _json(value: Any) -> Any:
    """Return ``value`` as JSON-ready data: mappings and dataclasses as objects, collections as arrays."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, enum.Enum):
        return _json(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _clean({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, Mapping):
        return _clean({str(k): v for k, v in value.items()})
    if isinstance(value, set | frozenset):
        return sorted((_json(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, BaseException):
        return {"type": type(value).__name__, "message": scrub(str(value))}
    return scrub(str(value))  # anything else by its str(), which for our types is what a reader wants


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: MASK if is_secret_key(k) and not (v is None or isinstance(v, bool | int | float)) else _json(v)
        for k, v in fields.items()
    }


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line: time, level, logger, message, fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line."""
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(_clean(fields))
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line)


class TextFormatter(logging.Formatter):
    """Format a record as readable text with key=value fields (strings bare, anything else as JSON)."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the text line."""
        fields = getattr(record, "fields", None)
        tail = ""
        if isinstance(fields, dict):
            tail = " " + " ".join(
                f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in _clean(fields).items()
            )
        text = f"{record.levelname.lower():7} {record.name}: {scrub(record.getMessage())}{tail}"
        if record.exc_info:
            text += "\n" + scrub(self.formatException(record.exc_info))
        return text


def configure(level: str = "info", fmt: str = "json", stream: TextIO | None = None) -> None:
    """Send sidecar logs to ``stream`` (stderr) in the chosen format; the Azure libraries' and urllib3's
    warnings (and worse) go the same way."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("sidecar")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    for name in THIRD_PARTY_LOGGERS:
        # They still propagate: the sidecar puts no handler on the root logger, and one put there on purpose
        # (pytest's log capture) sees them too.
        third_party = logging.getLogger(name)
        third_party.handlers[:] = [handler]
        third_party.setLevel(max(logging.WARNING, root.level))
