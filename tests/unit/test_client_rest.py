"""Unit tests for the REST client's pure parts: paths, query parameters,
the user agent and finding resources."""

from __future__ import annotations

import pytest

from kubelite.client.resources import custom_resource, resource_for
from kubelite.client.rest import _query, resource_path, user_agent


def test_paths() -> None:
    pods = resource_for("v1", "pods")
    deployments = resource_for("apps/v1", "deployments")
    nodes = resource_for("v1", "nodes")
    leases = resource_for("coordination.k8s.io/v1", "leases")
    assert resource_path(pods) == "/api/v1/pods"
    assert resource_path(pods, "ns") == "/api/v1/namespaces/ns/pods"
    assert resource_path(pods, "ns", "p", "binding") == "/api/v1/namespaces/ns/pods/p/binding"
    assert resource_path(deployments, "ns", "d", "status") == \
        "/apis/apps/v1/namespaces/ns/deployments/d/status"
    assert resource_path(nodes, "ignored", "n1") == "/api/v1/nodes/n1"
    assert resource_path(leases, "kube-system", "kube-scheduler") == \
        "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler"
    widgets = custom_resource("example.com", "v1", "Widget", "widgets")
    assert resource_path(widgets, "ns", "w") == "/apis/example.com/v1/namespaces/ns/widgets/w"
    clusterwide = custom_resource("example.com", "v1", "Gadget", "gadgets", namespaced=False)
    assert resource_path(clusterwide, "ns") == "/apis/example.com/v1/gadgets"


def test_query_leaves_out_what_is_unset() -> None:
    assert _query(watch=True, resourceVersion=None, labelSelector="", limit=0,
                  sendInitialEvents=False, fieldSelector="spec.nodeName=n1") == {
        "watch": "true", "limit": "0", "sendInitialEvents": "false",
        "fieldSelector": "spec.nodeName=n1"}


def test_user_agent_names_the_component() -> None:
    assert user_agent("scheduler").startswith("kubelite-scheduler/")


def test_unknown_resource() -> None:
    with pytest.raises(KeyError, match="no built-in resource widgets"):
        resource_for("v1", "widgets")
