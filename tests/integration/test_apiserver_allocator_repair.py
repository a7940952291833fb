"""The service address repair pass (issue 6) against a real store, kubelite's
and a real etcd 3.4: what a crash between an address claim and its
service's write leaves behind is mended. An address a stored service holds
gets its claim back at once; a claim no service holds is given back only
when a second pass finds it unchanged, so a claim made for a create still
in flight is never taken from it."""

from __future__ import annotations

import pytest

from kubelite.api import all as api_all
from kubelite.api.resource import REGISTRY
from kubelite.apiserver.allocators import IP_PREFIX, PORT_PREFIX, ServiceAllocator
from kubelite.apiserver.errors import StatusError
from kubelite.apiserver.registry import Options, Registry
from kubelite.apiserver.storage import Storage
from tests.storeproc import StoreProcess

assert api_all
SERVICES = REGISTRY[("", "v1", "services")]
NAMESPACES = REGISTRY[("", "v1", "namespaces")]


@pytest.fixture(params=["kubelite", "etcd"])
def store(request, tmp_path):
    proc = StoreProcess(request.param, str(tmp_path / "data")).start()
    yield proc
    proc.stop()


async def test_repair_mends_leaked_and_missing_claims(store):
    storage = await Storage.connect([store.url])
    try:
        registry = Registry(storage)
        allocator = ServiceAllocator(storage, "10.96.0.0/24", (30000, 30100))
        registry.admission[("", "services")] = allocator
        await registry.create(NAMESPACES, None, {"metadata": {"name": "default"}}, Options())
        kept = await registry.create(SERVICES, "default", {
            "metadata": {"name": "kept"},
            "spec": {"type": "NodePort", "ports": [{"port": 80}]}}, Options())
        ip, port = kept["spec"]["clusterIP"], kept["spec"]["ports"][0]["nodePort"]

        # A crash after a claim, before its service was stored ...
        leaked = IP_PREFIX + "10.96.0.200"
        await storage.create(leaked, {"metadata": {"name": leaked},
                                      "owner": {"namespace": "default", "name": "never"}})
        # ... and a claim lost under a stored service.
        await storage.delete(IP_PREFIX + ip)

        suspects = await allocator.repair(registry, {})
        assert await storage.get(IP_PREFIX + ip) is not None  # given back to its service
        assert await storage.get(leaked) is not None  # only suspected so far
        assert set(suspects) == {leaked}

        suspects = await allocator.repair(registry, suspects)
        assert await storage.get(leaked) is None
        assert suspects == {}
        assert await storage.get(PORT_PREFIX + str(port)) is not None

        # The mended claim holds: nobody else gets that address.
        with pytest.raises(StatusError) as caught:
            await registry.create(SERVICES, "default", {
                "metadata": {"name": "thief"},
                "spec": {"clusterIP": ip, "ports": [{"port": 80}]}}, Options())
        assert caught.value.code == 422 and "already allocated" in caught.value.message
    finally:
        await storage.close()
