"""Reliability scenarios of the AWS adapter, with real processes: a failing SDK credential chain, a hung
AWS endpoint, and ResolveCustomer answers lost after AWS acted. Each returns a Finding; the short form
runs in the default suite, the long form behind METERING_SIDECAR_SOAK=1."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import grpc
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc

from tests.credentials_endpoint import ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, CredentialsEndpoint
from tests.procs import Emulator, SidecarProcess
from tests.reliability.load import Key, Load, billed_by_key, compare
from tests.reliability.scenarios import SHORT_WINDOW_ARGS, WINDOW, Finding

CREDENTIAL_CODES = ("CredentialRetrievalError", "NoCredentialsError", "PartialCredentialsError",
                    "TokenRetrievalError")  # fmt: skip
UNKNOWN = "the outcome of ResolveCustomer is unknown"
RESTART = "restart registration"
_SAMPLE = re.compile(r"^metering_sidecar_aws_calls_total\{([^}]*)\}\s+(\S+)$", re.M)


def _settle(finding: Finding, acked: Counter[Key], emulator: Emulator) -> Finding:
    billed = billed_by_key(emulator.get("/_emulator/billed"))
    finding.acked, finding.billed = sum(acked.values()), sum(billed.values())
    finding.lost, finding.duplicated = compare(acked, billed)
    finding.duplicate_records = emulator.get("/_emulator/stats")["stats"]["duplicate_records"]
    return finding


def aws_call_outcomes(sidecar: SidecarProcess) -> Counter[str]:
    """Read metering_sidecar_aws_calls_total from /metrics, summed by outcome."""
    with urllib.request.urlopen(f"http://127.0.0.1:{sidecar.metrics_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    outcomes: Counter[str] = Counter()
    for labels, value in _SAMPLE.findall(text):
        found = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        outcomes[found.get("outcome", "")] += int(float(value))
    return outcomes


class LivenessWatch:
    """Polls /healthz/live on the metrics port, as kubelet would, and counts every failed probe."""

    def __init__(self, sidecar: SidecarProcess) -> None:
        self.port = sidecar.metrics_port
        self.url = f"http://127.0.0.1:{sidecar.metrics_port}/healthz/live"
        self.polls = 0
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    def _probe(self) -> bool:
        try:
            # 10 s: the sidecar itself gives its loop 5 s (LOOP_ANSWER_SECONDS) and answers 503 past that;
            # the probe waits for that verdict, plus the HTTP round trip on a busy machine.
            with urllib.request.urlopen(self.url, timeout=10) as response:
                return int(response.status) == 200
        except (urllib.error.URLError, OSError):
            return False

    def _wait_listening(self, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)

    async def _run(self) -> None:
        # Count from the moment the probe port is open, as kubelet's startup probe would: the sidecar opens
        # its gRPC port (what SidecarProcess.start() waits for) a moment before the metrics port, and on a
        # busy machine the first poll could land in that gap; that is start-up, not a liveness failure.
        await asyncio.to_thread(self._wait_listening, 30)
        while True:
            ok = await asyncio.to_thread(self._probe)
            self.polls += 1
            self.failures += not ok
            await asyncio.sleep(0.2)

    def start(self) -> None:
        """Start polling."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


def _kill(sidecar: SidecarProcess) -> None:
    if sidecar.proc and sidecar.proc.poll() is None:
        sidecar.kill()


