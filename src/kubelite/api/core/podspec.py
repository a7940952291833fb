"""Schemas of PodSpec and the pod-level settings it holds (scheduling
constraints, DNS, security), of PodTemplateSpec, which every workload kind
embeds, and of the PodTemplate kind."""

from __future__ import annotations

from kubelite.api.core.common import CORE, core_ref, refs
from kubelite.api.core.container import CONTAINER, EPHEMERAL_CONTAINER, security_fields
from kubelite.api.core.volume import VOLUME
from kubelite.api.meta import (
    LABEL_SELECTOR,
    OBJECT_META,
    atomic,
    quantities,
    string_map,
    strings,
    top_level,
)
from kubelite.api.schema import array, boolean, define, integer, obj, ref, string

POD_SPEC = CORE + "PodSpec"
POD_TEMPLATE_SPEC = CORE + "PodTemplateSpec"

# --- node affinity ---------------------------------------------------------------

define(CORE + "NodeSelectorRequirement", obj(
    "A requirement on a node label or field.",
    {
        "key": string("Label key or field name."),
        "operator": string("In, NotIn, Exists, DoesNotExist, Gt or Lt."),
        "values": strings("Values; one integer for Gt and Lt, none for Exists and "
                          "DoesNotExist."),
    },
    required=("key", "operator"),
))

define(CORE + "NodeSelectorTerm", atomic(obj(
    "Requirements that must all hold. An empty term matches no node.",
    {
        "matchExpressions": refs("NodeSelectorRequirement", "On node labels."),
        "matchFields": refs("NodeSelectorRequirement", "On node fields "
                                                       "(metadata.name)."),
    },
)))

define(CORE + "NodeSelector", atomic(obj(
    "Terms of which at least one must hold.",
    {"nodeSelectorTerms": refs("NodeSelectorTerm", "The terms (ORed).")},
    required=("nodeSelectorTerms",),
)))

define(CORE + "PreferredSchedulingTerm", obj(
    "A weighted node preference.",
    {
        "weight": integer("1-100; added to a node's score when the term matches."),
        "preference": core_ref("NodeSelectorTerm", "The term."),
    },
    required=("weight", "preference"),
))

define(CORE + "NodeAffinity", obj(
    "Which nodes the pod may or prefers to run on.",
    {
        "requiredDuringSchedulingIgnoredDuringExecution": core_ref(
            "NodeSelector", "Nodes the pod may be scheduled on."),
        "preferredDuringSchedulingIgnoredDuringExecution": refs(
            "PreferredSchedulingTerm", "Nodes the scheduler favours."),
    },
))

# --- pod affinity ----------------------------------------------------------------

define(CORE + "PodAffinityTerm", obj(
    "Pods matching the selector in the given namespaces, within one topology "
    "domain.",
    {
        "labelSelector": ref(LABEL_SELECTOR, "Pods to look for."),
        "namespaces": strings("Namespaces to look in; the pod's own by default."),
        "namespaceSelector": ref(LABEL_SELECTOR, "Namespaces to look in, by label."),
        "topologyKey": string("Node label whose value defines the domain, e.g. "
                              "kubernetes.io/hostname."),
        "matchLabelKeys": strings("Keys of the incoming pod's labels added to the "
                                  "selector with their values."),
        "mismatchLabelKeys": strings("Keys of the incoming pod's labels added to the "
                                     "selector as must-differ."),
    },
    required=("topologyKey",),
))

define(CORE + "WeightedPodAffinityTerm", obj(
    "A weighted pod affinity preference.",
    {
        "weight": integer("1-100; added to a node's score when the term matches."),
        "podAffinityTerm": core_ref("PodAffinityTerm", "The term."),
    },
    required=("weight", "podAffinityTerm"),
))

_POD_AFFINITY_FIELDS = {
    "requiredDuringSchedulingIgnoredDuringExecution": refs("PodAffinityTerm",
                                                           "Terms that must hold."),
    "preferredDuringSchedulingIgnoredDuringExecution": refs("WeightedPodAffinityTerm",
                                                            "Terms the scheduler "
                                                            "favours."),
}

define(CORE + "PodAffinity", obj(
    "Place the pod near other pods.", dict(_POD_AFFINITY_FIELDS)))
define(CORE + "PodAntiAffinity", obj(
    "Keep the pod away from other pods.", dict(_POD_AFFINITY_FIELDS)))

define(CORE + "Affinity", obj(
    "Scheduling constraints.",
    {
        "nodeAffinity": core_ref("NodeAffinity", "Constraints on nodes."),
        "podAffinity": core_ref("PodAffinity", "Co-location with pods."),
        "podAntiAffinity": core_ref("PodAntiAffinity", "Separation from pods."),
    },
))

