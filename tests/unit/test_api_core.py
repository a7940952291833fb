"""core/v1 declarations: schemas know every field real manifests use, every
reference resolves, defaults and validation match Kubernetes (messages and
all), and the table columns read as `kubectl get` prints them."""

import copy
from typing import Any

import pytest

import kubelite.api.all  # noqa: F401  (fills DEFINITIONS and REGISTRY)
from kubelite.api import validation as v
from kubelite.api.core.pods import (
    SPEC_UPDATE_FORBIDDEN,
    default_pod_spec,
    default_pod_template,
    qos_class,
    validate_pod_template,
)
from kubelite.api.meta import validate_object_meta
from kubelite.api.resource import REGISTRY, Resource
from kubelite.api.schema import DEFINITIONS, REF_PREFIX, resolve

CORE = "io.k8s.api.core.v1."


def res(plural: str) -> Resource:
    return REGISTRY[("", "v1", plural)]


def messages(causes) -> list[tuple[str, str]]:
    return [(c.field, c.message) for c in causes]


def cells(resource: Resource, obj: dict, wide: bool = False) -> list[Any]:
    return [c.value(obj) for c in resource.columns if wide or c.priority == 0]


def create(plural: str, obj: dict) -> dict:
    """Default then validate, as the server does on create; the object."""
    obj = copy.deepcopy(obj)
    res(plural).default(obj)
    causes = res(plural).validate(obj, None)
    assert causes == [], messages(causes)
    return obj


# --- schema --------------------------------------------------------------------


def _refs(node: Any):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_reference_names_a_definition():
    dangling = {r for schema in DEFINITIONS.values() for r in _refs(schema)
                if not r.startswith(REF_PREFIX) or r.removeprefix(REF_PREFIX) not in DEFINITIONS}
    assert dangling == set()


def test_every_resource_schema_is_a_kind_with_its_gvk():
    for resource in REGISTRY.values():
        if resource.group:
            continue
        schema = DEFINITIONS[resource.schema]
        assert {"group": "", "version": "v1", "kind": resource.kind} in schema[
            "x-kubernetes-group-version-kind"]
        assert {"apiVersion", "kind", "metadata"} <= set(schema["properties"])


def unknown_fields(value: Any, schema: dict, path: str = "") -> list[str]:
    """Paths of `value` the schema does not know, following refs,
    additionalProperties, int-or-string and preserve-unknown-fields."""
    schema = resolve(schema)
    if schema.get("x-kubernetes-int-or-string") or "oneOf" in schema:
        return []
    if isinstance(value, dict):
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return []
        props, extra = schema.get("properties"), schema.get("additionalProperties")
        out = []
        for key, sub in value.items():
            if props is not None and key in props:
                out += unknown_fields(sub, props[key], f"{path}.{key}")
            elif isinstance(extra, dict):
                out += unknown_fields(sub, extra, f"{path}[{key}]")
            else:
                out.append(f"{path}.{key}")
        return out
    if isinstance(value, list):
        assert schema.get("type") == "array", path
        return [p for i, item in enumerate(value)
                for p in unknown_fields(item, schema["items"], f"{path}[{i}]")]
    return []


NGINX_TEMPLATE = {
    "metadata": {"labels": {"app": "nginx"}, "annotations": {"prometheus.io/scrape": "true"}},
    "spec": {
        "serviceAccountName": "nginx",
        "securityContext": {"runAsNonRoot": True, "fsGroup": 101,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "affinity": {
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 100,
                "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                    "labelSelector": {"matchLabels": {"app": "nginx"}}},
            }]},
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}],
            }},
        },
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web",
                         "effect": "NoSchedule"}],
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone",
                                       "whenUnsatisfiable": "ScheduleAnyway",
                                       "labelSelector": {"matchLabels": {"app": "nginx"}}}],
        "containers": [{
            "name": "nginx",
            "image": "nginx:1.25",
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
            "env": [
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
                {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode",
                                                                   "optional": True}}},
                {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory",
                                                                   "divisor": "1Mi"}}},
                {"name": "PLAIN", "value": "1"},
            ],
            "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                          "limits": {"cpu": 1, "memory": "128Mi"}},
            "readinessProbe": {"httpGet": {"path": "/", "port": "http"},
                               "initialDelaySeconds": 2, "periodSeconds": 5},
            "livenessProbe": {"tcpSocket": {"port": 80}, "failureThreshold": 5},
            "volumeMounts": [{"name": "conf", "mountPath": "/etc/nginx/conf.d",
                              "readOnly": True},
                             {"name": "cache", "mountPath": "/var/cache/nginx"}],
            "securityContext": {"allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]},
                                "readOnlyRootFilesystem": True},
        }],
        "volumes": [
            {"name": "conf", "configMap": {"name": "nginx-conf",
                                           "items": [{"key": "site", "path": "site.conf"}]}},
            {"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}},
        ],
    },
}

