"""Structured logs: one JSON object per line (or plain text), with the event's fields.

Call sites pass fields as ``extra={"fields": {...}}``. Values whose key looks like a secret are
masked, so a credential or token can never reach a log line by accident.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any, TextIO

_SECRET_HINTS = ("token", "secret", "password", "credential", "authorization", "access_key")


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: "***" if any(h in k.lower() for h in _SECRET_HINTS) else v for k, v in fields.items()}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line: time, level, logger, message, fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line."""
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(_clean(fields))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """Format a record as readable text with key=value fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the text line."""
        fields = getattr(record, "fields", None)
        tail = ""
        if isinstance(fields, dict):
            tail = " " + " ".join(f"{k}={v}" for k, v in _clean(fields).items())
        text = f"{record.levelname.lower():7} {record.name}: {record.getMessage()}{tail}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure(level: str = "info", fmt: str = "json", stream: TextIO | None = None) -> None:
    """Send sidecar logs to ``stream`` (stderr) in the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("sidecar")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
