"""No lost update (issue 3): many clients doing get + replace on one object,
retrying on 409 Conflict, end with every increment applied exactly once.

Twenty threads, each with its own ApiClient (its own connections), add one
to a counter annotation on the same ConfigMap twenty times each. Optimistic
concurrency on resourceVersion must turn every race into a 409 for the loser,
so the counter ends at exactly 400. Runs with the API server on kubelite's
store and on a real etcd 3.4.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

CLIENTS = 20
INCREMENTS = 20
DEADLINE_SECONDS = 120
MAX_ATTEMPTS_PER_INCREMENT = 500
KEY = "example.com/counter"


def test_concurrent_get_replace_loses_no_update(apiserver):
    admin = config.new_client_from_config(config_file=apiserver.kubeconfig)
    core = client.CoreV1Api(admin)
    core.create_namespaced_config_map("default", {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "counter", "annotations": {KEY: "0"}},
    })

    start = threading.Barrier(CLIENTS, timeout=30)
    deadline = time.monotonic() + DEADLINE_SECONDS
    lock = threading.Lock()
    tally = {"conflicts": 0, "writes": 0}

    def worker() -> None:
        api = config.new_client_from_config(config_file=apiserver.kubeconfig)
        mine = client.CoreV1Api(api)
        try:
            start.wait()
            for _ in range(INCREMENTS):
                for _attempt in range(MAX_ATTEMPTS_PER_INCREMENT):
                    if time.monotonic() > deadline:
                        raise TimeoutError("increments not done in time")
                    cm = mine.read_namespaced_config_map("counter", "default")
                    cm.metadata.annotations[KEY] = str(int(cm.metadata.annotations[KEY]) + 1)
                    try:
                        mine.replace_namespaced_config_map("counter", "default", cm)
                    except ApiException as e:
                        if e.status != 409:
                            raise
                        body = json.loads(e.body)
                        assert body["reason"] == "Conflict", body
                        with lock:
                            tally["conflicts"] += 1
                        continue
                    with lock:
                        tally["writes"] += 1
                    break
                else:
                    raise AssertionError("an increment never got through")
        finally:
            api.close()

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(worker) for _ in range(CLIENTS)]
            for f in futures:
                f.result(timeout=DEADLINE_SECONDS + 30)

        final = core.read_namespaced_config_map("counter", "default")
        assert tally["writes"] == CLIENTS * INCREMENTS
        assert final.metadata.annotations[KEY] == str(CLIENTS * INCREMENTS), (
            f"lost updates: {tally}; {apiserver.log_tail(2000)}")
    finally:
        admin.close()
