"""The deployment artifacts, checked by the real tools their users run, each shown failing on a planted defect.

Kustomize (kubectl kustomize) renders every overlay; kubernetes-validate checks the result strictly for
Kubernetes 1.29 (the first with native sidecars) and the newest it knows; deploy/psa-check judges every pod
with k8s.io/pod-security-admission ("restricted", latest); checkov runs its Kubernetes checks; promtool
checks and unit-tests the alert rules (alerts.yaml and the generated PrometheusRule); hadolint lints the
Dockerfile; actionlint the release workflow. scripts/install-tools installs them all.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

from tests.cli_run import run_cli
from tests.procs import unmeasured_env

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
KUSTOMIZE = DEPLOY / "kustomize"
TOOLS = Path(os.environ.get("METERING_SIDECAR_TOOLS", Path.home() / ".cache" / "metering-sidecar"))
KUSTOMIZATIONS = ["overlays/single", "overlays/cluster", "examples/eks-pod-identity", "monitoring"]
WORKLOADS = ["overlays/single", "overlays/cluster", "examples/eks-pod-identity"]

sys.path.insert(0, str(ROOT / "scripts"))
import render_manifests  # noqa: E402


def tool(name: str, *candidates: Path) -> str:
    """Find a tool on PATH, beside this Python, or where scripts/install-tools puts it.

    Missing in CI fails the test (an install step is missing); elsewhere it skips, naming the script.
    """
    for path in (shutil.which(name), *(str(c) for c in candidates)):
        if path and Path(path).exists():
            return path
    message = f"{name} not installed: run scripts/install-tools"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def run(
    *args: str, cwd: Path = ROOT, timeout: float = 300, measured: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run a command; a tool (kubernetes-validate is Python) is not measured by coverage, only slowed by it."""
    env = None if measured else unmeasured_env()
    return subprocess.run(
        args, capture_output=True, text=True, cwd=cwd, timeout=timeout, check=False, env=env
    )


def render(directory: Path) -> str:
    tool("kubectl", Path.home() / "go" / "bin" / "kustomize")
    return render_manifests.render(directory)


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def dump(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False)


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return {name: render(KUSTOMIZE / name) for name in KUSTOMIZATIONS}


def _pod(documents: list[dict[str, Any]]) -> dict[str, Any]:
    workload = next(d for d in documents if d["kind"] in ("Deployment", "StatefulSet"))
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


# --- kustomize ------------------------------------------------------------------------------------------


def test_generated_manifests_are_fresh() -> None:
    """deploy/kubernetes/*.yaml, the PrometheusRule and the dashboard ConfigMap match their sources."""
    tool("kubectl", Path.home() / "go" / "bin" / "kustomize")
    result = run(sys.executable, "scripts/render_manifests.py", "--check")
    assert result.returncode == 0, result.stderr


def test_every_kustomization_renders_and_a_broken_one_fails(rendered: dict[str, str], tmp_path: Path) -> None:
    """Each overlay renders; a kustomization naming a missing resource fails the render."""
    assert all(docs(text) for text in rendered.values())
    shutil.copytree(KUSTOMIZE, tmp_path / "kustomize")
    broken = tmp_path / "kustomize" / "overlays" / "single" / "kustomization.yaml"
    broken.write_text(broken.read_text().replace("- deployment.yaml", "- deployment-typo.yaml"))
    with pytest.raises(SystemExit, match=r"deployment-typo\.yaml"):
        render(broken.parent)


def test_single_overlay_is_single_mode_with_the_injected_sidecar(rendered: dict[str, str]) -> None:
    """One replica, Recreate, the component's PVC, the native sidecar, the IRSA annotation, no API token."""
    documents = docs(rendered["overlays/single"])
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    pod = _pod(documents)
    [sidecar] = pod["initContainers"]
    assert sidecar["restartPolicy"] == "Always"
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= sidecar.keys()
    assert pod["enableServiceLinks"] is False
    assert pod["automountServiceAccountToken"] is False
    assert pod["volumes"] == [
        {"name": "metering-data", "persistentVolumeClaim": {"claimName": "metering-sidecar-data"}}
    ]
    assert any(d["kind"] == "PersistentVolumeClaim" for d in documents)
    account = next(d for d in documents if d["kind"] == "ServiceAccount")
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert account["automountServiceAccountToken"] is False


