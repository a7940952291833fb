"""Schemas of a container and what it is made of: ports, environment,
mounts, probes, lifecycle hooks and security settings (core/v1)."""

from __future__ import annotations

from kubelite.api.core.common import CORE, core_ref, refs
from kubelite.api.meta import INT_OR_STRING, atomic, strings
from kubelite.api.schema import Schema, array, boolean, define, integer, obj, ref, string

CONTAINER = CORE + "Container"
EPHEMERAL_CONTAINER = CORE + "EphemeralContainer"

define(CORE + "ContainerPort", obj(
    "A network port a container listens on.",
    {
        "name": string("IANA service name of the port, unique in the pod; services "
                       "can target it by name."),
        "containerPort": integer("Port number inside the pod's network namespace "
                                 "(1-65535)."),
        "protocol": string("TCP, UDP or SCTP; TCP by default."),
        "hostPort": integer("Port to expose on the node too (1-65535)."),
        "hostIP": string("Node address the host port binds to."),
    },
    required=("containerPort",),
))

define(CORE + "FileKeySelector", atomic(obj(
    "A key of an env file inside one of the pod's volumes.",
    {
        "volumeName": string("Name of the volume holding the file."),
        "path": string("Path of the file inside the volume."),
        "key": string("The variable to read from the file."),
        "optional": boolean("Whether a missing file or key is tolerated."),
    },
    required=("volumeName", "path", "key"),
)))

define(CORE + "EnvVarSource", obj(
    "Where an environment variable takes its value from; exactly one source.",
    {
        "fieldRef": core_ref("ObjectFieldSelector", "A field of the pod."),
        "resourceFieldRef": core_ref("ResourceFieldSelector",
                                     "A resource request or limit of a container."),
        "configMapKeyRef": core_ref("ConfigMapKeySelector", "A key of a ConfigMap."),
        "secretKeyRef": core_ref("SecretKeySelector", "A key of a Secret."),
        "fileKeyRef": core_ref("FileKeySelector", "A key of an env file in a volume."),
    },
))

define(CORE + "EnvVar", obj(
    "One environment variable of a container.",
    {
        "name": string("Variable name."),
        "value": string("Literal value; $(VAR) expands earlier variables, $$ escapes."),
        "valueFrom": core_ref("EnvVarSource", "Take the value from elsewhere instead."),
    },
    required=("name",),
))

define(CORE + "ConfigMapEnvSource", obj(
    "A ConfigMap whose keys all become environment variables.",
    {
        "name": string("Name of the ConfigMap."),
        "optional": boolean("Whether the ConfigMap may be missing."),
    },
))

define(CORE + "SecretEnvSource", obj(
    "A Secret whose keys all become environment variables.",
    {
        "name": string("Name of the Secret."),
        "optional": boolean("Whether the Secret may be missing."),
    },
))

define(CORE + "EnvFromSource", obj(
    "A source of many environment variables.",
    {
        "prefix": string("Prepended to every key."),
        "configMapRef": core_ref("ConfigMapEnvSource", "The ConfigMap to read."),
        "secretRef": core_ref("SecretEnvSource", "The Secret to read."),
    },
))

define(CORE + "VolumeMount", obj(
    "Where a pod volume appears in the container.",
    {
        "name": string("Name of the pod volume."),
        "mountPath": string("Path inside the container; may not contain ':'."),
        "readOnly": boolean("Mount read-only."),
        "recursiveReadOnly": string("Disabled, IfPossible or Enabled: whether submounts "
                                    "are read-only too."),
        "subPath": string("Path inside the volume to mount instead of its root."),
        "subPathExpr": string("Like subPath, with $(VAR) expanded from the container's "
                              "environment."),
        "mountPropagation": string("None, HostToContainer or Bidirectional."),
        "bindMountOptions": strings("Extra options for the bind mount."),
    },
    required=("name", "mountPath"),
))

define(CORE + "VolumeDevice", obj(
    "Where a raw block volume appears in the container.",
    {
        "name": string("Name of a persistentVolumeClaim volume of the pod."),
        "devicePath": string("Device path inside the container."),
    },
    required=("name", "devicePath"),
))

define(CORE + "ExecAction", obj(
    "Run a command in the container; exit status 0 is success.",
    {"command": strings("Command and arguments, run without a shell.")},
))

define(CORE + "HTTPHeader", obj(
    "A header of an HTTP probe request.",
    {"name": string("Header name."), "value": string("Header value.")},
    required=("name", "value"),
))