MULTI_CONTAINER_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "app", "namespace": "default", "labels": {"app": "shop"}},
    "spec": {
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 20,
        "dnsPolicy": "None",
        "dnsConfig": {"nameservers": ["10.96.0.10"], "searches": ["svc.cluster.local"],
                      "options": [{"name": "ndots", "value": "2"}]},
        "hostAliases": [{"ip": "10.1.2.3", "hostnames": ["db.local"]}],
        "imagePullSecrets": [{"name": "registry"}],
        "nodeSelector": {"disktype": "ssd"},
        "priorityClassName": "high",
        "enableServiceLinks": False,
        "shareProcessNamespace": True,
        "readinessGates": [{"conditionType": "example.com/lb-ready"}],
        "initContainers": [
            {"name": "migrate", "image": "shop:2", "command": ["/bin/migrate"],
             "args": ["--up"], "workingDir": "/app"},
            {"name": "proxy", "image": "envoy:1.30", "restartPolicy": "Always",
             "startupProbe": {"exec": {"command": ["true"]}}},
        ],
        "containers": [
            {"name": "web", "image": "shop:2",
             "ports": [{"containerPort": 8080}, {"containerPort": 9090, "name": "metrics"}],
             "startupProbe": {"grpc": {"port": 9090, "service": "health"},
                              "failureThreshold": 30},
             "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080,
                                           "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
                               "timeoutSeconds": 2},
             "lifecycle": {"preStop": {"sleep": {"seconds": 5}},
                           "postStart": {"exec": {"command": ["sh", "-c", "echo hi"]}}},
             "resources": {"limits": {"cpu": "500m", "memory": "256Mi"},
                           "claims": [{"name": "gpu"}]},
             "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
             "volumeMounts": [{"name": "token", "mountPath": "/var/run/token"},
                              {"name": "data", "mountPath": "/data", "subPath": "web"},
                              {"name": "info", "mountPath": "/etc/podinfo"}],
             "terminationMessagePolicy": "FallbackToLogsOnError",
             "stdin": True, "tty": True},
            {"name": "logger", "image": "busybox", "command": ["tail", "-f", "/dev/null"],
             "volumeMounts": [{"name": "host", "mountPath": "/host", "readOnly": True,
                               "mountPropagation": "HostToContainer"}]},
        ],
        "resourceClaims": [{"name": "gpu", "resourceClaimTemplateName": "gpu-template"}],
        "volumes": [
            {"name": "token", "projected": {"sources": [
                {"serviceAccountToken": {"path": "token", "audience": "vault",
                                         "expirationSeconds": 600}},
                {"configMap": {"name": "ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"secret": {"name": "creds"}},
                {"downwardAPI": {"items": [{"path": "labels",
                                            "fieldRef": {"fieldPath": "metadata.labels"}}]}},
            ]}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "shop-data"}},
            {"name": "info", "downwardAPI": {"items": [
                {"path": "cpu", "resourceFieldRef": {"containerName": "web",
                                                     "resource": "limits.cpu"}}]}},
            {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
            {"name": "nfs", "nfs": {"server": "nfs.local", "path": "/exports"}},
            {"name": "csi", "csi": {"driver": "secrets-store.csi.k8s.io", "readOnly": True,
                                    "volumeAttributes": {"provider": "vault"}}},
            {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {
                "metadata": {"labels": {"type": "scratch"}},
                "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                         "resources": {"requests": {"storage": "1Gi"}}}}}},
            {"name": "key", "secret": {"secretName": "tls", "defaultMode": 0o400}},
            {"name": "legacy", "awsElasticBlockStore": {"volumeID": "vol-1", "fsType": "ext4"}},
        ],
    },
}


def test_realistic_manifests_use_only_known_fields():
    assert unknown_fields(NGINX_TEMPLATE, DEFINITIONS[CORE + "PodTemplateSpec"]) == []
    assert unknown_fields(MULTI_CONTAINER_POD, DEFINITIONS[CORE + "Pod"]) == []
    # ... and still do once defaulted and given a status
    pod = create("pods", MULTI_CONTAINER_POD)
    pod["status"] = running_pod()["status"]
    assert unknown_fields(pod, DEFINITIONS[CORE + "Pod"]) == []
    for plural, obj in SAMPLES.items():
        assert unknown_fields(obj, DEFINITIONS[res(plural).schema]) == [], plural


def test_the_walker_does_catch_unknown_fields():
    bad = {"spec": {"containers": [{"name": "a", "imagePolicy": "Always"}], "restart": 1}}
    assert unknown_fields(bad, DEFINITIONS[CORE + "Pod"]) == [
        ".spec.containers[0].imagePolicy", ".spec.restart"]


def test_strategic_merge_facts_on_lists():
    def prop(definition, name):
        return DEFINITIONS[CORE + definition]["properties"][name]

    containers = prop("PodSpec", "containers")
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert prop("PodSpec", "volumes")["x-kubernetes-patch-strategy"] == "merge,retainKeys"
    ports = prop("Container", "ports")
    assert ports["x-kubernetes-patch-merge-key"] == "containerPort"
    assert ports["x-kubernetes-list-map-keys"] == ["containerPort", "protocol"]
    assert prop("Container", "env")["x-kubernetes-patch-merge-key"] == "name"
    assert prop("Container", "volumeMounts")["x-kubernetes-patch-merge-key"] == "mountPath"
    assert prop("ServiceSpec", "ports")["x-kubernetes-list-map-keys"] == ["port", "protocol"]
    assert prop("PodStatus", "conditions")["x-kubernetes-patch-merge-key"] == "type"
    assert prop("PodSpec", "topologySpreadConstraints")["x-kubernetes-list-map-keys"] == [
        "topologyKey", "whenUnsatisfiable"]
    assert "x-kubernetes-patch-merge-key" not in prop("PodSpec", "tolerations")
    meta = DEFINITIONS["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]
    assert meta["ownerReferences"]["x-kubernetes-patch-merge-key"] == "uid"
    assert meta["finalizers"]["x-kubernetes-patch-strategy"] == "merge"


def test_resource_declarations():
    expected = {
        "pods": (("po",), ("all",), True, True, ("binding", "eviction")),
        "services": (("svc",), ("all",), True, True, ()),
        "endpoints": (("ep",), (), True, False, ()),
        "nodes": (("no",), (), False, True, ()),
        "namespaces": (("ns",), (), False, True, ("finalize",)),
        "configmaps": (("cm",), (), True, False, ()),
        "secrets": ((), (), True, False, ()),
        "events": (("ev",), (), True, False, ()),
        "serviceaccounts": (("sa",), (), True, False, ()),
    }
    for plural, facts in expected.items():
        r = res(plural)
        assert (r.short_names, r.categories, r.namespaced, r.status_subresource,
                r.subresources) == facts, plural
    assert res("endpoints").singular == "endpoints"


# --- pods ----------------------------------------------------------------------


def test_pod_defaults():
    pod = create("pods", {"metadata": {"name": "p", "namespace": "d"}, "spec": {
        "containers": [{"name": "c", "image": "nginx",
                        "ports": [{"containerPort": 80}],
                        "readinessProbe": {"httpGet": {"port": 80}},
                        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                        "env": [{"name": "N", "valueFrom": {"fieldRef": {
                            "fieldPath": "metadata.name"}}}]}],
        "volumes": [{"name": "v"}, {"name": "s", "secret": {"secretName": "x"}}],
    }})
    spec = pod["spec"]
    assert {k: spec[k] for k in ("restartPolicy", "dnsPolicy", "terminationGracePeriodSeconds",
                                 "schedulerName", "securityContext", "enableServiceLinks")} == {
        "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
        "terminationGracePeriodSeconds": 30, "schedulerName": "default-scheduler",
        "securityContext": {}, "enableServiceLinks": True}
    c = spec["containers"][0]
    assert c["imagePullPolicy"] == "Always"
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert c["readinessProbe"] == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
        "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    assert c["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"
    assert spec["volumes"] == [{"name": "v", "emptyDir": {}},
                               {"name": "s", "secret": {"secretName": "x", "defaultMode": 420}}]
    assert pod["status"] == {"phase": "Pending", "qosClass": "Guaranteed"}


@pytest.mark.parametrize("image,policy", [
    ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.25", "IfNotPresent"),
    ("localhost:5000/app", "Always"), ("localhost:5000/app:v2", "IfNotPresent"),
    ("app@sha256:" + "a" * 64, "IfNotPresent"),
])
def test_image_pull_policy_default(image, policy):
    spec = {"containers": [{"name": "c", "image": image}]}
    default_pod_spec(spec)
    assert spec["containers"][0]["imagePullPolicy"] == policy


def test_pod_template_defaults_leave_pod_only_fields_alone():
    template = copy.deepcopy(NGINX_TEMPLATE)
    default_pod_template(template)
    spec = template["spec"]
    assert spec["restartPolicy"] == "Always" and spec["schedulerName"] == "default-scheduler"
    assert "enableServiceLinks" not in spec
    assert spec["serviceAccount"] == "nginx"
    assert validate_pod_template(template, "spec.template") == []


def test_qos_classes():
    def spec(*resources):
        return {"containers": [{"name": str(i), "resources": r} for i, r in enumerate(resources)]}

    both = {"cpu": "500m", "memory": "1Gi"}
    assert qos_class(spec({})) == "BestEffort"
    assert qos_class(spec({"limits": both, "requests": {"cpu": "0.5", "memory": "1024Mi"}})) \
        == "Guaranteed"
    assert qos_class(spec({"limits": both, "requests": both}, {})) == "Burstable"
    assert qos_class(spec({"requests": {"cpu": "1"}})) == "Burstable"


def pod_causes(spec: dict, old: dict | None = None) -> list[tuple[str, str]]:
    pod = {"metadata": {"name": "p", "namespace": "d"}, "spec": spec}
    res("pods").default(pod)
    return messages(res("pods").validate(pod, old))


def test_pod_validation_messages():
    assert pod_causes({"containers": []}) == [("spec.containers", "Required value")]
    got = pod_causes({
        "restartPolicy": "Sometimes",
        "containers": [
            {"name": "Web", "image": "x"},
            {"name": "side", "ports": [{"containerPort": 70000, "protocol": "HTTP"}]},
            {"name": "side", "image": "x", "volumeMounts": [{"name": "nope", "mountPath": "/x"}],
             "imagePullPolicy": "Sometimes"},
        ],
        "volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {},
                                                    "hostPath": {"path": "/"}}],
    })
    assert got == [
        ("spec.volumes[1].name", 'Duplicate value: "v"'),
        ("spec.volumes[1].hostPath", "Forbidden: may not specify more than 1 volume type"),
        ("spec.containers[0].name", 'Invalid value: "Web": ' + v.is_dns1123_label("Web")[0]),
        ("spec.containers[1].image", "Required value"),
        ("spec.containers[1].ports[0].containerPort",
         "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        ("spec.containers[1].ports[0].protocol",
         'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
        ("spec.containers[2].name", 'Duplicate value: "side"'),
        ("spec.containers[2].volumeMounts[0].name", 'Not found: "nope"'),
        ("spec.containers[2].imagePullPolicy",
         'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'),
        ("spec.restartPolicy",
         'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'),
    ]


def test_pod_validation_of_probes_env_and_init_containers():
    got = pod_causes({
        "containers": [{
            "name": "c", "image": "x",
            "livenessProbe": {"successThreshold": 2},
            "env": [{"name": "A=B", "value": "1"},
                    {"name": "S", "value": "x", "valueFrom": {"secretKeyRef": {"key": "k"}}}],
            "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}},
        }],
        "initContainers": [{"name": "i", "image": "x", "readinessProbe": {
            "exec": {"command": ["true"]}}}],
        "ephemeralContainers": [{"name": "dbg", "image": "busybox"}],
    })
    assert got == [
        ("spec.containers[0].env[0].name", 'Invalid value: "A=B": a valid environment variable '
         "name must consist only of printable ASCII characters other than '='"),
        ("spec.containers[0].env[1].valueFrom",
         'Invalid value: "": may not be specified when `value` is not empty'),
        ("spec.containers[0].livenessProbe", "Required value: must specify a handler type"),
        ("spec.containers[0].livenessProbe.successThreshold", "Invalid value: 2: must be 1"),
        ("spec.containers[0].resources.requests[cpu]",
         'Invalid value: "2": must be less than or equal to cpu limit of 1'),
        ("spec.initContainers[0].readinessProbe",
         "Forbidden: may not be set for init containers without restartPolicy=Always"),
        ("spec.ephemeralContainers", "Forbidden: cannot be set on create"),
    ]


def test_pod_update_may_change_only_some_spec_fields():
    pod = create("pods", {"metadata": {"name": "p", "namespace": "d"}, "spec": {
        "containers": [{"name": "c", "image": "nginx:1"}], "activeDeadlineSeconds": 100,
        "tolerations": [{"key": "a", "operator": "Exists"}]}})

    def update(change) -> list[tuple[str, str]]:
        new = copy.deepcopy(pod)
        change(new["spec"])
        res("pods").default(new)
        return messages(res("pods").validate(new, pod))

    def new_image(spec):
        spec["containers"][0]["image"] = "nginx:2"

    def more_tolerations(spec):
        spec["tolerations"].append({"key": "b", "operator": "Exists"})
        spec["activeDeadlineSeconds"] = 50

    assert update(new_image) == []
    assert update(lambda s: None) == []
    pod["spec"]["serviceAccountName"] = "default"  # as admission sets it, after defaulting
    assert update(lambda s: None) == []
    assert update(more_tolerations) == []
    assert update(lambda s: s.update(activeDeadlineSeconds=200)) == [
        ("spec.activeDeadlineSeconds",
         "Invalid value: 200: must be less than or equal to previous value")]
    assert update(lambda s: s["containers"][0].update(command=["sh"])) == [
        ("spec", "Forbidden: " + SPEC_UPDATE_FORBIDDEN)]
    assert SPEC_UPDATE_FORBIDDEN.startswith(
        "pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
        "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` ")
    assert update(lambda s: s.update(tolerations=[])) == [
        ("spec", "Forbidden: " + SPEC_UPDATE_FORBIDDEN)]


def running_pod(**status) -> dict:
    return {
        "metadata": {"name": "web", "namespace": "d", "creationTimestamp": "2024-01-01T00:00:00Z"},
        "spec": {"containers": [{"name": "c", "image": "x"}], "nodeName": "node-1"},
        "status": {
            "phase": "Running", "podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}],
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0,
                                   "image": "x", "imageID": "",
                                   "state": {"running": {"startedAt": "2024-01-01T00:00:01Z"}}}],
            **status,
        },
    }


