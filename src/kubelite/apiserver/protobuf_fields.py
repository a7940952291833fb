"""Field numbers of the Kubernetes protobuf messages, by definition name.

The facts of the `generated.proto` files of k8s.io/api and
k8s.io/apimachinery (as kubectl 1.33 encodes them), for every message
reachable from the kinds clients create through typed clients: core/v1,
apps/v1, batch/v1, networking.k8s.io/v1, coordination.k8s.io/v1,
discovery.k8s.io/v1, events.k8s.io/v1, policy/v1, scheduling.k8s.io/v1,
rbac.authorization.k8s.io/v1, autoscaling/v1, the review requests of
authentication/authorization v1, and meta/v1 (ObjectMeta, DeleteOptions...).
Message names are written as definition names ("io.k8s.api.core.v1.Pod"),
field names as the JSON names the schemas use. The apimachinery value types
(Time, MicroTime, IntOrString, Quantity, RawExtension, FieldsV1) are read by
`protobuf` itself and are not listed.

FIELDS: message -> {field number: JSON field name}.

INLINED: message -> {field number: message}, for Go's embedded structs whose
fields JSON inlines into the parent (Probe's handler, Volume's source, the
name of the key selectors, an ingress rule's http).

NULLABLE: message -> the fields with a scalar JSON value (strings, numbers,
booleans, times, quantities, int-or-strings) that Go holds as pointers. They
are on the wire only when set, so their zero values mean something; every
other such field is always on the wire and its zero value means "not set".
"""

