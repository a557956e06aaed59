"""deploy/: the manifest, the IAM policy, the alert rules and the dashboard match the real sidecar."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import grpc
import yaml
from metering_sidecar import config as config_module
from metering_sidecar._app import Sidecar
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2 as pb
from metering_sidecar._proto.meteringsidecar.v1 import sidecar_pb2_grpc as pb_grpc
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.emulator import EmulatorServer
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ACCOUNT, HOUR, OTHER, PRODUCT, START, advance_and_flush, boto_marketplace, event
from tests.test_health import http_async

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NEXT = (int(START) // HOUR) * HOUR + HOUR
DEFAULTS = config_module.Config()
METRIC = re.compile(r"\bmetering_sidecar_[a-z_]+")


def _manifest() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / "kubernetes" / "single-replica.yaml").read_text()) if d]


def _deployment() -> dict[str, Any]:
    return next(d for d in _manifest() if d["kind"] == "Deployment")


def _sidecar_container() -> dict[str, Any]:
    pod = _deployment()["spec"]["template"]["spec"]
    return next(c for c in pod["initContainers"] if c["name"] == "metering-sidecar")


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def test_manifest_is_single_mode_with_a_native_sidecar() -> None:
    """One replica, Recreate, a PVC volume, and the sidecar as an init container with restartPolicy Always."""
    deployment = _deployment()
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    assert _sidecar_container()["restartPolicy"] == "Always"
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert volumes[0]["persistentVolumeClaim"]["claimName"] == "metering-sidecar-data"
    kinds = {d["kind"] for d in _manifest()}
    assert {"ServiceAccount", "PersistentVolumeClaim", "Deployment"} <= kinds


def test_probes_and_paths_match_the_sidecars_defaults() -> None:
    """Probe ports, the health service name, the volume path and env names are the sidecar's real ones."""
    container = _sidecar_container()
    health_port = _port(DEFAULTS.health_listen)
    assert container["readinessProbe"]["grpc"]["port"] == health_port
    assert container["readinessProbe"]["grpc"]["service"] == "meteringsidecar.v1.MeteringSidecar"
    assert container["startupProbe"]["grpc"]["port"] == health_port
    assert container["livenessProbe"]["httpGet"] == {
        "path": "/healthz/live",
        "port": _port(DEFAULTS.metrics_listen),
    }
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    fields = {config_module.ENV_PREFIX + f.upper() for f in config_module.Config.__dataclass_fields__}
    assert {n for n in env if n.startswith(config_module.ENV_PREFIX)} <= fields
    [mount] = container["volumeMounts"]
    assert mount["mountPath"] == "/var/lib/metering-sidecar"
    assert env["METERING_SIDECAR_DB"].startswith(mount["mountPath"] + "/")
    assert env["SQLITE_TMPDIR"] == mount["mountPath"]
    assert _port(env["METERING_SIDECAR_HEALTH_LISTEN"]) == health_port
    assert "/var/lib/metering-sidecar" in (ROOT / "Dockerfile").read_text()
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_termination_grace_outlasts_the_shutdown() -> None:
    """terminationGracePeriodSeconds is longer than the shutdown delay plus the grace."""
    pod = _deployment()["spec"]["template"]["spec"]
    env = {e["name"]: e["value"] for e in _sidecar_container()["env"] if "value" in e}
    grace = float(env.get("METERING_SIDECAR_SHUTDOWN_GRACE_SECONDS", DEFAULTS.shutdown_grace_seconds))
    delay = float(env.get("METERING_SIDECAR_SHUTDOWN_DELAY_SECONDS", DEFAULTS.shutdown_delay_seconds))
    assert pod["terminationGracePeriodSeconds"] > grace + delay


def test_iam_policy_is_minimal() -> None:
    """The service account's role needs exactly the three Marketplace actions."""
    policy = json.loads((DEPLOY / "kubernetes" / "iam-policy.json").read_text())
    [statement] = policy["Statement"]
    assert sorted(statement["Action"]) == [
        "aws-marketplace:BatchMeterUsage", "aws-marketplace:GetEntitlements", "aws-marketplace:ResolveCustomer",
    ]  # fmt: skip
    account = next(d for d in _manifest() if d["kind"] == "ServiceAccount")
    assert "eks.amazonaws.com/role-arn" in account["metadata"]["annotations"]