def with_state(state: dict, restarts: int = 0, ready: bool = False, phase: str = "Running"):
    pod = running_pod(phase=phase)
    pod["status"]["containerStatuses"][0].update(state=state, ready=ready, restartCount=restarts)
    return pod


def test_pod_columns():
    pods = res("pods")
    assert [c.name for c in pods.columns] == [
        "Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
        "Readiness Gates"]
    assert cells(pods, running_pod(), wide=True) == [
        "web", "1/1", "Running", "0", "2024-01-01T00:00:00Z", "10.244.0.5", "node-1", "<none>",
        "<none>"]
    creating = with_state({"waiting": {"reason": "ContainerCreating"}}, phase="Pending")
    assert cells(pods, creating)[1:4] == ["0/1", "ContainerCreating", "0"]
    crashing = with_state({"waiting": {"reason": "CrashLoopBackOff"}}, restarts=4)
    assert cells(pods, crashing)[1:4] == ["0/1", "CrashLoopBackOff", "4"]
    done = with_state({"terminated": {"exitCode": 0, "reason": "Completed"}}, phase="Succeeded")
    assert cells(pods, done)[1:4] == ["0/1", "Completed", "0"]
    failed = with_state({"terminated": {"exitCode": 2}}, phase="Failed")
    assert cells(pods, failed)[2] == "ExitCode:2"
    deleting = running_pod()
    deleting["metadata"]["deletionTimestamp"] = "2024-01-01T00:01:00Z"
    assert cells(pods, deleting)[2] == "Terminating"
    unscheduled = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]},
                   "status": {"phase": "Pending"}}
    assert cells(pods, unscheduled, wide=True)[1:] == [
        "0/1", "Pending", "0", None, "<none>", "<none>", "<none>", "<none>"]