async def credential_outage(workdir: Path, *, long: bool) -> Finding:
    """The SDK's credential chain fails (a container-credentials endpoint on loopback answering 500, as
    an EKS Pod Identity or ECS agent that is down): at start, then again while refreshing expiring
    credentials. The process stays live, and everything acknowledged is billed once it recovers."""
    emulator = Emulator("--dedup-seconds", str(WINDOW))
    cycles = 3 if long else 1
    # The SDK tries the endpoint 3 times over about 2 s per fetch, so an outage must outlast that to
    # be seen at all; the first shipment comes about one window plus its close delay after start.
    outage = 10.0 if long else 6.0
    healthy = 8.0 if long else 4.0
    with CredentialsEndpoint(failing=True) as creds:
        sidecar = SidecarProcess(workdir / "creds.db", emulator.url, *SHORT_WINDOW_ARGS, env=creds.env(),
                                 fake_keys=False)  # fmt: skip
        live = LivenessWatch(sidecar)
        try:
            sidecar.start()  # while the credential endpoint fails
            live.start()
            load = Load(sidecar.target, seed=21)
            # The short form moves on as soon as a phase has shown what it is for (an AWS call refused for
            # credentials in an outage, one that succeeds with fresh credentials after it), rather than after
            # all of its seconds, and stops the clients a second after the last outage; the long form holds
            # every phase for all of them.
            done = asyncio.Event()
            seconds = outage + cycles * (healthy + outage) + 1.0 if long else 600.0
            running = asyncio.create_task(load.run(3, seconds, "cr", done))
            outages = [await _phase(sidecar, outage, "refused", long=long)]
            for _ in range(cycles):
                # Credentials inside the SDK's mandatory refresh window: each call fetches them again.
                creds.set(failing=False, expires_in=300)
                await _phase(sidecar, healthy, "ok", long=long)
                creds.set(failing=True)
                outages.append(await _phase(sidecar, outage, "refused", long=long))
            creds.set(failing=False, expires_in=3600)
            if not long:
                await asyncio.sleep(1.0)
                done.set()
            await running
            status = await sidecar.drain(within=90)
            outcomes = aws_call_outcomes(sidecar)
            alive = sidecar.proc is not None and sidecar.proc.poll() is None
            await live.stop()
            logged = sidecar.log.read_text(errors="replace")
            leaked = [s for s in (SECRET_ACCESS_KEY, SESSION_TOKEN, ACCESS_KEY_ID) if s in logged]
            refused = sum(outcomes[c] for c in CREDENTIAL_CODES)
            finding = Finding(
                "adapter: SDK credential chain outage",
                f"container-credentials endpoint down {cycles + 1} times for up to {max(outages):.0f} s (at start and while "
                f"refreshing); {creds.failed} failed credential requests, {refused} AWS calls refused for "
                f"credentials; liveness failed {live.failures} of {live.polls} probes; {load.sent} events",
                dead_letters=status.dead_letter_records,
                figures={"live_failures": live.failures, "live_polls": live.polls, "alive": alive,
                         "credential_refusals": refused, "endpoint_failures": creds.failed,
                         "secrets_logged": leaked, "pending_after": status.pending_events},
            )  # fmt: skip
            return _settle(finding, load.acked, emulator)
        finally:
            await live.stop()
            _kill(sidecar)
            emulator.stop()


