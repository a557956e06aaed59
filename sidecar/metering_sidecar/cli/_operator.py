"""Operator commands that talk to a running sidecar over its API (and its health service)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import AsyncIterator, Mapping
from typing import Any, TextIO

import grpc
from google.protobuf.json_format import MessageToDict
from grpc_health.v1 import health_pb2, health_pb2_grpc

from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.config import parse_time, read_token
from metering_sidecar.core import ConfigError, utc_text

# The service readiness is reported for (sidecar.health.SERVICE), taken from the descriptor rather than
# imported: sidecar.health pulls in the store, and `health` (the image's HEALTHCHECK) must stay cheap.
SERVICE = pb.DESCRIPTOR.services_by_name["MeteringSidecar"].full_name
TOKEN_FILE_ENV = "METERING_SIDECAR_API_TOKEN_FILE"

EXPORT_FIELDS = (
    "id", "state", "product_code", "license_arn", "customer_aws_account_id", "customer_identifier", "dimension",
    "quantity", "timestamp", "window_start", "metering_record_id", "reason", "message", "attempts", "event_count",
    "discard_reason", "sealed_at", "finished_at", "marketplace", "azure_resource_id", "quantity_decimal",
)  # fmt: skip


def _client_args(cmd: argparse.ArgumentParser) -> argparse.ArgumentParser:
    cmd.add_argument(
        "--target", default=None,
        help="API address, host:port or unix:///path (default: METERING_SIDECAR_LISTEN or 127.0.0.1:50051)",
    )  # fmt: skip
    cmd.add_argument("--token-file", default=None, help=f"bearer token file (default: {TOKEN_FILE_ENV})")
    return cmd


def add_commands(commands: Any) -> None:
    """Add the operator subcommands to the top-level parser."""
    _client_args(commands.add_parser("status", help="print a running sidecar's status"))
    _client_args(commands.add_parser("flush", help="seal closed windows and ship due records now"))
    health = _client_args(
        commands.add_parser(
            "health", help="exit 0 when the sidecar can take usage, 1 when not (Docker HEALTHCHECK)"
        )
    )
    health.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for an answer")

    records = commands.add_parser("records", help="records the sidecar sealed")
    records_commands = records.add_subparsers(dest="records_command", required=True, metavar="ACTION")
    export = _client_args(
        records_commands.add_parser("export", help="export records with their MeteringRecordId")
    )
    export.add_argument("--since", default=None, help="ISO 8601 time or epoch seconds (window start)")
    export.add_argument("--state", default="", help="pending, billed, dead or skipped")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")

    customers = commands.add_parser("customers", help="customers resolved through ResolveCustomer")
    customer_commands = customers.add_subparsers(dest="customers_command", required=True, metavar="ACTION")
    _client_args(customer_commands.add_parser("list", help="list stored customers and their tenants"))

    dead = commands.add_parser("dead-letters", help="records AWS refused or that expired")
    dead_commands = dead.add_subparsers(dest="dead_command", required=True, metavar="ACTION")
    listing = _client_args(dead_commands.add_parser("list", help="list open dead letters"))
    listing.add_argument("--all", action="store_true", help="include discarded ones")
    discard = _client_args(
        dead_commands.add_parser("discard", help="close a dead letter, keeping the reason")
    )
    discard.add_argument("id", type=int)
    discard.add_argument("--reason", required=True, help="why this usage will not be billed")
    retry = _client_args(
        dead_commands.add_parser("retry", help="ship a dead letter again, while AWS accepts it")
    )
    retry.add_argument("id", type=int)


def _metadata(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    # An error names what gave the path: these commands' own --token-file, or the env var they share with serve.
    path, source = args.token_file, "--token-file"
    if not path:
        path, source = env.get(TOKEN_FILE_ENV, ""), TOKEN_FILE_ENV
    return (("authorization", f"Bearer {read_token(path, source)}"),) if path else ()


def _target(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    return str(args.target or env.get("METERING_SIDECAR_LISTEN", "127.0.0.1:50051"))


def _time(stamp: Any) -> str:
    if not stamp.seconds and not stamp.nanos:
        return ""
    return utc_text(stamp.seconds)


def _row(record: pb.MeteringRecord) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in EXPORT_FIELDS:
        value = getattr(record, name)
        row[name] = (
            _time(value) if name in {"timestamp", "window_start", "sealed_at", "finished_at"} else value
        )
    return row


async def _pages(
    stub: pb_grpc.MeteringSidecarAsyncStub, method: str, request: Any, md: Any, field: str = "records"
) -> AsyncIterator[Any]:
    while True:
        page = await getattr(stub, method)(request, metadata=md, timeout=30)
        for item in getattr(page, field):
            yield item
        if not page.next_page_token:
            return
        request.page_token = page.next_page_token


def _print_status(status: pb.GetStatusResponse, out: TextIO) -> None:
    lines = [
        ("pending events", str(status.pending_events)),
        ("oldest pending event", _time(status.oldest_pending_event) or "-"),
        ("pending records", str(status.pending_records)),
        ("billed records", str(status.billed_records)),
        ("dead letters (open)", f"{status.dead_letter_records} ({status.open_dead_letter_records})"),
        ("skipped records", str(status.skipped_records)),
        ("rolled-forward events", str(status.rolled_forward_events)),
        ("sealed through", _time(status.sealed_through) or "-"),
        ("last shipment", _time(status.last_shipment) or "never"),
        ("shipping", status.shipping_error or "ok"),
    ]
    for name, value in lines:
        print(f"{name:<24}{value}", file=out)


async def run(args: argparse.Namespace, env: Mapping[str, str], out: TextIO | None = None) -> int:
    """Run one operator command; return the exit code."""
    out = out or sys.stdout
    md = _metadata(args, env)
    async with grpc.aio.insecure_channel(_target(args, env)) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        if args.command == "health":
            return await _health(channel, md, args.timeout)
        if args.command == "status":
            _print_status(await stub.GetStatus(pb.GetStatusRequest(), metadata=md, timeout=30), out)
        elif args.command == "flush":
            answer = await stub.Flush(pb.FlushRequest(), metadata=md, timeout=300)
            print(json.dumps(MessageToDict(answer, always_print_fields_with_no_presence=True)), file=out)
        elif args.command == "records":
            await _export(stub, args, md, out)
        elif args.command == "dead-letters":
            await _dead_letters(stub, args, md, out)
        elif args.command == "customers":
            request = pb.ListCustomersRequest(page_size=1000)
            async for customer in _pages(stub, "ListCustomers", request, md, "customers"):
                print(json.dumps(MessageToDict(customer, preserving_proto_field_name=True)), file=out)
    return 0


async def _health(channel: grpc.aio.Channel, md: Any, wait: float) -> int:
    try:
        answer = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=SERVICE), timeout=wait
        )
    except grpc.aio.AioRpcError:
        return 1
    return 0 if answer.status == health_pb2.HealthCheckResponse.SERVING else 1


async def _export(
    stub: pb_grpc.MeteringSidecarAsyncStub, args: argparse.Namespace, md: Any, out: TextIO
) -> None:
    request = pb.ListRecordsRequest(state=args.state, page_size=1000)
    if args.since:
        try:
            request.since.FromNanoseconds(int(parse_time(args.since) * 1e9))
        except ValueError as exc:
            raise ConfigError(f"--since: {exc}") from None
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS) if args.format == "csv" else None
    if writer is not None:
        writer.writeheader()
    async for record in _pages(stub, "ListRecords", request, md):
        row = _row(record)
        if writer is not None:
            writer.writerow(row)
        else:
            print(json.dumps(row), file=out)


async def _dead_letters(
    stub: pb_grpc.MeteringSidecarAsyncStub, args: argparse.Namespace, md: Any, out: TextIO
) -> None:
    if args.dead_command == "list":
        request = pb.ListDeadLettersRequest(include_discarded=args.all, page_size=1000)
        async for record in _pages(stub, "ListDeadLetters", request, md):
            print(json.dumps(_row(record)), file=out)
    elif args.dead_command == "discard":
        answer = await stub.DiscardDeadLetter(
            pb.DiscardDeadLetterRequest(id=args.id, reason=args.reason), metadata=md, timeout=30
        )
        print(json.dumps(_row(answer.record)), file=out)
    else:
        retried = await stub.RetryDeadLetter(pb.RetryDeadLetterRequest(id=args.id), metadata=md, timeout=30)
        print(json.dumps(_row(retried.record)), file=out)
