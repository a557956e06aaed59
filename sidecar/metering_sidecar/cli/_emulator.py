"""``metering-sidecar emulator``: serve the AWS and Azure Marketplace emulator, or list what one billed.

Every mistake an operator can make here (a rate that is no probability, a port in use, an emulator that
is not running or a --url that names something else) ends as one line naming the flag, and exit 2.
"""

from __future__ import annotations

import argparse
import errno
import http.client
import json
import signal
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metering_sidecar.core import ConfigError

if TYPE_CHECKING:
    from metering_sidecar.emulator import AzureState, EmulatorServer, EmulatorSettings

# The fault flags that are probabilities: --<name>-rate for AWS, --azure-<name>-rate for Azure.
AWS_FAULTS = ("throttle", "error", "unprocessed", "drop")
AZURE_FAULTS = ("throttle", "error", "drop")
RATE_FLAGS = tuple(f"--{f}-rate" for f in AWS_FAULTS) + tuple(f"--azure-{f}-rate" for f in AZURE_FAULTS)


PERIOD_FLAGS = ("--dedup-seconds", "--max-age-seconds", "--azure-hour-seconds")


def add_command(commands: Any) -> None:
    """Add the ``emulator`` subcommand to the top-level parser."""
    emulator = commands.add_parser(
        "emulator", help="run a local AWS Marketplace emulator, or list what it billed"
    )
    emulator.add_argument("action", nargs="?", choices=["serve", "billed", "stats"], default="serve")
    emulator.add_argument("--listen", default="127.0.0.1:4566", help="host:port to serve on (port 0: any)")
    emulator.add_argument("--url", default="http://127.0.0.1:4566", help="emulator URL, for billed and stats")
    emulator.add_argument(
        "--dedup-seconds",
        type=int,
        default=3600,
        help="AWS's dedup period (match --window-seconds)",
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
    for fault in AWS_FAULTS:
        emulator.add_argument(
            f"--{fault}-rate", type=float, default=0.0, help=f"injected {fault} probability (0 to 1)"
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
    for fault in AZURE_FAULTS:
        emulator.add_argument(
            f"--azure-{fault}-rate", type=float, default=0.0,
            help=f"injected Azure {fault} probability (0 to 1)",
        )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run ``emulator serve`` until interrupted, or print what a running emulator billed or counted."""
    check_rates(args)
    if args.action in ("billed", "stats"):
        path = "/_emulator/billed" if args.action == "billed" else "/_emulator/stats"
        print(json.dumps(fetch(args.url, path), indent=2))
        return 0
    server = _bind(args)
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
    return 0


def check_rates(args: argparse.Namespace) -> None:
    """Refuse a fault rate outside [0, 1] (or NaN): each is a probability per call; and a period under
    1 second (it would divide by zero at the first call)."""
    for flag in RATE_FLAGS:
        value: float = getattr(args, flag[2:].replace("-", "_"))
        if not 0 <= value <= 1:
            raise ConfigError(f"{flag}: a probability, so between 0 and 1; got {value:g}")
    for flag in PERIOD_FLAGS:
        period: int | None = getattr(args, flag[2:].replace("-", "_"))
        if period is not None and period < 1:
            raise ConfigError(f"{flag}: a period in whole seconds, at least 1; got {period}")


def fetch(url: str, path: str) -> Any:
    """GET ``path`` from the emulator at ``url`` and return its JSON; raise ConfigError when it cannot."""
    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"--url: expected the emulator's http://host:port, got {url!r}")
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:  # something answers there, and it is not the emulator
        raise ConfigError(
            f"{base} is not the emulator: {path} answered HTTP {exc.code} {exc.reason}; pass the emulator's --url"
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise ConfigError(
            f"cannot reach the emulator at {base}: {_reason(exc)}; is it running? pass --url"
        ) from None
    except ValueError:
        raise ConfigError(
            f"{base} is not the emulator: its {path} did not answer JSON; pass the emulator's --url"
        ) from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError):
        if not isinstance(exc.reason, BaseException):
            return str(exc.reason)
        exc = exc.reason  # the socket's error: refused, timed out, a name that does not resolve
    text = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def _bind(args: argparse.Namespace) -> EmulatorServer:
    from metering_sidecar.emulator import EmulatorServer, EmulatorSettings, Faults, MeteringState

    host, port = host_port(args.listen)
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
    try:
        return EmulatorServer(MeteringState(settings), host, port, azure=_azure_state(args))
    except OSError as exc:  # the port is taken, the address is not this machine's, the name does not resolve
        hint = (
            "stop what holds it or pass another --listen"
            if exc.errno == errno.EADDRINUSE
            else "pass another --listen"
        )
        raise ConfigError(f"cannot listen on {args.listen}: {_reason(exc)}; {hint}") from None


def host_port(text: str) -> tuple[str, int]:
    """Split ``--listen``'s host:port (a bracketed IPv6 host too); an empty host is 127.0.0.1."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ConfigError(f"--listen: expected host:port (port 0 to 65535), got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _csv(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(x.strip() for x in text.split(",") if x.strip())


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
