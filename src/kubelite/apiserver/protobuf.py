"""Decoding of Kubernetes protobuf request bodies into JSON-shaped objects.

kubectl (1.31 and later) sends the built-in kinds it creates through typed
clients as `application/vnd.kubernetes.protobuf`: the four bytes `k8s\\0`,
then a runtime.Unknown envelope whose typeMeta names the apiVersion and kind
and whose raw bytes are the object's own message. `decode` turns such a body
into the dict a JSON request for the same object would have given, so the
rest of the API server never sees protobuf (answers stay JSON: kubectl
decodes a response by its Content-Type).

The wire format is read by the small reader below (`wire_fields`). Which
field number is which JSON field comes from `protobuf_fields`; what kind of
value a field holds (string, integer, bytes, nested object, list, map, time,
int-or-string, quantity, embedded object) comes from the kind's schema in
`kubelite.api.schema.DEFINITIONS`, so both forms always agree on the shape.

Zero values: Go cannot tell a plain (non-pointer) field at its zero value from
an absent one, and its protobuf encoder writes such fields always ("" names,
0 ports, false flags, a zero creationTimestamp), where a JSON client leaves
them out. So a zero "", 0, false or time in a field that is not in
`protobuf_fields.NULLABLE` is left out here too. Pointer fields are on the
wire only when set, so their zero values are meaningful and kept
(`replicas: 0`, `automountServiceAccountToken: false`). Empty nested objects
are kept, as Go's JSON encoder keeps them (`"status": {}`).

Fields the tables or the schema do not know are skipped; pass a list as
`skipped` to learn which. Malformed input raises ValueError.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from kubelite.api.schema import DEFINITIONS, REF_PREFIX, Schema, resolve
from kubelite.apiserver.protobuf_fields import FIELDS, INLINED, NULLABLE

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

VARINT, I64, LEN, I32 = 0, 1, 2, 5

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

WireValue = int | bytes


# --- the wire format -----------------------------------------------------------

def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned varint at `pos`, and the position after it."""
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated protobuf message")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ValueError("malformed protobuf varint (more than 10 bytes)")


def _take(data: bytes, pos: int, size: int) -> tuple[bytes, int]:
    end = pos + size
    if end > len(data):
        raise ValueError("truncated protobuf message")
    return data[pos:end], end


def wire_fields(data: bytes) -> Iterator[tuple[int, int, WireValue]]:
    """(field number, wire type, value) for each field of a message, in wire
    order. Varints come as unsigned ints; fixed 64- and 32-bit values and
    length-delimited ones as their bytes."""
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("malformed protobuf message: field number 0")
        value: WireValue
        if wire == VARINT:
            value, pos = read_varint(data, pos)
        elif wire == I64:
            value, pos = _take(data, pos, 8)
        elif wire == LEN:
            size, pos = read_varint(data, pos)
            value, pos = _take(data, pos, size)
        elif wire == I32:
            value, pos = _take(data, pos, 4)
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} (field {number})")
        yield number, wire, value


