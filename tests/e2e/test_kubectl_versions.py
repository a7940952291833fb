"""Every kubectl minor the README names (1.27 to 1.33) against `kubelite
apiserver`: discovery, a create of each wire form kubectl uses (a generator
command, which kubectl >= 1.31 sends as protobuf, and a manifest), apply,
get as a table and as JSON, scale, watch, describe and delete. The deeper
scenarios run with 1.32 and 1.27 in test_kubectl.py; this keeps the
others honest. Runs on kubelite's store and on a real etcd 3.4.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading

import pytest

from tests.apiserverproc import KubectlRunner
from tests.e2e.test_kubectl import DEPLOYMENT

pytestmark = pytest.mark.e2e

VERSIONS = ["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"]

@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_minor(apiserver, tmp_path, version):
    kubectl = KubectlRunner(apiserver, str(tmp_path), version)
    client = json.loads(kubectl("version", "--client", "-o", "json").stdout)
    assert client["clientVersion"]["minor"].rstrip("+") == version.split(".")[1]
    ns = f"v{version.replace('.', '')}"
    kubectl("create", "namespace", ns)
    assert "deployments" in kubectl("api-resources").stdout

    kubectl("create", "configmap", "settings", "-n", ns, "--from-literal=color=blue")
    got = json.loads(kubectl("get", "configmap", "settings", "-n", ns, "-o", "json").stdout)
    assert got["data"] == {"color": "blue"}

    kubectl("apply", "-n", ns, "-f", "-", stdin=DEPLOYMENT)
    kubectl("apply", "-n", ns, "-f", "-", stdin=DEPLOYMENT)  # again: unchanged
    table = kubectl("get", "deployments", "-n", ns).stdout
    assert table.split("\n")[0].split()[:2] == ["NAME", "READY"] and "web" in table
    kubectl("scale", "deployment/web", "-n", ns, "--replicas=4")
    scaled = kubectl("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.spec.replicas}")
    assert scaled.stdout == "4"
    assert "Replicas:" in kubectl("describe", "deployment", "web", "-n", ns).stdout

    # A watch shows what changes after it starts: make changes until one
    # comes through (kubectl gives no sign of when its watch is open).
    watcher = subprocess.Popen(
        [kubectl.binary, "get", "configmaps", "-n", ns, "--watch-only", "-o", "name"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=kubectl.env)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in watcher.stdout],
                              daemon=True)
    reader.start()
    seen = ""
    try:
        for i in range(20):
            kubectl("create", "configmap", f"later-{i}", "-n", ns)
            try:
                seen = lines.get(timeout=0.5)
                break
            except queue.Empty:
                continue
    finally:
        watcher.kill()
        watcher.wait()
        reader.join(5)
    assert seen.startswith("configmap/later-"), seen

    kubectl("delete", "namespace", ns, "--wait=false")
