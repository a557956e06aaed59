"""The ``metering-sidecar`` command: a thin main() over the app, the emulator and the demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import urllib.request
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc

from metering_sidecar import config as config_module
from metering_sidecar.cli import _operator as operator_cli
from metering_sidecar.cli._logs import configure
from metering_sidecar.core import ConfigError, DatabaseLocked, SidecarError

if TYPE_CHECKING:
    from metering_sidecar.emulator import AzureState, EmulatorSettings

# The server (sidecar.app: boto3, SQLite, the flusher) and the emulator are imported by the commands
# that run them: `metering-sidecar health` is the image's HEALTHCHECK, run every 10 s, and must stay cheap.

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="metering-sidecar", description="Bill usage to AWS Marketplace exactly once."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the sidecar")
    config_module.add_arguments(serve)

    emulator = commands.add_parser(
        "emulator", help="run a local AWS Marketplace emulator, or list what it billed"
    )
    emulator.add_argument("action", nargs="?", choices=["serve", "billed", "stats"], default="serve")
    emulator.add_argument("--listen", default="127.0.0.1:4566", help="host:port to serve on (port 0: any)")
    emulator.add_argument("--url", default="http://127.0.0.1:4566", help="emulator URL, for billed and stats")
    emulator.add_argument(
        "--dedup-seconds", type=int, default=3600, help="AWS's dedup period (match --window-seconds)"
    )
    emulator.add_argument("--max-age-seconds", type=int, default=6 * 3600, help="oldest record accepted")
    emulator.add_argument(
        "--subscribed", default=None, help="comma-separated subscribed customers (default: all)"
    )
    emulator.add_argument(
        "--products", default=None, help="comma-separated known product codes (default: all)"
    )
    emulator.add_argument(
        "--dimensions", default=None, help="comma-separated known dimensions (default: all)"
    )
    for fault in ("throttle", "error", "unprocessed", "drop"):
        emulator.add_argument(
            f"--{fault}-rate", type=float, default=0.0, help=f"injected {fault} probability"
        )
    emulator.add_argument("--outage", action="store_true", help="answer every call with a 500")
    emulator.add_argument(
        "--hang",
        action="store_true",
        help="accept every AWS call and never answer (clear it over the admin API)",
    )
    emulator.add_argument(
        "--tokens-file", default=None,
        help='JSON: {"tokens": {"TOKEN": {"CustomerAWSAccountId": ..., "ProductCode": ..., "LicenseArn": ...}}, '
        '"expired": ["TOKEN", ...]}',
    )  # fmt: skip
    emulator.add_argument("--entitlements-file", default=None, help="JSON list of AWS-shaped entitlements")
    emulator.add_argument(
        "--empty-pages", action="store_true", help="insert empty GetEntitlements pages with a token"
    )
    emulator.add_argument(
        "--answer-resubmitted-tokens", action="store_true",
        help="answer a token resolved before again, instead of ExpiredTokenException",
    )  # fmt: skip
    emulator.add_argument("--seed", type=int, default=None, help="seed for injected faults")
    emulator.add_argument(
        "--azure-hour-seconds", type=int, default=None,
        help="Azure's one-event-per-hour period (default: --dedup-seconds; match --window-seconds)",
    )  # fmt: skip
    emulator.add_argument(
        "--azure-auto-subscribe", action="store_true",
        help="an Azure event for an unknown resource subscribes it to the event's plan (else ResourceNotFound)",
    )  # fmt: skip
    for fault in ("throttle", "error", "drop"):
        emulator.add_argument(
            f"--azure-{fault}-rate", type=float, default=0.0, help=f"injected Azure {fault} probability"
        )

    demo = commands.add_parser("demo", help="run the sidecar on the embedded emulator and bill some usage")
    demo.add_argument("--window-seconds", type=int, default=4, help="window length for the demo")

    operator_cli.add_commands(commands)
    return parser


def _version() -> str:
    try:
        return version("metering-sidecar")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _csv(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(x.strip() for x in text.split(",") if x.strip())


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"--listen: expected host:port, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _load_json(path: str, flag: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{flag}: cannot read {path}: {exc}") from None


def _seed(settings: EmulatorSettings, args: argparse.Namespace) -> None:
    if args.tokens_file:
        seeded = _load_json(args.tokens_file, "--tokens-file")
        if not isinstance(seeded, dict):
            raise ConfigError("--tokens-file: expected a JSON object with 'tokens' and 'expired'")
        settings.tokens = {str(k): dict(v) for k, v in seeded.get("tokens", {}).items()}
        settings.expired_tokens = set(map(str, seeded.get("expired", [])))
    if args.entitlements_file:
        entitlements = _load_json(args.entitlements_file, "--entitlements-file")
        if not isinstance(entitlements, list):
            raise ConfigError("--entitlements-file: expected a JSON list")
        settings.entitlements = entitlements
    settings.empty_pages = args.empty_pages
    settings.expire_resubmitted_tokens = not args.answer_resubmitted_tokens


def _azure_state(args: argparse.Namespace) -> AzureState:
    from metering_sidecar.emulator import AzureFaults, AzureSettings, AzureState

    faults = AzureFaults(
        throttle_rate=args.azure_throttle_rate,
        error_rate=args.azure_error_rate,
        drop_rate=args.azure_drop_rate,
    )
    hour = args.dedup_seconds if args.azure_hour_seconds is None else args.azure_hour_seconds
    settings = AzureSettings(hour_seconds=hour, auto_subscribe=args.azure_auto_subscribe, seed=args.seed,
                             faults=faults)  # fmt: skip
    return AzureState(settings)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run_emulator(args: argparse.Namespace) -> int:
    from metering_sidecar.emulator import EmulatorServer, EmulatorSettings, Faults, MeteringState

    if args.action in ("billed", "stats"):
        path = "/_emulator/billed" if args.action == "billed" else "/_emulator/stats"
        with urllib.request.urlopen(args.url.rstrip("/") + path, timeout=10) as response:
            print(json.dumps(json.load(response), indent=2))
        return EXIT_OK
    host, port = _host_port(args.listen)
    faults = Faults(
        throttle_rate=args.throttle_rate, error_rate=args.error_rate, unprocessed_rate=args.unprocessed_rate,
        drop_rate=args.drop_rate, outage=args.outage, hang=args.hang,
    )  # fmt: skip
    settings = EmulatorSettings(
        dedup_seconds=args.dedup_seconds,
        max_age_seconds=args.max_age_seconds,
        subscribed=_csv(args.subscribed),
        products=_csv(args.products),
        dimensions=_csv(args.dimensions),
        seed=args.seed,
        faults=faults,
    )
    _seed(settings, args)
    server = EmulatorServer(MeteringState(settings), host, port, azure=_azure_state(args))
    try:
        server.start()  # the Azure token endpoint too, when the 'cryptography' package is installed
        print(f"emulator listening on {server.url}", flush=True)
        if server.azure_authority_host:
            print(
                f"azure token endpoint {server.azure_authority_host} (trust {server.azure_ca_path})",
                flush=True,
            )
        else:
            print("azure token endpoint off (pip install 'metering-sidecar[azure]')", flush=True)
        # SIGTERM stops it as Ctrl-C does: the token endpoint's generated key and certificates are removed.
        signal.signal(signal.SIGTERM, _interrupt)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_OK


async def _serve(cfg: config_module.Config, env: Mapping[str, str]) -> int:
    from metering_sidecar._app import Sidecar, startup_heap_frozen

    sidecar = Sidecar(cfg, env=env)
    loop = asyncio.get_running_loop()
    signals = 0
    started = False
    tasks: set[asyncio.Task[object]] = set()

    def drain() -> None:
        task: asyncio.Task[object] = loop.create_task(sidecar.drain())
        tasks.add(task)

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        if signals > 1:
            # Everything acknowledged is already committed: exiting now loses nothing.
            os._exit(EXIT_OK)
        if started:
            drain()

    # Handlers go in before the port opens, so a SIGTERM that arrives during start-up still drains.
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    await sidecar.start()
    started = True
    if signals:
        drain()
    with startup_heap_frozen():
        await sidecar.run()  # returns after a drain; raises (exit 1, restart) if a part died on its own
    return EXIT_OK


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the command line; return the exit code."""
    env = os.environ if env is None else env
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            cfg = config_module.build(args, env)
            configure(cfg.log_level, cfg.log_format)
            return asyncio.run(_serve(cfg, env))
        if args.command == "emulator":
            return _run_emulator(args)
        if args.command == "demo":
            from metering_sidecar.cli._demo import run_demo

            configure("warning", "text")
            return asyncio.run(run_demo(window_seconds=args.window_seconds))
        return asyncio.run(operator_cli.run(args, env))
    except (ConfigError, DatabaseLocked) as exc:
        print(f"metering-sidecar: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SidecarError as exc:
        print(f"metering-sidecar: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except grpc.aio.AioRpcError as exc:
        print(f"metering-sidecar: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return EXIT_FAILED
