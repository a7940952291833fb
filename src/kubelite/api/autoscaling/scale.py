"""autoscaling/v1 Scale: the view of a workload's replica count that the
`scale` subresource serves (`kubectl scale`, autoscalers)."""

from __future__ import annotations

from kubelite.api.schema import define, integer, obj, ref, string

PREFIX = "io.k8s.api.autoscaling.v1."
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

define(PREFIX + "ScaleSpec", obj("The replica count asked for.", {
    "replicas": integer("How many replicas the scaled object should run."),
}))

define(PREFIX + "ScaleStatus", obj("The replica count observed.", {
    "replicas": integer("How many replicas the scaled object runs now."),
    "selector": string(
        "The label selector of the scaled object's pods, in the text form of a "
        "label query (as `kubectl get -l` takes it)."
    ),
}, required=("replicas",)))

define(PREFIX + "Scale", obj("The replica count of a scalable object.", {
    "apiVersion": string("The versioned schema of this object."),
    "kind": string("The type of this object."),
    "metadata": ref(OBJECT_META, "The scaled object's metadata."),
    "spec": ref(PREFIX + "ScaleSpec", "The wanted replica count."),
    "status": ref(PREFIX + "ScaleStatus", "The current replica count; read only."),
}), gvk=("autoscaling", "v1", "Scale"))
