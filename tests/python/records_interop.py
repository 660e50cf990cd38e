"""Confluent's own serializers on one side of the sidecar, for tests/records_interop.rs.

    records_interop.py produce BOOTSTRAP REGISTRY_URL TOPIC_PREFIX
        Writes Avro, Protobuf and JSON Schema values with confluent-kafka's AvroSerializer,
        ProtobufSerializer and JSONSerializer (registering their schemas, as they do by default) to
        TOPIC_PREFIX-avro, -protobuf and -json, plus a record with an unknown schema id and one with
        corrupt bytes to TOPIC_PREFIX-avro. Prints one JSON line per record: its topic, key and the
        value the producer meant, in the JSON the sidecar documents (Avro: as given, bytes in base64;
        Protobuf: the proto3 JSON mapping with .proto field names and default values).

    records_interop.py consume BOOTSTRAP REGISTRY_URL TOPIC FORMAT COUNT
        Reads COUNT records of TOPIC from the beginning with the matching deserializer (FORMAT avro,
        protobuf or json) and prints one JSON line per record: its key and deserialized value.
"""

import base64
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

AVRO_SCHEMA = json.dumps({
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "quantity", "type": "int"},
        {"name": "total", "type": "long"},
        {"name": "price", "type": "double"},
        {"name": "paid", "type": "boolean"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "SHIPPED"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attributes", "type": {"type": "map", "values": "long"}},
        {"name": "blob", "type": "bytes"},
        {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
            {"name": "city", "type": "string"}, {"name": "zip", "type": ["null", "int"]}]}},
    ],
})

JSON_SCHEMA = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Payment",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "amount": {"type": "number"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer"}}, "required": ["sku", "quantity"]}},
    },
    "required": ["id", "amount"],
})

F = descriptor_pb2.FieldDescriptorProto


def order_class():
    """shop.Order, built from a descriptor (no protoc here): nested message, enum, repeated, map, int64, bytes."""
    file = descriptor_pb2.FileDescriptorProto(name="shop/order.proto", package="shop", syntax="proto3")
    line = file.message_type.add(name="Line")
    line.field.add(name="sku", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    line.field.add(name="quantity", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    order = file.message_type.add(name="Order")
    order.field.add(name="order_id", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    order.field.add(name="total_cents", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    order.field.add(name="lines", number=3, type=F.TYPE_MESSAGE, type_name=".shop.Line", label=F.LABEL_REPEATED)
    order.field.add(name="state", number=4, type=F.TYPE_ENUM, type_name=".shop.State", label=F.LABEL_OPTIONAL)
    order.field.add(name="signature", number=5, type=F.TYPE_BYTES, label=F.LABEL_OPTIONAL)
    order.field.add(name="paid", number=6, type=F.TYPE_BOOL, label=F.LABEL_OPTIONAL)
    entry = order.nested_type.add(name="LabelsEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    entry.field.add(name="value", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    order.field.add(name="labels", number=7, type=F.TYPE_MESSAGE, type_name=".shop.Order.LabelsEntry", label=F.LABEL_REPEATED)
    state = file.enum_type.add(name="State")
    state.value.add(name="STATE_UNKNOWN", number=0)
    state.value.add(name="STATE_PAID", number=1)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.Order"))


def avro_values():
    for n in range(5):
        yield {
            "id": f"order-{n}",
            "quantity": n,
            "total": 10_000_000_000 + n,
            "price": 2.5 * n,
            "paid": n % 2 == 0,
            "note": None if n % 2 else f"note {n}",
            "status": "SHIPPED" if n % 2 else "NEW",
            "tags": [f"t{i}" for i in range(n)],
            "attributes": {"weight": n * 100},
            "blob": bytes([n, 255 - n]),
            "address": {"city": "Lyon", "zip": None if n == 0 else 69000 + n},
        }


def meant_avro(value):
    shown = dict(value)
    shown["blob"] = base64.b64encode(value["blob"]).decode()
    return shown


def produce(bootstrap, registry_url, prefix):
    registry = SchemaRegistryClient({"url": registry_url})
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "batch.num.messages": 1})

    def send(topic, key, value):
        producer.produce(topic, key=key, value=value)
        producer.flush(30)

    topic = f"{prefix}-avro"
    avro = AvroSerializer(registry, AVRO_SCHEMA)
    for n, value in enumerate(avro_values()):
        send(topic, f"a{n}", avro(value, SerializationContext(topic, MessageField.VALUE)))
        print(json.dumps({"topic": topic, "key": f"a{n}", "value": meant_avro(value)}))
    # An id the registry does not have, and a known id followed by bytes that are not an Order.
    send(topic, "unknown-id", b"\x00\x00\x00\x03\xe7" + b"\x02hi")
    known = avro(next(avro_values()), SerializationContext(topic, MessageField.VALUE))
    send(topic, "corrupt", known[:5] + b"\xff\xff\xff")

    topic = f"{prefix}-protobuf"
    order = order_class()
    proto = ProtobufSerializer(order, registry, {"use.deprecated.format": False})
    for n in range(4):
        message = order(order_id=f"p{n}", total_cents=9_007_199_254_740_993 + n, paid=n == 1,
                        signature=bytes([n, 1, 2]), state=n % 2)
        for i in range(n):
            message.lines.add(sku=f"sku-{i}", quantity=i + 1)
        if n:
            message.labels["channel"] = "web"
        send(topic, f"p{n}", proto(message, SerializationContext(topic, MessageField.VALUE)))
        meant = json_format.MessageToDict(message, preserving_proto_field_name=True,
                                          always_print_fields_with_no_presence=True)
        print(json.dumps({"topic": topic, "key": f"p{n}", "value": meant}))

    topic = f"{prefix}-json"
    payments = JSONSerializer(JSON_SCHEMA, registry)
    for n in range(3):
        value = {"id": f"pay-{n}", "amount": 10.5 * n, "lines": [{"sku": "a", "quantity": n}]}
        send(topic, f"j{n}", payments(value, SerializationContext(topic, MessageField.VALUE)))
        print(json.dumps({"topic": topic, "key": f"j{n}", "value": value}))


def consume(bootstrap, registry_url, topic, kind, count):
    registry = SchemaRegistryClient({"url": registry_url})
    if kind == "avro":
        deserialize = AvroDeserializer(registry)
        show = lambda v: {k: (base64.b64encode(x).decode() if isinstance(x, bytes) else x) for k, x in v.items()}  # noqa: E731
    elif kind == "protobuf":
        deserialize = ProtobufDeserializer(order_class(), {"use.deprecated.format": False})
        show = lambda v: json_format.MessageToDict(v, preserving_proto_field_name=True,  # noqa: E731
                                                   always_print_fields_with_no_presence=True)
    else:
        deserialize = JSONDeserializer(None, schema_registry_client=registry)
        show = lambda v: v  # noqa: E731
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    read = 0
    while read < count:
        message = consumer.poll(30)
        if message is None:
            raise SystemExit(f"only {read} of {count} records of {topic} arrived")
        if message.error():
            continue
        value = deserialize(message.value(), SerializationContext(topic, MessageField.VALUE))
        key = message.key().decode() if message.key() is not None else None
        print(json.dumps({"key": key, "value": show(value)}))
        read += 1
    consumer.close()


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(*sys.argv[2:5])
    else:
        consume(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
