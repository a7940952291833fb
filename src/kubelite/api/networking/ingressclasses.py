"""networking.k8s.io/v1 IngressClass: names an ingress controller (and its
parameters) that Ingresses pick with spec.ingressClassName."""

from __future__ import annotations

import re

from kubelite.api import validation as v
from kubelite.api.meta import AGE_COLUMN, NAME_COLUMN, top_level
from kubelite.api.networking.ingresses import validate_typed_reference
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import define, obj, ref, string

NETWORKING = "io.k8s.api.networking.v1."
INGRESS_CLASS = NETWORKING + "IngressClass"
SCOPES = ("Cluster", "Namespace")
MAX_CONTROLLER_LENGTH = 250
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
_HTTP_PATH_FMT = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"

define(NETWORKING + "IngressClassParametersReference", obj(
    "The object that holds a controller's configuration for this class.",
    {
        "apiGroup": string("Group of the object; empty for the core group."),
        "kind": string("Kind of the object."),
        "name": string("Name of the object."),
        "scope": string("Cluster (the default) or Namespace.", enum=list(SCOPES)),
        "namespace": string("Namespace of the object; required with scope Namespace, "
                            "forbidden with Cluster."),
    },
    required=("kind", "name"),
))

define(NETWORKING + "IngressClassSpec", obj(
    "Which controller implements the class.",
    {
        "controller": string("The controller's name as a domain-prefixed path, e.g. "
                             "example.com/ingress-controller. Immutable."),
        "parameters": ref(NETWORKING + "IngressClassParametersReference",
                          "Extra configuration for the controller."),
    },
))

define(INGRESS_CLASS, top_level(
    "A kind of Ingress, implemented by one controller. The annotation "
    f"{DEFAULT_CLASS_ANNOTATION}: \"true\" makes it the default class.",
    {"spec": ref(NETWORKING + "IngressClassSpec", "The controller and its parameters.")},
), gvk=("networking.k8s.io", "v1", "IngressClass"))


def default(ingress_class: Obj) -> None:
    parameters = (ingress_class.get("spec") or {}).get("parameters")
    if parameters is not None and parameters.get("scope") is None:
        parameters["scope"] = "Cluster"


def _validate_controller(controller: str, path: str) -> list[Cause]:
    causes = [v.too_long(path, MAX_CONTROLLER_LENGTH)] \
        if len(controller) > MAX_CONTROLLER_LENGTH else []
    if not controller:
        return causes + [v.required(path)]
    host, _, rest = controller.partition("/")
    if not host or not rest:
        return causes + [v.invalid(path, controller, "must be a domain-prefixed path "
                                                     "(such as \"acme.io/foo\")")]
    causes += v.check(path, host, v.is_dns1123_subdomain(host))
    if not re.fullmatch(_HTTP_PATH_FMT, rest):
        causes.append(v.invalid(path, rest, f"Invalid path (regex used for validation is "
                                            f"'{_HTTP_PATH_FMT}')"))
    return causes


def _validate_parameters(parameters: Obj, path: str) -> list[Cause]:
    causes = validate_typed_reference(parameters, path)
    scope, namespace = parameters.get("scope"), parameters.get("namespace")
    if scope is None:
        return causes + [v.required(f"{path}.scope")]
    if scope not in SCOPES:
        return causes + [v.not_supported(f"{path}.scope", scope, SCOPES)]
    if scope == "Namespace":
        if namespace is None:
            causes.append(v.required(f"{path}.namespace",
                                     "`parameters.scope` is set to 'Namespace'"))
        else:
            causes += v.check(f"{path}.namespace", namespace, v.is_dns1123_label(namespace))
    elif namespace is not None:
        causes.append(v.forbidden(f"{path}.namespace", "`parameters.scope` is set to "
                                                       "'Cluster'"))
    return causes


def validate(ingress_class: Obj, old: Obj | None) -> list[Cause]:
    spec = ingress_class.get("spec") or {}
    causes = _validate_controller(spec.get("controller") or "", "spec.controller")
    if spec.get("parameters") is not None:
        causes += _validate_parameters(spec["parameters"], "spec.parameters")
    if old is not None:
        causes += v.unchanged("spec.controller", spec.get("controller"),
                              (old.get("spec") or {}).get("controller"))
    return causes


def _parameters(ingress_class: Obj) -> str:
    parameters = (ingress_class.get("spec") or {}).get("parameters")
    if parameters is None:
        return "<none>"
    group = parameters.get("apiGroup")
    kind = parameters.get("kind", "") + (f".{group}" if group is not None else "")
    return f"{kind}/{parameters.get('name', '')}"


RESOURCE = register(Resource(
    group="networking.k8s.io",
    version="v1",
    kind="IngressClass",
    plural="ingressclasses",
    namespaced=False,
    schema=INGRESS_CLASS,
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        Column("Controller", lambda c: (c.get("spec") or {}).get("controller", ""),
               description="The controller that implements the class."),
        Column("Parameters", _parameters, description="The controller's configuration "
                                                      "object."),
        AGE_COLUMN,
    ),
))
