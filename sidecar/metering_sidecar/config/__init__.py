"""Configuration: one frozen dataclass built from flags, then env vars, then defaults."""

from metering_sidecar.config._config import (
    ENV_PREFIX,
    STANDARD_WINDOW_SECONDS,
    Config,
    add_arguments,
    build,
    from_mapping,
    parse_time,
    read_token,
)

__all__ = [
    "ENV_PREFIX",
    "STANDARD_WINDOW_SECONDS",
    "Config",
    "add_arguments",
    "build",
    "from_mapping",
    "parse_time",
    "read_token",
]
