"""Snapshot: the cluster as one scheduling cycle sees it, built from plain
lists of API objects.

A pod counts on a node when its spec.nodeName names a node of the snapshot
and its phase is neither Succeeded nor Failed (what kube-scheduler's
informer for assigned pods keeps). Terminating pods still count.

Nodes are listed as kube-scheduler's node tree lists them: grouped by zone
(region and zone labels, zones in order of first appearance) and taken one
zone at a time in turn, so that a search that stops early (see
numFeasibleNodesToFind) still sees every zone. Within a zone, nodes keep
the order they were given in.

Besides nodes and pods, a snapshot holds what some plugins read:
namespace labels (InterPodAffinity's namespaceSelector), and the Services,
ReplicationControllers, ReplicaSets and StatefulSets that PodTopologySpread's
default constraints take a pod's selector from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kubelite.api.selectors import LabelSelector
from kubelite.scheduler.framework.nodeinfo import ImageStateSummary, NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo

Obj = dict[str, Any]

ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
BETA_ZONE_LABEL = "failure-domain.beta.kubernetes.io/zone"
BETA_REGION_LABEL = "failure-domain.beta.kubernetes.io/region"
TERMINAL_PHASES = ("Succeeded", "Failed")


def zone_key(node: Mapping[str, Any]) -> str:
    labels = (node.get("metadata") or {}).get("labels") or {}
    zone = labels.get(BETA_ZONE_LABEL, labels.get(ZONE_LABEL, ""))
    region = labels.get(BETA_REGION_LABEL, labels.get(REGION_LABEL, ""))
    if not region and not zone:
        return ""
    return f"{region}:\x00:{zone}"


def zone_interleaved(nodes: Iterable[Obj]) -> list[Obj]:
    """Nodes one zone at a time in turn, as the scheduler's node tree lists
    them."""
    zones: dict[str, list[Obj]] = {}
    for node in nodes:
        zones.setdefault(zone_key(node), []).append(node)
    ordered: list[Obj] = []
    depth = max((len(z) for z in zones.values()), default=0)
    for i in range(depth):
        ordered.extend(z[i] for z in zones.values() if i < len(z))
    return ordered


def is_assigned(pod: Mapping[str, Any]) -> bool:
    """Bound to a node and not finished."""
    return bool((pod.get("spec") or {}).get("nodeName")) and (
        (pod.get("status") or {}).get("phase") not in TERMINAL_PHASES
    )


def _name(obj: Mapping[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def _by_namespace(objs: Iterable[Obj]) -> dict[str, list[Obj]]:
    found: dict[str, list[Obj]] = {}
    for obj in objs:
        found.setdefault((obj.get("metadata") or {}).get("namespace") or "", []).append(obj)
    return found


class Snapshot:
    def __init__(
        self,
        nodes: Iterable[Obj],
        pods: Iterable[Obj] = (),
        *,
        namespaces: Iterable[Obj] = (),
        services: Iterable[Obj] = (),
        replication_controllers: Iterable[Obj] = (),
        replica_sets: Iterable[Obj] = (),
        stateful_sets: Iterable[Obj] = (),
    ) -> None:
        given = list(nodes)
        self.node_infos: list[NodeInfo] = [NodeInfo.of(n) for n in zone_interleaved(given)]
        self._by_name = {info.name: info for info in self.node_infos}
        for pod in pods:
            if is_assigned(pod):
                info = self._by_name.get(pod["spec"]["nodeName"])
                if info is not None:
                    info.add_pod(PodInfo.of(pod))
        self.have_pods_with_affinity = [n for n in self.node_infos if n.pods_with_affinity]
        self.have_pods_with_required_anti_affinity = [
            n for n in self.node_infos if n.pods_with_required_anti_affinity
        ]
        self.image_node_counts: dict[str, int] = {}
        self._set_image_states([self._by_name[n] for n in dict.fromkeys(map(_name, given))])
        self._namespace_labels = {
            _name(ns): (ns.get("metadata") or {}).get("labels") or {} for ns in namespaces
        }
        self.services = _by_namespace(services)
        self.replication_controllers = _by_namespace(replication_controllers)
        self.replica_sets = _by_namespace(replica_sets)
        self.stateful_sets = _by_namespace(stateful_sets)

    def _set_image_states(self, infos: list[NodeInfo]) -> None:
        """An image's size is the one the first node reporting it gives.
        `image_node_counts` keeps on how many nodes each image name is."""
        sizes: dict[str, int] = {}
        counts: dict[str, int] = self.image_node_counts
        with_images = []
        for info in infos:
            images = (info.node.get("status") or {}).get("images")
            if not images:
                continue
            with_images.append((info, images))
            names = set()
            for image in images:
                for name in image.get("names") or []:
                    sizes.setdefault(name, int(image.get("sizeBytes") or 0))
                    names.add(name)
            for name in names:
                counts[name] = counts.get(name, 0) + 1
        summaries: dict[str, ImageStateSummary] = {}
        for info, images in with_images:
            for image in images:
                for name in image.get("names") or []:
                    summary = summaries.get(name)
                    if summary is None:
                        summary = summaries[name] = ImageStateSummary(sizes[name], counts[name])
                    info.image_states[name] = summary

    def __len__(self) -> int:
        return len(self.node_infos)

    def add_pod(self, pod: Obj) -> PodInfo | None:
        """Count a pod bound (or assumed bound) to one of the snapshot's
        nodes, as the scheduler's cache does between two builds; its PodInfo,
        or None when its node is not in the snapshot."""
        info = self._by_name.get((pod.get("spec") or {}).get("nodeName") or "")
        if info is None:
            return None
        pod_info = PodInfo.of(pod)
        had = (bool(info.pods_with_affinity), bool(info.pods_with_required_anti_affinity))
        info.add_pod(pod_info)
        self._track(info, had)
        return pod_info

    def remove_pod(self, pod: Obj) -> None:
        """Stop counting a pod on its node (deleted, finished, or an assumed
        binding that failed); nothing if it is not counted."""
        info = self._by_name.get((pod.get("spec") or {}).get("nodeName") or "")
        if info is None:
            return
        had = (bool(info.pods_with_affinity), bool(info.pods_with_required_anti_affinity))
        try:
            info.remove_pod(PodInfo.of(pod))
        except ValueError:
            return
        self._track(info, had)

    def _track(self, info: NodeInfo, had: tuple[bool, bool]) -> None:
        """Keep the lists of nodes with (anti-)affinity pods in step."""
        for listed, before, now in (
            (self.have_pods_with_affinity, had[0], bool(info.pods_with_affinity)),
            (self.have_pods_with_required_anti_affinity, had[1],
             bool(info.pods_with_required_anti_affinity)),
        ):
            if now and not before:
                listed.append(info)
            elif before and not now:
                listed.remove(info)

    def get(self, name: str) -> NodeInfo | None:
        return self._by_name.get(name)

    def namespace_labels(self, namespace: str) -> dict[str, str] | None:
        """The labels of a namespace, None when the snapshot lacks it."""
        return self._namespace_labels.get(namespace)

    def namespaces_matching(self, selector: LabelSelector) -> set[str]:
        return {name for name, labels in self._namespace_labels.items() if selector.matches(labels)}
