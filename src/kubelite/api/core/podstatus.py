"""Schemas of PodStatus: the pod's phase and conditions, and what each
container is doing (ContainerStatus, ContainerState)."""

from __future__ import annotations

from kubelite.api.core.common import CORE, core_ref, refs
from kubelite.api.meta import QUANTITY, TIME, quantities, strings
from kubelite.api.schema import array, boolean, define, integer, obj, ref, string

POD_STATUS = CORE + "PodStatus"

define(CORE + "PodCondition", obj(
    "One aspect of the pod's state: PodScheduled, Initialized, ContainersReady, "
    "Ready, ...",
    {
        "type": string("Condition type."),
        "status": string("True, False or Unknown."),
        "observedGeneration": integer("metadata.generation the condition was set for.",
                                      format="int64"),
        "lastProbeTime": ref(TIME, "When last checked."),
        "lastTransitionTime": ref(TIME, "When status last changed."),
        "reason": string("CamelCase reason for the last transition."),
        "message": string("Human-readable details."),
    },
    required=("type", "status"),
))

define(CORE + "ContainerStateWaiting", obj(
    "A container not yet running.",
    {
        "reason": string("Why, e.g. ContainerCreating, ImagePullBackOff, "
                         "CrashLoopBackOff."),
        "message": string("Details."),
    },
))

define(CORE + "ContainerStateRunning", obj(
    "A running container.",
    {"startedAt": ref(TIME, "When it (last) started.")},
))

define(CORE + "ContainerStateTerminated", obj(
    "A container that ran and stopped.",
    {
        "exitCode": integer("Exit status."),
        "signal": integer("Signal that ended it, if any."),
        "reason": string("Why, e.g. Completed, Error, OOMKilled."),
        "message": string("Details, e.g. the termination message."),
        "startedAt": ref(TIME, "When it started."),
        "finishedAt": ref(TIME, "When it stopped."),
        "containerID": string("Runtime id of the container, <type>://<id>."),
    },
    required=("exitCode",),
))

define(CORE + "ContainerState", obj(
    "What a container is doing; one of the three is set.",
    {
        "waiting": core_ref("ContainerStateWaiting", "Not running yet."),
        "running": core_ref("ContainerStateRunning", "Running."),
        "terminated": core_ref("ContainerStateTerminated", "Stopped."),
    },
))

define(CORE + "ResourceHealth", obj(
    "Health of one device allocated to a container.",
    {
        "resourceID": string("Device id."),
        "health": string("Healthy, Unhealthy or Unknown."),
        "message": string("Details."),
    },
    required=("resourceID",),
))

define(CORE + "ResourceStatus", obj(
    "Health of the devices of one resource.",
    {
        "name": string("Resource name."),
        "resources": refs("ResourceHealth", "Per device.", list_type="map",
                          map_keys=("resourceID",)),
    },
    required=("name",),
))

define(CORE + "LinuxContainerUser", obj(
    "The Linux identity a container's first process runs with.",
    {
        "uid": integer("User id.", format="int64"),
        "gid": integer("Group id.", format="int64"),
        "supplementalGroups": array(integer(format="int64"), "Extra groups.",
                                    list_type="atomic"),
    },
    required=("uid", "gid"),
))

define(CORE + "ContainerUser", obj(
    "The identity a container runs with.",
    {"linux": core_ref("LinuxContainerUser", "On Linux.")},
))

define(CORE + "ImageVolumeStatus", obj(
    "What an image volume resolved to.",
    {"imageRef": string("Image digest used.")},
    required=("imageRef",),
))

define(CORE + "VolumeStatus", obj(
    "Status of a mounted volume.",
    {"image": core_ref("ImageVolumeStatus", "For image volumes.")},
))

define(CORE + "VolumeMountStatus", obj(
    "A mount as it was made.",
    {
        "name": string("Volume name."),
        "mountPath": string("Path in the container."),
        "readOnly": boolean("Mounted read-only."),
        "recursiveReadOnly": string("Disabled or Enabled."),
        "volumeStatus": core_ref("VolumeStatus", "Status of the volume."),
    },
    required=("name", "mountPath"),
))

define(CORE + "ContainerStatus", obj(
    "The state of one container of the pod.",
    {
        "name": string("Container name."),
        "state": core_ref("ContainerState", "What it is doing now."),
        "lastState": core_ref("ContainerState", "How its previous run ended."),
        "ready": boolean("Whether it passes its readiness probe."),
        "restartCount": integer("Times it has been restarted."),
        "image": string("Image it runs."),
        "imageID": string("Digest of that image."),
        "containerID": string("Runtime id, <type>://<id>."),
        "started": boolean("Whether it passed its startup probe."),
        "allocatedResources": quantities("Resources the node allocated to it."),
        "allocatedResourcesStatus": refs("ResourceStatus", "Health of allocated "
                                                           "devices.",
                                         merge_key="name", strategy="merge",
                                         list_type="map", map_keys=("name",)),
        "resources": core_ref("ResourceRequirements", "Resources it runs with now."),
        "volumeMounts": refs("VolumeMountStatus", "Its mounts.", merge_key="mountPath",
                             strategy="merge", list_type="map", map_keys=("mountPath",)),
        "user": core_ref("ContainerUser", "The identity it runs with."),
        "stopSignal": string("Signal that will stop it."),
    },
    required=("name", "ready", "restartCount", "image", "imageID"),
))