FIELDS: dict[str, dict[int, str]] = {
    # meta/v1
    "io.k8s.apimachinery.pkg.apis.meta.v1.Condition": {
        1: "type", 2: "status", 3: "observedGeneration", 4: "lastTransitionTime", 5: "reason",
        6: "message",
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions": {
        1: "gracePeriodSeconds", 2: "preconditions", 3: "orphanDependents", 4: "propagationPolicy",
        5: "dryRun", 6: "ignoreStoreReadErrorWithClusterBreakingPotential",
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement": {
        1: "key", 2: "operator", 3: "values",
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": {1: "matchLabels", 2: "matchExpressions"},
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement": {
        1: "key", 2: "operator", 3: "values",
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": {
        1: "manager", 2: "operation", 3: "apiVersion", 4: "time", 6: "fieldsType", 7: "fieldsV1",
        8: "subresource",
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
        1: "name", 2: "generateName", 3: "namespace", 4: "selfLink", 5: "uid",
        6: "resourceVersion", 7: "generation", 8: "creationTimestamp", 9: "deletionTimestamp",
        10: "deletionGracePeriodSeconds", 11: "labels", 12: "annotations", 13: "ownerReferences",
        14: "finalizers", 17: "managedFields",
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": {
        1: "kind", 3: "name", 4: "uid", 5: "apiVersion", 6: "controller", 7: "blockOwnerDeletion",
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions": {1: "uid", 2: "resourceVersion"},

    # apps/v1
    "io.k8s.api.apps.v1.ControllerRevision": {1: "metadata", 2: "data", 3: "revision"},
    "io.k8s.api.apps.v1.DaemonSet": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.apps.v1.DaemonSetCondition": {
        1: "type", 2: "status", 3: "lastTransitionTime", 4: "reason", 5: "message",
    },
    "io.k8s.api.apps.v1.DaemonSetSpec": {
        1: "selector", 2: "template", 3: "updateStrategy", 4: "minReadySeconds",
        6: "revisionHistoryLimit",
    },
    "io.k8s.api.apps.v1.DaemonSetStatus": {
        1: "currentNumberScheduled", 2: "numberMisscheduled", 3: "desiredNumberScheduled",
        4: "numberReady", 5: "observedGeneration", 6: "updatedNumberScheduled",
        7: "numberAvailable", 8: "numberUnavailable", 9: "collisionCount", 10: "conditions",
    },
    "io.k8s.api.apps.v1.DaemonSetUpdateStrategy": {1: "type", 2: "rollingUpdate"},
    "io.k8s.api.apps.v1.Deployment": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.apps.v1.DeploymentCondition": {
        1: "type", 2: "status", 4: "reason", 5: "message", 6: "lastUpdateTime",
        7: "lastTransitionTime",
    },
    "io.k8s.api.apps.v1.DeploymentSpec": {
        1: "replicas", 2: "selector", 3: "template", 4: "strategy", 5: "minReadySeconds",
        6: "revisionHistoryLimit", 7: "paused", 9: "progressDeadlineSeconds",
    },
    "io.k8s.api.apps.v1.DeploymentStatus": {
        1: "observedGeneration", 2: "replicas", 3: "updatedReplicas", 4: "availableReplicas",
        5: "unavailableReplicas", 6: "conditions", 7: "readyReplicas", 8: "collisionCount",
        9: "terminatingReplicas",
    },
    "io.k8s.api.apps.v1.DeploymentStrategy": {1: "type", 2: "rollingUpdate"},
    "io.k8s.api.apps.v1.ReplicaSet": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.apps.v1.ReplicaSetCondition": {
        1: "type", 2: "status", 3: "lastTransitionTime", 4: "reason", 5: "message",
    },
    "io.k8s.api.apps.v1.ReplicaSetSpec": {
        1: "replicas", 2: "selector", 3: "template", 4: "minReadySeconds",
    },
    "io.k8s.api.apps.v1.ReplicaSetStatus": {
        1: "replicas", 2: "fullyLabeledReplicas", 3: "observedGeneration", 4: "readyReplicas",
        5: "availableReplicas", 6: "conditions", 7: "terminatingReplicas",
    },
    "io.k8s.api.apps.v1.RollingUpdateDaemonSet": {1: "maxUnavailable", 2: "maxSurge"},
    "io.k8s.api.apps.v1.RollingUpdateDeployment": {1: "maxUnavailable", 2: "maxSurge"},
    "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy": {1: "partition", 2: "maxUnavailable"},
    "io.k8s.api.apps.v1.StatefulSet": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.apps.v1.StatefulSetCondition": {
        1: "type", 2: "status", 3: "lastTransitionTime", 4: "reason", 5: "message",
    },
    "io.k8s.api.apps.v1.StatefulSetOrdinals": {1: "start"},
    "io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy": {
        1: "whenDeleted", 2: "whenScaled",
    },
    "io.k8s.api.apps.v1.StatefulSetSpec": {
        1: "replicas", 2: "selector", 3: "template", 4: "volumeClaimTemplates", 5: "serviceName",
        6: "podManagementPolicy", 7: "updateStrategy", 8: "revisionHistoryLimit",
        9: "minReadySeconds", 10: "persistentVolumeClaimRetentionPolicy", 11: "ordinals",
    },
    "io.k8s.api.apps.v1.StatefulSetStatus": {
        1: "observedGeneration", 2: "replicas", 3: "readyReplicas", 4: "currentReplicas",
        5: "updatedReplicas", 6: "currentRevision", 7: "updateRevision", 9: "collisionCount",
        10: "conditions", 11: "availableReplicas",
    },
    "io.k8s.api.apps.v1.StatefulSetUpdateStrategy": {1: "type", 2: "rollingUpdate"},

    # authentication/v1
    "io.k8s.api.authentication.v1.BoundObjectReference": {
        1: "kind", 2: "apiVersion", 3: "name", 4: "uid",
    },
    "io.k8s.api.authentication.v1.TokenRequest": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.authentication.v1.TokenRequestSpec": {
        1: "audiences", 3: "boundObjectRef", 4: "expirationSeconds",
    },
    "io.k8s.api.authentication.v1.TokenRequestStatus": {1: "token", 2: "expirationTimestamp"},

    # authorization/v1
    "io.k8s.api.authorization.v1.FieldSelectorAttributes": {1: "rawSelector", 2: "requirements"},
    "io.k8s.api.authorization.v1.LabelSelectorAttributes": {1: "rawSelector", 2: "requirements"},
    "io.k8s.api.authorization.v1.NonResourceAttributes": {1: "path", 2: "verb"},
    "io.k8s.api.authorization.v1.NonResourceRule": {1: "verbs", 2: "nonResourceURLs"},
    "io.k8s.api.authorization.v1.ResourceAttributes": {
        1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource",
        7: "name", 8: "fieldSelector", 9: "labelSelector",
    },
    "io.k8s.api.authorization.v1.ResourceRule": {
        1: "verbs", 2: "apiGroups", 3: "resources", 4: "resourceNames",
    },
    "io.k8s.api.authorization.v1.SelfSubjectAccessReview": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.authorization.v1.SelfSubjectAccessReviewSpec": {
        1: "resourceAttributes", 2: "nonResourceAttributes",
    },
    "io.k8s.api.authorization.v1.SelfSubjectRulesReview": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.authorization.v1.SelfSubjectRulesReviewSpec": {1: "namespace"},
    "io.k8s.api.authorization.v1.SubjectAccessReviewStatus": {
        1: "allowed", 2: "reason", 3: "evaluationError", 4: "denied",
    },
    "io.k8s.api.authorization.v1.SubjectRulesReviewStatus": {
        1: "resourceRules", 2: "nonResourceRules", 3: "incomplete", 4: "evaluationError",
    },

    # autoscaling/v1
    "io.k8s.api.autoscaling.v1.CrossVersionObjectReference": {
        1: "kind", 2: "name", 3: "apiVersion",
    },
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec": {
        1: "scaleTargetRef", 2: "minReplicas", 3: "maxReplicas",
        4: "targetCPUUtilizationPercentage",
    },
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerStatus": {
        1: "observedGeneration", 2: "lastScaleTime", 3: "currentReplicas", 4: "desiredReplicas",
        5: "currentCPUUtilizationPercentage",
    },
    "io.k8s.api.autoscaling.v1.Scale": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.autoscaling.v1.ScaleSpec": {1: "replicas"},
    "io.k8s.api.autoscaling.v1.ScaleStatus": {1: "replicas", 2: "selector"},

    # batch/v1
    "io.k8s.api.batch.v1.CronJob": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.batch.v1.CronJobSpec": {
        1: "schedule", 2: "startingDeadlineSeconds", 3: "concurrencyPolicy", 4: "suspend",
        5: "jobTemplate", 6: "successfulJobsHistoryLimit", 7: "failedJobsHistoryLimit",
        8: "timeZone",
    },
    "io.k8s.api.batch.v1.CronJobStatus": {
        1: "active", 4: "lastScheduleTime", 5: "lastSuccessfulTime",
    },
    "io.k8s.api.batch.v1.Job": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.batch.v1.JobCondition": {
        1: "type", 2: "status", 3: "lastProbeTime", 4: "lastTransitionTime", 5: "reason",
        6: "message",
    },
    "io.k8s.api.batch.v1.JobSpec": {
        1: "parallelism", 2: "completions", 3: "activeDeadlineSeconds", 4: "selector",
        5: "manualSelector", 6: "template", 7: "backoffLimit", 8: "ttlSecondsAfterFinished",
        9: "completionMode", 10: "suspend", 11: "podFailurePolicy", 12: "backoffLimitPerIndex",
        13: "maxFailedIndexes", 14: "podReplacementPolicy", 15: "managedBy", 16: "successPolicy",
    },
    "io.k8s.api.batch.v1.JobStatus": {
        1: "conditions", 2: "startTime", 3: "completionTime", 4: "active", 5: "succeeded",
        6: "failed", 7: "completedIndexes", 8: "uncountedTerminatedPods", 9: "ready",
        10: "failedIndexes", 11: "terminating",
    },
    "io.k8s.api.batch.v1.JobTemplateSpec": {1: "metadata", 2: "spec"},
    "io.k8s.api.batch.v1.PodFailurePolicy": {1: "rules"},
    "io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement": {
        1: "containerName", 2: "operator", 3: "values",
    },
    "io.k8s.api.batch.v1.PodFailurePolicyOnPodConditionsPattern": {1: "type", 2: "status"},
    "io.k8s.api.batch.v1.PodFailurePolicyRule": {
        1: "action", 2: "onExitCodes", 3: "onPodConditions",
    },
    "io.k8s.api.batch.v1.SuccessPolicy": {1: "rules"},
    "io.k8s.api.batch.v1.SuccessPolicyRule": {1: "succeededIndexes", 2: "succeededCount"},
    "io.k8s.api.batch.v1.UncountedTerminatedPods": {1: "succeeded", 2: "failed"},

    # coordination/v1
    "io.k8s.api.coordination.v1.Lease": {1: "metadata", 2: "spec"},
    "io.k8s.api.coordination.v1.LeaseSpec": {
        1: "holderIdentity", 2: "leaseDurationSeconds", 3: "acquireTime", 4: "renewTime",
        5: "leaseTransitions", 6: "strategy", 7: "preferredHolder",
    },

    # core/v1
    "io.k8s.api.core.v1.AWSElasticBlockStoreVolumeSource": {
        1: "volumeID", 2: "fsType", 3: "partition", 4: "readOnly",
    },
    "io.k8s.api.core.v1.Affinity": {1: "nodeAffinity", 2: "podAffinity", 3: "podAntiAffinity"},
    "io.k8s.api.core.v1.AppArmorProfile": {1: "type", 2: "localhostProfile"},
    "io.k8s.api.core.v1.AttachedVolume": {1: "name", 2: "devicePath"},
    "io.k8s.api.core.v1.AzureDiskVolumeSource": {
        1: "diskName", 2: "diskURI", 3: "cachingMode", 4: "fsType", 5: "readOnly", 6: "kind",
    },
    "io.k8s.api.core.v1.AzureFileVolumeSource": {1: "secretName", 2: "shareName", 3: "readOnly"},
    "io.k8s.api.core.v1.Binding": {1: "metadata", 2: "target"},
    "io.k8s.api.core.v1.CSIVolumeSource": {
        1: "driver", 2: "readOnly", 3: "fsType", 4: "volumeAttributes", 5: "nodePublishSecretRef",
    },
    "io.k8s.api.core.v1.Capabilities": {1: "add", 2: "drop"},
    "io.k8s.api.core.v1.CephFSVolumeSource": {
        1: "monitors", 2: "path", 3: "user", 4: "secretFile", 5: "secretRef", 6: "readOnly",
    },
    "io.k8s.api.core.v1.CinderVolumeSource": {
        1: "volumeID", 2: "fsType", 3: "readOnly", 4: "secretRef",
    },
    "io.k8s.api.core.v1.ClientIPConfig": {1: "timeoutSeconds"},
    "io.k8s.api.core.v1.ClusterTrustBundleProjection": {
        1: "name", 2: "signerName", 3: "labelSelector", 4: "path", 5: "optional",
    },
    "io.k8s.api.core.v1.ConfigMap": {1: "metadata", 2: "data", 3: "binaryData", 4: "immutable"},
    "io.k8s.api.core.v1.ConfigMapEnvSource": {2: "optional"},
    "io.k8s.api.core.v1.ConfigMapKeySelector": {2: "key", 3: "optional"},
    "io.k8s.api.core.v1.ConfigMapNodeConfigSource": {
        1: "namespace", 2: "name", 3: "uid", 4: "resourceVersion", 5: "kubeletConfigKey",
    },
    "io.k8s.api.core.v1.ConfigMapProjection": {2: "items", 4: "optional"},
    "io.k8s.api.core.v1.ConfigMapVolumeSource": {2: "items", 3: "defaultMode", 4: "optional"},
    "io.k8s.api.core.v1.Container": {
        1: "name", 2: "image", 3: "command", 4: "args", 5: "workingDir", 6: "ports", 7: "env",
        8: "resources", 9: "volumeMounts", 10: "livenessProbe", 11: "readinessProbe",
        12: "lifecycle", 13: "terminationMessagePath", 14: "imagePullPolicy",
        15: "securityContext", 16: "stdin", 17: "stdinOnce", 18: "tty", 19: "envFrom",
        20: "terminationMessagePolicy", 21: "volumeDevices", 22: "startupProbe",
        23: "resizePolicy", 24: "restartPolicy",
    },
    "io.k8s.api.core.v1.ContainerImage": {1: "names", 2: "sizeBytes"},
    "io.k8s.api.core.v1.ContainerPort": {
        1: "name", 2: "hostPort", 3: "containerPort", 4: "protocol", 5: "hostIP",
    },
    "io.k8s.api.core.v1.ContainerResizePolicy": {1: "resourceName", 2: "restartPolicy"},
    "io.k8s.api.core.v1.ContainerState": {1: "waiting", 2: "running", 3: "terminated"},
    "io.k8s.api.core.v1.ContainerStateRunning": {1: "startedAt"},
    "io.k8s.api.core.v1.ContainerStateTerminated": {
        1: "exitCode", 2: "signal", 3: "reason", 4: "message", 5: "startedAt", 6: "finishedAt",
        7: "containerID",
    },
    "io.k8s.api.core.v1.ContainerStateWaiting": {1: "reason", 2: "message"},
    "io.k8s.api.core.v1.ContainerStatus": {
        1: "name", 2: "state", 3: "lastState", 4: "ready", 5: "restartCount", 6: "image",
        7: "imageID", 8: "containerID", 9: "started", 10: "allocatedResources", 11: "resources",
        12: "volumeMounts", 13: "user", 14: "allocatedResourcesStatus", 15: "stopSignal",
    },
    "io.k8s.api.core.v1.ContainerUser": {1: "linux"},
    "io.k8s.api.core.v1.DaemonEndpoint": {1: "Port"},
    "io.k8s.api.core.v1.DownwardAPIProjection": {1: "items"},
    "io.k8s.api.core.v1.DownwardAPIVolumeFile": {
        1: "path", 2: "fieldRef", 3: "resourceFieldRef", 4: "mode",
    },
    "io.k8s.api.core.v1.DownwardAPIVolumeSource": {1: "items", 2: "defaultMode"},
    "io.k8s.api.core.v1.EmptyDirVolumeSource": {1: "medium", 2: "sizeLimit"},
    "io.k8s.api.core.v1.EndpointAddress": {1: "ip", 2: "targetRef", 3: "hostname", 4: "nodeName"},
    "io.k8s.api.core.v1.EndpointPort": {1: "name", 2: "port", 3: "protocol", 4: "appProtocol"},
    "io.k8s.api.core.v1.EndpointSubset": {1: "addresses", 2: "notReadyAddresses", 3: "ports"},
    "io.k8s.api.core.v1.Endpoints": {1: "metadata", 2: "subsets"},
    "io.k8s.api.core.v1.EnvFromSource": {1: "prefix", 2: "configMapRef", 3: "secretRef"},
    "io.k8s.api.core.v1.EnvVar": {1: "name", 2: "value", 3: "valueFrom"},
    "io.k8s.api.core.v1.EnvVarSource": {
        1: "fieldRef", 2: "resourceFieldRef", 3: "configMapKeyRef", 4: "secretKeyRef",
    },
    "io.k8s.api.core.v1.EphemeralContainer": {2: "targetContainerName"},
    "io.k8s.api.core.v1.EphemeralContainerCommon": {
        1: "name", 2: "image", 3: "command", 4: "args", 5: "workingDir", 6: "ports", 7: "env",
        8: "resources", 9: "volumeMounts", 10: "livenessProbe", 11: "readinessProbe",
        12: "lifecycle", 13: "terminationMessagePath", 14: "imagePullPolicy",
        15: "securityContext", 16: "stdin", 17: "stdinOnce", 18: "tty", 19: "envFrom",
        20: "terminationMessagePolicy", 21: "volumeDevices", 22: "startupProbe",
        23: "resizePolicy", 24: "restartPolicy",
    },
    "io.k8s.api.core.v1.EphemeralVolumeSource": {1: "volumeClaimTemplate"},
    "io.k8s.api.core.v1.Event": {
        1: "metadata", 2: "involvedObject", 3: "reason", 4: "message", 5: "source",
        6: "firstTimestamp", 7: "lastTimestamp", 8: "count", 9: "type", 10: "eventTime",
        11: "series", 12: "action", 13: "related", 14: "reportingComponent",
        15: "reportingInstance",
    },
    "io.k8s.api.core.v1.EventSeries": {1: "count", 2: "lastObservedTime"},
    "io.k8s.api.core.v1.EventSource": {1: "component", 2: "host"},
    "io.k8s.api.core.v1.ExecAction": {1: "command"},
    "io.k8s.api.core.v1.FCVolumeSource": {
        1: "targetWWNs", 2: "lun", 3: "fsType", 4: "readOnly", 5: "wwids",
    },
    "io.k8s.api.core.v1.FlexVolumeSource": {
        1: "driver", 2: "fsType", 3: "secretRef", 4: "readOnly", 5: "options",
    },
    "io.k8s.api.core.v1.FlockerVolumeSource": {1: "datasetName", 2: "datasetUUID"},
    "io.k8s.api.core.v1.GCEPersistentDiskVolumeSource": {
        1: "pdName", 2: "fsType", 3: "partition", 4: "readOnly",
    },
    "io.k8s.api.core.v1.GRPCAction": {1: "port", 2: "service"},
    "io.k8s.api.core.v1.GitRepoVolumeSource": {1: "repository", 2: "revision", 3: "directory"},
    "io.k8s.api.core.v1.GlusterfsVolumeSource": {1: "endpoints", 2: "path", 3: "readOnly"},
    "io.k8s.api.core.v1.HTTPGetAction": {
        1: "path", 2: "port", 3: "host", 4: "scheme", 5: "httpHeaders",
    },
    "io.k8s.api.core.v1.HTTPHeader": {1: "name", 2: "value"},
    "io.k8s.api.core.v1.HostAlias": {1: "ip", 2: "hostnames"},
    "io.k8s.api.core.v1.HostIP": {1: "ip"},
    "io.k8s.api.core.v1.HostPathVolumeSource": {1: "path", 2: "type"},
    "io.k8s.api.core.v1.ISCSIVolumeSource": {
        1: "targetPortal", 2: "iqn", 3: "lun", 4: "iscsiInterface", 5: "fsType", 6: "readOnly",
        7: "portals", 8: "chapAuthDiscovery", 10: "secretRef", 11: "chapAuthSession",
        12: "initiatorName",
    },
    "io.k8s.api.core.v1.ImageVolumeSource": {1: "reference", 2: "pullPolicy"},
    "io.k8s.api.core.v1.KeyToPath": {1: "key", 2: "path", 3: "mode"},
    "io.k8s.api.core.v1.Lifecycle": {1: "postStart", 2: "preStop", 3: "stopSignal"},
    "io.k8s.api.core.v1.LifecycleHandler": {1: "exec", 2: "httpGet", 3: "tcpSocket", 4: "sleep"},
    "io.k8s.api.core.v1.LimitRange": {1: "metadata", 2: "spec"},
    "io.k8s.api.core.v1.LimitRangeItem": {
        1: "type", 2: "max", 3: "min", 4: "default", 5: "defaultRequest",
        6: "maxLimitRequestRatio",
    },
    "io.k8s.api.core.v1.LimitRangeSpec": {1: "limits"},
    "io.k8s.api.core.v1.LinuxContainerUser": {1: "uid", 2: "gid", 3: "supplementalGroups"},
    "io.k8s.api.core.v1.LoadBalancerIngress": {1: "ip", 2: "hostname", 3: "ipMode", 4: "ports"},
    "io.k8s.api.core.v1.LoadBalancerStatus": {1: "ingress"},
    "io.k8s.api.core.v1.LocalObjectReference": {1: "name"},
    "io.k8s.api.core.v1.ModifyVolumeStatus": {1: "targetVolumeAttributesClassName", 2: "status"},
    "io.k8s.api.core.v1.NFSVolumeSource": {1: "server", 2: "path", 3: "readOnly"},
    "io.k8s.api.core.v1.Namespace": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.core.v1.NamespaceCondition": {
        1: "type", 2: "status", 4: "lastTransitionTime", 5: "reason", 6: "message",
    },
    "io.k8s.api.core.v1.NamespaceSpec": {1: "finalizers"},
    "io.k8s.api.core.v1.NamespaceStatus": {1: "phase", 2: "conditions"},
    "io.k8s.api.core.v1.Node": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.core.v1.NodeAddress": {1: "type", 2: "address"},
    "io.k8s.api.core.v1.NodeAffinity": {
        1: "requiredDuringSchedulingIgnoredDuringExecution",
        2: "preferredDuringSchedulingIgnoredDuringExecution",
    },
    "io.k8s.api.core.v1.NodeCondition": {
        1: "type", 2: "status", 3: "lastHeartbeatTime", 4: "lastTransitionTime", 5: "reason",
        6: "message",
    },
    "io.k8s.api.core.v1.NodeConfigSource": {2: "configMap"},
    "io.k8s.api.core.v1.NodeConfigStatus": {
        1: "assigned", 2: "active", 3: "lastKnownGood", 4: "error",
    },
    "io.k8s.api.core.v1.NodeDaemonEndpoints": {1: "kubeletEndpoint"},
    "io.k8s.api.core.v1.NodeFeatures": {1: "supplementalGroupsPolicy"},
    "io.k8s.api.core.v1.NodeRuntimeHandler": {1: "name", 2: "features"},
    "io.k8s.api.core.v1.NodeRuntimeHandlerFeatures": {
        1: "recursiveReadOnlyMounts", 2: "userNamespaces",
    },
    "io.k8s.api.core.v1.NodeSelector": {1: "nodeSelectorTerms"},
    "io.k8s.api.core.v1.NodeSelectorRequirement": {1: "key", 2: "operator", 3: "values"},
    "io.k8s.api.core.v1.NodeSelectorTerm": {1: "matchExpressions", 2: "matchFields"},
    "io.k8s.api.core.v1.NodeSpec": {
        1: "podCIDR", 2: "externalID", 3: "providerID", 4: "unschedulable", 5: "taints",
        6: "configSource", 7: "podCIDRs",
    },
    "io.k8s.api.core.v1.NodeStatus": {
        1: "capacity", 2: "allocatable", 3: "phase", 4: "conditions", 5: "addresses",
        6: "daemonEndpoints", 7: "nodeInfo", 8: "images", 9: "volumesInUse", 10: "volumesAttached",
        11: "config", 12: "runtimeHandlers", 13: "features",
    },
    "io.k8s.api.core.v1.NodeSwapStatus": {1: "capacity"},
    "io.k8s.api.core.v1.NodeSystemInfo": {
        1: "machineID", 2: "systemUUID", 3: "bootID", 4: "kernelVersion", 5: "osImage",
        6: "containerRuntimeVersion", 7: "kubeletVersion", 8: "kubeProxyVersion",
        9: "operatingSystem", 10: "architecture", 11: "swap",
    },
    "io.k8s.api.core.v1.ObjectFieldSelector": {1: "apiVersion", 2: "fieldPath"},
    "io.k8s.api.core.v1.ObjectReference": {
        1: "kind", 2: "namespace", 3: "name", 4: "uid", 5: "apiVersion", 6: "resourceVersion",
        7: "fieldPath",
    },
    "io.k8s.api.core.v1.PersistentVolumeClaim": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.core.v1.PersistentVolumeClaimCondition": {
        1: "type", 2: "status", 3: "lastProbeTime", 4: "lastTransitionTime", 5: "reason",
        6: "message",
    },
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec": {
        1: "accessModes", 2: "resources", 3: "volumeName", 4: "selector", 5: "storageClassName",
        6: "volumeMode", 7: "dataSource", 8: "dataSourceRef", 9: "volumeAttributesClassName",
    },
    "io.k8s.api.core.v1.PersistentVolumeClaimStatus": {
        1: "phase", 2: "accessModes", 3: "capacity", 4: "conditions", 5: "allocatedResources",
        7: "allocatedResourceStatuses", 8: "currentVolumeAttributesClassName",
        9: "modifyVolumeStatus",
    },
    "io.k8s.api.core.v1.PersistentVolumeClaimTemplate": {1: "metadata", 2: "spec"},
    "io.k8s.api.core.v1.PersistentVolumeClaimVolumeSource": {1: "claimName", 2: "readOnly"},
    "io.k8s.api.core.v1.PhotonPersistentDiskVolumeSource": {1: "pdID", 2: "fsType"},
    "io.k8s.api.core.v1.Pod": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.core.v1.PodAffinity": {
        1: "requiredDuringSchedulingIgnoredDuringExecution",
        2: "preferredDuringSchedulingIgnoredDuringExecution",
    },
    "io.k8s.api.core.v1.PodAffinityTerm": {
        1: "labelSelector", 2: "namespaces", 3: "topologyKey", 4: "namespaceSelector",
        5: "matchLabelKeys", 6: "mismatchLabelKeys",
    },
    "io.k8s.api.core.v1.PodAntiAffinity": {
        1: "requiredDuringSchedulingIgnoredDuringExecution",
        2: "preferredDuringSchedulingIgnoredDuringExecution",
    },
    "io.k8s.api.core.v1.PodCondition": {
        1: "type", 2: "status", 3: "lastProbeTime", 4: "lastTransitionTime", 5: "reason",
        6: "message", 7: "observedGeneration",
    },
    "io.k8s.api.core.v1.PodDNSConfig": {1: "nameservers", 2: "searches", 3: "options"},
    "io.k8s.api.core.v1.PodDNSConfigOption": {1: "name", 2: "value"},
    "io.k8s.api.core.v1.PodIP": {1: "ip"},
    "io.k8s.api.core.v1.PodOS": {1: "name"},
    "io.k8s.api.core.v1.PodReadinessGate": {1: "conditionType"},
    "io.k8s.api.core.v1.PodResourceClaim": {
        1: "name", 3: "resourceClaimName", 4: "resourceClaimTemplateName",
    },
    "io.k8s.api.core.v1.PodResourceClaimStatus": {1: "name", 2: "resourceClaimName"},
    "io.k8s.api.core.v1.PodSchedulingGate": {1: "name"},
    "io.k8s.api.core.v1.PodSecurityContext": {
        1: "seLinuxOptions", 2: "runAsUser", 3: "runAsNonRoot", 4: "supplementalGroups",
        5: "fsGroup", 6: "runAsGroup", 7: "sysctls", 8: "windowsOptions", 9: "fsGroupChangePolicy",
        10: "seccompProfile", 11: "appArmorProfile", 12: "supplementalGroupsPolicy",
        13: "seLinuxChangePolicy",
    },
    "io.k8s.api.core.v1.PodSpec": {
        1: "volumes", 2: "containers", 3: "restartPolicy", 4: "terminationGracePeriodSeconds",
        5: "activeDeadlineSeconds", 6: "dnsPolicy", 7: "nodeSelector", 8: "serviceAccountName",
        9: "serviceAccount", 10: "nodeName", 11: "hostNetwork", 12: "hostPID", 13: "hostIPC",
        14: "securityContext", 15: "imagePullSecrets", 16: "hostname", 17: "subdomain",
        18: "affinity", 19: "schedulerName", 20: "initContainers",
        21: "automountServiceAccountToken", 22: "tolerations", 23: "hostAliases",
        24: "priorityClassName", 25: "priority", 26: "dnsConfig", 27: "shareProcessNamespace",
        28: "readinessGates", 29: "runtimeClassName", 30: "enableServiceLinks",
        31: "preemptionPolicy", 32: "overhead", 33: "topologySpreadConstraints",
        34: "ephemeralContainers", 35: "setHostnameAsFQDN", 36: "os", 37: "hostUsers",
        38: "schedulingGates", 39: "resourceClaims", 40: "resources",
    },
    "io.k8s.api.core.v1.PodStatus": {
        1: "phase", 2: "conditions", 3: "message", 4: "reason", 5: "hostIP", 6: "podIP",
        7: "startTime", 8: "containerStatuses", 9: "qosClass", 10: "initContainerStatuses",
        11: "nominatedNodeName", 12: "podIPs", 13: "ephemeralContainerStatuses", 14: "resize",
        15: "resourceClaimStatuses", 16: "hostIPs", 17: "observedGeneration",
    },
    "io.k8s.api.core.v1.PodTemplate": {1: "metadata", 2: "template"},
    "io.k8s.api.core.v1.PodTemplateSpec": {1: "metadata", 2: "spec"},
    "io.k8s.api.core.v1.PortStatus": {1: "port", 2: "protocol", 3: "error"},
    "io.k8s.api.core.v1.PortworxVolumeSource": {1: "volumeID", 2: "fsType", 3: "readOnly"},
    "io.k8s.api.core.v1.PreferredSchedulingTerm": {1: "weight", 2: "preference"},
    "io.k8s.api.core.v1.Probe": {
        2: "initialDelaySeconds", 3: "timeoutSeconds", 4: "periodSeconds", 5: "successThreshold",
        6: "failureThreshold", 7: "terminationGracePeriodSeconds",
    },
    "io.k8s.api.core.v1.ProbeHandler": {1: "exec", 2: "httpGet", 3: "tcpSocket", 4: "grpc"},
    "io.k8s.api.core.v1.ProjectedVolumeSource": {1: "sources", 2: "defaultMode"},
    "io.k8s.api.core.v1.QuobyteVolumeSource": {
        1: "registry", 2: "volume", 3: "readOnly", 4: "user", 5: "group", 6: "tenant",
    },
    "io.k8s.api.core.v1.RBDVolumeSource": {
        1: "monitors", 2: "image", 3: "fsType", 4: "pool", 5: "user", 6: "keyring", 7: "secretRef",
        8: "readOnly",
    },
    "io.k8s.api.core.v1.ResourceClaim": {1: "name", 2: "request"},
    "io.k8s.api.core.v1.ResourceFieldSelector": {1: "containerName", 2: "resource", 3: "divisor"},
    "io.k8s.api.core.v1.ResourceHealth": {1: "resourceID", 2: "health"},
    "io.k8s.api.core.v1.ResourceQuota": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.core.v1.ResourceQuotaSpec": {1: "hard", 2: "scopes", 3: "scopeSelector"},
    "io.k8s.api.core.v1.ResourceQuotaStatus": {1: "hard", 2: "used"},
    "io.k8s.api.core.v1.ResourceRequirements": {1: "limits", 2: "requests", 3: "claims"},
    "io.k8s.api.core.v1.ResourceStatus": {1: "name", 2: "resources"},
    "io.k8s.api.core.v1.SELinuxOptions": {1: "user", 2: "role", 3: "type", 4: "level"},
    "io.k8s.api.core.v1.ScaleIOVolumeSource": {
        1: "gateway", 2: "system", 3: "secretRef", 4: "sslEnabled", 5: "protectionDomain",
        6: "storagePool", 7: "storageMode", 8: "volumeName", 9: "fsType", 10: "readOnly",
    },
    "io.k8s.api.core.v1.ScopeSelector": {1: "matchExpressions"},
    "io.k8s.api.core.v1.ScopedResourceSelectorRequirement": {
        1: "scopeName", 2: "operator", 3: "values",
    },
    "io.k8s.api.core.v1.SeccompProfile": {1: "type", 2: "localhostProfile"},
    "io.k8s.api.core.v1.Secret": {
        1: "metadata", 2: "data", 3: "type", 4: "stringData", 5: "immutable",
    },
    "io.k8s.api.core.v1.SecretEnvSource": {2: "optional"},
    "io.k8s.api.core.v1.SecretKeySelector": {2: "key", 3: "optional"},
    "io.k8s.api.core.v1.SecretProjection": {2: "items", 4: "optional"},
    "io.k8s.api.core.v1.SecretVolumeSource": {
        1: "secretName", 2: "items", 3: "defaultMode", 4: "optional",
    },
    "io.k8s.api.core.v1.SecurityContext": {
        1: "capabilities", 2: "privileged", 3: "seLinuxOptions", 4: "runAsUser", 5: "runAsNonRoot",
        6: "readOnlyRootFilesystem", 7: "allowPrivilegeEscalation", 8: "runAsGroup",
        9: "procMount", 10: "windowsOptions", 11: "seccompProfile", 12: "appArmorProfile",
    },
    "io.k8s.api.core.v1.Service": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.core.v1.ServiceAccount": {
        1: "metadata", 2: "secrets", 3: "imagePullSecrets", 4: "automountServiceAccountToken",
    },
    "io.k8s.api.core.v1.ServiceAccountTokenProjection": {
        1: "audience", 2: "expirationSeconds", 3: "path",
    },
    "io.k8s.api.core.v1.ServicePort": {
        1: "name", 2: "protocol", 3: "port", 4: "targetPort", 5: "nodePort", 6: "appProtocol",
    },
    "io.k8s.api.core.v1.ServiceSpec": {
        1: "ports", 2: "selector", 3: "clusterIP", 4: "type", 5: "externalIPs",
        7: "sessionAffinity", 8: "loadBalancerIP", 9: "loadBalancerSourceRanges",
        10: "externalName", 11: "externalTrafficPolicy", 12: "healthCheckNodePort",
        13: "publishNotReadyAddresses", 14: "sessionAffinityConfig", 17: "ipFamilyPolicy",
        18: "clusterIPs", 19: "ipFamilies", 20: "allocateLoadBalancerNodePorts",
        21: "loadBalancerClass", 22: "internalTrafficPolicy", 23: "trafficDistribution",
    },
    "io.k8s.api.core.v1.ServiceStatus": {1: "loadBalancer", 2: "conditions"},
    "io.k8s.api.core.v1.SessionAffinityConfig": {1: "clientIP"},
    "io.k8s.api.core.v1.SleepAction": {1: "seconds"},
    "io.k8s.api.core.v1.StorageOSVolumeSource": {
        1: "volumeName", 2: "volumeNamespace", 3: "fsType", 4: "readOnly", 5: "secretRef",
    },
    "io.k8s.api.core.v1.Sysctl": {1: "name", 2: "value"},
    "io.k8s.api.core.v1.TCPSocketAction": {1: "port", 2: "host"},
    "io.k8s.api.core.v1.Taint": {1: "key", 2: "value", 3: "effect", 4: "timeAdded"},
    "io.k8s.api.core.v1.Toleration": {
        1: "key", 2: "operator", 3: "value", 4: "effect", 5: "tolerationSeconds",
    },
    "io.k8s.api.core.v1.TopologySpreadConstraint": {
        1: "maxSkew", 2: "topologyKey", 3: "whenUnsatisfiable", 4: "labelSelector",
        5: "minDomains", 6: "nodeAffinityPolicy", 7: "nodeTaintsPolicy", 8: "matchLabelKeys",
    },
    "io.k8s.api.core.v1.TypedLocalObjectReference": {1: "apiGroup", 2: "kind", 3: "name"},
    "io.k8s.api.core.v1.TypedObjectReference": {
        1: "apiGroup", 2: "kind", 3: "name", 4: "namespace",
    },
    "io.k8s.api.core.v1.Volume": {1: "name"},
    "io.k8s.api.core.v1.VolumeDevice": {1: "name", 2: "devicePath"},
    "io.k8s.api.core.v1.VolumeMount": {
        1: "name", 2: "readOnly", 3: "mountPath", 4: "subPath", 5: "mountPropagation",
        6: "subPathExpr", 7: "recursiveReadOnly",
    },
    "io.k8s.api.core.v1.VolumeMountStatus": {
        1: "name", 2: "mountPath", 3: "readOnly", 4: "recursiveReadOnly",
    },
    "io.k8s.api.core.v1.VolumeProjection": {
        1: "secret", 2: "downwardAPI", 3: "configMap", 4: "serviceAccountToken",
        5: "clusterTrustBundle",
    },
    "io.k8s.api.core.v1.VolumeResourceRequirements": {1: "limits", 2: "requests"},
    "io.k8s.api.core.v1.VolumeSource": {
        1: "hostPath", 2: "emptyDir", 3: "gcePersistentDisk", 4: "awsElasticBlockStore",
        5: "gitRepo", 6: "secret", 7: "nfs", 8: "iscsi", 9: "glusterfs",
        10: "persistentVolumeClaim", 11: "rbd", 12: "flexVolume", 13: "cinder", 14: "cephfs",
        15: "flocker", 16: "downwardAPI", 17: "fc", 18: "azureFile", 19: "configMap",
        20: "vsphereVolume", 21: "quobyte", 22: "azureDisk", 23: "photonPersistentDisk",
        24: "portworxVolume", 25: "scaleIO", 26: "projected", 27: "storageos", 28: "csi",
        29: "ephemeral", 30: "image",
    },
    "io.k8s.api.core.v1.VsphereVirtualDiskVolumeSource": {
        1: "volumePath", 2: "fsType", 3: "storagePolicyName", 4: "storagePolicyID",
    },
    "io.k8s.api.core.v1.WeightedPodAffinityTerm": {1: "weight", 2: "podAffinityTerm"},
    "io.k8s.api.core.v1.WindowsSecurityContextOptions": {
        1: "gmsaCredentialSpecName", 2: "gmsaCredentialSpec", 3: "runAsUserName", 4: "hostProcess",
    },

    # discovery/v1
    "io.k8s.api.discovery.v1.Endpoint": {
        1: "addresses", 2: "conditions", 3: "hostname", 4: "targetRef", 5: "deprecatedTopology",
        6: "nodeName", 7: "zone", 8: "hints",
    },
    "io.k8s.api.discovery.v1.EndpointConditions": {1: "ready", 2: "serving", 3: "terminating"},
    "io.k8s.api.discovery.v1.EndpointHints": {1: "forZones", 2: "forNodes"},
    "io.k8s.api.discovery.v1.EndpointPort": {1: "name", 2: "protocol", 3: "port", 4: "appProtocol"},
    "io.k8s.api.discovery.v1.EndpointSlice": {
        1: "metadata", 2: "endpoints", 3: "ports", 4: "addressType",
    },
    "io.k8s.api.discovery.v1.ForNode": {1: "name"},
    "io.k8s.api.discovery.v1.ForZone": {1: "name"},

    # events/v1
    "io.k8s.api.events.v1.Event": {
        1: "metadata", 2: "eventTime", 3: "series", 4: "reportingController",
        5: "reportingInstance", 6: "action", 7: "reason", 8: "regarding", 9: "related", 10: "note",
        11: "type", 12: "deprecatedSource", 13: "deprecatedFirstTimestamp",
        14: "deprecatedLastTimestamp", 15: "deprecatedCount",
    },
    "io.k8s.api.events.v1.EventSeries": {1: "count", 2: "lastObservedTime"},

    # networking/v1
    "io.k8s.api.networking.v1.HTTPIngressPath": {1: "path", 2: "backend", 3: "pathType"},
    "io.k8s.api.networking.v1.HTTPIngressRuleValue": {1: "paths"},
    "io.k8s.api.networking.v1.Ingress": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.networking.v1.IngressBackend": {3: "resource", 4: "service"},
    "io.k8s.api.networking.v1.IngressClass": {1: "metadata", 2: "spec"},
    "io.k8s.api.networking.v1.IngressClassParametersReference": {
        1: "apiGroup", 2: "kind", 3: "name", 4: "scope", 5: "namespace",
    },
    "io.k8s.api.networking.v1.IngressClassSpec": {1: "controller", 2: "parameters"},
    "io.k8s.api.networking.v1.IngressLoadBalancerIngress": {1: "ip", 2: "hostname", 4: "ports"},
    "io.k8s.api.networking.v1.IngressLoadBalancerStatus": {1: "ingress"},
    "io.k8s.api.networking.v1.IngressPortStatus": {1: "port", 2: "protocol", 3: "error"},
    "io.k8s.api.networking.v1.IngressRule": {1: "host"},
    "io.k8s.api.networking.v1.IngressRuleValue": {1: "http"},
    "io.k8s.api.networking.v1.IngressServiceBackend": {1: "name", 2: "port"},
    "io.k8s.api.networking.v1.IngressSpec": {
        1: "defaultBackend", 2: "tls", 3: "rules", 4: "ingressClassName",
    },
    "io.k8s.api.networking.v1.IngressStatus": {1: "loadBalancer"},
    "io.k8s.api.networking.v1.IngressTLS": {1: "hosts", 2: "secretName"},
    "io.k8s.api.networking.v1.ServiceBackendPort": {1: "name", 2: "number"},

    # policy/v1
    "io.k8s.api.policy.v1.Eviction": {1: "metadata", 2: "deleteOptions"},
    "io.k8s.api.policy.v1.PodDisruptionBudget": {1: "metadata", 2: "spec", 3: "status"},
    "io.k8s.api.policy.v1.PodDisruptionBudgetSpec": {
        1: "minAvailable", 2: "selector", 3: "maxUnavailable", 4: "unhealthyPodEvictionPolicy",
    },
    "io.k8s.api.policy.v1.PodDisruptionBudgetStatus": {
        1: "observedGeneration", 2: "disruptedPods", 3: "disruptionsAllowed", 4: "currentHealthy",
        5: "desiredHealthy", 6: "expectedPods", 7: "conditions",
    },

    # rbac/v1
    "io.k8s.api.rbac.v1.AggregationRule": {1: "clusterRoleSelectors"},
    "io.k8s.api.rbac.v1.ClusterRole": {1: "metadata", 2: "rules", 3: "aggregationRule"},
    "io.k8s.api.rbac.v1.ClusterRoleBinding": {1: "metadata", 2: "subjects", 3: "roleRef"},
    "io.k8s.api.rbac.v1.PolicyRule": {
        1: "verbs", 2: "apiGroups", 3: "resources", 4: "resourceNames", 5: "nonResourceURLs",
    },
    "io.k8s.api.rbac.v1.Role": {1: "metadata", 2: "rules"},
    "io.k8s.api.rbac.v1.RoleBinding": {1: "metadata", 2: "subjects", 3: "roleRef"},
    "io.k8s.api.rbac.v1.RoleRef": {1: "apiGroup", 2: "kind", 3: "name"},
    "io.k8s.api.rbac.v1.Subject": {1: "kind", 2: "apiGroup", 3: "name", 4: "namespace"},

    # scheduling/v1
    "io.k8s.api.scheduling.v1.PriorityClass": {
        1: "metadata", 2: "value", 3: "globalDefault", 4: "description", 5: "preemptionPolicy",
    },
}

