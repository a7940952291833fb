"""Pure parts of the API server: paths, decoding against schemas, tables,
discovery, server-set metadata, OpenAPI paths, service address bookkeeping."""

from datetime import UTC, datetime

from kubelite.api.resource import Column, Resource, ScaleSpec
from kubelite.api.schema import (
    DEFINITIONS,
    array,
    boolean,
    define,
    int_or_string,
    integer,
    map_of,
    obj,
    ref,
    string,
)
from kubelite.apiserver import discovery, objectmeta, tables
from kubelite.apiserver.allocators import IP_PREFIX, PORT_PREFIX, carry_over, held
from kubelite.apiserver.fieldvalidation import check
from kubelite.apiserver.openapi import OpenAPI, resource_paths
from kubelite.apiserver.routes import RequestInfo, parse_path

NAMESPACED = {("", "v1", "pods"), ("apps", "v1", "deployments")}


def test_parse_path_forms():
    assert parse_path("/api/v1/pods", NAMESPACED) == RequestInfo("", "v1", "pods")
    assert parse_path("/api/v1/namespaces/web/pods/a/status", NAMESPACED) == RequestInfo(
        "", "v1", "pods", "web", "a", "status"
    )
    assert parse_path("/api/v1/namespaces/web", NAMESPACED) == RequestInfo(
        "", "v1", "namespaces", None, "web"
    )
    assert parse_path("/api/v1/namespaces/web/finalize", NAMESPACED) == RequestInfo(
        "", "v1", "namespaces", None, "web", "finalize"
    )
    assert parse_path("/apis/apps/v1/namespaces/x/deployments/d/scale", NAMESPACED) == (
        RequestInfo("apps", "v1", "deployments", "x", "d", "scale")
    )
    for discovery_path in ("/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1"):
        assert parse_path(discovery_path, NAMESPACED) is None
    assert parse_path("/api/v1/namespaces/x/pods/a/b/c", NAMESPACED) is None


TEST_SCHEMA = "io.kubelite.test.v1.Widget"
if TEST_SCHEMA not in DEFINITIONS:
    define("io.kubelite.test.v1.WidgetPart", obj("a part", {
        "name": string(), "count": integer(), "port": int_or_string(),
    }))
    define(TEST_SCHEMA, obj("a widget", {
        "apiVersion": string(), "kind": string(),
        "metadata": obj("meta", {"name": string(), "labels": map_of(string())}),
        "spec": obj("spec", {
            "parts": array(ref("io.kubelite.test.v1.WidgetPart"), merge_key="name",
                           strategy="merge"),
            "enabled": boolean(),
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        }),
    }))


def test_check_prunes_unknown_fields_and_reports_paths():
    body = {"apiVersion": "v1", "kind": "Widget", "metadata": {"name": "w", "bogus": 1},
            "spec": {"parts": [{"name": "a", "count": 2, "port": "http", "color": "red"}],
                     "extra": {"anything": {"goes": True}}}}
    decoded = check(body, DEFINITIONS[TEST_SCHEMA])
    assert decoded.unknown == ["metadata.bogus", "spec.parts[0].color"]
    assert decoded.type_errors == []
    assert decoded.obj["spec"]["parts"][0] == {"name": "a", "count": 2, "port": "http"}
    assert decoded.obj["spec"]["extra"] == {"anything": {"goes": True}}
    assert "bogus" not in decoded.obj["metadata"]


def test_check_reports_type_errors():
    body = {"spec": {"parts": [{"count": "three"}], "enabled": "yes"}, "metadata": []}
    decoded = check(body, DEFINITIONS[TEST_SCHEMA])
    assert decoded.type_errors == [  # in the document's order
        "spec.parts[0].count: expected integer, got string",
        "spec.enabled: expected boolean, got string",
        "metadata: expected object, got array",
    ]


def test_human_duration_like_kubectl():
    cases = {0: "0s", 59: "59s", 119: "119s", 120: "2m", 150: "2m30s", 600: "10m",
             3 * 3600: "3h", 3 * 3600 + 600: "3h10m", 20 * 3600: "20h", 50 * 3600: "2d2h",
             10 * 86400: "10d", 800 * 86400: "2y70d"}
    for seconds, want in cases.items():
        assert tables.human_duration(seconds) == want, seconds


WIDGETS = Resource(
    group="example.com", version="v1", kind="Widget", plural="widgets", namespaced=True,
    schema=TEST_SCHEMA, short_names=("wd",), categories=("all",), status_subresource=True,
    scale=ScaleSpec(),
    columns=(Column("Name", lambda o: o["metadata"]["name"]),
             Column("Parts", lambda o: len(o["spec"]["parts"]), type="integer"),
             Column("Age", lambda o: o["metadata"]["creationTimestamp"], type="date")),
)