def test_pod_columns_with_init_containers_and_gates():
    pod = running_pod(phase="Pending")
    pod["spec"]["initContainers"] = [{"name": "init", "image": "x"}]
    pod["spec"]["readinessGates"] = [{"conditionType": "example.com/ready"}]
    pod["status"]["initContainerStatuses"] = [
        {"name": "init", "ready": False, "restartCount": 0, "image": "x", "imageID": "",
         "state": {"running": {}}}]
    assert cells(res("pods"), pod, wide=True)[2] == "Init:0/1"
    assert cells(res("pods"), pod, wide=True)[-1] == "0/1"
    pod["status"]["initContainerStatuses"][0]["state"] = {
        "waiting": {"reason": "CrashLoopBackOff"}}
    assert cells(res("pods"), pod)[2] == "Init:CrashLoopBackOff"


def test_pod_field_selectors():
    selectors = res("pods").field_selectors
    pod = running_pod()
    assert {k: f(pod) for k, f in selectors.items()} == {
        "spec.nodeName": "node-1", "spec.restartPolicy": "", "spec.schedulerName": "",
        "spec.serviceAccountName": "", "spec.hostNetwork": "false", "status.phase": "Running",
        "status.podIP": "10.244.0.5", "status.nominatedNodeName": ""}


# --- services ------------------------------------------------------------------


