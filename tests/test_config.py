"""Flags, env vars, the config file and the CLI: precedence, sections, and a clear error for every bad value."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import pytest
from metering_sidecar import config as config_module
from metering_sidecar.cli._main import main
from metering_sidecar.core._errors import ConfigError
from metering_sidecar.store import StoreSettings

from tests.cli_run import run_cli


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
    # The store's own default is the flag's, so a Store built without the config behaves as served.
    assert cfg.commit_delay_seconds == StoreSettings(3600, 21600, 900).commit_delay == 0.003


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
        (["--commit-delay-seconds", "0.5"], {}, "--commit-delay-seconds: must be at most 0.1, got 0.5"),
        (["--commit-delay-seconds", "-0.001"], {}, "--commit-delay-seconds: must be at least 0"),
        (
            [],
            {"METERING_SIDECAR_COMMIT_DELAY_SECONDS": "inf"},
            "METERING_SIDECAR_COMMIT_DELAY_SECONDS: must be at most",
        ),
        (
            [],
            {"METERING_SIDECAR_COMMIT_DELAY_SECONDS": "nan"},
            "METERING_SIDECAR_COMMIT_DELAY_SECONDS: must be at least",
        ),
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


def test_help_groups_flags_by_section() -> None:
    """`serve --help` lists the flags under API, storage, windows and shipping, AWS, cluster, operations."""
    out = run_cli(["serve", "--help"])
    assert out.returncode == 0
    starts = [out.stdout.index(f"\n{name}:\n") for name in config_module.SECTIONS]
    assert starts == sorted(starts)
    for field in dataclasses.fields(config_module.Config):
        section = config_module.SECTIONS.index(field.metadata["section"])
        where = out.stdout.index("\n  --" + field.name.replace("_", "-") + " ")
        end = starts[section + 1] if section + 1 < len(starts) else len(out.stdout)
        assert starts[section] < where < end, field.name


def test_config_file_sets_values_in_toml_types(tmp_path: Path) -> None:
    """Keys are the flags without dashes (underscores too), values TOML types, parsed like flags."""
    path = tmp_path / "sidecar.toml"
    path.write_text(
        "window-seconds = 60\nclose_delay_seconds = 5\nflush-interval-seconds = 0.5\nemulator = true\n"
        'allocation-tag-keys = ["team", "env"]\nship-from = 2026-11-27T10:00:00Z\nlog-level = "DEBUG"\n'
    )
    cfg = _build(["--config", str(path)], {})
    assert (cfg.window_seconds, cfg.close_delay_seconds, cfg.flush_interval_seconds) == (60, 5.0, 0.5)
    assert (cfg.emulator, cfg.allocation_tag_keys, cfg.log_level) == (True, ("team", "env"), "debug")
    assert cfg.ship_from == config_module.parse_time("2026-11-27T10:00:00Z")


def test_flag_beats_env_beats_file_beats_default(tmp_path: Path) -> None:
    """A flag wins over the env var, the env var over the file, the file over the default."""
    path = tmp_path / "sidecar.toml"
    path.write_text('product-code = "from-file"\nregion = "eu-west-1"\n')
    env = {"METERING_SIDECAR_PRODUCT_CODE": "from-env", "METERING_SIDECAR_CONFIG": str(path)}
    assert _build([], env).product_code == "from-env"
    assert _build(["--product-code", "from-flag"], env).product_code == "from-flag"
    assert _build([], env).region == "eu-west-1"
    assert _build([], {"METERING_SIDECAR_CONFIG": str(path)}).product_code == "from-file"
    assert _build([], {}).product_code == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("window-secnds = 60\n", "unknown key 'window-secnds'"),
        ("window-seconds = 3600.5\n", "window-seconds: expected an integer, got the float 3600.5"),
        ('window-seconds = "soon"\n', 'window-seconds: expected an integer, got the string "soon"'),
        ("allocation-tag-keys = [1]\n", "allocation-tag-keys: expected an array of strings"),
        ('allocation-tag-keys = ["bad>key"]\n', "tag key 'bad>key'"),
        ("[api]\nlisten = 'x'\n", "unknown key 'api'"),
        ("window-seconds = 3600\nwindow_seconds = 3600\n", "set the same setting"),
        ("window-seconds = \n", "is not valid TOML"),
        ("window-seconds = 60\n", "--window-seconds: must be 3600 against AWS"),
    ],
)
def test_bad_config_files_exit_2_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    """A bad key, value or file stops `serve` with exit 2, naming the file and what is wrong."""
    path = tmp_path / "bad.toml"
    path.write_text(text)
    out = run_cli(["serve", "--config", str(path)])
    assert out.returncode == 2
    assert message in out.stderr
    if "--window-seconds" not in message:
        assert str(path) in out.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('window-seconds = "3600"\n', 'window-seconds: expected an integer, got the string "3600"'),
        (
            'flush-interval-seconds = "0.5"\n',
            'flush-interval-seconds: expected a number, got the string "0.5"',
        ),
        ('emulator = "true"\n', 'emulator: expected true or false, got the string "true"'),
        (
            'allocation-tag-keys = "team,env"\n',
            "allocation-tag-keys: expected an array of strings, got the string",
        ),
        ("product-code = 42\n", "product-code: expected a string, got the integer 42"),
        ("product-code = { a = 1 }\n", "product-code: expected a string, got a table"),
        ("db = 2026-12-01\n", "db: expected a string, got a TOML date 2026-12-01"),
        ("ship-from = 10:00:00\n", "ship-from: expected a TOML date-time such as 2026-12-01T00:00:00Z"),
        ("ship-from = true\n", "ship-from: expected a TOML date-time"),
        ("emulator = 1\n", "emulator: expected true or false"),
    ],
)
def test_config_file_values_must_be_their_toml_type(tmp_path: Path, text: str, message: str) -> None:
    """The file promises TOML's own types: a quoted number or boolean is refused, not parsed, and a value is
    described in TOML's words (a TOML date, the string "3600"), never as a Python repr."""
    path = tmp_path / "typed.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        _build(["--config", str(path)], {})
    assert message in str(refused.value)
    assert str(refused.value).startswith(f"{path}: ")
    assert "datetime." not in str(refused.value)


