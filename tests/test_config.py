"""Flags, env vars and the CLI: precedence, and a clear error for every bad value."""

from __future__ import annotations

import argparse

import pytest
from metering_sidecar import config as config_module
from metering_sidecar.cli._main import main
from metering_sidecar.core._errors import ConfigError


def _build(argv: list[str], env: dict[str, str]) -> config_module.Config:
    parser = argparse.ArgumentParser()
    config_module.add_arguments(parser)
    return config_module.build(parser.parse_args(argv), env)


def test_defaults() -> None:
    """Defaults match the documented ones."""
    cfg = _build([], {})
    assert (cfg.listen, cfg.window_seconds, cfg.max_record_age_seconds) == ("127.0.0.1:50051", 3600, 21600)
    assert (cfg.expiry_margin_seconds, cfg.max_backoff_seconds, cfg.id_retention_days) == (900, 60.0, 7.0)
    assert cfg.audit_retention_days == 90.0


def test_flag_beats_env_beats_default() -> None:
    """A flag wins over METERING_SIDECAR_*, which wins over the default."""
    env = {"METERING_SIDECAR_PRODUCT_CODE": "from-env", "METERING_SIDECAR_CLOSE_DELAY_SECONDS": "5"}
    assert _build([], env).product_code == "from-env"
    assert _build(["--product-code", "from-flag"], env).product_code == "from-flag"
    assert _build([], env).close_delay_seconds == 5.0


def test_every_field_has_flag_and_env() -> None:
    """Each setting is reachable as --name and METERING_SIDECAR_NAME."""
    parser = argparse.ArgumentParser()
    config_module.add_arguments(parser)
    flags = {a.dest for a in parser._actions}
    for field in config_module.Config.__dataclass_fields__:
        assert field in flags
    assert _build([], {"METERING_SIDECAR_ALLOCATION_TAG_KEYS": "team, env"}).allocation_tag_keys == (
        "team",
        "env",
    )


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--close-delay-seconds", "soon"], {}, "--close-delay-seconds: expected a number, got 'soon'"),
        (
            [],
            {"METERING_SIDECAR_MAX_BACKOFF_SECONDS": "-1"},
            "METERING_SIDECAR_MAX_BACKOFF_SECONDS: must be at least",
        ),
        ([], {"METERING_SIDECAR_FLUSH_INTERVAL_SECONDS": "nan"}, "METERING_SIDECAR_FLUSH_INTERVAL_SECONDS"),
        (["--max-record-age-seconds", "1.5"], {}, "expected an integer"),
        (["--window-seconds", "60"], {}, "--window-seconds: must be 3600 against AWS"),
        (["--allocation-tag-keys", "a,b,c,d,e,f"], {}, "at most 5 allocation tag keys"),
        (["--allocation-tag-keys", "bad>key"], {}, "tag key 'bad>key'"),
        (["--log-level", "loud"], {}, "--log-level"),
        (["--expiry-margin-seconds", "30000"], {}, "--expiry-margin-seconds"),
        (["--db", ""], {}, "--db"),
        (["--aws-max-attempts", "0"], {}, "--aws-max-attempts: must be between 1 and 10"),
    ],
)
def test_bad_values_name_the_setting(argv: list[str], env: dict[str, str], message: str) -> None:
    """A bad flag or env value raises ConfigError naming it and what was expected."""
    with pytest.raises(ConfigError, match=None) as info:
        _build(argv, env)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "env",
    [
        {"AWS_ENDPOINT_URL_MARKETPLACE_METERING": "http://127.0.0.1:1"},
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"},
    ],
)
def test_short_windows_need_a_custom_endpoint(env: dict[str, str]) -> None:
    """Windows other than 3600 s are allowed only against a custom metering endpoint."""
    assert _build(["--window-seconds", "60"], env).window_seconds == 60
    assert _build(["--window-seconds", "60", "--metering-endpoint-url", "http://x"], {}).window_seconds == 60
    assert _build(["--window-seconds", "10", "--emulator"], {}).emulator


def test_cli_reports_config_errors_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """`metering-sidecar serve` with a bad value exits 2 and says what is wrong, starting nothing."""
    code = main(["serve", "--window-seconds", "60"], env={})
    assert code == 2
    assert "--window-seconds: must be 3600" in capsys.readouterr().err


def test_cli_reports_bad_env_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A bad env var is reported by name."""
    assert main(["serve"], env={"METERING_SIDECAR_MAX_PENDING_EVENTS": "lots"}) == 2
    assert "METERING_SIDECAR_MAX_PENDING_EVENTS: expected an integer" in capsys.readouterr().err
