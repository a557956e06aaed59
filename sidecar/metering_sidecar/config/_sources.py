"""Where settings come from: flags, METERING_SIDECAR_* env vars and the TOML file, in that order of
precedence, each refused with a message naming where a bad value came from."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from metering_sidecar.config._checks import validate
from metering_sidecar.config._config import SECTIONS, Config
from metering_sidecar.config._toml import flag_text
from metering_sidecar.core import ConfigError

ENV_PREFIX = "METERING_SIDECAR_"
CONFIG_ENV = ENV_PREFIX + "CONFIG"
# METERING_SIDECAR_* names that are not settings but are ours: the config file, the crash points of the
# reliability tests, the soak switch and tools cache of the test suite, and the address the application's
# container is given (an envFrom shared by both containers must not stop the sidecar).
OTHER_ENV = frozenset(ENV_PREFIX + n for n in ("CONFIG", "CRASH_AT", "SOAK", "TOOLS", "ADDRESS"))
# Kubernetes injects these for a Service named metering-sidecar (or metering-sidecar-*) into every pod of
# the namespace unless enableServiceLinks is false; they are not ours, so they are ignored, not refused.
_SERVICE_LINK = re.compile(
    r"_SERVICE_HOST$|_SERVICE_PORT(_\w+)?$|_PORT_\d+_(TCP|UDP|SCTP)(_ADDR|_PORT|_PROTO)?$"
)
_SERVICE_LINK_URL = re.compile(r"^(tcp|udp|sctp)://")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --config and one flag per Config field, grouped by section; defaults stay None so env applies."""
    parser.add_argument(
        "--config", default=None, metavar="FILE",
        help=f"TOML file whose keys are these flags without dashes (env {CONFIG_ENV}); flags and env win",
    )  # fmt: skip
    groups = {name: parser.add_argument_group(name) for name in SECTIONS}
    for f in dataclasses.fields(Config):
        group = groups[f.metadata["section"]]
        help_text = f"{f.metadata['help']} (env {_env_name(f.name)}; default {f.default!r})"
        if f.type == "bool":
            group.add_argument(_flag(f.name), action="store_true", default=None, help=help_text)
        else:
            group.add_argument(_flag(f.name), default=None, metavar=f.name.upper(), help=help_text)


def check_env(env: Mapping[str, str]) -> None:
    """Refuse a METERING_SIDECAR_* variable that is no setting, so a misspelt one never goes unnoticed."""
    known = {_env_name(f.name) for f in dataclasses.fields(Config)} | OTHER_ENV
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in known or _service_link(name, env[name]):
            continue
        hint = difflib.get_close_matches(name, sorted(known), n=1)
        also = f"; did you mean {hint[0]}?" if hint else ""
        raise ConfigError(f"{name}: unknown environment variable (no setting has this name){also}")


def _service_link(name: str, value: str) -> bool:
    # <SERVICE>_PORT alone carries tcp://ip:port; METERING_SIDECAR_PORT is the one of our own Service.
    if _SERVICE_LINK.search(name) or name == ENV_PREFIX + "PORT":
        return True
    return name.endswith("_PORT") and bool(_SERVICE_LINK_URL.match(value))


def read_file(path: str, source: str) -> dict[str, tuple[str, Any]]:
    """Read the TOML config file: field name -> (key as written, value); unknown keys are errors."""
    try:
        with Path(path).open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{source}: {path} is not UTF-8 (byte {exc.start} is 0x{exc.object[exc.start]:02x}); "
            "the config file must be UTF-8 TOML"
        ) from None
    fields = {f.name for f in dataclasses.fields(Config)}
    values: dict[str, tuple[str, Any]] = {}
    for key, value in document.items():
        name = key.replace("-", "_")
        if name not in fields:
            hint = difflib.get_close_matches(
                name.replace("_", "-"), [n.replace("_", "-") for n in fields], n=1
            )
            also = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(
                f"{path}: unknown key {key!r} (the keys are serve's flags without dashes){also}"
            )
        if name in values:
            raise ConfigError(f"{path}: {key!r} and {values[name][0]!r} set the same setting")
        values[name] = (key, value)
    return values


def _config_path(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[str | None, str]:
    """Return the config file's path (None: no file) and where it was given; refuse an empty one."""
    # An empty value is refused rather than read as "no file": a templated --config or env var that came
    # out empty would otherwise start serve on the default database in the working directory.
    path: str | None = getattr(args, "config", None)
    source = "--config"
    if path is None:
        path, source = env.get(CONFIG_ENV), CONFIG_ENV
    if path is not None and not path.strip():
        raise ConfigError(f"{source} is empty: give a file path or leave it unset")
    return path, source


def build(args: argparse.Namespace, env: Mapping[str, str], **overrides: Any) -> Config:
    """Build the Config from flags, then env vars, then the config file, then defaults; validate the whole."""
    check_env(env)
    path, source = _config_path(args, env)
    from_file = read_file(path, source) if path else {}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Config):
        parse: Callable[[str], Any] = f.metadata["parse"]
        raw = getattr(args, f.name, None)
        if raw is True or raw is False:
            values[f.name] = raw
            continue
        where = _flag(f.name)
        if raw is None:
            raw = env.get(_env_name(f.name))
            where = _env_name(f.name)
        try:
            if raw is None and f.name in from_file:
                key, value = from_file[f.name]
                where = f"{path}: {key}"
                raw = flag_text(f, value)
            if raw is None:
                continue
            values[f.name] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    values.update(overrides)
    config = Config(**values)
    validate(config, env)
    return config


def from_mapping(env: Mapping[str, str], **overrides: Any) -> Config:
    """Build a Config from env vars and keyword overrides only (for embedding and tests)."""
    return build(argparse.Namespace(), env, **overrides)
