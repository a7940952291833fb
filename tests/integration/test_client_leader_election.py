"""Leader election on a real Lease, on both stores: of three electors
exactly one leads; when the leader stops (releasing the lease) or is
cancelled, another takes over; one that dies without releasing is
replaced once its lease runs out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from kubelite.client.config import load_kubeconfig
from kubelite.client.leaderelection import LeaderElectionConfig, LeaderElector
from kubelite.client.resources import resource_for
from kubelite.client.rest import Client
from tests.waiting import eventually

LEASES = resource_for("coordination.k8s.io/v1", "leases")
WAIT = 30.0


class Candidates:
    """Electors on one Lease, recording who is inside on_started_leading."""

    def __init__(self, kubeconfig: str, config: LeaderElectionConfig, n: int) -> None:
        self.leading: set[str] = set()
        self.most_at_once = 0
        self.stopped: list[str] = []
        self.clients = [Client(load_kubeconfig(kubeconfig), f"elector-{i}") for i in range(n)]
        self.electors = [
            LeaderElector(client, config, f"candidate-{i}", self._leader(f"candidate-{i}"),
                          on_stopped_leading=lambda i=i: self.stopped.append(f"candidate-{i}"))
            for i, client in enumerate(self.clients)]
        self.tasks = [asyncio.create_task(e.run()) for e in self.electors]

    def _leader(self, identity: str) -> Callable:
        async def lead() -> None:
            self.leading.add(identity)
            self.most_at_once = max(self.most_at_once, len(self.leading))
            try:
                await asyncio.Event().wait()  # work until leadership ends
            finally:
                self.leading.discard(identity)
        return lead

    def leader(self) -> LeaderElector:
        (identity,) = self.leading
        return next(e for e in self.electors if e.identity == identity)

    async def close(self) -> None:
        for elector in self.electors:
            elector.stop()
        await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), WAIT)
        for client in self.clients:
            await client.close()


async def test_one_leads_and_another_takes_over(apiserver, ns: str) -> None:
    config = LeaderElectionConfig(namespace=ns, name="lock", lease_duration=3,
                                  renew_deadline=2, retry_period=0.25)
    group = Candidates(apiserver.kubeconfig, config, 3)
    reader = Client(load_kubeconfig(apiserver.kubeconfig), "reader")
    try:
        await eventually(lambda: len(group.leading) == 1, "a leader")
        first = group.leader()
        lease = await reader.get(LEASES, "lock", ns)
        assert lease["spec"]["holderIdentity"] == first.identity
        assert lease["spec"]["leaseDurationSeconds"] == 3
        # It renews: renewTime moves on while it stays the only leader.
        renewed = lease["spec"]["renewTime"]
        for _ in range(200):
            lease = await reader.get(LEASES, "lock", ns)
            if lease["spec"]["renewTime"] != renewed:
                break
            await asyncio.sleep(0.05)
        assert lease["spec"]["renewTime"] != renewed
        assert lease["spec"]["acquireTime"] <= lease["spec"]["renewTime"]
        assert group.leading == {first.identity}
        transitions = lease["spec"]["leaseTransitions"]

        # A clean stop releases the lease; another candidate takes over.
        first.stop()
        await asyncio.wait_for(group.tasks[group.electors.index(first)], WAIT)
        assert group.stopped == [first.identity]
        await eventually(lambda: len(group.leading) == 1, "a second leader",
                         timeout=config.lease_duration * 4)
        second = group.leader()
        assert second is not first
        lease = await reader.get(LEASES, "lock", ns)
        assert lease["spec"]["holderIdentity"] == second.identity
        assert lease["spec"]["leaseTransitions"] == transitions + 1

        # Cancelling run() is a clean stop too: the last one takes over.
        task = group.tasks[group.electors.index(second)]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await eventually(lambda: len(group.leading) == 1, "a third leader",
                         timeout=config.lease_duration * 4)
        third = group.leader()
        assert third not in (first, second)
        assert group.most_at_once == 1, "never two leaders at once"
    finally:
        await group.close()
        await reader.close()


async def test_a_leader_that_dies_is_replaced_when_its_lease_runs_out(apiserver, ns: str) -> None:
    config = LeaderElectionConfig(namespace=ns, name="lock", lease_duration=2,
                                  renew_deadline=1.5, retry_period=0.25,
                                  release_on_cancel=False)  # as if the process died
    group = Candidates(apiserver.kubeconfig, config, 2)
    reader = Client(load_kubeconfig(apiserver.kubeconfig), "reader")
    try:
        await eventually(lambda: len(group.leading) == 1, "a leader")
        first = group.leader()
        task = group.tasks[group.electors.index(first)]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await eventually(lambda: len(group.leading) == 1 and group.leader() is not first,
                         "the other candidate to take over", timeout=config.lease_duration * 5)
        lease = await reader.get(LEASES, "lock", ns)
        assert lease["spec"]["holderIdentity"] == group.leader().identity
        assert lease["spec"]["leaseTransitions"] == 1
        assert group.most_at_once == 1
    finally:
        await group.close()
        await reader.close()
