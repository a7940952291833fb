"""PodTopologySpread's constraints, as the plugin reads them from a pod.

A constraint applies per whenUnsatisfiable (DoNotSchedule for Filter,
ScheduleAnyway for Score). Its selector is the labelSelector plus, for
each matchLabelKeys key the pod has, that key equal to the pod's value.
Unset fields default as upstream: minDomains 1, nodeAffinityPolicy Honor
(only nodes matching the pod's nodeSelector / required node affinity
count as domains), nodeTaintsPolicy Ignore (Honor: nodes with a
NoSchedule / NoExecute taint the pod does not tolerate do not count).

A pod without constraints of its own gets the default constraints, with
the selector taken from what owns it (helper.DefaultSelector): the
selectors of the Services in its namespace that select it, merged, plus
the selector of its controlling ReplicationController, ReplicaSet or
StatefulSet (found by name in its namespace). No such selector: no
default constraints. Kubernetes' system defaults are hostname maxSkew 3
and zone maxSkew 5, both ScheduleAnyway.

Counting: a domain's matching pods are the pods on its nodes, in the
incoming pod's namespace, not terminating, that the selector matches.
Each constraint's selector is compiled once (matchers.py) for that count;
`Inclusion` answers counts_node for every constraint of a pod at once, and
without looking at the node when the policies make every node count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.selectors import LabelSelector, Requirement
from kubelite.scheduler.framework.matchers import Matcher, compile_selector
from kubelite.scheduler.framework.nodeaffinity import RequiredNodeAffinity
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import (
    HOSTNAME_LABEL,
    PodInfo,
    label_selector,
)
from kubelite.scheduler.framework.snapshot import ZONE_LABEL, Snapshot
from kubelite.scheduler.framework.tolerations import first_untolerated

DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
HONOR = "Honor"
IGNORE = "Ignore"

SYSTEM_DEFAULT_CONSTRAINTS: tuple[dict[str, Any], ...] = (
    {"topologyKey": HOSTNAME_LABEL, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": ZONE_LABEL, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
)


@dataclass(frozen=True)
class Constraint:
    max_skew: int
    topology_key: str
    selector: LabelSelector | None
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE
    selects: Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "selects", compile_selector(self.selector))

    def counts_node(self, pod: PodInfo, node: NodeInfo, required: RequiredNodeAffinity) -> bool:
        """matchNodeInclusionPolicies: whether the node is one of the domains."""
        if self.node_affinity_policy == HONOR and not required.matches_labels(
            node.labels, node.name
        ):
            return False
        if self.node_taints_policy == HONOR and first_untolerated(
            node.no_schedule_taints, pod.tolerations
        ):
            return False
        return True

    def count(self, pods: Iterable[PodInfo], namespace: str) -> int:
        """count_matching with this constraint's selector."""
        return _count(pods, self.selects, namespace)


class Inclusion:
    """counts_node of each of a pod's constraints; `all_nodes` when every
    node counts for every constraint (the policies ignore node affinity,
    or the pod has none, and ignore taints)."""

    def __init__(self, pod: PodInfo, constraints: Sequence[Constraint]) -> None:
        self.pod = pod
        self.constraints = constraints
        self.required = RequiredNodeAffinity.of(pod.pod)
        empty = self.required.is_empty()
        self.all_nodes = all(
            (c.node_affinity_policy != HONOR or empty) and c.node_taints_policy != HONOR
            for c in constraints
        )

    def counts(self, i: int, node: NodeInfo) -> bool:
        return self.all_nodes or self.constraints[i].counts_node(self.pod, node, self.required)


def _with_match_labels(
    selector: LabelSelector | None, keys: Iterable[str], pod_labels: Mapping[str, str]
) -> LabelSelector | None:
    extra = [Requirement(k, "=", (pod_labels[k],)) for k in keys if k in pod_labels]
    if not extra:
        return selector
    return LabelSelector(tuple(extra) + (selector.requirements if selector is not None else ()))


