"""Operator mistakes on the command line end as one line naming the flag, and exit 2 (never a traceback)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from metering_sidecar.cli._demo import check_window_seconds
from metering_sidecar.cli._emulator import RATE_FLAGS
from metering_sidecar.core import ConfigError

from tests.cli_run import CliResult, run_cli


def _one_line_exit_2(out: CliResult) -> str:
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.splitlines()) == 1, out.stderr
    return out.stderr


@pytest.mark.parametrize("window", ["0", "-3", "100000"])
def test_demo_refuses_a_window_it_cannot_run(window: str) -> None:
    """0 divided by zero, -3 ran and printed MISMATCH, 100000 blamed --close-delay-seconds, a flag demo has not."""
    err = _one_line_exit_2(run_cli(["demo", "--window-seconds", window]))
    assert "--window-seconds: must be between 1 and 20699 for the demo" in err
    assert f"got {window}" in err
    assert "--close-delay-seconds" not in err


def test_demo_window_bounds_follow_serves_rule() -> None:
    """The largest demo window is the last whose end plus the demo's close delay is before records expire."""
    check_window_seconds(1)
    check_window_seconds(20699)  # 20699 + 0.5 < 21600 - 900
    with pytest.raises(ConfigError, match="got 20700"):
        check_window_seconds(20700)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_emulator_billed_without_an_emulator_says_so() -> None:
    """Nothing listening at --url: the URL, the reason and what to do, not a URLError traceback."""
    url = f"http://127.0.0.1:{_closed_port()}"
    for action in ("billed", "stats"):
        err = _one_line_exit_2(run_cli(["emulator", action, "--url", url]))
        assert f"cannot reach the emulator at {url}: connection refused; is it running? pass --url" in err
    err = _one_line_exit_2(run_cli(["emulator", "billed", "--url", "127.0.0.1:4566"]))
    assert "--url: expected the emulator's http://host:port, got '127.0.0.1:4566'" in err


class _NotTheEmulator(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = (200, b"<html>hello</html>") if self.path.endswith("stats") else (404, b"")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotTheEmulator)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_emulator_billed_from_something_else_says_so() -> None:
    """A --url where another server answers: an HTTP error or a page that is no JSON, named as such."""
    with _http_server() as url:
        err = _one_line_exit_2(run_cli(["emulator", "billed", "--url", url]))
        assert f"{url} is not the emulator: /_emulator/billed answered HTTP 404" in err
        err = _one_line_exit_2(run_cli(["emulator", "stats", "--url", url]))
        assert f"{url} is not the emulator: its /_emulator/stats did not answer JSON" in err


def test_emulator_on_a_port_in_use_says_so() -> None:
    """--listen on a taken port: which address, and why, not an OSError traceback."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        listen = f"127.0.0.1:{holder.getsockname()[1]}"
        err = _one_line_exit_2(run_cli(["emulator", "--listen", listen]))
    assert f"cannot listen on {listen}: address already in use" in err
    err = _one_line_exit_2(run_cli(["emulator", "--listen", "127.0.0.1:70000"]))
    assert "--listen: expected host:port (port 0 to 65535)" in err


@pytest.mark.parametrize("flag", RATE_FLAGS)
@pytest.mark.parametrize("value", ["5", "-0.1", "1.5", "nan"])
def test_emulator_refuses_a_rate_that_is_no_probability(flag: str, value: str, tmp_path: Path) -> None:
    """Every fault rate, AWS's and Azure's, is a probability: outside [0, 1] it is refused by name."""
    # A missing --tokens-file is refused too, but later: without the rate check this fails, it does not serve.
    argv = ["emulator", flag, value, "--listen", "127.0.0.1:0", "--tokens-file", str(tmp_path / "none")]
    err = _one_line_exit_2(run_cli(argv))
    assert f"{flag}: a probability, so between 0 and 1; got {value}" in err


def test_emulator_rate_flags_cover_aws_and_azure() -> None:
    """The checked flags are every rate flag `emulator --help` lists."""
    help_text = run_cli(["emulator", "--help"]).stdout
    listed = {word for word in help_text.split() if word.startswith("--") and word.endswith("-rate")}
    assert listed == set(RATE_FLAGS)
    assert len(RATE_FLAGS) == 7


def test_token_file_errors_name_the_flag_given(tmp_path: Path) -> None:
    """`status --token-file` names --token-file (serve's --api-token-file is another command's flag)."""
    missing, empty = tmp_path / "missing", tmp_path / "empty"
    empty.write_text("\n")
    target = f"127.0.0.1:{_closed_port()}"
    err = _one_line_exit_2(run_cli(["status", "--target", target, "--token-file", str(missing)]))
    assert f"--token-file: cannot read {missing}" in err
    assert "--api-token-file" not in err
    err = _one_line_exit_2(run_cli(["flush", "--target", target, "--token-file", str(empty)]))
    assert f"--token-file: {empty} is empty" in err
    env = {"METERING_SIDECAR_API_TOKEN_FILE": str(missing)}
    err = _one_line_exit_2(run_cli(["status", "--target", target], env))
    assert f"METERING_SIDECAR_API_TOKEN_FILE: cannot read {missing}" in err


@pytest.mark.parametrize("flag", ["--dedup-seconds", "--max-age-seconds", "--azure-hour-seconds"])
@pytest.mark.parametrize("value", ["0", "-5"])
def test_emulator_refuses_a_period_under_a_second(flag: str, value: str, tmp_path: Path) -> None:
    """A period of 0 divided by zero at the first call; every period is refused below 1 second, by name."""
    argv = ["emulator", flag, value, "--listen", "127.0.0.1:0", "--tokens-file", str(tmp_path / "none")]
    err = _one_line_exit_2(run_cli(argv))
    assert f"{flag}: a period in whole seconds, at least 1; got {value}" in err
