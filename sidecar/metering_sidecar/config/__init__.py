"""Configuration: one frozen dataclass built from flags, then env vars, then a TOML file, then defaults."""

from metering_sidecar.config._checks import read_token
from metering_sidecar.config._config import (
    AZURE_AUTHORITY_HOST,
    AZURE_MARKETPLACE_API,
    SECTIONS,
    STANDARD_WINDOW_SECONDS,
    Config,
)
from metering_sidecar.config._parsers import parse_time
from metering_sidecar.config._sources import (
    CONFIG_ENV,
    ENV_PREFIX,
    add_arguments,
    build,
    check_env,
    from_mapping,
)

__all__ = [
    "AZURE_AUTHORITY_HOST",
    "AZURE_MARKETPLACE_API",
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
