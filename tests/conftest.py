"""Fixtures shared by the integration and end-to-end tests: the API server
over both stores, raw HTTPS to it, the official Python client on it, and a
namespace per test."""

import contextlib
import uuid

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.apiserverproc import APIServerProcess
from tests.rawhttp import Raw


@pytest.fixture(scope="module", params=["kubelite", "etcd"])
def apiserver(request, tmp_path_factory):
    """`kubelite apiserver` over kubelite's store and over a real etcd 3.4:
    every test that uses it runs against both, one server per module."""
    proc = APIServerProcess(str(tmp_path_factory.mktemp(f"api-{request.param}")),
                            store_kind=request.param)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def raw(apiserver) -> Raw:
    """Raw HTTPS requests to the module's API server, for bytes and codes."""
    return Raw(apiserver)


@pytest.fixture(scope="module")
def api(apiserver):
    """The official `kubernetes` client, with the kubeconfig the server wrote."""
    api_client = config.new_client_from_config(config_file=apiserver.kubeconfig)
    yield api_client
    api_client.close()


@pytest.fixture
def core(api) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def apps(api) -> client.AppsV1Api:
    return client.AppsV1Api(api)


@pytest.fixture
def batch(api) -> client.BatchV1Api:
    return client.BatchV1Api(api)


@pytest.fixture
def ns(core):
    """A fresh namespace for one test, deleted (with what it holds) after it
    unless the test has deleted it."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    with contextlib.suppress(ApiException):
        core.delete_namespace(name)