async def _phase(sidecar: SidecarProcess, seconds: float, until: str, *, long: bool) -> float:
    """Wait ``seconds``; in the short form only until the sidecar has counted one more AWS call whose outcome
    is ``until`` ("ok", or "refused": refused for credentials), and at most 60 s. Return the time waited."""
    started = time.monotonic()
    if long:
        await asyncio.sleep(seconds)
        return seconds

    def count() -> int:
        outcomes = aws_call_outcomes(sidecar)
        return outcomes["ok"] if until == "ok" else sum(outcomes[c] for c in CREDENTIAL_CODES)

    before = await asyncio.to_thread(count)
    for _ in range(300):
        if await asyncio.to_thread(count) != before:
            break
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def hung_endpoint(workdir: Path, *, long: bool) -> Finding:
    """AWS accepts every call and never answers (the emulator's hang fault) while clients record usage
    and ask for entitlements: each call ends at its deadline, no more calls than the bound wait at
    once, the process stays live, and everything is billed once after it heals."""
    bound = 2
    emulator = Emulator("--dedup-seconds", str(WINDOW))
    sidecar = SidecarProcess(workdir / "hung.db", emulator.url, *SHORT_WINDOW_ARGS, "--aws-timeout-seconds", "1",
                             "--aws-call-deadline-seconds", "1", "--aws-max-attempts", "3",
                             "--aws-max-calls-in-flight", str(bound), "--ship-concurrency", "1")  # fmt: skip
    live = LivenessWatch(sidecar)
    hang = 20.0 if long else 5.0
    try:
        sidecar.start()
        live.start()
        load = Load(sidecar.target, seed=31)
        running = asyncio.create_task(load.run(3, hang + 3.0, "h"))
        await asyncio.sleep(1.5)
        emulator.faults(hang=True)
        stop_at = time.monotonic() + hang
        askers = [asyncio.create_task(_ask_entitlements(sidecar.target, stop_at, n)) for n in range(4)]
        answered = sum(await asyncio.gather(*askers))
        emulator.faults(hang=False)
        await running
        status = await sidecar.drain(within=90)
        outcomes = aws_call_outcomes(sidecar)
        stats = emulator.get("/_emulator/stats")["stats"]
        alive = sidecar.proc is not None and sidecar.proc.poll() is None
        await live.stop()
        finding = Finding(
            "adapter: hung AWS endpoint",
            f"every AWS call held unanswered for {hang:g} s under 3 ingest clients and 4 entitlement "
            f"clients: {stats['hung']} calls held, at most {stats['hung_open_peak']} at once (bound {bound} per endpoint); "
            f"{outcomes['CallDeadlineExceeded']} calls ended at their deadline, {outcomes['TooManyCallsInFlight']} "
            f"refused unsent; liveness failed {live.failures} of {live.polls} probes; {load.sent} events",
            dead_letters=status.dead_letter_records,
            figures={"hung": stats["hung"], "hung_open_peak": stats["hung_open_peak"], "bound": bound,
                     "deadline_exceeded": outcomes["CallDeadlineExceeded"],
                     "refused_in_flight": outcomes["TooManyCallsInFlight"], "live_failures": live.failures,
                     "alive": alive, "entitlement_answers_while_hung": answered,
                     "pending_after": status.pending_events},
        )  # fmt: skip
        return _settle(finding, load.acked, emulator)
    finally:
        await live.stop()
        _kill(sidecar)
        emulator.stop()


async def _ask_entitlements(target: str, stop_at: float, n: int) -> int:
    """Ask for one customer's entitlements until ``stop_at``; return how many answers came back."""
    answered = 0
    # One customer per client: the sidecar shares one AWS call among identical queries.
    request = pb.GetEntitlementsRequest(
        product_code="prod-e2e", customer_aws_account_id=f"{600000000000 + n}"
    )
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        while time.monotonic() < stop_at:
            try:
                await stub.GetEntitlements(request, timeout=3)
                answered += 1
            except grpc.aio.AioRpcError:
                await asyncio.sleep(0.05)
    return answered


def _tokens(count: int, prefix: str) -> dict[str, dict[str, str]]:
    return {
        f"{prefix}-{i}": {
            "CustomerAWSAccountId": f"{500000000000 + i}",
            "ProductCode": "prod-e2e",
            "LicenseArn": f"arn:aws:license-manager::123456789012:license:l-{prefix}{i:014d}",
        }
        for i in range(count)
    }


async def _resolve(
    stub: pb_grpc.MeteringSidecarAsyncStub, token: str
) -> pb.ResolveCustomerResponse | grpc.aio.AioRpcError:
    try:
        return await stub.ResolveCustomer(
            pb.ResolveCustomerRequest(registration_token=token, tenant_id=f"tenant-{token}"), timeout=15
        )
    except grpc.aio.AioRpcError as exc:
        return exc


