"""Drives Confluent's own Schema Registry client (confluent-kafka's SchemaRegistryClient) against the
test registry whose URL is the first argument, so that the fake cannot drift from the real API.
Exits 0 after printing "ok"; any mismatch fails with an assertion naming it."""

import sys

from confluent_kafka.schema_registry import (
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
)
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

URL = sys.argv[1]

ORDER_V1 = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'
ORDER_V2 = (
    '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"},'
    ' {"name": "amount", "type": "double", "default": 0}]}'
)
ORDER_BAD = (
    '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"},'
    ' {"name": "currency", "type": "string"}]}'
)
COMMON_PROTO = 'syntax = "proto3";\npackage shop;\nmessage Money { string currency = 1; int64 units = 2; }\n'
PRICE_PROTO = (
    'syntax = "proto3";\npackage shop;\nimport "common.proto";\n'
    "message Price { string sku = 1; shop.Money money = 2; }\n"
)
JSON_SCHEMA = '{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}'


def fails_with(code, call):
    try:
        call()
    except SchemaRegistryError as error:
        assert error.error_code == code, f"expected {code}, got {error.error_code}: {error.error_message}"
        return error
    raise AssertionError(f"expected error {code}, the call succeeded")


def main():
    client = SchemaRegistryClient({"url": URL})
    fresh = lambda: SchemaRegistryClient({"url": URL})  # noqa: E731 (no cache between steps)

    assert sorted(client.get_schema_types()) == ["AVRO", "JSON", "PROTOBUF"]

    # Avro: register, again (same id), get by id, by version, latest, lookup.
    v1 = client.register_schema("orders-value", Schema(ORDER_V1, "AVRO"))
    assert fresh().register_schema("orders-value", Schema(ORDER_V1, "AVRO")) == v1
    by_id = fresh().get_schema(v1)
    assert by_id.schema_type == "AVRO" and by_id.schema_str.replace(" ", "") == ORDER_V1.replace(" ", "")
    v2 = client.register_schema("orders-value", Schema(ORDER_V2, "AVRO"))
    assert v2 != v1
    latest = fresh().get_latest_version("orders-value")
    assert (latest.schema_id, latest.version, latest.subject) == (v2, 2, "orders-value")
    first = fresh().get_version("orders-value", 1)
    assert (first.schema_id, first.version) == (v1, 1)
    found = fresh().lookup_schema("orders-value", Schema(ORDER_V1, "AVRO"))
    assert (found.schema_id, found.version) == (v1, 1)
    assert fresh().get_versions("orders-value") == [1, 2]
    # The same schema under another subject keeps its id.
    assert client.register_schema("copy-value", Schema(ORDER_V1, "AVRO")) == v1
    versions = fresh().get_schema_versions(v1)
    assert sorted((v.subject, v.version) for v in versions) == [("copy-value", 1), ("orders-value", 1)]
    assert fresh().get_subjects() == ["copy-value", "orders-value"]

    # Compatibility and config.
    assert client.get_compatibility() == "BACKWARD"
    assert client.test_compatibility("orders-value", Schema(ORDER_V2, "AVRO")) is True
    assert client.test_compatibility("orders-value", Schema(ORDER_BAD, "AVRO")) is False
    error = fails_with(409, lambda: client.register_schema("orders-value", Schema(ORDER_BAD, "AVRO")))
    assert "incompatible" in error.error_message
    assert client.set_compatibility("orders-value", "NONE")["compatibility"] == "NONE"
    assert client.get_compatibility("orders-value") == "NONE"
    assert client.test_compatibility("orders-value", Schema(ORDER_BAD, "AVRO")) is True
    fails_with(42203, lambda: client.set_compatibility(level="SIDEWAYS"))
    fails_with(40408, lambda: client.get_compatibility("copy-value"))

    # Errors in the registry's own codes.
    fails_with(40401, lambda: fresh().get_latest_version("nobody"))
    fails_with(40402, lambda: fresh().get_version("orders-value", 9))
    fails_with(40403, lambda: fresh().get_schema(999))
    fails_with(40403, lambda: fresh().lookup_schema("orders-value", Schema(ORDER_BAD, "AVRO")))
    fails_with(42201, lambda: client.register_schema("broken", Schema("{not json", "AVRO")))

    # Protobuf with a reference.
    common = client.register_schema("common.proto", Schema(COMMON_PROTO, "PROTOBUF"))
    reference = SchemaReference("common.proto", "common.proto", 1)
    price = client.register_schema("prices-value", Schema(PRICE_PROTO, "PROTOBUF", [reference]))
    assert price != common
    fetched = fresh().get_schema(price)
    assert fetched.schema_type == "PROTOBUF"
    assert [(r.name, r.subject, r.version) for r in fetched.references] == [("common.proto", "common.proto", 1)]
    fails_with(42201, lambda: client.register_schema("orphan-value", Schema(PRICE_PROTO, "PROTOBUF")))

    # JSON Schema, and the serializers that register through the same API.
    json_id = client.register_schema("people-value", Schema(JSON_SCHEMA, "JSON"))
    assert fresh().get_schema(json_id).schema_type == "JSON"
    avro_bytes = AvroSerializer(fresh(), ORDER_V1)({"id": "o-1"}, SerializationContext("orders", MessageField.VALUE))
    assert avro_bytes[0] == 0 and int.from_bytes(avro_bytes[1:5], "big") == v1
    json_bytes = JSONSerializer(JSON_SCHEMA, fresh())({"name": "Ada"}, SerializationContext("people", MessageField.VALUE))
    assert json_bytes[0] == 0 and int.from_bytes(json_bytes[1:5], "big") == json_id

    # Deletes: soft first, then permanent; a permanent delete before a soft one is refused.
    fails_with(40405, lambda: client.delete_subject("copy-value", permanent=True))
    assert client.delete_subject("copy-value") == [1]
    assert "copy-value" not in fresh().get_subjects()
    assert "copy-value" in fresh().get_subjects(deleted=True)
    assert client.delete_subject("copy-value", permanent=True) == [1]
    assert "copy-value" not in fresh().get_subjects(deleted=True)
    fails_with(40407, lambda: client.delete_version("orders-value", 1, permanent=True))
    assert client.delete_version("orders-value", 1) == 1
    assert fresh().get_versions("orders-value") == [2]
    assert client.delete_version("orders-value", 1, permanent=True) == 1
    fails_with(40402, lambda: fresh().get_version("orders-value", 1))
    print("ok")


if __name__ == "__main__":
    main()
