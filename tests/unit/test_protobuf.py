"""Kubernetes protobuf request bodies: the wire reader on hand-built bytes, the
decoder on hand-built objects, and real kubectl bodies (tests/unit/data/
protobuf, see its README) decoded to exactly the JSON kubectl would have sent.

Comparison with kubectl's JSON leaves out, on both sides, nulls and the zero
"", 0 and false of fields that are never pointers: Go writes some plain fields
even at their zero value (`"creationTimestamp": null`, a PodDisruptionBudget's
`"currentHealthy": 0`), which decoding leaves out, as a zero plain field is
the same as an absent one. Zeros of pointer fields (`replicas: 0`) count, and
empty objects such as `"status": {}` are in both forms."""

import json
from pathlib import Path
from typing import Any

import pytest

import kubelite.api.all  # noqa: F401  (fills DEFINITIONS)
import kubelite.api.apps.controllerrevisions  # noqa: F401
import kubelite.api.apps.deployments  # noqa: F401
import kubelite.api.batch.cronjobs  # noqa: F401
import kubelite.api.batch.jobs  # noqa: F401
import kubelite.api.coordination.leases  # noqa: F401
import kubelite.api.networking.ingresses  # noqa: F401
from kubelite.api.meta import LABEL_SELECTOR, TIME, quantities, strings, top_level
from kubelite.api.schema import (
    DEFINITIONS,
    Schema,
    array,
    boolean,
    int_or_string,
    integer,
    map_of,
    obj,
    ref,
    string,
)
from kubelite.apiserver.protobuf import (
    MAGIC,
    decode,
    definition_for,
    read_varint,
    signed,
    wire_fields,
)
from kubelite.apiserver.protobuf_fields import FIELDS, INLINED, NULLABLE

DATA = Path(__file__).parent / "data" / "protobuf"
CORE = "io.k8s.api.core.v1."
APPS = "io.k8s.api.apps.v1."


# --- a tiny encoder for hand-built messages ---------------------------------------

def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def num(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def msg(number: int, *parts: bytes | str) -> bytes:
    data = b"".join(p.encode() if isinstance(p, str) else p for p in parts)
    return varint(number << 3 | 2) + varint(len(data)) + data


def entry(number: int, key: str, value: bytes | str) -> bytes:
    return msg(number, msg(1, key), msg(2, value))


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return MAGIC + msg(1, msg(1, api_version), msg(2, kind)) + msg(2, raw)


# --- the wire format -------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**31, 2**63, 2**64 - 1])
def test_varints_round_trip(value: int) -> None:
    data = varint(value) + b"\x07"
    assert read_varint(data, 0) == (value, len(data) - 1)


def test_negative_numbers_are_ten_byte_twos_complement() -> None:
    assert varint(-1) == b"\xff" * 9 + b"\x01"
    assert signed(read_varint(varint(-1), 0)[0]) == -1
    assert signed(read_varint(varint(-(2**31)), 0)[0]) == -(2**31)
    assert signed(read_varint(varint(2**63 - 1), 0)[0]) == 2**63 - 1


def test_varint_errors() -> None:
    with pytest.raises(ValueError, match="truncated"):
        read_varint(b"\x80\x80", 0)
    with pytest.raises(ValueError, match="more than 10 bytes"):
        read_varint(b"\xff" * 11, 0)


def test_wire_fields_reads_every_wire_type() -> None:
    data = (num(1, 150) + msg(2, "hi") + varint(3 << 3 | 1) + b"\x01" * 8
            + varint(4 << 3 | 5) + b"\x02" * 4 + num(1, 0))
    assert list(wire_fields(data)) == [
        (1, 0, 150), (2, 2, b"hi"), (3, 1, b"\x01" * 8), (4, 5, b"\x02" * 4), (1, 0, 0)]


@pytest.mark.parametrize("data, error", [
    (msg(1, "abc")[:-1], "truncated"),
    (varint(1 << 3 | 1) + b"\x00" * 7, "truncated"),
    (varint(1 << 3 | 3), "wire type 3"),
    (num(0, 1), "field number 0"),
])
def test_wire_fields_errors(data: bytes, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        list(wire_fields(data))


# --- hand-built objects ----------------------------------------------------------

def meta(name: bytes | str, *parts: bytes) -> bytes:
    return msg(1, msg(1, name), *parts)


def test_nested_messages_maps_and_zero_values() -> None:
    container = msg(2, msg(1, "web"), msg(2, "nginx"), msg(6, num(3, 80)),
                    num(16, 0))                                  # stdin: false (plain)
    template = msg(3, msg(1, entry(11, "app", "web")), msg(2, container))
    spec = msg(2, num(1, 0),                                     # replicas: 0 (pointer)
               msg(2, entry(1, "app", "web")),                   # selector.matchLabels
               template,
               msg(4, msg(1, "RollingUpdate"),
                   msg(2, msg(1, num(1, 0), num(2, 0)),          # maxUnavailable: 0
                       msg(2, num(1, 1), msg(3, "25%")))),       # maxSurge: "25%"
               num(5, 0))                                        # minReadySeconds: 0 (plain)
    body = envelope("apps/v1", "Deployment", meta("d", msg(2, "")) + spec)
    skipped: list[str] = []
    assert decode(body, skipped=skipped) == {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "web", "image": "nginx",
                                                  "ports": [{"containerPort": 80}]}]}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
        },
    }
    assert skipped == []