INLINED: dict[str, dict[int, str]] = {
    # core/v1
    "io.k8s.api.core.v1.ConfigMapEnvSource": {1: "io.k8s.api.core.v1.LocalObjectReference"},
    "io.k8s.api.core.v1.ConfigMapKeySelector": {1: "io.k8s.api.core.v1.LocalObjectReference"},
    "io.k8s.api.core.v1.ConfigMapProjection": {1: "io.k8s.api.core.v1.LocalObjectReference"},
    "io.k8s.api.core.v1.ConfigMapVolumeSource": {1: "io.k8s.api.core.v1.LocalObjectReference"},
    "io.k8s.api.core.v1.EphemeralContainer": {1: "io.k8s.api.core.v1.EphemeralContainerCommon"},
    "io.k8s.api.core.v1.Probe": {1: "io.k8s.api.core.v1.ProbeHandler"},
    "io.k8s.api.core.v1.SecretEnvSource": {1: "io.k8s.api.core.v1.LocalObjectReference"},
    "io.k8s.api.core.v1.SecretKeySelector": {1: "io.k8s.api.core.v1.LocalObjectReference"},
    "io.k8s.api.core.v1.SecretProjection": {1: "io.k8s.api.core.v1.LocalObjectReference"},
    "io.k8s.api.core.v1.Volume": {2: "io.k8s.api.core.v1.VolumeSource"},

    # networking/v1
    "io.k8s.api.networking.v1.IngressRule": {2: "io.k8s.api.networking.v1.IngressRuleValue"},
}