define(CORE + "HTTPGetAction", obj(
    "An HTTP GET; a status from 200 to 399 is success.",
    {
        "path": string("Path to request; / by default."),
        "port": ref(INT_OR_STRING, "Port number or name of a container port."),
        "host": string("Host to connect to; the pod IP by default."),
        "scheme": string("HTTP or HTTPS; HTTP by default."),
        "httpHeaders": refs("HTTPHeader", "Extra request headers."),
        "protocol": string("Protocol the request is made with."),
    },
    required=("port",),
))

define(CORE + "TCPSocketAction", obj(
    "Open a TCP connection; connecting is success.",
    {
        "port": ref(INT_OR_STRING, "Port number or name of a container port."),
        "host": string("Host to connect to; the pod IP by default."),
    },
    required=("port",),
))

define(CORE + "GRPCAction", obj(
    "A gRPC health check (grpc.health.v1).",
    {
        "port": integer("Port of the gRPC service."),
        "service": string("Service name sent in the health check request."),
        "mode": string("How the check is made."),
    },
    required=("port",),
))

define(CORE + "SleepAction", obj(
    "Wait before going on.",
    {"seconds": integer("Seconds to sleep.", format="int64")},
    required=("seconds",),
))


def _handlers() -> dict[str, Schema]:
    return {
        "exec": core_ref("ExecAction", "Run a command."),
        "httpGet": core_ref("HTTPGetAction", "Make an HTTP GET request."),
        "tcpSocket": core_ref("TCPSocketAction", "Open a TCP connection."),
    }


define(CORE + "Probe", obj(
    "A periodic check of a container; exactly one handler.",
    {
        **_handlers(),
        "grpc": core_ref("GRPCAction", "Make a gRPC health check."),
        "initialDelaySeconds": integer("Seconds after start before the first probe."),
        "timeoutSeconds": integer("Seconds before a probe times out; 1 by default."),
        "periodSeconds": integer("Seconds between probes; 10 by default."),
        "successThreshold": integer("Successes in a row to count as passing after a "
                                    "failure; 1 by default (and always 1 for liveness "
                                    "and startup)."),
        "failureThreshold": integer("Failures in a row to count as failing; 3 by "
                                    "default."),
        "terminationGracePeriodSeconds": integer("Grace period when a failing probe "
                                                 "kills the container.", format="int64"),
    },
))

define(CORE + "LifecycleHandler", obj(
    "An action run at a point of the container's life; exactly one handler.",
    {**_handlers(), "sleep": core_ref("SleepAction", "Wait a while.")},
))

define(CORE + "Lifecycle", obj(
    "Actions run when a container starts and before it stops.",
    {
        "postStart": core_ref("LifecycleHandler", "Run right after the container "
                                                  "starts."),
        "preStop": core_ref("LifecycleHandler", "Run before the container is stopped."),
        "stopSignal": string("Signal that stops the container, e.g. SIGTERM."),
    },
))

define(CORE + "Capabilities", obj(
    "Linux capabilities to add to or drop from the default set.",
    {"add": strings("Capabilities to add."), "drop": strings("Capabilities to drop.")},
))

define(CORE + "SELinuxOptions", obj(
    "An SELinux label.",
    {
        "user": string("SELinux user."),
        "role": string("SELinux role."),
        "type": string("SELinux type."),
        "level": string("SELinux level."),
    },
))

define(CORE + "SeccompProfile", obj(
    "The seccomp filter to apply.",
    {
        "type": string("RuntimeDefault, Unconfined or Localhost."),
        "localhostProfile": string("Profile file on the node, for Localhost."),
    },
    required=("type",),
))

define(CORE + "AppArmorProfile", obj(
    "The AppArmor profile to apply.",
    {
        "type": string("RuntimeDefault, Unconfined or Localhost."),
        "localhostProfile": string("Profile loaded on the node, for Localhost."),
    },
    required=("type",),
))

define(CORE + "WindowsSecurityContextOptions", obj(
    "Windows-only security settings.",
    {
        "gmsaCredentialSpecName": string("Name of the GMSA credential spec."),
        "gmsaCredentialSpec": string("Contents of the GMSA credential spec."),
        "runAsUserName": string("User to run the entrypoint as."),
        "hostProcess": boolean("Run as a host process."),
    },
))


def security_fields() -> dict[str, Schema]:
    """Fields the pod and container security contexts share."""
    return {
        "runAsUser": integer("UID to run the entrypoint as.", format="int64"),
        "runAsGroup": integer("GID to run the entrypoint as.", format="int64"),
        "runAsNonRoot": boolean("Refuse to start if the user would be root."),
        "seLinuxOptions": core_ref("SELinuxOptions", "SELinux label to apply."),
        "seccompProfile": core_ref("SeccompProfile", "Seccomp filter to apply."),
        "appArmorProfile": core_ref("AppArmorProfile", "AppArmor profile to apply."),
        "windowsOptions": core_ref("WindowsSecurityContextOptions",
                                   "Windows-only settings."),
    }


