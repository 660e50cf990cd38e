// The message viewer's pure parts: record rows and JSON, JSON lines, the capped store, start and paging params, the pager.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  RecordPager,
  RecordStore,
  consumeParams,
  jsonLines,
  parseStart,
  recordJson,
  recordRow,
  startFor,
  tailParams,
  type ViewerQuery,
} from "../src/model/records";
import type { ConsumePage, ConsumeParams, Data, Record as KafkaRecord } from "../src/protocol";

function record(partition: number, offset: number, value: Omit<Partial<Data>, "data"> & { data: unknown } = { format: "STRING", data: "v" }): KafkaRecord {
  return {
    partition,
    offset,
    timestamp: 1_700_000_000_123,
    timestamp_type: "CREATE_TIME",
    headers: [],
    key: { format: "STRING", data: `k-${offset}` } as unknown as Data,
    value: { format: "STRING", ...value } as unknown as Data,
  };
}

test("a row shows partition, offset, time, key, the value's format (with schema id) and a short value", () => {
  const avro = record(1, 7, { format: "AVRO", schema_id: 3, data: { id: "o-1", note: "x".repeat(200) } });
  const row = recordRow(avro);
  assert.equal(row.partition, 1);
  assert.equal(row.offset, 7);
  assert.equal(row.timestamp, "2023-11-14T22:13:20.123Z");
  assert.equal(row.key, "k-7");
  assert.equal(row.format, "AVRO #3");
  assert.equal(row.value.length, 80);
  assert.ok(row.value.startsWith('{"id":"o-1","note":"xxx') && row.value.endsWith("…"));
  assert.equal(row.error, undefined);
  const broken = recordRow(record(0, 1, { format: "BYTES", data: "AAAAAAE=", error: "Unknown schema id 1" }));
  assert.equal(broken.error, "Unknown schema id 1");
  assert.equal(recordRow(record(0, 2, { format: "NULL", data: null })).value, "null");
  assert.equal(recordRow(record(0, 3, { format: "STRING", data: "a\nb", truncated: true, size: 9 })).format, "STRING (cut)");
  assert.equal(recordRow({ ...record(0, 4), timestamp: -1 }).timestamp, "");
});

test("the whole record is formatted JSON with each part's format, schema id and error", () => {
  const parsed = JSON.parse(recordJson(record(0, 5, { format: "BYTES", data: "AAAAAAE=", error: "Unknown schema id 1" }))) as Record<string, unknown>;
  assert.deepEqual(parsed.value, { format: "BYTES", error: "Unknown schema id 1", data: "AAAAAAE=" });
  assert.equal(parsed.time, "2023-11-14T22:13:20.123Z");
  const avro = JSON.parse(recordJson(record(0, 6, { format: "AVRO", schema_id: 3, data: { id: 1 } }))) as Record<string, unknown>;
  assert.deepEqual(avro.value, { format: "AVRO", schema_id: 3, data: { id: 1 } });
  assert.ok(recordJson(record(0, 6)).includes('\n  "partition": 0,'), "indented");
});

test("export writes one record per line, as the sidecar sent it", () => {
  const records = [record(0, 1), record(1, 2)];
  const text = jsonLines(records);
  assert.equal(text.split("\n").length, 3);
  assert.deepEqual(text.trimEnd().split("\n").map((line) => JSON.parse(line) as unknown), records);
  assert.equal(jsonLines([]), "");
});

test("the store keeps at most its capacity, dropping the oldest first", () => {
  const store = new RecordStore(5);
  assert.equal(store.add([0, 1, 2].map((o) => record(0, o))), 0);
  assert.equal(store.add([3, 4, 5, 6].map((o) => record(0, o))), 2);
  assert.deepEqual(store.all().map((r) => r.offset), [2, 3, 4, 5, 6]);
  assert.equal(store.add([7, 8, 9, 10, 11, 12, 13].map((o) => record(0, o))), 7, "a batch larger than the store keeps its newest");
  assert.deepEqual(store.all().map((r) => r.offset), [9, 10, 11, 12, 13]);
  assert.equal(store.dropped, 9);
  store.clear();
  assert.equal(store.length, 0);
  assert.equal(store.dropped, 0);
});

test("the store holds 100,000 records by default and stays there", () => {
  const store = new RecordStore();
  const batch = Array.from({ length: 1000 }, (_, i) => record(0, i));
  for (let i = 0; i < 101; i++) store.add(batch);
  assert.equal(store.capacity, 100_000);
  assert.equal(store.length, 100_000);
  assert.equal(store.dropped, 1000);
});