def test_eks_pod_identity_example_drops_the_irsa_annotation(rendered: dict[str, str]) -> None:
    """The EKS Pod Identity path: the same pod, a ServiceAccount without IRSA's role annotation."""
    documents = docs(rendered["examples/eks-pod-identity"])
    account = next(d for d in documents if d["kind"] == "ServiceAccount")
    assert not any(k.startswith("eks.amazonaws.com/") for k in account["metadata"]["annotations"])
    assert _pod(documents) == _pod(docs(rendered["overlays/single"]))


def test_cluster_overlay_is_complete_and_safe(rendered: dict[str, str]) -> None:
    """StatefulSet with a claim per pod, headless Service, PDB, zone spread, and the DSN's password from a Secret."""
    documents = docs(rendered["overlays/cluster"])
    kinds = {d["kind"]: d for d in documents}
    assert {
        "ServiceAccount",
        "Secret",
        "Service",
        "StatefulSet",
        "PodDisruptionBudget",
        "NetworkPolicy",
    } <= set(kinds)
    assert "PersistentVolumeClaim" not in kinds  # replaced by volumeClaimTemplates
    statefulset = kinds["StatefulSet"]
    assert statefulset["spec"]["replicas"] > 1
    assert kinds["Service"]["spec"]["clusterIP"] == "None"
    assert kinds["Service"]["metadata"]["name"] == statefulset["spec"]["serviceName"]
    assert kinds["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1
    pod = _pod(documents)
    [spread] = pod["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    [sidecar] = pod["initContainers"]
    assert "startupProbe" in sidecar
    env = {e["name"]: e for e in sidecar["env"]}
    dsn = env["METERING_SIDECAR_CLUSTER_POSTGRES_DSN"]["value"]
    assert "sslmode=verify-full" in dsn
    assert "sslrootcert=/etc/metering-sidecar/rds-ca/" in dsn
    assert re.match(r"postgresql://[^:@/]+@", dsn), "no password in the DSN"
    secret_ref = env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]
    assert secret_ref["name"] == kinds["Secret"]["metadata"]["name"]
    assert secret_ref["key"] in kinds["Secret"]["data"]
    assert env["METERING_SIDECAR_INSTANCE_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    mounts = {m["name"]: m["mountPath"] for m in sidecar["volumeMounts"]}
    assert mounts["metering-data"] == "/var/lib/metering-sidecar"
    assert [v["name"] for v in pod["volumes"]] == ["rds-ca"]
    assert statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "metering-data"


# --- kubernetes-validate --------------------------------------------------------------------------------


def _newest_kubernetes() -> str:
    import kubernetes_validate

    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    versions = [p.name.split("-")[0].lstrip("v") for p in schemas.glob("v*-local-strict")]
    return max(versions, key=lambda v: tuple(map(int, v.split("."))))


def _core(text: str) -> str:
    # kubernetes-validate knows Kubernetes' own kinds; the Prometheus Operator's CRs are checked by promtool
    # and test_monitoring_* instead.
    return dump([d for d in docs(text) if not d["apiVersion"].startswith("monitoring.coreos.com/")])


@pytest.mark.parametrize("version", ["1.29.0", "newest"])
def test_kubernetes_validate_strict(rendered: dict[str, str], tmp_path: Path, version: str) -> None:
    """Every rendered object is valid, with no unknown field, for 1.29 and the newest schema known."""
    validate = tool("kubernetes-validate", Path(sys.executable).parent / "kubernetes-validate")
    version = _newest_kubernetes() if version == "newest" else version
    files = []
    for name, text in rendered.items():
        path = tmp_path / (name.replace("/", "-") + ".yaml")
        path.write_text(_core(text))
        files.append(str(path))
    result = run(validate, "--strict", "-k", version, "--quiet", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    # Planted defect: a misspelt field in the sidecar container.
    documents = docs(rendered["overlays/single"])
    _pod(documents)["initContainers"][0]["restartPolicyy"] = "Always"
    broken = tmp_path / "broken.yaml"
    broken.write_text(dump(documents))
    result = run(validate, "--strict", "-k", version, "--quiet", str(broken))
    assert result.returncode != 0
    assert "restartPolicyy" in result.stdout + result.stderr


# --- Pod Security "restricted" (k8s.io/pod-security-admission) ----------------------------------------


@pytest.fixture(scope="module")
def psa_check() -> str:
    """Build deploy/psa-check (incremental: cached after the first build)."""
    go = tool("go", Path("/usr/local/go/bin/go"))
    binary = TOOLS / "bin" / "psa-check"
    result = run(go, "build", "-o", str(binary), ".", cwd=DEPLOY / "psa-check", timeout=600)
    assert result.returncode == 0, result.stderr
    return str(binary)


@pytest.mark.parametrize("name", WORKLOADS)
def test_pods_pass_pod_security_restricted(rendered: dict[str, str], psa_check: str, name: str) -> None:
    """The upstream admission library admits every rendered pod at restricted:latest."""
    result = subprocess.run(
        [psa_check, "-level", "restricted", "-version", "latest"],
        input=rendered[name], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pass Pod Security restricted:latest" in result.stdout


def test_pod_security_fails_a_planted_defect(rendered: dict[str, str], psa_check: str) -> None:
    """The example app container allowing privilege escalation is refused, naming the check."""
    documents = docs(rendered["overlays/cluster"])
    _pod(documents)["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    result = subprocess.run([psa_check], input=dump(documents), capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "allowPrivilegeEscalation" in result.stdout


def test_psa_check_go_tests() -> None:
    """The checker's own Go tests: a restricted pod passes, each of four defects fails."""
    go = tool("go", Path("/usr/local/go/bin/go"))
    result = run(go, "test", "./...", cwd=DEPLOY / "psa-check", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


# --- checkov --------------------------------------------------------------------------------------------


def _checkov(paths: list[Path]) -> dict[str, Any]:
    checkov = tool("checkov", TOOLS / "checkov-venv" / "bin" / "checkov")
    files = [arg for p in paths for arg in ("-f", str(p))]
    result = run(checkov, "--framework", "kubernetes", "--skip-download", "-o", "json", *files)
    assert result.stdout, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    report["returncode"] = result.returncode
    return report


def test_checkov_passes_with_every_skip_justified(rendered: dict[str, str], tmp_path: Path) -> None:
    """checkov's Kubernetes checks pass; each skipped check carries its reason in an annotation."""
    paths = []
    for name in WORKLOADS:
        path = tmp_path / (name.replace("/", "-") + ".yaml")
        path.write_text(rendered[name])
        paths.append(path)
    report = _checkov(paths)
    assert report["returncode"] == 0, json.dumps(report["results"]["failed_checks"], indent=1)[:4000]
    assert report["summary"]["passed"] > 100
    skipped = report["results"]["skipped_checks"]
    assert skipped
    for check in skipped:
        assert len(check["check_result"].get("suppress_comment", "")) > 30, check["check_id"]


def test_checkov_fails_a_planted_defect(rendered: dict[str, str], tmp_path: Path) -> None:
    """A sidecar with a writable root filesystem fails CKV_K8S_22."""
    documents = docs(rendered["overlays/single"])
    _pod(documents)["initContainers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    path = tmp_path / "broken.yaml"
    path.write_text(dump(documents))
    report = _checkov([path])
    assert report["returncode"] == 1
    assert "CKV_K8S_22" in {c["check_id"] for c in report["results"]["failed_checks"]}


# --- promtool -------------------------------------------------------------------------------------------


def _promtool() -> str:
    return tool("promtool")


def _rules_and_tests(tmp_path: Path, rules: dict[str, Any]) -> Path:
    (tmp_path / "alerts.yaml").write_text(yaml.safe_dump(rules, sort_keys=False))
    shutil.copy(DEPLOY / "prometheus" / "alerts.test.yaml", tmp_path / "alerts.test.yaml")
    return tmp_path / "alerts.test.yaml"


def test_promtool_checks_and_tests_every_alert() -> None:
    """promtool check rules and promtool test rules pass; every alert has a test and a runbook section."""
    promtool = _promtool()
    result = run(promtool, "check", "rules", "deploy/prometheus/alerts.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    result = run(promtool, "test", "rules", "deploy/prometheus/alerts.test.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    alerts = [r for g in rules["groups"] for r in g["rules"]]
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts.test.yaml").read_text())
    tested = {
        case["alertname"]
        for t in tests["tests"]
        for case in t.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {a["alert"] for a in alerts} - tested == set(), "every alert has a test in which it fires"
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    anchors = {_anchor(h) for h in re.findall(r"^#+\s+(.+)$", runbook, re.MULTILINE)}
    for alert in alerts:
        url = alert["annotations"]["runbook_url"]
        assert url.split("#")[0].endswith("docs/runbook.md"), url
        assert url.split("#")[1] in anchors, url


def _anchor(heading: str) -> str:
    # GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_prometheusrule_holds_the_same_rules_and_passes_the_same_tests(tmp_path: Path) -> None:
    """The generated PrometheusRule's groups are alerts.yaml's, and promtool's tests pass on them."""
    rule = yaml.safe_load((KUSTOMIZE / "monitoring" / "prometheusrule.yaml").read_text())
    assert rule["kind"] == "PrometheusRule"
    assert rule["spec"] == yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    tests = _rules_and_tests(tmp_path, rule["spec"])
    result = run(_promtool(), "test", "rules", str(tests))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_fails_the_old_dead_letter_alert(tmp_path: Path) -> None:
    """Planted defect: the old increase()-only dead-letter rule misses the first dead letter of a reason."""
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    for rule in rules["groups"][0]["rules"]:
        if rule["alert"] == "MeteringDeadLetter":
            rule["expr"] = "increase(metering_sidecar_dead_letters_total[15m]) > 0"
    result = run(_promtool(), "test", "rules", str(_rules_and_tests(tmp_path, rules)))
    assert result.returncode != 0
    assert "alertname: MeteringDeadLetter, time: 12m" in result.stdout + result.stderr


def test_promtool_check_fails_a_broken_rule(tmp_path: Path) -> None:
    """Planted defect: a rule that does not parse fails promtool check rules."""
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    rules["groups"][0]["rules"][0]["expr"] = "metering_sidecar_serving =="
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(rules))
    result = run(_promtool(), "check", "rules", str(path))
    assert result.returncode != 0
    assert "parse error" in result.stdout + result.stderr


# --- monitoring objects -------------------------------------------------------------------------------


def test_podmonitor_scrapes_the_injected_sidecar(rendered: dict[str, str]) -> None:
    """The PodMonitor selects the component's pod label, scrapes its metrics port, and names the job."""
    monitoring = docs(rendered["monitoring"])
    monitor = next(d for d in monitoring if d["kind"] == "PodMonitor")
    labels = _pod_labels(docs(rendered["overlays/single"]))
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    sidecar = _pod(docs(rendered["overlays/single"]))["initContainers"][0]
    assert endpoint["port"] in {p["name"] for p in sidecar["ports"]}
    assert {"targetLabel": "job", "replacement": "metering-sidecar"}.items() <= endpoint["relabelings"][
        0
    ].items()
    alerts = (DEPLOY / "prometheus" / "alerts.yaml").read_text()
    assert 'job="metering-sidecar"' in alerts


def _pod_labels(documents: list[dict[str, Any]]) -> dict[str, str]:
    workload = next(d for d in documents if d["kind"] in ("Deployment", "StatefulSet"))
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def test_dashboard_configmap_variables_and_cluster_row(rendered: dict[str, str]) -> None:
    """The dashboard ships as a ConfigMap for Grafana's sidecar, with namespace/pod/job variables,
    $__rate_interval in every rate, and a cluster-mode row."""
    config_map = next(d for d in docs(rendered["monitoring"]) if d["kind"] == "ConfigMap")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["metering-sidecar.json"])
    assert dashboard == json.loads((DEPLOY / "grafana" / "metering-sidecar.json").read_text())
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert {"namespace", "pod", "job"} <= variables
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for expr in exprs:
        if "rate(" in expr:
            assert "[$__rate_interval]" in expr, expr
        for selector in re.findall(r"metering_sidecar_[a-z_]+(\{[^}]*\})?", expr):
            assert 'namespace=~"$namespace"' in selector, expr
            assert 'pod=~"$pod"' in selector, expr
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert "Cluster mode" in rows
    assert any("cluster_postgres_up" in e for e in exprs)


# --- Dockerfile, workflow, package --------------------------------------------------------------------


def test_hadolint_passes_and_fails_a_planted_defect(tmp_path: Path) -> None:
    """hadolint finds nothing in the Dockerfile, and fails an unpinned base image."""
    hadolint = tool("hadolint", Path(sys.executable).parent / "hadolint")
    result = run(hadolint, "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "Dockerfile"
    broken.write_text(
        (ROOT / "Dockerfile")
        .read_text()
        .replace("WORKDIR /src", "WORKDIR /src\nRUN cd /tmp && pip install requests", 1)
    )
    result = run(hadolint, str(broken))
    assert result.returncode != 0
    assert "DL3003" in result.stdout or "DL3013" in result.stdout, result.stdout


def test_image_base_is_pinned_and_labelled() -> None:
    """Every FROM pins a digest, the runtime installs from the hashed lock, and the OCI labels are set."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    froms = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert len(froms) == 2
    assert all(re.search(r"@sha256:[0-9a-f]{64}$", f) for f in froms)
    assert "--require-hashes" in dockerfile
    assert "requirements.lock" in dockerfile
    for label in ("source", "version", "revision", "created", "licenses"):
        assert f"org.opencontainers.image.{label}=" in dockerfile


def test_lock_pins_every_runtime_cluster_and_azure_dependency() -> None:
    """requirements.lock pins, with hashes, a version of each dependency that pyproject.toml allows."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = (ROOT / "requirements.lock").read_text()
    pinned = dict(re.findall(r"^([a-z0-9_.-]+)==(\S+)", lock, re.MULTILINE))
    extras = project["optional-dependencies"]
    for text in [*project["dependencies"], *extras["cluster"], *extras["azure"]]:
        requirement = Requirement(text)
        name = requirement.name.lower()
        assert name in pinned, f"{name} missing from requirements.lock (regenerate it: see Dockerfile)"
        assert requirement.specifier.contains(pinned[name]), (name, pinned[name], str(requirement.specifier))
    assert lock.count("--hash=sha256:") > len(pinned)


def test_actionlint_passes_and_fails_a_planted_defect(tmp_path: Path) -> None:
    """actionlint finds nothing in the workflows, and fails an undefined step output."""
    actionlint = tool("actionlint", Path.home() / "go" / "bin" / "actionlint")
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = run(actionlint, "-no-color", *workflows)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    broken = tmp_path / ".github" / "workflows" / "release.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(text.replace("steps.build.outputs.digest", "steps.bulid.outputs.digest", 1))
    result = run(actionlint, "-no-color", str(broken), cwd=tmp_path)
    assert result.returncode != 0
    assert "bulid" in result.stdout


def test_release_workflow_builds_signs_and_publishes() -> None:
    """The release workflow builds wheel and sdist, a two-platform image it signs, and publishes."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert set(workflow["jobs"]) >= {"python-dist", "publish-pypi", "image", "publish-npm", "go-vulncheck"}
    assert "--sdist --wheel" in text
    assert "platforms: linux/amd64,linux/arm64" in text
    assert "cosign sign" in text
    assert "cosign verify" in text
    assert "pypa/gh-action-pypi-publish" in text
    assert "npm publish" in text
    assert "govulncheck" in text


def test_pyproject_license_extras_and_bounds() -> None:
    """SPDX license with setuptools>=77 and no license classifier; an upper bound on every runtime
    dependency; psycopg only in the [cluster] extra."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    assert project["license"] == "Apache-2.0"
    assert "setuptools>=77" in data["build-system"]["requires"]
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    assert {"Homepage", "Source", "Issues"} <= set(project["urls"])
    license_text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in license_text
    assert "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text
    extras = project["optional-dependencies"]
    for text in [*project["dependencies"], *extras["cluster"], *extras["azure"]]:
        requirement = Requirement(text)
        assert any(s.operator in ("<", "<=", "==", "~=") for s in requirement.specifier), text
    assert not [d for d in project["dependencies"] if Requirement(d).name == "psycopg"]
    assert [Requirement(d).name for d in project["optional-dependencies"]["cluster"]] == ["psycopg"]


def test_version_flag() -> None:
    """`metering-sidecar --version` prints the installed package's version."""
    from importlib.metadata import version

    result = run_cli(["--version"])  # in-process (tests/cli_run.py): argparse prints it and exits 0
    assert result.returncode == 0
    assert result.stdout.strip() == f"metering-sidecar {version('metering-sidecar')}"


def test_cluster_mode_without_psycopg_exits_2_naming_the_extra(tmp_path: Path) -> None:
    """Without the [cluster] extra, single mode imports fine and --cluster-postgres-dsn exits 2."""
    code = (
        "import sys\n"
        "sys.modules['psycopg'] = None  # as if the [cluster] extra were not installed\n"
        "from metering_sidecar.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    result = run(
        sys.executable, "-c", code, "serve", "--db", str(tmp_path / "m.db"), "--emulator",
        "--cluster-postgres-dsn", "postgresql://metering@127.0.0.1:1/metering",
        "--listen", "127.0.0.1:0", "--health-listen", "", "--metrics-listen", "",
        timeout=60, measured=True,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "metering-sidecar[cluster]" in result.stderr


def test_installs_beside_the_pypi_distribution_named_sidecar(tmp_path: Path) -> None:
    """`pip install . sidecar` in a fresh venv installs both: our import package is metering_sidecar, and
    the PyPI distribution "sidecar" (a JupyterLab widget) keeps its own sidecar/ package."""
    venv = tmp_path / "venv"
    # Not measured: the venv's copy of the package would count as other source files in the coverage report.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}

    def run(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, capture_output=True, text=True, cwd=cwd, timeout=timeout, check=False, env=env
        )

    # Without a pip of its own (ensurepip costs seconds of CPU): the pip of the system site-packages, run by
    # the venv's python, installs into the venv.
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        check=True,
        timeout=120,
    )
    python = venv / "bin" / "python"
    # Dependencies come from this interpreter's site-packages: only the two distributions are new here.
    install = run(str(python), "-m", "pip", "install", "-q", "--no-deps", str(ROOT), "sidecar", timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    where = run(
        str(python), "-c",
        "import importlib.util as u, metering_sidecar; print(u.find_spec('sidecar').origin); print(metering_sidecar.__file__)",
        cwd=tmp_path,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr[-2000:]
    theirs, ours = where.stdout.split()
    assert str(venv) in theirs  # the widget's package, installed in the venv, untouched by ours
    assert str(venv) in ours
    assert Path(theirs).parent != Path(ours).parent
    help_text = run(str(venv / "bin" / "metering-sidecar"), "--help", cwd=tmp_path)
    assert help_text.returncode == 0, help_text.stderr[-2000:]
    assert "serve" in help_text.stdout