define(CORE + "SecurityContext", obj(
    "Security settings of one container; they override the pod's.",
    {
        **security_fields(),
        "capabilities": core_ref("Capabilities", "Capabilities to add or drop."),
        "privileged": boolean("Run with the host's full privileges."),
        "allowPrivilegeEscalation": boolean("Whether a process may gain more privileges "
                                            "than its parent (no_new_privs)."),
        "readOnlyRootFilesystem": boolean("Mount the root filesystem read-only."),
        "procMount": string("Default or Unmasked."),
    },
))

define(CORE + "ContainerResizePolicy", obj(
    "What resizing one resource of a running container requires.",
    {
        "resourceName": string("cpu or memory."),
        "restartPolicy": string("NotRequired or RestartContainer."),
    },
    required=("resourceName", "restartPolicy"),
))

define(CORE + "ContainerRestartRuleOnExitCodes", obj(
    "Exit codes a restart rule matches.",
    {
        "operator": string("In or NotIn."),
        "values": array(integer(), "The exit codes.", list_type="set"),
    },
    required=("operator",),
))

define(CORE + "ContainerRestartRule", obj(
    "Whether to restart a container that exited, by exit code.",
    {
        "action": string("What to do when the rule matches, e.g. Restart."),
        "exitCodes": core_ref("ContainerRestartRuleOnExitCodes", "Codes that match."),
    },
    required=("action",),
))


def _container_fields() -> dict[str, Schema]:
    return {
        "name": string("Name of the container, a DNS label unique within the pod."),
        "image": string("Container image reference."),
        "command": strings("Entrypoint array, not run in a shell; the image's "
                           "ENTRYPOINT by default."),
        "args": strings("Arguments to the entrypoint; the image's CMD by default."),
        "workingDir": string("Working directory; the image's by default."),
        "ports": refs("ContainerPort", "Ports the container exposes.",
                      merge_key="containerPort", strategy="merge", list_type="map",
                      map_keys=("containerPort", "protocol")),
        "envFrom": refs("EnvFromSource", "Sources of many environment variables; env "
                                         "wins on conflicts."),
        "env": refs("EnvVar", "Environment variables.", merge_key="name", strategy="merge",
                    list_type="map", map_keys=("name",)),
        "resources": core_ref("ResourceRequirements", "Compute resources."),
        "resizePolicy": refs("ContainerResizePolicy", "How each resource may be resized."),
        "restartPolicy": string("For init containers: Always makes it a sidecar that "
                                "runs for the pod's whole life."),
        "restartPolicyRules": refs("ContainerRestartRule", "Per exit code restart "
                                                           "rules."),
        "volumeMounts": refs("VolumeMount", "Pod volumes to mount.", merge_key="mountPath",
                             strategy="merge", list_type="map", map_keys=("mountPath",)),
        "volumeDevices": refs("VolumeDevice", "Block devices to expose.",
                              merge_key="devicePath", strategy="merge", list_type="map",
                              map_keys=("devicePath",)),
        "livenessProbe": core_ref("Probe", "Restart the container when it fails."),
        "readinessProbe": core_ref("Probe", "Take the pod out of service endpoints while "
                                            "it fails."),
        "startupProbe": core_ref("Probe", "Hold the other probes until it succeeds."),
        "lifecycle": core_ref("Lifecycle", "Actions on start and stop."),
        "terminationMessagePath": string("File whose contents become the termination "
                                         "message; /dev/termination-log by default."),
        "terminationMessagePolicy": string("File, or FallbackToLogsOnError to use the "
                                           "log tail when the file is empty."),
        "imagePullPolicy": string("Always, Never or IfNotPresent; Always for :latest "
                                  "or untagged images, IfNotPresent otherwise."),
        "securityContext": core_ref("SecurityContext", "Security settings."),
        "stdin": boolean("Keep a stdin buffer open for attach."),
        "stdinOnce": boolean("Close stdin after the first attach ends."),
        "tty": boolean("Allocate a TTY (needs stdin)."),
    }


define(CONTAINER, obj(
    "One application container of a pod.",
    _container_fields(),
    required=("name",),
))

define(EPHEMERAL_CONTAINER, obj(
    "A container added to a running pod for debugging; never restarted, and "
    "without ports, probes or resources.",
    {
        **_container_fields(),
        "targetContainerName": string("Container whose namespaces (IPC, PID, ...) "
                                      "this one joins."),
    },
    required=("name",),
))