define(CORE + "Toleration", obj(
    "Lets the pod run on nodes with a matching taint.",
    {
        "key": string("Taint key; empty with Exists matches every taint."),
        "operator": string("Exists or Equal; Equal by default."),
        "value": string("Taint value, for Equal."),
        "effect": string("NoSchedule, PreferNoSchedule or NoExecute; empty matches "
                         "all."),
        "tolerationSeconds": integer("For NoExecute: how long the pod stays after the "
                                     "taint appears.", format="int64"),
    },
))

define(CORE + "TopologySpreadConstraint", obj(
    "How evenly matching pods must spread over topology domains.",
    {
        "maxSkew": integer("Largest allowed difference in matching pods between "
                           "domains."),
        "topologyKey": string("Node label whose value defines the domain."),
        "whenUnsatisfiable": string("DoNotSchedule or ScheduleAnyway."),
        "labelSelector": ref(LABEL_SELECTOR, "Pods to count."),
        "minDomains": integer("Fewest domains counted as eligible."),
        "nodeAffinityPolicy": string("Honor or Ignore the pod's node affinity when "
                                     "counting."),
        "nodeTaintsPolicy": string("Honor or Ignore node taints when counting."),
        "matchLabelKeys": strings("Keys of the pod's labels added to the selector."),
    },
    required=("maxSkew", "topologyKey", "whenUnsatisfiable"),
))

# --- other pod-level settings ----------------------------------------------------

define(CORE + "PodDNSConfigOption", obj(
    "A resolver option.",
    {"name": string("Option name."), "value": string("Option value.")},
))

define(CORE + "PodDNSConfig", obj(
    "Resolver settings merged with those dnsPolicy gives.",
    {
        "nameservers": strings("Extra name server addresses."),
        "searches": strings("Extra search domains."),
        "options": refs("PodDNSConfigOption", "Resolver options."),
    },
))

define(CORE + "HostAlias", obj(
    "An extra /etc/hosts entry.",
    {"ip": string("Address."), "hostnames": strings("Names for the address.")},
    required=("ip",),
))

define(CORE + "PodOS", obj(
    "Operating system the pod's containers need.",
    {"name": string("linux or windows.")},
    required=("name",),
))

define(CORE + "PodReadinessGate", obj(
    "A pod condition that must be True for the pod to count as ready.",
    {"conditionType": string("Type of the condition.")},
    required=("conditionType",),
))

define(CORE + "PodSchedulingGate", obj(
    "Holds the pod back from scheduling while present.",
    {"name": string("Name of the gate.")},
    required=("name",),
))

define(CORE + "PodSchedulingGroup", obj(
    "The group of pods this pod is scheduled with.",
    {"podGroupName": string("Name of the group.")},
))

define(CORE + "PodResourceClaim", obj(
    "A dynamically allocated resource the pod uses.",
    {
        "name": string("Name containers use to refer to it."),
        "resourceClaimName": string("An existing ResourceClaim."),
        "resourceClaimTemplateName": string("A template to create a claim from."),
    },
    required=("name",),
))

define(CORE + "EvictionResponder", obj(
    "Something to notify before the pod is evicted.",
    {"name": string("Name of the responder."), "priority": integer("Order of notice.")},
    required=("name",),
))

define(CORE + "Sysctl", obj(
    "A kernel parameter to set.",
    {"name": string("Parameter name."), "value": string("Value.")},
    required=("name", "value"),
))

define(CORE + "PodSecurityContext", obj(
    "Security settings for all containers of the pod.",
    {
        **security_fields(),
        "fsGroup": integer("Supplementary group owning volumes and added to every "
                           "container.", format="int64"),
        "fsGroupChangePolicy": string("OnRootMismatch or Always."),
        "supplementalGroups": array(integer(format="int64"), "Extra groups for every "
                                                             "container.",
                                    list_type="atomic"),
        "supplementalGroupsPolicy": string("Merge or Strict."),
        "sysctls": refs("Sysctl", "Namespaced kernel parameters."),
        "seLinuxChangePolicy": string("MountOption or Recursive."),
    },
))

# --- the spec --------------------------------------------------------------------