def constraints_for(
    raw_constraints: Iterable[Mapping[str, Any]], pod_labels: Mapping[str, str], action: str
) -> list[Constraint]:
    """The constraints for one whenUnsatisfiable; ValueError when a selector
    does not parse."""
    found = []
    for raw in raw_constraints:
        if raw.get("whenUnsatisfiable") != action:
            continue
        selector = _with_match_labels(
            label_selector(raw.get("labelSelector")), raw.get("matchLabelKeys") or [], pod_labels
        )
        found.append(
            Constraint(
                max_skew=int(raw.get("maxSkew") or 0),
                topology_key=raw.get("topologyKey") or "",
                selector=selector,
                min_domains=int(raw.get("minDomains") or 1),
                node_affinity_policy=raw.get("nodeAffinityPolicy") or HONOR,
                node_taints_policy=raw.get("nodeTaintsPolicy") or IGNORE,
            )
        )
    return found


def _set_selector(labels: Mapping[str, str]) -> list[Requirement]:
    return [Requirement(k, "=", (v,)) for k, v in sorted(labels.items())]


def _named(objs: Iterable[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    for obj in objs:
        if (obj.get("metadata") or {}).get("name") == name:
            return obj
    return None


def _controller(pod: PodInfo) -> Mapping[str, Any] | None:
    for ref in pod.metadata.get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def default_selector(pod: PodInfo, snapshot: Snapshot) -> LabelSelector:
    """The selector of the pod's Services and controller (DefaultSelector)."""
    labels: dict[str, str] = {}
    for service in snapshot.services.get(pod.namespace, []):
        selector = (service.get("spec") or {}).get("selector")
        if selector is None:
            continue
        if all(pod.labels.get(k) == v for k, v in selector.items()):
            labels.update(selector)
    requirements = _set_selector(labels)
    owner = _controller(pod)
    if owner is not None:
        kind = (owner.get("apiVersion"), owner.get("kind"))
        name = owner.get("name") or ""
        if kind == ("v1", "ReplicationController"):
            rc = _named(snapshot.replication_controllers.get(pod.namespace, []), name)
            if rc is not None:
                labels.update((rc.get("spec") or {}).get("selector") or {})
                requirements = _set_selector(labels)
        elif kind in (("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")):
            source = (
                snapshot.replica_sets if kind[1] == "ReplicaSet" else snapshot.stateful_sets
            )
            owner_obj = _named(source.get(pod.namespace, []), name)
            if owner_obj is not None:
                try:
                    other = label_selector((owner_obj.get("spec") or {}).get("selector"))
                except ValueError:
                    other = None
                if other is not None:
                    requirements = requirements + list(other.requirements)
    return LabelSelector(tuple(requirements))


def pod_constraints(
    pod: PodInfo,
    snapshot: Snapshot,
    action: str,
    defaults: Iterable[Mapping[str, Any]],
) -> list[Constraint]:
    """The pod's own constraints for `action`, or the defaults (with the
    owner's selector) when it declares none."""
    own = pod.spec.get("topologySpreadConstraints") or []
    if own:
        return constraints_for(own, pod.labels, action)
    constraints = constraints_for(defaults, pod.labels, action)
    if not constraints:
        return []
    selector = default_selector(pod, snapshot)
    if selector.empty():
        return []
    return [
        Constraint(c.max_skew, c.topology_key, selector, c.min_domains,
                   c.node_affinity_policy, c.node_taints_policy)
        for c in constraints
    ]


def has_all_keys(labels: Mapping[str, str], constraints: Iterable[Constraint]) -> bool:
    for c in constraints:
        if c.topology_key not in labels:
            return False
    return True


def count_matching(pods: Iterable[PodInfo], selector: LabelSelector | None, namespace: str) -> int:
    return _count(pods, compile_selector(selector), namespace)


def _count(pods: Iterable[PodInfo], selects: Matcher, namespace: str) -> int:
    found = 0
    for p in pods:
        if p.namespace == namespace and not p.terminating and selects(p.labels):
            found += 1
    return found
