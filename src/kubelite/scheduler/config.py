"""KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), the file
`kubelite scheduler --config` reads, as far as kubelite's scheduler has
the knobs:

- `profiles[]`: `schedulerName`, `percentageOfNodesToScore`, `plugins`
  and `pluginConfig`. Plugins are enabled and disabled under `multiPoint`
  (or under `score` for a score plugin's weight); `disabled: [{name: "*"}]`
  drops every default. Plugin arguments: NodeResourcesFitArgs
  (ignoredResources, ignoredResourceGroups, scoringStrategy with type
  LeastAllocated / MostAllocated / RequestedToCapacityRatio, resources and
  requestedToCapacityRatio.shape), NodeResourcesBalancedAllocationArgs
  (resources), PodTopologySpreadArgs (defaultingType, defaultConstraints)
  and InterPodAffinityArgs (hardPodAffinityWeight,
  ignorePreferredTermsOfExistingPods).
- `percentageOfNodesToScore` for every profile that sets none.
- `clientConnection` (kubeconfig, qps, burst) and `leaderElection`
  (leaderElect, leaseDuration, renewDeadline, retryPeriod, resourceName,
  resourceNamespace), applied under the flags given on the command line.

Pure: `profiles(doc)` turns a parsed document into Profiles, raising
ConfigError with the field at fault.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import yaml

from kubelite.client.leaderelection import parse_duration
from kubelite.scheduler.framework.interface import Plugin
from kubelite.scheduler.framework.profile import DEFAULT_SCHEDULER_NAME, Profile
from kubelite.scheduler.plugins import defaults, names
from kubelite.scheduler.plugins.image_locality import ImageLocality
from kubelite.scheduler.plugins.interpodaffinity import InterPodAffinity
from kubelite.scheduler.plugins.node_affinity import NodeAffinity
from kubelite.scheduler.plugins.node_name import NodeName
from kubelite.scheduler.plugins.node_ports import NodePorts
from kubelite.scheduler.plugins.node_unschedulable import NodeUnschedulable
from kubelite.scheduler.plugins.noderesources.balanced_allocation import (
    NodeResourcesBalancedAllocation,
)
from kubelite.scheduler.plugins.noderesources.fit import NodeResourcesFit, ScoringStrategy
from kubelite.scheduler.plugins.noderesources.scoring import ResourceSpec
from kubelite.scheduler.plugins.podtopologyspread import PodTopologySpread
from kubelite.scheduler.plugins.taint_toleration import TaintToleration
from kubelite.scheduler.plugins.volume_restrictions import VolumeRestrictions

Obj = dict[str, Any]

API_VERSION = "kubescheduler.config.k8s.io/v1"
KIND = "KubeSchedulerConfiguration"
# Plugins that are the queue's or the process's, always on.
BUILT_IN = {names.SCHEDULING_GATES, names.PRIORITY_SORT, names.DEFAULT_PREEMPTION,
            "DefaultBinder"}
EXTENSION_POINTS = ("preEnqueue", "queueSort", "preFilter", "filter", "postFilter", "preScore",
                    "score", "reserve", "permit", "preBind", "bind", "postBind")


class ConfigError(Exception):
    pass


def _resources(items: Any, where: str) -> tuple[ResourceSpec, ...]:
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: must be a non-empty list of {{name, weight}}")
    return tuple(ResourceSpec(r["name"], int(r.get("weight") or 1)) for r in items)


def _fit(args: Obj) -> Plugin:
    strategy = args.get("scoringStrategy") or {}
    kwargs: Obj = {}
    if "type" in strategy:
        kwargs["type"] = strategy["type"]
    if "resources" in strategy:
        kwargs["resources"] = _resources(strategy["resources"],
                                         "NodeResourcesFitArgs.scoringStrategy.resources")
    shape = (strategy.get("requestedToCapacityRatio") or {}).get("shape")
    if shape:
        kwargs["shape"] = tuple((int(p["utilization"]), int(p["score"])) for p in shape)
    scoring = ScoringStrategy(**kwargs)
    try:
        scoring.scorer()
    except ValueError as e:
        raise ConfigError(f"NodeResourcesFitArgs.scoringStrategy: {e}") from e
    return NodeResourcesFit(ignored_resources=args.get("ignoredResources") or (),
                            ignored_resource_groups=args.get("ignoredResourceGroups") or (),
                            scoring_strategy=scoring)


def _balanced(args: Obj) -> Plugin:
    if "resources" not in args:
        return NodeResourcesBalancedAllocation()
    return NodeResourcesBalancedAllocation(
        resources=_resources(args["resources"], "NodeResourcesBalancedAllocationArgs.resources"))


def _spread(args: Obj) -> Plugin:
    kind = args.get("defaultingType", "System")
    if kind not in ("System", "List"):
        raise ConfigError(f"PodTopologySpreadArgs.defaultingType: unsupported value {kind!r}")
    return PodTopologySpread(defaulting_type=kind,
                             default_constraints=args.get("defaultConstraints") or ())


def _affinity(args: Obj) -> Plugin:
    weight = int(args.get("hardPodAffinityWeight", 1))
    if not 0 <= weight <= 100:
        raise ConfigError("InterPodAffinityArgs.hardPodAffinityWeight: must be in [0, 100]")
    return InterPodAffinity(hard_pod_affinity_weight=weight,
                            ignore_preferred_terms_of_existing_pods=bool(
                                args.get("ignorePreferredTermsOfExistingPods", False)))


def _no_args(cls: type) -> Callable[[Obj], Plugin]:
    def build(args: Obj) -> Plugin:
        if args:
            raise ConfigError(f"plugin {cls.name} takes no arguments")
        return cls()
    return build


FACTORIES: dict[str, Callable[[Obj], Plugin]] = {
    names.NODE_UNSCHEDULABLE: _no_args(NodeUnschedulable),
    names.NODE_NAME: _no_args(NodeName),
    names.TAINT_TOLERATION: _no_args(TaintToleration),
    names.NODE_AFFINITY: _no_args(NodeAffinity),
    names.NODE_PORTS: _no_args(NodePorts),
    names.NODE_RESOURCES_FIT: _fit,
    names.VOLUME_RESTRICTIONS: _no_args(VolumeRestrictions),
    names.POD_TOPOLOGY_SPREAD: _spread,
    names.INTER_POD_AFFINITY: _affinity,
    names.NODE_RESOURCES_BALANCED_ALLOCATION: _balanced,
    names.IMAGE_LOCALITY: _no_args(ImageLocality),
}


def _plugin_set(plugins: Obj, point: str) -> tuple[list[Obj], list[Obj]]:
    section = plugins.get(point) or {}
    return list(section.get("enabled") or []), list(section.get("disabled") or [])


def profile(doc: Obj, default_percentage: int | None) -> Profile:
    """One `profiles[]` entry."""
    name = doc.get("schedulerName") or DEFAULT_SCHEDULER_NAME
    plugins = doc.get("plugins") or {}
    for point in EXTENSION_POINTS:
        enabled, disabled = _plugin_set(plugins, point)
        if point != "score" and (enabled or disabled):
            raise ConfigError(f"profile {name}: plugins.{point}: kubelite configures plugins "
                              "under multiPoint (and score weights under score) only")
        if disabled:
            raise ConfigError(f"profile {name}: plugins.score.disabled: disable the plugin "
                              "under multiPoint instead")
    order = [p.name for p in defaults.default_plugins()]
    weights = dict(defaults.DEFAULT_WEIGHTS)
    enabled, disabled = _plugin_set(plugins, "multiPoint")
    off = {d.get("name") for d in disabled}
    if "*" in off:
        order = []
    order = [n for n in order if n not in off]
    score_enabled = _plugin_set(plugins, "score")[0]
    for entry in enabled + score_enabled:
        plugin = entry.get("name")
        if plugin in BUILT_IN:
            continue
        if plugin not in FACTORIES:
            raise ConfigError(f"profile {name}: plugin {plugin!r} is not known to kubelite")
        if plugin not in order:
            order.append(plugin)
        if entry.get("weight"):
            weights[plugin] = int(entry["weight"])
    args: dict[str, Obj] = {}
    for entry in doc.get("pluginConfig") or []:
        plugin = entry.get("name")
        if plugin not in FACTORIES:
            raise ConfigError(f"profile {name}: pluginConfig for unknown plugin {plugin!r}")
        if plugin in args:
            raise ConfigError(f"profile {name}: repeated pluginConfig for {plugin}")
        args[plugin] = dict(entry.get("args") or {})
        args[plugin].pop("apiVersion", None)
        args[plugin].pop("kind", None)
    percentage = doc.get("percentageOfNodesToScore", default_percentage)
    if percentage is not None and not 0 <= int(percentage) <= 100:
        raise ConfigError(f"profile {name}: percentageOfNodesToScore must be in [0, 100]")
    built = Profile.of([(FACTORIES[n](args.get(n, {})), weights.get(n, 1)) for n in order],
                       percentage_of_nodes_to_score=percentage)
    return dataclasses.replace(built, scheduler_name=name)


def profiles(doc: Obj) -> list[Profile]:
    """The profiles of a KubeSchedulerConfiguration (the default profile
    when it lists none)."""
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != KIND:
        raise ConfigError(f"expected apiVersion {API_VERSION} and kind {KIND}, got "
                          f"{doc.get('apiVersion')!r} {doc.get('kind')!r}")
    default_percentage = doc.get("percentageOfNodesToScore")
    found = [profile(p, default_percentage) for p in doc.get("profiles") or [{}]]
    seen: set[str] = set()
    for p in found:
        if p.scheduler_name in seen:
            raise ConfigError(f"duplicate profile with scheduler name {p.scheduler_name!r}")
        seen.add(p.scheduler_name)
    return found


def load(path: str) -> Obj:
    try:
        with open(path) as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"reading {path}: {e}") from e
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: not a KubeSchedulerConfiguration")
    return doc


def connection(doc: Obj) -> Obj:
    """clientConnection as flag values: kubeconfig, kube_api_qps, ..."""
    conn = doc.get("clientConnection") or {}
    mapping = {"kubeconfig": "kubeconfig", "qps": "kube_api_qps", "burst": "kube_api_burst"}
    return {flag: conn[key] for key, flag in mapping.items() if key in conn}


def leader_election(doc: Obj) -> Obj:
    """leaderElection as flag values: leader_elect, leader_elect_lease_duration, ..."""
    le = doc.get("leaderElection") or {}
    found: Obj = {}
    if "leaderElect" in le:
        found["leader_elect"] = bool(le["leaderElect"])
    for key, flag in (("leaseDuration", "leader_elect_lease_duration"),
                      ("renewDeadline", "leader_elect_renew_deadline"),
                      ("retryPeriod", "leader_elect_retry_period")):
        if key in le:
            found[flag] = parse_duration(str(le[key]))
    for key, flag in (("resourceName", "leader_elect_resource_name"),
                      ("resourceNamespace", "leader_elect_resource_namespace")):
        if key in le:
            found[flag] = le[key]
    return found
