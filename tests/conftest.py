"""Fixtures shared by the integration and end-to-end tests."""

import pytest

from tests.apiserverproc import APIServerProcess


@pytest.fixture(scope="module", params=["kubelite", "etcd"])
def apiserver(request, tmp_path_factory):
    """`kubelite apiserver` over kubelite's store and over a real etcd 3.4:
    every test that uses it runs against both, one server per module."""
    proc = APIServerProcess(str(tmp_path_factory.mktemp(f"api-{request.param}")),
                            store_kind=request.param)
    proc.start()
    yield proc
    proc.stop()