def test_ship_from_takes_toml_dates_and_date_times(tmp_path: Path) -> None:
    """ship-from is a time: a TOML date is its midnight UTC, as `--ship-from 2026-12-01` is; the flag's text works too."""
    path = tmp_path / "sidecar.toml"
    midnight = config_module.parse_time("2026-12-01T00:00:00Z")
    for value in (
        "2026-12-01",
        "2026-12-01T00:00:00Z",
        "2026-12-01T00:00:00",
        '"2026-12-01T00:00:00Z"',
        str(int(midnight)),
    ):
        path.write_text(f"ship-from = {value}\n")
        assert _build(["--config", str(path)], {}).ship_from == midnight, value
    assert _build(["--ship-from", "2026-12-01"], {}).ship_from == midnight


def test_config_file_that_is_not_utf8_exits_2(tmp_path: Path) -> None:
    """A config file in another encoding stops `serve` with exit 2, naming the file and what it must be."""
    path = tmp_path / "c6.toml"
    path.write_bytes(b"\xff\xfe")
    for argv, env, source in (
        (["serve", "--config", str(path)], {}, "--config"),
        (["serve"], {"METERING_SIDECAR_CONFIG": str(path)}, "METERING_SIDECAR_CONFIG"),
    ):
        out = run_cli(argv, env)
        assert out.returncode == 2, out.stderr
        assert f"{source}: {path} is not UTF-8" in out.stderr
        assert "must be UTF-8 TOML" in out.stderr
        assert len(out.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--config", ""], {}, "--config is empty: give a file path or leave it unset"),
        (["--config", "  "], {}, "--config is empty"),
        (
            [],
            {"METERING_SIDECAR_CONFIG": ""},
            "METERING_SIDECAR_CONFIG is empty: give a file path or leave it unset",
        ),
    ],
)
def test_empty_config_path_exits_2(argv: list[str], env: dict[str, str], message: str) -> None:
    """An empty --config or METERING_SIDECAR_CONFIG (a template that came out empty) is refused: serve would
    otherwise start on the default database in the working directory, maybe an ephemeral disk."""
    # --window-seconds 60 is refused too, but later: without this check serve would fail on it, not start.
    out = run_cli(["serve", *argv, "--window-seconds", "60"], env)
    assert out.returncode == 2
    assert out.stderr.startswith(f"metering-sidecar: error: {message}")
    assert len(out.stderr.splitlines()) == 1


