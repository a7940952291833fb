"""ReplicationControllers through the real kubectl (1.32, and 1.27 once),
with the API server on kubelite's store and on a real etcd 3.4: create,
the tables, describe, scale (and the Scale's selector text), patches,
labels, the served status, field selectors, validation errors, explain and
delete. No controller runs yet, so no pod is ever created."""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml

from tests.apiserverproc import KubectlRunner

pytestmark = pytest.mark.e2e

# No metadata.labels: they default to the template's.
MANIFEST = textwrap.dedent("""\
    apiVersion: v1
    kind: ReplicationController
    metadata:
      name: web
    spec:
      replicas: 2
      selector: {tier: front, app: web}
      template:
        metadata:
          labels: {app: web, tier: front, track: stable}
        spec:
          containers:
          - name: nginx
            image: nginx:1.25
            ports:
            - containerPort: 80
          - name: sidecar
            image: busybox:1.36
            command: [sleep, "3600"]
""")

INVALID = textwrap.dedent("""\
    apiVersion: v1
    kind: ReplicationController
    metadata:
      name: bad
    spec:
      replicas: -1
      selector: {app: other}
      template:
        metadata:
          labels: {app: web}
        spec:
          restartPolicy: Never
          containers:
          - name: c
            image: busybox:1.36
""")


@pytest.fixture
def kubectl(apiserver, tmp_path) -> KubectlRunner:
    return KubectlRunner(apiserver, str(tmp_path))


def rows(table: str) -> list[list[str]]:
    return [line.split() for line in table.strip().split("\n")]


def test_replicationcontroller_lifecycle(kubectl, tmp_path):
    ns = "rc-lifecycle"
    kubectl("create", "namespace", ns)
    manifest = tmp_path / "rc.yaml"
    manifest.write_text(MANIFEST)
    assert kubectl("create", "-n", ns, "-f", str(manifest)).stdout.strip() == (
        "replicationcontroller/web created")

    table = rows(kubectl("get", "rc", "-n", ns).stdout)
    assert table[0] == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    assert table[1][:4] == ["web", "2", "0", "0"]
    wide = rows(kubectl("get", "replicationcontrollers", "-n", ns, "-o", "wide").stdout)
    assert wide[0] == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES",
                       "SELECTOR"]
    assert wide[1][5:] == ["nginx,sidecar", "nginx:1.25,busybox:1.36", "app=web,tier=front"]

    served = yaml.safe_load(kubectl("get", "rc", "web", "-n", ns, "-o", "yaml").stdout)
    assert served["status"] == {"replicas": 0}
    assert served["metadata"]["labels"] == {"app": "web", "tier": "front", "track": "stable"}
    assert served["metadata"]["generation"] == 1
    pod = served["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Always" and pod["dnsPolicy"] == "ClusterFirst"
    assert pod["containers"][0]["imagePullPolicy"] == "IfNotPresent"

    described = kubectl("describe", "rc", "web", "-n", ns).stdout
    assert "Selector:     app=web,tier=front" in described
    assert "Replicas:     0 current / 2 desired" in described
    assert "Pods Status:  0 Running / 0 Waiting / 0 Succeeded / 0 Failed" in described
    assert "nginx:1.25" in described

    assert kubectl("scale", "rc", "web", "-n", ns, "--replicas=3").stdout.strip() == (
        "replicationcontroller/web scaled")
    assert kubectl("get", "rc", "web", "-n", ns, "-o",
                   "jsonpath={.spec.replicas} {.metadata.generation}").stdout == "3 2"
    scale = json.loads(kubectl(
        "get", "--raw", f"/api/v1/namespaces/{ns}/replicationcontrollers/web/scale").stdout)
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 3}
    assert scale["status"] == {"replicas": 0, "selector": "app=web,tier=front"}
    refused = kubectl("patch", "rc", "web", "-n", ns, "--subresource=scale", "--type=merge",
                      "-p", '{"spec":{"replicas":-1}}', ok=False)
    assert refused.stderr.strip() == ('The Scale "web" is invalid: spec.replicas: Invalid '
                                      "value: -1: must be greater than or equal to 0")

    # Strategic merge: the container is merged by name, the other one kept.
    kubectl("patch", "rc", "web", "-n", ns, "-p",
            '{"spec":{"template":{"spec":{"containers":[{"name":"nginx",'
            '"image":"nginx:1.26"}]}}}}')
    kubectl("patch", "rc", "web", "-n", ns, "--type", "merge", "-p",
            '{"spec":{"minReadySeconds":5}}')
    kubectl("label", "rc", "web", "-n", ns, "env=prod")
    got = json.loads(kubectl("get", "rc", "web", "-n", ns, "-o", "json").stdout)
    assert [c["image"] for c in got["spec"]["template"]["spec"]["containers"]] == [
        "nginx:1.26", "busybox:1.36"]
    assert got["spec"]["minReadySeconds"] == 5
    assert got["metadata"]["labels"]["env"] == "prod"
    assert got["metadata"]["generation"] == 4  # the label did not bump it
    assert kubectl("get", "rc", "-n", ns, "-l", "env=prod", "-o", "name").stdout.split() == [
        "replicationcontroller/web"]

    assert json.loads(kubectl("get", "rc/web", "-n", ns, "-o", "jsonpath={.status}").stdout) == {
        "replicas": 0}
    assert kubectl("get", "rc", "-n", ns, "--field-selector", "status.replicas=0", "-o",
                   "name").stdout.split() == ["replicationcontroller/web"]
    # What the controller will write, through the status subresource: counts
    # are checked, and the field selector follows them.
    kubectl("patch", "rc", "web", "-n", ns, "--subresource=status", "--type=merge", "-p",
            '{"status":{"replicas":3,"readyReplicas":1,"observedGeneration":4}}')
    refused = kubectl("patch", "rc", "web", "-n", ns, "--subresource=status", "--type=merge",
                      "-p", '{"status":{"availableReplicas":2}}', ok=False)
    assert refused.stderr.strip() == (
        'The ReplicationController "web" is invalid: status.availableReplicas: Invalid value: '
        "2: cannot be greater than readyReplicas")
    assert rows(kubectl("get", "rc", "-n", ns).stdout)[1][:4] == ["web", "3", "3", "1"]
    assert kubectl("get", "rc", "-n", ns, "--field-selector", "status.replicas=3", "-o",
                   "name").stdout.split() == ["replicationcontroller/web"]
    assert kubectl("get", "rc", "-n", ns, "--field-selector", "status.replicas=0", "-o",
                   "name").stdout.strip() == ""
    assert "replicationcontroller/web" in kubectl("get", "all", "-n", ns, "-o", "name").stdout

    kubectl("delete", "rc", "web", "-n", ns)
    missing = kubectl("get", "rc", "web", "-n", ns, ok=False)
    assert missing.returncode == 1
    assert 'replicationcontrollers "web" not found' in missing.stderr
    kubectl("delete", "namespace", ns, timeout=60)