define(CORE + "HostIP", obj("An address of the pod's node.", {"ip": string("Address.")},
                            required=("ip",)))
define(CORE + "PodIP", obj("An address of the pod.", {"ip": string("Address.")},
                           required=("ip",)))

define(CORE + "PodResourceClaimStatus", obj(
    "The ResourceClaim made for a pod resource claim.",
    {
        "name": string("Entry of spec.resourceClaims."),
        "resourceClaimName": string("Name of the generated ResourceClaim."),
    },
    required=("name",),
))

define(CORE + "ContainerExtendedResourceRequest", obj(
    "Which claim request serves a container's extended resource.",
    {
        "containerName": string("Container."),
        "resourceName": string("Extended resource name."),
        "requestName": string("Request of the claim."),
    },
    required=("containerName", "resourceName", "requestName"),
))

define(CORE + "PodExtendedResourceClaimStatus", obj(
    "The claim made for the pod's extended resources.",
    {
        "requestMappings": refs("ContainerExtendedResourceRequest", "Per container."),
        "resourceClaimName": string("Name of the claim."),
    },
    required=("requestMappings", "resourceClaimName"),
))

define(CORE + "NodeAllocatableMappedResources", obj(
    "A node resource a claim maps to.",
    {"name": string("Resource name."), "quantity": ref(QUANTITY, "Amount.")},
))

define(CORE + "NodeAllocatableOverheadResources", obj(
    "Overhead a claim adds on the node.",
    {
        "name": string("Resource name."),
        "perContainer": ref(QUANTITY, "Per container."),
        "perPod": ref(QUANTITY, "Per pod."),
    },
))

define(CORE + "NodeAllocatableResourceClaimStatus", obj(
    "Node resources a claim of the pod takes.",
    {
        "resourceClaimName": string("Name of the claim."),
        "containers": strings("Containers using it."),
        "mapping": refs("NodeAllocatableMappedResources", "Resources taken."),
        "overhead": refs("NodeAllocatableOverheadResources", "Overhead added."),
    },
))

define(CORE + "PodVolumeHealth", obj(
    "Health of one volume of the pod.",
    {
        "name": string("Volume name."),
        "healthConditions": refs("VolumeHealthCondition", "Conditions."),
        "lastTransitionTime": ref(TIME, "When health last changed."),
    },
))

define(POD_STATUS, obj(
    "What is known of a pod now; written by the node agent and the scheduler.",
    {
        "phase": string("Pending, Running, Succeeded, Failed or Unknown."),
        "conditions": refs("PodCondition", "Current conditions.", merge_key="type",
                           strategy="merge", list_type="map", map_keys=("type",)),
        "message": string("Why the pod is in this state."),
        "reason": string("CamelCase reason, e.g. Evicted."),
        "nominatedNodeName": string("Node the pod may run on once preemption frees "
                                    "room."),
        "hostIP": string("Primary address of the node."),
        "hostIPs": refs("HostIP", "Addresses of the node.", merge_key="ip",
                        strategy="merge"),
        "podIP": string("Primary address of the pod."),
        "podIPs": refs("PodIP", "Addresses of the pod.", merge_key="ip",
                       strategy="merge", list_type="map", map_keys=("ip",)),
        "startTime": ref(TIME, "When the node accepted the pod."),
        "initContainerStatuses": refs("ContainerStatus", "Init containers."),
        "containerStatuses": refs("ContainerStatus", "Containers."),
        "ephemeralContainerStatuses": refs("ContainerStatus", "Ephemeral containers."),
        "qosClass": string("Guaranteed, Burstable or BestEffort."),
        "resize": string("Deprecated state of an in-place resize."),
        "resourceClaimStatuses": refs("PodResourceClaimStatus", "Claims made for the "
                                                                "pod.",
                                      merge_key="name", strategy="merge,retainKeys",
                                      list_type="map", map_keys=("name",)),
        "observedGeneration": integer("metadata.generation the status was written for.",
                                      format="int64"),
        "allocatedResources": quantities("Resources allocated to the pod as a whole."),
        "resources": core_ref("ResourceRequirements", "Pod-level resources in force."),
        "extendedResourceClaimStatus": core_ref("PodExtendedResourceClaimStatus",
                                                "Claim for extended resources."),
        "nodeAllocatableResourceClaimStatuses": refs(
            "NodeAllocatableResourceClaimStatus", "Node resources taken by claims."),
        "volumeHealth": refs("PodVolumeHealth", "Health of the volumes."),
    },
))