def test_unreadable_config_file_exits_2(tmp_path: Path) -> None:
    """A missing config file, by flag or by env var, exits 2 and names the file."""
    missing = tmp_path / "missing.toml"
    out = run_cli(["serve", "--config", str(missing)])
    assert (out.returncode, f"--config: cannot read {missing}" in out.stderr) == (2, True)
    out = run_cli(["serve"], {"METERING_SIDECAR_CONFIG": str(missing)})
    assert (out.returncode, f"METERING_SIDECAR_CONFIG: cannot read {missing}" in out.stderr) == (2, True)


def test_unknown_env_var_exits_2_naming_it() -> None:
    """A misspelt METERING_SIDECAR_* variable is refused by name, with the likely intended one."""
    out = run_cli(["serve"], {"METERING_SIDECAR_WINDOW_SECOND": "3600"})
    assert out.returncode == 2
    assert "METERING_SIDECAR_WINDOW_SECOND: unknown environment variable" in out.stderr
    assert "did you mean METERING_SIDECAR_WINDOW_SECONDS?" in out.stderr
    with pytest.raises(ConfigError, match="METERING_SIDECAR_HEALTH_PORT"):
        config_module.check_env({"METERING_SIDECAR_HEALTH_PORT": "50052"})


def test_kubernetes_service_links_and_own_variables_are_ignored() -> None:
    """The variables Kubernetes injects for a Service named metering-sidecar(-*) and our own non-flags pass."""
    injected = {
        "METERING_SIDECAR_SERVICE_HOST": "10.0.0.7",
        "METERING_SIDECAR_SERVICE_PORT": "50051",
        "METERING_SIDECAR_SERVICE_PORT_GRPC": "50051",
        "METERING_SIDECAR_PORT": "tcp://10.0.0.7:50051",
        "METERING_SIDECAR_PORT_50051_TCP": "tcp://10.0.0.7:50051",
        "METERING_SIDECAR_PORT_50051_TCP_ADDR": "10.0.0.7",
        "METERING_SIDECAR_PORT_50051_TCP_PORT": "50051",
        "METERING_SIDECAR_PORT_50051_TCP_PROTO": "tcp",
        "METERING_SIDECAR_METRICS_PORT": "tcp://10.0.0.8:9464",
        "METERING_SIDECAR_METRICS_PORT_9464_TCP_ADDR": "10.0.0.8",
        "METERING_SIDECAR_CRASH_AT": "",
        "METERING_SIDECAR_SOAK": "0",
        "METERING_SIDECAR_ADDRESS": "127.0.0.1:50051",
    }
    assert _build([], injected).listen == "127.0.0.1:50051"


def test_readme_config_file_example_is_accepted(tmp_path: Path) -> None:
    """The README's --config example is a file `serve` accepts, so the documentation cannot rot."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "sidecar.toml"
    path.write_text(example)
    cfg = _build(["--config", str(path)], {})
    assert (cfg.product_code, cfg.allocation_tag_keys) == ("prod-abc123", ("team", "env"))


def test_a_ship_from_that_would_never_bill_is_refused(tmp_path: Path) -> None:
    """--ship-from marks every hour before it "never ship": infinity, NaN or epoch milliseconds (a time
    centuries ahead) would keep usage unbilled forever without a word, so each is refused, by flag, env var
    and file alike; a time within the year ahead is still taken."""
    millis = str(int(time.time() + 86400) * 1000)
    for text in ("inf", "nan", "1e400", millis, "2999-01-01T00:00:00Z"):
        with pytest.raises(ConfigError, match="ship-from"):
            _build(["--ship-from", text], {})
        with pytest.raises(ConfigError, match="METERING_SIDECAR_SHIP_FROM"):
            _build([], {"METERING_SIDECAR_SHIP_FROM": text})
    path = tmp_path / "sidecar.toml"
    for value in ("inf", "nan", millis):
        path.write_text(f"ship-from = {value}\n")
        with pytest.raises(ConfigError, match="ship-from"):
            _build(["--config", str(path)], {})
    soon = time.time() + 30 * 86400
    assert _build(["--ship-from", str(soon)], {}).ship_from == soon