NULLABLE: dict[str, frozenset[str]] = {
    # meta/v1
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions": frozenset({
        "gracePeriodSeconds", "ignoreStoreReadErrorWithClusterBreakingPotential",
        "orphanDependents", "propagationPolicy",
    }),
    "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": frozenset({"fieldsV1", "time"}),
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": frozenset({
        "deletionGracePeriodSeconds", "deletionTimestamp",
    }),
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": frozenset({
        "blockOwnerDeletion", "controller",
    }),
    "io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions": frozenset({"resourceVersion", "uid"}),

    # apps/v1
    "io.k8s.api.apps.v1.DaemonSetSpec": frozenset({"revisionHistoryLimit"}),
    "io.k8s.api.apps.v1.DaemonSetStatus": frozenset({"collisionCount"}),
    "io.k8s.api.apps.v1.DeploymentSpec": frozenset({
        "progressDeadlineSeconds", "replicas", "revisionHistoryLimit",
    }),
    "io.k8s.api.apps.v1.DeploymentStatus": frozenset({"collisionCount", "terminatingReplicas"}),
    "io.k8s.api.apps.v1.ReplicaSetSpec": frozenset({"replicas"}),
    "io.k8s.api.apps.v1.ReplicaSetStatus": frozenset({"terminatingReplicas"}),
    "io.k8s.api.apps.v1.RollingUpdateDaemonSet": frozenset({"maxSurge", "maxUnavailable"}),
    "io.k8s.api.apps.v1.RollingUpdateDeployment": frozenset({"maxSurge", "maxUnavailable"}),
    "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy": frozenset({
        "maxUnavailable", "partition",
    }),
    "io.k8s.api.apps.v1.StatefulSetSpec": frozenset({"replicas", "revisionHistoryLimit"}),
    "io.k8s.api.apps.v1.StatefulSetStatus": frozenset({"collisionCount"}),

    # authentication/v1
    "io.k8s.api.authentication.v1.TokenRequestSpec": frozenset({"expirationSeconds"}),

    # autoscaling/v1
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec": frozenset({
        "minReplicas", "targetCPUUtilizationPercentage",
    }),
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerStatus": frozenset({
        "currentCPUUtilizationPercentage", "lastScaleTime", "observedGeneration",
    }),

    # batch/v1
    "io.k8s.api.batch.v1.CronJobSpec": frozenset({
        "failedJobsHistoryLimit", "startingDeadlineSeconds", "successfulJobsHistoryLimit",
        "suspend", "timeZone",
    }),
    "io.k8s.api.batch.v1.CronJobStatus": frozenset({"lastScheduleTime", "lastSuccessfulTime"}),
    "io.k8s.api.batch.v1.JobSpec": frozenset({
        "activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex", "completionMode",
        "completions", "managedBy", "manualSelector", "maxFailedIndexes", "parallelism",
        "podReplacementPolicy", "suspend", "ttlSecondsAfterFinished",
    }),
    "io.k8s.api.batch.v1.JobStatus": frozenset({
        "completionTime", "failedIndexes", "ready", "startTime", "terminating",
    }),
    "io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement": frozenset({"containerName"}),
    "io.k8s.api.batch.v1.SuccessPolicyRule": frozenset({"succeededCount", "succeededIndexes"}),

    # coordination/v1
    "io.k8s.api.coordination.v1.LeaseSpec": frozenset({
        "acquireTime", "holderIdentity", "leaseDurationSeconds", "leaseTransitions",
        "preferredHolder", "renewTime", "strategy",
    }),

    # core/v1
    "io.k8s.api.core.v1.AppArmorProfile": frozenset({"localhostProfile"}),
    "io.k8s.api.core.v1.AzureDiskVolumeSource": frozenset({
        "cachingMode", "fsType", "kind", "readOnly",
    }),
    "io.k8s.api.core.v1.CSIVolumeSource": frozenset({"fsType", "readOnly"}),
    "io.k8s.api.core.v1.ClientIPConfig": frozenset({"timeoutSeconds"}),
    "io.k8s.api.core.v1.ClusterTrustBundleProjection": frozenset({
        "name", "optional", "signerName",
    }),
    "io.k8s.api.core.v1.ConfigMap": frozenset({"immutable"}),
    "io.k8s.api.core.v1.ConfigMapEnvSource": frozenset({"optional"}),
    "io.k8s.api.core.v1.ConfigMapKeySelector": frozenset({"optional"}),
    "io.k8s.api.core.v1.ConfigMapProjection": frozenset({"optional"}),
    "io.k8s.api.core.v1.ConfigMapVolumeSource": frozenset({"defaultMode", "optional"}),
    "io.k8s.api.core.v1.Container": frozenset({"restartPolicy"}),
    "io.k8s.api.core.v1.ContainerStatus": frozenset({"started", "stopSignal"}),
    "io.k8s.api.core.v1.DownwardAPIVolumeFile": frozenset({"mode"}),
    "io.k8s.api.core.v1.DownwardAPIVolumeSource": frozenset({"defaultMode"}),
    "io.k8s.api.core.v1.EmptyDirVolumeSource": frozenset({"sizeLimit"}),
    "io.k8s.api.core.v1.EndpointAddress": frozenset({"nodeName"}),
    "io.k8s.api.core.v1.EndpointPort": frozenset({"appProtocol"}),
    "io.k8s.api.core.v1.EphemeralContainerCommon": frozenset({"restartPolicy"}),
    "io.k8s.api.core.v1.FCVolumeSource": frozenset({"lun"}),
    "io.k8s.api.core.v1.GRPCAction": frozenset({"service"}),
    "io.k8s.api.core.v1.HostPathVolumeSource": frozenset({"type"}),
    "io.k8s.api.core.v1.ISCSIVolumeSource": frozenset({"initiatorName"}),
    "io.k8s.api.core.v1.KeyToPath": frozenset({"mode"}),
    "io.k8s.api.core.v1.Lifecycle": frozenset({"stopSignal"}),
    "io.k8s.api.core.v1.LoadBalancerIngress": frozenset({"ipMode"}),
    "io.k8s.api.core.v1.NodeFeatures": frozenset({"supplementalGroupsPolicy"}),
    "io.k8s.api.core.v1.NodeRuntimeHandlerFeatures": frozenset({
        "recursiveReadOnlyMounts", "userNamespaces",
    }),
    "io.k8s.api.core.v1.NodeSwapStatus": frozenset({"capacity"}),
    "io.k8s.api.core.v1.PersistentVolumeClaimSpec": frozenset({
        "storageClassName", "volumeAttributesClassName", "volumeMode",
    }),
    "io.k8s.api.core.v1.PersistentVolumeClaimStatus": frozenset({
        "currentVolumeAttributesClassName",
    }),
    "io.k8s.api.core.v1.PodDNSConfigOption": frozenset({"value"}),
    "io.k8s.api.core.v1.PodResourceClaim": frozenset({
        "resourceClaimName", "resourceClaimTemplateName",
    }),
    "io.k8s.api.core.v1.PodResourceClaimStatus": frozenset({"resourceClaimName"}),
    "io.k8s.api.core.v1.PodSecurityContext": frozenset({
        "fsGroup", "fsGroupChangePolicy", "runAsGroup", "runAsNonRoot", "runAsUser",
        "seLinuxChangePolicy", "supplementalGroupsPolicy",
    }),
    "io.k8s.api.core.v1.PodSpec": frozenset({
        "activeDeadlineSeconds", "automountServiceAccountToken", "enableServiceLinks", "hostUsers",
        "preemptionPolicy", "priority", "runtimeClassName", "setHostnameAsFQDN",
        "shareProcessNamespace", "terminationGracePeriodSeconds",
    }),
    "io.k8s.api.core.v1.PodStatus": frozenset({"startTime"}),
    "io.k8s.api.core.v1.PortStatus": frozenset({"error"}),
    "io.k8s.api.core.v1.Probe": frozenset({"terminationGracePeriodSeconds"}),
    "io.k8s.api.core.v1.ProjectedVolumeSource": frozenset({"defaultMode"}),
    "io.k8s.api.core.v1.SeccompProfile": frozenset({"localhostProfile"}),
    "io.k8s.api.core.v1.Secret": frozenset({"immutable"}),
    "io.k8s.api.core.v1.SecretEnvSource": frozenset({"optional"}),
    "io.k8s.api.core.v1.SecretKeySelector": frozenset({"optional"}),
    "io.k8s.api.core.v1.SecretProjection": frozenset({"optional"}),
    "io.k8s.api.core.v1.SecretVolumeSource": frozenset({"defaultMode", "optional"}),
    "io.k8s.api.core.v1.SecurityContext": frozenset({
        "allowPrivilegeEscalation", "privileged", "procMount", "readOnlyRootFilesystem",
        "runAsGroup", "runAsNonRoot", "runAsUser",
    }),
    "io.k8s.api.core.v1.ServiceAccount": frozenset({"automountServiceAccountToken"}),
    "io.k8s.api.core.v1.ServiceAccountTokenProjection": frozenset({"expirationSeconds"}),
    "io.k8s.api.core.v1.ServicePort": frozenset({"appProtocol"}),
    "io.k8s.api.core.v1.ServiceSpec": frozenset({
        "allocateLoadBalancerNodePorts", "internalTrafficPolicy", "ipFamilyPolicy",
        "loadBalancerClass", "trafficDistribution",
    }),
    "io.k8s.api.core.v1.Taint": frozenset({"timeAdded"}),
    "io.k8s.api.core.v1.Toleration": frozenset({"tolerationSeconds"}),
    "io.k8s.api.core.v1.TopologySpreadConstraint": frozenset({
        "minDomains", "nodeAffinityPolicy", "nodeTaintsPolicy",
    }),
    "io.k8s.api.core.v1.TypedLocalObjectReference": frozenset({"apiGroup"}),
    "io.k8s.api.core.v1.TypedObjectReference": frozenset({"apiGroup", "namespace"}),
    "io.k8s.api.core.v1.VolumeMount": frozenset({"mountPropagation", "recursiveReadOnly"}),
    "io.k8s.api.core.v1.VolumeMountStatus": frozenset({"recursiveReadOnly"}),
    "io.k8s.api.core.v1.WindowsSecurityContextOptions": frozenset({
        "gmsaCredentialSpec", "gmsaCredentialSpecName", "hostProcess", "runAsUserName",
    }),

    # discovery/v1
    "io.k8s.api.discovery.v1.Endpoint": frozenset({"hostname", "nodeName", "zone"}),
    "io.k8s.api.discovery.v1.EndpointConditions": frozenset({"ready", "serving", "terminating"}),
    "io.k8s.api.discovery.v1.EndpointPort": frozenset({"appProtocol", "name", "port", "protocol"}),

    # networking/v1
    "io.k8s.api.networking.v1.HTTPIngressPath": frozenset({"pathType"}),
    "io.k8s.api.networking.v1.IngressClassParametersReference": frozenset({
        "apiGroup", "namespace", "scope",
    }),
    "io.k8s.api.networking.v1.IngressPortStatus": frozenset({"error"}),
    "io.k8s.api.networking.v1.IngressSpec": frozenset({"ingressClassName"}),

    # policy/v1
    "io.k8s.api.policy.v1.PodDisruptionBudgetSpec": frozenset({
        "maxUnavailable", "minAvailable", "unhealthyPodEvictionPolicy",
    }),

    # scheduling/v1
    "io.k8s.api.scheduling.v1.PriorityClass": frozenset({"preemptionPolicy"}),
}