def test_packed_and_unpacked_repeated_scalars_and_negatives() -> None:
    containers = msg(2, msg(1, "c"))
    packed = msg(14, msg(4, varint(3000) + varint(4000)))         # supplementalGroups
    unpacked = msg(14, num(4, 3000), num(4, 4000))
    for security in (packed, unpacked):
        spec = msg(2, containers, security, num(25, -5))         # priority: -5
        pod = decode(envelope("v1", "Pod", meta("p") + spec))
        assert pod["spec"]["securityContext"] == {"supplementalGroups": [3000, 4000]}
        assert pod["spec"]["priority"] == -5


def test_bytes_times_and_quantities() -> None:
    created = msg(8, num(1, 1714979289))                          # 2024-05-06T07:08:09Z
    secret = envelope("v1", "Secret", meta("s", created) + entry(2, "k", b"\x00\xffv")
                      + entry(4, "plain", "text") + msg(3, "Opaque"))
    assert decode(secret) == {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s", "creationTimestamp": "2024-05-06T07:08:09Z"},
        "data": {"k": "AP92"}, "stringData": {"plain": "text"}, "type": "Opaque",
    }
    renew = msg(4, num(1, 1714979289), num(2, 123456789))
    lease = envelope("coordination.k8s.io/v1", "Lease",
                     meta("l") + msg(2, msg(1, "me"), renew, num(2, 0)))
    assert decode(lease)["spec"] == {"holderIdentity": "me", "leaseDurationSeconds": 0,
                                     "renewTime": "2024-05-06T07:08:09.123456Z"}
    limits = msg(8, entry(1, "cpu", msg(1, "500m")), entry(1, "memory", msg(1, "1Gi")))
    pod = decode(envelope("v1", "Pod", meta("p") + msg(2, msg(2, msg(1, "c"), limits))))
    assert pod["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "500m", "memory": "1Gi"}}


def test_raw_extension_and_fields_v1_hold_json() -> None:
    managed = msg(17, msg(1, "kubectl"), msg(2, "Update"), msg(6, "FieldsV1"),
                  msg(7, msg(1, b'{"f:data":{}}')))
    revision = envelope("apps/v1", "ControllerRevision",
                        meta("r", managed) + msg(2, msg(1, b'{"spec":{"x":1}}')) + num(3, 2))
    assert decode(revision) == {
        "apiVersion": "apps/v1", "kind": "ControllerRevision",
        "metadata": {"name": "r", "managedFields": [
            {"manager": "kubectl", "operation": "Update", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:data": {}}}]},
        "data": {"spec": {"x": 1}}, "revision": 2,
    }


def test_delete_options_of_any_group_version() -> None:
    body = envelope("apps/v1", "DeleteOptions",
                    num(1, 0) + msg(2, msg(1, "uid-1")) + msg(4, "Foreground") + msg(5, "All"))
    assert decode(body) == {
        "apiVersion": "apps/v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
        "preconditions": {"uid": "uid-1"}, "propagationPolicy": "Foreground",
        "dryRun": ["All"],
    }
    assert definition_for("v1", "DeleteOptions").endswith("meta.v1.DeleteOptions")


def test_unknown_fields_are_skipped_and_reported() -> None:
    body = envelope("v1", "ConfigMap", meta("c", num(99, 1)) + entry(2, "a", "1") + num(42, 7))
    skipped: list[str] = []
    assert decode(body, skipped=skipped) == {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    assert skipped == ["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta.99",
                       CORE + "ConfigMap.42"]


def test_the_caller_may_name_the_definition() -> None:
    body = MAGIC + msg(2, meta("x"))
    assert decode(body, CORE + "Namespace") == {"metadata": {"name": "x"}}


@pytest.mark.parametrize("body, error", [
    (b'{"kind": "Pod"}', "no k8s"),
    (envelope("v1", "Pod", meta("p"))[:-2], "truncated"),
    (envelope("v1", "Frobnicator", b""), "no kind 'Frobnicator'"),
    (envelope("example.invalid/v1", "Pod", b""), "no kind 'Pod'"),
    (envelope("v1", "Pod", num(1, 5)), "wire type 0 where 2"),
    (envelope("v1", "Pod", meta(b"\xff")), "UTF-8"),
    (envelope("v1", "Pod", b"") + msg(3, "gzip"), "content encoding"),
    (envelope("v1", "Namespace", meta("x", msg(8, num(1, 2**62)))), "time out of range"),
])
def test_bad_bodies(body: bytes, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        decode(body)


# --- the tables ------------------------------------------------------------------

def test_table_names_are_the_schemas_field_names() -> None:
    """Every numbered field of a message with a schema is a field of that
    schema (inlined messages: of the schema they are inlined into), except
    the few that newer schemas know and kubectl 1.33 does not send."""
    parents = {inner: outer for outer, table in INLINED.items() for inner in table.values()}
    for name, table in FIELDS.items():
        schema = DEFINITIONS.get(parents.get(name, name))
        if schema is None:
            continue
        missing = set(table.values()) - set(schema.get("properties", ()))
        assert not missing, (name, missing)
        assert NULLABLE.get(name, frozenset()) <= set(table.values()), name


# --- real kubectl bodies ---------------------------------------------------------

POLICY_RULE = "io.k8s.api.rbac.v1.PolicyRule"


def _kind(group: str, kind: str, fields: dict[str, Schema]) -> Schema:
    schema = top_level(kind, fields)
    schema["x-kubernetes-group-version-kind"] = [{"group": group, "version": "v1", "kind": kind}]
    return schema


# Stand-ins for kinds that have no declaration yet, with the fields the
# fixtures hold; a declaration, once written, is used instead.
STAND_INS: dict[str, Schema] = {
    CORE + "ResourceQuota": _kind("", "ResourceQuota", {
        "spec": ref(CORE + "ResourceQuotaSpec"), "status": ref(CORE + "ResourceQuotaStatus")}),
    CORE + "ResourceQuotaSpec": obj("", {"hard": quantities(), "scopes": strings()}),
    CORE + "ResourceQuotaStatus": obj("", {"hard": quantities(), "used": quantities()}),
    "io.k8s.api.scheduling.v1.PriorityClass": _kind("scheduling.k8s.io", "PriorityClass", {
        "value": integer(), "globalDefault": boolean(), "description": string(),
        "preemptionPolicy": string()}),
    "io.k8s.api.policy.v1.PodDisruptionBudget": _kind("policy", "PodDisruptionBudget", {
        "spec": ref("io.k8s.api.policy.v1.PodDisruptionBudgetSpec"),
        "status": ref("io.k8s.api.policy.v1.PodDisruptionBudgetStatus")}),
    "io.k8s.api.policy.v1.PodDisruptionBudgetSpec": obj("", {
        "minAvailable": int_or_string(), "selector": ref(LABEL_SELECTOR),
        "maxUnavailable": int_or_string(), "unhealthyPodEvictionPolicy": string()}),
    "io.k8s.api.policy.v1.PodDisruptionBudgetStatus": obj("", {
        "observedGeneration": integer(format="int64"), "disruptedPods": map_of(ref(TIME)),
        "disruptionsAllowed": integer(), "currentHealthy": integer(),
        "desiredHealthy": integer(), "expectedPods": integer()}),
    "io.k8s.api.rbac.v1.Role": _kind("rbac.authorization.k8s.io", "Role", {
        "rules": array(ref(POLICY_RULE))}),
    POLICY_RULE: obj("", {name: strings() for name in (
        "verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs")}),
}


POINTER_NAMES = frozenset().union(*NULLABLE.values())


def _comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()
                if v is not None and (k in POINTER_NAMES or v not in ("", 0))}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


@pytest.mark.parametrize("fixture", sorted(p.stem for p in DATA.glob("*.pb")))
def test_kubectl_bodies_decode_to_kubectls_json(fixture: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for name, schema in STAND_INS.items():
        if name not in DEFINITIONS:
            monkeypatch.setitem(DEFINITIONS, name, schema)
    skipped: list[str] = []
    decoded = decode((DATA / f"{fixture}.pb").read_bytes(), skipped=skipped)
    expected = json.loads((DATA / f"{fixture}.json").read_text())
    assert _comparable(decoded) == _comparable(expected)
    assert skipped == []


def test_a_full_pod_spec_survives_kubectls_protobuf() -> None:
    """kubectl copied the job template of the CronJob it was served into the
    Job it encoded: decoding gives that template back."""
    served = json.loads((DATA / "job-from-cronjob.served.json").read_text())
    job = decode((DATA / "job-from-cronjob.pb").read_bytes())
    assert job["spec"] == served["spec"]["jobTemplate"]["spec"]
    pod = job["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 0
    assert pod["automountServiceAccountToken"] is False
    assert pod["priority"] == -5
    assert job["spec"]["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"] == [1, 2, 42]