async def test_dashboard_and_alerts_query_only_real_metrics(
    sidecar: Sidecar, clock: ManualClock, emulator: EmulatorServer
) -> None:
    """Every metric the Grafana dashboard and the alert rules query exists on a running sidecar's /metrics."""
    emulator.state.settings.subscribed = frozenset({ACCOUNT, OTHER})
    clock.set(NEXT + 60)
    await boto_marketplace(emulator.url).batch_meter_usage(
        product_code=PRODUCT,
        records=[
            {"CustomerAWSAccountId": OTHER, "Dimension": "requests", "Quantity": 9, "Timestamp": NEXT + 1}
        ],
    )
    async with grpc.aio.insecure_channel(sidecar.target) as channel:
        stub = pb_grpc.MeteringSidecarStub(channel)
        await stub.RecordUsage(pb.RecordUsageRequest(event=event(event_id="a")))
        await stub.RecordUsage(
            pb.RecordUsageRequest(event=event(event_id="b", customer_aws_account_id=OTHER))
        )
        await advance_and_flush(clock, stub, HOUR)  # one billed, one DuplicateRecord dead letter
    _, text = await http_async(sidecar, "/metrics")
    families = list(text_string_to_metric_families(text))
    exposed = {s.name for family in families for s in family.samples}
    # A labelled counter (pass failures by loop and error type) is declared (HELP, TYPE) but has no
    # sample until its first count: the alerts are written for exactly that.
    exposed |= {f.name + "_total" for f in families if f.type == "counter"}
    # Cluster mode's gauges exist only on a sidecar in cluster mode (so single mode never pages on them).
    from metering_sidecar.ops import Metrics

    cluster_families = list(text_string_to_metric_families(Metrics(3600.0, cluster=True).render().decode()))
    cluster_only = {s.name for f in cluster_families for s in f.samples} - exposed
    assert cluster_only
    assert all(name.startswith("metering_sidecar_cluster_") for name in cluster_only)
    exposed |= cluster_only
    dashboard = json.loads((DEPLOY / "grafana" / "metering-sidecar.json").read_text())
    queried = {
        m for p in dashboard["panels"] for t in p.get("targets", []) for m in METRIC.findall(t["expr"])
    }
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    alerted = {m for g in rules["groups"] for r in g["rules"] for m in METRIC.findall(r["expr"])}
    assert len(queried) >= 10
    assert queried - exposed == set()
    assert alerted - exposed == set()
    titles = " ".join(p["title"].lower() for p in dashboard["panels"] if p["type"] != "row")
    for needed in (
        "ingest rate",
        "latency",
        "oldest pending",
        "records by state",
        "dead letters",
        "aws call",
    ):
        assert needed in titles


def test_cluster_manifest_uses_real_settings() -> None:
    """The multi-replica example: a StatefulSet with per-pod claims, the DSN from a Secret, the pod name as id."""
    docs = [d for d in yaml.safe_load_all((DEPLOY / "kubernetes" / "cluster.yaml").read_text()) if d]
    statefulset = next(d for d in docs if d["kind"] == "StatefulSet")
    assert statefulset["spec"]["replicas"] > 1
    assert statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "metering-data"
    pod = statefulset["spec"]["template"]["spec"]
    container = next(c for c in pod["initContainers"] if c["name"] == "metering-sidecar")
    env = {e["name"]: e for e in container["env"]}
    fields = {config_module.ENV_PREFIX + f.upper() for f in config_module.Config.__dataclass_fields__}
    assert {n for n in env if n.startswith(config_module.ENV_PREFIX)} <= fields
    # The DSN holds no password; libpq reads it from PGPASSWORD, which comes from the Secret.
    assert "@" in env["METERING_SIDECAR_CLUSTER_POSTGRES_DSN"]["value"]
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "password"
    assert env["METERING_SIDECAR_INSTANCE_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["metering-data"] == "/var/lib/metering-sidecar"