define(POD_SPEC, obj(
    "What a pod runs and how.",
    {
        "containers": array(ref(CONTAINER), "The containers; at least one.",
                            merge_key="name", strategy="merge", list_type="map",
                            map_keys=("name",)),
        "initContainers": array(ref(CONTAINER), "Containers run in order before the "
                                                "others start.",
                                merge_key="name", strategy="merge", list_type="map",
                                map_keys=("name",)),
        "ephemeralContainers": array(ref(EPHEMERAL_CONTAINER), "Debugging containers "
                                                               "added later.",
                                     merge_key="name", strategy="merge", list_type="map",
                                     map_keys=("name",)),
        "volumes": array(ref(VOLUME), "Volumes containers can mount.",
                         merge_key="name", strategy="merge,retainKeys", list_type="map",
                         map_keys=("name",)),
        "restartPolicy": string("Always, OnFailure or Never; Always by default."),
        "terminationGracePeriodSeconds": integer("Seconds between the stop signal and "
                                                 "the kill; 30 by default.",
                                                 format="int64"),
        "activeDeadlineSeconds": integer("Seconds the pod may run before it is failed.",
                                         format="int64"),
        "dnsPolicy": string("ClusterFirst, ClusterFirstWithHostNet, Default or None; "
                            "ClusterFirst by default."),
        "dnsConfig": core_ref("PodDNSConfig", "Extra resolver settings."),
        "nodeSelector": atomic(string_map("Labels a node must have.")),
        "serviceAccountName": string("Service account the pod runs as."),
        "serviceAccount": string("Deprecated alias of serviceAccountName."),
        "automountServiceAccountToken": boolean("Whether to mount the service account "
                                                "token."),
        "nodeName": string("Node the pod is bound to; set by the scheduler."),
        "hostNetwork": boolean("Use the node's network namespace."),
        "hostPID": boolean("Use the node's PID namespace."),
        "hostIPC": boolean("Use the node's IPC namespace."),
        "hostUsers": boolean("Use the node's user namespace; true by default."),
        "shareProcessNamespace": boolean("One PID namespace for all containers."),
        "securityContext": core_ref("PodSecurityContext", "Pod-wide security "
                                                          "settings."),
        "imagePullSecrets": refs("LocalObjectReference", "Secrets with registry "
                                                         "credentials.",
                                 merge_key="name", strategy="merge", list_type="map",
                                 map_keys=("name",)),
        "hostname": string("Hostname of the pod; its name by default."),
        "hostnameOverride": string("Exact hostname to use, overriding the others."),
        "subdomain": string("With hostname, gives the FQDN "
                            "<hostname>.<subdomain>.<namespace>.svc.<domain>."),
        "setHostnameAsFQDN": boolean("Set the kernel hostname to the FQDN."),
        "affinity": core_ref("Affinity", "Scheduling constraints."),
        "schedulerName": string("Scheduler that places the pod; default-scheduler by "
                                "default."),
        "tolerations": refs("Toleration", "Taints the pod tolerates."),
        "hostAliases": refs("HostAlias", "Extra /etc/hosts entries.", merge_key="ip",
                            strategy="merge", list_type="map", map_keys=("ip",)),
        "priorityClassName": string("PriorityClass giving the pod's priority."),
        "priority": integer("Priority, filled from priorityClassName."),
        "preemptionPolicy": string("PreemptLowerPriority or Never."),
        "readinessGates": refs("PodReadinessGate", "Extra conditions for readiness."),
        "runtimeClassName": string("RuntimeClass to run the pod with."),
        "enableServiceLinks": boolean("Put environment variables for services into "
                                      "containers; true by default."),
        "overhead": quantities("Resources the runtime itself uses for the pod."),
        "topologySpreadConstraints": refs(
            "TopologySpreadConstraint", "How to spread matching pods.",
            merge_key="topologyKey", strategy="merge", list_type="map",
            map_keys=("topologyKey", "whenUnsatisfiable")),
        "os": core_ref("PodOS", "Operating system needed."),
        "schedulingGates": refs("PodSchedulingGate", "Gates holding scheduling back.",
                                merge_key="name", strategy="merge", list_type="map",
                                map_keys=("name",)),
        "schedulingGroup": core_ref("PodSchedulingGroup", "Group scheduled together."),
        "resourceClaims": refs("PodResourceClaim", "Dynamically allocated resources.",
                               merge_key="name", strategy="merge,retainKeys",
                               list_type="map", map_keys=("name",)),
        "resources": core_ref("ResourceRequirements", "Resources for the pod as a "
                                                      "whole."),
        "evictionResponders": refs("EvictionResponder", "Notified before eviction.",
                                   list_type="map", map_keys=("name",)),
    },
    required=("containers",),
))

define(POD_TEMPLATE_SPEC, obj(
    "The pods a workload creates: their metadata and spec.",
    {
        "metadata": ref(OBJECT_META, "Labels and annotations of the pods."),
        "spec": ref(POD_SPEC, "Spec of the pods."),
    },
))

define(CORE + "PodTemplate", top_level(
    "A stored pod template.",
    {"template": ref(POD_TEMPLATE_SPEC, "The template.")},
), gvk=("", "v1", "PodTemplate"))