async def resolve_outcome_unknown(workdir: Path, *, long: bool) -> Finding:
    """ResolveCustomer when AWS resolves the token and the answer is lost, or AWS hangs: the sidecar sends
    each attempt once (--aws-max-attempts 3 notwithstanding) and says the outcome is unknown; a later
    call AWS answers stores the customer exactly once; one AWS refuses as expired says to restart."""
    count = 40 if long else 6
    seeded = workdir / "tokens.json"
    seeded.write_text(json.dumps({"tokens": {**_tokens(2, "first"), **_tokens(count, "tok")}}))
    args = ("--aws-max-attempts", "3", "--aws-timeout-seconds", "1")
    strict = Emulator("--tokens-file", str(seeded))  # refuses a resubmitted token, as AWS lists
    lenient = Emulator("--tokens-file", str(seeded), "--answer-resubmitted-tokens", "--drop-rate", "0.4",
                       "--seed", "3")  # fmt: skip
    first = SidecarProcess(workdir / "resolve-strict.db", strict.url, *args)
    second = SidecarProcess(workdir / "resolve-lenient.db", lenient.url, *args)
    checks: dict[str, bool] = {}
    try:
        first.start()
        second.start()
        async with grpc.aio.insecure_channel(first.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            strict.faults(drop_rate=1.0)
            lost = await _resolve(stub, "first-0")
            strict.faults(drop_rate=0.0)
            checks["dropped_is_unknown"] = _says(lost, grpc.StatusCode.UNAVAILABLE, UNKNOWN)
            checks["one_send_after_drop"] = strict.get("/_emulator/stats")["stats"]["resolve_calls"] == 1
            expired = await _resolve(stub, "first-0")
            checks["resend_refused_says_restart"] = _says(
                expired, grpc.StatusCode.FAILED_PRECONDITION, RESTART
            )
            strict.faults(hang=True)
            hung = await _resolve(stub, "first-1")
            strict.faults(hang=False)
            checks["hung_is_unknown"] = _says(hung, grpc.StatusCode.UNAVAILABLE, UNKNOWN)
            checks["one_send_while_hung"] = strict.get("/_emulator/stats")["stats"]["hung"] == 1
        unknown = stored = 0
        async with grpc.aio.insecure_channel(second.target) as channel:
            stub = pb_grpc.MeteringSidecarStub(channel)
            for token in _tokens(count, "tok"):
                for _ in range(20):  # the application retries an unknown outcome, as the message says
                    answer = await _resolve(stub, token)
                    if isinstance(answer, pb.ResolveCustomerResponse):
                        stored += answer.new_customer
                        break
                    unknown += _says(answer, grpc.StatusCode.UNAVAILABLE, UNKNOWN)
            before = lenient.get("/_emulator/stats")["stats"]
            for token in _tokens(count, "tok"):  # repeats: answered from the store, not sent
                answer = await _resolve(stub, token)
                checks["repeat_from_store"] = checks.get("repeat_from_store", True) and isinstance(
                    answer, pb.ResolveCustomerResponse) and not answer.new_customer  # fmt: skip
            customers = await stub.ListCustomers(pb.ListCustomersRequest(page_size=1000))
        stats = lenient.get("/_emulator/stats")["stats"]
        checks["repeats_not_sent"] = stats["resolve_calls"] == before["resolve_calls"]
        # Every send is one the application asked for: one per token plus one per lost answer.
        sidecar_resends = stats["resolve_calls"] - count - stats["dropped"]
        licenses = Counter(c.license_arn for c in customers.customers)
        finding = Finding(
            "adapter: ResolveCustomer answers lost after AWS acted",
            f"{count} tokens with 40% of answers lost after AWS resolved them: {stats['dropped']} answers lost, "
            f"{unknown} answered 'outcome unknown', {stats['resolve_calls']} sends, {sidecar_resends} resends "
            f"by the sidecar itself; {len(licenses)} customers stored",
            lost=count - len(licenses), duplicated=sum(n - 1 for n in licenses.values()) + abs(sidecar_resends),
            figures={"checks": checks, "unknown_answers": unknown, "dropped": stats["dropped"],
                     "new_customers": stored, "sidecar_resends": sidecar_resends},
        )  # fmt: skip
        return finding
    finally:
        for sidecar in (first, second):
            _kill(sidecar)
        strict.stop()
        lenient.stop()


def _says(answer: object, code: grpc.StatusCode, text: str) -> bool:
    return (
        isinstance(answer, grpc.aio.AioRpcError)
        and answer.code() == code
        and text in (answer.details() or "")
    )


ADAPTER_SCENARIOS = [credential_outage, hung_endpoint, resolve_outcome_unknown]
