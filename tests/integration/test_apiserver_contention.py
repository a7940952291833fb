"""Deletes and other server-side read-modify-writes under contention (issue
6): a DELETE without preconditions never fails because another writer
changed the object between the API server's read and its write; the API
server tries again on the fresh object, as kube-apiserver's GuaranteedUpdate
does. Only preconditions the client sent, and that no longer hold, answer
409, with Kubernetes' message.

Twelve patcher threads (each with its own client and connections) keep
patching the objects while they are deleted: plainly, after finalizers,
gracefully (a pod on a node), with their namespace, and through the status
and scale subresources. Runs with the API server on kubelite's store and on
a real etcd 3.4.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

PATCHERS = 12
OBJECTS = 8
DEADLINE_SECONDS = 90


def _client(apiserver) -> client.ApiClient:
    return config.new_client_from_config(config_file=apiserver.kubeconfig)


@contextmanager
def patchers(apiserver, patch: Callable[[client.ApiClient, int], None]) -> Iterator[dict]:
    """PATCHERS threads calling `patch(api, n)` with n = 0, 1, ... until the
    block ends; 404s (the object is gone) are expected, any other error is
    collected and fails the test."""
    done = threading.Event()
    tally: dict = {"patches": 0, "errors": []}
    lock = threading.Lock()
    deadline = time.monotonic() + DEADLINE_SECONDS

    def run() -> None:
        api = _client(apiserver)
        try:
            n = 0
            while not done.is_set() and time.monotonic() < deadline:
                try:
                    patch(api, n)
                    with lock:
                        tally["patches"] += 1
                except ApiException as e:
                    if e.status != 404:
                        with lock:
                            tally["errors"].append((e.status, e.body))
                n += 1
        finally:
            api.close()

    pool = ThreadPoolExecutor(PATCHERS)
    futures = [pool.submit(run) for _ in range(PATCHERS)]
    try:
        time.sleep(0.3)  # let the patches get going
        yield tally
    finally:
        done.set()
        for f in futures:
            f.result(timeout=DEADLINE_SECONDS)
        pool.shutdown()
    assert not tally["errors"], tally["errors"][:5]
    assert tally["patches"] > 0


class Target:
    """The object the patchers are all patching: the one being deleted."""

    def __init__(self, name: str) -> None:
        self.name = name


def _label_patch(kind: str, namespace: str, target: Target):
    def patch(api: client.ApiClient, n: int) -> None:
        body = {"metadata": {"labels": {"n": str(n)}}}
        if kind == "configmap":
            client.CoreV1Api(api).patch_namespaced_config_map(target.name, namespace, body)
        else:
            client.CoreV1Api(api).patch_namespaced_pod(target.name, namespace, body)
    return patch


def _gone(read: Callable[[], object]) -> bool:
    try:
        read()
    except ApiException as e:
        return e.status == 404
    return False


def _hammered(target: Target, name: str) -> str:
    """Point the patchers at `name` and give them a moment on it."""
    target.name = name
    time.sleep(0.05)
    return name


def test_deletes_succeed_against_concurrent_patches(apiserver, core, ns):
    names = [f"cm-{i}" for i in range(OBJECTS)]
    for name in names:
        core.create_namespaced_config_map(ns, {"metadata": {"name": name}})
    target = Target(names[0])
    with patchers(apiserver, _label_patch("configmap", ns, target)):
        for name in names:
            status = core.delete_namespaced_config_map(_hammered(target, name), ns)
            assert status["status"] == "Success", status  # (this client answers dicts)
    for name in names:
        assert _gone(lambda n=name: core.read_namespaced_config_map(n, ns))


def test_finalizers_and_their_removal_against_concurrent_patches(apiserver, core, ns):
    names = [f"held-{i}" for i in range(OBJECTS)]
    for name in names:
        core.create_namespaced_config_map(ns, {"metadata": {
            "name": name, "finalizers": ["example.com/hold"]}})
    target = Target(names[0])
    with patchers(apiserver, _label_patch("configmap", ns, target)):
        for name in names:
            marked = core.delete_namespaced_config_map(_hammered(target, name),
                                                       ns)["metadata"]
            assert marked["deletionTimestamp"] and marked["finalizers"] == ["example.com/hold"]
            # A merge patch that drops the finalizer, raced by label patches:
            # once stored, the object has nothing left to wait for and goes.
            core.patch_namespaced_config_map(name, ns,
                                             {"metadata": {"finalizers": None}})
    for name in names:
        assert _gone(lambda n=name: core.read_namespaced_config_map(n, ns))


def test_graceful_pod_deletes_against_concurrent_patches(apiserver, core, ns):
    names = [f"pod-{i}" for i in range(OBJECTS)]
    for name in names:
        core.create_namespaced_pod(ns, {
            "metadata": {"name": name},
            "spec": {"nodeName": "node-a", "containers": [{"name": "c", "image": "busybox"}]},
        })
    target = Target(names[0])
    with patchers(apiserver, _label_patch("pod", ns, target)):
        for name in names:
            pending = core.delete_namespaced_pod(_hammered(target, name), ns,
                                                 grace_period_seconds=30)
            assert pending.metadata.deletion_grace_period_seconds == 30
            core.delete_namespaced_pod(name, ns, grace_period_seconds=0)
    for name in names:
        assert _gone(lambda n=name: core.read_namespaced_pod(n, ns))


def test_namespace_delete_against_concurrent_patches(apiserver, core):
    namespace = f"doomed-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": namespace}})
    names = [f"cm-{i}" for i in range(OBJECTS)]
    for name in names:
        core.create_namespaced_config_map(namespace, {"metadata": {"name": name}})

    def patch(api: client.ApiClient, n: int) -> None:
        if n % 4 == 0:  # the namespace itself too
            client.CoreV1Api(api).patch_namespace(
                namespace, {"metadata": {"labels": {"n": str(n)}}})
        else:
            _label_patch("configmap", namespace, Target(names[n % len(names)]))(api, n)

    with patchers(apiserver, patch):
        core.delete_namespace(namespace)
        deadline = time.monotonic() + 60
        while not _gone(lambda: core.read_namespace(namespace)):
            assert time.monotonic() < deadline, apiserver.log_tail(3000)
            time.sleep(0.2)
    assert "namespace clean-up" not in apiserver.log_tail(20000)


def test_status_and_scale_writes_against_concurrent_patches(apiserver, ns):
    api = _client(apiserver)
    apps = client.AppsV1Api(api)
    core = client.CoreV1Api(api)
    try:
        apps.create_namespaced_deployment(ns, {
            "metadata": {"name": "web"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
        })
        core.create_namespaced_pod(ns, {
            "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        })

        def patch(api: client.ApiClient, n: int) -> None:
            body = {"metadata": {"annotations": {"n": str(n)}}}
            client.AppsV1Api(api).patch_namespaced_deployment("web", ns, body)

        with patchers(apiserver, patch):
            for replicas in range(2, 2 + OBJECTS):
                scaled = apps.patch_namespaced_deployment_scale(
                    "web", ns, {"spec": {"replicas": replicas}})
                assert scaled.spec.replicas == replicas
                apps.patch_namespaced_deployment_status(
                    "web", ns, {"status": {"observedGeneration": replicas}})
        final = apps.read_namespaced_deployment("web", ns)
        assert final.spec.replicas == 1 + OBJECTS
        assert final.status.observed_generation == 1 + OBJECTS

        # A status PUT without a resourceVersion is unconditional: raced by
        # label patches on the pod, it still goes through.
        def label(api: client.ApiClient, n: int) -> None:
            client.CoreV1Api(api).patch_namespaced_pod(
                "p", ns, {"metadata": {"labels": {"n": str(n)}}})

        with patchers(apiserver, label):
            for i in range(OBJECTS):
                core.replace_namespaced_pod_status("p", ns, {
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "p", "namespace": ns},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                    "status": {"phase": "Pending", "message": f"try {i}"}})
        assert core.read_namespaced_pod("p", ns).status.message == f"try {OBJECTS - 1}"
    finally:
        api.close()


def test_failed_preconditions_answer_conflict(core, ns):
    cm = core.create_namespaced_config_map(ns, {"metadata": {"name": "pre"}})
    with pytest.raises(ApiException) as caught:
        core.delete_namespaced_config_map("pre", ns, body=client.V1DeleteOptions(
            preconditions=client.V1Preconditions(uid="not-the-uid")))
    assert caught.value.status == 409
    assert json.loads(caught.value.body)["message"] == (
        'Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in '
        f"precondition: not-the-uid, UID in object meta: {cm.metadata.uid}")

    old = cm.metadata.resource_version
    now = core.patch_namespaced_config_map("pre", ns, {"data": {"a": "b"}})
    with pytest.raises(ApiException) as caught:
        core.delete_namespaced_config_map("pre", ns, body=client.V1DeleteOptions(
            preconditions=client.V1Preconditions(resource_version=old)))
    assert caught.value.status == 409
    assert json.loads(caught.value.body)["message"] == (
        'Operation cannot be fulfilled on configmaps "pre": Precondition failed: '
        f"ResourceVersion in precondition: {old}, ResourceVersion in object meta: "
        f"{now.metadata.resource_version}")
    assert core.read_namespaced_config_map("pre", ns).data == {"a": "b"}

    # Preconditions that hold: the delete goes through.
    core.delete_namespaced_config_map("pre", ns, body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=cm.metadata.uid,
                                             resource_version=now.metadata.resource_version)))
    assert _gone(lambda: core.read_namespaced_config_map("pre", ns))
