"""The ``metering-sidecar`` command: a thin main() over the app, the emulator and the demo."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version

import grpc

from metering_sidecar import config as config_module
from metering_sidecar.cli import _emulator as emulator_cli
from metering_sidecar.cli import _operator as operator_cli
from metering_sidecar.cli._logs import configure
from metering_sidecar.core import ConfigError, DatabaseLocked, SidecarError

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

    emulator_cli.add_command(commands)

    demo = commands.add_parser("demo", help="run the sidecar on the embedded emulator and bill some usage")
    demo.add_argument(
        "--window-seconds", type=int, default=4, help="window length for the demo, in seconds (at least 1)"
    )

    operator_cli.add_commands(commands)
    return parser


def _version() -> str:
    try:
        return version("metering-sidecar")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


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
            return emulator_cli.run(args)
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