def test_invalid_replicationcontrollers_are_refused(kubectl, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(INVALID)
    out = kubectl("create", "-f", str(bad), ok=False)
    assert out.returncode == 1
    assert out.stderr.strip().split("\n") == [
        'The ReplicationController "bad" is invalid: ',
        "* spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        '* spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not '
        "match template `labels`",
        '* spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: '
        '"Always"',
    ]
    empty = kubectl("create", "-f", "-", ok=False, stdin=(
        "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: empty\nspec: {}\n"))
    assert empty.stderr.strip().split("\n") == [
        'The ReplicationController "empty" is invalid: ',
        "* spec.selector: Required value",
        "* spec.template: Required value",
    ]


def test_explain_replicationcontroller_spec(kubectl):
    out = kubectl("explain", "replicationcontroller.spec").stdout
    assert "KIND:       ReplicationController" in out
    for field in ("minReadySeconds\t<integer>", "replicas\t<integer>",
                  "selector\t<map[string]string>", "template\t<PodTemplateSpec>"):
        assert field in out
    assert "<integer>" in kubectl("explain", "rc.status.replicas").stdout


def test_kubectl_127(apiserver, tmp_path):
    kubectl = KubectlRunner(apiserver, str(tmp_path), "1.27")
    ns = "rc-kubectl-127"
    kubectl("create", "namespace", ns)
    kubectl("create", "-n", ns, "-f", "-", stdin=MANIFEST)
    wide = rows(kubectl("get", "rc", "-n", ns, "-o", "wide").stdout)
    assert wide[0][:4] == ["NAME", "DESIRED", "CURRENT", "READY"]
    assert wide[1][-1] == "app=web,tier=front"
    kubectl("scale", "rc/web", "-n", ns, "--replicas=0")
    assert kubectl("get", "rc", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}").stdout == "0"
    assert "Replicas:     0 current / 0 desired" in kubectl("describe", "rc", "web", "-n",
                                                             ns).stdout
    kubectl("delete", "rc", "web", "-n", ns)
    kubectl("delete", "namespace", ns, timeout=60)