def test_service_defaults():
    svc = create("services", {"metadata": {"name": "web", "namespace": "d"}, "spec": {
        "selector": {"app": "web"},
        "ports": [{"name": "http", "port": 80},
                  {"name": "metrics", "port": 9090, "targetPort": "metrics"}]}})
    spec = svc["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert spec["ports"][0] == {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}
    assert spec["ports"][1]["targetPort"] == "metrics"
    assert "externalTrafficPolicy" not in spec
    lb = create("services", {"metadata": {"name": "lb", "namespace": "d"}, "spec": {
        "type": "LoadBalancer", "sessionAffinity": "ClientIP", "ports": [{"port": 443}]}})
    assert lb["spec"]["externalTrafficPolicy"] == "Cluster"
    assert lb["spec"]["allocateLoadBalancerNodePorts"] is True
    assert lb["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def service_causes(spec: dict, old: dict | None = None) -> list[tuple[str, str]]:
    svc = {"metadata": {"name": "s", "namespace": "d"}, "spec": spec}
    res("services").default(svc)
    return messages(res("services").validate(svc, old))


def test_service_validation_messages():
    assert service_causes({}) == [("spec.ports", "Required value")]
    assert service_causes({"clusterIP": "None"}) == []
    assert service_causes({"type": "ExternalName"}) == [("spec.externalName", "Required value")]
    assert service_causes({"type": "Bogus", "ports": [{"port": 80}]}) == [
        ("spec.type", 'Unsupported value: "Bogus": supported values: "ClusterIP", '
                      '"ExternalName", "LoadBalancer", "NodePort"')]
    assert service_causes({"ports": [{"port": 80}, {"port": 0, "name": "b"},
                                     {"port": 80, "name": "c"}]}) == [
        ("spec.ports[0].name", "Required value"),
        ("spec.ports[1].port", "Invalid value: 0: must be between 1 and 65535, inclusive"),
        ("spec.ports[1].targetPort", "Invalid value: 0: must be between 1 and 65535, inclusive"),
        ("spec.ports[2]", 'Duplicate value: {"port":80,"protocol":"TCP"}'),
    ]
    assert service_causes({"ports": [{"port": 80, "nodePort": 30080}]}) == [
        ("spec.ports[0].nodePort", "Forbidden: may not be used when `type` is 'ClusterIP'")]


def test_service_cluster_ip_is_immutable_and_names_are_dns1035():
    old = create("services", {"metadata": {"name": "s", "namespace": "d"}, "spec": {
        "clusterIP": "10.96.0.20", "ports": [{"port": 80}]}})
    assert old["spec"]["clusterIPs"] == ["10.96.0.20"]
    assert service_causes({"clusterIP": "10.96.0.21", "ports": [{"port": 80}]}, old) == [
        ("spec.clusterIP", 'Invalid value: "10.96.0.21": field is immutable')]
    name_check = res("services").name_validator
    assert validate_object_meta({"metadata": {"name": "1web", "namespace": "d"}}, True,
                                name_validator=name_check)[0].message.startswith(
        'Invalid value: "1web": a DNS-1035 label')


def test_service_columns():
    services = res("services")
    assert [c.name for c in services.columns] == [
        "Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]
    svc = {"metadata": {"name": "web", "creationTimestamp": "t"}, "spec": {
        "type": "NodePort", "clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.5"],
        "selector": {"tier": "fe", "app": "web"},
        "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"},
                  {"port": 53, "protocol": "UDP"}]}}
    assert cells(services, svc, wide=True) == [
        "web", "NodePort", "10.96.0.5", "<none>", "80:30080/TCP,53/UDP", "t",
        "app=web,tier=fe"]
    lb = {"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": []}}
    assert cells(services, lb)[3:5] == ["<pending>", "<none>"]
    lb["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}
    assert cells(services, lb)[3] == "192.0.2.10"
    ext = {"metadata": {"name": "x"}, "spec": {"type": "ExternalName",
                                               "externalName": "example.com"}}
    assert cells(services, ext)[2:4] == ["<none>", "example.com"]


# --- other kinds ---------------------------------------------------------------

SAMPLES = {
    "nodes": {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "node-1", "labels": {"node-role.kubernetes.io/control-plane": "",
                                                  "kubernetes.io/hostname": "node-1"}},
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"],
                 "taints": [{"key": "node-role.kubernetes.io/control-plane",
                             "effect": "NoSchedule"}]},
        "status": {
            "capacity": {"cpu": "2", "memory": "8Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "lastHeartbeatTime": "2024-01-01T00:00:00Z"}],
            "addresses": [{"type": "InternalIP", "address": "192.168.1.10"},
                          {"type": "Hostname", "address": "node-1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Debian GNU/Linux 12",
                         "kernelVersion": "6.1.0", "containerRuntimeVersion": "kubelite://0.1",
                         "operatingSystem": "linux", "architecture": "amd64"},
            "images": [{"names": ["nginx:1.25"], "sizeBytes": 1000}],
        },
    },
    "namespaces": {"metadata": {"name": "team-a"}},
    "configmaps": {"metadata": {"name": "cfg", "namespace": "d"},
                   "data": {"mode": "fast", "app.properties": "a=1"},
                   "binaryData": {"logo.png": "iVBORw0KGgo="}},
    "secrets": {"metadata": {"name": "tls", "namespace": "d"}, "type": "kubernetes.io/tls",
                "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}},
    "serviceaccounts": {"metadata": {"name": "build", "namespace": "d"},
                        "secrets": [{"name": "build-token"}],
                        "imagePullSecrets": [{"name": "registry"}]},
    "endpoints": {"metadata": {"name": "web", "namespace": "d"}, "subsets": [{
        "addresses": [{"ip": "10.244.0.5", "nodeName": "node-1",
                       "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "d"}}],
        "notReadyAddresses": [{"ip": "10.244.0.6"}],
        "ports": [{"name": "http", "port": 8080}, {"name": "dns", "port": 53,
                                                   "protocol": "UDP"}]}]},
    "events": {"metadata": {"name": "web.17a", "namespace": "d"},
               "involvedObject": {"kind": "Pod", "namespace": "d", "name": "web",
                                  "fieldPath": "spec.containers{c}", "apiVersion": "v1"},
               "reason": "Pulled", "message": "Pulled image  ", "type": "Normal",
               "source": {"component": "kubelet", "host": "node-1"},
               "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:05:00Z",
               "count": 3},
}


@pytest.mark.parametrize("plural", sorted(SAMPLES))
def test_samples_are_valid(plural):
    create(plural, SAMPLES[plural])


def test_simple_defaults():
    ns = create("namespaces", SAMPLES["namespaces"])
    assert ns["spec"] == {"finalizers": ["kubernetes"]} and ns["status"] == {"phase": "Active"}
    node = create("nodes", SAMPLES["nodes"])
    assert node["status"]["allocatable"] == node["status"]["capacity"]
    ep = create("endpoints", SAMPLES["endpoints"])
    assert ep["subsets"][0]["ports"][0]["protocol"] == "TCP"
    secret = create("secrets", {"metadata": {"name": "s"}, "stringData": {"pw": "hunter2"},
                                "data": {"user": "YWRtaW4="}})
    assert secret == {"metadata": {"name": "s"}, "type": "Opaque",
                      "data": {"user": "YWRtaW4=", "pw": "aHVudGVyMg=="}}


def test_config_map_and_secret_validation():
    cm = res("configmaps")
    bad = {"metadata": {"name": "c"}, "data": {"a b": "1", "x": "1"}, "binaryData": {"x": "AA=="}}
    assert messages(cm.validate(bad, None)) == [
        ("data[a b]", 'Invalid value: "a b": ' + v.is_config_map_key("a b")[0]),
        ("data[x]", 'Invalid value: "x": duplicate of key present in binaryData'),
        ("binaryData[x]", 'Invalid value: "x": duplicate of key present in data'),
    ]
    big = {"metadata": {"name": "c"}, "data": {"a": "x" * (1024 * 1024 + 1)}}
    assert messages(cm.validate(big, None)) == [("", "Too long: may not be more than "
                                                     "1048576 bytes")]
    frozen = {"metadata": {"name": "c"}, "data": {"a": "1"}, "immutable": True}
    assert messages(cm.validate({**frozen, "data": {"a": "2"}}, frozen)) == [
        ("data", "Forbidden: field is immutable when `immutable` is set")]
    secrets = res("secrets")
    tls = {"metadata": {"name": "s"}, "type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}}
    assert messages(secrets.validate(tls, None)) == [("data[tls.key]", "Required value")]
    opaque = {"metadata": {"name": "s"}, "type": "Opaque"}
    assert messages(secrets.validate({**opaque, "type": "kubernetes.io/basic-auth",
                                      "data": {"username": "eA=="}}, opaque)) == [
        ("type", 'Invalid value: "kubernetes.io/basic-auth": field is immutable')]


def test_node_namespace_and_event_validation():
    node = copy.deepcopy(SAMPLES["nodes"])
    node["spec"]["taints"].append({"key": "bad key", "effect": "Sometimes"})
    got = messages(res("nodes").validate(node, None))
    assert [f for f, _ in got] == ["spec.taints[1].key", "spec.taints[1].effect"]
    assert got[1][1] == ('Unsupported value: "Sometimes": supported values: "NoSchedule", '
                         '"PreferNoSchedule", "NoExecute"')
    assert validate_object_meta({"metadata": {"name": "a.b"}}, False,
                                name_validator=res("namespaces").name_validator) != []
    ns = {"metadata": {"name": "x"}, "spec": {"finalizers": ["custom"]}}
    assert messages(res("namespaces").validate(ns, None)) == [
        ("spec.finalizers", 'Invalid value: "custom": name is neither a standard finalizer '
                            "name nor is it fully qualified")]
    event = copy.deepcopy(SAMPLES["events"])
    event["involvedObject"]["namespace"] = "other"
    assert messages(res("events").validate(event, None)) == [
        ("involvedObject.namespace", 'Invalid value: "other": does not match event.namespace')]


def test_other_columns():
    nodes = res("nodes")
    assert cells(nodes, SAMPLES["nodes"], wide=True) == [
        "node-1", "Ready", "control-plane", None, "v1.32.0", "192.168.1.10", "<none>",
        "Debian GNU/Linux 12", "6.1.0", "kubelite://0.1"]
    cordoned = copy.deepcopy(SAMPLES["nodes"])
    cordoned["spec"]["unschedulable"] = True
    cordoned["status"]["conditions"][0]["status"] = "Unknown"
    assert cells(nodes, cordoned)[1] == "NotReady,SchedulingDisabled"
    assert res("nodes").field_selectors["spec.unschedulable"](cordoned) == "true"
    assert cells(res("namespaces"), create("namespaces", SAMPLES["namespaces"])) == [
        "team-a", "Active", None]
    assert cells(res("configmaps"), SAMPLES["configmaps"]) == ["cfg", 3, None]
    assert cells(res("secrets"), SAMPLES["secrets"]) == ["tls", "kubernetes.io/tls", 2, None]
    assert cells(res("serviceaccounts"), SAMPLES["serviceaccounts"]) == ["build", 1, None]
    assert cells(res("endpoints"), SAMPLES["endpoints"]) == [
        "web", "10.244.0.5:8080,10.244.0.5:53", None]
    many = {"subsets": [{"addresses": [{"ip": f"10.0.0.{i}"} for i in range(5)],
                         "ports": [{"port": 80}]}]}
    assert cells(res("endpoints"), many)[1] == (
        "10.0.0.0:80,10.0.0.1:80,10.0.0.2:80 + 2 more...")
    events = res("events")
    assert cells(events, SAMPLES["events"]) == [
        "2024-01-01T00:05:00Z", "Normal", "Pulled", "pod/web", "Pulled image"]
    assert cells(events, SAMPLES["events"], wide=True)[4:6] == [
        "spec.containers{c}", "kubelet, node-1"]
    assert events.field_selectors["involvedObject.name"](SAMPLES["events"]) == "web"
    assert events.field_selectors["source"](SAMPLES["events"]) == "kubelet"
    assert res("secrets").field_selectors["type"](SAMPLES["secrets"]) == "kubernetes.io/tls"