def signed(value: int) -> int:
    """A varint as the two's-complement 64-bit integer it encodes (negative
    int32 and int64 values take ten bytes on the wire)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _expect(wire: int, wanted: int, where: str, value: WireValue) -> Any:
    if wire != wanted:
        raise ValueError(f"{where}: protobuf wire type {wire} where {wanted} was expected")
    return value


# --- the apimachinery value types ----------------------------------------------

def _scalars(data: bytes) -> dict[int, WireValue]:
    """The last value of each field of a small message of scalars."""
    return {number: value for number, _, value in wire_fields(data)}


def _time(data: bytes, fraction: bool) -> str | None:
    """meta.v1.Time / MicroTime: seconds=1, nanos=2 since the epoch, UTC. The
    zero time is JSON null, as Go writes it."""
    f = _scalars(data)
    seconds, nanos = signed(int(f.get(1, 0))), signed(int(f.get(2, 0)))
    if seconds == 0 and nanos == 0:
        return None
    try:
        moment = _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    except OverflowError:
        raise ValueError(f"time out of range: {seconds} seconds") from None
    if fraction:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _int_or_string(data: bytes) -> int | str:
    """intstr.IntOrString: type=1 (0 int, 1 string), intVal=2, strVal=3."""
    f = _scalars(data)
    if f.get(1, 0) == 1:
        return bytes(f.get(3, b"")).decode()
    return signed(int(f.get(2, 0)))


def _quantity(data: bytes) -> str:
    """resource.Quantity: its canonical string in field 1."""
    return bytes(_scalars(data).get(1, b"")).decode()


def _raw_json(data: bytes) -> Any:
    """runtime.RawExtension (raw=1) and meta.v1.FieldsV1 (Raw=1): the JSON
    they hold, or an embedded protobuf object; empty is null."""
    raw = bytes(_scalars(data).get(1, b""))
    if not raw:
        return None
    if raw.startswith(MAGIC):
        return decode(raw)
    return orjson.loads(raw)


_SPECIAL: dict[str, Callable[[bytes], Any]] = {
    META + "Time": lambda data: _time(data, fraction=False),
    META + "MicroTime": lambda data: _time(data, fraction=True),
    META + "FieldsV1": _raw_json,
    "io.k8s.apimachinery.pkg.runtime.RawExtension": _raw_json,
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": _int_or_string,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": _quantity,
}


# --- messages, driven by the tables and the schemas ----------------------------

def _ref_name(schema: Schema) -> str | None:
    target = schema.get("$ref")
    if target is None and len(schema.get("allOf", ())) == 1:
        target = schema["allOf"][0].get("$ref")
    return None if target is None else target.removeprefix(REF_PREFIX)


def _opaque(schema: Schema) -> bool:
    """A field the schema keeps as free-form JSON without naming its type:
    there is no telling how its message is laid out."""
    return bool(schema.get("x-kubernetes-preserve-unknown-fields")) and _ref_name(schema) is None


def _packed(items: Schema, data: bytes, where: str) -> list[Any]:
    """The values of a packed repeated scalar field."""
    kind = items.get("type")
    if kind == "number":
        size, code = (8, "<d") if items.get("format") != "float" else (4, "<f")
        if len(data) % size:
            raise ValueError(f"{where}: truncated packed field")
        return [value for (value,) in struct.iter_unpack(code, data)]
    values, pos = [], 0
    while pos < len(data):
        value, pos = read_varint(data, pos)
        values.append(bool(value) if kind == "boolean" else signed(value))
    return values


def _scalar(schema: Schema, wire: int, value: WireValue, where: str) -> Any:
    kind = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        return _int_or_string(_expect(wire, LEN, where, value))
    if kind == "string":
        data = _expect(wire, LEN, where, value)
        if schema.get("format") == "byte":
            return base64.b64encode(data).decode()
        try:
            return data.decode()
        except UnicodeDecodeError:
            raise ValueError(f"{where}: string is not valid UTF-8") from None
    if kind == "integer":
        return signed(_expect(wire, VARINT, where, value))
    if kind == "boolean":
        return bool(_expect(wire, VARINT, where, value))
    if kind == "number":
        if wire == I64:
            return struct.unpack("<d", value)[0]
        return struct.unpack("<f", _expect(wire, I32, where, value))[0]
    raise ValueError(f"{where}: the schema gives no protobuf form for this field")


def _value(schema: Schema, wire: int, value: WireValue, where: str,
           skipped: list[str]) -> Any:
    """One (non-repeated) value of the kind the schema says."""
    name = _ref_name(schema)
    if name in _SPECIAL:
        return _SPECIAL[name](_expect(wire, LEN, where, value))
    if name is not None and "properties" in resolve(schema):
        return _message(_expect(wire, LEN, where, value), name, resolve(schema), skipped)
    return _scalar(resolve(schema), wire, value, where)


def _map_entry(schema: Schema, data: bytes, where: str,
               skipped: list[str]) -> tuple[str, Any]:
    """A map entry message: key=1 (a string in every Kubernetes map), value=2."""
    key, found = "", None
    for number, wire, value in wire_fields(data):
        if number == 1:
            key = bytes(_expect(wire, LEN, where, value)).decode()
        elif number == 2:
            found = (wire, value)
    wire, value = found if found is not None else (LEN, b"")
    return key, _value(schema, wire, value, f"{where}[{key}]", skipped)


def _message(data: bytes, name: str, schema: Schema, skipped: list[str],
             out: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fields of message `name` as JSON fields, typed by `schema` (the
    schema of the object they land in: for an inlined message, its parent's)."""
    numbers = FIELDS.get(name)
    if numbers is None:
        raise ValueError(f"no protobuf field numbers are known for {name}")
    inlined = INLINED.get(name, {})
    nullable = NULLABLE.get(name, frozenset())
    properties = schema.get("properties", {})
    out = {} if out is None else out
    for number, wire, value in wire_fields(data):
        if number in inlined:
            _message(_expect(wire, LEN, name, value), inlined[number], schema, skipped, out)
            continue
        field_name = numbers.get(number)
        field_schema = properties.get(field_name) if field_name else None
        if field_schema is None or _opaque(field_schema):
            skipped.append(f"{name}.{field_name or number}")
            continue
        where = f"{name}.{field_name}"
        if field_schema.get("type") == "array":
            items = field_schema["items"]
            values = out.setdefault(field_name, [])
            if wire == LEN and items.get("type") in ("integer", "boolean", "number"):
                values.extend(_packed(items, value, where))
            else:
                values.append(_value(items, wire, value, where, skipped))
        elif field_schema.get("type") == "object" and "additionalProperties" in field_schema:
            entry = _expect(wire, LEN, where, value)
            key, item = _map_entry(field_schema["additionalProperties"], entry, where, skipped)
            out.setdefault(field_name, {})[key] = item
        else:
            item = _value(field_schema, wire, value, where, skipped)
            if field_name in nullable or item not in (None, "", 0):
                out[field_name] = item
            else:
                out.pop(field_name, None)
    return out


