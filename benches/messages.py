"""confluent-kafka's side of the harness's messages section (benches/harness.rs), in the venv .ci/install makes.
Each command prints one JSON line.

    messages.py fill BOOTSTRAP TOPICS COUNT SIZE NEEDLE_EVERY
        Creates each of TOPICS (comma-separated; one partition) and writes COUNT records to each (the
        last one alone in its batch, see write): key "k<n>", a text value of SIZE bytes,
        holding "needle" in every NEEDLE_EVERY-th record (0: none). Batched for speed; not a measure.
    messages.py consume BOOTSTRAP TOPIC COUNT
        Reads COUNT records of TOPIC from the beginning with an in-process Consumer (assigned, no group
        commit, fetch.wait.max.ms 10 as the sidecar's readers) and says how long it took.
    messages.py produce BOOTSTRAP TOPIC COUNT SIZE
        Writes COUNT records like fill's with a warm in-process Producer: produce each, then flush, timed.
    messages.py avro BOOTSTRAP REGISTRY TOPIC COUNT [exact-end]
        Writes COUNT orders (the codecs bench's ~1 KB Avro record) with AvroSerializer (which registers
        TOPIC-value), serialization, produce and flush timed. exact-end: as fill's last record (see write).
    messages.py schema
        The Avro schema of those orders, as JSON.
"""

import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

FILLER = "The quick brown fox jumps over the lazy dog while the editor pages through records. "

AVRO_SCHEMA = json.dumps({
    "type": "record", "name": "Order", "namespace": "bench",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "customer_id", "type": "string"},
        {"name": "customer_name", "type": "string"},
        {"name": "email", "type": ["null", "string"], "default": None},
        {"name": "quantity", "type": "int"},
        {"name": "unit_price", "type": "double"},
        {"name": "total", "type": "double"},
        {"name": "discount", "type": ["null", "double"], "default": None},
        {"name": "created_at", "type": "long"},
        {"name": "updated_at", "type": "long"},
        {"name": "status", "type": "string"},
        {"name": "priority", "type": "int"},
        {"name": "notes", "type": "string"},
        {"name": "gift", "type": "boolean"},
        {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
            {"name": "street", "type": "string"},
            {"name": "city", "type": "string"},
            {"name": "zip", "type": "string"},
            {"name": "country", "type": "string"},
        ]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "line_ids", "type": {"type": "array", "items": "long"}},
        {"name": "weight", "type": "double"},
        {"name": "warehouse", "type": "int"},
        {"name": "channel", "type": ["null", "string"]},
    ],
})

NOTES = (
    "Please ring twice. Leave the parcel with the neighbour on the second floor if nobody is home. "
    "The dog is friendly. Deliveries after 18:00 are preferred on weekdays; weekends any time. "
    "Invoice to the company address, reference PO-2024-000123, cost centre 4711, attention accounts "
    "payable, and include the delivery note in the parcel please. Items in this order were picked "
    "from two locations and consolidated at the packing station; check the seal on the outer box "
    "before signing. Returns within thirty days are free of charge with the enclosed label, and an "
    "exchange can be arranged through the customer portal or by calling the service desk."
)


def value(n, size, needle_every):
    head = f"record {n:09} " + ("needle " if needle_every and n % needle_every == 0 else "")
    text = head + FILLER * (size // len(FILLER) + 1)
    return text[:size].encode()


def order(n):
    """The harness builds the same order for the sidecar's produce (benches/common/order.rs, `order`)."""
    return {
        "id": n, "customer_id": f"c-{n:09}", "customer_name": "Ann Example-Customer", "email": "ann@example.com",
        "quantity": 3, "unit_price": 19.99, "total": 59.97, "discount": None, "created_at": 1_700_000_000_000,
        "updated_at": 1_700_000_360_000, "status": "PAID", "priority": 2, "notes": NOTES, "gift": False,
        "address": {"street": "Example Street 42, Building C, Floor 2", "city": "Amsterdam", "zip": "1011 AB", "country": "NL"},
        "tags": ["express", "fragile", "gift-wrap", "priority", "eu", "returning-customer", "newsletter", "b2b"],
        "line_ids": list(range(1001, 1011)), "weight": 2.75, "warehouse": 17, "channel": "web",
    }


def producer(bootstrap, **extra):
    client = Producer({"bootstrap.servers": bootstrap, **extra})
    client.list_topics(timeout=10)  # connected before any timing
    return client


def write(client, topic, count, make, exact_end=False):
    """With exact_end the last record goes alone in a batch of its own: tansu 0.6 answers ListOffsets
    (latest) with its last batch's base offset + 1, so a last batch of many records would hide them
    from the high watermark a page trusts."""
    for n in range(count):
        if exact_end and n == count - 1:
            assert client.flush(120) == 0, "records not delivered"
        while True:
            try:
                client.produce(topic, make(n), key=f"k{n}".encode(), partition=0)
                break
            except BufferError:
                client.poll(0.05)
        client.poll(0)
    left = client.flush(120)
    assert left == 0, f"{left} records not delivered"


def fill(bootstrap, topics, count, size, needle_every):
    topics = topics.split(",")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, 1, 1) for topic in topics], request_timeout=60).values():
        future.result()
    client = producer(bootstrap, **{"linger.ms": 20, "batch.size": 1_000_000, "queue.buffering.max.kbytes": 262_144})
    started = time.perf_counter()
    for topic in topics:
        write(client, topic, count, lambda n: value(n, size, needle_every), exact_end=True)
    return {"seconds": time.perf_counter() - started}


def consume(bootstrap, topic, count):
    client = Consumer({
        "bootstrap.servers": bootstrap, "group.id": "bench-peer", "enable.auto.commit": False,
        "enable.auto.offset.store": False, "fetch.wait.max.ms": 10,
    })
    started = time.perf_counter()
    client.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    read, size = 0, 0
    while read < count:
        for message in client.consume(num_messages=500, timeout=1.0):
            if message.error():
                continue
            size += len(message.value() or b"")
            read += 1
    seconds = time.perf_counter() - started
    client.close()
    return {"records": read, "bytes": size, "seconds": seconds}


def produce(bootstrap, topic, count, size):
    client = producer(bootstrap)
    started = time.perf_counter()
    write(client, topic, count, lambda n: value(n, size, 0))
    return {"seconds": time.perf_counter() - started}


def avro(bootstrap, registry, topic, count, exact_end):
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    serializer = AvroSerializer(SchemaRegistryClient({"url": registry}), AVRO_SCHEMA)
    context = SerializationContext(topic, MessageField.VALUE)
    client = producer(bootstrap)
    started = time.perf_counter()
    write(client, topic, count, lambda n: serializer(order(n), context), exact_end)
    return {"seconds": time.perf_counter() - started}


def main(args):
    command, rest = args[0], args[1:]
    if command == "fill":
        result = fill(rest[0], rest[1], int(rest[2]), int(rest[3]), int(rest[4]))
    elif command == "consume":
        result = consume(rest[0], rest[1], int(rest[2]))
    elif command == "produce":
        result = produce(rest[0], rest[1], int(rest[2]), int(rest[3]))
    elif command == "avro":
        result = avro(rest[0], rest[1], rest[2], int(rest[3]), rest[4:] == ["exact-end"])
    elif command == "schema":
        result = json.loads(AVRO_SCHEMA)
    else:
        sys.exit(f"unknown command {command}: see the docstring")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