def test_table_rows_and_columns():
    now = datetime(2026, 1, 1, 0, 10, tzinfo=UTC)
    w = {"metadata": {"name": "w", "creationTimestamp": "2026-01-01T00:00:00Z"},
         "spec": {"parts": [{}, {}]}}
    t = tables.table(WIDGETS, [w], now=now)
    assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Parts", "Age"]
    assert t["rows"][0]["cells"] == ["w", 2, "10m"]
    assert t["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert "columnDefinitions" not in tables.table(WIDGETS, [w], with_columns=False, now=now)


def test_discovery_lists_subresources_and_names():
    listed = discovery.api_resource_list("example.com/v1", [WIDGETS])
    names = [r["name"] for r in listed["resources"]]
    assert names == ["widgets", "widgets/status", "widgets/scale"]
    main = listed["resources"][0]
    assert main["shortNames"] == ["wd"] and main["categories"] == ["all"]
    assert listed["resources"][2]["kind"] == "Scale"
    groups = discovery.api_group_list([WIDGETS])
    assert groups["groups"][0]["preferredVersion"] == {
        "groupVersion": "example.com/v1", "version": "v1"}


def test_prepare_create_and_update():
    o = {"metadata": {"generateName": "web-", "resourceVersion": "5"}, "spec": {"a": 1}}
    objectmeta.prepare_create(o, "ns")
    meta = o["metadata"]
    assert meta["name"].startswith("web-") and len(meta["name"]) == 9
    assert meta["namespace"] == "ns" and meta["generation"] == 1 and "resourceVersion" not in meta
    new = {"metadata": {"name": meta["name"], "uid": "forged"}, "spec": {"a": 2},
           "status": {"x": 1}}
    old = {**o, "status": {"x": 0}}
    objectmeta.prepare_update(new, old, keep_status=True)
    assert new["metadata"]["uid"] == meta["uid"]
    assert new["metadata"]["generation"] == 2
    assert new["status"] == {"x": 0}


def test_openapi_patch_ops_advertise_field_validation():
    paths = resource_paths(WIDGETS)
    patch = paths["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "example.com", "version": "v1", "kind": "Widget"}
    assert any(p["name"] == "fieldValidation" and p["in"] == "query"
               for p in patch["parameters"])
    doc = OpenAPI([WIDGETS])
    index = doc.v3_index()["paths"]
    assert list(index) == ["apis/example.com/v1"]
    assert b"io.kubelite.test.v1.WidgetPart" in doc.v3_document("apis/example.com/v1")
    assert b"#/definitions/io.kubelite.test.v1.WidgetPart" in doc.v2_document()


def test_service_addresses_held_and_carried_over():
    svc = {"spec": {"type": "NodePort", "clusterIP": "10.96.0.9", "clusterIPs": ["10.96.0.9"],
                    "ports": [{"port": 80, "nodePort": 30080}]}}
    assert held(svc) == {IP_PREFIX + "10.96.0.9", PORT_PREFIX + "30080"}
    new = {"spec": {"type": "NodePort", "ports": [{"port": 80}, {"port": 81}]}}
    carry_over(new, svc)
    assert new["spec"]["clusterIP"] == "10.96.0.9"
    assert new["spec"]["ports"] == [{"port": 80, "nodePort": 30080}, {"port": 81}]
    assert held({"spec": {"clusterIP": "None", "clusterIPs": ["None"]}}) == set()


def test_aggregated_discovery_document():
    doc = discovery.aggregated([WIDGETS], core=False, api_version="apidiscovery.k8s.io/v2")
    assert doc["kind"] == "APIGroupDiscoveryList"
    (group,) = doc["items"]
    assert group["metadata"]["name"] == "example.com"
    (version,) = group["versions"]
    (res,) = version["resources"]
    assert res["resource"] == "widgets" and res["scope"] == "Namespaced"
    assert res["responseKind"] == {"group": "example.com", "version": "v1", "kind": "Widget"}
    assert [s["subresource"] for s in res["subresources"]] == ["status", "scale"]
    assert res["subresources"][1]["responseKind"]["kind"] == "Scale"
    assert discovery.aggregated([WIDGETS], core=True, api_version="x")["items"] == []


def test_metrics_render_request_and_store_histograms():
    from kubelite.apiserver.metrics import Metrics

    class FakeRequest:
        method = "GET"
        path = "/api/v1/namespaces/default/pods"
        query: dict = {}

    m = Metrics()
    m.observe(FakeRequest(), 200, 0.003)
    m.observe_store("Range", 0.02)
    m.watchers = 2
    text = m.render()
    assert 'apiserver_request_total{verb="GET",resource="pods",code="200"} 1' in text
    assert 'apiserver_request_duration_seconds_bucket{verb="GET",resource="pods",le="0.005"} 1' \
        in text
    assert 'etcd_request_duration_seconds_bucket{operation="Range",le="0.01"} 0' in text
    assert 'etcd_request_duration_seconds_count{operation="Range"} 1' in text
    assert "apiserver_registered_watchers 2" in text