test("a start choice becomes the sidecar's start; an offset applies to each chosen partition", () => {
  assert.deepEqual(startFor({ from: "beginning" }, [0, 1]), { from: "beginning" });
  assert.deepEqual(startFor({ from: "end" }, [0, 1]), { from: "end" });
  assert.equal(startFor({ from: "latest" }, [0, 1]), undefined);
  assert.deepEqual(startFor({ from: "timestamp", timestamp: 5 }, [0]), { from: "timestamp", timestamp: 5 });
  assert.deepEqual(startFor({ from: "offset", offset: 9 }, [0, 2]), { from: "offsets", offsets: [{ partition: 0, offset: 9 }, { partition: 2, offset: 9 }] });
});

test("the start box is read as a time or an offset, with a sentence when it is wrong", () => {
  assert.deepEqual(parseStart("timestamp", "2026-01-31T12:00:00Z"), { from: "timestamp", timestamp: Date.UTC(2026, 0, 31, 12) });
  assert.deepEqual(parseStart("timestamp", " 1700000000000 "), { from: "timestamp", timestamp: 1_700_000_000_000 });
  assert.deepEqual(parseStart("offset", "42"), { from: "offset", offset: 42 });
  assert.deepEqual(parseStart("beginning", "ignored"), { from: "beginning" });
  assert.match((parseStart("timestamp", "yesterday") as { error: string }).error, /^Give a time such as/);
  assert.match((parseStart("offset", "-1") as { error: string }).error, /^Give an offset/);
});

const query: ViewerQuery = { connectionId: "dev", topic: "orders", start: { from: "offset", offset: 3 }, contains: " refund " };

test("the first page carries the start, partitions and search; the next ones the cursor and the search", () => {
  assert.deepEqual(consumeParams(query, undefined, [0, 1], 50), {
    connection_id: "dev",
    topic: "orders",
    max_records: 50,
    filter: { contains: "refund" },
    start: { from: "offsets", offsets: [{ partition: 0, offset: 3 }, { partition: 1, offset: 3 }] },
  });
  assert.deepEqual(consumeParams({ ...query, partitions: [1] }, undefined, [0, 1], 50).start, { from: "offsets", offsets: [{ partition: 1, offset: 3 }] });
  assert.deepEqual(consumeParams({ ...query, partitions: [1] }, undefined, [0, 1], 50).partitions, [1]);
  const cursor = { topic: "orders", partitions: [{ partition: 0, offset: 9 }] };
  assert.deepEqual(consumeParams(query, cursor, [0, 1], 50), { connection_id: "dev", topic: "orders", max_records: 50, filter: { contains: "refund" }, cursor });
  assert.deepEqual(consumeParams({ ...query, contains: "  ", start: { from: "latest" } }, undefined, [0]), { connection_id: "dev", topic: "orders", max_records: 200 });
  assert.deepEqual(tailParams({ ...query, partitions: [0] }), { connection_id: "dev", topic: "orders", partitions: [0], filter: { contains: "refund" } });
});

test("a Confluent Cloud cluster's topic: every page and the tail name the cluster", () => {
  const cloud: ViewerQuery = { ...query, connectionId: "cloud", clusterId: "lkc-prod1" };
  assert.equal(consumeParams(cloud, undefined, [0], 50).cluster_id, "lkc-prod1");
  assert.equal(consumeParams(cloud, { topic: "orders", partitions: [{ partition: 0, offset: 9 }] }, [0], 50).cluster_id, "lkc-prod1");
  assert.equal(tailParams(cloud).cluster_id, "lkc-prod1");
  assert.equal("cluster_id" in consumeParams(query, undefined, [0], 50), false, "no cluster_id for a connection's own cluster");
});

test("the pager follows the cursor page after page and says when every partition is at its end", async () => {
  const sent: ConsumeParams[] = [];
  const pages: ConsumePage[] = [
    {
      records: [record(0, 0), record(0, 1)],
      cursor: { topic: "orders", partitions: [{ partition: 0, offset: 2 }] },
      partitions: [{ partition: 0, next_offset: 2, low_watermark: 0, high_watermark: 3, at_end: false }],
      scanned: 2,
    },
    {
      records: [record(0, 2)],
      cursor: { topic: "orders", partitions: [{ partition: 0, offset: 3 }] },
      partitions: [{ partition: 0, next_offset: 3, low_watermark: 0, high_watermark: 3, at_end: true }],
      scanned: 1,
    },
  ];
  const pager = new RecordPager({ consume: (params) => (sent.push(params), Promise.resolve(pages[sent.length - 1])) }, { ...query, contains: undefined }, [0], 2);
  const first = await pager.next();
  assert.deepEqual([first.records.length, first.atEnd, pager.atEnd], [2, false, false]);
  const second = await pager.next();
  assert.deepEqual([second.records.map((r) => r.offset), second.atEnd, pager.atEnd], [[2], true, true]);
  assert.ok(sent[0].start && !sent[0].cursor);
  assert.deepEqual(sent[1].cursor, pages[0].cursor);
  assert.equal(sent[1].start, undefined);
});
