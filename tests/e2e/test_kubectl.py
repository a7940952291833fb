"""The real kubectl against `kubelite apiserver`, using the kubeconfig it
wrote and never --validate=false: kubectl 1.32 and 1.27, with the API server
on kubelite's store and on a real etcd 3.4."""

from __future__ import annotations

import json
import subprocess
import textwrap
import time

import pytest

from tests.apiserverproc import KubectlRunner

pytestmark = pytest.mark.e2e

DEPLOYMENT = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      labels: {app: web}
    spec:
      replicas: 2
      selector:
        matchLabels: {app: web}
      template:
        metadata:
          labels: {app: web}
        spec:
          containers:
          - name: nginx
            image: nginx:1.25
            ports:
            - containerPort: 80
            env:
            - name: MODE
              value: blue
""")


@pytest.fixture(params=[None, "1.27"], ids=["kubectl-1.32", "kubectl-1.27"])
def kubectl(request, apiserver, tmp_path):
    return KubectlRunner(apiserver, str(tmp_path), request.param)


def unique(prefix: str, kubectl) -> str:
    suffix = "a" if kubectl.binary.endswith("1.27") else "b"
    return f"{prefix}-{suffix}-{int(time.time() * 1000) % 100000}"


def test_discovery(kubectl):
    resources = kubectl("api-resources").stdout
    for line in ("pods", "deployments", "services", "configmaps", "namespaces"):
        assert line in resources
    assert "po " in resources and "deploy " in resources
    versions = kubectl("api-versions").stdout.split()
    assert "v1" in versions and "apps/v1" in versions and "batch/v1" in versions


def test_configmap_lifecycle(kubectl):
    ns = unique("cm", kubectl)
    kubectl("create", "namespace", ns)
    kubectl("create", "configmap", "settings", "-n", ns, "--from-literal=a=1",
            "--from-literal=b=2")
    table = kubectl("get", "configmaps", "-n", ns).stdout
    assert table.split("\n")[0].split() == ["NAME", "DATA", "AGE"]
    assert "settings" in table and " 2 " in table
    got = json.loads(kubectl("get", "configmap", "settings", "-n", ns, "-o", "json").stdout)
    assert got["data"] == {"a": "1", "b": "2"}
    assert got["metadata"]["resourceVersion"].isdigit()
    assert kubectl("get", "cm", "settings", "-n", ns, "-o",
                   "jsonpath={.data.a}").stdout == "1"
    kubectl("label", "configmap", "settings", "-n", ns, "tier=backend")
    kubectl("annotate", "configmap", "settings", "-n", ns, "note=hello")
    shown = kubectl("get", "cm", "-n", ns, "-l", "tier=backend", "--show-labels").stdout
    assert "settings" in shown and "tier=backend" in shown
    assert "No resources found" in kubectl("get", "cm", "-n", ns, "-l", "tier=front").stderr
    kubectl("delete", "configmap", "settings", "-n", ns)
    missing = kubectl("get", "configmap", "settings", "-n", ns, ok=False)
    assert missing.returncode == 1
    assert 'configmaps "settings" not found' in missing.stderr
    kubectl("delete", "namespace", ns, timeout=60)


def test_apply_three_way_merge_keeps_fields_others_set(kubectl, tmp_path):
    ns = unique("apply", kubectl)
    kubectl("create", "namespace", ns)
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    out = kubectl("apply", "-n", ns, "-f", str(manifest)).stdout
    assert "deployment.apps/web created" in out
    kubectl("annotate", "deployment", "web", "-n", ns, "owner=team-a")
    kubectl("scale", "deployment", "web", "-n", ns, "--replicas=3")
    kubectl("set", "env", "deployment/web", "-n", ns, "EXTRA=1")
    changed = DEPLOYMENT.replace("nginx:1.25", "nginx:1.26")
    manifest.write_text(changed)
    out = kubectl("apply", "-n", ns, "-f", str(manifest)).stdout
    assert "deployment.apps/web configured" in out
    got = json.loads(kubectl("get", "deploy", "web", "-n", ns, "-o", "json").stdout)
    assert got["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert got["metadata"]["annotations"]["owner"] == "team-a"
    # The manifest says 2: apply puts back what it declares over the scale to 3.
    assert got["spec"]["replicas"] == 2
    assert got["metadata"]["generation"] >= 3
    env = got["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "MODE", "value": "blue"} in env
    assert {"name": "EXTRA", "value": "1"} in env  # set by someone else: merged by name
    table = kubectl("get", "deploy", "-n", ns).stdout
    assert table.split("\n")[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    wide = kubectl("get", "deploy", "-n", ns, "-o", "wide").stdout
    assert "nginx:1.26" in wide and "app=web" in wide
    kubectl("delete", "namespace", ns, timeout=60)


def test_patch_types(kubectl):
    ns = unique("patch", kubectl)
    kubectl("create", "namespace", ns)
    kubectl("create", "configmap", "p", "-n", ns, "--from-literal=a=1")
    kubectl("patch", "configmap", "p", "-n", ns, "--type", "merge", "-p", '{"data":{"b":"2"}}')
    kubectl("patch", "configmap", "p", "-n", ns, "--type", "json",
            "-p", '[{"op":"replace","path":"/data/a","value":"9"}]')
    kubectl("patch", "configmap", "p", "-n", ns, "-p", '{"data":{"c":"3"}}')
    got = json.loads(kubectl("get", "cm", "p", "-n", ns, "-o", "json").stdout)
    assert got["data"] == {"a": "9", "b": "2", "c": "3"}
    bad = kubectl("patch", "configmap", "p", "-n", ns, "--type", "json",
                  "-p", '[{"op":"test","path":"/data/a","value":"0"}]', ok=False)
    assert bad.returncode != 0
    kubectl("delete", "namespace", ns, timeout=60)


def test_services_and_expose(kubectl):
    ns = unique("svc", kubectl)
    kubectl("create", "namespace", ns)
    kubectl("create", "deployment", "api", "-n", ns, "--image=nginx:1.25", "--port=80")
    kubectl("expose", "deployment", "api", "-n", ns, "--port=8080", "--target-port=80",
            "--type=NodePort")
    svc = json.loads(kubectl("get", "svc", "api", "-n", ns, "-o", "json").stdout)
    assert svc["spec"]["clusterIP"].startswith("10.")
    assert 30000 <= svc["spec"]["ports"][0]["nodePort"] <= 32767
    table = kubectl("get", "svc", "-n", ns).stdout
    assert table.split("\n")[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP",
                                            "PORT(S)", "AGE"]
    assert f"8080:{svc['spec']['ports'][0]['nodePort']}/TCP" in table
    kubectl("create", "service", "clusterip", "headless", "-n", ns, "--clusterip=None",
            "--tcp=80:80")
    headless = json.loads(kubectl("get", "svc", "headless", "-n", ns, "-o", "json").stdout)
    assert headless["spec"]["clusterIP"] == "None"
    kubectl("create", "service", "externalname", "ext", "-n", ns,
            "--external-name=example.invalid")
    kubectl("delete", "namespace", ns, timeout=60)


def test_errors_are_kubernetes_status(kubectl, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Valid\n")
    out = kubectl("create", "-f", str(bad), ok=False)
    assert out.returncode == 1
    assert 'ConfigMap "Not_Valid" is invalid' in out.stderr
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("apiVersion: v1\nkind: Gizmo\nmetadata:\n  name: g\n")
    out = kubectl("create", "-f", str(unknown), ok=False)
    assert out.returncode == 1 and "Gizmo" in out.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndatta: {}\n")
    out = kubectl("create", "-f", str(typo), ok=False)
    assert out.returncode == 1 and 'unknown field "datta"' in out.stderr


def test_explain(kubectl):
    out = kubectl("explain", "deployment.spec.replicas").stdout
    assert "replicas" in out and "integer" in out


CRD = textwrap.dedent("""\
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: crontabs.stable.example.com
    spec:
      group: stable.example.com
      scope: Namespaced
      names:
        plural: crontabs
        singular: crontab
        kind: CronTab
        shortNames: [ct]
      versions:
      - name: v1
        served: true
        storage: true
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec:
                type: object
                required: [cronSpec]
                properties:
                  cronSpec: {type: string}
                  image: {type: string}
                  replicas: {type: integer, minimum: 1, default: 1}
        subresources:
          status: {}
        additionalPrinterColumns:
        - name: Spec
          type: string
          jsonPath: .spec.cronSpec
        - name: Replicas
          type: integer
          jsonPath: .spec.replicas
        - name: Age
          type: date
          jsonPath: .metadata.creationTimestamp
