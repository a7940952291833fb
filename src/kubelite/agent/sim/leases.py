"""A node's heartbeat Lease in kube-node-lease, as the kubelet keeps it, pure:
named after the node, held by it, owned by the Node (so that it goes with
the Node), leaseDurationSeconds from --node-lease-duration-seconds, and
renewTime moved forward every quarter of that."""

from __future__ import annotations

from typing import Any

from kubelite.agent.sim.timefmt import micro_time

Obj = dict[str, Any]

NODE_LEASE_NAMESPACE = "kube-node-lease"


def _owner(node_name: str, node_uid: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Node", "name": node_name, "uid": node_uid}


def lease_object(node_name: str, node_uid: str, duration: int, now: float) -> Obj:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": node_name, "namespace": NODE_LEASE_NAMESPACE,
                     "ownerReferences": [_owner(node_name, node_uid)]},
        "spec": {"holderIdentity": node_name, "leaseDurationSeconds": duration,
                 "renewTime": micro_time(now)},
    }


def renewed(lease: Obj, node_name: str, node_uid: str, duration: int, now: float) -> Obj:
    """`lease` (as last read or written) renewed at `now`, held by the node
    and owned by it; `lease` itself is left as it is."""
    meta = dict(lease.get("metadata") or {})
    owners = [o for o in meta.get("ownerReferences") or [] if isinstance(o, dict)]
    if not any(o.get("kind") == "Node" and o.get("uid") == node_uid for o in owners):
        meta["ownerReferences"] = [o for o in owners if o.get("kind") != "Node"] + \
            [_owner(node_name, node_uid)]
    spec = dict(lease.get("spec") or {})
    spec.update(holderIdentity=node_name, leaseDurationSeconds=duration,
                renewTime=micro_time(now))
    return {**lease, "metadata": meta, "spec": spec}