# --- the envelope ----------------------------------------------------------------

def _unknown(data: bytes) -> tuple[str, str, bytes, str]:
    """runtime.Unknown: typeMeta=1 {apiVersion=1, kind=2}, raw=2,
    contentEncoding=3, contentType=4."""
    api_version = kind = encoding = ""
    raw = b""
    for number, wire, value in wire_fields(data):
        if wire != LEN:
            continue
        if number == 1:
            for inner, inner_wire, inner_value in wire_fields(value):
                if inner_wire == LEN and inner == 1:
                    api_version = inner_value.decode()
                elif inner_wire == LEN and inner == 2:
                    kind = inner_value.decode()
        elif number == 2:
            raw = value
        elif number == 3:
            encoding = value.decode()
    return api_version, kind, raw, encoding


def definition_for(api_version: str, kind: str) -> str:
    """The definition name of a kind, by the schemas' group/version/kind
    extension. The meta.v1 kinds (DeleteOptions) belong to every group
    version, as in Kubernetes."""
    group, _, version = api_version.rpartition("/")
    fallback = None
    for name, schema in DEFINITIONS.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            if gvk["kind"] != kind:
                continue
            if (gvk["group"], gvk["version"]) == (group, version):
                return name
            if name.startswith(META):
                fallback = name
    if fallback is None:
        raise ValueError(f"no kind {kind!r} is known in {api_version!r}")
    return fallback


def decode(body: bytes, definition: str | None = None, *,
           skipped: list[str] | None = None) -> dict[str, Any]:
    """The JSON-shaped object a Kubernetes protobuf body holds, with the
    apiVersion and kind of its envelope. `definition` names the message when
    the caller knows it better than the envelope; `skipped` collects the
    fields that were left out because no table or schema knows them."""
    if not body.startswith(MAGIC):
        raise ValueError("not a Kubernetes protobuf body (no k8s\\0 prefix)")
    try:
        api_version, kind, raw, encoding = _unknown(body[len(MAGIC):])
        if encoding:
            raise ValueError(f"unsupported protobuf content encoding {encoding!r}")
        name = definition or definition_for(api_version, kind)
        if name not in DEFINITIONS:
            raise ValueError(f"no schema is known for {name}")
        head = {"apiVersion": api_version, "kind": kind}
        obj = {key: value for key, value in head.items() if value}
        return _message(raw, name, resolve(DEFINITIONS[name]), [] if skipped is None else skipped,
                        obj)
    except UnicodeDecodeError:
        raise ValueError("malformed protobuf body: text is not valid UTF-8") from None
    except RecursionError:
        raise ValueError("protobuf body nests too deeply") from None
