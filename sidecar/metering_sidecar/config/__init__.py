"""Configuration: one frozen dataclass built from flags, then env vars, then a TOML file, then defaults."""

from metering_sidecar.config._config import (
    CONFIG_ENV,
    ENV_PREFIX,
    SECTIONS,
    STANDARD_WINDOW_SECONDS,
    Config,
    add_arguments,
    build,
    check_env,
    from_mapping,
    parse_time,
    read_token,
)

__all__ = [
    "CONFIG_ENV",
    "ENV_PREFIX",
    "SECTIONS",
    "STANDARD_WINDOW_SECONDS",
    "Config",
    "add_arguments",
    "build",
    "check_env",
    "from_mapping",
    "parse_time",
    "read_token",
]