""")

CRONTAB = textwrap.dedent("""\
    apiVersion: stable.example.com/v1
    kind: CronTab
    metadata:
      name: nightly
    spec:
      cronSpec: "0 3 * * *"
      image: backup:1
""")


def test_crd_then_custom_object(kubectl, tmp_path):
    # CRDs are cluster-wide: each kubectl version gets a group of its own.
    group = "stable127.example.com" if kubectl.binary.endswith("1.27") else "stable.example.com"
    crd, obj = tmp_path / "crd.yaml", tmp_path / "crontab.yaml"
    crd.write_text(CRD.replace("stable.example.com", group))
    obj.write_text(CRONTAB.replace("stable.example.com", group))
    ns = unique("crd", kubectl)
    kubectl("create", "namespace", ns)
    assert "created" in kubectl("apply", "-f", str(crd)).stdout
    kubectl("wait", "--for=condition=Established", f"crd/crontabs.{group}", "--timeout=30s")
    assert f"crontab.{group}/nightly created" in kubectl(
        "apply", "-n", ns, "-f", str(obj)).stdout
    table = kubectl("get", "crontabs", "-n", ns).stdout
    assert table.split("\n")[0].split() == ["NAME", "SPEC", "REPLICAS", "AGE"]
    assert "nightly" in table and "0 3 * * *" in table and " 1 " in table
    assert kubectl("get", "ct", "nightly", "-n", ns, "-o",
                   "jsonpath={.spec.replicas}").stdout == "1"
    obj.write_text(CRONTAB.replace("stable.example.com", group).replace("backup:1", "backup:2"))
    assert "configured" in kubectl("apply", "-n", ns, "-f", str(obj)).stdout
    assert kubectl("get", "ct", "nightly", "-n", ns, "-o",
                   "jsonpath={.spec.image}").stdout == "backup:2"
    bad = tmp_path / "bad.yaml"
    bad.write_text(CRONTAB.replace("stable.example.com", group).replace(
        "name: nightly", "name: broken").replace('cronSpec: "0 3 * * *"', "replicas: 0"))
    out = kubectl("apply", "-n", ns, "-f", str(bad), ok=False)
    assert out.returncode == 1
    assert "spec.cronSpec: Required value" in out.stderr
    assert "spec.replicas: Invalid value: 0" in out.stderr
    assert "cronSpec" in kubectl("explain", "crontab.spec").stdout
    kubectl("delete", "-f", str(crd), timeout=60)
    gone = kubectl("get", "crontabs", "-n", ns, ok=False)
    assert gone.returncode == 1
    kubectl("delete", "namespace", ns, timeout=60)


def test_watch_wait_and_delete(kubectl):
    ns = unique("watch", kubectl)
    kubectl("create", "namespace", ns)
    watcher = subprocess.Popen([kubectl.binary, "get", "configmaps", "-n", ns, "-w",
                                "--output-watch-events"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=kubectl.env)
    try:
        time.sleep(1.5)
        kubectl("create", "configmap", "w1", "-n", ns, "--from-literal=a=1")
        kubectl("label", "configmap", "w1", "-n", ns, "x=y")
        kubectl("delete", "configmap", "w1", "-n", ns)
        time.sleep(1.5)
    finally:
        watcher.terminate()
        out, _ = watcher.communicate(timeout=10)
    events = [line.split()[0] for line in out.splitlines() if "w1" in line]
    assert events == ["ADDED", "MODIFIED", "DELETED"], out
    kubectl("create", "configmap", "w2", "-n", ns, "--from-literal=a=1")
    kubectl("patch", "configmap", "w2", "-n", ns, "--type", "merge",
            "-p", '{"data":{"ready":"yes"}}')
    kubectl("wait", "--for=jsonpath={.data.ready}=yes", "configmap/w2", "-n", ns,
            "--timeout=20s")
    kubectl("delete", "configmap", "w2", "-n", ns, "--cascade=foreground")
    kubectl("create", "configmap", "w3", "-n", ns, "--from-literal=a=1")
    kubectl("delete", "configmap", "w3", "-n", ns, "--cascade=orphan")
    left = kubectl("get", "cm", "-n", ns, "-o", "name").stdout.split()
    assert "configmap/w2" not in left and "configmap/w3" not in left
    kubectl("delete", "namespace", ns, timeout=60)


def test_edit_and_diff(kubectl, tmp_path):
    ns = unique("edit", kubectl)
    kubectl("create", "namespace", ns)
    kubectl("create", "configmap", "e", "-n", ns, "--from-literal=color=red")
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/color: red/color: blue/' \"$1\"\n")
    editor.chmod(0o755)
    env = dict(kubectl.env, EDITOR=str(editor), KUBE_EDITOR=str(editor))
    result = subprocess.run([kubectl.binary, "edit", "configmap", "e", "-n", ns],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert kubectl("get", "cm", "e", "-n", ns, "-o",
                   "jsonpath={.data.color}").stdout == "blue"
    manifest = tmp_path / "e.yaml"
    manifest.write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e\n"
                        f"  namespace: {ns}\ndata:\n  color: green\n")
    diff = kubectl("diff", "-f", str(manifest), ok=False)
    assert diff.returncode == 1, diff.stderr
    assert "-  color: blue" in diff.stdout and "+  color: green" in diff.stdout
    kubectl("delete", "namespace", ns, timeout=60)


def test_get_output_forms_describe_and_delete_options(kubectl):
    ns = unique("forms", kubectl)
    kubectl("create", "namespace", ns)
    kubectl("create", "secret", "generic", "creds", "-n", ns, "--from-literal=user=admin",
            "--from-literal=password=s3cret")
    secret = json.loads(kubectl("get", "secret", "creds", "-n", ns, "-o", "json").stdout)
    assert secret["type"] == "Opaque"
    assert secret["data"]["user"] == "YWRtaW4="  # base64 of "admin"
    assert "type: Opaque" in kubectl("get", "secret", "creds", "-n", ns, "-o", "yaml").stdout
    kubectl("create", "deployment", "app", "-n", ns, "--image=busybox:1.36", "--replicas=2")
    columns = kubectl("get", "deploy", "-n", ns, "-o",
                      "custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas,"
                      "IMAGE:.spec.template.spec.containers[0].image").stdout.split("\n")
    assert columns[0].split() == ["NAME", "REPLICAS", "IMAGE"]
    assert columns[1].split() == ["app", "2", "busybox:1.36"]
    selected = kubectl("get", "secrets", "-n", ns, "--field-selector",
                       "metadata.name=creds", "-o", "name").stdout.split()
    assert selected == ["secret/creds"]
    assert kubectl("get", "secrets", "-n", ns, "--field-selector",
                   "type=kubernetes.io/tls", "-o", "name").stdout.strip() == ""
    everywhere = kubectl("get", "deployments", "-A").stdout
    assert everywhere.split("\n")[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert ns in everywhere
    described = kubectl("describe", "secret", "creds", "-n", ns).stdout
    assert "Name:" in described and "creds" in described and "password:" in described
    described = kubectl("describe", "deployment", "app", "-n", ns).stdout
    assert "busybox:1.36" in described and "2 desired" in described
    kubectl("delete", "deployment", "app", "-n", ns, "--cascade=background")
    kubectl("delete", "secret", "creds", "-n", ns, "--grace-period=0")
    assert kubectl("get", "all", "-n", ns, "-o", "name").stdout.strip() == ""
    kubectl("delete", "namespace", ns, timeout=60)
